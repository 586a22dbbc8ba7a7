"""k-means as EM with hard responsibilities (concept map row 29).

The notes: "E step: assign each point to the nearest centroid; M step: update the centroids". That
is the EM loop of :mod:`sklearn_notes.mixture._em` with a posterior ``q`` that puts all its mass on
one cluster, and the objective the (weighted) inertia

.. math:: J(c, z) = \\sum_i w_i \\, \\lVert x_i - c_{z_i} \\rVert^2 .

1. **E-step** (``z`` with ``c`` fixed): ``z_i = argmin_k ||x_i - c_k||^2``, with the squared
   distances computed through BLAS as ``||x||^2 - 2 x.c + ||c||^2`` in row chunks so memory stays
   bounded. Blocks of rows run on numba's threads, each with its own sums, added in block order
   so that the fit does not depend on the number of threads.
2. **M-step** (``c`` with ``z`` fixed): ``c_k = sum_i w_i [z_i = k] x_i / sum_i w_i [z_i = k]``,
   i.e. the GMM mean update ``R^T X / R^T 1`` with one-hot responsibilities ``R``. Those sums are
   gathered in the E-step's pass over the data (a small numba loop after the BLAS product). A
   cluster left empty is moved onto the point farthest from its centroid.

A scipy CSR matrix is never densified: its E-step is one serial numba pass over the stored values.

Each step minimizes ``J`` over one block of variables, so the inertia never increases.
"""

import numbers
import os
import warnings

