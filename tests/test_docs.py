"""The Sphinx documentation builds clean, with figures, and writes nothing into the repository
(slow: run with -m slow)."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]
# One example per family whose figure the gallery must show.
FAMILY_EXAMPLES = [
    "plot_regularization_paths",  # linear_model
    "plot_svm_kernels",  # svm
    "plot_perceptron_xor",  # neural_network
    "plot_bayes_net",  # bayes_net (naive Bayes shares its page of the notes)
    "plot_gmm_em",  # mixture
    "plot_digits_generators",  # generative
]


def _untracked_or_changed():
    """What git sees changed or added (ignored files too) where the build could write."""
    out = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--", "doc", "examples", "sklearn_notes"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(line for line in out.splitlines() if "__pycache__" not in line)


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    before = _untracked_or_changed()
    result = subprocess.run(
        [sys.executable, str(REPO / "doc" / "build.py"), str(out)],
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert _untracked_or_changed() == before  # nothing written into the source tree
    return out


@pytest.mark.slow
def test_docs_api_lists_every_estimator(built_docs):
    api = (built_docs / "api.html").read_text(encoding="utf-8")
    from sklearn_notes import all_estimators

    for name, _ in all_estimators():
        assert name in api


@pytest.mark.slow
@pytest.mark.parametrize("example", FAMILY_EXAMPLES)
def test_docs_gallery_has_a_figure_per_family(built_docs, example):
    page = (built_docs / "auto_examples" / f"{example}.html").read_text(encoding="utf-8")
    images = [p for p in (built_docs / "_images").glob(f"sphx_glr_{example}_*.png")]
    assert images and "sphx-glr-single-img" in page or "sphx-glr-multi-img" in page


@pytest.mark.slow
def test_docs_pages_show_their_figures_in_a_browser(built_docs, images_loaded):
    """The landing page and the gallery open in headless Chromium with every picture decoded."""
    n_images, n_loaded = images_loaded(built_docs / "index.html")
    assert n_images == n_loaded
    n_images, n_loaded = images_loaded(built_docs / "auto_examples" / "index.html")
    assert n_images >= len(FAMILY_EXAMPLES) and n_loaded == n_images


@pytest.mark.slow
def test_docs_carry_the_concept_map_and_the_corrections(built_docs):
    concept_map = (built_docs / "concept_map.html").read_text(encoding="utf-8")
    assert concept_map.count("<tr") >= 36  # header + the 35 concepts
    notes = (built_docs / "notes.html").read_text(encoding="utf-8")
    assert "RBF and Gaussian kernels" in notes and "parallel at a constrained optimum" in notes
    assert "shared/notes" not in concept_map + notes  # the docs stand alone


@pytest.mark.slow
def test_docs_tutorial_notebook_was_executed(built_docs):
    """The build runs the tutorial (myst-nb, nb_execution_mode="force"): its outputs are in the page."""
    page = (built_docs / "tutorials" / "tutorial.html").read_text(encoding="utf-8")
    assert "cv accuracy" in page and "adjusted Rand index" in page
    assert page.count("<img") >= 2  # the clustering figure and the digit samples
