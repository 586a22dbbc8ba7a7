"""Kernels of the notes' non-linear SVM (concept map rows 15-16).

The kernel trick: the dual of the SVM only needs inner products
:math:`K(x, x') = \\langle \\phi(x), \\phi(x') \\rangle`, so the feature map :math:`\\phi` never
has to be
built. The kernels of the notes, as scikit-learn (and libsvm) define them:

- linear: :math:`K(x, x') = x^\\top x'`
- polynomial: :math:`K(x, x') = (\\gamma\\, x^\\top x' + c_0)^d`
- RBF, also called Gaussian: :math:`K(x, x') = \\exp(-\\gamma \\lVert x - x' \\rVert^2)`
- sigmoid: :math:`K(x, x') = \\tanh(\\gamma\\, x^\\top x' + c_0)` -- not positive semi-definite in
  general,
  so it is not an inner product of any feature map (a "kernel" only by name).

Values come in blocks from :mod:`sklearn.metrics.pairwise` (matrix products through BLAS), never
pair
by pair.
"""

import numpy as np
from numba import njit
from sklearn.metrics.pairwise import (
    linear_kernel,
    polynomial_kernel,
    rbf_kernel,
    sigmoid_kernel,
)

from ..utils._threads import limit_blas

__all__ = ["KERNELS", "KernelRows", "kernel_matrix", "resolve_gamma"]

# Below this many multiply-adds a block is computed on one BLAS thread: waking threads costs more
# than the product (35x slower blocks measured for 300 x 300 x 64 on a busy 2-core machine).
SINGLE_THREAD_FLOPS = 2**24

#: Kernel names accepted by :class:`~sklearn_notes.svm.KernelSVC`; "gaussian" is the notes' name of
# RBF.
KERNELS = ("linear", "poly", "rbf", "gaussian", "sigmoid", "precomputed")


def resolve_gamma(gamma, X, sample_weight=None):
    """Turn ``gamma`` ("scale", "auto" or a number) into the number the kernel uses.

    ``"scale"`` is ``1 / (n_features * Var[X])`` as in scikit-learn's SVC, with the variance of all
    entries of ``X`` weighted by ``sample_weight``, so that a weight of 2 is the same as a repeated
    sample (and a weight of 0 the same as a removed one). ``"auto"`` is ``1 / n_features``.

    Parameters
    ----------
    gamma : {"scale", "auto"} or float
    X : ndarray of shape (n_samples, n_features)
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    gamma : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.svm._kernels import resolve_gamma
    >>> resolve_gamma("auto", np.zeros((3, 4)))
    0.25
    >>> X = np.array([[0.0, 2.0], [2.0, 0.0]])  # variance of the entries: 1
    >>> resolve_gamma("scale", X)
    0.5
    """
    n_features = X.shape[1]
    if gamma == "auto":
        return 1.0 / n_features
    if gamma == "scale":
        w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
        total = w.sum() * n_features
        mean = (w @ X).sum() / total
        var = (w @ ((X - mean) ** 2)).sum() / total
        return float(1.0 / (n_features * var)) if var > 0 else 1.0
    return float(gamma)


def kernel_matrix(X, Y, kernel, *, gamma=1.0, degree=3, coef0=0.0):
    """Kernel values between the rows of ``X`` and ``Y`` as one float64 block.

    Parameters
    ----------
    X : ndarray of shape (n_x, n_features)
    Y : ndarray of shape (n_y, n_features)
    kernel : {"linear", "poly", "rbf", "gaussian", "sigmoid"} or callable
        A callable is called as ``kernel(X, Y)`` and must return an ``(n_x, n_y)`` array.
    gamma : float, default=1.0
        Already resolved (see :func:`resolve_gamma`).
    degree : int, default=3
    coef0 : float, default=0.0

    Returns
    -------
    K : ndarray of shape (n_x, n_y), C-contiguous float64

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.svm._kernels import kernel_matrix
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0]])
    >>> K = kernel_matrix(X, X, "gaussian", gamma=1.0)
    >>> np.allclose(K, kernel_matrix(X, X, "rbf", gamma=1.0))
    True
    """
    if callable(kernel):
        K = np.asarray(kernel(X, Y), dtype=np.float64)
        if K.shape != (X.shape[0], Y.shape[0]):
            raise ValueError(
                f"The kernel callable returned shape {K.shape}; expected "
                f"({X.shape[0]}, {Y.shape[0]})."
            )
    elif kernel == "linear":
        K = linear_kernel(X, Y)
    elif kernel == "poly":
        K = polynomial_kernel(X, Y, degree=degree, gamma=gamma, coef0=coef0)
    elif kernel in ("rbf", "gaussian"):
        K = rbf_kernel(X, Y, gamma=gamma)
    elif kernel == "sigmoid":
        K = sigmoid_kernel(X, Y, gamma=gamma, coef0=coef0)
    else:
        raise ValueError(f"Unknown kernel {kernel!r}; use one of {KERNELS} or a callable.")
    return np.ascontiguousarray(K, dtype=np.float64)


