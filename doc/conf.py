"""Sphinx configuration for sklearn-notes: numpydoc docstrings, API pages generated from the code."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import sklearn_notes

project = "sklearn-notes"
author = "sklearn-notes developers"
release = sklearn_notes.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
exclude_patterns = ["_build", "generated/*.examples"]
html_theme = "alabaster"


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
        lines += [title, "-" * len(title), "", (module.__doc__ or "").strip().splitlines()[0], ""]
        lines += [f".. currentmodule:: {module.__name__}", "", ".. autosummary::"]
        lines += ["   :toctree: generated/", "", *[f"   {name}" for name in names], ""]
    with open(os.path.join(app.srcdir, "api.rst"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def setup(app):
    app.connect("config-inited", lambda app, config: _write_api_page(app))
