r"""How good is a generator? Precision and recall, MMD, support distance, a reader (rows 33-35).

The notes compare diffusion models, GANs and VAEs on quality, diversity (mode collapse) and
stability. Each number here has a failure it detects and a control it must be read beside
(:func:`control_samples`): samples that copy the training data (a perfect score that means
memorization, not generation), uniform noise over the data's bounding box, and one Gaussian with
the data's mean and covariance (a blob).

- :func:`precision_recall` (Kynkäänniemi et al. 2019): each real point owns a ball reaching its
  k-th nearest real neighbour; *precision* is the share of generated samples inside some real ball
  (quality: noise and blobs fall outside), *recall* the share of real points inside some generated
  ball (diversity: a collapsed generator misses modes).
- :func:`mmd2` and :func:`multiscale_mmd2`: the squared maximum mean discrepancy,
  :math:`\mathbb E k(x, x') + \mathbb E k(y, y') - 2\,\mathbb E k(x, y)`, zero iff the
  distributions are equal; a kernel at the median distance barely tells a blob from a ring, so it
  is reported at several bandwidths, down to a tenth of the median.
- :func:`support_share`: the share of samples within ``n_sigma`` noise standard deviations of the
  true (noise-free) support, when it is known; :func:`support_spread` compares how far they
  spread around it with real data (samples sharper than the data get full marks from the share);
  :func:`mode_coverage` counts the modes that receive a fair share of such *close* samples (a
  sample far from every mode covers none).
- :func:`reader_scores`: for labelled data such as images, a classifier trained on the training
  split reads the samples: mean confidence, the share of each class (collapse shows as a rare
  class) and, for class-conditional samples, agreement with the requested class.
"""

import numbers

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_array, check_random_state

__all__ = [
    "control_samples",
    "fit_reader",
    "make_ring",
    "mmd2",
    "mode_coverage",
    "multiscale_mmd2",
    "precision_recall",
    "reader_scores",
    "ring_centers",
    "support_share",
    "support_spread",
]

# rows of the distance matrices computed at once (memory stays at _CHUNK * n floats)
_CHUNK = 1024


# --- synthetic data with a known support --------------------------------------------------------


