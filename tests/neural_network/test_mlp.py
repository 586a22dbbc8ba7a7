import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.preprocessing import StandardScaler

from sklearn_notes import MLPClassifier, MLPRegressor, Perceptron
from sklearn_notes.neural_network._mlp import loss_and_gradients

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 5), min_size=0, max_size=3),
    st.sampled_from(["relu", "tanh", "logistic", "identity"]),
    st.sampled_from(["squared_error", "log_loss", "ce"]),
    st.floats(0.0, 1.0),
    st.integers(0, 2**32 - 1),
)
def test_mlp_backprop_equals_finite_differences(hidden, activation, loss, alpha, seed):
    """The hand-written chain rule agrees with central differences of the objective."""
    rng = np.random.default_rng(seed)
    n, d = 7, 3
    n_out = 1 if loss == "log_loss" else 3
    sizes = [d, *hidden, n_out]
    coefs = [rng.normal(size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    intercepts = [rng.normal(size=b) for b in sizes[1:]]
    X = rng.normal(size=(n, d))
    if loss == "squared_error":
        Y = rng.normal(size=(n, n_out))
    else:
        Y = np.eye(n_out)[rng.integers(0, n_out, n)] if n_out > 1 else rng.integers(0, 2, (n, 1))
    if activation == "relu":  # keep away from the kink, where the derivative is undefined
        coefs = [W + 0.0 for W in coefs]
    _, gW, gb = loss_and_gradients(coefs, intercepts, X, Y, activation, loss, alpha)
    eps = 1e-6
    for params, grads in ((coefs, gW), (intercepts, gb)):
        for p, g in zip(params, grads):
            numeric = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + eps
                up = loss_and_gradients(coefs, intercepts, X, Y, activation, loss, alpha)[0]
                p[idx] = old - eps
                down = loss_and_gradients(coefs, intercepts, X, Y, activation, loss, alpha)[0]
                p[idx] = old
                numeric[idx] = (up - down) / (2 * eps)
            np.testing.assert_allclose(g, numeric, rtol=1e-4, atol=1e-6)


def test_mlp_solves_xor_where_perceptron_fails():
    X, y = np.tile(XOR_X, (10, 1)), np.tile(XOR_Y, 10)
    mlp = MLPClassifier(
        (8,), activation="tanh", learning_rate_init=0.05, max_iter=500, random_state=0
    ).fit(X, y)
    assert mlp.score(XOR_X, XOR_Y) == 1.0
    assert Perceptron(random_state=0).fit(X, y).score(XOR_X, XOR_Y) <= 0.75


@pytest.mark.parametrize("batch_size", [1, 16, 64])
def test_mlp_sgd_minibatch_and_full_batch_all_learn(batch_size):
    """batch_size=1 is the notes' SGD, 64 = n_samples here is full-batch GD."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)  # XOR of signs
    clf = MLPClassifier(
        (16,),
        activation="tanh",
        solver="sgd",
        batch_size=batch_size,
        learning_rate_init=0.1 if batch_size > 1 else 0.01,
        max_iter=400,
        random_state=0,
    ).fit(X, y)
    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]
    assert clf.score(X, y) > 0.9


def test_mlp_classifier_close_to_sklearn_on_digits():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
    ours = MLPClassifier((64,), max_iter=60, random_state=0).fit(X_tr, y_tr)
    theirs = SkMLPClassifier((64,), max_iter=60, random_state=0).fit(X_tr, y_tr)
    assert ours.score(X_te, y_te) > 0.95
    assert abs(ours.score(X_te, y_te) - theirs.score(X_te, y_te)) < 0.03
    proba = ours.predict_proba(X_te)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_allclose(np.log(proba), ours.predict_log_proba(X_te), atol=1e-10)


def test_mlp_regressor_fits_a_nonlinear_function():
    X = np.linspace(-3, 3, 300).reshape(-1, 1)
    y = np.sin(X).ravel()
    reg = MLPRegressor(
        (32,), activation="tanh", learning_rate_init=0.01, max_iter=800, random_state=0
    ).fit(X, y)
    assert reg.score(X, y) > 0.98
    multi = MLPRegressor(
        (32,), activation="tanh", learning_rate_init=0.01, max_iter=300, random_state=0
    ).fit(X, np.c_[y, -y])
    assert multi.predict(X).shape == (300, 2)


def test_mlp_stable_on_huge_logits():
    X = np.array([[1e4], [-1e4], [2e4], [-2e4]])
    clf = MLPClassifier((2,), max_iter=5, random_state=0).fit(X, [0, 1, 0, 1])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        log_proba = clf.predict_log_proba(X)
    assert np.all(np.isfinite(log_proba))


def test_mlp_diverging_training_is_a_clear_error():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)) * 1e3
    y = X.sum(1) * 1e3
    with pytest.raises(ValueError, match="learning_rate_init"):
        MLPRegressor((5,), solver="sgd", learning_rate_init=10.0, max_iter=50, random_state=0).fit(
            X, y
        )


def test_mlp_rejects_bad_hidden_layer_sizes():
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        MLPClassifier(hidden_layer_sizes=(3, 0)).fit(XOR_X, XOR_Y)
