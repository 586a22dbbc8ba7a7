"""Ridge regression (notes: "선형 회귀", "릿지"; concept map rows 1, 3, 4).

Least squares with an L2 penalty, the same objective as :class:`sklearn.linear_model.Ridge`:

    ||y - X w - b||_2^2 + alpha ||w||_2^2          (weighted: sum_i s_i (y_i - x_i w - b)^2)

The notes: ridge keeps every feature and has an analytic solution, found by setting the gradient to
zero: with ``X_c, y_c`` centred (the intercept is not penalized),

    (X_c^T S X_c + alpha I) w = X_c^T S y_c,      b = y_mean - x_mean w,

solved here by a Cholesky factorization (``solver="closed_form"``), never an explicit inverse; or
reached by gradient descent (``"gd"``, ``"sgd"``, ``"minibatch"``), which lands on the same optimum
because the objective is convex (its Hessian ``2 (X~^T S X~ + alpha I)`` is PSD). ``alpha=0`` is
ordinary least squares.
"""

import numpy as np
import scipy.linalg
import scipy.sparse
from sklearn.utils._param_validation import StrOptions

from ._base import _MAX_GRAM_FEATURES, _BaseRegressorGD
from ._gd import GramProblem

__all__ = ["RidgeGD", "ridge_closed_form"]


def ridge_closed_form(X, Y, sample_weight, alpha, fit_intercept=True):
    """Analytic ridge solution ``(X_c^T S X_c + alpha I) W = X_c^T S Y_c`` (Cholesky, else lstsq).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training data.
    Y : ndarray of shape (n_samples, n_targets)
        Targets (2-D).
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights of the squared errors.
    alpha : float
        L2 strength (``0``: least squares; a singular system then falls back to the minimum-norm
        least-squares solution).
    fit_intercept : bool, default=True
        Fit an unpenalized intercept (centre ``X`` and ``Y`` with the weighted means).

    Returns
    -------
    W : ndarray of shape (n_features, n_targets)
        Coefficients.
    b : ndarray of shape (n_targets,)
        Intercepts (zeros when ``fit_intercept=False``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.linear_model import ridge_closed_form
    >>> X = np.array([[0.0], [1.0], [2.0]]); Y = np.array([[1.0], [3.0], [5.0]])
    >>> W, b = ridge_closed_form(X, Y, np.ones(3), alpha=0.0)
    >>> np.round(W.ravel(), 6), np.round(b, 6)
    (array([2.]), array([1.]))
    """
    n_samples, n_features = X.shape
    if scipy.sparse.issparse(X) and n_features > _MAX_GRAM_FEATURES:
        raise ValueError(
            f"solver='closed_form' forms the ({n_features}, {n_features}) Gram matrix; for a "
            f"sparse X with more than {_MAX_GRAM_FEATURES} features use solver='gd'."
        )
    gram = GramProblem(X, Y, sample_weight, 0.0, 0.0, fit_intercept)
    if alpha == 0 and not scipy.sparse.issparse(X):
        # least squares on the weighted centred design: LAPACK's lstsq returns the minimum-norm
        # solution when X_c has dependent columns (n < d), and never squares the condition number
        root = np.sqrt(sample_weight)[:, None]
        # singular values below round-off of the centring are rank deficiency (numpy's cutoff;
        # LAPACK's default, eps, keeps them and blows up along them)
        cond = np.finfo(np.float64).eps * max(n_samples, n_features)
        W = scipy.linalg.lstsq(
            (X - gram.x_mean) * root, (Y - gram.y_mean) * root, cond=cond, check_finite=False
        )[0]
        return W, gram.intercept(W)
    # G and C are divided by sum(s); so is the penalty
    A = gram.G + (alpha / gram.norm) * np.eye(n_features)
    try:
        W = scipy.linalg.solve(A, gram.C, assume_a="pos", check_finite=False)
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
        # singular (alpha = 0): the pseudo-inverse gives the minimum-norm solution
        W = scipy.linalg.pinvh(A, check_finite=False) @ gram.C
    return W, gram.intercept(W)


