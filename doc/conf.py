"""Sphinx configuration for sklearn-notes.

Build with ``python doc/build.py [OUTDIR]``: it builds from a staging copy of this folder, so that
what Sphinx generates (the gallery of the examples, the API pages) never lands in the repository.
"""

import os
import re
import sys
import warnings
from pathlib import Path

if "SKLEARN_NOTES_DOC_STAGE" not in os.environ:
    raise RuntimeError(
        "Build the documentation with `python doc/build.py [OUTDIR]`: it builds from a staging "
        "copy so that nothing is written into the source tree."
    )

ROOT = Path(__file__).resolve().parent.parent  # the staging folder: doc/, examples/, sklearn_notes/
sys.path.insert(0, str(ROOT))

import sklearn_notes  # noqa: E402

project = "sklearn-notes"
author = "the sklearn-notes developers"
copyright = "2026, the sklearn-notes developers"
release = sklearn_notes.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_nb",
]
source_suffix = {".rst": "restructuredtext", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.ipynb"]
autosummary_generate = True
numpydoc_show_class_members = False
# numpydoc's type cross-references would resolve "n_features_in_" in a shape as a link target.
numpydoc_xref_param_type = False
# Offline builds: no intersphinx inventories are fetched, the mapping only names the projects.
intersphinx_mapping = {}

html_theme = "pydata_sphinx_theme"
html_title = "sklearn-notes"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}

# --- the gallery: every example, run in quick mode, its figures and printed numbers kept ---------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/(plot|compare)_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "capture_repr": (),
    "write_computation_times": False,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    # "minigallery" directives on the family pages show the examples that use an estimator
    "doc_module": ("sklearn_notes",),
    "backreferences_dir": "gen_modules/backreferences",
}

# --- notebooks: executed during the build, so a notebook that breaks fails the docs --------------
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True

warnings.filterwarnings("ignore", category=UserWarning, message="Matplotlib is currently using agg")


def _write_api_page(app):
    """Write api.rst from the families' ``__all__``, so that the reference cannot drift from the code."""
    from sklearn_notes.utils._discovery import family_modules

    lines = [
        "API reference",
        "=============",
        "",
        "Generated at build time from each family's ``__all__``; every name is also importable from",
        "``sklearn_notes`` directly (estimators: :func:`sklearn_notes.all_estimators`).",
        "",
    ]
    for module in family_modules():
        names = sorted(getattr(module, "__all__", ()))
        if not names:
            continue
        title = f"``{module.__name__}``"
        lines += [title, "-" * len(title), "", (module.__doc__ or "").strip().split("\n\n")[0], ""]
        lines += [f".. currentmodule:: {module.__name__}", "", ".. autosummary::"]
        lines += ["   :toctree: generated/", "", *[f"   {name}" for name in names], ""]
    Path(app.srcdir, "api.rst").write_text("\n".join(lines), encoding="utf-8")


# "shape (n_features_in_,)": in reST a word ending in "_" is a link to a target of that name.
_TRAILING_UNDERSCORE = re.compile(r"\b([A-Za-z]\w*[A-Za-z0-9])_(?=[,)\s])")
# :ref: roles of scikit-learn's user guide, in docstrings inherited from its mixins (``score``).
_SKLEARN_REF = re.compile(r":ref:`([^`<]+?)\s*(?:<[^`]+>)?`")


def _process_docstring(app, what, name, obj, options, lines):
    """Escape shape names that end in "_", and unlink scikit-learn's user-guide references."""
    inherited = getattr(obj, "__module__", "") or ""
    for i, line in enumerate(lines):
        start = line.find("shape (")
        if start >= 0:
            line = line[:start] + _TRAILING_UNDERSCORE.sub(r"\1\\_", line[start:])
        if inherited.startswith("sklearn."):
            line = _SKLEARN_REF.sub(r"\1", line)
        lines[i] = line


def setup(app):
    app.connect("config-inited", lambda app, config: _write_api_page(app))
    app.connect("autodoc-process-docstring", _process_docstring)
