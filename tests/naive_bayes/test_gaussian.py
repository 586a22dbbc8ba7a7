"""GaussianNB: equal to scikit-learn's (fit, partial_fit in chunks, weights, priors, smoothing)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn import naive_bayes as sk_nb
from sklearn.datasets import load_iris, make_classification

from sklearn_notes import GaussianNB
from sklearn_notes.naive_bayes._gaussian import update_mean_variance

ATTRS = ("theta_", "var_", "class_prior_", "class_count_", "epsilon_")
METHODS = ("predict_joint_log_proba", "predict_log_proba", "predict_proba", "predict")


def _assert_same(ours, theirs, X):
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    for attr in ATTRS:
        np.testing.assert_allclose(getattr(ours, attr), getattr(theirs, attr), rtol=1e-10, atol=0)
    for method in METHODS:
        a, b = getattr(ours, method)(X), getattr(theirs, method)(X)
        if method == "predict":
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=method)


@st.composite
def _problems(draw):
    """X, y and positive weights, drawn element by element so that a failure shrinks."""
    n_samples = draw(st.integers(8, 60))
    n_features = draw(st.integers(1, 5))
    n_classes = draw(st.integers(2, 4))
    # distinct values: every class has a non-zero variance (var_smoothing=0 is tested too)
    X = draw(
        hnp.arrays(
            np.float64,
            (n_samples, n_features),
            # on a grid of 0.01: distinct values differ enough that no variance underflows
            elements=st.integers(-10_000, 10_000).map(lambda i: i / 100),
            unique=True,
        )
    )
    # every class at least twice
    rest = draw(
        hnp.arrays(np.int64, n_samples - 2 * n_classes, elements=st.integers(0, n_classes - 1))
    )
    y = np.concatenate([np.tile(np.arange(n_classes), 2), rest])
    sw = draw(hnp.arrays(np.float64, n_samples, elements=st.floats(0.1, 3.0)))
    return X, y, sw


@settings(max_examples=25, deadline=None)
@given(_problems(), st.booleans(), st.sampled_from([0.0, 1e-9, 1e-3, 0.5]))
def test_gaussiannb_equals_sklearn(problem, weighted, var_smoothing):
    X, y, sw = problem
    sw = sw if weighted else None
    ours = GaussianNB(var_smoothing=var_smoothing).fit(X, y, sample_weight=sw)
    theirs = sk_nb.GaussianNB(var_smoothing=var_smoothing).fit(X, y, sample_weight=sw)
    _assert_same(ours, theirs, X + 0.1)


@settings(max_examples=25, deadline=None)
@given(_problems(), st.integers(1, 5), st.booleans(), st.sampled_from([0.0, 1e-9, 0.1]))
def test_gaussiannb_partial_fit_in_chunks_equals_sklearn(problem, n_chunks, weighted, smoothing):
    X, y, sw = problem
    sw = sw if weighted else None
    ours = GaussianNB(var_smoothing=smoothing)
    theirs = sk_nb.GaussianNB(var_smoothing=smoothing)
    classes = np.unique(y)
    for idx in np.array_split(np.arange(len(y)), n_chunks):
        w = None if sw is None else sw[idx]
        ours.partial_fit(X[idx], y[idx], classes=classes, sample_weight=w)
        theirs.partial_fit(X[idx], y[idx], classes=classes, sample_weight=w)
    # Streamed in chunks, ours is scikit-learn's GaussianNB fitted on all the data at once ...
    _assert_same(ours, sk_nb.GaussianNB(var_smoothing=smoothing).fit(X, y, sample_weight=sw), X)
    # ... and scikit-learn's own partial_fit as well whenever that one does not depend on the
    # chunking (one chunk, or no smoothing: it takes epsilon from the last batch only).
    if smoothing == 0.0 or n_chunks == 1:
        _assert_same(ours, theirs, X)
    for attr in ("theta_", "class_prior_", "class_count_"):
        np.testing.assert_allclose(getattr(ours, attr), getattr(theirs, attr), rtol=1e-10)


def test_gaussiannb_partial_fit_smoothing_does_not_drift_unlike_sklearn():
    """Documented difference: with var_smoothing > 0, scikit-learn's streamed var_ is off."""
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(size=(30, 2)), 100 * rng.normal(size=(30, 2))])
    y = np.tile([0, 1], 30)
    ours, theirs = GaussianNB(var_smoothing=0.1), sk_nb.GaussianNB(var_smoothing=0.1)
    for idx in (slice(30, 60), slice(0, 30)):  # big-variance batch first, then a small one
        ours.partial_fit(X[idx], y[idx], classes=[0, 1])
        theirs.partial_fit(X[idx], y[idx], classes=[0, 1])
    exact = np.stack([X[y == k].var(axis=0) for k in (0, 1)])
    np.testing.assert_allclose(ours.var_ - ours.epsilon_, exact, rtol=1e-10)
    np.testing.assert_allclose(ours.epsilon_, 0.1 * X.var(axis=0).max(), rtol=1e-10)
    assert np.abs(theirs.var_ - theirs.epsilon_ - exact).max() > 1.0


def test_gaussiannb_priors_equal_sklearn_and_are_used():
    X, y = load_iris(return_X_y=True)
    priors = [0.1, 0.3, 0.6]
    ours = GaussianNB(priors=priors).fit(X, y)
    _assert_same(ours, sk_nb.GaussianNB(priors=priors).fit(X, y), X)
    np.testing.assert_allclose(ours.class_prior_, priors)
    # The prior shifts the joint log-likelihood by exactly log(prior) per class.
    flat = GaussianNB().fit(X, y)
    shift = ours.predict_joint_log_proba(X) - flat.predict_joint_log_proba(X)
    np.testing.assert_allclose(shift, np.tile(np.log(priors) - np.log(1 / 3), (len(X), 1)))


