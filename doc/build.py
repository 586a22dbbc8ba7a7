"""Build the documentation: ``python doc/build.py [OUTDIR] [extra sphinx-build options]``.

Sphinx writes into its source folder (sphinx-gallery's pages of the examples, the generated API
stubs); so that nothing is ever written into the repository, the build runs on a staging copy of
``doc/`` in a temporary folder, beside links to ``examples/`` and ``sklearn_notes/``. Warnings are
errors (``-W``). The examples run in their quick mode (``SKLEARN_NOTES_QUICK=1``) unless the
environment says otherwise, so the build takes minutes, not hours.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

DOC = Path(__file__).resolve().parent
REPO = DOC.parent


def main(argv=None):
    """Build the HTML documentation into ``OUTDIR`` (default ``doc/_build/html``); return the status."""
    from sphinx.cmd.build import build_main

    argv = list(sys.argv[1:] if argv is None else argv)
    out = Path(argv.pop(0)) if argv and not argv[0].startswith("-") else DOC / "_build" / "html"
    os.environ.setdefault("SKLEARN_NOTES_QUICK", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    with tempfile.TemporaryDirectory(prefix="sklearn-notes-doc-") as tmp:
        stage = Path(tmp)
        shutil.copytree(DOC, stage / "doc", ignore=shutil.ignore_patterns("_build", "__pycache__"))
        for name in ("examples", "sklearn_notes"):
            (stage / name).symlink_to(REPO / name, target_is_directory=True)
        os.environ["SKLEARN_NOTES_DOC_STAGE"] = str(stage)
        # The examples run from their own folder; their saved copies of the figures go to the
        # stage (the gallery takes its pictures from the open figures).
        os.environ.setdefault("SKLEARN_NOTES_FIGDIR", str(stage / "figures"))
        return build_main(["-W", "--keep-going", "-b", "html", *argv, str(stage / "doc"), str(out)])


if __name__ == "__main__":
    sys.exit(main())
