import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import sparse
from sklearn.datasets import load_iris, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron as SkPerceptron
from sklearn.model_selection import train_test_split

from sklearn_notes import Perceptron

BOOLEAN_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)


@pytest.mark.parametrize("name, y", [("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1])])
def test_perceptron_solves_linearly_separable_gates(name, y):
    clf = Perceptron(random_state=0).fit(BOOLEAN_X, y)
    np.testing.assert_array_equal(clf.predict(BOOLEAN_X), y, err_msg=name)
    assert clf.converged_


def test_perceptron_cannot_learn_xor():
    """The notes' limit: no line separates XOR, so at least one of the four points is wrong."""
    y = np.array([0, 1, 1, 0])
    with pytest.warns(ConvergenceWarning, match="not linearly separable"):
        clf = Perceptron(tol=None, max_iter=200, random_state=0).fit(BOOLEAN_X, y)
    assert not clf.converged_
    assert np.mean(clf.predict(BOOLEAN_X) == y) <= 0.75


def test_perceptron_equals_sklearn_rule_on_separable_data():
    """Without shuffling, the update sequence is the same as scikit-learn's perceptron SGD."""
    X, y = make_blobs(n_samples=60, centers=2, cluster_std=0.6, random_state=3)
    ours = Perceptron(shuffle=False, tol=None, max_iter=100).fit(X, y)
    theirs = SkPerceptron(shuffle=False, tol=None, max_iter=100).fit(X, y)
    assert ours.converged_
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-12)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-12)


def test_perceptron_separates_training_data_when_it_converges():
    X, y = make_blobs(n_samples=200, centers=2, cluster_std=0.5, random_state=0)
    clf = Perceptron(random_state=0).fit(X, y)
    assert clf.converged_
    signed = np.where(y == clf.classes_[1], 1, -1)
    assert np.all(signed * clf.decision_function(X) > 0)


def test_perceptron_multiclass_one_vs_rest():
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    clf = Perceptron(random_state=0).fit(X, y)
    assert clf.coef_.shape == (3, 4) and clf.decision_function(X).shape == (150, 3)
    assert clf.score(X, y) > 0.8


def test_perceptron_zero_weight_samples_are_ignored():
    X, y = make_blobs(n_samples=40, centers=2, random_state=1)
    X_noise = np.vstack([X, [[100.0, -100.0]]])
    y_noise = np.append(y, 1 - y[0])
    weights = np.append(np.ones(len(y)), 0.0)
    a = Perceptron(shuffle=False).fit(X, y)
    b = Perceptron(shuffle=False).fit(X_noise, y_noise, sample_weight=weights)
    np.testing.assert_allclose(a.coef_, b.coef_)


# --- issue 13: parity with scikit-learn's Perceptron (ported from its test_perceptron.py) --------


def _iris_shuffled():
    """scikit-learn's test_perceptron.py data: iris in a RandomState(12) order."""
    X, y = load_iris(return_X_y=True)
    indices = np.arange(len(y))
    np.random.RandomState(12).shuffle(indices)
    return X[indices], y[indices]


@pytest.mark.parametrize("container", [np.array, sparse.csr_matrix, sparse.csc_matrix])
def test_perceptron_accuracy_dense_and_sparse(container):
    X, y = _iris_shuffled()
    clf = Perceptron(max_iter=100, tol=None, shuffle=False).fit(container(X), y)
    assert clf.score(container(X), y) > 0.7
    dense = Perceptron(max_iter=100, tol=None, shuffle=False).fit(X, y)
    np.testing.assert_array_equal(clf.coef_, dense.coef_)  # same updates, sparse or not


def test_perceptron_correctness_against_the_textbook_rule():
    """scikit-learn's MyPerceptron: two plain passes of w += y x, b += y on mistakes."""
    X, y = _iris_shuffled()
    y_bin = np.where(y == 1, 1, -1)
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(2):
        for x_i, y_i in zip(X, y_bin):
            if np.sign(x_i @ w + b) != y_i:
                w, b = w + y_i * x_i, b + y_i
    clf = Perceptron(max_iter=2, shuffle=False, tol=None)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y_bin)
    np.testing.assert_allclose(clf.coef_.ravel(), w)
    np.testing.assert_allclose(clf.intercept_, [b])


def test_perceptron_has_no_probabilities():
    for method in ("predict_proba", "predict_log_proba"):
        with pytest.raises(AttributeError):
            getattr(Perceptron(), method)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0, 1: 0.5}])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_perceptron_class_weight_matches_sklearn(class_weight, n_classes):
    """Without shuffling the update sequence is scikit-learn's, class weights included."""
    X, y = _iris_shuffled()
    X = (X - X.mean(0)) / X.std(0)
    if n_classes == 2:
        X, y = X[y < 2], y[y < 2]
    params = dict(shuffle=False, tol=None, max_iter=30, class_weight=class_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = Perceptron(**params).fit(X, y)
        theirs = SkPerceptron(**params).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-10, atol=1e-12)


