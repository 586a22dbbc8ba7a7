"""The Sphinx documentation builds (slow: run with -m slow)."""

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_docs_build(tmp_path):
    doc = Path(__file__).parents[1] / "doc"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(doc), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    api = (tmp_path / "api.html").read_text(encoding="utf-8")
    from sklearn_notes import all_estimators

    for name, _ in all_estimators():
        assert name in api
