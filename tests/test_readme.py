"""The README cannot drift from the code: its table lists every estimator, its quickstart runs."""

import re
from pathlib import Path

from sklearn_notes import all_estimators

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def _block(tag):
    match = re.search(rf"<!-- {tag} -->\n(.*?)<!-- /{tag} -->", README, re.S)
    assert match, f"README has no <!-- {tag} --> block"
    return match.group(1)


def test_readme_table_lists_every_estimator():
    table = _block("estimators-table")
    listed = set(re.findall(r"^\| `(\w+)`", table, re.M))
    assert listed == {name for name, _ in all_estimators()}


def test_readme_quickstart_runs(capsys):
    code = _block("quickstart").strip().removeprefix("```python").removesuffix("```")
    exec(compile(code, "README quickstart", "exec"), {})
    printed = capsys.readouterr().out
    score = float(printed.split()[-1])
    assert score > 0.9  # breast cancer with a tuned RBF SVM
