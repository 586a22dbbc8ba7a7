"""The yardsticks of the generators, each read beside its controls: copies, noise and a blob."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_notes.generative import (
    control_samples,
    fit_reader,
    make_ring,
    mmd2,
    mode_coverage,
    multiscale_mmd2,
    precision_recall,
    reader_scores,
    ring_centers,
    support_share,
    support_spread,
)

SIGMA = 0.05


@pytest.fixture(scope="module")
def ring():
    """Training and held-out rings, and the three controls drawn from the training set."""
    X_train, _ = make_ring(1500, sigma=SIGMA, random_state=0)
    X_test, _ = make_ring(1500, sigma=SIGMA, random_state=1)
    return X_train, X_test, control_samples(X_train, 1500, random_state=2)


def test_ring_controls_score_as_they_should(ring):
    X_train, X_test, controls = ring
    copies, noise, blob = controls.values()
    centers = ring_centers()
    p, r = precision_recall(X_test, copies)
    assert p > 0.95 and r > 0.95  # memorization gets full marks: why copies are a control
    # noise and the blob land between the modes: low precision, and far from the support
    for fake in (noise, blob):
        p, _ = precision_recall(X_test, fake)
        assert p < 0.15
        assert support_share(fake, centers, SIGMA) < 0.1
        assert mode_coverage(fake, centers, SIGMA)[0] == 0
    assert support_share(copies, centers, SIGMA) == pytest.approx(1 - np.exp(-4.5), abs=0.01)
    assert mode_coverage(copies, centers, SIGMA)[0] == 8
    # the narrow kernel separates the blob from the ring by far more than two real samples differ
    held_out = multiscale_mmd2(X_test, X_train)
    for fake in (noise, blob):
        assert multiscale_mmd2(X_test, fake)[0.1] > 50 * abs(held_out[0.1]) + 0.01


def test_precision_recall_see_collapse_as_low_recall(ring):
    X_train, X_test, _ = ring
    _, y = make_ring(1500, sigma=SIGMA, random_state=0)
    collapsed = X_train[y < 2]  # two modes of eight, perfectly drawn
    p, r = precision_recall(X_test, collapsed)
    assert p > 0.95
    assert 0.15 < r < 0.35  # about 2/8
    assert mode_coverage(collapsed, ring_centers(), SIGMA)[0] == 2


@settings(max_examples=20, deadline=None)
@given(
    real=arrays(np.float64, (12, 2), elements=st.floats(-5, 5), unique=True),
    fake=arrays(np.float64, (9, 2), elements=st.floats(-5, 5), unique=True),
    k=st.integers(1, 3),
)
def test_precision_recall_match_brute_force(real, fake, k):
    def radii(A):
        d = np.sqrt(((A[:, None] - A[None]) ** 2).sum(-1))
        return np.sort(d, axis=1)[:, k]  # column 0 is the point itself

    def inside(points, centers, r):
        d = np.sqrt(((points[:, None] - centers[None]) ** 2).sum(-1))
        return np.mean(np.any(d <= r[None] + 1e-12, axis=1))

    p, r = precision_recall(real, fake, k=k)
    # ties at the ball's edge are the only place where round-off may differ
    assert p == pytest.approx(inside(fake, real, radii(real)), abs=1 / 9 + 1e-9)
    assert r == pytest.approx(inside(real, fake, radii(fake)), abs=1 / 12 + 1e-9)
    assert 0 <= p <= 1 and 0 <= r <= 1


def test_precision_recall_rejects_bad_input():
    X = np.zeros((5, 2))
    with pytest.raises(ValueError, match="k must be"):
        precision_recall(X, X, k=0)
    with pytest.raises(ValueError, match="more than k=3"):
        precision_recall(X[:3], X)
    with pytest.raises(ValueError, match="features"):
        precision_recall(X, np.zeros((5, 3)))


def test_mmd2_matches_the_u_statistic_and_separates_distributions():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((30, 2)), rng.standard_normal((40, 2))
    k = lambda a, b: np.exp(-0.5 * np.sum((a - b) ** 2))  # noqa: E731
    kxx = np.mean([k(X[i], X[j]) for i in range(30) for j in range(30) if i != j])
    kyy = np.mean([k(Y[i], Y[j]) for i in range(40) for j in range(40) if i != j])
    kxy = np.mean([k(x, y) for x in X for y in Y])
    assert mmd2(X, Y) == pytest.approx(kxx + kyy - 2 * kxy)
    assert mmd2(X, Y + 2.0) > 10 * abs(mmd2(X, Y))


@settings(max_examples=10, deadline=None)
@given(
    X=arrays(np.float64, (60, 2), elements=st.floats(-2, 2)),
    shift=st.floats(0.3, 3.0),
)
def test_mmd2_grows_with_the_shift(X, shift):
    # a shifted copy against the original: the kernel mean embedding moves further each time
    assert mmd2(X, X + shift) > mmd2(X, X + shift / 2) > mmd2(X, X) - 1e-12


def test_multiscale_mmd2_uses_the_median_distance():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((200, 3)), rng.standard_normal((150, 3)) + 0.3
    d = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    median = np.median(d[np.triu_indices(200, k=1)])
    out = multiscale_mmd2(X, Y, scales=(0.5, 2.0))
    assert out[0.5] == pytest.approx(mmd2(X, Y, gamma=0.5 / (0.5 * median) ** 2))
    assert out[2.0] == pytest.approx(mmd2(X, Y, gamma=0.5 / (2.0 * median) ** 2))
    with pytest.raises(ValueError, match="median"):
        multiscale_mmd2(np.zeros((4, 2)), Y[:, :2])


def test_mmd2_in_blocks_is_the_u_statistic_and_ignores_a_shift():
    # more rows than one block of the kernel sums (1,024), so that the blocks and the left-out
    # diagonal are exercised; the reference takes exact differences
    from scipy.spatial.distance import cdist

    X, _ = make_ring(1100, random_state=0)
    Y, _ = make_ring(1030, random_state=1)

    def u_statistic(A, B, gamma):
        k = lambda a, b: np.exp(-gamma * cdist(a, b, "sqeuclidean"))  # noqa: E731
        m, n = len(A), len(B)
        return (
            (k(A, A).sum() - m) / (m * (m - 1))
            + (k(B, B).sum() - n) / (n * (n - 1))
            - 2 * k(A, B).mean()
        )

    for gamma in (0.5, 50.0):
        assert mmd2(X, Y, gamma=gamma) == pytest.approx(u_statistic(X, Y, gamma), rel=1e-9)
    # far from the origin |a|^2 - 2ab + |b|^2 lost the distances (the sign flipped at 1e7)
    for offset in (1e5, 1e7):
        shifted = mmd2(X[:400] + offset, Y[:400] + offset, gamma=50.0)
        assert shifted == pytest.approx(u_statistic(X[:400], Y[:400], 50.0), rel=1e-6)


def test_multiscale_mmd2_does_not_depend_on_the_order_of_the_rows():
    # beyond 1,000 rows the median comes from a subsample, drawn from the sorted rows
    X, _ = make_ring(1500, random_state=0)
    Y, _ = make_ring(500, random_state=1)
    order = np.random.default_rng(0).permutation(1500)
    shuffled, ordered = multiscale_mmd2(X[order], Y), multiscale_mmd2(X, Y)
    assert shuffled == pytest.approx(ordered, rel=1e-9)  # the median moved it by 0.6 %


def test_training_copies_keep_their_recall_beyond_the_training_size():
    # drawn beyond 500 rows, the copies repeat rows; a repeated row was its own k-th neighbour
    # (radius 0) and the copies' recall fell to 0.37
    X_train, _ = make_ring(500, random_state=0)
    X_test, _ = make_ring(2000, random_state=1)
    copies = control_samples(X_train, 2000, random_state=0)["training copies"]
    assert len(np.unique(copies, axis=0)) == 500  # each row 4 times
    assert precision_recall(X_test, copies)[1] == precision_recall(X_test, X_train)[1] > 0.9


def test_metrics_refuse_bad_tolerances_and_scales():
    centers = ring_centers()
    X, _ = make_ring(100, random_state=0)
    for scales in [(0,), (-0.1,), (), (np.nan,)]:
        with pytest.raises(ValueError, match="scales must be positive"):
            multiscale_mmd2(X, X, scales=scales)
    with pytest.raises(ValueError, match="at least 2 samples"):
        multiscale_mmd2(X[:1], X)
    with pytest.raises(ValueError, match="gamma must be"):
        mmd2(X, X, gamma=0.0)
    with pytest.raises(ValueError, match="sigma must be"):
        mode_coverage(X, centers, -0.05)
    with pytest.raises(ValueError, match="min_share"):
        mode_coverage(X, centers, 0.05, min_share=2.0)
    with pytest.raises(ValueError, match="n_sigma must be"):
        support_share(X, centers, 0.05, n_sigma=-1)
    with pytest.raises(ValueError, match="n_sigma must be"):
        support_spread(X, X, centers, 0.05, n_sigma=0)
    with pytest.raises(ValueError, match="reference lies on the support"):
        support_spread(X, centers, centers, 0.05)


def test_support_share_counts_distance_not_nearest_mode():
    centers = ring_centers()
    far = np.zeros((100, 2))  # the ring's centre: nearest to some mode, but 2 away from all
    assert support_share(far, centers, SIGMA) == 0.0
    assert support_share(far, centers, SIGMA, n_sigma=41.0) == 1.0
    with pytest.raises(ValueError, match="sigma"):
        support_share(far, centers, 0.0)


def test_support_spread_shows_samples_sharper_than_the_data(ring):
    X_train, X_test, controls = ring
    centers = ring_centers()
    # copies spread like real data; noise and the blob sit at the cap (9 / 2 of a 2-D ring's
    # mean squared distance of 2 sigma^2)
    assert support_spread(controls["training copies"], X_test, centers, SIGMA) == pytest.approx(
        1.0, abs=0.1
    )
    for name in ("uniform noise", "one Gaussian"):
        assert support_spread(controls[name], X_test, centers, SIGMA) > 3.5
    # the share's blind spot: samples pulled towards the mode centres keep (or beat) its full
    # marks, the spread falls with the square of the shrink
    nearest = centers[np.argmin(((X_train[:, None] - centers) ** 2).sum(-1), axis=1)]
    for shrink in (0.0, 0.5, 0.8):
        sharp = nearest + shrink * (X_train - nearest)
        assert support_share(sharp, centers, SIGMA) >= support_share(X_train, centers, SIGMA)
        spread = support_spread(sharp, X_test, centers, SIGMA)
        assert spread == pytest.approx(shrink**2, abs=0.08)
    with pytest.raises(ValueError, match="sigma"):
        support_spread(X_train, X_test, centers, -1.0)


def test_reader_scores_on_digits_beside_controls():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    reader = fit_reader(X_train, y_train)
    real = reader_scores(reader, X_test, y=y_test)
    controls = control_samples(X_train, 500, random_state=0)
    noise = reader_scores(reader, controls["uniform noise"])
    blob = reader_scores(reader, controls["one Gaussian"])
    assert real["confidence"] > 0.85 and real["agreement"] > 0.95
    assert real["min_class_share"] > 0.08
    assert noise["confidence"] < real["confidence"] - 0.3
    assert blob["confidence"] < real["confidence"] - 0.2
    assert real["class_shares"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shape"):
        reader_scores(reader, X_test, y=y_test[:-1])
