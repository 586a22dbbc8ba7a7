"""Gaussian mixture model fitted by EM (concept map rows 27, 28 and 30).

The model: ``p(x) = sum_k pi_k N(x | mu_k, Sigma_k)`` with a latent component ``z``. The notes' two
steps, as the hooks of :class:`~sklearn_notes.mixture._em.BaseEM`:

1. **E-step**: responsibilities ``r_ik = p(z=k | x_i) = pi_k N(x_i | mu_k, Sigma_k) / p(x_i)``,
   computed in log space with log-sum-exp; the objective is the mean log-likelihood
   ``(1/W) sum_i w_i ln p(x_i)``.
2. **M-step**: ``N_k = sum_i w_i r_ik``, ``pi_k = N_k / W``, ``mu_k = sum_i w_i r_ik x_i / N_k``,
   ``Sigma_k = sum_i w_i r_ik (x_i - mu_k)(x_i - mu_k)^T / N_k + reg_covar I``.

How it is computed (and why it is fast): a Gaussian is an exponential family,

.. math:: \\ln \\pi_k N(x \\mid \\mu_k, \\Sigma_k) = \\eta_k \\cdot T(x) + c_k, \\qquad
          T(x) = (\\mathrm{vech}(x x^\\top), x, 1),

so the E-step for *all* components is one matrix product ``T(X) @ eta`` of the per-sample sufficient
statistics (computed once per fit) with the natural parameters, and the M-step is one matrix product
``R^T T(X)`` giving every ``N_k``, ``sum r x`` and ``sum r x x^T`` at once. The data are centered
once so that ``E[x x^T] - mu mu^T`` does not lose digits. Natural parameters come from the
precision-Cholesky factors ``P_k`` (``Sigma_k^-1 = P_k P_k^T``), as in scikit-learn.
"""

import numbers
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from sklearn.base import DensityMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._fit_guard import atomic_fit
from ..utils._validation import check_sample_weight
from ._em import BaseEM
from ._kmeans import KMeansEM, kmeans_plusplus

__all__ = ["GMMEM", "GMMSample"]

_COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
_LOG_2PI = np.log(2.0 * np.pi)
# Per-sample sufficient statistics are kept in memory up to this many float64 values (512 MB);
# beyond it they are recomputed chunk by chunk at every iteration.
_MAX_CACHED_STATS = 2**26
_CHUNK_ELEMENTS = 2**22

_OVERFLOW = (
    "{what} is too large for the Gaussian mixture: the largest |x - mean| is {scale:.3g}, and the "
    "second moments (x - mean)^2 summed over {n} sample(s) overflow float64 (overflow). Scale the "
    "data down (e.g. StandardScaler)."
)

_ILL_DEFINED = (
    "Fitting the mixture model failed because some components have ill-defined empirical "
    "covariance (for instance caused by singleton or collapsed samples). Try to decrease the "
    "number of components, increase reg_covar (now {reg_covar!r}), or scale the input data."
)


# --- the mathematics: pure functions of arrays ------------------------------------------------


