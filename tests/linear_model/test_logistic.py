"""LogisticRegressionGD: sklearn LogisticRegression at C = 1/(n alpha), probabilities, stability."""

import inspect
import warnings

import numpy as np
import pytest
import scipy.sparse
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import expit, logsumexp
from sklearn.datasets import load_breast_cancer, load_iris, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_class_weight

from sklearn_notes import LogisticRegressionGD
from sklearn_notes.utils import is_psd


def _values(low, high):
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def classification_problems(draw, max_n=120, max_d=6, max_k=4):
    """X, y with every one of k classes present, and maybe weights; drawn so that a failure
    shrinks to a small problem."""
    n, d, k = draw(st.integers(20, max_n)), draw(st.integers(1, max_d)), draw(st.integers(2, max_k))
    X = draw(hnp.arrays(np.float64, (n, d), elements=_values(-5.0, 5.0)))
    y = draw(hnp.arrays(np.int64, n, elements=st.integers(0, k - 1)))
    y[:k] = np.arange(k)  # every class present
    weighted = draw(st.booleans())
    sw = draw(hnp.arrays(np.float64, n, elements=_values(0.2, 3.0))) if weighted else None
    return X, y, sw


@settings(max_examples=20, deadline=None)
@given(problem=classification_problems(), alpha=st.floats(1e-3, 1.0))
def test_logisticregressiongd_matches_sklearn_at_equivalent_c(problem, alpha):
    X, y, sw = problem
    # A (near-)constant column is collinear with the intercept: the penalized optimum puts 0 on
    # it, which lbfgs approaches only to ~1e-4 even at tol=1e-12 (a drawn example found it), so
    # the coefficients are compared on designs where the optimum is well determined.
    assume(np.all(X.std(axis=0) > 0.5))
    ours = LogisticRegressionGD(alpha=alpha, tol=1e-9).fit(X, y, sample_weight=sw)
    S = len(y) if sw is None else sw.sum()
    ref = LogisticRegression(C=1.0 / (S * alpha), tol=1e-12, max_iter=10_000)
    ref.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5 * max(1, np.abs(ref.coef_).max()))
    assert ours.coef_.shape == ref.coef_.shape and ours.intercept_.shape == ref.intercept_.shape


@pytest.mark.parametrize("load", [load_breast_cancer, load_iris])
def test_logisticregressiongd_matches_sklearn_on_real_data(load):
    X, y = load(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    alpha = 1e-3
    ours = LogisticRegressionGD(alpha=alpha, tol=1e-8).fit(X, y)
    ref = LogisticRegression(C=1 / (len(y) * alpha), tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    assert ours.score(X, y) == ref.score(X, y)


def test_logisticregressiongd_probabilities_are_in_the_open_unit_interval_and_sum_to_one():
    X, y = load_iris(return_X_y=True)
    clf = LogisticRegressionGD(alpha=0.01).fit(X, y)
    P = clf.predict_proba(X)
    assert np.all((P > 0) & (P < 1))
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), P, rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[P.argmax(axis=1)])


def test_logisticregressiongd_binary_is_the_sigmoid_of_one_logit():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    labels = np.array(["benign?", "malignant?"])[y]
    clf = LogisticRegressionGD(alpha=0.01).fit(X, labels)
    assert clf.coef_.shape == (1, X.shape[1])
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], expit(clf.decision_function(X)))
    assert set(clf.predict(X)) <= set(clf.classes_)


