"""The shared engine: step sizes, regimes, stopping, warm start, determinism, the GD claims."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_notes import LassoGD, LogisticRegressionGD, RidgeGD
from sklearn_notes.linear_model._gd import (
    DesignProblem,
    GramProblem,
    gradient_descent,
    soft_threshold,
)


def _regression(n=200, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = StandardScaler().fit_transform(rng.standard_normal((n, d)) @ rng.standard_normal((d, d)))
    y = X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n) + 3.0
    return X, y


def _classification(n=300, d=5, seed=0, k=2):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    logits = X @ rng.standard_normal((d, k))
    y = np.argmax(logits + rng.gumbel(size=(n, k)), axis=1)
    return X, y


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-10, 10), min_size=1, max_size=8),
    st.floats(0, 5),
)
def test_soft_threshold_is_the_l1_prox(values, t):
    """prox minimizes 0.5 (u - v)^2 + t |u|: no other point on a grid does better."""
    v = np.array(values)
    u = soft_threshold(v, t)
    grid = v[:, None] + np.linspace(-12, 12, 2401)[None, :]
    objective = lambda w: 0.5 * (w - v[:, None]) ** 2 + t * np.abs(w)  # noqa: E731
    assert np.all(objective(u[:, None])[:, 0] <= objective(grid).min(axis=1) + 1e-9)
    assert np.all(u[np.abs(v) <= t] == 0.0)


@pytest.mark.parametrize("loss", ["squared", "logistic", "multinomial"])
def test_design_problem_gradient_matches_finite_differences(loss):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 3)) + 2.0
    k = 3 if loss == "multinomial" else 1
    if loss == "squared":
        Y = rng.standard_normal((40, k))
    else:
        Y = np.eye(max(k, 2))[rng.integers(0, max(k, 2), 40)][:, -k:] if k > 1 else None
        if k == 1:
            Y = rng.integers(0, 2, (40, 1)).astype(float)
    sw = rng.uniform(0.5, 2.0, 40)
    problem = DesignProblem(X, Y, sw, loss, l2=0.3, l1=0.0, fit_intercept=True)
    theta = rng.standard_normal(problem.shape)
    _, grad, _ = problem.value_grad(theta, problem.lin(theta))
    numeric = np.zeros_like(theta)
    for idx in np.ndindex(theta.shape):
        e = np.zeros_like(theta)
        e[idx] = 1e-6
        up = problem.value(theta + e, problem.lin(theta + e))
        down = problem.value(theta - e, problem.lin(theta - e))
        numeric[idx] = (up - down) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_gram_problem_equals_design_problem_at_the_best_intercept():
    """Working on X^T S X is the same least-squares objective, with b eliminated exactly."""
    X, y = _regression()
    sw = np.random.default_rng(0).uniform(0.1, 3.0, len(y))
    Y = y[:, None]
    gram = GramProblem(X, Y, sw, l2=0.1, l1=0.0, fit_intercept=True)
    design = DesignProblem(X, Y, sw, "squared", l2=0.1, l1=0.0, fit_intercept=True)
    W = np.random.default_rng(1).standard_normal((X.shape[1], 1))
    theta = design.to_theta(W, gram.intercept(W))
    assert gram.value(W, gram.lin(W)) == pytest.approx(design.value(theta, design.lin(theta)))
    _, g_gram, _ = gram.value_grad(W, gram.lin(W))
    _, g_design, _ = design.value_grad(theta, design.lin(theta))
    np.testing.assert_allclose(g_gram, g_design[:-1], atol=1e-10)
    assert design.lipschitz() >= gram.lipschitz() - 1e-9  # intercept adds a direction


def test_lipschitz_step_never_increases_the_objective():
    """Notes: a small enough step against the gradient lowers the loss; 1/L is small enough."""
    X, y = _classification(k=3)
    for accelerated in (False, True):
        clf = LogisticRegressionGD(alpha=1e-3, accelerated=accelerated, max_iter=300, tol=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        if not accelerated:  # plain GD with eta = 1/L is a descent method
            assert np.all(np.diff(clf.loss_curve_) <= 1e-12)
        else:  # momentum may climb briefly, the restart brings it back down
            assert clf.loss_curve_[-1] <= min(clf.loss_curve_) + 1e-12


def test_a_step_against_the_gradient_lowers_the_loss_unless_too_large():
    """Notes: -grad is the steepest descent direction; any step below 2/L lowers the loss."""
    X, y = _regression()
    problem = DesignProblem(X, y[:, None], np.ones(len(y)), "squared", 0.0, 0.0, True)
    rng = np.random.default_rng(0)
    L = problem.lipschitz()
    for _ in range(5):
        theta = rng.standard_normal(problem.shape)
        f0, grad, _ = problem.value_grad(theta, problem.lin(theta))
        for eta in (0.1 / L, 1.0 / L, 1.9 / L):
            new = theta - eta * grad
            assert problem.value(new, problem.lin(new)) < f0
    # along the top eigenvector of the Hessian a step beyond 2/L overshoots and the loss rises
    Xt = np.column_stack([X - X.mean(axis=0), np.ones(len(y))])
    H = Xt.T @ Xt / len(y)
    top = np.linalg.eigh(H)[1][:, -1:]
    opt = problem.to_theta(*_ols(X, y))
    theta = opt + top
    f0, grad, _ = problem.value_grad(theta, problem.lin(theta))
    for eta, rises in ((1.9 / L, False), (2.1 / L, True)):
        new = theta - eta * grad
        assert (problem.value(new, problem.lin(new)) > f0) == rises


def _ols(X, y):
    coef = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)[0]
    return coef[:-1, None], coef[-1:]


@pytest.mark.parametrize("solver", ["sgd", "minibatch"])
def test_stochastic_solvers_reach_the_optimum_neighbourhood(solver):
    """Notes: SGD / minibatch also head for the optimum, but only into its neighbourhood."""
    X, y = _regression(n=400)
    optimum = RidgeGD(alpha=1.0, solver="closed_form").fit(X, y)
    f_opt = np.sum((y - optimum.predict(X)) ** 2) + np.sum(optimum.coef_**2)
    f_zero = np.sum((y - y.mean()) ** 2)
    est = RidgeGD(alpha=1.0, solver=solver, max_iter=100, n_iter_no_change=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert est.loss_curve_[-1] >= f_opt * (1 - 1e-12)
    assert (est.loss_curve_[-1] - f_opt) < 0.02 * (f_zero - f_opt)
    assert np.abs(est.coef_ - optimum.coef_).max() < 0.2 * np.abs(optimum.coef_).max()


def test_sgd_loss_curve_is_noisier_than_gd():
    """Notes: SGD is fast but unstable. Measured: the epoch-to-epoch objective increases."""
    X, y = _classification(n=500, d=8)
    kwargs = dict(alpha=1e-3, max_iter=40, tol=0, learning_rate="constant", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gd = LogisticRegressionGD(solver="gd", accelerated=False, **kwargs).fit(X, y)
        sgd = LogisticRegressionGD(solver="sgd", eta0=0.5, **kwargs).fit(X, y)
        mb = LogisticRegressionGD(solver="minibatch", eta0=0.5, batch_size=50, **kwargs).fit(X, y)

    def roughness(curve):
        # total upward movement of the objective, relative to its level
        d = np.diff(curve[5:])
        return float(np.sum(np.maximum(d, 0.0)) / np.mean(curve[5:]))

    assert roughness(gd.loss_curve_) == 0.0  # full batch with 1/L descends monotonically
    assert roughness(sgd.loss_curve_) > 1e-3
    assert roughness(sgd.loss_curve_) > roughness(mb.loss_curve_)


def test_max_iter_raises_convergence_warning_and_records_curve():
    X, y = _regression()
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        est = RidgeGD(alpha=0.0, max_iter=3, tol=0.0, accelerated=False).fit(X, y)
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 3


def test_warm_start_continues_from_previous_solution():
    X, y = _regression()
    cold = LassoGD(alpha=0.1, tol=1e-8).fit(X, y)
    warm = LassoGD(alpha=0.1, tol=1e-8, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.set_params(max_iter=2).fit(X, y)
    warm.set_params(max_iter=1000).fit(X, y)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-6)
    again = LassoGD(alpha=0.1, tol=1e-8, warm_start=True).fit(X, y)
    n_cold = again.n_iter_
    again.fit(X, y)  # starting at the optimum: stops at once
    assert again.n_iter_ < n_cold and again.n_iter_ <= 2


@pytest.mark.parametrize("solver", ["gd", "sgd", "minibatch"])
def test_fits_are_deterministic_given_random_state(solver):
    X, y = _classification(k=3)
    a = LogisticRegressionGD(solver=solver, max_iter=20, random_state=3).fit(X, y)
    b = LogisticRegressionGD(solver=solver, max_iter=20, random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    if solver != "gd":  # another seed samples other minibatches
        c = LogisticRegressionGD(solver=solver, max_iter=20, random_state=4).fit(X, y)
        assert not np.array_equal(a.coef_, c.coef_)


def test_shuffle_false_visits_samples_in_order():
    X, y = _regression(n=50)
    a = RidgeGD(solver="sgd", shuffle=False, max_iter=5, random_state=0, tol=0)
    b = RidgeGD(solver="sgd", shuffle=False, max_iter=5, random_state=99, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        np.testing.assert_array_equal(a.fit(X, y).coef_, b.fit(X, y).coef_)


def test_verbose_prints_the_objective(capsys):
    X, y = _regression()
    RidgeGD(verbose=1, max_iter=5, tol=1e-3).fit(X, y)
    assert "objective" in capsys.readouterr().out


def test_sample_weight_equals_repeating_rows_for_every_estimator():
    X, y = _classification(n=60, d=4, k=3)
    w = np.random.default_rng(0).integers(0, 4, len(y))
    for est, target in [
        (RidgeGD(alpha=2.0, tol=1e-10), X[:, 0] + y),
        (LassoGD(alpha=0.05, tol=1e-10), X[:, 0] + y),
        (LogisticRegressionGD(alpha=0.05, tol=1e-10), y),
    ]:
        weighted = est.fit(X, target, sample_weight=w).coef_.copy()
        repeated = est.fit(np.repeat(X, w, axis=0), np.repeat(target, w)).coef_
        np.testing.assert_allclose(weighted, repeated, rtol=1e-7, atol=1e-9)


def test_bad_input_gives_clear_errors():
    X, y = _regression()
    with pytest.raises(ValueError, match="non-zero"):
        RidgeGD().fit(X, y, sample_weight=np.zeros(len(y)))
    with pytest.raises(ValueError, match="Negative values"):
        RidgeGD().fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="solver"):
        RidgeGD(solver="newton").fit(X, y)
    with pytest.raises(FloatingPointError, match="diverged"):
        RidgeGD(learning_rate="constant", eta0=100.0, accelerated=False).fit(X, y)


def test_engine_direct_call_with_gram_problem():
    X, y = _regression()
    problem = GramProblem(X, y[:, None], np.ones(len(y)), l2=0.0, l1=0.0, fit_intercept=True)
    result = gradient_descent(problem, np.zeros(problem.shape), tol=1e-10)
    assert result.converged
    W, b = problem.from_theta(result.theta)
    ols = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)[0]
    np.testing.assert_allclose(np.r_[W[:, 0], b], ols, rtol=1e-6, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    data=st.data(),
    kind=st.sampled_from(["ridge", "lasso", "binary", "multinomial"]),
    offset=st.floats(-20, 20),
    weighted=st.booleans(),
)
def test_plain_gd_with_the_lipschitz_step_is_monotone(data, kind, offset, weighted):
    """The default step 1/L needs no tuning: plain GD never increases the objective."""
    n, d = data.draw(st.integers(5, 60)), data.draw(st.integers(1, 8))
    values = st.floats(-5, 5, allow_nan=False, allow_infinity=False)
    X = data.draw(hnp.arrays(np.float64, (n, d), elements=values)) + offset
    sw = data.draw(hnp.arrays(np.float64, n, elements=st.floats(0.1, 3.0))) if weighted else None
    if kind in ("ridge", "lasso"):
        y = data.draw(hnp.arrays(np.float64, n, elements=values))
        est = (RidgeGD(alpha=1.0) if kind == "ridge" else LassoGD(alpha=0.1)).set_params(
            accelerated=False, max_iter=50, tol=0.0
        )
    else:
        k = 2 if kind == "binary" else 3
        y = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
        y[:3] = [0, 1, 2 if kind == "multinomial" else 1]
        est = LogisticRegressionGD(alpha=0.01, accelerated=False, max_iter=50, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y, sample_weight=sw)
    curve = np.array(est.loss_curve_)
    assert np.all(np.diff(curve) <= 1e-10 * np.abs(curve[:-1]) + 1e-12)


def test_failed_fit_leaves_the_previous_model_untouched():
    X, y = _regression()
    est = RidgeGD(alpha=1.0, accelerated=False).fit(X, y)
    coef, curve = est.coef_.copy(), list(est.loss_curve_)
    with pytest.raises(FloatingPointError):
        est.set_params(learning_rate="constant", eta0=100.0).fit(X, y)
    np.testing.assert_array_equal(est.coef_, coef)
    assert est.loss_curve_ == curve


# --- issue 16: hostile scales, no hang, no leaked warning, a failed refit changes nothing --------

_ESTIMATORS_AT_SCALE = [
    ("logistic_max_iter_5", lambda: LogisticRegressionGD(max_iter=5)),
    ("logistic", lambda: LogisticRegressionGD()),
    ("ridge", lambda: RidgeGD()),
    ("ridge_closed_form", lambda: RidgeGD(solver="closed_form")),
    ("ridge_sgd", lambda: RidgeGD(solver="sgd", max_iter=5, random_state=0)),
    ("lasso", lambda: LassoGD()),
    ("lasso_plain", lambda: LassoGD(accelerated=False, max_iter=5)),
]


@pytest.mark.parametrize("scale", [1e160, 1e200, 1e300])
@pytest.mark.parametrize(
    "name, make", _ESTIMATORS_AT_SCALE, ids=[n for n, _ in _ESTIMATORS_AT_SCALE]
)
def test_huge_inputs_give_a_clear_overflow_error_and_no_runtime_warning(scale, name, make):
    """LogisticRegressionGD(max_iter=5) on X * 1e200 looped forever in the line search; the
    least-squares models raised LinAlgError or FloatingPointError and leaked RuntimeWarnings."""
    X, y = _regression(n=60, d=3)
    target = (y > np.median(y)).astype(int) if name.startswith("logistic") else y
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(ValueError, match="Overflow: the values of X"):
            make().fit(X * scale, target)
        if not name.startswith("logistic"):
            with pytest.raises(ValueError, match="Overflow: the values of y"):
                make().fit(X, y * scale)


def test_failed_refit_leaves_the_model_bit_identical():
    X, y = _regression()
    for est in (RidgeGD(), LassoGD(), LogisticRegressionGD()):
        target = (y > 3).astype(int) if isinstance(est, LogisticRegressionGD) else y
        est.fit(X, target)
        before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(est).items()}
        wider = np.column_stack([X, X[:, 0]]) * 1e300  # another feature count, and overflow
        with pytest.raises(ValueError, match="Overflow"):
            est.fit(wider, target)
        assert vars(est).keys() == before.keys()
        for key, value in before.items():
            np.testing.assert_array_equal(getattr(est, key), value, err_msg=key)
        est.predict(X)  # still the model of X


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_lipschitz_constant_of_a_wide_sparse_design_without_densifying(fit_intercept):
    """Lanczos on the centred operator: a safe step (>= the exact constant, within 2 %)."""
    from scipy import sparse

    rng = np.random.default_rng(0)
    X = sparse.random(50, 2500, density=0.02, format="csr", random_state=0) * 3.0
    Y, sw = rng.standard_normal((50, 1)), rng.uniform(0.5, 2.0, 50)
    exact = DesignProblem(X.toarray(), Y, sw, "squared", 0.1, 0.0, fit_intercept).lipschitz()
    lanczos = DesignProblem(X, Y, sw, "squared", 0.1, 0.0, fit_intercept).lipschitz()
    assert exact <= lanczos <= 1.02 * exact


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_row_squared_norms_of_sparse_matrices_with_empty_rows(fmt):
    from scipy import sparse

    from sklearn_notes.linear_model._gd import _row_sq_norms

    X = sparse.random(30, 7, density=0.15, format=fmt, random_state=0)
    assert np.sum(X.getnnz(axis=1) == 0) > 0  # empty rows (and maybe empty trailing rows)
    np.testing.assert_allclose(_row_sq_norms(X), np.sum(X.toarray() ** 2, axis=1), rtol=1e-14)
    assert _row_sq_norms(sparse.csr_matrix((4, 3))).tolist() == [0.0] * 4


@pytest.mark.parametrize("norm", [None, 37.0, 400.0])
def test_lipschitz_estimate_is_the_mean_curvature_for_any_normalization(norm):
    """The line search's start is ``c trace(X~^T S X~) / (norm (d + 1))``, in (0, exact L].

    ``norm`` differs from ``sum(s)`` under class weights (it stays the sum of the sample
    weights): with ``norm`` in place of ``sum(s)`` in the centring identity, features 10 away
    from 0 made the estimate negative and the accelerated solver stopped after one step.
    """
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5)) + 10.0
    Y, sw = rng.integers(0, 2, (200, 1)).astype(float), rng.uniform(0.2, 1.0, 200)
    problem = DesignProblem(X, Y, sw, "logistic", 0.0, 0.0, True, norm=norm)
    m = sw @ X / sw.sum()
    Xt = np.c_[X - m, np.ones(200)]  # centred, with the intercept column
    trace = np.einsum("ij,ij,i->", Xt, Xt, sw)
    expected = 0.25 * trace / ((sw.sum() if norm is None else norm) * 6)
    estimate = problem.lipschitz_estimate()
    np.testing.assert_allclose(estimate, expected, rtol=1e-9)
    assert 0.0 < estimate <= problem.lipschitz()


def test_lipschitz_estimate_is_positive_without_curvature():
    """All-zero features, no intercept, no penalty: the estimate would be 0 (an infinite step)."""
    problem = DesignProblem(np.zeros((10, 3)), np.ones((10, 1)), np.ones(10), "squared", 0.0,
                            0.0, False)  # fmt: skip
    assert problem.lipschitz_estimate() == 1.0
