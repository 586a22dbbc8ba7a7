"""Kernels of the notes' non-linear SVM (concept map rows 15-16).

The kernel trick: the dual of the SVM only needs inner products
:math:`K(x, x') = \\langle \\phi(x), \\phi(x') \\rangle`, so the feature map :math:`\\phi`
never has to be built. The kernels of the notes, as scikit-learn (and libsvm) define them:

- linear: :math:`K(x, x') = x^\\top x'`
- polynomial: :math:`K(x, x') = (\\gamma\\, x^\\top x' + c_0)^d`
- RBF, also called Gaussian: :math:`K(x, x') = \\exp(-\\gamma \\lVert x - x' \\rVert^2)`
- sigmoid: :math:`K(x, x') = \\tanh(\\gamma\\, x^\\top x' + c_0)` -- not positive
  semi-definite in general, so it is not an inner product of any feature map (a "kernel" only by
  name).

Values come in blocks (matrix products through BLAS), never pair by pair.
"""

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.spatial.distance import cdist
from sklearn.metrics.pairwise import (
    linear_kernel,
    polynomial_kernel,
    rbf_kernel,
    sigmoid_kernel,
)

from ..utils._threads import limit_blas

__all__ = ["KERNELS", "KernelRows", "kernel_matrix", "resolve_gamma"]

# Below this many multiply-adds a block is computed on one BLAS thread: waking threads costs more
# than the product on a busy machine.
SINGLE_THREAD_FLOPS = 2**24

#: Kernel names accepted by :class:`~sklearn_notes.svm.KernelSVC`; "gaussian" is the notes' name
#: of RBF.
KERNELS = ("linear", "poly", "rbf", "gaussian", "sigmoid", "precomputed")

# The kernel cache is float32 (as libsvm's): values must stay below its largest finite value
# (3.4e38), with room for the sums the solver forms from them.
FLOAT32_LIMIT = 1e37

# The fast path folds gamma into X and computes the products by BLAS; its squared norms must stay far
# from float32's limit so that |x|^2 + |x'|^2 - 2 x.x' keeps some digits. Beyond, blocks come in
# float64 from exact differences (a huge gamma: the kernel is then nearly the identity).
FAST_PATH_LIMIT = 1e30


def _overflow_error(what, value):
    return ValueError(
        f"{what} reach {value:.3g}, beyond the range of the solver's float32 kernel cache "
        f"(about {FLOAT32_LIMIT:.0e}): the input data contain values too large for this kernel. "
        "Scale the data (e.g. StandardScaler), or lower gamma or degree."
    )


def check_precomputed_range(K):
    """Refuse a Gram matrix whose values overflow the float32 kernel cache."""
    largest = float(np.abs(K).max()) if K.size else 0.0
    if largest > FLOAT32_LIMIT:
        raise _overflow_error("The precomputed kernel values", largest)


