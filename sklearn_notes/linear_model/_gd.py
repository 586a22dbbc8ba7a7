"""The gradient-descent engine shared by RidgeGD, LassoGD and LogisticRegressionGD.

Notes, "Gradient Descent": the gradient points where the loss rises fastest (the directional
derivative ``D_u f = |grad f| cos(theta)`` is largest at ``theta = 0``), so GD steps against it,

    theta <- theta - eta * grad F(theta),

over the whole training set (``solver="gd"``), one random sample (``"sgd"``: fast but unstable) or a
random minibatch of ``M`` samples (``"minibatch"``). Every model here minimizes

    F(theta) = f(theta) + h(theta),
    f(theta) = sum_i s_i loss(y_i, x_i W + b) / sum_i s_i + (l2 / 2) ||W||_2^2   (smooth),
    h(theta) = l1 ||W||_1                                                         (not smooth),

where ``theta`` stacks the coefficients ``W`` (n_features, n_outputs) over the intercept row ``b``.
The L1 part has no gradient at 0, so the step becomes a *proximal* gradient step

    theta <- prox_{eta h}(theta - eta * grad f(theta)),   prox = soft-thresholding,

which is plain GD when ``l1 = 0`` and produces exact zeros when ``l1 > 0`` (the notes' "Lasso drops
features").

Step sizes. ``grad f`` is L-Lipschitz with ``L = c * lambda_max(X~^T S X~) / sum(s) + l2``
(``X~`` is ``X`` centred, with a column of ones for the intercept, ``c`` the largest second
derivative of the loss: 1 for squared error, 1/4 for the sigmoid, 1/2 for the softmax). With
``eta = 1 / L`` full-batch GD decreases ``F`` at every step and converges without tuning (the
``"lipschitz"`` learning rate).

Acceleration. ``accelerated=True`` (full batch) runs Nesterov's method, FISTA when ``l1 > 0`` [1]_,
with a backtracking line search that may also shrink ``L`` to the local curvature, and a
gradient-based adaptive restart [2]_ that keeps the convergence linear on strongly convex problems.
On an unconstrained quadratic (ridge through the Gram matrix) it is the conjugate-gradient method
[3]_: exact line searches along gradients made conjugate to the previous steps, which stops on a
bound of the coefficients' relative error instead of the gradient's size, since the
gradient of an ill-conditioned quadratic can be small far from its minimizer.

Two representations of the same problem: :class:`DesignProblem` evaluates ``f`` through ``X`` (two
matrix-vector products per gradient), :class:`GramProblem` (squared loss only) through the Gram
matrix ``X^T S X`` once formed, so that an iteration costs ``O(d^2)`` instead of ``O(n d)`` when
``n_samples >> n_features``.

References
----------
.. [1] A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for linear
   inverse problems", SIAM J. Imaging Sciences 2(1), 2009.
.. [2] B. O'Donoghue and E. Candes, "Adaptive restart for accelerated gradient schemes",
   Foundations of Computational Mathematics 15, 2015.
.. [3] M. R. Hestenes and E. Stiefel, "Methods of conjugate gradients for solving linear
   systems", J. Research of the National Bureau of Standards 49(6), 1952.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg
from scipy.special import expit, log_expit, logsumexp, softmax
from sklearn.exceptions import ConvergenceWarning

from ._sgd_epoch import sgd_epoch

__all__ = [
    "DesignProblem",
    "GDResult",
    "GramProblem",
    "LOSSES",
    "WorkingSetProblem",
    "gradient_descent",
    "soft_threshold",
]

_EPS = np.finfo(np.float64).eps
# doublings of L in one line search: 2**60 takes any finite start past a finite curvature
_MAX_BACKTRACKS = 60


# --- losses of the linear predictor Z = X W + b ------------------------------------------------
# Each returns per-sample values, the derivative dloss/dZ, and its largest second derivative.


def _squared(Z, Y):
    """0.5 (z - y)^2 summed over outputs (regression: MSE of the notes, halved)."""
    R = Z - Y
    return 0.5 * np.einsum("ij,ij->i", R, R), R


def _binary_logistic(Z, Y):
    """Binary cross-entropy of sigmoid(z): log(1 + e^z) - y z, computed without overflow."""
    z = Z[:, 0]
    # -log sigmoid(-z) = log(1 + e^z) (log_expit is stable for large |z|)
    values = -log_expit(-z) - Y[:, 0] * z
    return values, (expit(z) - Y[:, 0])[:, None]


def _multinomial(Z, Y):
    """Softmax cross-entropy: logsumexp(z) - z_y (Y one-hot)."""
    values = logsumexp(Z, axis=1) - np.einsum("ij,ij->i", Y, Z)
    return values, softmax(Z, axis=1) - Y


#: name -> (function(Z, Y) -> (per-sample loss, dloss/dZ), bound on the loss's second derivative)
LOSSES = {
    "squared": (_squared, 1.0),
    "logistic": (_binary_logistic, 0.25),
    "multinomial": (_multinomial, 0.5),
}


def soft_threshold(W, threshold, positive=False):
    """Proximal operator of ``threshold * ||W||_1``: ``sign(w) * max(|w| - threshold, 0)``.

    With ``positive=True`` it is the proximal operator of ``threshold * ||W||_1`` plus the
    indicator of ``W >= 0``: ``max(w - threshold, 0)`` (a projection when ``threshold = 0``).

    Parameters
    ----------
    W : ndarray
    threshold : float
        Non-negative.
    positive : bool, default=False
        Constrain the result to be non-negative.

    Returns
    -------
    W_new : ndarray of the shape of ``W``; entries with ``|w| <= threshold`` are exactly 0.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.linear_model._gd import soft_threshold
    >>> soft_threshold(np.array([-2.0, -0.5, 0.0, 0.3, 1.5]), 1.0)
    array([-1. , -0. ,  0. ,  0. ,  0.5])
    >>> soft_threshold(np.array([-2.0, 0.3, 1.5]), 1.0, positive=True)
    array([0. , 0. , 0.5])
    """
    if positive:
        return np.maximum(W - threshold, 0.0)
    return np.sign(W) * np.maximum(np.abs(W) - threshold, 0.0)


def _lambda_max_psd(M):
    """Largest eigenvalue of a symmetric PSD matrix (LAPACK, only that eigenvalue)."""
    n = M.shape[0]
    if n == 0:
        return 0.0
    return float(scipy.linalg.eigvalsh(M, subset_by_index=[n - 1, n - 1], check_finite=False)[0])


def _weighted_mean(X, sample_weight):
    """``sum_i s_i x_i / sum(s)`` for a dense or sparse ``X`` (no copy of ``X``)."""
    return np.asarray(X.T @ sample_weight, dtype=np.float64).ravel() / float(np.sum(sample_weight))


def _row_sq_norms(X):
    """``||x_i||^2`` of every row, dense or sparse (no squared copy of a sparse matrix)."""
    if not scipy.sparse.issparse(X):
        return np.einsum("ij,ij->i", X, X, dtype=np.float64)
    squares = np.square(X.data, dtype=np.float64)
    if X.format == "csc":  # the indices are rows
        return np.bincount(X.indices, weights=squares, minlength=X.shape[0])
    X = X.tocsr()
    out = np.zeros(X.shape[0])
    starts = X.indptr[:-1]
    filled = X.indptr[1:] > starts  # reduceat needs the starts of non-empty rows only
    if squares.size:
        out[filled] = np.add.reduceat(squares, starts[filled])
    return out


def _weighted_gram(X, sample_weight):
    """``X^T S X`` as a dense float64 array (``S = diag(sample_weight)``), dense or sparse ``X``."""
    root = np.sqrt(sample_weight)
    if scipy.sparse.issparse(X):
        Xs = scipy.sparse.csr_matrix(X.multiply(root[:, None]), dtype=np.float64)
        return (Xs.T @ Xs).toarray()
    if np.all(sample_weight == sample_weight[0]):  # one syrk, no weighted copy of X
        X = np.asarray(X, dtype=np.float64)
        return (X.T @ X) * sample_weight[0]
    Xs = np.asarray(X * root[:, None], dtype=np.float64)
    return Xs.T @ Xs


def overflow_error(what="X or y"):
    """The error raised when the data are too large for float64 arithmetic."""
    return ValueError(
        f"Overflow: the values of {what} are too large for float64 arithmetic (their squares or "
        "products exceed 1.8e308), so the objective cannot be evaluated; rescale the data, e.g. "
        "with sklearn.preprocessing.StandardScaler."
    )


# --- problems --------------------------------------------------------------------------------


class DesignProblem:
    """``F(theta)`` evaluated through the design matrix ``X``.

    ``theta`` has shape ``(n_features + fit_intercept, n_outputs)``; its last row is the intercept
    when ``fit_intercept``, taken for the *centred* features: ``Z = (X - x_mean) W + b'``. This
    reparametrization (``b = b' - x_mean W``; the penalty is unchanged) makes the problem far better
    conditioned when the features are off-centre, at no cost: ``X`` is never copied. The "linear
    part" ``a = lin(theta)`` is the predictor ``Z``;
    since it is linear in ``theta``, the accelerated solver combines stored predictors instead of
    recomputing them, so an iteration costs one ``X @`` and one ``X.T @`` product.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
        Targets (one-hot for the multinomial loss, {0, 1} for the logistic loss).
    sample_weight : ndarray of shape (n_samples,)
    loss : {"squared", "logistic", "multinomial"}
    l2, l1 : float
        Penalty strengths in the mean-scaled objective.
    fit_intercept : bool
    """

    def __init__(self, X, Y, sample_weight, loss, l2, l1, fit_intercept, norm=None, positive=False):
        self.X, self.Y, self.sw = X, Y, sample_weight
        self.loss, self.curvature = LOSSES[loss]
        self.loss_name = loss
        self.l2, self.l1 = float(l2), float(l1)
        self.fit_intercept = fit_intercept
        self.positive = positive
        # what the weighted mean divides by: sum(s) unless given (minibatches rescale it; class
        # weights leave it at the sum of the sample weights)
        self.norm = float(np.sum(sample_weight)) if norm is None else float(norm)
        self.n_features = X.shape[1]
        self.x_mean = _weighted_mean(X, sample_weight) if fit_intercept else None

    def to_theta(self, W, b):
        """Parameters of the model ``X W + b`` in this problem's coordinates."""
        if not self.fit_intercept:
            return np.array(W, dtype=np.float64)
        return np.vstack([W, (b + self.x_mean @ W)[None, :]])

    def from_theta(self, theta):
        """``(W, b)`` of the model ``X W + b``."""
        W = theta[: self.n_features]
        if not self.fit_intercept:
            return W, np.zeros(theta.shape[1])
        return W, theta[-1] - self.x_mean @ W

    @property
    def shape(self):
        return (self.n_features + self.fit_intercept, self.Y.shape[1])

    def lin(self, theta):
        W = theta[: self.n_features]
        Z = self.X @ W
        if self.fit_intercept:
            Z += theta[-1] - self.x_mean @ W
        return Z

    def _W(self, theta):
        return theta[: self.n_features]

    def value(self, theta, Z):
        values, _ = self.loss(Z, self.Y)
        W = self._W(theta)
        return float(values @ self.sw) / self.norm + 0.5 * self.l2 * float(np.sum(W * W))

    def value_grad(self, theta, Z):
        """Smooth objective and its gradient at ``theta`` (``Z = lin(theta)``)."""
        values, dZ = self.loss(Z, self.Y)
        W = self._W(theta)
        value = float(values @ self.sw) / self.norm + 0.5 * self.l2 * float(np.sum(W * W))
        dZ *= (self.sw / self.norm)[:, None]
        grad = np.empty(self.shape)
        # grad_W = X_c^T (s * dloss/dZ) / sum(s) + l2 W ;  grad_b = sum(s * dloss/dZ) / sum(s)
        grad[: self.n_features] = self.X.T @ dZ + self.l2 * W
        if self.fit_intercept:
            grad[-1] = dZ.sum(axis=0)
            grad[: self.n_features] -= np.outer(self.x_mean, grad[-1])
        return value, grad, (values, dZ)

    def bregman(self, theta_new, Z_new, theta, Z, aux):
        """``f(new) - f(old) - <grad f(old), new - old>`` and ``f(new)``.

        The gap is summed per sample (less cancellation than subtracting two totals); ``aux`` is
        what :meth:`value_grad` returned at ``theta``, so the loss is evaluated once, at ``Z_new``.
        """
        values, dZ = aux
        values_new, _ = self.loss(Z_new, self.Y)
        W_new = self._W(theta_new)
        D = W_new - self._W(theta)
        terms = (values_new - values) * self.sw / self.norm - np.einsum("ij,ij->i", dZ, Z_new - Z)
        gap = float(np.sum(terms)) + 0.5 * self.l2 * float(np.sum(D * D))
        value = float(values_new @ self.sw) / self.norm + 0.5 * self.l2 * float(np.sum(W_new**2))
        return gap, value

    def nonsmooth(self, theta):
        return self.l1 * float(np.abs(self._W(theta)).sum()) if self.l1 else 0.0

    def prox(self, theta, step):
        if self.l1 or self.positive:
            theta = theta.copy()
            theta[: self.n_features] = soft_threshold(
                theta[: self.n_features], step * self.l1, self.positive
            )
        return theta

    def lipschitz(self):
        """Lipschitz constant of ``grad f``: ``c * lambda_max(X~^T S X~) / sum(s) + l2``."""
        X, sw = self.X, self.sw
        n, d = X.shape
        total = float(sw.sum())
        if d + self.fit_intercept <= 2000 or (d <= n and not scipy.sparse.issparse(X)):
            M = np.empty((d + self.fit_intercept,) * 2)
            M[:d, :d] = _weighted_gram(X, sw)
            if self.fit_intercept:  # centred block; the intercept column is then orthogonal
                M[:d, :d] -= total * np.outer(self.x_mean, self.x_mean)
                M[:d, d] = M[d, :d] = 0.0
                M[d, d] = total
            lam = _lambda_max_psd(M)
        elif scipy.sparse.issparse(X):  # never densify: Lanczos on the centred operator
            m = self.x_mean if self.fit_intercept else np.zeros(d)

            def matvec(v):
                u = sw * (X @ v - m @ v)
                return X.T @ u - m * u.sum()

            op = scipy.sparse.linalg.LinearOperator((d, d), matvec=matvec, dtype=np.float64)
            lam = float(scipy.sparse.linalg.eigsh(op, k=1, which="LA", tol=1e-3)[0][0]) * 1.01
            lam = max(lam, total) if self.fit_intercept else lam
        else:  # n < d: the nonzero spectrum of the (n, n) Gram matrix is the same
            Xs = (X - self.x_mean if self.fit_intercept else X) * np.sqrt(sw)[:, None]
            M = Xs @ Xs.T
            if self.fit_intercept:
                M += np.outer(np.sqrt(sw), np.sqrt(sw))
            lam = _lambda_max_psd(M)
        return self.curvature * lam / self.norm + self.l2

    def lipschitz_estimate(self):
        """Average curvature ``c trace(X~^T S X~) / (sum(s) (d + 1)) + l2``, a lower bound on L.

        Costs one pass over ``X`` instead of the ``O(n d^2)`` Gram matrix; the accelerated solver's
        line search starts from it and doubles ``L`` until the sufficient-decrease test holds.
        """
        trace = float(self.sw @ _row_sq_norms(self.X))
        if self.fit_intercept:
            # sum_i s_i ||x_i - m||^2 = sum s_i ||x_i||^2 - 2 m^T X^T s + S ||m||^2 with S = sum(s),
            # the sum of the weights in the loss: self.norm differs from it under class weights
            # (which keep the sample weights' mean) and in minibatches (whose m is the full
            # problem's), and using it there made the trace, hence L, negative.
            m, total = self.x_mean, float(np.sum(self.sw))
            centred = trace - 2.0 * float(m @ _weighted_mean(self.X, self.sw)) * total
            centred += total * float(m @ m)
            # the subtraction cancels when the features sit far from 0: a trace is never < 0
            trace = max(centred, 0.0) + total  # + the intercept column of ones
        L = self.curvature * trace / (self.norm * self.shape[0]) + self.l2
        if not np.isfinite(L):  # inf - inf above: overflow, which the caller reports
            return np.inf
        if L <= 0.0:  # a step 1/L <= 0 would climb, and "converge" at once
            # all features 0 and no penalty: the exact constant, or any step if it is 0 too
            exact = self.lipschitz()
            return exact if exact > 0.0 else 1.0
        return L

    def sample_lipschitz(self):
        """Largest Lipschitz constant of one sample's term ``(n s_i / sum(s)) loss_i``.

        Any minibatch objective is a mean of such terms, so ``1 / sample_lipschitz()`` is a safe
        step for every batch size.
        """
        if not self.fit_intercept:
            row_norms = _row_sq_norms(self.X)
        elif scipy.sparse.issparse(self.X):  # ||x - m||^2 without a dense centred copy
            m = self.x_mean
            row_norms = _row_sq_norms(self.X) - 2.0 * (self.X @ m) + float(m @ m) + 1.0
        else:
            Xc = self.X - self.x_mean
            row_norms = np.einsum("ij,ij->i", Xc, Xc) + 1.0
        n = self.X.shape[0]
        return self.curvature * float(np.max(row_norms * self.sw)) * n / self.norm + self.l2

    def batch(self, idx):
        """The unbiased minibatch estimate of ``f`` on rows ``idx`` (same penalty)."""
        norm = self.norm * len(idx) / self.X.shape[0]
        sub = DesignProblem(
            self.X[idx], self.Y[idx], self.sw[idx], self.loss_name, self.l2, self.l1,
            self.fit_intercept, norm=norm, positive=self.positive,
        )  # fmt: skip
        sub.x_mean = self.x_mean  # same coordinates as the full problem
        return sub


class GramProblem:
    """``F(theta)`` for the squared loss through ``G = X_c^T S X_c / sum(s)`` (``O(d^2)`` per step).

    With an intercept, ``X`` and ``Y`` are centred with the weighted means, which eliminates ``b``
    exactly (``b = y_mean - x_mean W`` minimizes the squared loss for any ``W``); then
    ``f(W) = 0.5 tr(W^T G W) - tr(W^T C) + 0.5 yy + (l2 / 2) ||W||^2``,
    ``C = X_c^T S Y_c / sum(s)``.
    ``theta`` is ``W`` only; :meth:`intercept` recovers ``b``.
    """

    def __init__(self, X, Y, sample_weight, l2, l1, fit_intercept, positive=False):
        sw = sample_weight
        self.norm = float(np.sum(sw))
        self.l2, self.l1 = float(l2), float(l1)
        self.fit_intercept = fit_intercept
        self.positive = positive
        if fit_intercept:
            self.x_mean = _weighted_mean(X, sw)
            self.y_mean = (sw @ Y) / self.norm
        else:
            self.x_mean = np.zeros(X.shape[1])
            self.y_mean = np.zeros(Y.shape[1])
        # X_c^T S X_c / sum(s) = X^T S X / sum(s) - x_mean x_mean^T  (no centred copy of X)
        self.G = _weighted_gram(X, sw) / self.norm - np.outer(self.x_mean, self.x_mean)
        XtSY = np.asarray(X.T @ (Y * (sw / self.norm)[:, None]), dtype=np.float64)
        self.C = XtSY - np.outer(self.x_mean, self.y_mean)
        self.yy = float(np.sum((Y - self.y_mean) ** 2 * sw[:, None])) / self.norm
        if not (np.isfinite(self.G).all() and np.isfinite(self.C).all() and np.isfinite(self.yy)):
            raise overflow_error()
        self.shape = (X.shape[1], Y.shape[1])

    def lin(self, theta):
        return self.G @ theta

    def value(self, theta, GW):
        return 0.5 * (
            float(np.sum(theta * (GW - 2 * self.C))) + self.yy + self.l2 * float(np.sum(theta**2))
        )

    def value_grad(self, theta, GW):
        return self.value(theta, GW), GW - self.C + self.l2 * theta, None

    def bregman(self, theta_new, GW_new, theta, GW, aux):
        # exactly 0.5 d^T (G + l2 I) d, with G d taken from the stored products
        D = theta_new - theta
        gap = 0.5 * float(np.sum(D * (GW_new - GW))) + 0.5 * self.l2 * float(np.sum(D * D))
        return gap, self.value(theta_new, GW_new)

    def nonsmooth(self, theta):
        return self.l1 * float(np.abs(theta).sum()) if self.l1 else 0.0

    def prox(self, theta, step):
        if self.l1 or self.positive:
            return soft_threshold(theta, step * self.l1, self.positive)
        return theta

    def lipschitz(self):
        return _lambda_max_psd(self.G) + self.l2

    lipschitz_estimate = lipschitz  # exact and cheap here

    def strong_convexity(self):
        """``mu = lambda_min(G) + l2``: ``||W - W*|| <= ||grad f(W)|| / mu`` when ``mu > 0``."""
        d = self.G.shape[0]
        if d == 0:
            return self.l2
        low = scipy.linalg.eigvalsh(self.G, subset_by_index=[0, 0], check_finite=False)[0]
        return max(float(low), 0.0) + self.l2

    def intercept(self, theta):
        return self.y_mean - self.x_mean @ theta

    def to_theta(self, W, b):
        return np.array(W, dtype=np.float64)

    def from_theta(self, theta):
        return theta, self.intercept(theta)


class WorkingSetProblem:
    """Lasso-type problem (squared loss + L1) solved on a growing set of features.

    At the lasso optimum most coefficients are exactly zero; a zero coefficient stays optimal as
    long as ``|x_j^T S r| / sum(s) <= l1`` (its subgradient condition). So: solve the problem
    restricted to a small *working set* of features through its own Gram matrix (``O(n k^2)`` to
    form, ``O(k^2)`` per step), check the condition for all features with one product ``X^T r``,
    add the violators, repeat. Each outer round costs about two passes over ``X`` instead of
    forming the full ``(d, d)`` Gram matrix. The answer is the same optimum (the stopping rule is
    the full gradient mapping); only the work differs.
    """

    def __init__(self, X, Y, sample_weight, l2, l1, fit_intercept, positive=False):
        self.X, self.Y, self.sw = X, Y, sample_weight
        self.l2, self.l1, self.fit_intercept = float(l2), float(l1), fit_intercept
        self.positive = positive
        self.norm = float(np.sum(sample_weight))
        self.shape = (X.shape[1], Y.shape[1])

    def restrict(self, features):
        return GramProblem(
            self.X[:, features], self.Y, self.sw, self.l2, self.l1, self.fit_intercept,
            self.positive,
        )  # fmt: skip

    def gradient(self, W, features, gram):
        """Gradient of the smooth part for every feature, at ``W`` supported on ``features``."""
        R = self.Y - gram.intercept(W[features]) - self.X[:, features] @ W[features]
        R *= (self.sw / self.norm)[:, None]
        # with the optimal intercept the residuals sum to 0, so X^T S r needs no centring
        return self.l2 * W - self.X.T @ R

    def to_theta(self, W, b):
        return np.array(W, dtype=np.float64)

    def from_theta(self, theta):
        support = np.flatnonzero(np.any(theta != 0, axis=1))
        return theta, self.restrict(support).intercept(theta[support])


# --- the engine --------------------------------------------------------------------------------


@dataclass
class GDResult:
    """What :func:`gradient_descent` returns.

    Attributes
    ----------
    theta : ndarray
        Final parameters.
    loss_curve : list of float
        Objective ``F`` after each epoch.
    n_iter : int
        Epochs run.
    converged : bool
        Whether the stopping rule fired before ``max_iter``.
    gradient : ndarray or None
        Gradient of the smooth part at ``theta`` for every feature, when the solver computed it
        anyway (the working-set solver's final optimality check); ``None`` otherwise.
    """

    theta: np.ndarray
    loss_curve: list
    n_iter: int
    converged: bool
    gradient: np.ndarray = None


def _divergence(learning_rate, eta0, epoch, value):
    """The error for a non-finite objective: overflow of the data, or a step the user chose."""
    if learning_rate == "lipschitz" or eta0 is None:  # 1/L cannot diverge: the data overflow
        return overflow_error()
    return FloatingPointError(
        f"Gradient descent diverged at epoch {epoch} (objective {value}); use a smaller "
        "learning rate (eta0) or learning_rate='lipschitz'."
    )


def _step_size(learning_rate, eta0, power_t, lipschitz, t):
    """Step during epoch ``t`` (1-based) under a schedule.

    The decay counts epochs, not updates, so that one schedule means the same for every batch size.
    """
    if learning_rate == "lipschitz":
        return 1.0 / lipschitz
    base = 1.0 / lipschitz if eta0 is None else eta0
    if learning_rate == "constant":
        return base
    return base / t**power_t  # "invscaling"


def _report(verbose, epoch, loss, extra=""):
    if verbose:
        print(f"-- epoch {epoch}, objective {loss:.10g}{extra}")


def _full_batch(problem, theta, *, learning_rate, eta0, power_t, max_iter, tol, verbose):
    """Proximal gradient descent, ``theta <- prox(theta - eta grad f(theta))``, one step per epoch.

    Stops when the gradient mapping ``(theta - theta_next) / eta`` (the gradient when ``l1 = 0``;
    zero exactly at the optimum) has max-norm ``<= tol``.
    """
    L = problem.lipschitz() if (learning_rate == "lipschitz" or eta0 is None) else 1.0
    if not np.isfinite(L):
        raise overflow_error()
    a = problem.lin(theta)
    curve = []
    for epoch in range(1, max_iter + 1):
        eta = _step_size(learning_rate, eta0, power_t, L, epoch)
        _, grad, _ = problem.value_grad(theta, a)
        theta_next = problem.prox(theta - eta * grad, eta)
        step_norm = float(np.max(np.abs(theta_next - theta), initial=0.0)) / eta
        theta = theta_next
        a = problem.lin(theta)
        curve.append(problem.value(theta, a) + problem.nonsmooth(theta))
        _report(verbose, epoch, curve[-1], f", step {eta:.3g}")
        if not np.isfinite(curve[-1]):
            raise _divergence(learning_rate, eta0, epoch, curve[-1])
        if step_norm <= tol:
            return GDResult(theta, curve, epoch, True)
    return GDResult(theta, curve, max_iter, False)


def _accelerated(problem, theta, *, learning_rate, eta0, power_t, max_iter, tol, verbose):
    """FISTA / Nesterov with backtracking on ``L`` and gradient-based adaptive restart.

    1. extrapolate ``y = x_k + beta_k (x_k - x_{k-1})`` (predictors combined linearly, no product);
    2. gradient step from ``y`` with ``eta = 1/L``, then the prox;
    3. line search (``"lipschitz"`` schedule): starting from the average curvature (a lower bound
       of the Lipschitz constant, no Gram matrix needed), double ``L`` until
       ``f(x+) <= f(y) + <grad f(y), x+ - y> + L/2 ||x+ - y||^2``, and (not for quadratics) let
       ``L`` shrink by 10 % per iteration so that it follows the local curvature;
    4. restart the momentum when ``<y - x+, x+ - x_k> > 0`` (the step turned back) [2];
    5. stop when the gradient mapping ``L (y - x+)`` has max-norm ``<= tol``.
    """
    search = learning_rate == "lipschitz"
    L_safe = problem.lipschitz() if (not search and eta0 is None) else None
    L = problem.lipschitz_estimate() if search else None
    if not np.isfinite(L if search else (L_safe or 1.0)):
        raise overflow_error()
    # a quadratic has the same curvature everywhere: nothing to follow (and shrinking L below the
    # exact constant only costs backtracks); other losses flatten near the optimum
    shrink = 1.0 if getattr(problem, "loss_name", "squared") == "squared" else 0.9
    x = theta
    a_x = problem.lin(x)
    y, a_y = x, a_x
    t = 1.0
    curve = []
    for epoch in range(1, max_iter + 1):
        f_y, grad, aux = problem.value_grad(y, a_y)
        if search:
            L *= shrink
        else:
            L = 1.0 / _step_size(learning_rate, eta0, power_t, L_safe, epoch)
        if not np.isfinite(f_y):
            raise _divergence(learning_rate, eta0, epoch, f_y)
        # at most _MAX_BACKTRACKS doublings: a test that never holds (non-finite values) must
        # not loop forever outside the max_iter budget
        for _ in range(_MAX_BACKTRACKS):
            x_new = problem.prox(y - grad / L, 1.0 / L)
            a_new = problem.lin(x_new)
            D = x_new - y
            dd = float(np.sum(D * D))
            gap, f_new = problem.bregman(x_new, a_new, y, a_y, aux)
            # round-off allowance: a few ulps of the objective
            if not search or dd == 0.0 or gap <= 0.5 * L * dd + 64 * _EPS * abs(f_y):
                break
            L *= 2.0
        else:
            raise overflow_error()
        mapping = float(np.max(np.abs(D), initial=0.0)) * L
        f_new += problem.nonsmooth(x_new)
        curve.append(f_new)
        _report(verbose, epoch, f_new, f", L {L:.4g}")
        if not np.isfinite(f_new):
            raise _divergence(learning_rate, eta0, epoch, f_new)
        if mapping <= tol:
            return GDResult(x_new, curve, epoch, True)
        if float(np.sum(-D * (x_new - x))) > 0.0:  # momentum points uphill: restart
            t = 1.0
            y, a_y = x_new, a_new
        else:
            t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            beta = (t - 1.0) / t_next
            y = x_new + beta * (x_new - x)
            a_y = a_new + beta * (a_new - a_x)
            t = t_next
        x, a_x = x_new, a_new
    return GDResult(x, curve, max_iter, False)


def _conjugate_gradient(problem, theta, *, max_iter, tol, verbose, **unused):
    """Conjugate gradients on the quadratic of a :class:`GramProblem` (``l1 = 0``, unsigned).

    On a quadratic the best step along any direction is known in closed form, and each new
    direction is the gradient made conjugate (``A``-orthogonal) to the previous ones, so no step
    is undone later: the optimal acceleration of gradient descent, exact after at most
    ``n_features`` steps (Hestenes-Stiefel [3]_). For ``A = G + l2 I``, residual ``R = C - A W``
    (minus the gradient):

    1. ``step = r^T r / p^T A p``; ``W += step p``; ``R -= step A p``;
    2. ``p = R + (r_new^T r_new / r^T r) p``;
    3. stop when ``||R|| / mu <= tol ||W||`` (``mu = lambda_min(A)``: the coefficients are then
       within ``tol`` relative of the optimum), or when ``R`` is down to round-off.
    """
    G, C, l2 = problem.G, problem.C, problem.l2
    mu = problem.strong_convexity()
    # round-off floor of the residual C - A W: what one product with A (||A|| <= d max|A_ij|)
    # and the subtraction from C can resolve
    a_norm = G.shape[0] * (float(np.abs(G).max(initial=0.0)) + l2)
    W = np.array(theta, dtype=np.float64)
    GW = G @ W
    R = C - GW - l2 * W
    P = R.copy()
    rr = np.einsum("ij,ij->j", R, R)
    curve = []
    for epoch in range(1, max_iter + 1):
        GP = G @ P
        pAp = np.einsum("ij,ij->j", P, GP) + l2 * np.einsum("ij,ij->j", P, P)
        # 1. exact line search along p (a column already solved has p = 0)
        step = np.divide(rr, pAp, out=np.zeros_like(rr), where=pAp > 0)
        W += step * P
        GW += step * GP
        R -= step * (GP + l2 * P)
        rr_new = np.einsum("ij,ij->j", R, R)
        curve.append(problem.value(W, GW))
        _report(verbose, epoch, curve[-1])
        if not np.isfinite(curve[-1]):
            raise overflow_error()
        # 3. error bound relative to the coefficients, or round-off
        r_norm, w_norm = np.sqrt(rr_new), np.sqrt(np.einsum("ij,ij->j", W, W))
        c_norm = np.sqrt(np.einsum("ij,ij->j", C, C))
        floor = 64 * _EPS * (a_norm * w_norm + c_norm)
        if np.all((r_norm <= tol * mu * w_norm) | (r_norm <= floor)):
            return GDResult(W, curve, epoch, True)
        # 2. next direction, conjugate to the previous ones
        beta = np.divide(rr_new, rr, out=np.zeros_like(rr), where=rr > 0)
        P = R + beta * P
        rr = rr_new
    return GDResult(W, curve, max_iter, False)


def _stochastic(
    problem, theta, *, batch_size, learning_rate, eta0, power_t, max_iter, tol,
    n_iter_no_change, shuffle, rng, verbose,
):  # fmt: skip
    """SGD (``batch_size=1``) or minibatch proximal SGD; an epoch is one pass over the data.

    Each step uses the unbiased estimate of ``grad f`` from ``batch_size`` samples. The full
    objective is recorded after every epoch; the run stops when it has not improved by more than
    ``tol * |best|`` for ``n_iter_no_change`` epochs in a row.
    """
    n = problem.X.shape[0]
    batch_size = min(batch_size, n)
    L = problem.sample_lipschitz()
    if not np.isfinite(L):
        raise overflow_error()
    curve = []
    best, stall = np.inf, 0
    order = np.arange(n)
    for epoch in range(1, max_iter + 1):
        if shuffle:
            order = rng.permutation(n)
        eta = _step_size(learning_rate, eta0, power_t, L, epoch)
        # the batches of problem.batch(...) with value_grad and prox, compiled
        theta = sgd_epoch(problem, theta, order, batch_size, eta)
        curve.append(problem.value(theta, problem.lin(theta)) + problem.nonsmooth(theta))
        _report(verbose, epoch, curve[-1], f", step {eta:.3g}")
        if not np.isfinite(curve[-1]):
            if learning_rate == "lipschitz" or eta0 is None:
                raise overflow_error()
            raise FloatingPointError(
                f"Stochastic gradient descent diverged at epoch {epoch} (objective {curve[-1]}); "
                "use a smaller learning rate (eta0)."
            )
        improved = not np.isfinite(best) or curve[-1] < best - tol * max(abs(best), 1.0)
        best = min(best, curve[-1])
        stall = 0 if improved else stall + 1
        if stall >= n_iter_no_change:
            return GDResult(theta, curve, epoch, True)
    return GDResult(theta, curve, max_iter, False)


def _working_set(problem, theta, run, *, max_iter, tol, verbose, **common):
    """Outer loop of :class:`WorkingSetProblem`.

    1. start from the support of ``theta`` plus the features with the largest gradients;
    2. solve the restricted problem with the full-batch solver ``run`` (warm-started);
    3. compute the gradient of every feature; a feature outside the set violates optimality by
       ``max(|grad_j| - l1, 0)`` (its gradient-mapping entry);
    4. stop when no violation exceeds ``tol``; else add the worst violators (at least doubling the
       set) and go to 2.
    """
    n_features = problem.shape[0]
    W = theta.copy()
    in_set = np.any(W != 0, axis=1)
    grad = problem.gradient(W, np.flatnonzero(in_set), problem.restrict(np.flatnonzero(in_set)))
    curve, epochs = [], 0
    size = max(10, 2 * int(in_set.sum()))
    while True:
        # 1. / 4. grow the set with the worst violators
        # a zero coefficient may only grow where the gradient points down (up, too, if signed)
        score = np.max(-grad if problem.positive else np.abs(grad), axis=1) - problem.l1
        score[in_set] = -np.inf
        candidates = np.flatnonzero(score > tol)
        if len(candidates) == 0 and (epochs > 0 or not in_set.any()):
            if not curve:  # already optimal at the start (e.g. all zeros above alpha_max)
                gram = problem.restrict(np.flatnonzero(in_set))
                Wk = W[in_set]
                curve = [gram.value(Wk, gram.lin(Wk)) + gram.nonsmooth(Wk)]
            return GDResult(W, curve, max(epochs, 1), True, gradient=grad)
        take = candidates[np.argsort(score[candidates])[::-1]][: max(size - in_set.sum(), 1)]
        in_set[take] = True
        features = np.flatnonzero(in_set)
        size = min(2 * len(features), n_features)
        # 2. restricted solve
        gram = problem.restrict(features)
        result = run(gram, W[features], max_iter=max_iter - epochs, tol=tol, verbose=verbose,
                     **common)  # fmt: skip
        W = np.zeros_like(W)
        W[features] = result.theta
        curve += result.loss_curve
        epochs += result.n_iter
        if verbose:
            print(f"-- working set of {len(features)} features, {epochs} epochs so far")
        if not result.converged:
            return GDResult(W, curve, epochs, False)
        # 3. optimality of the features outside the set
        grad = problem.gradient(W, features, gram)


def gradient_descent(
    problem, theta0, *, solver="gd", accelerated=True, learning_rate="lipschitz", eta0=None,
    power_t=0.5, batch_size=32, max_iter=1000, tol=1e-6, n_iter_no_change=5, shuffle=True,
    random_state=None, verbose=0,
):  # fmt: skip
    """Minimize ``problem`` from ``theta0`` by (proximal) gradient descent.

    Parameters
    ----------
    problem : DesignProblem, GramProblem or WorkingSetProblem
        A :class:`WorkingSetProblem` needs ``solver="gd"``.
    theta0 : ndarray of shape ``problem.shape``
        Starting point (not modified).
    solver : {"gd", "sgd", "minibatch"}, default="gd"
        Full batch, one random sample per step, or ``batch_size`` random samples per step.
    accelerated : bool, default=True
        Nesterov / FISTA momentum with adaptive restart (``solver="gd"`` only).
    learning_rate : {"lipschitz", "constant", "invscaling"}, default="lipschitz"
        ``1/L`` (a line search starting there when accelerated), ``eta0``, or
        ``eta0 / epoch**power_t``.
    eta0 : float or None, default=None
        Base step of ``"constant"`` / ``"invscaling"``; ``None`` means ``1/L``.
    power_t : float, default=0.5
    batch_size : int, default=32
        Minibatch size (``solver="minibatch"``).
    max_iter : int, default=1000
        Epochs (one full-batch step, or one pass over the data).
    tol : float, default=1e-6
        Full batch: max-norm of the gradient mapping; stochastic: relative objective improvement.
    n_iter_no_change : int, default=5
        Stochastic solvers: epochs without improvement before stopping.
    shuffle : bool, default=True
        Stochastic solvers: permute the samples every epoch.
    random_state : numpy.random.Generator or RandomState or None
    verbose : int, default=0

    Returns
    -------
    result : GDResult
        Final ``theta``, ``loss_curve``, ``n_iter``, ``converged``; a ``ConvergenceWarning`` is
        issued when ``max_iter`` stopped the run.
    """
    theta = np.array(theta0, dtype=np.float64, copy=True)
    common = dict(
        learning_rate=learning_rate, eta0=eta0, power_t=power_t, max_iter=max_iter, tol=tol,
        verbose=verbose,
    )  # fmt: skip
    quadratic = isinstance(problem, GramProblem) and not problem.l1 and not problem.positive
    # overflow is detected by the finiteness checks (a clear error), not reported as warnings
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        if solver == "gd" and accelerated and learning_rate == "lipschitz" and quadratic:
            result = _conjugate_gradient(problem, theta, **common)
        elif solver == "gd":
            run = _accelerated if accelerated else _full_batch
            if isinstance(problem, WorkingSetProblem):
                result = _working_set(problem, theta, run, **common)
            else:
                result = run(problem, theta, **common)
        else:
            result = _stochastic(
                problem, theta, batch_size=1 if solver == "sgd" else batch_size,
                n_iter_no_change=n_iter_no_change, shuffle=shuffle, rng=random_state, **common,
            )  # fmt: skip
    if not np.all(np.isfinite(result.theta)):
        raise overflow_error()
    if not result.converged:
        warnings.warn(
            f"Gradient descent (solver={solver!r}) stopped at max_iter={max_iter} epochs before "
            f"reaching tol={tol}; increase max_iter or tol.",
            ConvergenceWarning,
            stacklevel=3,
        )
    return result
