"""The tour: fit every exported estimator on data that scikit-learn ships, next to its counterpart.

Each family contributes rows by defining ``TOUR`` (a list of :class:`TourEntry`) in its private
module ``sklearn_notes/<family>/_tour.py``; :func:`collect_entries` discovers them, so adding a row is
one edit in the family that owns it. :func:`run_tour` fits the entries, times ours against the
reference, and returns :class:`TourRow` results that :func:`format_table` renders as text or Markdown.
"""

import base64
import contextlib
import html
import importlib
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from .utils._discovery import family_modules

__all__ = [
    "DATASETS",
    "TourEntry",
    "TourRow",
    "collect_entries",
    "format_html",
    "format_table",
    "run_tour",
]


# --- data --------------------------------------------------------------------------------------


def _moons(random_state):
    return datasets.make_moons(n_samples=600, noise=0.25, random_state=random_state)


def _blobs(random_state):
    return datasets.make_blobs(
        n_samples=1500, centers=4, cluster_std=1.5, random_state=random_state
    )


def _loader(load):
    return lambda random_state: load(return_X_y=True)


#: Dataset name -> callable(random_state) returning (X, y). Only data shipped with scikit-learn or
#: generated, so the tour runs offline.
DATASETS = {
    "iris": _loader(datasets.load_iris),
    "digits": _loader(datasets.load_digits),
    "breast_cancer": _loader(datasets.load_breast_cancer),
    "diabetes": _loader(datasets.load_diabetes),
    "moons": _moons,
    "blobs": _blobs,
}


# --- entries and rows --------------------------------------------------------------------------


@dataclass(frozen=True)
class TourEntry:
    """One row of the tour, contributed by a family.

    Parameters
    ----------
    name : str
        Display name of our estimator (usually its class name).
    dataset : str
        A key of :data:`DATASETS`.
    make : callable(quick: bool) -> estimator
        Builds our (unfitted) estimator; ``quick`` asks for settings that fit in seconds.
    reference : callable(quick: bool) -> estimator or None
        Builds the scikit-learn counterpart, or ``None`` when there is none.
    score : callable(estimator, X_test, y_test) -> float, optional
        Score on the held-out split; defaults to ``estimator.score(X_test, y_test)``.
    score_name : str, default="score"
        What ``score`` measures (shown in the table), e.g. ``"accuracy"`` or ``"R^2"``.
    preprocess : callable(X, y) -> (X, y), optional
        Applied to the whole dataset before splitting (e.g. standardization, discretization).
    figure : callable(estimator, X, y, path), optional
        Draws a figure of the fitted estimator into ``path`` (a ``.png``) for ``--out``.
    """

    name: str
    dataset: str
    make: Callable
    reference: Callable | None = None
    score: Callable | None = None
    score_name: str = "score"
    preprocess: Callable | None = None
    figure: Callable | None = None


@dataclass
class TourRow:
    """Result of one :class:`TourEntry`: scores, fit times and, on failure, the error."""

    name: str
    dataset: str
    score_name: str
    score: float = float("nan")
    reference_score: float = float("nan")
    fit_time: float = float("nan")
    reference_fit_time: float = float("nan")
    error: str | None = None
    figures: list = field(default_factory=list)

    @property
    def time_ratio(self):
        """Our fit time divided by the reference's (nan without a reference)."""
        return self.fit_time / self.reference_fit_time


def collect_entries():
    """Gather the ``TOUR`` lists of every family that defines a ``_tour`` module.

    Returns
    -------
    entries : list of TourEntry
    """
    entries = []
    for family in family_modules():
        try:
            module = importlib.import_module(f"{family.__name__}._tour")
        except ModuleNotFoundError as exc:
            if exc.name != f"{family.__name__}._tour":
                raise
            continue
        entries.extend(module.TOUR)
    return entries


def _timed_fit(estimator, X, y):
    """Fit and return the time taken; a fit under a second is repeated and the faster run kept,
    so that one-time costs (numba compilation or cache loading, lazy imports) are not counted."""
    times = []
    for _ in range(2):
        start = time.perf_counter()
        estimator.fit(X, y)
        times.append(time.perf_counter() - start)
        if times[0] >= 1.0:
            break
    return min(times)


def _score(entry, estimator, X, y):
    if entry.score is not None:
        return float(entry.score(estimator, X, y))
    return float(estimator.score(X, y))


def run_tour(entries=None, *, quick=False, out=None, random_state=0, progress=True):
    """Fit every entry and its reference on a train split and score both on the test split.

    Parameters
    ----------
    entries : list of TourEntry, optional
        Defaults to :func:`collect_entries`.
    quick : bool, default=False
        Ask every entry for its quick settings (the whole tour then runs in about a minute).
    out : str or path-like, optional
        Folder for the figures that entries draw.
    random_state : int, default=0
        Seed of the data generators and the train/test split.
    progress : bool, default=True
        Show a progress bar (tqdm, on stderr).

    Returns
    -------
    rows : list of TourRow
        One per entry; an entry that raised has ``error`` set and the tour carries on.
    """
    if entries is None:
        entries = collect_entries()
    unknown = sorted({e.dataset for e in entries} - set(DATASETS))
    if unknown:
        raise ValueError(f"Unknown tour dataset(s) {unknown}; known: {sorted(DATASETS)}.")
    from tqdm.auto import tqdm

    rows = []
    cache = {}
    with warnings.catch_warnings():
        # Quick settings stop training early on purpose; the table, not a warning, says how well.
        warnings.simplefilter("ignore", ConvergenceWarning)
        for entry in tqdm(entries, desc="tour", unit="fit", disable=not progress):
            rows.append(_run_entry(entry, cache, quick, out, random_state))
    return rows


