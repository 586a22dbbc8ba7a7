"""How good is a generator? Mode coverage, sample quality and MMD (concept map rows 33-35).

The notes compare diffusion models, GANs and VAEs on quality, diversity (mode collapse) and
stability. On a ring of Gaussians these become numbers: *quality* is the share of samples within
``3 sigma`` of a mode, *diversity* the number of modes covered (a mode is covered when a fair
fraction of the samples fall nearest to it: a collapsed generator leaves modes empty), and the
maximum mean discrepancy measures the distance between two sample sets as a whole (0 iff the
distributions are equal, for a characteristic kernel such as the RBF).
"""

import numpy as np
from sklearn.metrics.pairwise import euclidean_distances, rbf_kernel
from sklearn.utils import check_random_state

__all__ = ["make_ring", "mmd2", "mode_quality", "ring_centers"]


def ring_centers(n_modes=8, radius=2.0):
    """The ``n_modes`` centres evenly spaced on a circle, shape (n_modes, 2)."""
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return radius * np.column_stack([np.cos(angles), np.sin(angles)])


def make_ring(n_samples=2000, *, n_modes=8, radius=2.0, sigma=0.05, random_state=None):
    """Sample a mixture of ``n_modes`` isotropic Gaussians on a circle (the GAN literature's ring).

    Parameters
    ----------
    n_samples : int, default=2000
    n_modes : int, default=8
    radius : float, default=2.0
    sigma : float, default=0.05
        Standard deviation of each mode.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
        The mode each sample came from.
    """
    rng = check_random_state(random_state)
    y = rng.randint(n_modes, size=n_samples)
    X = ring_centers(n_modes, radius)[y] + sigma * rng.standard_normal((n_samples, 2))
    return X, y


def mode_quality(samples, centers, sigma, *, min_share=0.25):
    """Mode coverage (diversity) and share of high-quality samples (quality).

    A sample is *high quality* when its nearest centre is within ``3 * sigma`` (99 % of the true
    samples of a 2-D mode are). A mode is *covered* when at least ``min_share`` of its fair share
    of the samples (``n / n_modes``) have it as nearest centre, so that a few stray samples do not
    count, while blurry samples (a VAE's) still show which modes are represented.

    Parameters
    ----------
    samples : array-like of shape (n_samples, n_features)
    centers : array-like of shape (n_modes, n_features)
    sigma : float
        Standard deviation of the modes.
    min_share : float, default=0.25

    Returns
    -------
    n_covered : int
        Number of covered modes.
    high_quality : float
        Fraction of the samples within ``3 sigma`` of a mode.
    counts : ndarray of shape (n_modes,)
        Samples per mode (by nearest centre).
    """
    samples = np.asarray(samples, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    dist = euclidean_distances(samples, centers)
    nearest = dist.argmin(axis=1)
    good = dist[np.arange(len(samples)), nearest] <= 3 * sigma
    counts = np.bincount(nearest, minlength=len(centers))
    threshold = min_share * len(samples) / len(centers)
    return int(np.sum(counts >= threshold)), float(good.mean()), counts


def mmd2(X, Y, *, gamma=None):
    r"""Unbiased estimate of the squared maximum mean discrepancy with an RBF kernel.

    .. math:: \widehat{\mathrm{MMD}}^2 = \frac{1}{m(m-1)}\sum_{i\ne j}k(x_i,x_j)
              + \frac{1}{n(n-1)}\sum_{i\ne j}k(y_i,y_j) - \frac{2}{mn}\sum_{i,j}k(x_i,y_j)

    with :math:`k(x, y) = \exp(-\gamma\|x-y\|^2)`. The population value is 0 iff the two
    distributions are equal; the unbiased estimate can be slightly negative.

    Parameters
    ----------
    X : array-like of shape (m, n_features)
    Y : array-like of shape (n, n_features)
        ``m, n >= 2``.
    gamma : float, default=None
        Kernel width; ``None`` uses ``1 / n_features`` (for standardized data).

    Returns
    -------
    mmd2 : float

    References
    ----------
    .. [1] Gretton et al., "A Kernel Two-Sample Test", JMLR 13, 2012 (eq. 3).
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if len(X) < 2 or len(Y) < 2:
        raise ValueError("mmd2 needs at least 2 samples in each set.")
    gamma = 1.0 / X.shape[1] if gamma is None else gamma
    m, n = len(X), len(Y)
    kxx = rbf_kernel(X, gamma=gamma)
    kyy = rbf_kernel(Y, gamma=gamma)
    kxy = rbf_kernel(X, Y, gamma=gamma)
    return float(
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
        - 2.0 * kxy.mean()
    )
