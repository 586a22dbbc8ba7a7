"""RidgeGD: closed form == sklearn Ridge, GD reaches it, OLS at alpha=0, PSD Hessian."""

import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.datasets import load_breast_cancer, load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.preprocessing import StandardScaler

from sklearn_notes import LassoGD, RidgeGD, ridge_closed_form
from sklearn_notes.utils import is_psd


def _values(low=-10.0, high=10.0):
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def regression_problems(draw, max_n=60, max_d=8):
    """X, y (one to three targets) and maybe weights, drawn element by element to shrink."""
    n, d = draw(st.integers(5, max_n)), draw(st.integers(1, max_d))
    targets = draw(st.integers(1, 3))
    X = draw(hnp.arrays(np.float64, (n, d), elements=_values()))
    y = draw(hnp.arrays(np.float64, (n, targets) if targets > 1 else n, elements=_values()))
    weighted = draw(st.booleans())
    sw = draw(hnp.arrays(np.float64, n, elements=_values(0.1, 5.0))) if weighted else None
    return X, y, sw


@settings(max_examples=25, deadline=None)
@given(
    problem=regression_problems(),
    alpha=st.floats(1e-3, 100.0),
    fit_intercept=st.booleans(),
)
def test_ridgegd_closed_form_equals_sklearn_ridge(problem, alpha, fit_intercept):
    X, y, sw = problem
    ours = RidgeGD(alpha=alpha, solver="closed_form", fit_intercept=fit_intercept).fit(X, y, sw)
    ref = Ridge(alpha=alpha, solver="cholesky", fit_intercept=fit_intercept).fit(X, y, sw)
    scale = max(1.0, np.abs(ref.coef_).max())
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-8, atol=1e-8 * scale)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-8, atol=1e-8 * scale)


def test_ridgegd_gd_reaches_closed_form_on_standardized_data():
    """Concept map rows 1 and 4: GD and the analytic solution reach the same optimum."""
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    exact = RidgeGD(alpha=1.0, solver="closed_form").fit(X, y)
    gd = RidgeGD(alpha=1.0).fit(X, y)  # default max_iter, no ConvergenceWarning
    rel = np.linalg.norm(gd.coef_ - exact.coef_) / np.linalg.norm(exact.coef_)
    assert rel < 1e-5
    assert gd.n_iter_ < gd.max_iter


