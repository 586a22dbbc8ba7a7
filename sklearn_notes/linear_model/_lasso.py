"""Lasso regression (notes: "라쏘"; concept map row 5).

The objective of :class:`sklearn.linear_model.Lasso`:

    (1 / (2 sum(s))) sum_i s_i (y_i - x_i w - b)^2 + alpha ||w||_1.

The notes: the L1 penalty can drop features, and there is no analytic solution, so use gradient
descent. ``|w|`` has no derivative at 0, so the step is the *proximal* gradient step (ISTA)

    w <- S_{eta alpha}(w - eta grad f(w)),     S_t(v) = sign(v) max(|v| - t, 0),

whose soft-threshold sets small coefficients exactly to zero. FISTA adds Nesterov momentum (the
default here, ``accelerated=True``). At the solution the subgradient (KKT) conditions hold:
``x_j^T S r / sum(s) = alpha sign(w_j)`` where ``w_j != 0`` and ``|x_j^T S r| / sum(s) <= alpha``
where ``w_j = 0`` (``r = y - X w - b``).
"""

import numpy as np
import scipy.sparse
from sklearn import get_config

from ._base import _BaseRegressorGD

__all__ = ["LassoGD", "lasso_dual_gap", "lasso_kkt_violation"]


def _dual_gap(c, rSr, rSy, W, alpha, positive):
    """Duality gap per target from ``c = X_c^T S r / N``, ``r^T S r / N`` and ``r^T S y_c / N``."""
    worst = np.max(c, axis=0, initial=0.0) if positive else np.max(np.abs(c), axis=0, initial=0.0)
    shrink = np.minimum(1.0, alpha / np.maximum(worst, np.finfo(float).tiny))
    primal = 0.5 * rSr + alpha * np.abs(W).sum(axis=0)
    dual = shrink * rSy - 0.5 * shrink**2 * rSr  # D(nu) with nu = shrink * r
    return np.maximum(primal - dual, 0.0)


def lasso_dual_gap(X, Y, W, b, alpha, sample_weight, fit_intercept=True, positive=False):
    """Duality gap of the lasso at ``(W, b)``, per target: an upper bound on ``F(W) - F*``.

    For ``P(w) = (1 / (2 N)) ||r||_S^2 + alpha ||w||_1`` (``N = sum(s)``, ``r = y - X w - b``) the
    dual residual ``nu = r * min(1, alpha / max_j |c_j|)``, ``c = X_c^T S r / N``, is feasible
    (``|c_j| <= alpha``; only ``c_j <= alpha`` with ``positive``), and

        D(nu) = (1 / N) (nu^T S y_c - 0.5 nu^T S nu) <= P*  <=  P(w),

    so ``P(w) - D(nu) >= 0`` is 0 exactly at the optimum; scikit-learn's ``Lasso.dual_gap_``.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_targets)
    W : ndarray of shape (n_features, n_targets)
    b : ndarray of shape (n_targets,)
    alpha : float
    sample_weight : ndarray of shape (n_samples,)
    fit_intercept : bool, default=True
        Whether ``b`` is the optimal (unpenalized) intercept: residuals and targets are centred.
    positive : bool, default=False

    Returns
    -------
    gap : ndarray of shape (n_targets,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.linear_model import lasso_dual_gap
    >>> X = np.array([[1.0], [-1.0]]); Y = np.array([[1.0], [-1.0]])
    >>> lasso_dual_gap(X, Y, np.array([[0.5]]), np.zeros(1), 0.5, np.ones(2))
    array([0.])
    """
    sw = np.asarray(sample_weight, dtype=np.float64)
    N = float(sw.sum())
    R = Y - np.asarray(X @ W) - b
    Yc = Y
    if fit_intercept:  # the intercept's optimality: residuals and targets centred
        R = R - (sw @ R) / N
        Yc = Y - (sw @ Y) / N
    c = np.asarray(X.T @ (R * sw[:, None])) / N
    rSr = np.einsum("i,ij->j", sw, R * R) / N
    rSy = np.einsum("i,ij->j", sw, R * Yc) / N
    return _dual_gap(c, rSr, rSy, W, alpha, positive)


def lasso_kkt_violation(X, y, coef, intercept, alpha, sample_weight=None):
    """Largest violation of the lasso's subgradient optimality conditions.

    With ``c_j = x_j^T S (y - X w - b) / sum(s)`` (minus the gradient of the smooth part), ``w`` is
    optimal iff ``c_j = alpha sign(w_j)`` for ``w_j != 0`` and ``|c_j| <= alpha`` for ``w_j = 0``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training data.
    y : ndarray of shape (n_samples,)
        Targets.
    coef : ndarray of shape (n_features,)
        Candidate coefficients ``w``.
    intercept : float
        Candidate intercept ``b``.
    alpha : float
        L1 strength.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights of the squared errors (``None``: all 1).

    Returns
    -------
    violation : float
        ``0`` at the exact optimum.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.linear_model import lasso_kkt_violation
    >>> X = np.array([[1.0], [-1.0]]); y = np.array([1.0, -1.0])
    >>> lasso_kkt_violation(X, y, np.array([0.5]), 0.0, alpha=0.5)  # c = 0.5 = alpha sign(w)
    0.0
    """
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    c = X.T @ (sw * (y - X @ coef - intercept)) / sw.sum()
    active = coef != 0
    return float(
        max(
            np.max(np.abs(c[active] - alpha * np.sign(coef[active])), initial=0.0),
            np.max(np.abs(c[~active]) - alpha, initial=0.0),
        )
    )