@dataclass
class GaussianParams:
    """Parameters of a Gaussian mixture (means in the coordinates the caller works in).

    Attributes
    ----------
    weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
    covariances : ndarray
        (K, d, d) full, (d, d) tied, (K, d) diag, (K,) spherical.
    precisions_cholesky : ndarray
        Same shapes: ``Sigma^-1 = P P^T`` (full, tied), ``1/sqrt(sigma^2)`` (diag, spherical).
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray


def _triu(d):
    return np.triu_indices(d)


def quadratic_statistics(X, covariance_type):
    """The second-order part of ``T(x)``: vech(x x^T), x*x, ||x||^2, or nothing (tied).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    covariance_type : {"full", "tied", "diag", "spherical"}

    Returns
    -------
    Q : ndarray of shape (n_samples, q)
        ``q`` is ``d(d+1)/2`` (full), ``d`` (diag), 1 (spherical), 0 (tied).
    """
    if covariance_type == "full":
        i, j = _triu(X.shape[1])
        return X[:, i] * X[:, j]
    if covariance_type == "diag":
        return X * X
    if covariance_type == "spherical":
        return np.einsum("ij,ij->i", X, X)[:, None]
    return np.empty((X.shape[0], 0))


def sufficient_statistics(X, covariance_type):
    """``T(x) = (quadratic part, x, 1)`` of every sample, shape (n_samples, q + d + 1)."""
    Q = quadratic_statistics(X, covariance_type)
    return np.hstack([Q, X, np.ones((X.shape[0], 1))])


def precision_cholesky(covariances, covariance_type, reg_covar=None):
    """Factors ``P``: ``Sigma^-1 = P P^T`` (full, tied) or ``1/sqrt(variance)`` (diag, spherical).

    Raises
    ------
    ValueError
        When a covariance is not positive definite; the message names ``reg_covar``.
    """
    message = _ILL_DEFINED.format(reg_covar=reg_covar)
    if covariance_type in ("diag", "spherical"):
        if np.any(covariances <= 0.0) or not np.all(np.isfinite(covariances)):
            raise ValueError(message)
        return 1.0 / np.sqrt(covariances)
    stack = covariances[None] if covariance_type == "tied" else covariances
    d = stack.shape[-1]
    factors = np.empty_like(stack)
    for k, cov in enumerate(stack):
        try:
            L = scipy.linalg.cholesky(cov, lower=True)
        except (np.linalg.LinAlgError, ValueError):
            raise ValueError(message) from None
        # Sigma = L L^T  =>  Sigma^-1 = L^-T L^-1 = P P^T with P = L^-T (upper triangular).
        factors[k] = scipy.linalg.solve_triangular(L, np.eye(d), lower=True).T
    return factors[0] if covariance_type == "tied" else factors


def precisions_from_cholesky(precisions_cholesky, covariance_type):
    """``Sigma^-1`` from its factors: ``P P^T`` (full, tied) or ``P^2`` (diag, spherical)."""
    if covariance_type == "full":
        return np.einsum("kij,klj->kil", precisions_cholesky, precisions_cholesky)
    if covariance_type == "tied":
        return precisions_cholesky @ precisions_cholesky.T
    return precisions_cholesky**2


def _log_det_cholesky(precisions_cholesky, covariance_type, n_features):
    """``ln det P_k = -1/2 ln det Sigma_k`` for every component (shape (K,) or scalar for tied)."""
    if covariance_type == "full":
        return np.sum(np.log(np.diagonal(precisions_cholesky, axis1=1, axis2=2)), axis=1)
    if covariance_type == "tied":
        return np.sum(np.log(np.diag(precisions_cholesky)))
    if covariance_type == "diag":
        return np.sum(np.log(precisions_cholesky), axis=1)
    return n_features * np.log(precisions_cholesky)


def _log_weights(weights):
    # A component of weight 0 (weights_init=[1, 0]) has ln pi = -inf: it takes no responsibility.
    with np.errstate(divide="ignore"):
        return np.log(weights)


def natural_parameters(params, covariance_type):
    """Matrix ``eta`` of shape (q + d + 1, K) with ``ln pi_k N(x | mu_k, Sigma_k) = T(x) . eta_k``.

    For tied covariances the shared term ``-1/2 x^T Lambda x`` is left out of ``eta`` (it is the
    same for every component); :func:`weighted_log_prob` adds it.

    With ``Lambda = Sigma^-1``: ``ln N = -1/2 x^T Lambda x + x^T Lambda mu - 1/2 mu^T Lambda mu
    + ln det P - d/2 ln 2 pi``.
    """
    means = params.means
    K, d = means.shape
    P = params.precisions_cholesky
    Lam = precisions_from_cholesky(P, covariance_type)
    if covariance_type == "full":
        i, j = _triu(d)
        # vech(x x^T) holds x_i x_j once for i < j, but x^T Lambda x counts it twice.
        quad = -0.5 * Lam[:, i, j] * np.where(i == j, 1.0, 2.0)
        linear = np.einsum("kij,kj->ki", Lam, means)
    elif covariance_type == "tied":
        quad = np.empty((K, 0))
        linear = means @ Lam
    elif covariance_type == "diag":
        quad = -0.5 * Lam
        linear = Lam * means
    else:
        quad = -0.5 * Lam[:, None]
        linear = Lam[:, None] * means
    constant = (
        -0.5 * np.einsum("ki,ki->k", linear, means)
        + _log_det_cholesky(P, covariance_type, d)
        - 0.5 * d * _LOG_2PI
        + _log_weights(params.weights)
    )
    return np.hstack([quad, linear, constant[:, None]]).T


def weighted_log_prob(T, X, params, covariance_type, eta=None):
    """``ln pi_k + ln N(x_i | mu_k, Sigma_k)`` for every sample and component, shape (n, K).

    Parameters
    ----------
    T : ndarray of shape (n_samples, q + d + 1)
        Sufficient statistics of ``X`` (:func:`sufficient_statistics`).
    X : ndarray of shape (n_samples, n_features)
        The samples (only used by tied covariances).
    params : GaussianParams
    covariance_type : str
    eta : ndarray, optional
        Precomputed :func:`natural_parameters`.
    """
    if eta is None:
        eta = natural_parameters(params, covariance_type)
    log_prob = T @ eta
    if covariance_type == "tied":
        Y = X @ params.precisions_cholesky
        log_prob -= 0.5 * np.einsum("ij,ij->i", Y, Y)[:, None]
    return log_prob


def m_step(S, covariance_type, reg_covar, n_features, XtWX=None):
    """Parameters maximizing the expected complete-data log-likelihood, from ``S = R_w^T T(X)``.

    Parameters
    ----------
    S : ndarray of shape (K, q + d + 1)
        Responsibility-weighted sums of the sufficient statistics: ``sum_i w_i r_ik T(x_i)``.
    covariance_type : str
    reg_covar : float
        Added to the diagonal of every covariance.
    n_features : int
    XtWX : ndarray of shape (d, d), optional
        ``sum_i w_i x_i x_i^T`` (needed for tied covariances only).

    Returns
    -------
    params : GaussianParams
    """
    d = n_features
    q = S.shape[1] - d - 1
    # 10 eps keeps empty components finite, as in scikit-learn.
    nk = S[:, -1] + 10 * np.finfo(np.float64).eps
    means = S[:, q : q + d] / nk[:, None]
    second = S[:, :q] / nk[:, None]
    if covariance_type == "full":
        i, j = _triu(d)
        cov = np.empty((len(nk), d, d))
        cov[:, i, j] = second
        cov[:, j, i] = second
        cov -= np.einsum("ki,kj->kij", means, means)
        cov[:, np.arange(d), np.arange(d)] += reg_covar
    elif covariance_type == "tied":
        cov = (XtWX - (nk[:, None] * means).T @ means) / nk.sum()
        cov.flat[:: d + 1] += reg_covar
    elif covariance_type == "diag":
        cov = second - means**2 + reg_covar
    else:
        cov = (second[:, 0] - np.einsum("ki,ki->k", means, means)) / d + reg_covar
    weights = nk / nk.sum()
    return GaussianParams(weights, means, cov, precision_cholesky(cov, covariance_type, reg_covar))


# --- the estimator -----------------------------------------------------------------------------


GMMSample = namedtuple("GMMSample", ["X", "y"])
GMMSample.__doc__ = """Samples drawn from a fitted :class:`GMMEM`: ``X, y = gmm.sample(n)``.