def test_perceptron_partial_fit_matches_sklearn_and_one_epoch_of_fit():
    X, y = _iris_shuffled()
    X = (X - X.mean(0)) / X.std(0)
    ours, theirs = Perceptron(shuffle=False), SkPerceptron(shuffle=False)
    for start in range(0, 150, 50):
        batch = slice(start, start + 50)
        ours.partial_fit(X[batch], y[batch], classes=[0, 1, 2] if start == 0 else None)
        theirs.partial_fit(X[batch], y[batch], classes=[0, 1, 2])
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-10, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one_epoch = Perceptron(shuffle=False, max_iter=1).fit(X, y)
    np.testing.assert_allclose(ours.coef_, one_epoch.coef_)
    with pytest.raises(ValueError, match="classes must be passed"):
        Perceptron().partial_fit(X, y)
    with pytest.raises(ValueError, match="not the same"):
        ours.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not in classes"):
        ours.partial_fit(X, np.full(150, 7))
    with pytest.raises(ValueError, match="balanced"):
        Perceptron(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


def test_perceptron_warm_start_continues_where_fit_stopped():
    X, y = _iris_shuffled()
    params = dict(shuffle=False, tol=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm = Perceptron(max_iter=3, warm_start=True, **params).fit(X, y).fit(X, y)
        cold = Perceptron(max_iter=6, **params).fit(X, y)
        restarted = Perceptron(max_iter=3, **params).fit(X, y).fit(X, y)
    np.testing.assert_array_equal(warm.coef_, cold.coef_)
    assert not np.array_equal(restarted.coef_, cold.coef_)


def test_perceptron_early_stopping_holds_out_a_validation_set():
    X, y = make_blobs(n_samples=400, centers=2, cluster_std=3.0, random_state=0)  # overlapping
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = Perceptron(early_stopping=True, n_iter_no_change=3, random_state=0).fit(X, y)
    assert clf.n_iter_ < 50 and not clf.converged_
    again = Perceptron(early_stopping=True, n_iter_no_change=3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.coef_, again.coef_)
    # the held-out tenth never updates the weights: moving it far away changes nothing
    _, held_out = train_test_split(
        np.arange(400), test_size=0.1, stratify=y, random_state=np.random.RandomState(0)
    )
    X_moved = X.copy()
    X_moved[held_out] += 1e3
    moved = Perceptron(early_stopping=True, n_iter_no_change=3, random_state=0).fit(X_moved, y)
    assert moved.n_iter_ <= clf.n_iter_ + 3 and moved.coef_.shape == clf.coef_.shape


# --- issue 16: hostile inputs ---------------------------------------------------------------------


def test_perceptron_rejects_negative_sample_weight():
    with pytest.raises(ValueError, match="Negative values"):
        Perceptron().fit(BOOLEAN_X, [0, 0, 0, 1], sample_weight=[1, -1, 1, 1])


@pytest.mark.parametrize("scale", [1e150, 1e200, 1e300])
def test_perceptron_huge_inputs_give_finite_scores_or_a_clear_error(scale):
    """At 1e300 the fit returned decision values of +-inf."""
    X, y = make_blobs(n_samples=60, centers=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            clf = Perceptron(random_state=0).fit(X * scale, y)
        except ValueError as error:
            assert "Overflow" in str(error)
        else:
            assert np.all(np.isfinite(clf.decision_function(X * scale)))


def test_perceptron_failed_refit_leaves_the_model_bit_identical():
    X, y = make_blobs(n_samples=60, centers=2, random_state=0)
    clf = Perceptron(random_state=0).fit(X, y)
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(clf).items()}
    for method, X_bad in [
        (clf.fit, np.column_stack([X, X[:, 0]]) * 1e300),  # another feature count, and overflow
        (clf.partial_fit, X * 1e300),
    ]:
        with pytest.raises(ValueError, match="Overflow"):
            method(X_bad, y)
        assert vars(clf).keys() == before.keys()
        for key, value in before.items():
            np.testing.assert_array_equal(getattr(clf, key), value, err_msg=key)


def test_perceptron_keeps_float32_as_sklearn():
    X, y = _iris_shuffled()
    X32 = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = Perceptron(shuffle=False, max_iter=20).fit(X32, y)
        ref = SkPerceptron(shuffle=False, max_iter=20, tol=None).fit(X32, y)
        clf64 = Perceptron(shuffle=False, max_iter=20).fit(X32.astype(np.float64), y)
    assert clf.coef_.dtype == ref.coef_.dtype == np.float32
    assert clf.decision_function(X32).dtype == np.float32
    np.testing.assert_array_equal(clf.coef_, clf64.coef_.astype(np.float32))
    clf.partial_fit(X32, y)  # float32 weights in, the update in float64
    assert clf.coef_.dtype == np.float32


@settings(max_examples=25, deadline=None)
@given(
    X=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=12),
        elements=st.floats(-3, 3, allow_nan=False).map(lambda v: 0.0 if abs(v) < 1 else v),
    ),
    data=st.data(),
)
def test_perceptron_sparse_updates_are_the_dense_updates(X, data):
    """Any design (drawn, with exact zeros) and labels: the CSR kernel makes the dense kernel's
    updates in the same order, so the weights are bit-identical."""
    y = data.draw(hnp.arrays(np.int64, X.shape[0], elements=st.integers(0, 2)))
    y[:2] = [0, 1]
    params = dict(shuffle=False, max_iter=7, eta0=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = Perceptron(**params).fit(X, y)
        csr = Perceptron(**params).fit(sparse.csr_matrix(X), y)
    np.testing.assert_array_equal(csr.coef_, dense.coef_)
    np.testing.assert_array_equal(csr.intercept_, dense.intercept_)
