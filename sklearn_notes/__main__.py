"""Command line: ``sklearn-notes tour [--quick] [--out DIR]`` (also ``python -m sklearn_notes``)."""

import argparse
import os
import sys

__all__ = ["main"]


def _tour(args):
    import matplotlib

    matplotlib.use("Agg")  # figures go to files; never open a window
    from ._tour import collect_entries, format_table, run_tour

    entries = collect_entries()
    if args.only:
        entries = [e for e in entries if e.name in args.only]
    if not entries:
        print("No tour entries to run.")
        return 0
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    rows = run_tour(entries, quick=args.quick, out=args.out, progress=not args.no_progress)
    print(format_table(rows))
    if args.out:
        path = os.path.join(args.out, "tour.md")
        with open(path, "w", encoding="utf-8") as f:
            f.write("# sklearn-notes tour\n\n")
            f.write(format_table(rows, markdown=True) + "\n")
            for row in rows:
                for fig in row.figures:
                    f.write(f"\n![{row.name} on {row.dataset}]({os.path.basename(fig)})\n")
        print(f"\nWrote {path}")
    failed = [r for r in rows if r.error]
    return 1 if failed else 0


def main(argv=None):
    """Entry point of the ``sklearn-notes`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (defaults to ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success, 1 when a tour row failed, 2 on a usage error.
    """
    parser = argparse.ArgumentParser(
        prog="sklearn-notes", description="Lecture notes as scikit-learn estimators."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    tour = sub.add_parser("tour", help="fit every estimator on shipped data, next to scikit-learn")
    tour.add_argument("--quick", action="store_true", help="small settings: about a minute")
    tour.add_argument("--out", metavar="DIR", help="write tour.md and the figures into DIR")
    tour.add_argument("--only", nargs="+", metavar="NAME", help="run only these estimators")
    tour.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    tour.set_defaults(func=_tour)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
