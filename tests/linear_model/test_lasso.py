"""LassoGD: subgradient (KKT) conditions, sklearn Lasso's coefficients and zeros, exact sparsity."""

import warnings

import numpy as np
import pytest
import scipy.sparse
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso
from sklearn.preprocessing import StandardScaler

from sklearn_notes import LassoGD, lasso_dual_gap, lasso_kkt_violation


@settings(max_examples=25, deadline=None)
@given(
    data=st.data(),
    alpha_frac=st.floats(0.01, 1.2),
    weighted=st.booleans(),
    accelerated=st.booleans(),
)
def test_lassogd_satisfies_kkt_and_matches_sklearn(data, alpha_frac, weighted, accelerated):
    n = data.draw(st.integers(10, 80))
    d = data.draw(st.integers(1, min(15, n // 2)))
    values = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
    X = data.draw(hnp.arrays(np.float64, (n, d), elements=values))
    # the lasso's optimum is unique, and both solvers reach it to 1e-6, where the centred design
    # is well conditioned (a drawn one may be rank-deficient)
    assume(np.linalg.cond(X - X.mean(axis=0)) < 1e3)
    noise = data.draw(hnp.arrays(np.float64, n, elements=values))
    y = X[:, : max(1, d // 3)].sum(axis=1) + 0.3 * noise
    sw = data.draw(hnp.arrays(np.float64, n, elements=st.floats(0.2, 3.0))) if weighted else None
    sw = np.ones(n) if sw is None else sw
    sw_ = sw / sw.sum()
    Xc = X - sw_ @ X
    alpha_max = np.max(np.abs(Xc.T @ (sw_ * (y - sw_ @ y))))
    assume(alpha_max > 1e-6)
    alpha = alpha_frac * alpha_max
    ours = LassoGD(alpha=alpha, tol=1e-10, accelerated=accelerated, max_iter=20000)
    ours.fit(X, y, sample_weight=sw)
    assert lasso_kkt_violation(X, y, ours.coef_, ours.intercept_, alpha, sw) < 1e-8
    ref = Lasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    # the zero pattern agrees wherever the coefficient is not borderline
    clear = np.abs(ref.coef_) > 1e-5
    np.testing.assert_array_equal(ours.coef_[clear] != 0, ref.coef_[clear] != 0)
    if alpha_frac >= 1.0:  # above alpha_max every coefficient is exactly zero
        assert np.all(ours.coef_ == 0.0)


def test_lassogd_zero_pattern_matches_sklearn_on_diabetes():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    for alpha in (0.1, 1.0, 5.0, 20.0):
        ours = LassoGD(alpha=alpha, tol=1e-9).fit(X, y)
        ref = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, y)
        np.testing.assert_array_equal(ours.coef_ == 0, ref.coef_ == 0)
        np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)


@pytest.mark.parametrize("solver", ["sgd", "minibatch"])
def test_lassogd_stochastic_solvers_also_produce_exact_zeros(solver):
    X, y = make_regression(n_samples=300, n_features=10, n_informative=3, noise=1.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    est = LassoGD(alpha=2.0, solver=solver, max_iter=50, random_state=0).fit(X, y)
    ref = Lasso(alpha=2.0).fit(X, y)
    # the soft-threshold of one-sample steps is small and the noise kicks weights off zero, so
    # plain SGD keeps fewer exact zeros than minibatches (7 noise features here)
    assert np.sum(est.coef_ == 0) >= (1 if solver == "sgd" else 5)
    np.testing.assert_array_equal(est.coef_[np.abs(ref.coef_) > 1] != 0, True)


def test_lassogd_objective_curve_and_ista_vs_fista():
    """FISTA needs far fewer epochs than ISTA for the same tolerance; both descend."""
    X, y = make_regression(n_samples=200, n_features=30, n_informative=5, random_state=0)
    X = X @ np.random.default_rng(0).standard_normal((30, 30))  # correlated: ill-conditioned
    ista = LassoGD(alpha=0.5, accelerated=False, tol=1e-6, max_iter=100_000).fit(X, y)
    fista = LassoGD(alpha=0.5, tol=1e-6).fit(X, y)
    assert np.all(np.diff(ista.loss_curve_) <= 1e-9 * abs(ista.loss_curve_[0]))
    assert fista.n_iter_ * 5 < ista.n_iter_
    np.testing.assert_allclose(fista.coef_, ista.coef_, atol=1e-3 * np.abs(ista.coef_).max())
    r = y - fista.predict(X)
    assert fista.loss_curve_[-1] == pytest.approx(
        r @ r / (2 * len(y)) + 0.5 * np.abs(fista.coef_).sum(), rel=1e-10
    )


def test_lassogd_multi_output_and_wide_data_match_sklearn():
    """Working sets also cover n < d and several targets (independent lassos)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 50))
    Y = X[:, :3] @ rng.standard_normal((3, 2)) + 0.1 * rng.standard_normal((20, 2))
    ours = LassoGD(alpha=0.1, tol=1e-10, max_iter=20_000).fit(X, Y)
    ref = Lasso(alpha=0.1, tol=1e-14, max_iter=100_000).fit(X, Y)
    assert ours.coef_.shape == ref.coef_.shape == (2, 50)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-6)
    assert np.sum(ours.coef_ == 0) > 50  # most of the 100 coefficients are dropped


# --- issue 13: parity with scikit-learn's Lasso (ported from test_coordinate_descent.py) ---------


def _ill_posed(n_samples=50, n_features=200, seed=0):
    """test_coordinate_descent.py's build_dataset: few samples, many noisy features."""
    rng = np.random.RandomState(seed)
    w = rng.randn(n_features)
    w[10:] = 0.0
    X = rng.randn(n_samples, n_features)
    return X, X @ w


def test_lassogd_warm_start_from_a_user_set_coef_without_intercept():
    X, y = _ill_posed()
    est = LassoGD(alpha=0.1, warm_start=True)
    est.coef_ = np.ones(X.shape[1])  # scikit-learn starts from coef_ alone
    est.fit(X, y)
    cold = LassoGD(alpha=0.1).fit(X, y)
    assert type(est.intercept_) is np.float64
    np.testing.assert_allclose(est.coef_, cold.coef_, atol=1e-4)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_lassogd_dual_gap_matches_its_definition_and_sklearn(fit_intercept):
    """test_lasso_dual_gap: primal - dual with the datafit divided by n_samples."""
    X, y = _ill_posed(n_samples=10, n_features=30)
    alpha = 0.01 * np.max(np.abs(X.T @ y)) / len(y)
    est = LassoGD(alpha=alpha, fit_intercept=fit_intercept, max_iter=50, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    Xc, yc = (X - X.mean(0), y - y.mean()) if fit_intercept else (X, y)
    R = yc - Xc @ est.coef_
    primal = 0.5 * np.mean(R**2) + alpha * np.sum(np.abs(est.coef_))
    R = R / max(np.max(np.abs(Xc.T @ R) / (len(y) * alpha)), 1.0)
    dual = 0.5 * (np.mean(yc**2) - np.mean((yc - R) ** 2))
    np.testing.assert_allclose(est.dual_gap_, primal - dual, rtol=1e-10, atol=1e-14)
    assert est.dual_gap_ > 0  # 50 epochs are not the optimum
    exact = LassoGD(alpha=alpha, fit_intercept=fit_intercept, tol=1e-12, max_iter=100_000)
    sk = Lasso(alpha=alpha, fit_intercept=fit_intercept, tol=1e-12, max_iter=100_000)
    assert exact.fit(X, y).dual_gap_ < 1e-9 and sk.fit(X, y).dual_gap_ < 1e-9
    # a converged fit takes the gap from the solver's last gradient: the same number
    for tol in (1e-3, 1e-6):
        fit = LassoGD(alpha=alpha, fit_intercept=fit_intercept, tol=tol).fit(X, y)
        direct = lasso_dual_gap(
            X, y[:, None], fit.coef_[:, None], np.atleast_1d(fit.intercept_), alpha,
            np.ones(len(y)), fit_intercept,
        )  # fmt: skip
        assert np.ndim(fit.dual_gap_) == 0
        np.testing.assert_allclose(fit.dual_gap_, direct[0], rtol=1e-6, atol=1e-12)


def test_lassogd_multi_output_dual_gap_is_per_target():
    X, y = _ill_posed(n_samples=40, n_features=20)
    est = LassoGD(alpha=0.1).fit(X, np.column_stack([y, -2 * y]))
    assert est.dual_gap_.shape == (2,) and np.all(est.dual_gap_ >= 0)


@pytest.mark.parametrize("precompute_path", ["gram", "design"])
def test_lassogd_positive_constraint(precompute_path):
    """test_lasso_positive_constraint, and sklearn's numbers on diabetes."""
    X, y = [[-1.0], [0.0], [1.0]], [1.0, 0.0, -1.0]  # a line of negative slope
    assert LassoGD(alpha=0.1, positive=True).fit(X, y).coef_.min() >= 0
    X, y = load_diabetes(return_X_y=True)
    if precompute_path == "design":  # more features than samples: no Gram matrix
        X, y = X[:8], y[:8]
    est = LassoGD(alpha=0.1, positive=True, tol=1e-10, max_iter=100_000).fit(X, y)
    sk = Lasso(alpha=0.1, positive=True, tol=1e-14, max_iter=1_000_000).fit(X, y)
    assert est.coef_.min() >= 0
    np.testing.assert_allclose(est.coef_, sk.coef_, atol=1e-5 * np.abs(sk.coef_).max())
    assert est.dual_gap_ < 1e-9 * np.mean(y**2)  # relative to the scale of the objective


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_lassogd_sparse_fit_equals_dense_fit_and_sklearn(fmt):
    X, y = _ill_posed(n_samples=60, n_features=40)
    X[np.abs(X) < 1.0] = 0.0
    Xs = scipy.sparse.csr_matrix(X).asformat(fmt)
    est = LassoGD(alpha=0.05, tol=1e-10).fit(Xs, y)
    np.testing.assert_allclose(est.coef_, LassoGD(alpha=0.05, tol=1e-10).fit(X, y).coef_, atol=1e-9)
    sk = Lasso(alpha=0.05, tol=1e-14, max_iter=100_000).fit(Xs, y)
    np.testing.assert_allclose(est.coef_, sk.coef_, atol=1e-6)
    np.testing.assert_allclose(est.dual_gap_, sk.dual_gap_, atol=1e-9)


def test_lassogd_keeps_float32():
    X, y = load_diabetes(return_X_y=True)
    est = LassoGD(alpha=0.1).fit(X.astype(np.float32), y)
    assert est.coef_.dtype == np.float32 and type(est.intercept_) is np.float32
    np.testing.assert_allclose(est.coef_, LassoGD(alpha=0.1).fit(X, y).coef_, rtol=1e-4, atol=1e-2)


@st.composite
def _sparse_problems(draw):
    """A small design with exact zeros (drawn, so a failure shrinks) and a target."""
    n, d = draw(st.integers(3, 25)), draw(st.integers(1, 8))
    values = st.floats(-5, 5, allow_nan=False, allow_infinity=False)
    X = draw(hnp.arrays(np.float64, (n, d), elements=values))
    X[draw(hnp.arrays(np.bool_, (n, d)))] = 0.0
    y = draw(hnp.arrays(np.float64, n, elements=values))
    return X, y


@settings(max_examples=20, deadline=None)
@given(problem=_sparse_problems(), alpha_frac=st.floats(0.01, 1.5), positive=st.booleans())
def test_lassogd_sparse_equals_dense_and_the_gap_certifies_the_optimum(
    problem, alpha_frac, positive
):
    """For any design: the CSR fit is the dense fit, the duality gap is >= 0 and bounds the
    distance of the objective from the optimum (exact: scikit-learn at a tight tol), and
    positive=True keeps every coefficient >= 0."""
    X, y = problem
    n = len(y)
    alpha = alpha_frac * max(np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / n, 1e-3)
    params = dict(alpha=alpha, positive=positive, tol=1e-9, max_iter=20_000)
    dense = LassoGD(**params).fit(X, y)
    csr = LassoGD(**params).fit(scipy.sparse.csr_matrix(X), y)
    np.testing.assert_allclose(csr.coef_, dense.coef_, rtol=1e-7, atol=1e-9)
    assert dense.dual_gap_ >= 0
    if positive:
        assert np.all(dense.coef_ >= 0)
    objective = lambda c, b: np.mean((y - X @ c - b) ** 2) / 2 + alpha * np.abs(c).sum()  # noqa: E731
    sk = Lasso(alpha=alpha, positive=positive, tol=1e-14, max_iter=1_000_000).fit(X, y)
    gap = objective(dense.coef_, dense.intercept_) - objective(sk.coef_, sk.intercept_)
    scale = 1e-9 * max(np.mean(y**2), 1.0)
    assert gap <= dense.dual_gap_ + scale


@pytest.mark.parametrize("alpha, coef", [(1e-8, 1.0), (0.1, 0.85), (0.5, 0.25), (1.0, 0.0)])
def test_lassogd_toy_as_sklearn(alpha, coef):
    """test_lasso_toy: a straight line through the origin."""
    est = LassoGD(alpha=alpha, tol=1e-10).fit([[-1.0], [0.0], [1.0]], [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(est.coef_, [coef], atol=1e-7)
    np.testing.assert_allclose(est.predict([[2.0], [3.0], [4.0]]), coef * np.array([2, 3, 4]),
                               atol=1e-6)  # fmt: skip
    assert est.dual_gap_ == pytest.approx(0.0, abs=1e-10)


def test_lassogd_all_zero_data():
    """test_lasso_zero: zero data fits without crashing, to a zero model with no gap."""
    est = LassoGD(alpha=0.1).fit([[0.0], [0.0], [0.0]], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(est.coef_, [0.0])
    np.testing.assert_array_equal(est.predict([[1.0], [2.0], [3.0]]), [0.0, 0.0, 0.0])
    assert est.dual_gap_ == 0.0


def test_lassogd_column_target_shapes_as_sklearn():
    X, y = _ill_posed(n_samples=20, n_features=8)
    est = LassoGD(alpha=0.1).fit(X, y[:, None])
    assert est.coef_.shape == (8,) and est.intercept_.shape == (1,) and np.ndim(est.dual_gap_) == 0


def test_lassogd_multi_target_n_iter_and_sparse_coef_as_sklearn():
    """Several targets: n_iter_ is a list with one count per target (it was one int) and
    sparse_coef_ exists, in scikit-learn's types and shapes; one target keeps an int."""
    import sklearn

    X, Y = make_regression(100, 8, n_targets=3, n_informative=3, noise=1.0, random_state=0)
    for y in (Y, Y[:, 0], Y[:, :1]):
        ours = LassoGD(alpha=5.0, tol=1e-8).fit(X, y)
        sk = Lasso(alpha=5.0, tol=1e-10, max_iter=100_000).fit(X, y)
        if y.ndim == 2 and y.shape[1] == 3:
            assert isinstance(ours.n_iter_, list) and isinstance(sk.n_iter_, list)
            assert len(ours.n_iter_) == len(sk.n_iter_) == 3
            # one run solves the targets together: every count is its epochs
            assert ours.n_iter_ == [len(ours.loss_curve_)] * 3
        else:  # (n,) and (n, 1): one int, as scikit-learn's
            assert isinstance(ours.n_iter_, int) and isinstance(sk.n_iter_, int)
            assert ours.n_iter_ == len(ours.loss_curve_)
        sparse = ours.sparse_coef_
        assert type(sparse) is type(sk.sparse_coef_) is scipy.sparse.csr_matrix
        assert sparse.shape == sk.sparse_coef_.shape == (len(np.atleast_2d(sk.coef_)), 8)
        # the exact zeros are not stored (8 of 24 stored with 3 targets, 3 of 8 with one)
        assert sparse.nnz == sk.sparse_coef_.nnz == np.count_nonzero(ours.coef_) < ours.coef_.size
        np.testing.assert_array_equal(sparse.toarray(), np.atleast_2d(ours.coef_))
        np.testing.assert_allclose(sparse.toarray(), sk.sparse_coef_.toarray(), atol=1e-7)
    if "sparse_interface" in sklearn.get_config():  # scikit-learn >= 1.9
        with sklearn.config_context(sparse_interface="sparray"):
            assert type(ours.sparse_coef_) is type(sk.sparse_coef_) is scipy.sparse.csr_array
    with pytest.raises(AttributeError):
        LassoGD().sparse_coef_  # noqa: B018 (unfitted)
