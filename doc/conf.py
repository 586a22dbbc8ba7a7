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
    """Write api.rst from all_estimators(), so that the API reference cannot drift from the code."""
    lines = [
        "API reference",
        "=============",
        "",
        "Generated from :func:`sklearn_notes.all_estimators` at build time.",
        "",
        ".. currentmodule:: sklearn_notes",
        "",
        ".. autosummary::",
        "   :toctree: generated/",
        "",
    ]
    lines += [f"   {name}" for name, _ in sklearn_notes.all_estimators()]
    lines += [
        "",
        "Utilities",
        "---------",
        "",
        ".. autosummary::",
        "   :toctree: generated/",
        "",
        "   all_estimators",
        "   utils.is_psd",
        "   utils.kl_divergence",
        "   utils.gaussian_kl",
        "",
    ]
    with open(os.path.join(app.srcdir, "api.rst"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def setup(app):
    app.connect("config-inited", lambda app, config: _write_api_page(app))
