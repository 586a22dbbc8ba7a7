"""Helpers for the scripts in ``examples/``: quick mode and where figures go.

``SKLEARN_NOTES_QUICK=1`` asks an example to shrink its data and epochs so that it runs in seconds
(``tests/test_examples.py`` runs every example that way, so that none can rot).
``SKLEARN_NOTES_FIGDIR`` is the folder figures are saved into (default: the current folder).
"""

import os

__all__ = ["quick_mode", "save_figure"]


def quick_mode():
    """True when the environment asks examples for a quick, shrunken run."""
    return os.environ.get("SKLEARN_NOTES_QUICK", "") not in ("", "0")


def save_figure(fig, name):
    """Save ``fig`` as ``name`` in ``$SKLEARN_NOTES_FIGDIR`` (or the current folder); return the path."""
    folder = os.environ.get("SKLEARN_NOTES_FIGDIR", ".")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"saved {path}")
    return path