class KernelRows:
    """Blocks ``K[rows][:, cols]`` of the training kernel, for the solver.

    Each block is one matrix product through BLAS followed by in-place elementwise passes (for RBF,
    ``exp(-gamma (|x|^2 + |x'|^2 - 2 x.x'))`` with the squared norms computed once), in ``dtype``:
    float32 halves the cost of the product and of the cache, as libsvm's float kernel cache does.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training data, or the training Gram matrix when ``kernel="precomputed"``.
    kernel, gamma, degree, coef0
        As in :func:`kernel_matrix` (``gamma`` resolved).
    dtype : {np.float32, np.float64}, default=np.float32
    index : ndarray of shape (n,), optional
        With ``kernel="precomputed"``: the samples of the problem are rows/columns ``index`` of the
        Gram matrix ``X`` (a sub-problem, e.g. one pair of classes, read without copying ``X``).
    """

    def __init__(self, X, kernel, *, gamma=1.0, degree=3, coef0=0.0, dtype=np.float32, index=None):
        self.kernel, self.gamma, self.degree, self.coef0 = kernel, gamma, degree, coef0
        self.dtype = dtype
        self.index = np.arange(X.shape[0]) if index is None else np.asarray(index, np.intp)
        if kernel == "precomputed" or callable(kernel):
            self.X = X
        else:
            self.X = np.ascontiguousarray(X, dtype=dtype)
            # The affine part of the kernel's argument is folded into the matrix product (scaled
            # rows, an extra column for coef0), K = A[rows] @ B[cols].T, which saves elementwise
            # passes over the block. Not the squared norms of rbf: with them inside the product,
            # the cancellation in |x|^2 + |x'|^2 - 2 x.x' depended on how BLAS tiles the block
            # (a repeated sample then got another kernel value, failing sklearn's sample-weight
            # equivalence check at 2e-7); outside, every entry is computed the same way.
            g, ones = dtype(gamma), np.ones((X.shape[0], 1), dtype=dtype)
            if kernel in ("rbf", "gaussian"):
                self.A, self.B = 2 * g * self.X, self.X
                self.sq_norms = g * np.einsum("ij,ij->i", self.X, self.X)
            elif kernel in ("poly", "sigmoid"):
                self.A = np.hstack([g * self.X, dtype(coef0) * ones])
                self.B = np.hstack([self.X, ones])
            else:
                self.A = self.B = self.X

    def __call__(self, rows, cols, out=None):
        X = self.X
        if self.kernel == "precomputed" or callable(self.kernel):
            if self.kernel == "precomputed":
                if out is None:
                    out = np.empty((len(rows), len(cols)), dtype=self.dtype)
                return _take_block(X, self.index[rows], self.index[cols], out)
            else:
                K = kernel_matrix(X[rows], X[cols], self.kernel)
            if out is None:
                return np.ascontiguousarray(K, dtype=self.dtype)
            out[...] = K
            return out
        A, B = self.A[rows], self.B[cols]
        if len(rows) * len(cols) * X.shape[1] < SINGLE_THREAD_FLOPS:
            with limit_blas(1):
                K = np.matmul(A, B.T, out=out)
        else:
            K = np.matmul(A, B.T, out=out)
        if self.kernel in ("rbf", "gaussian"):
            # -gamma |x - x'|^2 = 2 gamma x.x' - gamma |x|^2 - gamma |x'|^2, clipped at 0 against
            # round-off, in one pass (three numpy passes were 1.4 of the 3.4 ms of digits' matrix).
            _shift_and_clip(K, self.sq_norms[rows], self.sq_norms[cols])
            np.exp(K, out=K)
        elif self.kernel == "poly":
            _integer_power(K, int(self.degree))
        elif self.kernel == "sigmoid":
            np.tanh(K, out=K)
        return K


@njit(cache=True, nogil=True)
def _shift_and_clip(K, sq_rows, sq_cols):
    """K = min(K - sq_rows[:, None] - sq_cols[None, :], 0) in place, in that order of operations
    (float32, as numpy's three passes would round)."""
    for a in range(K.shape[0]):
        row = K[a]
        sa = sq_rows[a]
        for b in range(row.shape[0]):
            v = (row[b] - sa) - sq_cols[b]
            row[b] = v if v < 0 else np.float32(0.0)


@njit(cache=True, nogil=True)
def _take_block(K, rows, cols, out):
    """out[a, b] = K[rows[a], cols[b]] (numpy's ``K[np.ix_(rows, cols)]`` was 5-10x slower)."""
    for a in range(rows.shape[0]):
        src = K[rows[a]]
        dst = out[a]
        for b in range(cols.shape[0]):
            dst[b] = src[cols[b]]
    return out


@njit(cache=True, nogil=True, fastmath=True)
def _integer_power(K, degree):
    """K **= degree in place, per entry by square-and-multiply in registers: no powf per entry and
    no temporary block (a temporary was 3/4 of the time of a poly kernel block here)."""
    flat = K.reshape(-1)
    for t in range(flat.shape[0]):
        base = flat[t]
        result = np.float32(1.0)
        e = degree
        while e:
            if e & 1:
                result *= base
            base *= base
            e >>= 1
        flat[t] = result
    return K


@njit(cache=True, nogil=True, fastmath=True)
def matvec(block, coef):
    """block @ coef accumulated in float64 without a float64 copy of the float32 block (numpy's
    mixed-type matmul made one: 1.4 of the 7.5 s of an rbf fit at n = 20,000)."""
    out = np.zeros(block.shape[0])
    for r in range(block.shape[0]):
        row = block[r]
        acc = 0.0
        for c in range(row.shape[0]):
            acc += row[c] * coef[c]
        out[r] = acc
    return out
