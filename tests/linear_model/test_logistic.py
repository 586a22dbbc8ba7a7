"""LogisticRegressionGD: sklearn LogisticRegression at C = 1/(n alpha), probabilities, stability."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sklearn_notes import LogisticRegressionGD
from sklearn_notes.utils import is_psd


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(20, 120),
    d=st.integers(1, 6),
    k=st.integers(2, 4),
    alpha=st.floats(1e-3, 1.0),
    weighted=st.booleans(),
)
def test_logisticregressiongd_matches_sklearn_at_equivalent_c(seed, n, d, k, alpha, weighted):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * 2 + 1
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)  # every class present
    sw = rng.uniform(0.2, 3.0, n) if weighted else None
    ours = LogisticRegressionGD(alpha=alpha, tol=1e-9).fit(X, y, sample_weight=sw)
    S = n if sw is None else sw.sum()
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
@given(seed=st.integers(0, 10_000), alpha=st.floats(0.0, 1.0), k=st.integers(2, 4))
def test_logisticregressiongd_hessian_is_psd(seed, alpha, k):
    """Concept map row 14: the Hessian X~^T (diag(p) - p p^T) X~ / n + alpha is PSD."""
    rng = np.random.default_rng(seed)
    n, d = int(rng.integers(2, 40)), int(rng.integers(1, 6))
    Xt = np.column_stack([rng.standard_normal((n, d)), np.ones(n)])
    Z = rng.standard_normal((n, k)) * 3
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