def resolve_gamma(gamma, X, sample_weight=None):
    """Turn ``gamma`` ("scale", "auto" or a number) into the number the kernel uses.

    ``"scale"`` is ``1 / (n_features * Var[X])`` as in scikit-learn's SVC, with the variance of all
    entries of ``X`` weighted by ``sample_weight``, so that a weight of 2 is the same as a repeated
    sample (and a weight of 0 the same as a removed one). ``"auto"`` is ``1 / n_features``. The
    variance is taken of ``X / max|X|``, so that it neither overflows nor underflows: the kernel
    is then the same for ``X`` and ``1e150 * X``.

    Parameters
    ----------
    gamma : {"scale", "auto"} or float
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    sample_weight : ndarray of shape (n_samples,), optional

    Returns
    -------
    gamma : float

    Raises
    ------
    ValueError
        When ``gamma="scale"`` over- or underflows float64 (``max|X|`` near the float limits).

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
    if gamma != "scale":
        return float(gamma)
    w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    total = w.sum() * n_features
    values = X.data if sp.issparse(X) else X
    scale = np.float64(np.abs(values).max()) if values.size else 0.0
    if scale == 0.0:
        return 1.0
    if sp.issparse(X):
        Xs = X / scale
        mean = (Xs.T @ w).sum() / total
        var = max((Xs.multiply(Xs).T @ w).sum() / total - mean**2, 0.0)
    else:
        Xs = X / scale
        mean = (w @ Xs).sum() / total
        var = (w @ ((Xs - mean) ** 2)).sum() / total
    if var <= 0:
        return 1.0
    with np.errstate(over="ignore", under="ignore"):
        result = 1.0 / (n_features * var) / scale**2
    if not (np.isfinite(result) and result > 0):
        raise ValueError(
            f"gamma='scale' = 1 / (n_features * X.var()) is not representable in float64 for "
            f"data whose largest absolute value is {scale:.3g}. Scale the data (e.g. "
            "StandardScaler) or give gamma as a number."
        )
    return float(result)


def _polynomial(X, Y, gamma, degree, coef0):
    # (scikit-learn's polynomial_kernel refuses degree 0, which libsvm and SVC accept: K = 1)
    if degree == 0:
        return np.ones((X.shape[0], Y.shape[0]))
    return polynomial_kernel(X, Y, degree=degree, gamma=gamma, coef0=coef0)


def _rbf(X, Y, gamma):
    # A gamma so large that gamma |x|^2 dwarfs the distances: the expansion
    # |x|^2 + |y|^2 - 2 x.y that rbf_kernel uses would turn K(x, x) = 1 into 0; exact differences.
    if not (sp.issparse(X) or sp.issparse(Y)) and X.size and Y.size:
        largest = max(np.einsum("ij,ij->i", X, X).max(), np.einsum("ij,ij->i", Y, Y).max())
        if gamma * largest > FAST_PATH_LIMIT:
            with np.errstate(over="ignore"):
                return np.exp(-gamma * cdist(X, Y, "sqeuclidean"))
    return rbf_kernel(X, Y, gamma=gamma)


def kernel_matrix(X, Y, kernel, *, gamma=1.0, degree=3, coef0=0.0):
    """Kernel values between the rows of ``X`` and ``Y`` as one float64 block.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_x, n_features)
    Y : ndarray or sparse matrix of shape (n_y, n_features)
    kernel : {"linear", "poly", "rbf", "gaussian", "sigmoid"} or callable
        A callable is called as ``kernel(X, Y)`` and must return an ``(n_x, n_y)`` array of
        finite values.
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
    if X.shape[0] == 0 or Y.shape[0] == 0:
        return np.zeros((X.shape[0], Y.shape[0]))
    if callable(kernel):
        K = np.asarray(kernel(X, Y), dtype=np.float64)
        if K.shape != (X.shape[0], Y.shape[0]):
            raise ValueError(
                f"The kernel callable returned shape {K.shape}; expected "
                f"({X.shape[0]}, {Y.shape[0]})."
            )
        if not np.isfinite(K).all():
            raise ValueError("The kernel callable returned non-finite values (NaN or inf).")
    elif kernel == "linear":
        K = linear_kernel(X, Y)
    elif kernel == "poly":
        K = _polynomial(X, Y, gamma, degree, coef0)
    elif kernel in ("rbf", "gaussian"):
        K = _rbf(X, Y, gamma)
    elif kernel == "sigmoid":
        K = sigmoid_kernel(X, Y, gamma=gamma, coef0=coef0)
    else:
        raise ValueError(f"Unknown kernel {kernel!r}; use one of {KERNELS} or a callable.")
    return np.ascontiguousarray(K, dtype=np.float64)


