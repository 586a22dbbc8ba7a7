"""Command line: ``sklearn-notes tour [--quick] [--out DIR] [--only NAME ...]`` (also
``python -m sklearn_notes``). With ``--out``, the tour writes ``tour.md`` and a self-contained
``tour.html`` report beside the figures."""

import argparse
import os
import sys

__all__ = ["main"]


def _tour(args):
    from ._tour import collect_entries, format_html, format_table, run_tour

    entries = collect_entries()
    if args.only:
        valid = sorted({e.name for e in entries})
        unknown = sorted(set(args.only) - set(valid))
        if unknown:
            print(
                f"sklearn-notes tour: unknown name(s) {', '.join(unknown)}; "
                f"valid names: {', '.join(valid)}",
                file=sys.stderr,
            )
            return 2
        entries = [e for e in entries if e.name in args.only]
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
        report = os.path.join(args.out, "tour.html")
        with open(report, "w", encoding="utf-8") as f:
            f.write(format_html(rows))
        print(f"\nWrote {path} and {report}")
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
    tour.add_argument(
        "--out", metavar="DIR", help="write tour.md, tour.html and the figures into DIR"
    )
    tour.add_argument("--only", nargs="+", metavar="NAME", help="run only these estimators")
    tour.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    tour.set_defaults(func=_tour)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
