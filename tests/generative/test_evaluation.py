"""The yardsticks of the comparison: mode coverage, sample quality, MMD."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_notes.generative._evaluation import make_ring, mmd2, mode_quality, ring_centers


def test_mode_quality_of_true_samples_is_perfect():
    X, _ = make_ring(4000, random_state=0)
    n_covered, high_quality, counts = mode_quality(X, ring_centers(), 0.05)
    assert n_covered == 8
    assert high_quality == pytest.approx(1 - np.exp(-4.5), abs=0.01)  # P(|N_2(0, s^2 I)| < 3s)
    assert counts.sum() == 4000


def test_mode_quality_detects_collapse_and_blur():
    X, y = make_ring(4000, random_state=0)
    collapsed = X[y < 3]
    assert mode_quality(collapsed, ring_centers(), 0.05)[0] == 3
    blurry = X + 0.5 * np.random.default_rng(0).standard_normal(X.shape)
    n_covered, high_quality, _ = mode_quality(blurry, ring_centers(), 0.05)
    assert n_covered == 8 and high_quality < 0.1


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
@given(shift=st.floats(0.3, 3.0))
def test_mmd2_grows_with_the_shift(shift):
    rng = np.random.default_rng(1)
    X, Y = rng.standard_normal((200, 2)), rng.standard_normal((200, 2))
    assert mmd2(X, Y + shift) > mmd2(X, Y + shift / 2) > mmd2(X, Y) - 0.01