def ring_centers(n_modes=8, radius=2.0):
    """The ``n_modes`` centres evenly spaced on a circle, shape (n_modes, 2).

    Parameters
    ----------
    n_modes : int, default=8
    radius : float, default=2.0

    Returns
    -------
    centers : ndarray of shape (n_modes, 2)

    Examples
    --------
    >>> from sklearn_notes.generative import ring_centers
    >>> ring_centers(4).round(6).tolist()
    [[2.0, 0.0], [0.0, 2.0], [-2.0, 0.0], [-0.0, -2.0]]
    """
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

    Examples
    --------
    >>> from sklearn_notes.generative import make_ring
    >>> X, y = make_ring(100, random_state=0)
    >>> X.shape, sorted(set(y)) == list(range(8))
    ((100, 2), True)
    """
    rng = check_random_state(random_state)
    y = rng.randint(n_modes, size=n_samples)
    X = ring_centers(n_modes, radius)[y] + sigma * rng.standard_normal((n_samples, 2))
    return X, y


# --- controls ----------------------------------------------------------------------------------


def control_samples(X_train, n_samples, *, random_state=None):
    """The samples every metric is read beside: copies, uniform noise and one Gaussian.

    Parameters
    ----------
    X_train : array-like of shape (n_train, n_features)
        The data the generator was trained on.
    n_samples : int
        Samples per control.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    controls : dict of str -> ndarray of shape (n_samples, n_features)
        ``"training copies"``: rows of ``X_train`` (without replacement while there are enough;
        beyond ``n_train``, every row once per round; what a generator that memorized its data
        produces: every similarity metric gives it full marks).
        ``"uniform noise"``: uniform over the bounding box of ``X_train`` (must not score well).
        ``"one Gaussian"``: :math:`\\mathcal N(\\bar x, \\hat\\Sigma)` of ``X_train`` (a blob:
        right mean and spread, no structure).

    Examples
    --------
    >>> from sklearn_notes.generative import control_samples, make_ring
    >>> X, _ = make_ring(200, random_state=0)
    >>> {k: v.shape for k, v in control_samples(X, 5, random_state=0).items()}
    {'training copies': (5, 2), 'uniform noise': (5, 2), 'one Gaussian': (5, 2)}
    """
    X_train = check_array(X_train, dtype=np.float64)
    rng = check_random_state(random_state)
    low, high = X_train.min(axis=0), X_train.max(axis=0)
    cov = np.atleast_2d(np.cov(X_train, rowvar=False))
    n_train = len(X_train)
    if n_samples <= n_train:
        rows = rng.choice(n_train, n_samples, replace=False)
    else:  # every row once per round, so that the copies hold the whole training set
        rounds = [rng.permutation(n_train) for _ in range(-(-n_samples // n_train))]
        rows = np.concatenate(rounds)[:n_samples]
    return {
        "training copies": X_train[rows],
        "uniform noise": rng.uniform(low, high, size=(n_samples, X_train.shape[1])),
        "one Gaussian": rng.multivariate_normal(X_train.mean(axis=0), cov, size=n_samples),
    }


# --- precision and recall ----------------------------------------------------------------------


def _manifold(X, k):
    """``(centres, radii)`` of the k-NN manifold of X: its distinct rows, and the distance from
    each to its k-th nearest other one."""
    # A repeated row would be its own nearest neighbours, with radius 0: the training copies
    # drawn beyond the training set's size lost 60 % of their recall (0.37 against 0.96).
    X = np.unique(X, axis=0)
    if len(X) <= k:
        raise ValueError(f"precision_recall needs more than k={k} distinct samples in each set.")
    # a tree computes each distance from the differences, as cdist does below: the brute backend's
    # |a|^2 - 2ab + |b|^2 errs by ~1e-8, which decides ties at a ball's edge at random
    dist, _ = NearestNeighbors(n_neighbors=k + 1, algorithm="ball_tree").fit(X).kneighbors(X)
    return X, dist[:, k]  # column 0 is the point itself


def _share_inside_balls(points, centers, radii):
    """Share of ``points`` within ``radii[j]`` of some ``centers[j]``."""
    inside = np.zeros(len(points), dtype=bool)
    for start in range(0, len(points), _CHUNK):
        d = cdist(points[start : start + _CHUNK], centers)
        inside[start : start + _CHUNK] = np.any(d <= radii, axis=1)
    return float(inside.mean())


def precision_recall(X_real, X_fake, *, k=3):
    """Precision and recall of generated samples on k-NN manifolds (Kynkäänniemi et al. 2019).

    Each set's manifold is the union of balls centred on its points, with radius the distance to
    the point's ``k``-th nearest neighbour in the same set. A row repeated in a set counts once
    there (as its own neighbour it would get radius 0, and a generator that repeats its training
    data would lose its recall); every row counts in the shares.

    Parameters
    ----------
    X_real : array-like of shape (n_real, n_features)
        Real samples (held-out data).
    X_fake : array-like of shape (n_fake, n_features)
        Generated samples.
    k : int, default=3
        Neighbour defining the radii (the paper's choice is 3).

    Returns
    -------
    precision : float
        Share of ``X_fake`` inside the real manifold (quality).
    recall : float
        Share of ``X_real`` inside the generated manifold (diversity).

    References
    ----------
    .. [1] Kynkäänniemi, Karras, Laine, Lehtinen, Aila, "Improved Precision and Recall Metric
       for Assessing Generative Models", NeurIPS 2019.

    Examples
    --------
    >>> from sklearn_notes.generative import make_ring, precision_recall
    >>> X, _ = make_ring(500, random_state=0)
    >>> Y, _ = make_ring(500, random_state=1)
    >>> p, r = precision_recall(X, Y)
    >>> bool(p > 0.9 and r > 0.9)
    True
    """
    X_real = check_array(X_real, dtype=np.float64)
    X_fake = check_array(X_fake, dtype=np.float64)
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    if X_real.shape[1] != X_fake.shape[1]:
        raise ValueError(
            f"X_real has {X_real.shape[1]} features and X_fake {X_fake.shape[1]}; they must match."
        )
    precision = _share_inside_balls(X_fake, *_manifold(X_real, k))
    recall = _share_inside_balls(X_real, *_manifold(X_fake, k))
    return precision, recall


# --- maximum mean discrepancy ------------------------------------------------------------------


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

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.generative import mmd2
    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(300, 2)), rng.normal(size=(300, 2))
    >>> bool(abs(mmd2(X, Y)) < 0.01 < mmd2(X, Y + 1))
    True
    """
    X, Y = _two_sets(X, Y, "mmd2")
    gamma = 1.0 / X.shape[1] if gamma is None else gamma
    if not (isinstance(gamma, numbers.Real) and np.isfinite(gamma) and gamma > 0):
        raise ValueError(f"gamma must be a positive number, got {gamma!r}.")
    return _mmd2_at(X, Y, [gamma])[0]


def _two_sets(X, Y, name):
    """X and Y validated as two samples of the same space, at least 2 rows each."""
    X = check_array(X, dtype=np.float64)
    Y = check_array(Y, dtype=np.float64)
    if len(X) < 2 or len(Y) < 2:
        raise ValueError(f"{name} needs at least 2 samples in each set.")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"The two sets have {X.shape[1]} and {Y.shape[1]} features; they must match."
        )
    return X, Y


