"""The notes' plain SMO (smo_reference) against the fast solver: the same optimum."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics.pairwise import rbf_kernel

from sklearn_notes.svm._kernels import KernelRows
from sklearn_notes.svm._smo import solve_binary
from sklearn_notes.svm._smo_reference import smo_reference

coordinate = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
designs = st.integers(6, 40).flatmap(
    lambda n: st.tuples(
        arrays(np.float64, (n, 2), elements=coordinate),
        arrays(np.bool_, n, elements=st.booleans()),
    )
)


def _objective(alpha, y, K):
    return 0.5 * (y * alpha) @ K @ (y * alpha) - alpha.sum()


def _violation(alpha, y, C, K):
    F = -y * (y * (K @ (y * alpha)) - 1.0)
    up = np.where(y > 0, alpha < C, alpha > 0)
    low = np.where(y > 0, alpha > 0, alpha < C)
    return F[up].max(initial=-np.inf) - F[low].min(initial=np.inf)


@settings(max_examples=25, deadline=None)
@given(
    design=designs,
    C=st.floats(0.1, 10.0),
    kernel=st.sampled_from(["linear", "poly", "rbf"]),
)
def test_fast_solver_reaches_the_reference_smo_optimum(design, C, kernel):
    X, positive = design
    if positive.all() or not positive.any():
        positive[0] = not positive[0]
    y = np.where(positive, 1.0, -1.0)
    Cs = np.full(len(y), C)
    rows = KernelRows(X, kernel, gamma=0.5, degree=2, coef0=1.0)
    every = np.arange(len(y))
    K = rows(every, every).astype(np.float64)  # the fast solver's float32 kernel, exactly
    # (plain SMO converges linearly: slowly on ill-conditioned draws, hence its looser tol)
    alpha, rho, n_iter = smo_reference(K, y, Cs, tol=1e-6, max_iter=200_000)
    fast = solve_binary(rows, y, Cs, tol=1e-6)
    assert _violation(alpha, y, Cs, K) < 1e-6
    assert _violation(fast.alpha, y, Cs, K) < 1e-5
    # one optimum: the objectives agree, and so does the decision function on the data
    scale = 1.0 + abs(_objective(alpha, y, K))
    assert abs(_objective(fast.alpha, y, K) - _objective(alpha, y, K)) <= 1e-5 * scale
    f_ref = K @ (y * alpha) - rho
    f_fast = K @ (y * fast.alpha) - fast.rho
    free = (alpha > 1e-8 * C) & (alpha < C * (1 - 1e-8))
    if free.any():  # (b is unique only with a free multiplier)
        np.testing.assert_allclose(f_fast, f_ref, atol=1e-4 * (1 + np.abs(f_ref).max()))


def test_reference_smo_takes_the_steps_of_the_fast_solver():
    # Same selection rules (max violation for i, second order for j, the same clipping): on a
    # problem solved in one call without shrinking, the two take the same number of pair steps.
    rng = np.random.RandomState(0)
    X = rng.randn(60, 3)
    y = np.where(X[:, 0] + 0.5 * rng.randn(60) > 0, 1.0, -1.0)
    C = np.full(60, 1.0)
    rows = KernelRows(X, "rbf", gamma=0.5)
    K = rows(np.arange(60), np.arange(60)).astype(np.float64)
    alpha, _, n_iter = smo_reference(K, y, C, tol=1e-3)
    fast = solve_binary(rows, y, C, tol=1e-3, shrinking=False, polish=False)
    assert n_iter == fast.n_iter
    # (the same steps; the gradients are accumulated in another order: round-off apart)
    np.testing.assert_allclose(fast.alpha, alpha, atol=1e-6)
    assert np.allclose(K, rbf_kernel(X, gamma=0.5), atol=1e-6)
