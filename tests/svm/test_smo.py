"""The SMO solver alone: optimality against a generic QP solver, and every code path agreeing."""

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.datasets import make_classification
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.preprocessing import StandardScaler

from sklearn_notes.svm import _smo
from sklearn_notes.svm._kernels import KernelRows
from sklearn_notes.svm._smo import smo_pairs, solve_binary


def _problem(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 3)
    y = np.where(X[:, 0] + 0.5 * rng.randn(n) > 0, 1.0, -1.0)
    return X, y


def _kkt_violation(alpha, y, C, K):
    G = y * (K @ (y * alpha)) - 1.0
    up = np.where(y > 0, alpha < C, alpha > 0)
    low = np.where(y > 0, alpha > 0, alpha < C)
    return (-y * G)[up].max() - (-y * G)[low].min()


def test_smo_pairs_matches_a_generic_qp_solver():
    X, y = _problem(n=12, seed=3)
    K = rbf_kernel(X, gamma=0.5)
    C = np.full(12, 2.0)
    alpha, G = np.zeros(12), -np.ones(12)
    n_iter, gap = smo_pairs(K.astype(np.float32), y, C, alpha, G, 1e-10, 10**6, True)
    assert gap < 1e-10 and n_iter > 0
    Q = np.outer(y, y) * K

    def f(a):
        return 0.5 * a @ Q @ a - a.sum()

    ref = minimize(
        f,
        np.zeros(12),
        jac=lambda a: Q @ a - 1,
        bounds=[(0, 2.0)] * 12,
        constraints=[{"type": "eq", "fun": lambda a: a @ y, "jac": lambda a: y}],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    assert f(alpha) <= ref.fun + 1e-6
    assert abs(alpha @ y) < 1e-10
    assert np.all((alpha >= 0) & (alpha <= 2.0))


@pytest.mark.parametrize(
    "options",
    [
        dict(shrinking=False),  # the whole problem at once, without shrinking
        dict(working_set_size=16),  # decomposition: many rounds, kept half, gradient updates
        dict(working_set_size=16, shrinking=False),
        dict(working_set_size=16, cache_size=0.001),  # cache of the working set only: evictions
        dict(working_set_size=32, cache_size=0.01),
    ],
)
def test_solve_binary_code_paths_reach_the_same_optimum(options):
    X, y = _problem(n=300, seed=1)
    C = np.full(300, 3.0)
    rows = KernelRows(X, "rbf", gamma=0.5)
    whole = solve_binary(rows, y, C, tol=1e-6)
    part = solve_binary(rows, y, C, tol=1e-6, **options)
    K = rbf_kernel(X, gamma=0.5).astype(np.float32).astype(np.float64)
    for sol in (whole, part):
        assert sol.converged
        assert _kkt_violation(sol.alpha, y, C, K) < 1e-5
    assert part.objective == pytest.approx(whole.objective, rel=1e-7)
    assert part.rho == pytest.approx(whole.rho, abs=1e-4)


def test_solve_binary_reports_the_dual_objective():
    X, y = _problem(n=80, seed=2)
    C = np.full(80, 1.0)
    sol = solve_binary(KernelRows(X, "linear"), y, C, tol=1e-8)
    K = X @ X.T
    expected = 0.5 * (sol.alpha * y) @ K @ (sol.alpha * y) - sol.alpha.sum()
    assert sol.objective == pytest.approx(expected, rel=1e-6)


def test_solve_binary_max_iter_stops_without_converging():
    X, y = _problem(n=200, seed=4)
    sol = solve_binary(KernelRows(X, "rbf", gamma=1.0), y, np.full(200, 10.0), max_iter=5)
    assert sol.n_iter <= 5
    assert not sol.converged


def test_smo_pairs_keeps_the_gradient_of_a_sub_problem_exact_while_shrinking():
    # A working set inside a larger problem: G carries the part of the gradient coming from the
    # variables outside the set. After solving (with shrinking and its gradient reconstruction),
    # G must still equal G0 + Q (alpha - alpha0) for every variable, shrunk ones included.
    X, y = _problem(n=1500, seed=5)
    K = rbf_kernel(X, gamma=2.0).astype(np.float32)
    C = np.full(1500, 0.5)
    rng = np.random.RandomState(0)
    G0 = -1.0 + 0.3 * rng.randn(1500)
    alpha, G = np.zeros(1500), G0.copy()
    n_iter, gap = smo_pairs(K, y, C, alpha, G, 1e-6, 10**7, True)
    assert gap < 1e-6 and n_iter > 1000  # long enough for shrinking rounds to happen
    Q = np.outer(y, y) * K.astype(np.float64)
    np.testing.assert_allclose(G, G0 + Q @ alpha, atol=1e-6)  # round-off of 1e7 updates


@pytest.mark.parametrize(
    "options",
    [
        dict(),  # the whole problem: SMO calls of 50 n pair updates, Newton steps between
        dict(working_set_size=64),  # rounds, with shrinking: steps on the active part
        dict(working_set_size=64, shrinking=False),
        dict(working_set_size=128, cache_size=0.05),  # free rows partly out of the cache
    ],
)
def test_newton_steps_cut_the_pair_updates_where_smo_stalls(options, monkeypatch):
    # A linear kernel in d = 20 with C = 10: about d free support vectors whose kernel block is
    # nearly singular, where SMO's linear rate is slow (the benchmark's linear case, small).
    rng = np.random.RandomState(0)
    X = rng.randn(300, 20)
    y = np.where(X[:, 0] + 2 * rng.randn(300) > 0, 1.0, -1.0)
    rows, C = KernelRows(X, "linear"), np.full(300, 10.0)
    newton = solve_binary(rows, y, C, **options)
    monkeypatch.setattr(_smo, "INNER_MAX", 10**9)  # no cap: SMO alone
    smo = solve_binary(rows, y, C, **options)
    assert smo.n_newton == 0 and newton.n_newton > 0
    assert newton.converged and newton.violation < 1e-3
    assert newton.n_iter < 0.75 * smo.n_iter  # measured: 1.7-6x fewer
    assert newton.objective == pytest.approx(smo.objective, rel=1e-6)
    K = rows(np.arange(300), np.arange(300)).astype(np.float64)  # the solver's kernel
    assert _kkt_violation(newton.alpha, y, C, K) < 1e-3


@pytest.mark.parametrize("options", [dict(), dict(working_set_size=64)])
def test_solve_binary_converges_when_a_newton_step_is_refused(options, monkeypatch):
    # A refused step (a non-PSD kernel's saddle: the objective would rise) leaves SMO to finish.
    rng = np.random.RandomState(0)
    X = rng.randn(300, 20)
    y = np.where(X[:, 0] + 2 * rng.randn(300) > 0, 1.0, -1.0)
    rows, C = KernelRows(X, "linear"), np.full(300, 10.0)
    monkeypatch.setattr(_smo, "newton_step_dual", lambda *a: None)
    refused = solve_binary(rows, y, C, **options)
    monkeypatch.setattr(_smo, "INNER_MAX", 10**9)
    smo = solve_binary(rows, y, C, **options)
    assert refused.converged and refused.n_newton == 0
    assert refused.n_iter >= smo.n_iter / 2  # it did go on with SMO
    assert refused.objective == pytest.approx(smo.objective, rel=1e-6)


def _rank_deficient_linear(seed):
    # 40 features of which 5 informative (and 2 redundant): SMO's free set at tol = 1e-3 holds
    # multipliers that sit at a bound at the optimum, so the first polish falls short of it.
    X, y = make_classification(n_samples=400, n_features=40, n_informative=5, random_state=seed)
    X = StandardScaler().fit_transform(X)
    return KernelRows(X, "linear"), np.where(y == 1, 1.0, -1.0), np.full(400, 1.0)


@pytest.mark.parametrize("seed", [3, 4, 9])
def test_a_polish_short_of_the_optimum_is_retried_after_more_smo(seed, monkeypatch):
    rows, y, C = _rank_deficient_linear(seed)
    K = rows(np.arange(400), np.arange(400)).astype(np.float64)
    sol = solve_binary(rows, y, C)
    assert sol.converged and _kkt_violation(sol.alpha, y, C, K) < 1e-9  # the exact optimum
    monkeypatch.setattr(_smo, "RETRY_TOL", 1.0)  # the retry at tol itself: no new face
    once = solve_binary(rows, y, C)
    assert 1e-4 < _kkt_violation(once.alpha, y, C, K) < 1e-3
    assert sol.objective < once.objective


def test_a_retry_out_of_budget_returns_the_solution_at_tol(monkeypatch):
    rows, y, C = _rank_deficient_linear(4)
    K = rows(np.arange(400), np.arange(400)).astype(np.float64)
    monkeypatch.setattr(_smo, "RETRY_TOL", 1e-30)  # unreachable: the retry spends its budget
    sol = solve_binary(rows, y, C)
    assert sol.converged and sol.violation < 1e-3
    # alpha, G, rho and the objective returned are one consistent state, valid at tol
    G = y * (K @ (y * sol.alpha)) - 1.0
    np.testing.assert_allclose(sol.G, G, atol=1e-9)
    assert _kkt_violation(sol.alpha, y, C, K) < 1e-3
    assert sol.objective == pytest.approx(0.5 * sol.alpha @ (G - 1.0), rel=1e-12)
    free = (sol.alpha > 0) & (sol.alpha < C)
    assert sol.rho == pytest.approx(np.mean((y * G)[free]), abs=1e-6)