def _mmd2_at(X, Y, gammas):
    """Unbiased MMD^2 of X and Y for each RBF width in ``gammas`` (a list of floats).

    The kernel sums run over blocks of ``_CHUNK`` rows, so memory grows as ``_CHUNK * n``, not
    ``n^2``, and each block's squared distances serve every width. The data are centred on their
    pooled mean first: |a|^2 - 2ab + |b|^2 loses the distance to round-off when the data sit far
    from the origin (the sign of MMD^2 flipped at an offset of 1e7), and the MMD does not change
    under a shift.
    """
    centre = (X.sum(axis=0) + Y.sum(axis=0)) / (len(X) + len(Y))
    X, Y = X - centre, Y - centre
    gammas = np.asarray(gammas, dtype=np.float64)

    def kernel_sums(A, B, same):
        """sum_{i, j} k(a_i, b_j) per width (i != j when A is B)."""
        total = np.zeros(len(gammas))
        for start in range(0, len(A), _CHUNK):
            d2 = euclidean_distances(A[start : start + _CHUNK], B, squared=True)
            if same:  # leave out k(a_i, a_i)
                rows = np.arange(len(d2))
                d2[rows, start + rows] = np.inf
            for g, gamma in enumerate(gammas):
                total[g] += np.exp(-gamma * d2).sum()
        return total

    m, n = len(X), len(Y)
    values = (
        kernel_sums(X, X, True) / (m * (m - 1))
        + kernel_sums(Y, Y, True) / (n * (n - 1))
        - 2.0 * kernel_sums(X, Y, False) / (m * n)
    )
    return [float(v) for v in values]


def _median_distance(X, *, max_samples=1000, random_state=0):
    """Median pairwise Euclidean distance of X (on a fixed subsample of ``max_samples`` rows).

    The subsample is drawn from the rows in sorted order, so that it depends on the set of rows
    of X and not on their order.
    """
    X = check_array(X, dtype=np.float64)
    if len(X) > max_samples:
        X = X[np.lexsort(X.T[::-1])]
        X = X[check_random_state(random_state).choice(len(X), max_samples, replace=False)]
    d = euclidean_distances(X)
    return float(np.median(d[np.triu_indices(len(X), k=1)]))


def multiscale_mmd2(X_real, X_fake, *, scales=(0.1, 0.3, 1.0)):
    """Squared MMD at RBF bandwidths ``scale * median distance of X_real``.

    The kernel :math:`\\exp(-\\|x - y\\|^2 / (2h^2))` with :math:`h` at the median distance (the
    usual heuristic) sees only the coarse shape: a single Gaussian blob and a ring of tight modes
    differ little under it. A bandwidth of a tenth of the median sees the modes.

    Parameters
    ----------
    X_real : array-like of shape (m, n_features)
        Real samples; their median pairwise distance sets the bandwidths (over a fixed
        subsample of 1,000 rows when there are more, which depends on the rows, not their order).
    X_fake : array-like of shape (n, n_features)
    scales : sequence of float, default=(0.1, 0.3, 1.0)
        Bandwidths as multiples of the median distance.

    Returns
    -------
    mmd2 : dict of float -> float
        Scale -> unbiased squared MMD.

    Examples
    --------
    >>> from sklearn_notes.generative import make_ring, multiscale_mmd2
    >>> X, _ = make_ring(400, random_state=0)
    >>> sorted(multiscale_mmd2(X, X[::-1] + 0.5))
    [0.1, 0.3, 1.0]
    """
    X_real, X_fake = _two_sets(X_real, X_fake, "multiscale_mmd2")
    scales = list(scales)
    if not scales or not all(
        isinstance(s, numbers.Real) and np.isfinite(s) and s > 0 for s in scales
    ):
        raise ValueError(f"scales must be positive numbers, got {scales!r}.")
    median = _median_distance(X_real)
    if not median > 0:
        raise ValueError(
            "X_real has a median pairwise distance of 0 (most of its rows are equal); the "
            "bandwidths would be 0."
        )
    values = _mmd2_at(X_real, X_fake, [0.5 / (s * median) ** 2 for s in scales])
    return dict(zip(scales, values))


# --- distance to a known support ---------------------------------------------------------------