def test_ridgegd_plain_gd_needs_condition_number_many_epochs():
    """Plain GD (the notes' update) converges like (1 - 1/kappa)^k: fine when well conditioned,
    slow on diabetes (kappa ~ 470), where the accelerated default still converges."""
    X, y = make_regression(n_samples=300, n_features=8, noise=1.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    exact = RidgeGD(alpha=1.0, solver="closed_form").fit(X, y)
    plain = RidgeGD(alpha=1.0, accelerated=False).fit(X, y)
    assert np.linalg.norm(plain.coef_ - exact.coef_) / np.linalg.norm(exact.coef_) < 1e-5
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with pytest.warns(ConvergenceWarning):
        slow = RidgeGD(alpha=1.0, accelerated=False, max_iter=200).fit(X, y)
    fast = RidgeGD(alpha=1.0).fit(X, y)
    exact = RidgeGD(alpha=1.0, solver="closed_form").fit(X, y)
    assert np.abs(slow.coef_ - exact.coef_).max() > 100 * np.abs(fast.coef_ - exact.coef_).max()


def test_ridgegd_design_and_gram_paths_agree():
    """n < d (through X) and n >= d (through X^T X) solve the same problem."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 20))
    y = rng.standard_normal(12)
    ref = Ridge(alpha=0.5).fit(X, y)
    ours = RidgeGD(alpha=0.5, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-7)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), atol=1e-7)


@pytest.mark.parametrize("solver", ["closed_form", "gd"])
def test_ridgegd_alpha_zero_is_ordinary_least_squares(solver):
    X, y = make_regression(n_samples=100, n_features=5, noise=2.0, random_state=0)
    ols = LinearRegression().fit(X, y)
    ours = RidgeGD(alpha=0.0, solver=solver, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ols.coef_, rtol=1e-7)
    assert ours.intercept_ == pytest.approx(ols.intercept_, abs=1e-7)


def test_ridgegd_multi_output_fits_each_target():
    X, Y = make_regression(n_samples=80, n_features=4, n_targets=3, random_state=0)
    both = RidgeGD(alpha=2.0, tol=1e-10).fit(X, Y)
    assert both.coef_.shape == (3, 4) and both.intercept_.shape == (3,)
    for k in range(3):
        one = RidgeGD(alpha=2.0, tol=1e-10).fit(X, Y[:, k])
        np.testing.assert_allclose(both.coef_[k], one.coef_, rtol=1e-7)


def test_ridgegd_keeps_every_feature_while_lasso_drops_them():
    """Notes: ridge cannot drop features, lasso can; lasso's zeros grow in number with alpha."""
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    for alpha in (0.1, 10.0, 1000.0, 1e5):
        assert np.all(RidgeGD(alpha=alpha).fit(X, y).coef_ != 0.0)
    zeros = [int(np.sum(LassoGD(alpha=a).fit(X, y).coef_ == 0.0)) for a in (0.01, 1, 5, 20, 50)]
    assert zeros == sorted(zeros) and zeros[0] < zeros[-1]
    assert zeros[-1] == X.shape[1] - 1 or zeros[-1] >= 8


def test_ridgegd_loss_curve_is_the_ridge_objective():
    X, y = make_regression(n_samples=60, n_features=3, noise=1.0, random_state=1)
    est = RidgeGD(alpha=3.0, tol=1e-10).fit(X, y)
    objective = np.sum((y - est.predict(X)) ** 2) + 3.0 * np.sum(est.coef_**2)
    assert est.loss_curve_[-1] == pytest.approx(objective, rel=1e-10)


@settings(max_examples=20, deadline=None)
@given(data=st.data(), alpha=st.floats(0.0, 10.0))
def test_ridgegd_hessian_is_psd(data, alpha):
    """Concept map row 14: the ridge Hessian 2 (X~^T X~ + alpha I) is PSD, so the loss is convex."""
    n, d = data.draw(st.integers(2, 30)), data.draw(st.integers(1, 10))
    X = data.draw(hnp.arrays(np.float64, (n, d), elements=_values(-3.0, 3.0)))
    Xt = np.column_stack([X, np.ones(len(X))])
    penalty = alpha * np.diag(np.r_[np.ones(X.shape[1]), 0.0])
    assert is_psd(2 * (Xt.T @ Xt + penalty))
    # and it is the curvature of the objective: a finite-difference check along a direction
    y = data.draw(hnp.arrays(np.float64, n, elements=_values(-3.0, 3.0)))
    w = data.draw(hnp.arrays(np.float64, d + 1, elements=_values(-3.0, 3.0)))
    v = data.draw(hnp.arrays(np.float64, d + 1, elements=_values(-3.0, 3.0)))

    def f(t):
        u = w + t * v
        return np.sum((y - Xt @ u) ** 2) + alpha * np.sum(u[:-1] ** 2)

    second = (f(1e-3) - 2 * f(0.0) + f(-1e-3)) / 1e-6
    curvature = v @ (2 * (Xt.T @ Xt + penalty)) @ v
    # the central difference of a quadratic is exact up to the round-off of f's magnitude
    round_off = 1e-9 * max(1.0, abs(f(0.0)))
    assert second == pytest.approx(curvature, rel=1e-4, abs=1e-6 + round_off)


def test_ridge_closed_form_function_handles_singular_least_squares():
    X = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])  # rank 1
    y = np.array([[1.0], [2.0], [3.0]])
    W, b = ridge_closed_form(X, y, np.ones(3), alpha=0.0, fit_intercept=False)
    np.testing.assert_allclose(X @ W, y, atol=1e-10)


# --- issue 13: parity with scikit-learn's Ridge (ported from sklearn/linear_model/tests) ---------


def _diabetes_200():
    """scikit-learn's test_ridge.py data: 200 shuffled rows of load_diabetes."""
    X, y = load_diabetes(return_X_y=True)
    ind = np.arange(len(y))
    np.random.RandomState(0).shuffle(ind)
    return X[ind[:200]], y[ind[:200]]


