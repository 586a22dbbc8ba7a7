"""The tour mechanism: discovery of family rows, scoring next to a reference, tables, the CLI."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression

from sklearn_notes import __main__ as cli
from sklearn_notes._tour import DATASETS, TourEntry, collect_entries, format_table, run_tour


def _figure(estimator, X, y, path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.scatter(X[:, 0], X[:, 1], c=estimator.predict(X))
    fig.savefig(path)
    plt.close(fig)


ENTRIES = [
    TourEntry(
        "Logistic",
        "iris",
        make=lambda quick: LogisticRegression(max_iter=50 if quick else 500),
        reference=lambda quick: DummyClassifier(),
        score_name="accuracy",
        figure=_figure,
    ),
    TourEntry("Broken", "moons", make=lambda quick: LogisticRegression(C=-1.0)),
]


def test_run_tour_scores_ours_and_reference(tmp_path):
    rows = run_tour(ENTRIES, quick=True, out=tmp_path, progress=False)
    good, broken = rows
    assert good.score > 0.9 and good.reference_score < 0.5  # iris vs majority class
    assert good.fit_time > 0 and np.isfinite(good.time_ratio)
    assert good.figures and (tmp_path / "Logistic_iris.png").stat().st_size > 0
    # A failing row is reported, not fatal, and carries no numbers.
    assert "C" in broken.error and np.isnan(broken.score)


def test_format_table_text_and_markdown():
    rows = run_tour(ENTRIES[:1], quick=True, progress=False)
    text = format_table(rows)
    assert text.splitlines()[0].split()[:3] == ["estimator", "dataset", "metric"]
    assert "Logistic" in text and "iris" in text
    md = format_table(rows, markdown=True).splitlines()
    assert md[0].startswith("| estimator |") and md[1].startswith("|---|")
    assert len(md) == 3


def test_run_tour_rejects_unknown_dataset():
    with pytest.raises(ValueError, match="Unknown tour dataset"):
        run_tour([TourEntry("X", "nope", make=lambda q: None)], progress=False)


def test_datasets_load_offline():
    for name, load in DATASETS.items():
        X, y = load(0)
        assert X.ndim == 2 and len(X) == len(y), name


def test_collect_entries_are_well_formed():
    for entry in collect_entries():
        assert entry.dataset in DATASETS, entry
        assert callable(entry.make)


def test_cli_tour_writes_markdown(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sklearn_notes._tour.collect_entries", lambda: ENTRIES[:1])
    status = cli.main(["tour", "--quick", "--no-progress", "--out", str(tmp_path)])
    assert status == 0
    assert "Logistic" in capsys.readouterr().out
    report = (tmp_path / "tour.md").read_text()
    assert "| Logistic | iris |" in report and "Logistic_iris.png" in report


def test_cli_tour_writes_self_contained_html(tmp_path, monkeypatch):
    monkeypatch.setattr("sklearn_notes._tour.collect_entries", lambda: ENTRIES[:1])
    assert cli.main(["tour", "--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    page = (tmp_path / "tour.html").read_text()
    assert "<td>Logistic</td><td>iris</td>" in page
    # The figure is embedded, not linked: the page stands alone.
    assert page.count('src="data:image/png;base64,') == 1 and "Logistic_iris.png" not in page


def test_cli_tour_unknown_name_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.setattr("sklearn_notes._tour.collect_entries", lambda: ENTRIES)
    assert cli.main(["tour", "--quick", "--no-progress", "--only", "Foo"]) == 2
    err = capsys.readouterr().err
    assert "Foo" in err and "Logistic" in err and "Broken" in err


def test_tour_leaves_the_callers_matplotlib_backend(tmp_path, monkeypatch):
    monkeypatch.setattr("sklearn_notes._tour.collect_entries", lambda: ENTRIES[:1])
    import matplotlib.pyplot as plt

    previous = matplotlib.get_backend()
    plt.switch_backend("svg")  # stands for a notebook's inline backend
    try:
        assert cli.main(["tour", "--quick", "--no-progress", "--out", str(tmp_path)]) == 0
        assert matplotlib.get_backend() == "svg"
        assert (tmp_path / "Logistic_iris.png").stat().st_size > 0
    finally:
        plt.switch_backend(previous)


def test_cli_tour_fails_on_broken_row(monkeypatch, capsys):
    monkeypatch.setattr("sklearn_notes._tour.collect_entries", lambda: ENTRIES)
    assert cli.main(["tour", "--quick", "--no-progress"]) == 1


def test_cli_requires_a_command(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([])
    assert exc.value.code == 2


def test_tour_quick_runs_every_family_entry():
    """``sklearn-notes tour --quick`` runs to the end: no contributed row fails, and no warning
    reaches the user (quick settings stop training early on purpose: the tour itself silences
    ConvergenceWarning only)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = run_tour(quick=True, progress=False)
    leaked = [f"{w.category.__name__}: {w.message}" for w in caught]
    assert leaked == []
    assert [r for r in rows if r.error] == []
    for row in rows:
        assert np.isfinite(row.score), row


@pytest.mark.slow
def test_tour_report_figures_load_in_a_browser(tmp_path, images_loaded):
    """The quick tour's HTML report, opened in headless Chromium: every figure decodes."""
    assert cli.main(["tour", "--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    n_figures = len(list(tmp_path.glob("*.png")))
    assert n_figures >= 3
    assert images_loaded(tmp_path / "tour.html") == (n_figures, n_figures)
