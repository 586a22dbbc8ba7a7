"""The exact polish: the notes' KKT equations solved on SMO's free set, checked in float64 on the
solver's own (float32-rounded) kernel matrix."""

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from sklearn_notes.svm import KernelSVC
from sklearn_notes.svm._kernels import KernelRows
from sklearn_notes.svm._polish import newton_step_dual, polish_dual
from sklearn_notes.svm._smo import solve_binary
from tests.svm._strategies import binary_problems

PARAMS = dict(gamma=0.5, degree=3, coef0=0.5)
PROBLEMS = dict(
    problem=binary_problems(8, 40),
    C=st.floats(0.1, 10.0),
    kernel=st.sampled_from(["linear", "poly", "rbf"]),
)


def _problem(seed, n, d=3):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    y = np.where(X[:, 0] + 0.7 * rng.randn(n) > 0, 1.0, -1.0)
    y[:2] = [1.0, -1.0]
    return X, y


def _solve_and_polish(X, y, C, kernel, tol):
    """SMO's solution, the polished one (None if rejected), and the solver's kernel in float64."""
    rows = KernelRows(X, kernel, **PARAMS)
    every = np.arange(len(y))
    sol = solve_binary(rows, y, C, tol=tol, polish=False)
    free = np.flatnonzero((sol.alpha > 0) & (sol.alpha < C))
    polished = None
    if free.size:
        polished = polish_dual(rows(every, every), free, y, C, sol.alpha, sol.G, tol)
    return sol, polished, rows(every, every).astype(np.float64)


def _signed(problem):
    """A drawn problem with labels in {-1, +1}, as the solver takes them."""
    X, y = problem
    return X, np.where(y == 1, 1.0, -1.0)


def _drawn_polished(problem, C, kernel, tol):
    """A drawn problem, solved and polished; hypothesis skips the draws where the polish is
    rejected (SMO's free set was not the optimum's)."""
    X, y = _signed(problem)
    C = np.full(len(y), C)
    sol, pol, K = _solve_and_polish(X, y, C, kernel, tol)
    assume(pol is not None)
    return y, C, sol, pol, K


def _float64_kkt(alpha, y, C, K):
    """Gradient G = Q alpha - 1 and the largest violation m - M, computed from scratch."""
    G = y * (K @ (y * alpha)) - 1.0
    up = np.where(y > 0, alpha < C, alpha > 0)
    low = np.where(y > 0, alpha > 0, alpha < C)
    return G, (-y * G)[up].max() - (-y * G)[low].min()


# Drawn by hypothesis: the polish's step leaves the box, and the active-set loop pins two
# multipliers at 0 (SMO stopped with five free vectors in 3-D, C = 0.1).
PINNED_AT_ZERO = (
    np.array(
        [[0, -200, -469], [10, 1229, -989], [3, -1086, 51], [2, -128, 603], [6, -329, -1268]]
        + [[7, -633, 1325], [19, 1553, 795], [11, -305, 1000], [4, -116, 283], [15, 282, 61]]
        + [[1, -862, -634], [14, -510, 2929], [16, 373, -1330], [5, 200, -1186], [17, 352, -280]]
        + [[18, 2000, 1724], [13, -567, -593], [8, -112, 22], [12, 1430, -23], [399, 2999, 0]]
    )
    / 1000,
    np.array([0] + [1] * 19),
)


@settings(max_examples=20, deadline=None)
@given(**PROBLEMS)
@example(problem=PINNED_AT_ZERO, C=0.1, kernel="linear")
def test_polish_solves_the_kkt_equations_exactly(problem, C, kernel):
    y, C, sol, pol, K = _drawn_polished(problem, C, kernel, tol=1e-3)
    a, _, rho, reported = pol
    free = (a > 0) & (a < C)
    _, violation = _float64_kkt(a, y, C, K)
    margin = y * (K @ (y * a) - rho)  # y_i f(x_i)
    assert np.all((a >= 0) & (a <= C))
    assert abs(a @ y) <= 1e-12 * (1 + a.sum())
    # Every free margin is within the reported violation of 1 (|y_i G_i - rho| <= m - M): to
    # round-off where the polish solves every equation of SMO's free set; where that set is not
    # the optimum's, the pivots drop an equation the others cannot hold with it, and the rest
    # hold to the violation only (accepted below tol: KernelSVC then goes on with SMO; drawn
    # data found free margins 2.8e-4 off 1, a violation of 8.5e-4 with tol 1e-3)
    np.testing.assert_allclose(margin[free], 1.0, atol=1e-6 + reported)
    # the reported violation is the returned alpha's own (below tol: accepted, though a bound
    # multiplier may still violate its condition within tol when SMO's free set is not optimal)
    assert reported == pytest.approx(max(violation, 0.0), abs=1e-8)
    assert violation < 1e-3
    # never worse than SMO's point, in float64
    smo_obj = 0.5 * (y * sol.alpha) @ K @ (y * sol.alpha) - sol.alpha.sum()
    assert 0.5 * (y * a) @ K @ (y * a) - a.sum() <= smo_obj + 1e-12 * abs(smo_obj)