@contextlib.contextmanager
def _file_backend():
    """Draw into files with Agg, then give the caller (a notebook, say) its own backend back."""
    import matplotlib
    import matplotlib.pyplot as plt

    previous = matplotlib.rcParams._get_backend_or_none()  # None: not chosen yet, keep it so
    plt.switch_backend("Agg")
    try:
        yield
    finally:
        if previous is None:
            matplotlib.rcParams["backend"] = matplotlib.rcsetup._auto_backend_sentinel
        elif previous.lower() != "agg":
            plt.switch_backend(previous)


def _run_entry(entry, cache, quick, out, random_state):
    """Fit, score and draw one entry; an error is recorded in the row, not raised."""
    row = TourRow(entry.name, entry.dataset, entry.score_name)
    try:
        if entry.dataset not in cache:
            cache[entry.dataset] = DATASETS[entry.dataset](random_state)
        X, y = cache[entry.dataset]
        if entry.preprocess is not None:
            X, y = entry.preprocess(X, y)
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=random_state
        )
        ours = entry.make(quick)
        row.fit_time = _timed_fit(ours, X_train, y_train)
        row.score = _score(entry, ours, X_test, y_test)
        if entry.reference is not None:
            theirs = entry.reference(quick)
            # the reference is a yardstick: its own warnings (scikit-learn's or scipy's
            # deprecations on older versions) say nothing about our estimators
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                row.reference_fit_time = _timed_fit(theirs, X_train, y_train)
                row.reference_score = _score(entry, theirs, X_test, y_test)
        if out is not None and entry.figure is not None:
            path = os.path.join(out, f"{entry.name}_{entry.dataset}.png")
            with _file_backend():
                entry.figure(ours, X, y, path)
            row.figures.append(path)
    except Exception as exc:  # a broken row must not hide the others
        row.error = f"{type(exc).__name__}: {exc}"
    return row


def _fmt(value, spec):
    return "-" if value is None or not np.isfinite(value) else format(value, spec)


_HEADER = ["estimator", "dataset", "metric", "ours", "sklearn", "fit time ours/sklearn", "note"]


def _cells(rows):
    """The table's cells as strings, one list per row, in the order of ``_HEADER``."""
    return [
        [
            r.name,
            r.dataset,
            r.score_name,
            _fmt(r.score, ".4f"),
            _fmt(r.reference_score, ".4f"),
            _fmt(r.time_ratio, ".2f"),
            r.error or "",
        ]
        for r in rows
    ]


def format_table(rows, markdown=False):
    """Render tour rows as an aligned text table, or as a Markdown table.

    Parameters
    ----------
    rows : list of TourRow
    markdown : bool, default=False

    Returns
    -------
    table : str
    """
    header, body = _HEADER, _cells(rows)
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [max(len(str(c)) for c in col) for col in zip(header, *body)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(cells, widths)) for cells in body]
    return "\n".join(lines)


#: Marks the report's images as loaded, so that a headless browser's DOM shows whether they were.
_IMAGE_CHECK = """<script>
window.addEventListener("load", () => {
  const images = Array.from(document.images);
  const loaded = images.filter((img) => img.complete && img.naturalWidth > 0).length;
  document.body.dataset.images = images.length;
  document.body.dataset.imagesLoaded = loaded;
});
</script>"""


def format_html(rows, title="sklearn-notes tour"):
    """Render tour rows as one self-contained HTML page: the table, then every figure inline.

    The figures are embedded as base64 PNG data, so the page can be mailed or archived alone.

    Parameters
    ----------
    rows : list of TourRow
    title : str, default="sklearn-notes tour"

    Returns
    -------
    page : str
    """
    head = "".join(f"<th>{html.escape(h)}</th>" for h in _HEADER)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
        for row in _cells(rows)
    )
    figures = []
    for r in rows:
        for path in r.figures:
            with open(path, "rb") as f:
                data = base64.b64encode(f.read()).decode("ascii")
            caption = html.escape(f"{r.name} on {r.dataset}")
            figures.append(
                f'<figure><img src="data:image/png;base64,{data}" alt="{caption}">'
                f"<figcaption>{caption}</figcaption></figure>"
            )
    style = (
        "body{font-family:sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.3em .6em}"
        "td:nth-child(n+4):not(:last-child){text-align:right}"
        "figure{display:inline-block;margin:1em}img{max-width:28em}"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{style}</style>{_IMAGE_CHECK}</head>"
        f"<body><h1>{html.escape(title)}</h1><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table><h2>Figures</h2>{''.join(figures)}</body></html>\n"
    )