@pytest.mark.parametrize(
    "priors, message",
    [
        ([0.5, 0.5], "Number of priors"),
        ([0.5, 0.6, 0.1], "sum of the priors"),
        ([1.5, -0.5, 0.0], "non-negative"),
    ],
)
def test_gaussiannb_bad_priors_raise(priors, message):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=message):
        GaussianNB(priors=priors).fit(X, y)


def test_gaussiannb_posteriors_sum_to_one_and_decide_by_argmax():
    X, y = make_classification(n_samples=200, n_classes=3, n_informative=4, random_state=0)
    clf = GaussianNB().fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)


def test_gaussiannb_failed_partial_fit_leaves_model_unchanged():
    X, y = load_iris(return_X_y=True)
    clf = GaussianNB().partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    before = {a: np.copy(getattr(clf, a)) for a in ATTRS}
    with pytest.raises(ValueError, match="do not exist in the initial classes"):
        clf.partial_fit(X[50:], y[50:] + 5)
    for a in ATTRS:
        np.testing.assert_array_equal(getattr(clf, a), before[a])
    with pytest.raises(ValueError, match="classes must be passed"):
        GaussianNB().partial_fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :2], y)


def test_gaussiannb_update_mean_variance_matches_one_pass():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    w = rng.uniform(0.5, 2, 40)
    mu, var = update_mean_variance(0, np.zeros(3), np.zeros(3), X[:15], w[:15])
    mu, var = update_mean_variance(w[:15].sum(), mu, var, X[15:], w[15:])
    mean = np.average(X, axis=0, weights=w)
    np.testing.assert_allclose(mu, mean)
    np.testing.assert_allclose(var, np.average((X - mean) ** 2, axis=0, weights=w))


def test_gaussiannb_parameter_count_is_linear_not_exponential():
    """Notes: conditional independence turns O(d^n) parameters into O(nd)."""
    X, y = load_iris(return_X_y=True)
    clf = GaussianNB().fit(X, y)
    n_classes, n_features = clf.theta_.shape
    n_params = clf.theta_.size + clf.var_.size + (n_classes - 1)
    assert n_params == 2 * n_classes * n_features + n_classes - 1 == 26


def test_gaussiannb_degenerate_data_gives_finite_probabilities():
    """scikit-learn gives NaN on all-constant X or a single row; the posterior is the prior here."""
    import warnings

    X = np.ones((6, 3))
    y = np.array([0, 0, 1, 1, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        proba = GaussianNB().fit(X, y).predict_proba(np.array([[1.0, 1.0, 1.0], [5.0, -2.0, 0.0]]))
        np.testing.assert_allclose(proba, [[1 / 3, 2 / 3]] * 2, rtol=1e-5)
        one = GaussianNB().fit(X[:1] * 2.0, y[:1]).predict_proba(X)
        np.testing.assert_array_equal(one, 1.0)


@pytest.mark.parametrize("scale, match", [(1e300, "overflows"), (1e-300, "underflows")])
def test_gaussiannb_unrepresentable_variance_is_a_clear_error(scale, match):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=match):
        GaussianNB().fit(X * scale, y)


def test_gaussiannb_far_points_are_a_clear_error_not_nan():
    X, y = load_iris(return_X_y=True)
    clf = GaussianNB().fit(X, y)
    with pytest.raises(ValueError, match="too far from every class"):
        clf.predict_proba(X * 1e300)
    assert np.isfinite(clf.predict_proba(X * 1e150)).all()


def test_gaussiannb_zero_variance_without_smoothing_names_the_cause():
    """var_smoothing=0 and a feature constant within a class: predict said "X is too far from
    every class ... overflow ... rescale X" at |X| = 1.76; scikit-learn predicts NaN."""
    rng = np.random.RandomState(0)
    y = np.repeat(["a", "b"], 10)
    X = np.c_[rng.randn(20), np.repeat([0.0, 1.0], 10)]  # feature 1: 0 in class a, 1 in b
    match = r"Feature 1 has zero variance within class 'a' \(2 \(class, feature\) pair"
    with pytest.raises(ValueError, match=match):
        GaussianNB(var_smoothing=0).fit(X, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(sk_nb.GaussianNB(var_smoothing=0).fit(X, y).predict_proba(X)).all()
    # partial_fit: a later batch may still bring variance, so predict names the cause
    streamed = GaussianNB(var_smoothing=0).partial_fit(X, y, classes=["a", "b"])
    with pytest.raises(ValueError, match=match):
        streamed.predict(X)
    streamed.partial_fit(X + [0.0, 0.5], y)  # now feature 1 takes two values in each class
    np.testing.assert_array_equal(streamed.var_[:, 1], 0.0625)
    assert np.isfinite(streamed.predict_proba(X)).all()
    # any smoothing gives the Gaussian a width again: the constant feature decides the class
    np.testing.assert_array_equal(GaussianNB(var_smoothing=1e-9).fit(X, y).predict(X), y)


@pytest.mark.parametrize("weight", [-1.0, 0.0, np.nan])
def test_gaussiannb_bad_weights_rejected_and_model_kept(weight):
    X, y = load_iris(return_X_y=True)
    clf = GaussianNB().fit(X, y)
    before = {a: np.copy(getattr(clf, a)) for a in ATTRS}
    sample_weight = np.ones(len(y))
    sample_weight[: 1 if weight < 0 else len(y)] = weight
    with pytest.raises(ValueError):
        clf.fit(X[:, :2], y, sample_weight=sample_weight)
    assert clf.n_features_in_ == 4
    for a in ATTRS:
        np.testing.assert_array_equal(getattr(clf, a), before[a])