@settings(max_examples=20, deadline=None)
@given(**PROBLEMS)
def test_polish_reaches_the_exact_optimum_far_below_tol(problem, C, kernel):
    # Once SMO has found the optimum's face (tol=1e-5 here), the polished alpha satisfies every
    # KKT condition of the solver's dual to 1e-10 (in float64), while SMO itself stops at tol.
    y, C, _, pol, K = _drawn_polished(problem, C, kernel, tol=1e-5)
    _, violation = _float64_kkt(pol[0], y, C, K)
    # (linear, d = 3: more than d + 1 free vectors make the exact kernel matrix singular and its
    # float32 rounding nearly so; the equations the pivots drop then hold to float32 rounding)
    assert violation <= (1e-5 if kernel == "linear" else 1e-9)


@pytest.mark.parametrize("kernel", ["rbf", "linear", "poly"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_kernelsvc_weighted_fit_equals_repeated_rows_at_default_tol(kernel, n_classes):
    # scikit-learn's sample-weight check, at 1e-8 instead of 1e-7 and at the default tol: a
    # weight k and k repeated rows are the same dual (bound k C against k bounds C), whose
    # optimum the polish reaches from both SMO paths.
    rng = np.random.RandomState(42)
    X = rng.rand(20, 30)
    y = rng.randint(0, n_classes, size=20)
    w = rng.randint(0, 5, size=20)
    w[np.flatnonzero(y == 0)[0]] = w[np.flatnonzero(y == 1)[0]] = 1
    params = dict(kernel=kernel, coef0=1.0, degree=2)
    weighted = KernelSVC(**params).fit(X, y, sample_weight=w)
    repeated = KernelSVC(**params).fit(X.repeat(w, axis=0), y.repeat(w))
    assert np.all(weighted.kkt_violation_ < 1e-9)  # round-off: kernel values up to ~16 here
    np.testing.assert_allclose(
        weighted.decision_function(X), repeated.decision_function(X), rtol=1e-8, atol=1e-10
    )


def test_polish_puts_the_pinned_multipliers_exactly_on_their_bound():
    # Left 1e-15 inside the box by round-off, a pinned multiplier counted as free: its margin,
    # 2.1e-6 off 1, was taken for the equation the polish solves, and its violation reported.
    X, y = _signed(PINNED_AT_ZERO)
    C = np.full(len(y), 0.1)
    sol, (a, _, rho, reported), K = _solve_and_polish(X, y, C, "linear", 1e-3)
    before = (sol.alpha > 0) & (sol.alpha < C)
    free = (a > 0) & (a < C)
    assert before.sum() == 5 and free.sum() == 3
    np.testing.assert_array_equal(a[before & ~free], 0.0)  # pinned: exactly 0
    np.testing.assert_allclose(y[free] * (K[free] @ (y * a) - rho), 1.0, atol=1e-12)
    assert reported == pytest.approx(_float64_kkt(a, y, C, K)[1], abs=1e-12)
    assert reported < 4e-6  # (SMO's face at tol=1e-3 was not the optimum's: accepted below tol)


def test_polish_falls_back_when_the_free_set_is_wrong():
    # f(x) = w x + b with f(0) = f(1) = -1 and f(3) = +1 has no solution: alpha_0 is free here
    # but zero at the optimum, so the polish is rejected and SMO's solution is kept as it is.
    X = np.array([[0.0], [1.0], [3.0], [4.0]])
    y = np.array([-1.0, -1.0, 1.0, 1.0])
    C = np.full(4, 10.0)
    rows, every = KernelRows(X, "linear"), np.arange(4)
    K = X @ X.T
    wrong = np.array([0.1, 0.4, 0.5, 0.0])
    G = y * (K @ (y * wrong)) - 1.0
    assert polish_dual(rows(every, every), every[:3], y, C, wrong, G, 1e-3) is None
    # the right face from a non-optimal point: polished to the optimum alpha = (0, 1/2, 1/2, 0)
    start = np.array([0.0, 0.3, 0.3, 0.0])
    alpha, G, rho, violation = polish_dual(
        rows(every, every), every[1:3], y, C, start, y * (K @ (y * start)) - 1, 1e-3
    )
    np.testing.assert_allclose(alpha, [0.0, 0.5, 0.5, 0.0], atol=1e-14)
    assert rho == pytest.approx(2.0, abs=1e-14)  # f(x) = x - 2
    assert violation < 1e-14


def test_solve_binary_polishes_only_converged_solutions_whose_rows_fit():
    X, y = _problem(0, 200)
    C = np.full(200, 1.0)
    rows = KernelRows(X, "rbf", gamma=1.0)
    K = rows(np.arange(200), np.arange(200)).astype(np.float64)
    # max_iter stopped the solver: nothing to polish
    stopped = solve_binary(rows, y, C, max_iter=5)
    np.testing.assert_array_equal(
        stopped.alpha, solve_binary(rows, y, C, max_iter=5, polish=False).alpha
    )
    # converged: the exact optimum, far below tol, with rho and the objective of the returned alpha
    raw, sol = solve_binary(rows, y, C, polish=False), solve_binary(rows, y, C)
    assert _float64_kkt(raw.alpha, y, C, K)[1] > 1e-6
    G, violation = _float64_kkt(sol.alpha, y, C, K)
    # (1e-16 times the conditioning of the free block of a gamma=1 rbf matrix)
    assert violation < 1e-8 and sol.violation == pytest.approx(max(violation, 0), abs=1e-10)
    # (sums of 200 float64 products in another order: 1e-11 relative)
    assert sol.objective == pytest.approx(0.5 * sol.alpha @ (G - 1.0), rel=1e-10)
    free = (sol.alpha > 0) & (sol.alpha < C)
    assert sol.rho == pytest.approx(np.mean((y * G)[free]), abs=1e-12)
    # decomposition (n > q) with a row cache too small for the free rows: not polished
    small = dict(working_set_size=16, cache_size=1e-3)
    np.testing.assert_array_equal(
        solve_binary(rows, y, C, **small).alpha,
        solve_binary(rows, y, C, polish=False, **small).alpha,
    )
    # ... with room in the cache: polished to the same optimum as the whole problem
    # (its gradient carries the rounding of the rounds' updates: 1e-9 here, not 1e-16)
    part = solve_binary(rows, y, C, working_set_size=16)
    assert _float64_kkt(part.alpha, y, C, K)[1] < 1e-8
    np.testing.assert_allclose(part.alpha, sol.alpha, atol=1e-8)


@settings(max_examples=20, deadline=None)
@given(**PROBLEMS, aside=st.sets(st.integers(0, 39), max_size=20))
def test_newton_step_is_a_descent_step_inside_the_box(problem, C, kernel, aside):
    # The solver's Newton step (newton_step_dual) from a point where SMO stopped
    # early: inside the box, sum y alpha kept, the objective lower, the returned gradient that of
    # the returned alpha -- also on the active part of a shrunk problem, whose rows hold the
    # active columns only: the same step there.
    X, y = _signed(problem)
    n = len(y)
    C = np.full(n, C)
    rows, every = KernelRows(X, kernel, **PARAMS), np.arange(n)
    K32 = np.triu(rows(every, every))
    K32 += np.triu(K32, 1).T  # exactly symmetric (BLAS rounds K_ij and K_ji apart)
    K = K32.astype(np.float64)
    sol = solve_binary(rows, y, C, tol=0.5, polish=False)
    G0 = y * (K @ (y * sol.alpha)) - 1.0
    free = np.flatnonzero((sol.alpha > 0) & (sol.alpha < C))
    assume(free.size)
    step = newton_step_dual(K32, free, y, C, sol.alpha, G0)
    assume(step is not None)  # (no move: the point already is the face's minimizer)
    a, G = step[0], step[1]

    def objective(alpha):
        return 0.5 * (y * alpha) @ K @ (y * alpha) - alpha.sum()

    assert np.all((a >= 0) & (a <= C))
    assert abs(a @ y - sol.alpha @ y) <= 1e-12 * (1 + a.sum())
    assert objective(a) <= objective(sol.alpha) + 1e-12 * abs(objective(sol.alpha))
    np.testing.assert_allclose(G, y * (K @ (y * a)) - 1.0, rtol=1e-9, atol=1e-9)
    # shrunk: bound multipliers set aside (inactive), those drawn; the rows on the active columns
    bound = np.setdiff1d(every, free)
    out = bound[np.isin(bound, list(aside))]
    active = np.setdiff1d(every, out)
    position = np.searchsorted(active, free)
    part = newton_step_dual(
        K32[np.ix_(free, active)],
        np.arange(free.size),
        y[active],
        C[active],
        sol.alpha[active],
        G0[active],
    )
    assert np.array_equal(active[position], free)
    np.testing.assert_allclose(part[0], a[active], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(part[1], G[active], rtol=1e-12, atol=1e-12)