def test_logisticregressiongd_is_stable_on_huge_margins():
    """Separable data, tiny penalty, features of size 1e4: no overflow warning, finite loss."""
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(-1e4, 1.0, (20, 2)), rng.normal(1e4, 1.0, (20, 2))]
    y = np.r_[np.zeros(20), np.ones(20)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.filterwarnings("ignore", category=Warning, message=".*max_iter.*")
        clf = LogisticRegressionGD(alpha=1e-8, max_iter=50).fit(X, y)
        logp = clf.predict_log_proba(X * 10)
    assert np.all(np.isfinite(clf.loss_curve_)) and np.all(np.isfinite(logp))
    assert clf.score(X, y) == 1.0


@settings(max_examples=20, deadline=None)
@given(data=st.data(), alpha=st.floats(0.0, 1.0), k=st.integers(2, 4))
def test_logisticregressiongd_hessian_is_psd(data, alpha, k):
    """Concept map row 14: the Hessian X~^T (diag(p) - p p^T) X~ / n + alpha is PSD."""
    n, d = data.draw(st.integers(2, 40)), data.draw(st.integers(1, 6))
    X = data.draw(hnp.arrays(np.float64, (n, d), elements=_values(-3.0, 3.0)))
    Xt = np.column_stack([X, np.ones(n)])
    Z = data.draw(hnp.arrays(np.float64, (n, k), elements=_values(-9.0, 9.0)))
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    H = np.zeros((k * (d + 1), k * (d + 1)))
    for i in range(n):
        A = np.diag(P[i]) - np.outer(P[i], P[i])  # softmax Jacobian, PSD
        H += np.kron(A, np.outer(Xt[i], Xt[i])) / n
    penalty = alpha * np.kron(np.eye(k), np.diag(np.r_[np.ones(d), 0.0]))
    assert is_psd(A) and is_psd(H + penalty)


def test_logisticregressiongd_rejects_one_class_and_continuous_targets():
    X = np.random.default_rng(0).standard_normal((10, 2))
    with pytest.raises(ValueError, match="at least 2 classes"):
        LogisticRegressionGD().fit(X, np.zeros(10))
    with pytest.raises(ValueError, match="Unknown label type"):
        LogisticRegressionGD().fit(X, np.linspace(0, 1, 10))


# --- issue 13: parity with scikit-learn's LogisticRegression (ported from test_logistic.py) -----


def _sk_logistic(C, l1_ratio=0.0, **params):
    """scikit-learn's LogisticRegression with an elastic-net share (``C=np.inf``: no penalty), on
    1.6 and on 1.8+ (where ``penalty`` is deprecated in favour of ``l1_ratio`` alone)."""
    if inspect.signature(LogisticRegression).parameters["penalty"].default == "deprecated":
        return LogisticRegression(C=C, l1_ratio=l1_ratio, **params)
    if np.isinf(C):  # no penalty
        return LogisticRegression(penalty=None, **params)
    return LogisticRegression(C=C, penalty="elasticnet", l1_ratio=l1_ratio, **params)


def _iris_imbalanced(binary):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return (X[45:100], y[45:100]) if binary else (X[45:], y[45:])


def test_logisticregressiongd_n_iter_is_an_array_of_shape_one():
    X, y = _iris_imbalanced(binary=False)
    est = LogisticRegressionGD().fit(X, y)
    assert est.n_iter_.shape == (1,) and est.n_iter_[0] == len(est.loss_curve_)


@pytest.mark.parametrize("binary", [True, False])
def test_logisticregressiongd_class_weight_matches_sklearn(binary):
    """test_logistic_regression_class_weights: "balanced" == its dictionary == sample weights,
    and scikit-learn's coefficients at C = 1 / (alpha n)."""
    X, y = _iris_imbalanced(binary)
    classes = np.unique(y)
    weights = dict(zip(classes, compute_class_weight("balanced", classes=classes, y=y)))
    alpha = 1.0 / len(y)
    balanced = LogisticRegressionGD(alpha=alpha, class_weight="balanced", tol=1e-9).fit(X, y)
    as_dict = LogisticRegressionGD(alpha=alpha, class_weight=weights, tol=1e-9).fit(X, y)
    np.testing.assert_allclose(balanced.coef_, as_dict.coef_, rtol=1e-8)
    sw = np.array([weights[c] for c in y])
    by_sw = LogisticRegressionGD(alpha=alpha * len(y) / sw.sum(), tol=1e-9).fit(X, y, sw)
    np.testing.assert_allclose(by_sw.coef_, balanced.coef_, rtol=1e-6, atol=1e-8)
    sk = LogisticRegression(C=1.0, class_weight="balanced", tol=1e-10, max_iter=10_000).fit(X, y)
    ours = balanced.coef_ if binary else balanced.coef_ - balanced.coef_.mean(0)
    np.testing.assert_allclose(ours, sk.coef_, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="class_weight"):
        LogisticRegressionGD(class_weight="heaviest").fit(X, y)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("binary", [True, False])
def test_logisticregressiongd_l1_and_elasticnet_match_sklearn_saga(l1_ratio, binary):
    """test_elastic_net_coeffs / test_logreg_l1: the lasso's proximal step, scikit-learn's optimum;
    the L1 part gives exact zeros (on noise features), and sparse X gives the dense fit."""
    rng = np.random.default_rng(0)
    X, y = load_breast_cancer(return_X_y=True) if binary else load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(np.column_stack([X, rng.standard_normal((len(y), 3))]))
    C = 0.1
    alpha = 1.0 / (C * len(y))
    penalty = "l1" if l1_ratio == 1.0 else "elasticnet"
    est = LogisticRegressionGD(
        alpha=alpha, penalty=penalty, l1_ratio=l1_ratio, tol=1e-10, max_iter=20_000
    ).fit(X, y)
    sk = _sk_logistic(C, l1_ratio, solver="saga", tol=1e-12, max_iter=100_000).fit(X, y)
    objective = lambda W, b: (  # noqa: E731
        log_loss(y, softmax_or_sigmoid(X @ W.T + b), normalize=True)
        + alpha * ((1 - l1_ratio) / 2 * np.sum(W**2) + l1_ratio * np.abs(W).sum())
    )
    f_ours, f_sk = objective(est.coef_, est.intercept_), objective(sk.coef_, sk.intercept_)
    assert f_ours <= f_sk + 1e-9
    assert np.any(est.coef_ == 0)
    if binary:  # the multinomial optimum is unique only up to the L1 shift
        np.testing.assert_allclose(est.coef_, sk.coef_, atol=1e-4)
    sparse_fit = LogisticRegressionGD(
        alpha=alpha, penalty=penalty, l1_ratio=l1_ratio, tol=1e-10, max_iter=20_000
    ).fit(scipy.sparse.csr_matrix(X), y)
    np.testing.assert_allclose(sparse_fit.coef_, est.coef_, atol=1e-8)


def softmax_or_sigmoid(Z):
    Z = np.atleast_2d(Z.T).T
    return expit(Z[:, 0]) if Z.shape[1] == 1 else np.exp(Z - logsumexp(Z, axis=1, keepdims=True))


def test_logisticregressiongd_penalty_none_and_checks():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    y = (X[:, 0] + rng.standard_normal(200) > 0).astype(int)
    est = LogisticRegressionGD(penalty=None, tol=1e-10).fit(X, y)
    sk = _sk_logistic(np.inf, 0.0, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(est.coef_, sk.coef_, rtol=1e-5)
    # elastic net at l1_ratio 0 is the L2 penalty
    l2 = LogisticRegressionGD(alpha=0.1).fit(X, y)
    en = LogisticRegressionGD(alpha=0.1, penalty="elasticnet", l1_ratio=0.0).fit(X, y)
    np.testing.assert_allclose(en.coef_, l2.coef_, rtol=1e-12)
    with pytest.raises(ValueError, match="l1_ratio"):
        LogisticRegressionGD(penalty="elasticnet").fit(X, y)


def test_logisticregressiongd_keeps_float32():
    X, y = _iris_imbalanced(binary=False)
    est = LogisticRegressionGD().fit(X.astype(np.float32), y)
    assert est.coef_.dtype == np.float32 and est.intercept_.dtype == np.float32
    assert est.decision_function(X.astype(np.float32)).dtype == np.float32
    assert est.predict_proba(X.astype(np.float32)).dtype == np.float32


_TOY_X = [[-1, 0], [0, 1], [1, 1]]


@pytest.mark.parametrize("sparse_input", [False, True])
@pytest.mark.parametrize(
    "y, params",
    [
        ([0, 1, 1], dict(alpha=1 / 3)),  # C = 1
        ([0, 1, 1], dict(alpha=1 / 300)),  # C = 100
        ([0, 1, 1], dict(alpha=1 / 3, fit_intercept=False)),
        ([2, 1, 0], dict(alpha=1 / 30)),  # C = 10, three classes
    ],
)
def test_logisticregressiongd_predicts_the_toy_sets(sparse_input, y, params):
    """test_predict_2_classes / test_predict_3_classes (check_predictions), at sklearn's C."""
    X = scipy.sparse.csr_matrix(_TOY_X) if sparse_input else np.array(_TOY_X)
    clf = LogisticRegressionGD(**params).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    np.testing.assert_array_equal(clf.predict(X), y)
    proba = clf.predict_proba(X)
    assert proba.shape == (3, len(np.unique(y)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], y)


def test_logisticregressiongd_class_weights_below_one_on_off_centre_features():
    """Class weights summing to less than the sample weights, features 10 from 0: the fit ran one
    step and returned the zero model (score 0.155, no warning); scikit-learn scores 0.93."""
    X, y = make_classification(200, 5, random_state=0, weights=[0.8])
    X = X + 10.0
    cw = {0: 0.5, 1: 1}
    ours = LogisticRegressionGD(class_weight=cw, tol=1e-9).fit(X, y)
    sk = LogisticRegression(class_weight=cw, C=1 / (0.01 * 200), tol=1e-12, max_iter=10_000)
    sk.fit(X, y)
    assert ours.n_iter_[0] > 10
    np.testing.assert_allclose(ours.coef_, sk.coef_, atol=1e-6)  # |coef| up to 1.57
    np.testing.assert_allclose(ours.intercept_, sk.intercept_, atol=1e-5)
    assert ours.score(X, y) == sk.score(X, y) == 0.93
    # raw iris (features up to 7.9), a multinomial problem
    X, y = load_iris(return_X_y=True)
    ours = LogisticRegressionGD(class_weight={0: 0.5}, tol=1e-9).fit(X, y)
    sk = LogisticRegression(class_weight={0: 0.5}, C=1 / 1.5, tol=1e-12, max_iter=10_000)
    sk.fit(X, y)
    np.testing.assert_allclose(ours.coef_ - ours.coef_.mean(0), sk.coef_, atol=2e-5)


@pytest.mark.parametrize("binary", [True, False])
def test_logisticregressiongd_balanced_counts_weighted_samples(binary):
    """``"balanced"`` with sample weights: integer weights are repeated rows (the classes were
    counted without the weights: coefficients 0.054 apart on iris). scikit-learn is fitted on the
    repeated rows, where every version agrees (the weighted count is new in 1.9)."""
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    y = (y > 0).astype(int) if binary else y
    sw = np.random.RandomState(0).randint(0, 3, len(y))  # zeros too: rows left out
    Xr, yr = np.repeat(X, sw, axis=0), np.repeat(y, sw)
    weighted = LogisticRegressionGD(class_weight="balanced", tol=1e-10).fit(X, y, sw)
    repeated = LogisticRegressionGD(class_weight="balanced", tol=1e-10).fit(Xr, yr)
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-12)  # |coef| up to 2.2
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, atol=1e-12)
    sk = LogisticRegression(C=1 / (0.01 * len(yr)), class_weight="balanced", tol=1e-12)
    sk.set_params(max_iter=5_000).fit(Xr, yr)
    np.testing.assert_allclose(weighted.coef_, sk.coef_, atol=1e-6)  # 7e-8 measured
    np.testing.assert_allclose(weighted.intercept_, sk.intercept_, atol=1e-6)
