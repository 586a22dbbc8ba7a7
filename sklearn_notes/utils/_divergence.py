"""Kullback-Leibler divergences (concept map row 30).

The notes derive EM from ``ln p(X|theta) >= ln p(X|theta) - KL(q || p(z|x, theta))`` and the fact that
``KL >= 0`` with equality iff ``q = p`` (Gibbs' inequality, a consequence of Jensen). The VAE's ELBO
uses the closed-form Gaussian KL. Both functions here are >= 0 by construction: the discrete one is a
sum of ``scipy.special.rel_entr`` terms minus ``p - q`` (each term ``p log(p/q) - p + q >= 0``), the
Gaussian one is written through a Cholesky factor so that its pieces cannot cancel below zero by more
than round-off, which is clipped.
"""

import numpy as np
import scipy.linalg
from scipy.special import rel_entr

__all__ = ["gaussian_kl", "kl_divergence"]


def kl_divergence(p, q, *, axis=-1):
    r"""Kullback-Leibler divergence of discrete distributions, :math:`KL(p\|q)`.

    .. math:: KL(p \| q) = \sum_k p_k \log \frac{p_k}{q_k}

    in nats, with the conventions :math:`0 \log(0/q) = 0` and :math:`p \log(p/0) = +\infty`.

    Parameters
    ----------
    p, q : array-like
        Probability vectors (or stacks of them along ``axis``): non-negative, finite, summing to 1
        (within ``1e-6``). Broadcast against each other.
    axis : int, default=-1
        Axis along which the distributions lie.

    Returns
    -------
    kl : float or ndarray
        :math:`KL(p\|q) \ge 0`; 0 iff ``p == q``; ``inf`` when ``q`` is 0 where ``p`` is not.

    Raises
    ------
    ValueError
        On negative, non-finite or non-normalized input.

    Examples
    --------
    >>> from sklearn_notes.utils import kl_divergence
    >>> kl_divergence([0.5, 0.5], [0.5, 0.5])
    0.0
    >>> round(kl_divergence([1.0, 0.0], [0.5, 0.5]), 6)  # log 2
    0.693147
    """
    p = _as_distribution(p, "p", axis)
    q = _as_distribution(q, "q", axis)
    # rel_entr(p, q) - p + q >= 0 term by term, so the sum cannot round below 0 the way
    # sum(p log p/q) can; the -p + q parts sum to 0 for normalized inputs.
    terms = rel_entr(p, q) - p + q
    kl = np.sum(terms, axis=axis)
    kl = np.maximum(kl, 0.0)
    return float(kl) if np.ndim(kl) == 0 else kl


def _as_distribution(p, name, axis):
    p = np.asarray(p, dtype=np.float64)
    if p.ndim == 0:
        raise ValueError(f"{name} must be a probability vector, got a scalar.")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name} contains NaN or infinity.")
    if np.any(p < 0):
        raise ValueError(f"{name} has negative probabilities (min {p.min():.3g}).")
    sums = p.sum(axis=axis)
    if not np.allclose(sums, 1.0, atol=1e-6):
        raise ValueError(f"{name} must sum to 1 along axis {axis}; sums are {np.ravel(sums)[:5]}.")
    return p


def gaussian_kl(mu0, cov0, mu1, cov1):
    r"""Closed-form KL divergence between two multivariate Gaussians.

    .. math::

        KL(\mathcal N_0 \| \mathcal N_1) = \tfrac12 \Big[\operatorname{tr}(\Sigma_1^{-1}\Sigma_0)
        + (\mu_1-\mu_0)^\top \Sigma_1^{-1} (\mu_1-\mu_0) - d
        + \ln \frac{\det \Sigma_1}{\det \Sigma_0}\Big]

    Parameters
    ----------
    mu0, mu1 : array-like of shape (d,)
        Means.
    cov0, cov1 : array-like of shape (d, d), (d,) or scalar
        Covariances: a full symmetric positive-definite matrix, a vector of variances (diagonal
        covariance) or a scalar variance (isotropic).

    Returns
    -------
    kl : float
        The divergence in nats, ``>= 0``, 0 iff the Gaussians are equal.

    Raises
    ------
    ValueError
        If shapes disagree or a covariance is not symmetric positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.utils import gaussian_kl
    >>> gaussian_kl(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2))
    0.0
    >>> round(gaussian_kl([1.0], [[1.0]], [0.0], [[1.0]]), 6)  # (mu1 - mu0)^2 / 2
    0.5
    """
    mu0 = np.atleast_1d(np.asarray(mu0, dtype=np.float64))
    mu1 = np.atleast_1d(np.asarray(mu1, dtype=np.float64))
    if mu0.ndim != 1 or mu0.shape != mu1.shape:
        raise ValueError(
            f"mu0 and mu1 must be vectors of one length, got {mu0.shape} and {mu1.shape}."
        )
    if not (np.all(np.isfinite(mu0)) and np.all(np.isfinite(mu1))):
        raise ValueError("The means contain NaN or infinity.")
    d = mu0.shape[0]
    L0 = _cholesky_of(cov0, d, "cov0")
    L1 = _cholesky_of(cov1, d, "cov1")
    # With Sigma = L L^T: tr(S1^-1 S0) = ||L1^-1 L0||_F^2, the Mahalanobis term = ||L1^-1 dmu||^2 and
    # ln det S1 / det S0 = 2 sum(ln diag L1 - ln diag L0).
    M = scipy.linalg.solve_triangular(L1, L0, lower=True)
    m = scipy.linalg.solve_triangular(L1, mu1 - mu0, lower=True)
    logdet = 2.0 * np.sum(np.log(np.diag(L1)) - np.log(np.diag(L0)))
    kl = 0.5 * (np.sum(M * M) + m @ m - d + logdet)
    return float(max(kl, 0.0))


def _cholesky_of(cov, d, name):
    cov = np.asarray(cov, dtype=np.float64)
    if not np.all(np.isfinite(cov)):
        raise ValueError(f"{name} contains NaN or infinity.")
    if cov.ndim == 0:
        cov = np.full(d, float(cov))
    if cov.ndim == 1:
        if cov.shape != (d,):
            raise ValueError(f"{name} as variances must have shape ({d},), got {cov.shape}.")
        if np.any(cov <= 0):
            raise ValueError(f"{name} must have positive variances; it is not positive definite.")
        return np.diag(np.sqrt(cov))
    if cov.shape != (d, d):
        raise ValueError(f"{name} must have shape ({d}, {d}), got {cov.shape}.")
    if not np.allclose(cov, cov.T, rtol=1e-8, atol=1e-12):
        raise ValueError(f"{name} is not symmetric.")
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"{name} is not positive definite (not a valid covariance of a density)."
        ) from None
