import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_notes.utils import gaussian_kl, kl_divergence

weights = arrays(np.float64, st.integers(2, 8), elements=st.floats(0.01, 10))


def _normalize(w):
    return w / w.sum()


@settings(max_examples=100, deadline=None)
@given(weights, st.data())
def test_kl_divergence_non_negative(w, data):
    p = _normalize(w)
    q = _normalize(data.draw(arrays(np.float64, len(w), elements=st.floats(0.01, 10))))
    kl = kl_divergence(p, q)
    assert np.isfinite(kl) and kl >= 0
    # Gibbs: equality iff p == q.
    if not np.allclose(p, q, atol=1e-3):
        assert kl > 0


@settings(max_examples=50, deadline=None)
@given(weights)
def test_kl_divergence_zero_iff_equal(w):
    p = _normalize(w)
    assert kl_divergence(p, p) == 0.0


def test_kl_divergence_matches_definition_and_conventions():
    p, q = np.array([0.2, 0.8, 0.0]), np.array([0.5, 0.25, 0.25])
    expected = 0.2 * np.log(0.2 / 0.5) + 0.8 * np.log(0.8 / 0.25)  # 0 log 0 = 0
    assert kl_divergence(p, q) == pytest.approx(expected, rel=1e-12)
    assert kl_divergence(q, p) == np.inf  # q puts mass where p has none
    stacked = kl_divergence(np.stack([p, q]), np.stack([q, q]))
    np.testing.assert_allclose(stacked, [expected, 0.0], atol=1e-15)


@pytest.mark.parametrize(
    "p, q, match",
    [
        ([-0.1, 1.1], [0.5, 0.5], "negative"),
        ([0.5, 0.6], [0.5, 0.5], "sum to 1"),
        ([np.nan, 1.0], [0.5, 0.5], "NaN"),
        (0.5, 0.5, "scalar"),
    ],
)
def test_kl_divergence_invalid_input(p, q, match):
    with pytest.raises(ValueError, match=match):
        kl_divergence(p, q)


@st.composite
def gaussian_pairs(draw, max_d=4):
    """Two Gaussians drawn element by element, so that a failure shrinks to a small, simple pair:
    the means and factors ``A`` of the covariances ``A A^T + I / 2`` (positive definite)."""
    d = draw(st.integers(1, max_d))
    values = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
    mu0, mu1 = (draw(arrays(np.float64, d, elements=values)) for _ in range(2))
    A0, A1 = (draw(arrays(np.float64, (d, d), elements=values)) for _ in range(2))
    return mu0, A0 @ A0.T + 0.5 * np.eye(d), mu1, A1 @ A1.T + 0.5 * np.eye(d)


@settings(max_examples=50, deadline=None)
@given(gaussian_pairs())
def test_gaussian_kl_non_negative_and_zero_iff_equal(pair):
    mu0, S0, mu1, S1 = pair
    kl = gaussian_kl(mu0, S0, mu1, S1)
    assert np.isfinite(kl) and kl >= 0
    if not (np.allclose(mu0, mu1) and np.allclose(S0, S1)):
        assert kl > 0
    assert gaussian_kl(mu0, S0, mu0, S0) == pytest.approx(0.0, abs=1e-10)


@settings(max_examples=30, deadline=None)
@given(gaussian_pairs(max_d=3))
def test_gaussian_kl_equals_numeric_integral_formula(pair):
    """Compare with the textbook formula written with explicit inverses and determinants."""
    mu0, S0, mu1, S1 = pair
    d = len(mu0)
    S1inv = np.linalg.inv(S1)
    diff = mu1 - mu0
    expected = 0.5 * (
        np.trace(S1inv @ S0)
        + diff @ S1inv @ diff
        - d
        + np.log(np.linalg.det(S1) / np.linalg.det(S0))
    )
    assert gaussian_kl(mu0, S0, mu1, S1) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_gaussian_kl_monte_carlo():
    rng = np.random.default_rng(0)
    mu0, mu1 = np.array([0.0, 1.0]), np.array([0.5, -0.5])
    S0, S1 = np.array([[1.0, 0.3], [0.3, 0.5]]), np.array([[2.0, 0.0], [0.0, 1.0]])
    from scipy.stats import multivariate_normal

    x = rng.multivariate_normal(mu0, S0, size=200_000)
    mc = np.mean(multivariate_normal(mu0, S0).logpdf(x) - multivariate_normal(mu1, S1).logpdf(x))
    assert gaussian_kl(mu0, S0, mu1, S1) == pytest.approx(mc, rel=0.02)


def test_gaussian_kl_diagonal_and_scalar_covariances():
    mu0, mu1 = np.zeros(3), np.ones(3)
    var0, var1 = np.array([1.0, 2.0, 0.5]), np.array([0.5, 1.0, 3.0])
    full = gaussian_kl(mu0, np.diag(var0), mu1, np.diag(var1))
    assert gaussian_kl(mu0, var0, mu1, var1) == pytest.approx(full, rel=1e-12)
    assert gaussian_kl(mu0, 2.0, mu1, 2.0) == pytest.approx(3 / 4, rel=1e-12)


@pytest.mark.parametrize(
    "cov0, match",
    [
        (np.array([[1.0, 2.0], [2.0, 1.0]]), "positive definite"),
        (np.array([[1.0, 0.5], [0.0, 1.0]]), "symmetric"),
        (np.array([1.0, -1.0]), "positive"),
        (np.eye(3), "shape"),
    ],
)
def test_gaussian_kl_invalid_covariance(cov0, match):
    with pytest.raises(ValueError, match=match):
        gaussian_kl(np.zeros(2), cov0, np.zeros(2), np.eye(2))


def test_gaussian_kl_mismatched_means():
    with pytest.raises(ValueError, match="one length"):
        gaussian_kl(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
