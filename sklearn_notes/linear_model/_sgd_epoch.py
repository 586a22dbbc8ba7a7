"""One epoch of (minibatch) proximal SGD, compiled with numba (notes: "SGD", "SGD with Minibatch").

Each step of the notes' SGD touches ``batch_size`` samples, so a Python loop would spend its time in
interpreter overhead, not arithmetic. This kernel runs the same update as
:meth:`DesignProblem.batch` + :meth:`DesignProblem.value_grad` + :meth:`DesignProblem.prox`
(tests check that equivalence) for a whole epoch:

1. for the samples ``i`` of the batch, ``z_i = (x_i - x_mean) W + b'`` and ``g_i = dloss/dz``;
2. ``grad W = sum_i c_i (x_i - x_mean) g_i^T + l2 W``, ``grad b' = sum_i c_i g_i``, with
   ``c_i = n s_i / (|B| sum(s))`` (the unbiased minibatch estimate of the mean gradient);
3. ``theta <- theta - eta grad``, then soft-threshold ``W`` by ``eta * l1``.
"""

import numpy as np
import scipy.sparse

__all__ = ["kernel_input", "sgd_epoch"]


def kernel_input(X):
    """``X`` as the compiled epochs take it (one specialization each): C-contiguous float64, or
    CSR float64 with int64 indices. Used by the SGD epoch here and the perceptron's epoch."""
    if not scipy.sparse.issparse(X):
        return np.ascontiguousarray(X, dtype=np.float64)
    X = scipy.sparse.csr_matrix(X, dtype=np.float64)
    X.indices = X.indices.astype(np.int64)
    X.indptr = X.indptr.astype(np.int64)
    return X


_LOSS_IDS = {"squared": 0, "logistic": 1, "multinomial": 2}
_kernels = None