class LassoGD(_BaseRegressorGD):
    """Lasso regression by proximal gradient descent (ISTA / FISTA), with exact zeros.

    Minimizes ``(1 / (2 n)) ||y - X w - b||^2 + alpha ||w||_1`` (sample-weighted mean), the
    objective of :class:`sklearn.linear_model.Lasso`; the intercept is not penalized.

    Parameters
    ----------
    alpha : float, default=1.0
        L1 strength; ``0`` gives least squares.
    solver : {"gd", "sgd", "minibatch"}, default="gd"
        Full-batch proximal gradient, or proximal SGD with one / ``batch_size`` random samples per
        step (the same soft-threshold after each step).
    accelerated : bool, default=True
        FISTA (momentum, backtracking, adaptive restart) for ``solver="gd"``; ``False`` is ISTA.
    learning_rate : {"lipschitz", "constant", "invscaling"}, default="lipschitz"
        ``"lipschitz"``: ``eta = 1 / L`` (a line search starts there for FISTA); ``"constant"``:
        ``eta0``; ``"invscaling"``: ``eta0 / epoch ** power_t``.
    eta0 : float, default=None
        Base step of ``"constant"`` / ``"invscaling"``; ``None`` means ``1 / L``.
    power_t : float, default=0.5
        Exponent of ``"invscaling"``.
    batch_size : int, default=32
        Samples per step of ``solver="minibatch"``.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float, default=1e-6
        ``"gd"``: stop when the max-norm of the gradient mapping ``(w - w_next) / eta`` (zero
        exactly at the optimum) is ``<= tol``; stochastic: relative improvement over
        ``n_iter_no_change`` epochs.
    n_iter_no_change : int, default=5
        See ``tol``.
    shuffle : bool, default=True
        Stochastic solvers: permute the samples every epoch.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    warm_start : bool, default=False
        Start from the previous (or a user-set) solution (e.g. along a path of decreasing
        ``alpha``); a ``coef_`` without ``intercept_`` starts the intercept at 0.
    positive : bool, default=False
        Constrain the coefficients to be non-negative (the prox becomes ``max(w - eta alpha, 0)``).
    random_state : int, RandomState instance or None, default=None
        Sampling of the stochastic solvers.
    verbose : int, default=0
        Print the objective after each epoch.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients; many are exactly 0 for large ``alpha``.
    intercept_ : numpy float or ndarray of shape (n_targets,)
        Intercept (float32 for float32 ``X``, as ``coef_``).
    dual_gap_ : float or ndarray of shape (n_targets,)
        Duality gap at the solution (:func:`lasso_dual_gap`): a bound on the distance of the
        objective from its minimum; scikit-learn's ``Lasso.dual_gap_``.
    sparse_coef_ : sparse matrix of shape (1, n_features) or (n_targets, n_features)
        ``coef_`` as a CSR matrix (a ``csr_array`` under scikit-learn's
        ``sparse_interface="sparray"``), as :class:`sklearn.linear_model.Lasso`'s.
    loss_curve_ : list of float
        Objective after each epoch.
    n_iter_ : int or list of int
        Epochs run; one count per target when there are several, as scikit-learn's. The targets
        are solved together (one run whose stopping test covers them all), so the counts are
        equal.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` had string column names.

    See Also
    --------
    RidgeGD : L2 penalty, no exact zeros.
    sklearn.linear_model.Lasso : The same objective by coordinate descent.

    Notes
    -----
    With ``n_samples >= n_features`` the full-batch solver works on the Gram matrix ``X^T S X``
    (formed once, ``O(n d^2)``), so each FISTA step costs ``O(d^2)`` instead of ``O(n d)``.

    References
    ----------
    .. [1] R. Tibshirani, "Regression shrinkage and selection via the lasso", JRSS B 58(1), 1996.
    .. [2] A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for linear
       inverse problems", SIAM J. Imaging Sciences 2(1), 2009.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn_notes import LassoGD
    >>> X, y = make_regression(n_samples=200, n_features=10, n_informative=3, random_state=0)
    >>> lasso = LassoGD(alpha=1.0).fit(X, y)
    >>> int((lasso.coef_ == 0).sum())  # the 7 uninformative features are dropped exactly
    7
    """

    def _penalties(self, sample_weight):
        return 0.0, self.alpha

    def _n_iter(self, n_iter, n_outputs):
        # scikit-learn's ElasticNet: an int for one target, else a list with one per target
        return n_iter if n_outputs == 1 else [n_iter] * n_outputs

    @property
    def sparse_coef_(self):
        """``coef_`` as a sparse row per target (CSR), as scikit-learn's ``Lasso``."""
        coef = scipy.sparse.csr_matrix(np.atleast_2d(self.coef_))
        # scikit-learn 1.9's sparse_interface option (absent before: spmatrix)
        if get_config().get("sparse_interface") == "sparray":
            return scipy.sparse.csr_array(coef)
        return coef

    def _extra_attributes(self, X, Y, W, b, sample_weight, state, result):
        if result is not None and result.gradient is not None and Y.shape[1] == 1:
            # from what the working-set solver already computed, without a pass over X:
            # c = -grad f (no L2 term); r^T S r / N from the final objective; and
            # w^T c = (y_c - r)^T S r / N gives r^T S y_c / N
            c = -result.gradient
            rSr = 2.0 * (result.loss_curve[-1] - self.alpha * np.abs(W).sum(axis=0))
            gap = _dual_gap(c, rSr, np.einsum("ij,ij->j", W, c) + rSr, W, self.alpha, self.positive)
        else:
            gap = lasso_dual_gap(
                X, Y, W, b, self.alpha, sample_weight, self.fit_intercept, self.positive
            )
        return {"dual_gap_": gap[0] if Y.shape[1] == 1 else gap}