@pytest.mark.parametrize("solver", ["gd", "closed_form"])
def test_ridgegd_intercept_is_a_numpy_float64(solver):
    X, y = _diabetes_200()
    assert type(RidgeGD(solver=solver).fit(X, y).intercept_) is np.float64  # as Ridge's


def test_ridgegd_closed_form_alpha_zero_wide_is_the_minimum_norm_solution():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((10, 30)), rng.standard_normal(10)
    est = RidgeGD(alpha=0.0, solver="closed_form").fit(X, y)
    Xc, yc = X - X.mean(0), y - y.mean()
    np.testing.assert_allclose(est.coef_, np.linalg.pinv(Xc) @ yc, atol=1e-10)
    np.testing.assert_allclose(est.predict(X), y, atol=1e-10)  # interpolates


@pytest.mark.parametrize("alpha", [1.0, 0.1, 0.01, 0.0])
def test_ridgegd_default_solver_reaches_the_optimum_on_diabetes(alpha):
    X, y = _diabetes_200()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = RidgeGD(alpha=alpha).fit(X, y)
    exact = Ridge(alpha=alpha).fit(X, y) if alpha else LinearRegression().fit(X, y)
    assert np.linalg.norm(est.coef_ - exact.coef_) <= 1e-6 * np.linalg.norm(exact.coef_)


def test_ridgegd_default_solver_converges_on_standardized_breast_cancer():
    """Condition number 7,000: FISTA's gradient rule stopped 1e-3 away, or at max_iter."""
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = RidgeGD().fit(X, y)
    exact = Ridge().fit(X, y)
    assert np.linalg.norm(est.coef_ - exact.coef_) <= 1e-6 * np.linalg.norm(exact.coef_)
    assert est.n_iter_ < 100


def test_ridgegd_positive_matches_nonnegative_least_squares():
    """positive=True: the constrained optimum (scipy's NNLS on the augmented system)."""
    X, y = load_diabetes(return_X_y=True)
    alpha = 0.1
    est = RidgeGD(alpha=alpha, positive=True, tol=1e-10, max_iter=10_000).fit(X, y)
    Xc, yc = X - X.mean(0), y - y.mean()
    A = np.vstack([Xc, np.sqrt(alpha) * np.eye(X.shape[1])])
    w = scipy.optimize.nnls(A, np.r_[yc, np.zeros(X.shape[1])])[0]
    assert est.coef_.min() >= 0 and np.any(est.coef_ == 0)
    np.testing.assert_allclose(est.coef_, w, atol=1e-5)
    # scikit-learn's lbfgs stops 5 % away from it at its defaults: ours is never worse
    sk = Ridge(alpha=alpha, positive=True).fit(X, y)
    objective = lambda e: np.sum((y - e.predict(X)) ** 2) + alpha * np.sum(e.coef_**2)  # noqa: E731
    assert objective(est) <= objective(sk)
    with pytest.raises(ValueError, match="positive"):
        RidgeGD(positive=True, solver="closed_form").fit(X, y)