def _build():
    import numba

    @numba.njit(cache=True, nogil=True, inline="always")
    def loss_derivative(z, Y, i, loss_id):
        """Overwrite the predictor ``z`` of sample ``i`` with ``dloss/dz``."""
        k = z.shape[0]
        if loss_id == 0:
            for c in range(k):
                z[c] = z[c] - Y[i, c]
        elif loss_id == 1:
            if z[0] >= 0:
                z[0] = 1.0 / (1.0 + np.exp(-z[0])) - Y[i, 0]
            else:
                e = np.exp(z[0])
                z[0] = e / (1.0 + e) - Y[i, 0]
        else:
            top = z.max()
            total = 0.0
            for c in range(k):
                z[c] = np.exp(z[c] - top)
                total += z[c]
            for c in range(k):
                z[c] = z[c] / total - Y[i, c]

    @numba.njit(cache=True, nogil=True, inline="always")
    def centring(theta, x_mean, fit_intercept, mW):
        """``m W``: the centring of the predictor (the intercept row is ``b'``)."""
        d, k = x_mean.shape[0], theta.shape[1]
        for c in range(k):
            acc = 0.0
            if fit_intercept:
                for j in range(d):
                    acc += x_mean[j] * theta[j, c]
            mW[c] = acc

    @numba.njit(cache=True, nogil=True, inline="always")
    def step(theta, grad, eta, l2, l1, positive, fit_intercept):
        """Gradient step, then the proximal soft-threshold (non-negative when ``positive``)."""
        d, k = theta.shape[0] - fit_intercept, theta.shape[1]
        t = eta * l1
        for c in range(k):
            for j in range(d):
                v = theta[j, c] - eta * (grad[j, c] + l2 * theta[j, c])
                if positive:
                    v = v - t if v > t else 0.0
                elif l1 > 0.0:
                    v = v - t if v > t else (v + t if v < -t else 0.0)
                theta[j, c] = v
            if fit_intercept:
                theta[d, c] -= eta * grad[d, c]

    @numba.njit(cache=True, nogil=True)
    def dense(X, Y, sw, order, theta, x_mean, fit_intercept, loss_id, l2, l1, positive, eta,
              batch, norm):  # fmt: skip
        n, d = X.shape
        k = theta.shape[1]
        grad = np.zeros_like(theta)
        mW = np.zeros(k)
        z = np.zeros(k)
        xc = np.zeros(d)
        for start in range(0, n, batch):
            stop = min(start + batch, n)
            scale = n / ((stop - start) * norm)
            grad[:] = 0.0
            centring(theta, x_mean, fit_intercept, mW)
            for p in range(start, stop):
                i = order[p]
                # 1. predictor and loss derivative
                for j in range(d):
                    xc[j] = X[i, j] - x_mean[j] if fit_intercept else X[i, j]
                for c in range(k):
                    acc = theta[d, c] - mW[c] if fit_intercept else 0.0
                    for j in range(d):
                        acc += X[i, j] * theta[j, c]
                    z[c] = acc
                loss_derivative(z, Y, i, loss_id)
                # 2. accumulate the weighted gradient
                w = sw[i] * scale
                for c in range(k):
                    g = w * z[c]
                    for j in range(d):
                        grad[j, c] += g * xc[j]
                    if fit_intercept:
                        grad[d, c] += g
            # 3. step and proximal soft-threshold
            step(theta, grad, eta, l2, l1, positive, fit_intercept)
        return theta

    @numba.njit(cache=True, nogil=True)
    def csr(data, indices, indptr, Y, sw, order, theta, x_mean, fit_intercept, loss_id, l2, l1,
            positive, eta, batch, norm):  # fmt: skip
        # the same steps on a CSR matrix: products over each row's non-zeros; the centring's
        # part of the gradient, -m sum_i g_i, is added once per batch
        n, d = indptr.shape[0] - 1, x_mean.shape[0]
        k = theta.shape[1]
        grad = np.zeros_like(theta)
        mW = np.zeros(k)
        z = np.zeros(k)
        gsum = np.zeros(k)
        for start in range(0, n, batch):
            stop = min(start + batch, n)
            scale = n / ((stop - start) * norm)
            grad[:] = 0.0
            gsum[:] = 0.0
            centring(theta, x_mean, fit_intercept, mW)
            for p in range(start, stop):
                i = order[p]
                for c in range(k):
                    acc = theta[d, c] - mW[c] if fit_intercept else 0.0
                    for q in range(indptr[i], indptr[i + 1]):
                        acc += data[q] * theta[indices[q], c]
                    z[c] = acc
                loss_derivative(z, Y, i, loss_id)
                w = sw[i] * scale
                for c in range(k):
                    g = w * z[c]
                    for q in range(indptr[i], indptr[i + 1]):
                        grad[indices[q], c] += g * data[q]
                    gsum[c] += g
            if fit_intercept:
                for c in range(k):
                    for j in range(d):
                        grad[j, c] -= x_mean[j] * gsum[c]
                    grad[d, c] += gsum[c]
            step(theta, grad, eta, l2, l1, positive, fit_intercept)
        return theta

    return dense, csr


def sgd_epoch(problem, theta, order, batch_size, eta):
    """Run one epoch of proximal (minibatch) SGD on a :class:`DesignProblem`; returns new theta.

    Parameters
    ----------
    problem : DesignProblem
        Its ``X`` is a C-contiguous float64 array or a float64 CSR matrix with int64 indices
        (one compiled specialization each).
    theta : ndarray of shape ``problem.shape``
        Not modified.
    order : ndarray of int of shape (n_samples,)
        Visiting order of the samples.
    batch_size : int
    eta : float
        Step size for the whole epoch.

    Returns
    -------
    theta : ndarray of shape ``problem.shape``
    """
    global _kernels
    if _kernels is None:
        _kernels = _build()
    dense, csr = _kernels
    x_mean = problem.x_mean if problem.fit_intercept else np.zeros(problem.n_features)
    common = (
        problem.Y, problem.sw, np.asarray(order, dtype=np.int64),
        np.array(theta, dtype=np.float64, order="C"), np.asarray(x_mean, dtype=np.float64),
        bool(problem.fit_intercept), _LOSS_IDS[problem.loss_name], problem.l2, problem.l1,
        bool(problem.positive), float(eta), int(batch_size), problem.norm,
    )  # fmt: skip
    X = problem.X
    if scipy.sparse.issparse(X):
        return csr(X.data, X.indices, X.indptr, *common)
    return dense(X, *common)