class KernelRows:
    """Blocks ``K[rows][:, cols]`` of the training kernel, for the solver.

    Each block is one matrix product through BLAS followed by in-place elementwise passes (for RBF,
    ``exp(-(|x|^2 + |x'|^2 - 2 x.x'))`` on rows scaled by :math:`\\sqrt\\gamma`, with the squared
    norms computed once), stored in ``dtype``: float32 halves the cache, as libsvm's float kernel
    cache does. The product and the passes before the rbf's exp run in float64 and are rounded
    once into the block (the exp then runs in float32), so that every entry is its float64 value
    rounded, however BLAS tiles the block: a repeated sample gets its weighted twin's value, and
    the linear kernel equals the same kernel precomputed in float64. The scaling by
    :math:`\\sqrt\\gamma` is done in float64, so that with ``gamma="scale"`` the blocks of
    ``1e150 * X`` are those of ``X``. Sparse
    rows, callables and Gram matrices go through :func:`kernel_matrix` (float64) block by block.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Training data, or the training Gram matrix when ``kernel="precomputed"``.
    kernel, gamma, degree, coef0
        As in :func:`kernel_matrix` (``gamma`` resolved).
    dtype : {np.float32, np.float64}, default=np.float32
    index : ndarray of shape (n,), optional
        With ``kernel="precomputed"``: the samples of the problem are rows/columns ``index`` of the
        Gram matrix ``X`` (a sub-problem, e.g. one pair of classes, read without copying ``X``).

    Raises
    ------
    ValueError
        When kernel values would overflow the float32 cache (a linear or polynomial kernel on
        very large values).
    """

    def __init__(self, X, kernel, *, gamma=1.0, degree=3, coef0=0.0, dtype=np.float32, index=None):
        self.kernel, self.gamma, self.degree, self.coef0 = kernel, gamma, degree, coef0
        self.dtype = dtype
        self.index = np.arange(X.shape[0]) if index is None else np.asarray(index, np.intp)
        self.blockwise = kernel == "precomputed" or callable(kernel) or sp.issparse(X)
        self.X = X
        if kernel == "precomputed":
            pass  # (its range is checked once by the estimator: check_precomputed_range)
        elif sp.issparse(X):
            largest = float(X.multiply(X).sum(axis=1).max()) if X.shape[0] else 0.0
            self._check_range(largest if kernel == "linear" else gamma * largest)
        elif not self.blockwise:
            X64 = np.asarray(X, dtype=np.float64)
            with np.errstate(over="ignore", invalid="ignore"):
                F = X64 if kernel == "linear" else np.sqrt(gamma) * X64
                sq = np.einsum("ij,ij->i", F, F)
            largest = float(sq.max()) if sq.size else 0.0
            self._check_range(largest)
            if kernel != "linear" and largest > FAST_PATH_LIMIT:
                self.blockwise = True  # (a huge gamma)
                return
            # The affine part of the kernel's argument is folded into the matrix product (an
            # extra column for coef0), K = A[rows] @ B[cols].T, which saves elementwise passes
            # over the block. Not the squared norms of rbf: with them inside the product, the
            # cancellation in |x|^2 + |x'|^2 - 2 x.x' would depend on how BLAS tiles the block (a
            # repeated sample would get another kernel value than its weighted twin); outside,
            # every entry is computed the same way. The product and the elementwise passes run in
            # float64 and are rounded once into the block: a float32 product's rounding depends
            # on the BLAS kernel's tiling of the block (a repeated sample got another value than
            # its weighted twin on AVX2 machines, not on AVX-512 ones), a float64 one's vanishes
            # in that rounding.
            self.product = np.empty(0)
            if kernel == "linear":
                self.A = self.B = np.ascontiguousarray(F)
            elif kernel in ("rbf", "gaussian"):
                self.B = np.ascontiguousarray(F)
                self.A = 2.0 * F
                self.sq_norms = sq
            else:
                ones = np.ones((F.shape[0], 1))
                self.A = np.hstack([F, coef0 * ones])
                self.B = np.hstack([F, ones])

    def _check_range(self, largest):
        """Refuse kernels whose values overflow the float32 cache (``largest``: max |x|^2, gamma
        folded in). |K(x, x')| is at most the largest diagonal value for the linear and the
        polynomial (coef0 >= 0) kernels; for coef0 < 0, a bound."""
        if not np.isfinite(largest):
            raise _overflow_error("The squared norms of the (gamma-scaled) samples", np.inf)
        if self.kernel == "linear" and largest > FLOAT32_LIMIT:
            raise _overflow_error("The linear kernel values", largest)
        if self.kernel == "poly":
            with np.errstate(over="ignore"):
                bound = (largest + abs(self.coef0)) ** self.degree
            if bound > FLOAT32_LIMIT:
                raise _overflow_error("The polynomial kernel values", bound)

    def __call__(self, rows, cols, out=None):
        if self.blockwise:
            if self.kernel == "precomputed":
                if out is None:
                    out = np.empty((len(rows), len(cols)), dtype=self.dtype)
                return _take_block(self.X, self.index[rows], self.index[cols], out)
            X = self.X
            K = kernel_matrix(
                X[rows], X[cols], self.kernel, gamma=self.gamma, degree=self.degree,
                coef0=self.coef0,
            )  # fmt: skip
            if out is None:
                return np.ascontiguousarray(K, dtype=self.dtype)
            out[...] = K
            return out
        A, B = self.A[rows], self.B[cols]
        # float64 product and passes, rounded once into the float32 block
        size = len(rows) * len(cols)
        if self.product.size < size:
            self.product = np.empty(size)
        target = self.product[:size].reshape(len(rows), len(cols))
        if size * A.shape[1] < SINGLE_THREAD_FLOPS:
            with limit_blas(1):
                K = np.matmul(A, B.T, out=target)
        else:
            K = np.matmul(A, B.T, out=target)
        rbf = self.kernel in ("rbf", "gaussian")
        if rbf:
            # -gamma |x - x'|^2 = 2 x.x' - |x|^2 - |x'|^2 (x scaled by sqrt(gamma)), clipped at 0
            # against round-off, in one pass over the block instead of three.
            _shift_and_clip(K, self.sq_norms[rows], self.sq_norms[cols])
        elif self.kernel == "poly":
            _integer_power(K, int(self.degree))
        elif self.kernel == "sigmoid":
            np.tanh(K, out=K)
        if out is None:
            out = np.empty(K.shape, dtype=self.dtype)
        out[...] = K
        if rbf:
            # on the rounded argument, elementwise: in float32 at a fraction of float64's cost
            np.exp(out, out=out)
        return out