class RidgeGD(_BaseRegressorGD):
    """Ridge regression by gradient descent or by its closed form.

    Minimizes ``||y - X w - b||^2 + alpha ||w||^2`` (sample-weighted squared errors), the objective
    of :class:`sklearn.linear_model.Ridge`; the intercept is not penalized.

    Parameters
    ----------
    alpha : float, default=1.0
        L2 strength; ``0`` gives ordinary least squares.
    solver : {"gd", "sgd", "minibatch", "closed_form"}, default="gd"
        Full-batch gradient descent, SGD (one random sample per step), minibatch SGD
        (``batch_size`` samples per step), or the analytic solution (Cholesky solve).
    accelerated : bool, default=True
        For ``solver="gd"``: through the Gram matrix (``n_samples >= n_features``), conjugate
        gradients (exact steps along gradients made conjugate to the previous ones); otherwise,
        or with ``positive=True``, Nesterov momentum with adaptive restart. ``False`` is the
        notes' plain update ``w <- w - eta grad``.
    learning_rate : {"lipschitz", "constant", "invscaling"}, default="lipschitz"
        ``"lipschitz"``: ``eta = 1 / L`` with ``L`` the Lipschitz constant of the gradient (for
        ``"gd"`` a backtracking line search starts there when accelerated; for the stochastic
        solvers ``L`` is the largest one-sample constant, a constant step that converges to a
        neighbourhood of the optimum). ``"constant"``: ``eta0``. ``"invscaling"``:
        ``eta0 / epoch ** power_t``.
    eta0 : float, default=None
        Base step of ``"constant"`` and ``"invscaling"``; ``None`` means ``1 / L``.
    power_t : float, default=0.5
        Exponent of ``"invscaling"``.
    batch_size : int, default=32
        Samples per step of ``solver="minibatch"``.
    max_iter : int, default=1000
        Maximum number of epochs (one full-batch step, or one pass over the data).
    tol : float, default=1e-6
        ``"gd"`` with conjugate gradients: stop when the coefficients are provably within ``tol``
        (relative, 2-norm) of the optimum (``||grad|| / lambda_min <= tol ||w||``); other
        ``"gd"`` runs: when the max-norm of the gradient mapping (of the objective divided by
        ``2 * sum(sample_weight)``) is ``<= tol``; stochastic: after ``n_iter_no_change``
        epochs without a relative improvement of ``tol``.
    n_iter_no_change : int, default=5
        See ``tol``.
    shuffle : bool, default=True
        Stochastic solvers: permute the samples every epoch.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    warm_start : bool, default=False
        Start from the previous (or a user-set) ``coef_`` / ``intercept_``.
    positive : bool, default=False
        Constrain the coefficients to be non-negative (a projected gradient step; not with
        ``"closed_form"``).
    random_state : int, RandomState instance or None, default=None
        Sampling of the stochastic solvers.
    verbose : int, default=0
        Print the objective after each epoch.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients ``w``.
    intercept_ : numpy float or ndarray of shape (n_targets,)
        Intercept ``b`` (float32 for float32 ``X``, as ``coef_``).
    loss_curve_ : list of float
        The objective ``||y - X w - b||^2 + alpha ||w||^2`` after each epoch (empty for
        ``"closed_form"``).
    n_iter_ : int
        Epochs run (0 for ``"closed_form"``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` had string column names.

    See Also
    --------
    LassoGD : L1 penalty, exact zeros.
    sklearn.linear_model.Ridge : The same objective, direct solvers.

    Notes
    -----
    For ``solver="gd"`` with ``n_samples >= n_features`` the gradient is computed from the Gram
    matrix ``X^T S X`` (formed once), so an epoch costs ``O(n_features^2)``. A sparse CSR / CSC
    ``X`` is never densified (the Gram matrix is ``(n_features, n_features)``, formed only up to
    4,000 features).

    References
    ----------
    .. [1] A. E. Hoerl and R. W. Kennard, "Ridge regression: biased estimation for nonorthogonal
       problems", Technometrics 12(1), 1970.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn_notes import RidgeGD
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> gd = RidgeGD(alpha=1.0).fit(X, y)
    >>> exact = RidgeGD(alpha=1.0, solver="closed_form").fit(X, y)
    >>> bool(abs(gd.coef_ - exact.coef_).max() < 1e-6)
    True
    """

    _parameter_constraints: dict = {
        **_BaseRegressorGD._parameter_constraints,
        "solver": [StrOptions({"gd", "sgd", "minibatch", "closed_form"})],
    }

    def _penalties(self, sample_weight):
        # ||r||_S^2 + alpha ||w||^2, divided by 2 sum(s) to match the engine's 0.5 * mean loss
        return self.alpha / np.sum(sample_weight), 0.0

    def _objective_scale(self, sample_weight):
        return 2.0 * float(np.sum(sample_weight))

    def _exact_solution(self, X, Y, sample_weight):
        if self.positive:
            raise ValueError(
                "solver='closed_form' does not support positive=True (the constrained optimum "
                "has no closed form); use solver='gd'."
            )
        return ridge_closed_form(X, Y, sample_weight, self.alpha, self.fit_intercept)
