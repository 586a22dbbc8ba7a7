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


def _build(out):
    before = _untracked_or_changed()
    result = subprocess.run(
        [sys.executable, str(REPO / "doc" / "build.py"), str(out)],
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert _untracked_or_changed() == before  # nothing written into the source tree


@pytest.mark.slow
def test_docs_build_clean_with_figures_concept_map_and_tutorial(tmp_path, images_loaded):
    """One build (minutes: it runs the gallery and the notebook), every check of the built site."""
    _build(tmp_path)

    # the API reference lists every estimator
    api = (tmp_path / "api.html").read_text(encoding="utf-8")
    from sklearn_notes import all_estimators

    for name, _ in all_estimators():
        assert name in api

    # at least one rendered figure per family, in the gallery
    for example in FAMILY_EXAMPLES:
        page = (tmp_path / "auto_examples" / f"{example}.html").read_text(encoding="utf-8")
        assert list((tmp_path / "_images").glob(f"sphx_glr_{example}_*.png")), example
        assert "sphx-glr-single-img" in page or "sphx-glr-multi-img" in page, example

    # the landing page and the gallery open in headless Chromium with every picture decoded
    n_images, n_loaded = images_loaded(tmp_path / "index.html")
    assert n_images == n_loaded
    n_images, n_loaded = images_loaded(tmp_path / "auto_examples" / "index.html")
    assert n_images >= len(FAMILY_EXAMPLES) and n_loaded == n_images

    # the docs carry the concept map and the corrections, and stand alone
    concept_map = (tmp_path / "concept_map.html").read_text(encoding="utf-8")
    assert concept_map.count("<tr") >= 36  # header + the 35 concepts
    notes = (tmp_path / "notes.html").read_text(encoding="utf-8")
    assert "RBF and Gaussian kernels" in notes and "parallel at a constrained optimum" in notes
    assert "shared/notes" not in concept_map + notes

    # the tutorial notebook was executed during the build (myst-nb, nb_execution_mode="force")
    tutorial = (tmp_path / "tutorials" / "tutorial.html").read_text(encoding="utf-8")
    assert "cv accuracy" in tutorial and "adjusted Rand index" in tutorial
    assert tutorial.count("<img") >= 2  # the clustering figure and the digit samples