``X`` (n_samples, n_features) are the points, ``y`` (n_samples,) their components. Like
:meth:`sklearn.mixture.GaussianMixture.sample` it unpacks as ``(X, y)``; ``np.asarray(sample)`` is
``X``.
"""
GMMSample.__array__ = lambda self, dtype=None, copy=None: np.asarray(self.X, dtype=dtype)


def _check_no_overflow(Xc, total_weight, what):
    """Refuse data whose second moments ``sum_i w_i (x_i - mean)^2`` overflow float64.

    The E- and M-steps work with ``x x^T``; a product that overflows turns the responsibilities into
    NaN. The bound ``max|x|^2 * (W + 1) * (d + 1)`` on every sum is compared in log space.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        scale = float(np.max(np.abs(Xc), initial=0.0))
    if not np.isfinite(scale):
        raise ValueError(f"{what} overflows float64 once centred (overflow); scale it down.")
    if scale > 0 and (
        2 * np.log(scale) + np.log1p(total_weight) + np.log(Xc.shape[1] + 1)
        >= np.log(np.finfo(np.float64).max)
    ):
        raise ValueError(_OVERFLOW.format(what=what, scale=scale, n=Xc.shape[0]))


class _GMMData:
    """What every iteration and restart shares: centered data and its sufficient statistics."""

    def __init__(self, X, sample_weight, covariance_type, center, what="X"):
        self.X = X
        self.center = center
        with np.errstate(over="ignore", invalid="ignore"):
            self.Xc = X - center
        _check_no_overflow(self.Xc, float(np.sum(sample_weight)), what)
        self.covariance_type = covariance_type
        n, d = X.shape
        self.n_stats = len(quadratic_statistics(self.Xc[:1], covariance_type)[0]) + d + 1
        self.unit_weight = bool(np.all(sample_weight == 1.0))
        self.sample_weight = sample_weight
        self.cached = n * self.n_stats <= _MAX_CACHED_STATS
        step = max(1, _CHUNK_ELEMENTS // self.n_stats)
        self.chunks = [slice(s, min(s + step, n)) for s in range(0, n, step)]
        if self.cached:
            self.T = sufficient_statistics(self.Xc, covariance_type)
            self.Tw = self.T if self.unit_weight else self.T * sample_weight[:, None]
        self.XtWX = None
        if covariance_type == "tied":
            self.XtWX = (self.Xc * sample_weight[:, None]).T @ self.Xc

    def stats(self, rows=None):
        """``(T, T * w)`` for the given rows (all rows when ``rows`` is None and cached)."""
        if self.cached:
            return (self.T, self.Tw) if rows is None else (self.T[rows], self.Tw[rows])
        T = sufficient_statistics(self.Xc[rows], self.covariance_type)
        return T, (T if self.unit_weight else T * self.sample_weight[rows, None])


def normalize_log_prob(log_prob):
    """Turn ``ln pi_k N(x_i | k)`` into responsibilities, in place, and return ``ln p(x_i)``.

    This is log-sum-exp over each row, fused with the responsibilities: with ``m_i = max_k`` of the
    row, ``r_ik = exp(l_ik - m_i) / s_i`` and ``ln p(x_i) = m_i + ln s_i`` where
    ``s_i = sum_k exp(l_ik - m_i)``. The exponentials are computed once and reused for both, where
    ``scipy.special.logsumexp`` followed by ``exp(log_resp)`` computes them twice.

    Parameters
    ----------
    log_prob : ndarray of shape (n_samples, n_components)
        Overwritten with the responsibilities.

    Returns
    -------
    log_norm : ndarray of shape (n_samples,)
    """
    row_max = log_prob.max(axis=1)
    log_prob -= row_max[:, None]
    np.exp(log_prob, out=log_prob)
    total = log_prob.sum(axis=1)
    log_prob /= total[:, None]
    return np.log(total) + row_max


def responsibilities(data, params, covariance_type):
    """The E-step over all samples: ``(resp, ln p(x_i))``."""
    eta = natural_parameters(params, covariance_type)
    n = data.Xc.shape[0]
    if data.cached:
        resp = weighted_log_prob(data.T, data.Xc, params, covariance_type, eta)
        return resp, normalize_log_prob(resp)
    resp = np.empty((n, params.means.shape[0]))
    log_norm = np.empty(n)
    for rows in data.chunks:
        T, _ = data.stats(rows)
        chunk = weighted_log_prob(T, data.Xc[rows], params, covariance_type, eta)
        log_norm[rows] = normalize_log_prob(chunk)
        resp[rows] = chunk
    return resp, log_norm


class GMMEM(DensityMixin, BaseEM):
    """Gaussian mixture model fitted by expectation-maximization.

    The E-step computes the responsibilities ``r_ik`` (log-sum-exp), the M-step updates
    ``pi_k, mu_k, Sigma_k``; the loop, restarts, convergence test and history are :class:`BaseEM`'s,
    shared with :class:`~sklearn_notes.mixture.KMeansEM`. Both steps are single matrix products with
    the per-sample sufficient statistics ``T(x) = (vech(x x^T), x, 1)`` (see the module docstring).

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        ``"full"``: one general covariance per component; ``"tied"``: one covariance shared by all;
        ``"diag"``: one diagonal covariance per component; ``"spherical"``: one variance per
        component.
    tol : float, default=1e-3
        Convergence when the mean log-likelihood per sample changes by at most ``tol``.
    reg_covar : float, default=1e-6
        Non-negative regularization added to the diagonal of the covariances (keeps them positive
        definite).
    max_iter : int, default=100
        Maximum number of EM iterations per initialization (0 keeps the initial parameters).
    n_init : int, default=1
        Number of initializations; the one with the highest final log-likelihood is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
        How the initial responsibilities are chosen: ``"kmeans"``: hard labels of
        :class:`~sklearn_notes.mixture.KMeansEM`; ``"k-means++"``: one-hot at k-means++ seeds;
        ``"random"``: random rows of probabilities; ``"random_from_data"``: one-hot at random
        samples. An M-step turns them into ``theta^(0)``.
    weights_init : array-like of shape (n_components,), default=None
        Initial mixture weights (else from ``init_params``).
    means_init : array-like of shape (n_components, n_features), default=None
        Initial means (else from ``init_params``).
    precisions_init : array-like, default=None
        Initial precisions (inverse covariances), shaped like ``precisions_`` (else from
        ``init_params``).
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization and :meth:`sample`.
    warm_start : bool, default=False
        If True, a new ``fit`` starts from the current parameters (``n_init`` is then 1).
    verbose : int, default=0
        1: one line per initialization; 2: one line per iteration.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixture weights ``pi_k``.
    means_ : ndarray of shape (n_components, n_features)
        Component means ``mu_k``.
    covariances_ : ndarray
        Covariances: (n_components, n_features, n_features) full, (n_features, n_features) tied,
        (n_components, n_features) diag, (n_components,) spherical.
    precisions_ : ndarray
        Inverse covariances, same shapes.
    precisions_cholesky_ : ndarray
        Factors ``P`` with ``precisions_ = P P^T`` (full, tied) or ``P^2`` (diag, spherical).
    converged_ : bool
        Whether the kept initialization converged before ``max_iter``.
    n_iter_ : int
        Number of EM iterations of the kept initialization.
    lower_bound_ : float
        (Weighted) mean log-likelihood of the training data under the fitted parameters (the EM
        bound after the final E-step, where it is tight). Equals ``score(X)`` for the training ``X``
        without sample weights.
    lower_bounds_ : ndarray of shape (n_iter_ + 1,)
        The mean log-likelihood at the initial parameters and after every iteration: non-decreasing.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    KMeansEM : The hard-assignment special case on the same EM engine.
    sklearn.mixture.GaussianMixture : scikit-learn's implementation.

    References
    ----------
    .. [1] A. P. Dempster, N. M. Laird and D. B. Rubin, "Maximum likelihood from incomplete data via
       the EM algorithm", J. R. Stat. Soc. B 39(1), 1977.
    .. [2] C. M. Bishop, "Pattern Recognition and Machine Learning", sections 9.2-9.4, Springer,
       2006.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.mixture import GMMEM
    >>> X = np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 0.0], [10.0, 2.0], [10.0, 4.0], [10.0, 0.0]])
    >>> gmm = GMMEM(n_components=2, random_state=0).fit(X)
    >>> np.round(sorted(gmm.means_.tolist()), 6).tolist()
    [[1.0, 2.0], [10.0, 2.0]]
    >>> bool(gmm.predict([[0.0, 0.0]])[0] == gmm.predict([[1.0, 1.0]])[0])
    True
    >>> bool(np.all(np.diff(gmm.lower_bounds_) >= -1e-12))
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions(set(_COVARIANCE_TYPES))],
        "tol": [Interval(numbers.Real, 0.0, None, closed="left")],
        "reg_covar": [Interval(numbers.Real, 0.0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "n_init": [Interval(numbers.Integral, 1, None, closed="left")],
        "init_params": [StrOptions({"kmeans", "k-means++", "random", "random_from_data"})],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    # --- EM hooks ------------------------------------------------------------------------------

    def _blas_threads(self, X):
        # Thin products (few statistics x few components) run best single-threaded; wide ones
        # (e.g. full covariances in many dimensions) are worth BLAS's threads.
        d = X.shape[1]
        n_stats = {"full": d * (d + 1) // 2, "diag": d, "spherical": 1, "tied": 0}
        return None if (n_stats[self.covariance_type] + d + 1) * self.n_components >= 4096 else 1

    def _prepare(self, X, sample_weight):
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused by _GMMData
            center = np.average(X, axis=0, weights=sample_weight)
        return _GMMData(X, sample_weight, self.covariance_type, center)

    def _e_step(self, data, sample_weight, params):
        resp, log_norm = responsibilities(data, params, self.covariance_type)
        return resp, float(sample_weight @ log_norm) / float(sample_weight.sum())

    def _m_step(self, data, sample_weight, resp):
        if data.cached:
            S = resp.T @ data.Tw
        else:
            S = np.zeros((resp.shape[1], data.n_stats))
            for rows in data.chunks:
                S += resp[rows].T @ data.stats(rows)[1]
        return m_step(S, self.covariance_type, self.reg_covar, data.X.shape[1], data.XtWX)

    def _initial_resp(self, data, random_state):
        X = data.X
        n, K = X.shape[0], self.n_components
        resp = np.zeros((n, K))
        if self.init_params == "kmeans":
            labels = (
                KMeansEM(n_clusters=K, n_init=1, random_state=random_state)
                .fit(X, sample_weight=data.sample_weight)
                .labels_
            )
            resp[np.arange(n), labels] = 1.0
        elif self.init_params == "k-means++":
            _, indices = kmeans_plusplus(
                X, K, sample_weight=data.sample_weight, random_state=random_state
            )
            resp[indices, np.arange(K)] = 1.0
        elif self.init_params == "random":
            resp = random_state.uniform(size=(n, K))
            resp /= resp.sum(axis=1, keepdims=True)
        else:
            indices = random_state.choice(n, size=K, replace=False)
            resp[indices, np.arange(K)] = 1.0
        return resp

    def _initialize(self, data, sample_weight, random_state):
        d = data.X.shape[1]
        given = (self.weights_init, self.means_init, self.precisions_init)
        if all(v is not None for v in given):
            weights, means, precisions_cholesky = self._user_init(d)
            covariances = _covariances_from_cholesky(precisions_cholesky, self.covariance_type)
            return GaussianParams(weights, means - data.center, covariances, precisions_cholesky)
        params = self._m_step(data, sample_weight, self._initial_resp(data, random_state))
        weights, means, precisions_cholesky = self._user_init(d)
        if weights is not None:
            params.weights = weights
        if means is not None:
            params.means = means - data.center
        if precisions_cholesky is not None:
            params.precisions_cholesky = precisions_cholesky
            params.covariances = _covariances_from_cholesky(
                precisions_cholesky, self.covariance_type
            )
        return params

    def _user_init(self, n_features):
        """Validated ``weights_init``, ``means_init`` and Cholesky factors of ``precisions_init``.

        Each is None when not given.
        """
        K, ct = self.n_components, self.covariance_type
        weights = means = chol = None
        if self.weights_init is not None:
            weights = _checked_array(self.weights_init, (K,), "weights_init")
            if np.any(weights < 0) or np.any(weights > 1):
                raise ValueError("weights_init must lie in [0, 1].")
            if not np.isclose(weights.sum(), 1.0, rtol=0, atol=1e-6):
                raise ValueError(f"weights_init must sum to 1; it sums to {weights.sum():.6f}.")
        if self.means_init is not None:
            means = _checked_array(self.means_init, (K, n_features), "means_init")
        if self.precisions_init is not None:
            shape = {
                "full": (K, n_features, n_features),
                "tied": (n_features, n_features),
                "diag": (K, n_features),
                "spherical": (K,),
            }[ct]
            precisions = _checked_array(self.precisions_init, shape, "precisions_init")
            chol = _cholesky_of_precisions(precisions, ct)
        return weights, means, chol

    def _warm_params(self, data):
        return GaussianParams(
            self.weights_.copy(),
            self.means_ - data.center,
            self.covariances_.copy(),
            self.precisions_cholesky_.copy(),
        )

    # --- public API ----------------------------------------------------------------------------

    def _fit(self, X, sample_weight):
        # A warm start continues from the fitted parameters, so X must have their features.
        warm = self.warm_start and hasattr(self, "n_iter_")
        X = validate_data(
            self, X, dtype=np.float64, ensure_min_samples=2, order="C", reset=not warm
        )
        sample_weight = check_sample_weight(sample_weight, X)
        if X.shape[0] < self.n_components:
            raise ValueError(
                "Expected n_samples >= n_components but got "
                f"n_components = {self.n_components}, n_samples = {X.shape[0]}"
            )
        run = self._fit_em(X, sample_weight)
        p = run.params
        center = np.average(X, axis=0, weights=sample_weight)  # finite: _prepare checked it
        self.weights_ = p.weights
        self.means_ = p.means + center
        self.covariances_ = p.covariances
        self.precisions_cholesky_ = p.precisions_cholesky
        self.precisions_ = precisions_from_cholesky(p.precisions_cholesky, self.covariance_type)
        self.converged_ = run.converged
        self.n_iter_ = run.n_iter
        self.lower_bound_ = run.objective
        self.lower_bounds_ = np.asarray(run.history)
        self._center = center
        return run

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Estimate the mixture's parameters by EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a weight of ``m`` acts like ``m`` copies of the sample (in the
            likelihood and in the ``"kmeans"`` / ``"k-means++"`` initializations).

        Returns
        -------
        self : GMMEM
            Fitted estimator.
        """
        self._fit(X, sample_weight)
        return self

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then return the most probable component of each training sample.

        The labels come from the E-step at the final parameters, so they equal ``predict(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights (see :meth:`fit`).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return self._fit(X, sample_weight).resp.argmax(axis=1)

    def _posterior(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False, order="C")
        data = _GMMData(X, np.ones(X.shape[0]), self.covariance_type, self._center, what="X")
        params = GaussianParams(
            self.weights_, self.means_ - self._center, self.covariances_, self.precisions_cholesky_
        )
        return responsibilities(data, params, self.covariance_type)

    def predict(self, X):
        """Most probable component of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return self._posterior(X)[0].argmax(axis=1)

    def predict_proba(self, X):
        """Responsibilities ``r_ik = p(z = k | x_i)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
            Rows of probabilities.
        """
        return self._posterior(X)[0]

    def score_samples(self, X):
        """Log-density ``ln p(x_i) = ln sum_k pi_k N(x_i | mu_k, Sigma_k)`` of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
        """
        return self._posterior(X)[1]

    def score(self, X, y=None):
        """Mean log-likelihood per sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        log_likelihood : float
        """
        return float(self.score_samples(X).mean())

    def _n_parameters(self):
        K = self.n_components
        d = self.means_.shape[1]
        cov = {
            "full": K * d * (d + 1) / 2.0,
            "tied": d * (d + 1) / 2.0,
            "diag": K * d,
            "spherical": K,
        }[self.covariance_type]
        return int(cov + K * d + K - 1)

    def bic(self, X):
        """Bayesian information criterion: ``-2 ln L + n_parameters ln n`` (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        bic : float
        """
        n = np.asarray(X).shape[0]
        return -2.0 * self.score(X) * n + self._n_parameters() * np.log(n)

    def aic(self, X):
        """Akaike information criterion: ``-2 ln L + 2 n_parameters`` (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        aic : float
        """
        n = np.asarray(X).shape[0]
        return -2.0 * self.score(X) * n + 2 * self._n_parameters()

    def sample(self, n_samples=1, random_state=None):
        """Draw samples from the fitted mixture (ancestral sampling: ``z ~ pi``, then ``x ~ N_z``).

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        random_state : int, RandomState instance or None, default=None
            Seed of the draw; ``None`` uses the estimator's ``random_state``.

        Returns
        -------
        sample : GMMSample
            Named tuple ``(X, y)``: ``X`` of shape (n_samples, n_features), ``y`` the components.
        """
        check_is_fitted(self)
        if not (isinstance(n_samples, numbers.Integral) and n_samples >= 1):
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        rng = check_random_state(self.random_state if random_state is None else random_state)
        counts = rng.multinomial(n_samples, self.weights_)
        d = self.means_.shape[1]
        ct = self.covariance_type
        parts = []
        for k, (mean, count) in enumerate(zip(self.means_, counts)):
            z = rng.standard_normal(size=(count, d))
            if ct in ("full", "tied"):
                cov = self.covariances_[k] if ct == "full" else self.covariances_
                z = z @ np.linalg.cholesky(cov).T
            else:
                z = z * np.sqrt(self.covariances_[k])
            parts.append(mean + z)
        y = np.repeat(np.arange(self.n_components), counts)
        return GMMSample(np.vstack(parts), y)


def _checked_array(value, shape, name):
    array = np.asarray(value, dtype=np.float64)
    if array.shape != shape:
        # scikit-learn's wording, with our parameter's name
        raise ValueError(
            f"The parameter '{name}' should have the shape of {shape}, but got {array.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return array


def _cholesky_of_precisions(precisions, covariance_type):
    """Factors ``P`` with ``precisions = P P^T`` (lower Cholesky); checks positive definiteness."""
    if covariance_type in ("diag", "spherical"):
        if np.any(precisions <= 0):
            raise ValueError("precisions_init must be positive.")
        return np.sqrt(precisions)
    stack = precisions[None] if covariance_type == "tied" else precisions
    factors = np.empty_like(stack)
    for k, prec in enumerate(stack):
        if not np.allclose(prec, prec.T):
            raise ValueError("precisions_init must be symmetric.")
        try:
            factors[k] = scipy.linalg.cholesky(prec, lower=True)
        except np.linalg.LinAlgError:
            raise ValueError("precisions_init must be positive definite.") from None
    return factors[0] if covariance_type == "tied" else factors


def _covariances_from_cholesky(precisions_cholesky, covariance_type):
    """``Sigma = (P P^T)^-1`` (full, tied) or ``1 / P^2`` (diag, spherical)."""
    if covariance_type in ("diag", "spherical"):
        return 1.0 / precisions_cholesky**2
    return np.linalg.inv(precisions_from_cholesky(precisions_cholesky, covariance_type))