def _check_tolerance(sigma, n_sigma):
    """A ValueError unless ``sigma`` and ``n_sigma`` are positive finite numbers."""
    for name, value in (("sigma", sigma), ("n_sigma", n_sigma)):
        if not (isinstance(value, numbers.Real) and np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number, got {value!r}.")


def _support_distances(support, sigma, n_sigma, *point_sets):
    """Validate the inputs of the support metrics; for each point set, the distance of each
    point to its nearest support point, shape (n,)."""
    support = check_array(support, dtype=np.float64)
    _check_tolerance(sigma, n_sigma)
    nn = NearestNeighbors(n_neighbors=1).fit(support)
    return [nn.kneighbors(check_array(p, dtype=np.float64))[0][:, 0] for p in point_sets]


def support_share(samples, support, sigma, *, n_sigma=3.0):
    """Share of samples within ``n_sigma * sigma`` of the true, noise-free support.

    Parameters
    ----------
    samples : array-like of shape (n_samples, n_features)
    support : array-like of shape (n_support, n_features)
        The support without noise: the mode centres of a mixture, or a dense sampling of the
        curve the data lie on (``make_moons(noise=0)``, say).
    sigma : float
        Standard deviation of the data's noise around the support.
    n_sigma : float, default=3.0
        Tolerance in noise standard deviations. For 2-D isotropic noise around a point, a share
        ``1 - exp(-n_sigma**2 / 2)`` of the true samples is within (0.989 at 3); around a curve,
        ``erf(n_sigma / sqrt(2))`` (0.997).

    Returns
    -------
    share : float

    Examples
    --------
    >>> from sklearn_notes.generative import make_ring, ring_centers, support_share
    >>> X, _ = make_ring(1000, random_state=0)
    >>> round(support_share(X, ring_centers(), 0.05), 2)
    0.99
    """
    (distance,) = _support_distances(support, sigma, n_sigma, samples)
    return float(np.mean(distance <= n_sigma * sigma))


def support_spread(samples, reference, support, sigma, *, n_sigma=3.0):
    """Spread of the samples around the true support, relative to real data's: 1 is right.

    The mean squared distance to the support (each distance capped at ``n_sigma * sigma``) of the
    samples over that of ``reference``, held-out real data. :func:`support_share` counts samples
    near the support, so samples *sharper* than the data (collapsed onto the mode centres or the
    curve) get full marks from it; this ratio shows them: below 1 the samples are too sharp (0
    on the noise-free support), above 1 too wide (noise and blobs, whose distances hit the cap).

    Parameters
    ----------
    samples : array-like of shape (n_samples, n_features)
    reference : array-like of shape (n_reference, n_features)
        Real data with the true noise, not used for training.
    support : array-like of shape (n_support, n_features)
        The support without noise, as for :func:`support_share`.
    sigma : float
        Standard deviation of the data's noise around the support.
    n_sigma : float, default=3.0
        Cap on the distances, in noise standard deviations: samples farther away are
        :func:`support_share`'s to count, and would otherwise dominate the mean.

    Returns
    -------
    ratio : float

    Examples
    --------
    >>> from sklearn_notes.generative import make_ring, ring_centers, support_spread
    >>> X, _ = make_ring(4000, random_state=0)
    >>> X_test, _ = make_ring(4000, random_state=1)
    >>> centers = ring_centers()
    >>> round(support_spread(X, X_test, centers, 0.05), 2)
    0.98
    >>> round(support_spread(centers[X[:, 0].argsort() % 8], X_test, centers, 0.05), 1)
    0.0
    """
    distance, reference_distance = _support_distances(support, sigma, n_sigma, samples, reference)
    cap = n_sigma * sigma
    mean_square = [np.mean(np.minimum(d, cap) ** 2) for d in (distance, reference_distance)]
    if not mean_square[1] > 0:
        raise ValueError(
            "reference lies on the support (mean squared distance 0): it must be real data with "
            "its noise, held out from training."
        )
    return float(mean_square[0] / mean_square[1])


def mode_coverage(samples, centers, sigma, *, n_sigma=3.0, min_share=0.25):
    """Modes that receive a fair share of *close* samples (diversity of a mixture's generator).

    Only samples within ``n_sigma * sigma`` of a centre count for it, so samples far from every
    mode (a blob between them, noise) cover nothing; a mode is covered when at least
    ``min_share`` of its fair share ``n_samples / n_modes`` lands there.

    Parameters
    ----------
    samples : array-like of shape (n_samples, n_features)
    centers : array-like of shape (n_modes, n_features)
    sigma : float
        Standard deviation of each mode.
    n_sigma : float, default=3.0
    min_share : float, default=0.25

    Returns
    -------
    n_covered : int
    counts : ndarray of shape (n_modes,)
        Samples within the tolerance of each centre.

    Examples
    --------
    >>> from sklearn_notes.generative import make_ring, mode_coverage, ring_centers
    >>> X, y = make_ring(800, random_state=0)
    >>> mode_coverage(X[y < 3], ring_centers(), 0.05)[0]
    3
    """
    samples = check_array(samples, dtype=np.float64)
    centers = check_array(centers, dtype=np.float64)
    _check_tolerance(sigma, n_sigma)
    if not (isinstance(min_share, numbers.Real) and 0 <= min_share <= 1):
        raise ValueError(f"min_share must be a number in [0, 1], got {min_share!r}.")
    close = euclidean_distances(samples, centers) <= n_sigma * sigma
    counts = close.sum(axis=0)
    return int(np.sum(counts >= min_share * len(samples) / len(centers))), counts


# --- a reader for labelled data ----------------------------------------------------------------


def fit_reader(X_train, y_train, *, C=10.0, random_state=0):
    """The classifier that reads generated samples: one-vs-rest RBF support vector classifiers
    with sigmoid (Platt) calibration, fitted on the training split only.

    Each class gets its own binary RBF classifier, calibrated by cross-validation
    (scikit-learn's ``CalibratedClassifierCV``), and the per-class probabilities are normalized.
    Far from the training data every kernel value vanishes, each binary decision falls to its
    "not this class" side, and the normalized probabilities spread out: noise gets a low
    confidence. (Calibrating ``SVC``'s own multi-class decision function instead reads noise
    confidently: its "ovr" shape is built from one-vs-one votes, decisive anywhere; a linear
    reader such as logistic regression extrapolates and does the same.)

    Parameters
    ----------
    X_train : array-like of shape (n_samples, n_features)
        The training split (never the held-out data the samples are compared with).
    y_train : array-like of shape (n_samples,)
    C : float, default=10.0
        Regularization of each support vector classifier.
    random_state : int, default=0
        Seeds the shuffled 5-fold split of the calibration.

    Returns
    -------
    reader : sklearn.calibration.CalibratedClassifierCV
        Fitted, with ``predict_proba``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_notes.generative import fit_reader
    >>> X, y = load_iris(return_X_y=True)
    >>> fit_reader(X[::2], y[::2]).predict_proba(X[1::2]).shape
    (75, 3)
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import StratifiedKFold
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.svm import SVC

    from ..utils._threads import limit_blas

    reader = CalibratedClassifierCV(
        OneVsRestClassifier(SVC(C=C)),
        method="sigmoid",
        cv=StratifiedKFold(5, shuffle=True, random_state=random_state),
    )
    # the calibration is 5 x n_classes two-parameter fits: BLAS threads only add synchronization
    with limit_blas(1):
        return reader.fit(X_train, y_train)


def reader_scores(reader, samples, *, y=None):
    """Read generated samples with a classifier trained on the *training* split of real data.

    Parameters
    ----------
    reader : fitted classifier with ``predict_proba``
        E.g. :func:`fit_reader`'s, fitted on the training split (never on the held-out data
        the generator is compared with).
    samples : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), default=None
        The classes that class-conditional samples were asked for.

    Returns
    -------
    scores : dict
        ``"confidence"``: mean of the largest predicted probability (real held-out data score
        high, noise low); ``"class_shares"``: ndarray of shape (n_classes,), the share of samples
        read as each of ``reader.classes_``; ``"min_class_share"``: the smallest of them (mode
        collapse shows here); ``"agreement"`` (only with ``y``): share of samples read as the
        class requested.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_notes.generative import reader_scores
    >>> X, y = load_iris(return_X_y=True)
    >>> reader = LogisticRegression(max_iter=1000).fit(X[::2], y[::2])
    >>> scores = reader_scores(reader, X[1::2], y=y[1::2])
    >>> bool(scores["agreement"] > 0.9 and scores["min_class_share"] > 0.3)
    True
    """
    samples = check_array(samples, dtype=np.float64)
    proba = reader.predict_proba(samples)
    read = np.asarray(reader.classes_)[proba.argmax(axis=1)]
    shares = np.array([np.mean(read == c) for c in reader.classes_])
    scores = {
        "confidence": float(proba.max(axis=1).mean()),
        "class_shares": shares,
        "min_class_share": float(shares.min()),
    }
    if y is not None:
        y = np.asarray(y)
        if y.shape != (len(samples),):
            raise ValueError(f"y must have shape ({len(samples)},), got {y.shape}.")
        scores["agreement"] = float(np.mean(read == y))
    return scores
