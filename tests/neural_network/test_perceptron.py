import numpy as np
import pytest
from sklearn.datasets import load_iris, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron as SkPerceptron

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