@njit(cache=True, nogil=True)
def _shift_and_clip(K, sq_rows, sq_cols):
    """K = min(K - sq_rows[:, None] - sq_cols[None, :], 0) in place, in that order of operations
    (as numpy's three passes would round)."""
    for a in range(K.shape[0]):
        row = K[a]
        sa = sq_rows[a]
        for b in range(row.shape[0]):
            v = (row[b] - sa) - sq_cols[b]
            row[b] = v if v < 0 else 0.0


@njit(cache=True, nogil=True)
def _take_block(K, rows, cols, out):
    """out[a, b] = K[rows[a], cols[b]] without the index arrays of ``K[np.ix_(rows, cols)]``."""
    for a in range(rows.shape[0]):
        src = K[rows[a]]
        dst = out[a]
        for b in range(cols.shape[0]):
            dst[b] = src[cols[b]]
    return out


@njit(cache=True, nogil=True, fastmath=True)
def _integer_power(K, degree):
    """K **= degree in place, per entry by square-and-multiply in registers: no powf per entry and
    no temporary block (whose allocation and first touch cost more than the powers)."""
    flat = K.reshape(-1)
    for t in range(flat.shape[0]):
        base = flat[t]
        result = base * 0.0 + 1.0
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
    mixed-type matmul makes one)."""
    out = np.zeros(block.shape[0])
    for r in range(block.shape[0]):
        row = block[r]
        acc = 0.0
        for c in range(row.shape[0]):
            acc += row[c] * coef[c]
        out[r] = acc
    return out