@pytest.mark.parametrize("solver", ["gd", "closed_form", "sgd"])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_ridgegd_sparse_fit_equals_dense_fit(solver, fmt):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 12)) * (rng.random((80, 12)) < 0.3)
    y = X @ rng.standard_normal(12) + 1.0
    params = dict(alpha=0.5, solver=solver, random_state=0, max_iter=20, tol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = RidgeGD(**params).fit(X, y)
        sparse_fit = RidgeGD(**params).fit(scipy.sparse.csr_matrix(X).asformat(fmt), y)
    np.testing.assert_allclose(sparse_fit.coef_, dense.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(sparse_fit.intercept_, dense.intercept_, rtol=1e-8)
    np.testing.assert_allclose(sparse_fit.predict(scipy.sparse.csr_matrix(X)), dense.predict(X))


def test_ridgegd_sparse_wide_design_uses_the_design_path_without_densifying():
    rng = np.random.default_rng(1)
    X = scipy.sparse.random(60, 5000, density=0.01, format="csr", random_state=1)
    y = rng.standard_normal(60)
    est = RidgeGD(alpha=1.0, tol=1e-8).fit(X, y)
    exact = Ridge(alpha=1.0, solver="sparse_cg", tol=1e-12, max_iter=10_000).fit(X.toarray(), y)
    np.testing.assert_allclose(est.coef_, exact.coef_, atol=1e-6)


@pytest.mark.parametrize("solver", ["gd", "closed_form", "sgd"])
def test_ridgegd_keeps_float32(solver):
    """scikit-learn's test_dtype_match: float32 in, float32 coef_ / predictions out."""
    X, y = _diabetes_200()
    params = dict(alpha=0.1, solver=solver, random_state=0, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est32 = RidgeGD(**params).fit(X.astype(np.float32), y)
        est64 = RidgeGD(**params).fit(X.astype(np.float32).astype(np.float64), y)
    assert est32.coef_.dtype == np.float32 and type(est32.intercept_) is np.float32
    assert est32.predict(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(est32.coef_, est64.coef_, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("solver", ["gd", "closed_form"])
def test_ridgegd_shapes_and_intercepts_as_sklearn(solver):
    """test_ridge_shapes_type and test_ridge_intercept: a (n, 1) target gives a 1-D coef_ and an
    intercept_ of shape (1,); two targets, one intercept each."""
    rng = np.random.RandomState(0)
    X, y = rng.randn(5, 10), rng.randn(5)
    est = RidgeGD(solver=solver, tol=1e-10)
    intercept = est.fit(X, y).intercept_
    assert est.coef_.shape == (10,) and np.shape(intercept) == ()
    est.fit(X, y[:, None])
    assert est.coef_.shape == (10,) and est.intercept_.shape == (1,)
    assert est.predict(X).shape == (5,)
    est.fit(X, np.c_[y, 1.0 + y])
    assert est.coef_.shape == (2, 10) and est.intercept_.shape == (2,)
    np.testing.assert_allclose(est.intercept_, [intercept, intercept + 1.0], rtol=1e-7)


def test_ridgegd_alpha_zero_without_intercept_is_least_squares():
    """test_ridge_vs_lstsq."""
    rng = np.random.RandomState(0)
    X, y = rng.randn(5, 4), rng.randn(5)
    ols = LinearRegression(fit_intercept=False).fit(X, y)
    for solver in ("gd", "closed_form"):
        est = RidgeGD(alpha=0.0, fit_intercept=False, solver=solver).fit(X, y)
        np.testing.assert_allclose(est.coef_, ols.coef_, rtol=1e-7)


@pytest.mark.parametrize("scale", [1e-8, 1.0, 1e8])
@pytest.mark.parametrize("solver", ["gd", "closed_form"])
def test_ridgegd_least_squares_with_duplicated_columns_is_scale_invariant(scale, solver):
    """alpha=0 with exactly collinear columns: the predictions of LinearRegression at any scale
    (LAPACK's default cutoff kept a round-off singular value at 1e8: 0.22 off)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 5))
    X = np.column_stack([X, X[:, 0], 2 * X[:, 1]])
    y = X @ rng.standard_normal(7) + rng.standard_normal(100)
    expected = LinearRegression().fit(X, y).predict(X)
    est = RidgeGD(alpha=0.0, solver=solver).fit(X * scale, y)
    np.testing.assert_allclose(est.predict(X * scale), expected, atol=1e-8)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize(
    "make", [RidgeGD, lambda: RidgeGD(solver="closed_form"), LassoGD], ids=["gd", "closed", "lasso"]
)
def test_sparse_y_is_a_type_error_as_in_sklearn(make, fmt):
    """A sparse y failed with "setting an array element with a sequence."; scikit-learn's Ridge
    and Lasso raise a TypeError that says what to do."""
    X, y = make_regression(30, 3, random_state=0)
    Y = scipy.sparse.csr_matrix(np.c_[y, y]).asformat(fmt)
    for target in (Y, Y[:, :1]):
        with pytest.raises(TypeError, match="Sparse data was passed") as ours:
            make().fit(X, target)
        with pytest.raises(TypeError) as theirs:
            Ridge().fit(X, target)
        assert "toarray()" in str(ours.value) and "toarray()" in str(theirs.value)
    est = make().fit(X, Y.toarray())  # the dense targets fit
    assert est.coef_.shape == (2, 3)