import numba
import numpy as np
import scipy.sparse
from sklearn.base import (
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import row_norms, safe_sparse_dot
from sklearn.utils.sparsefuncs import mean_variance_axis
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._fit_guard import atomic_fit
from ..utils._threads import limit_blas
from ..utils._validation import check_sample_weight
from ._em import BaseEM

__all__ = ["KMeansEM", "kmeans_plusplus"]

# Rows per chunk of the distance computation: the (chunk, n_clusters) block stays in cache
# (scikit-learn's Lloyd uses 256 too).
_CHUNK_ROWS = 256
# Row blocks of the parallel E-step: enough for 64 threads, independent of the thread count so
# that results are too; their accumulators stay under 2**22 floats (32 MB).
_MAX_BLOCKS = 64
# A block has at least this many rows: below it the work (~20 ns a row) does not pay for waking
# the threads, and small data run serially.
_MIN_BLOCK_ROWS = 1024
_BLOCK_SUMS_ELEMENTS = 2**22
# Data whose largest |value| lies outside this range is divided by a power of two first, so that
# squared distances summed over samples and features neither overflow nor underflow.
_LARGEST_UNSCALED = 2.0**250
_SMALLEST_UNSCALED = 2.0**-250


# --- the mathematics: pure functions of arrays ------------------------------------------------


def _as_data(X):
    """A float64 ndarray, or a canonical float64 CSR matrix (sorted indices, no stored zeros)."""
    if not scipy.sparse.issparse(X):
        return np.asarray(X, dtype=np.float64)
    X = scipy.sparse.csr_matrix(X, dtype=np.float64)
    if not X.has_canonical_format or np.any(X.data == 0):
        X = X.copy()
        X.sum_duplicates()
        X.eliminate_zeros()
    return X


def _dense_rows(X, rows):
    """``X[rows]`` as a new dense array (a few rows: seeds and candidates)."""
    picked = X[rows]
    return picked.toarray() if scipy.sparse.issparse(picked) else picked.copy()


def squared_distances(X, centers, x_squared_norms=None):
    """Squared Euclidean distances ``||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2``, clipped at 0.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    centers : {ndarray, sparse matrix} of shape (n_centers, n_features)
    x_squared_norms : ndarray of shape (n_samples,), optional
        Precomputed ``||x||^2``.

    Returns
    -------
    distances : ndarray of shape (n_samples, n_centers)
    """
    if x_squared_norms is None:
        x_squared_norms = row_norms(X, squared=True)
    D = safe_sparse_dot(X, centers.T, dense_output=True)
    D *= -2.0
    D += x_squared_norms[:, None]
    D += row_norms(centers, squared=True)
    np.maximum(D, 0.0, out=D)
    return D


@numba.njit(cache=True, nogil=True)
def _nearest_and_sums(
    X, centers_t, c_sq, x_sq, w, labels, min_distances, sums, weights, start, stop, block
):  # pragma: no cover
    """E-step of rows ``start:stop``, chunk by chunk, adding their ``R^T X`` and ``R^T 1``.

    Per chunk of ``len(block)`` rows: ``X C^T`` by one BLAS product into ``block`` (cache
    resident), then the argmin of ``||c||^2 - 2 x.c`` (first centroid on ties), the distance
    ``||x - c||^2`` and ``w_i x_i``, ``w_i`` added to the chosen cluster while the rows are still
    in cache (what scikit-learn's Cython Lloyd does).
    """
    K = centers_t.shape[1]
    d = X.shape[1]
    chunk = block.shape[0]
    for first in range(start, stop, chunk):
        last = min(first + chunk, stop)
        XC = block[: last - first]
        np.dot(X[first:last], centers_t, XC)
        for r in range(last - first):
            i = first + r
            best = c_sq[0] - 2.0 * XC[r, 0]
            label = 0
            for k in range(1, K):
                value = c_sq[k] - 2.0 * XC[r, k]
                if value < best:
                    best = value
                    label = k
            labels[i] = label
            distance = best + x_sq[i]
            min_distances[i] = distance if distance > 0.0 else 0.0
            wi = w[i]
            weights[label] += wi
            for j in range(d):
                sums[label, j] += wi * X[i, j]


@numba.njit(cache=True, parallel=True)
def _blocks_in_parallel(
    X, centers_t, c_sq, x_sq, w, labels, min_distances, block_sums, block_weights, chunk
):  # pragma: no cover
    """:func:`_nearest_and_sums` over ``len(block_sums)`` contiguous row blocks, on numba's threads.

    Each block has its own accumulators, local while it runs: blocks writing to neighbouring rows
    of ``block_sums`` would share cache lines between threads (false sharing).
    """
    n, d = X.shape
    K = centers_t.shape[1]
    n_blocks = block_sums.shape[0]
    for b in numba.prange(n_blocks):
        local_sums = np.zeros((K, d))
        local_weights = np.zeros(K)
        _nearest_and_sums(
            X, centers_t, c_sq, x_sq, w, labels, min_distances, local_sums, local_weights,
            b * n // n_blocks, (b + 1) * n // n_blocks, np.empty((chunk, K)),
        )  # fmt: skip
        block_sums[b] = local_sums
        block_weights[b] = local_weights


@numba.njit(cache=True, nogil=True)
def _nearest_and_sums_csr(
    data, indices, indptr, centers_t, c_sq, x_sq, w, labels, min_distances, sums, weights
):  # pragma: no cover
    """:func:`_nearest_and_sums` for a CSR matrix: ``x.c`` and ``w_i x_i`` over stored entries.

    ``centers_t`` is (n_features, n_clusters), so the K products of one entry read one row.
    """
    K = centers_t.shape[1]
    dots = np.empty(K)
    for i in range(len(indptr) - 1):
        dots[:] = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            value = data[p]
            row = centers_t[indices[p]]
            for k in range(K):
                dots[k] += value * row[k]
        best = c_sq[0] - 2.0 * dots[0]
        label = 0
        for k in range(1, K):
            value = c_sq[k] - 2.0 * dots[k]
            if value < best:
                best = value
                label = k
        labels[i] = label
        distance = best + x_sq[i]
        min_distances[i] = distance if distance > 0.0 else 0.0
        wi = w[i]
        weights[label] += wi
        for p in range(indptr[i], indptr[i + 1]):
            sums[label, indices[p]] += wi * data[p]


# The process whose numba threads ran the E-step. GNU OpenMP (numba's usual threading layer, and
# scikit-learn's) cannot run in a child forked from a process that used it: numba terminates such
# a child. A forked child therefore runs the same blocks one after the other.
_PARALLEL_PID = []


def _parallel_allowed():
    pid = os.getpid()
    if not _PARALLEL_PID:
        _PARALLEL_PID.append(pid)
    return _PARALLEL_PID[0] == pid


def assign_nearest(X, centers, x_squared_norms, sample_weight=None):
    """The k-means E-step: nearest centroid of every sample, its squared distance, and the sums.

    The distances ``||x||^2 - 2 x.c + ||c||^2`` take one BLAS product per chunk of
    ``_CHUNK_ROWS`` rows; ``||x||^2`` does not change the argmin and is added to the minimum only.
    Blocks of rows run on numba's threads (scikit-learn's KMeans runs the same pass with OpenMP),
    each with its own sums, added in block order: the result does not depend on the number of
    threads, only on the number of blocks (a function of the data's shape).

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
        A CSR matrix is walked serially, entry by entry.
    centers : ndarray of shape (n_clusters, n_features)
    x_squared_norms : ndarray of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,), optional
        Ones by default.

    Returns
    -------
    labels : ndarray of shape (n_samples,), dtype intp
    min_distances : ndarray of shape (n_samples,)
        ``||x_i - c_{labels_i}||^2`` (clipped at 0 against round-off).
    sums : ndarray of shape (n_clusters, n_features)
        ``R^T X``: ``sum_i w_i [labels_i = k] x_i``, the M-step's statistic.
    weights : ndarray of shape (n_clusters,)
        ``R^T 1``: ``sum_i w_i [labels_i = k]``.
    """
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    if sample_weight is None:
        sample_weight = np.ones(n_samples)
    labels = np.empty(n_samples, dtype=np.intp)
    min_distances = np.empty(n_samples)
    if scipy.sparse.issparse(X):  # one serial pass over the stored entries
        sums, weights = np.zeros((n_clusters, n_features)), np.zeros(n_clusters)
        _nearest_and_sums_csr(
            X.data, X.indices, X.indptr, np.ascontiguousarray(centers.T),
            row_norms(centers, squared=True), x_squared_norms, sample_weight, labels,
            min_distances, sums, weights,
        )  # fmt: skip
        return labels, min_distances, sums, weights
    # Per-block accumulators cost n_blocks * K * d floats: bounded by _BLOCK_SUMS_ELEMENTS.
    n_blocks = min(
        _MAX_BLOCKS,
        n_samples // _MIN_BLOCK_ROWS,
        _BLOCK_SUMS_ELEMENTS // (n_clusters * n_features),
    )
    n_blocks = max(1, n_blocks)
    block_sums = np.zeros((n_blocks, n_clusters, n_features))
    block_weights = np.zeros((n_blocks, n_clusters))
    args = (
        X,
        np.ascontiguousarray(centers.T),
        np.einsum("ij,ij->i", centers, centers),
        x_squared_norms,
        sample_weight,
        labels,
        min_distances,
    )
    if n_blocks > 1 and _parallel_allowed():
        # As many threads as scikit-learn's OpenMP code would take (OMP_NUM_THREADS and
        # threadpoolctl's limits apply as they do to KMeans), and one BLAS thread in each: a
        # multi-threaded OpenBLAS called from inside the parallel region oversubscribes the cores.
        previous = numba.get_num_threads()
        numba.set_num_threads(min(numba.config.NUMBA_NUM_THREADS, _openmp_effective_n_threads()))
        try:
            with limit_blas(1):
                _blocks_in_parallel(*args, block_sums, block_weights, _CHUNK_ROWS)
        finally:
            numba.set_num_threads(previous)
    else:
        scratch = np.empty((_CHUNK_ROWS, n_clusters))
        for b in range(n_blocks):
            rows = (b * n_samples // n_blocks, (b + 1) * n_samples // n_blocks)
            _nearest_and_sums(*args, block_sums[b], block_weights[b], *rows, scratch)
    return labels, min_distances, block_sums.sum(axis=0), block_weights.sum(axis=0)


def hard_responsibilities(labels, sample_weight, n_clusters):
    """The sparse (n_samples, n_clusters) matrix ``R`` with ``w_i`` at ``(i, labels_i)``.

    k-means' posterior: GMM responsibilities with all mass on one cluster. ``R^T X`` and ``R^T 1``
    are the M-step's statistics (:func:`assign_nearest` gathers the same sums in its pass).
    """
    n_samples = len(labels)
    return scipy.sparse.csr_array(
        (sample_weight, labels, np.arange(n_samples + 1)), shape=(n_samples, n_clusters)
    )


def update_centroids(X, labels, min_distances, sample_weight, sums, weights, old_centers):
    """The k-means M-step: ``c_k = (R^T X)_k / (R^T 1)_k``, empty clusters relocated.

    A cluster with zero weight is moved onto the positively weighted sample farthest from its own
    centroid (that sample leaves its old cluster), which lowers the inertia rather than wasting the
    centroid. Samples already on their centroid are not moved (with duplicates there may be more
    clusters than distinct points); a cluster left empty keeps its old centre, as in scikit-learn.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    labels : ndarray of shape (n_samples,)
    min_distances : ndarray of shape (n_samples,)
        Squared distance of each sample to its assigned centroid (from the E-step).
    sample_weight : ndarray of shape (n_samples,)
    sums : ndarray of shape (n_clusters, n_features)
        ``R^T X`` (see :func:`hard_responsibilities`).
    weights : ndarray of shape (n_clusters,)
        ``R^T 1``.
    old_centers : ndarray of shape (n_clusters, n_features)
        The centres of the E-step.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    """
    sums = sums.copy()
    weights = weights.copy()
    empty = np.flatnonzero(weights <= 0)
    if empty.size:
        # Farthest positively weighted samples first; each leaves its cluster for an empty one.
        candidates = np.where((sample_weight > 0) & (min_distances > 0), min_distances, -np.inf)
        far = np.argsort(-candidates, kind="stable")[: empty.size]
        far = far[np.isfinite(candidates[far])]
        for k, i in zip(empty, far):
            old = labels[i]
            x = _dense_rows(X, [i])[0]
            sums[old] -= sample_weight[i] * x
            weights[old] -= sample_weight[i]
            sums[k] = sample_weight[i] * x
            weights[k] = sample_weight[i]
    centers = old_centers.copy()
    filled = weights > 0
    centers[filled] = sums[filled] / weights[filled, None]
    return centers


def _canonical_order(X):
    """Row order that depends on the rows' values only (lexicographic, stable).

    Seeding draws from the weighted empirical distribution; walking it in this order makes the draw
    a function of the distribution, not of the row order or of how weight is spread over duplicate
    rows: a sample of weight 3 and three copies of it cover the same stretch of the cumulative sum.
    A CSR matrix (canonical: sorted indices, no explicit zeros) gets the order of its dense rows.
    """
    if scipy.sparse.issparse(X):
        order = np.arange(X.shape[0])
        return _merge_sort_csr_rows(X.data, X.indices, X.indptr, order, np.empty_like(order))
    return np.lexsort(X.T[::-1])


@numba.njit(cache=True)
def _compare_csr_rows(data, indices, indptr, a, b):  # pragma: no cover
    """-1, 0 or 1 as dense row ``a`` is lexicographically below, equal to or above row ``b``.

    Walk both rows' stored entries in column order; at the first column where they differ, a
    missing entry is a 0.
    """
    i, i_end, j, j_end = indptr[a], indptr[a + 1], indptr[b], indptr[b + 1]
    while i < i_end or j < j_end:
        col_a = indices[i] if i < i_end else -1
        col_b = indices[j] if j < j_end else -1
        if col_a == col_b:
            if data[i] != data[j]:
                return -1 if data[i] < data[j] else 1
            i += 1
            j += 1
        elif col_b == -1 or (col_a != -1 and col_a < col_b):  # b is 0 at col_a
            return -1 if data[i] < 0.0 else 1
        else:  # a is 0 at col_b
            return -1 if data[j] > 0.0 else 1
    return 0


@numba.njit(cache=True)
def _merge_sort_csr_rows(data, indices, indptr, order, buffer):  # pragma: no cover
    """Stable bottom-up merge sort of ``order`` by :func:`_compare_csr_rows` (np.lexsort order)."""
    n = len(order)
    width = 1
    while width < n:
        for left in range(0, n, 2 * width):
            mid, right = min(left + width, n), min(left + 2 * width, n)
            i, j, k = left, mid, left
            while i < mid and j < right:
                if _compare_csr_rows(data, indices, indptr, order[j], order[i]) < 0:
                    buffer[k] = order[j]
                    j += 1
                else:  # ties keep the left (earlier) row first: stable
                    buffer[k] = order[i]
                    i += 1
                k += 1
            buffer[k : k + mid - i] = order[i:mid]
            k += mid - i
            buffer[k : k + right - j] = order[j:right]
        order, buffer = buffer, order
        width *= 2
    return order


def _draw(cumulative, u):
    """Indices ``i`` with ``cumulative[i-1] <= u < cumulative[i]``: zero widths are never drawn."""
    return np.minimum(np.searchsorted(cumulative, u, side="right"), len(cumulative) - 1)


def kmeans_plusplus(
    X,
    n_clusters,
    *,
    sample_weight=None,
    x_squared_norms=None,
    random_state=None,
    n_local_trials=None,
    order=None,
):
    """Greedy k-means++ seeding, weighted.

    1. Draw the first center with probability proportional to ``w_i``.
    2. For each further center, draw ``n_local_trials`` candidates with probability proportional to
       ``w_i D(x_i)^2`` (``D``: distance to the nearest chosen center) and keep the candidate that
       lowers the potential ``sum_i w_i D(x_i)^2`` the most (Arthur & Vassilvitskii's greedy
       variant, as in scikit-learn).

    Draws walk the samples in lexicographic order (see :func:`_canonical_order`), so an integer
    weight and repeated rows give the same centers.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    n_clusters : int
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights; ones by default.
    x_squared_norms : ndarray of shape (n_samples,), optional
        Precomputed ``||x||^2``.
    random_state : int, RandomState instance or None
    n_local_trials : int, optional
        Candidates per center; ``2 + int(log(n_clusters))`` by default.
    order : ndarray of shape (n_samples,), optional
        Precomputed canonical order (:func:`_canonical_order`).

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    indices : ndarray of shape (n_clusters,)
        Row of ``X`` of each center.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.mixture import kmeans_plusplus
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0], [10.1, 10.0]])
    >>> centers, indices = kmeans_plusplus(X, 2, random_state=0)
    >>> sorted(int(i) // 2 for i in indices)  # one seed in each far-apart pair
    [0, 1]
    """
    X = _as_data(X)
    n_samples = X.shape[0]
    if n_samples < n_clusters:
        raise ValueError(f"n_samples={n_samples} should be >= n_clusters={n_clusters}.")
    w = check_sample_weight(sample_weight, X)
    if x_squared_norms is None:
        x_squared_norms = row_norms(X, squared=True)
    elif len(x_squared_norms) != n_samples:
        raise ValueError(
            f"The length of x_squared_norms {len(x_squared_norms)} should be equal to the "
            f"length of n_samples {n_samples}."
        )
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    elif n_local_trials <= 0:
        raise ValueError(
            f"n_local_trials is set to {n_local_trials} but should be an integer value greater "
            "than zero."
        )
    random_state = check_random_state(random_state)
    if order is None:
        order = _canonical_order(X)
    Xs, ws, x_sq = X[order], w[order], x_squared_norms[order]

    chosen = np.empty(n_clusters, dtype=np.intp)
    # 1. First center ~ w.
    chosen[0] = _draw(np.cumsum(ws), random_state.uniform(size=1) * ws.sum())[0]
    closest = squared_distances(_dense_rows(Xs, chosen[:1]), Xs, x_sq[chosen[:1]])[0]
    potential = ws @ closest
    # 2. Next centers ~ w D^2, best of n_local_trials.
    for c in range(1, n_clusters):
        u = random_state.uniform(size=n_local_trials) * potential
        candidates = _draw(np.cumsum(ws * closest), u)
        D = squared_distances(_dense_rows(Xs, candidates), Xs, x_sq[candidates])
        np.minimum(closest, D, out=D)
        potentials = D @ ws
        best = int(np.argmin(potentials))
        chosen[c] = candidates[best]
        closest = D[best]
        potential = potentials[best]
    indices = order[chosen]
    return _dense_rows(X, indices), indices


# --- the estimator -----------------------------------------------------------------------------


def _max_abs(a):
    values = a.data if scipy.sparse.issparse(a) else a
    return float(np.max(np.abs(values), initial=0.0))


def _power_of_two_scale(*arrays):
    """``2**e`` bringing the largest ``|value|`` near 1 where squares would overflow or underflow.

    k-means is scale-equivariant; dividing by a power of two is exact, so the fit of ``X / s`` is
    the fit of ``X`` with its squared distances kept inside float64's range. 1 for ordinary data.
    """
    largest = max(_max_abs(a) for a in arrays)
    if largest == 0.0 or _SMALLEST_UNSCALED < largest < _LARGEST_UNSCALED:
        return 1.0
    return float(2.0 ** np.frexp(largest)[1])


class _KMeansData:
    """What every iteration and restart shares: the data, ``||x||^2``, the seeding order."""

    def __init__(self, X):
        self.X_given = X
        self.scale = _power_of_two_scale(X)
        self.X = _as_data(X if self.scale == 1.0 else X / self.scale)
        self.x_squared_norms = row_norms(self.X, squared=True)
        self._order = None

    @property
    def order(self):
        if self._order is None:
            self._order = _canonical_order(self.X)
        return self._order


class KMeansEM(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEM):
    """k-means clustering: EM with hard responsibilities (Lloyd's algorithm).

    The E-step assigns every sample to its nearest centroid, the M-step moves every centroid to the
    weighted mean of its samples; both lower the inertia ``sum_i w_i ||x_i - c_{z_i}||^2``, which is
    the negated EM objective. The loop, restarts and convergence test are :class:`BaseEM`'s, shared
    with :class:`~sklearn_notes.mixture.GMMEM`.

    Parameters
    ----------
    n_clusters : int, default=8
        Number of clusters.
    init : {"k-means++", "random"}, callable or array-like, default="k-means++"
        ``"k-means++"``: greedy weighted k-means++ seeding (:func:`kmeans_plusplus`); ``"random"``:
        ``n_clusters`` distinct samples drawn with probability proportional to their weight; a
        callable ``init(X, n_clusters, random_state=random_state)`` returning the centers; an
        array of shape (n_clusters, n_features): the initial centers.
    n_init : "auto" or int, default="auto"
        Number of initializations; the one with the lowest final inertia is kept. ``"auto"``: 1 for
        ``"k-means++"`` or an array, 10 for ``"random"`` or a callable.
    max_iter : int, default=300
        Maximum number of EM iterations of one initialization.
    tol : float, default=1e-4
        Convergence when the centre shift of an iteration, ``sum_k ||c_k - c_k^old||^2``, is at
        most ``tol`` times the mean variance of the features (scikit-learn's criterion, so ``tol``
        is scale-free); ``tol=0`` stops once the assignment no longer changes.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization.
    verbose : int, default=0
        1: one line per initialization; 2: one line per iteration.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        Centroids.
    labels_ : ndarray of shape (n_samples,)
        Cluster of each training sample (consistent with ``cluster_centers_``).
    inertia_ : float
        Weighted sum of squared distances of the samples to their centroid.
    inertia_history_ : ndarray of shape (n_iter_ + 1,)
        Inertia at the initial centers and after every iteration of the kept initialization;
        non-increasing, and ``inertia_history_[-1] == inertia_``.
    n_iter_ : int
        Number of iterations of the kept initialization.
    converged_ : bool
        Whether the kept initialization converged before ``max_iter``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    GMMEM : The soft-assignment model on the same EM engine.
    sklearn.cluster.KMeans : scikit-learn's Lloyd / Elkan implementation.

    References
    ----------
    .. [1] S. Lloyd, "Least squares quantization in PCM", IEEE Trans. Inf. Theory 28(2), 1982.
    .. [2] D. Arthur and S. Vassilvitskii, "k-means++: the advantages of careful seeding",
       SODA 2007.
    .. [3] C. M. Bishop, "Pattern Recognition and Machine Learning", section 9.1, Springer, 2006.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.mixture import KMeansEM
    >>> X = np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 0.0], [10.0, 2.0], [10.0, 4.0], [10.0, 0.0]])
    >>> km = KMeansEM(n_clusters=2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    >>> float(km.inertia_)
    16.0
    >>> bool(km.predict([[0.0, 0.0]])[0] == km.predict([[1.0, 1.0]])[0])
    True
    """

    _parameter_constraints = {
        "n_clusters": [Interval(numbers.Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random"}), callable, "array-like"],
        "n_init": [StrOptions({"auto"}), Interval(numbers.Integral, 1, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_clusters=8,
        *,
        init="k-means++",
        n_init="auto",
        max_iter=300,
        tol=1e-4,
        random_state=None,
        verbose=0,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    # --- EM hooks ------------------------------------------------------------------------------

    def _n_restarts(self):
        if isinstance(self.init, str) or callable(self.init):
            if self.n_init == "auto":
                return 1 if isinstance(self.init, str) and self.init == "k-means++" else 10
            return self.n_init
        if self.n_init not in ("auto", 1):
            warnings.warn(
                "Explicit initial center position passed: performing only one init in "
                f"{type(self).__name__} instead of n_init={self.n_init}.",
                RuntimeWarning,
                stacklevel=4,
            )
        return 1

    def _initialize(self, data, sample_weight, random_state):
        X = data.X
        if isinstance(self.init, str) and self.init == "k-means++":
            centers, _ = kmeans_plusplus(
                X,
                self.n_clusters,
                sample_weight=sample_weight,
                x_squared_norms=data.x_squared_norms,
                random_state=random_state,
                order=data.order,
            )
            return centers
        if isinstance(self.init, str):  # "random": distinct samples, drawn in proportion to weight
            order = data.order
            p = sample_weight[order] / sample_weight.sum()
            n_positive = np.count_nonzero(p)
            if n_positive < self.n_clusters:
                raise ValueError(
                    f"init='random' needs n_clusters={self.n_clusters} samples with positive "
                    f"weight; got {n_positive}."
                )
            picks = random_state.choice(X.shape[0], size=self.n_clusters, replace=False, p=p)
            return _dense_rows(X, order[picks])
        if callable(self.init):  # called on the data as given, its centres scaled like the data
            centers = self.init(data.X_given, self.n_clusters, random_state=random_state)
            what = "init callable's result"
        else:
            centers = self.init
            what = "init array"
        centers = np.array(centers, dtype=np.float64, copy=True)
        if centers.ndim != 2 or centers.shape[0] != self.n_clusters:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} ({what}) does not match the "
                f"number of clusters {self.n_clusters}."
            )
        if centers.shape[1] != X.shape[1]:
            raise ValueError(
                f"The shape of the initial centers {centers.shape} ({what}) does not match the "
                f"number of features of the data {X.shape[1]}."
            )
        if not np.all(np.isfinite(centers)):
            raise ValueError(f"{what} contains NaN or infinity.")
        return centers / data.scale

    def _e_step(self, data, sample_weight, centers):
        # resp = (labels, min_distances, R^T X, R^T 1, centers): the hard posterior, its
        # statistics, and the centres it was computed at (an empty cluster keeps its centre).
        resp = assign_nearest(data.X, centers, data.x_squared_norms, sample_weight)
        return (*resp, centers), -float(sample_weight @ resp[1])

    def _m_step(self, data, sample_weight, resp):
        labels, min_distances, sums, weights, centers = resp
        return update_centroids(
            data.X, labels, min_distances, sample_weight, sums, weights, centers
        )

    def _prepare(self, X, sample_weight):
        return _KMeansData(X)

    def _objective_scale(self, data, sample_weight):
        # scikit-learn's scale: the mean of the (unweighted) feature variances.
        if scipy.sparse.issparse(data.X):
            return float(np.mean(mean_variance_axis(data.X, axis=0)[1]))
        return float(np.mean(np.var(data.X, axis=0)))

    def _change(self, old_centers, old_resp, centers, resp, objective_change):
        # The centre shift sum_k ||c_k - c_k^old||^2, as in scikit-learn. An assignment that no
        # longer changes gives the same centres at the next M-step, a shift of exactly 0.
        return float(np.sum((centers - old_centers) ** 2))

    # --- public API ----------------------------------------------------------------------------

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Compute k-means clustering by EM.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a weight of ``m`` acts like ``m`` copies of the sample.

        Returns
        -------
        self : KMeansEM
            Fitted estimator.
        """
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, order="C")
        sample_weight = check_sample_weight(sample_weight, X)
        if X.shape[0] < self.n_clusters:
            raise ValueError(f"n_samples={X.shape[0]} should be >= n_clusters={self.n_clusters}.")
        run = self._fit_em(X, sample_weight)
        scale = _power_of_two_scale(X)  # the engine fitted X / scale (see _KMeansData)
        inertia_history = _unscaled_inertia(-np.asarray(run.history), scale)
        labels = run.resp[0]
        n_distinct = len(np.unique(labels))
        if n_distinct < self.n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({n_distinct}) found smaller than n_clusters "
                f"({self.n_clusters}). Possibly due to duplicate points in X.",
                ConvergenceWarning,
                stacklevel=4,
            )
        self.cluster_centers_ = run.params * scale
        self.labels_ = labels
        self.inertia_ = float(inertia_history[-1])
        self.inertia_history_ = inertia_history
        self.n_iter_ = run.n_iter
        self.converged_ = run.converged
        self._n_features_out = self.n_clusters
        return self

    def _scaled(self, X):
        """``X`` and the centres divided by one power of two that keeps their squares finite."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False, order="C")
        scale = _power_of_two_scale(X, self.cluster_centers_)
        if scale == 1.0:
            return _as_data(X), self.cluster_centers_, scale
        return _as_data(X / scale), self.cluster_centers_ / scale, scale

    def predict(self, X):
        """Index of the nearest centroid of each sample (the E-step).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        X, centers, _ = self._scaled(X)
        return assign_nearest(X, centers, row_norms(X, squared=True))[0]

    def transform(self, X):
        """Euclidean distance of each sample to each centroid.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters)
        """
        X, centers, scale = self._scaled(X)
        with np.errstate(over="ignore"):
            distances = np.sqrt(squared_distances(X, centers)) * scale
        if not np.all(np.isfinite(distances)):
            raise ValueError("A distance to a centroid overflows float64 (overflow); scale X down.")
        return distances

    def score(self, X, y=None, sample_weight=None):
        """Opposite of the inertia of ``X`` under the fitted centroids (higher is better).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.

        Returns
        -------
        score : float
            ``-sum_i w_i min_k ||x_i - c_k||^2``.
        """
        X, centers, scale = self._scaled(X)
        sample_weight = check_sample_weight(sample_weight, X)
        min_distances = assign_nearest(X, centers, row_norms(X, squared=True))[1]
        return -float(_unscaled_inertia(sample_weight @ min_distances, scale))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _unscaled_inertia(inertia, scale):
    """``inertia * scale**2``: the inertia of the data before :func:`_power_of_two_scale`."""
    with np.errstate(over="ignore"):
        inertia = np.asarray(inertia, dtype=np.float64) * scale * scale
    if not np.all(np.isfinite(inertia)):
        raise ValueError(
            "The inertia (a sum of squared distances) overflows float64 (overflow); scale X down."
        )
    return inertia
