import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.preprocessing import StandardScaler

from sklearn_notes import MLPClassifier, MLPRegressor, Perceptron
from sklearn_notes.neural_network import _mlp as _mlp_module
from sklearn_notes.neural_network._mlp import forward, loss_and_gradients

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([0, 1, 1, 0])


_values = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None)
@given(
    st.data(),
    st.lists(st.integers(1, 5), min_size=0, max_size=3),
    st.sampled_from(["relu", "tanh", "logistic", "identity"]),
    st.sampled_from(["squared_error", "log_loss", "ce"]),
    st.floats(0.0, 1.0),
)
def test_mlp_backprop_equals_finite_differences(data, hidden, activation, loss, alpha):
    """The hand-written chain rule agrees with central differences of the objective.

    The weights, inputs and targets are drawn themselves, so a failure shrinks to a small network.
    """
    n, d = 7, 3
    n_out = 1 if loss == "log_loss" else 3
    sizes = [d, *hidden, n_out]
    coefs = [
        data.draw(hnp.arrays(np.float64, (a, b), elements=_values))
        for a, b in zip(sizes[:-1], sizes[1:])
    ]
    intercepts = [data.draw(hnp.arrays(np.float64, b, elements=_values)) for b in sizes[1:]]
    X = data.draw(hnp.arrays(np.float64, (n, d), elements=_values))
    if loss == "squared_error":
        Y = data.draw(hnp.arrays(np.float64, (n, n_out), elements=_values))
    else:
        labels = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, max(1, n_out - 1))))
        Y = np.eye(n_out)[labels] if n_out > 1 else labels[:, None].astype(float)
    if activation == "relu":  # the derivative is undefined at the kink: stay away from it
        inputs = forward(coefs, intercepts, X, activation)[0]  # a_0 = X, ..., a_{L-1}
        pre = [a @ W + b for a, W, b in zip(inputs, coefs[:-1], intercepts[:-1])]
        assume(all(np.min(np.abs(z), initial=1.0) > 1e-3 for z in pre))
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


def _digits(n=300):
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X)[:n], y[:n]


def _regression():
    X, y = make_regression(200, 8, noise=1.0, random_state=0)
    return X, y / 100


def _assert_same_training(ours, theirs):
    assert ours.n_iter_ == theirs.n_iter_
    if hasattr(theirs, "loss_curve_"):
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12, atol=1e-14)
        if theirs.best_loss_ is None:  # early stopping tracks validation scores instead
            assert ours.best_loss_ is None
        else:
            assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-12, abs=1e-14)
    if getattr(theirs, "validation_scores_", None) is not None:
        np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
        assert ours.best_validation_score_ == theirs.best_validation_score_
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


SKLEARN_CASES = {
    # alpha=1 makes the penalty matter: alpha/(2 n_batch) sum W^2 (it was alpha/2 sum W^2)
    "penalty scale, adam": dict(max_iter=8, alpha=1.0),
    "sgd, nesterov, invscaling": dict(
        solver="sgd", learning_rate="invscaling", learning_rate_init=0.1, alpha=0.1, max_iter=8
    ),
    "sgd, heavy ball, adaptive": dict(
        solver="sgd", learning_rate="adaptive", momentum=0.5, nesterovs_momentum=False,
        max_iter=40, n_iter_no_change=2, tol=1e-2,
    ),
    "early stopping": dict(early_stopping=True, max_iter=60, n_iter_no_change=3),
    "adam betas, no shuffle": dict(
        beta_1=0.5, beta_2=0.9, epsilon=1e-6, batch_size=64, shuffle=False, max_iter=6
    ),
    "lbfgs": dict(solver="lbfgs", max_iter=20, alpha=1.0),
}  # fmt: skip


@pytest.mark.parametrize("params", SKLEARN_CASES.values(), ids=SKLEARN_CASES.keys())
def test_mlp_classifier_trains_exactly_like_sklearn(params):
    """Same initialization, shuffling, objective, optimizer and stopping rule: same numbers."""
    X, y = _digits()
    params = dict(hidden_layer_sizes=(16,), random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier(**params).fit(X, y)
        theirs = SkMLPClassifier(**params).fit(X, y)
        binary = MLPClassifier(**params).fit(X, y > 4), SkMLPClassifier(**params).fit(X, y > 4)
    _assert_same_training(ours, theirs)
    _assert_same_training(*binary)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-9)


@pytest.mark.parametrize(
    "params",
    [dict(alpha=1.0, max_iter=10), dict(solver="lbfgs", max_iter=30), dict(early_stopping=True)],
    ids=["adam", "lbfgs", "early stopping"],
)
def test_mlp_regressor_trains_exactly_like_sklearn(params):
    X, y = _regression()
    params = dict(hidden_layer_sizes=(12,), random_state=0, learning_rate_init=0.01, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPRegressor(**params).fit(X, y)
        theirs = SkMLPRegressor(**params).fit(X, y)
    _assert_same_training(ours, theirs)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_mlp_without_hidden_layers_trains_exactly_like_sklearn(solver):
    """``hidden_layer_sizes=()`` is a linear / logistic model in scikit-learn; it was rejected
    ("must be positive integers, got ()": an empty array is float)."""
    X, y = _digits(200)
    y_reg = _regression()[1][:200]
    params = dict(hidden_layer_sizes=(), solver=solver, random_state=0, max_iter=15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pairs = [
            (MLPClassifier(**params).fit(X, y), SkMLPClassifier(**params).fit(X, y)),
            (MLPClassifier(**params).fit(X, y > 4), SkMLPClassifier(**params).fit(X, y > 4)),
            (MLPRegressor(**params).fit(X, y_reg), SkMLPRegressor(**params).fit(X, y_reg)),
        ]
    for ours, theirs in pairs:
        assert [W.shape for W in ours.coefs_] == [W.shape for W in theirs.coefs_]
        assert len(ours.coefs_) == 1 and ours.n_layers_ == theirs.n_layers_ == 2
        assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-12)
        _assert_same_training(ours, theirs)
    assert [W.shape for W in pairs[0][0].coefs_] == [(64, 10)]
    no_layer = MLPClassifier(hidden_layer_sizes=[]).partial_fit(X, y, classes=np.arange(10))
    assert [W.shape for W in no_layer.coefs_] == [(64, 10)]


def test_mlp_penalty_is_alpha_over_2n_per_batch():
    rng = np.random.default_rng(0)
    coefs = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]
    intercepts = [rng.normal(size=4), rng.normal(size=2)]
    X, Y = rng.normal(size=(10, 3)), np.eye(2)[rng.integers(0, 2, 10)]
    plain, gW0, _ = loss_and_gradients(coefs, intercepts, X, Y, "tanh", "ce", 0.0)
    penalized, gW, _ = loss_and_gradients(coefs, intercepts, X, Y, "tanh", "ce", 3.0)
    penalty = sum(np.sum(W**2) for W in coefs)
    assert penalized - plain == pytest.approx(3.0 / (2 * 10) * penalty, rel=1e-12)
    for g, g0, W in zip(gW, gW0, coefs):
        np.testing.assert_allclose(g - g0, 3.0 / 10 * W, rtol=1e-12)


def test_mlp_partial_fit_and_warm_start_continue_like_sklearn():
    X, y = _digits()
    params = dict(hidden_layer_sizes=(16,), random_state=0, solver="sgd")
    ours, theirs = MLPClassifier(**params), SkMLPClassifier(**params)
    for _ in range(3):
        for rows in (slice(0, 150), slice(150, None)):
            ours.partial_fit(X[rows], y[rows], classes=np.arange(10))
            theirs.partial_fit(X[rows], y[rows], classes=np.arange(10))
    _assert_same_training(ours, theirs)
    assert ours.t_ == theirs.t_ == 900
    params = dict(hidden_layer_sizes=(16,), random_state=0, max_iter=4, warm_start=True)
    ours, theirs = MLPClassifier(**params), SkMLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(3):
            ours.fit(X, y)
            theirs.fit(X, y)
    assert len(ours.loss_curve_) == 12
    _assert_same_training(ours, theirs)


def _state(estimator):
    """Every attribute, pickled one by one (equal bytes: equal values, bit for bit)."""
    return {key: pickle.dumps(value) for key, value in vars(estimator).items()}


def test_mlp_partial_fit_and_warm_start_errors_keep_the_model():
    X, y = _digits(100)
    clf = MLPClassifier((8,), random_state=0).partial_fit(X, y, classes=np.arange(10))
    before = _state(clf)
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X, y + 10)
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :5], y)
    assert _state(clf) == before  # bit-identical after the failed calls
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=np.arange(10))
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    warm = MLPClassifier((8,), max_iter=3, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X, y)
    before = _state(warm)
    with pytest.raises(ValueError, match="same classes"):
        warm.fit(X[y < 5], y[y < 5])
    with pytest.raises(ValueError, match="weight shapes"):
        warm.set_params(hidden_layer_sizes=(9,)).fit(X, y)
    warm.set_params(hidden_layer_sizes=(8,))
    assert _state(warm) == before


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_mlp_sparse_fit_equals_dense_fit(solver, fmt):
    X, y = _digits(200)
    X[np.abs(X) < 0.8] = 0.0  # about half the entries
    sparse = scipy.sparse.csr_matrix(X) if fmt == "csr" else scipy.sparse.csc_array(X)
    params = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense_clf = MLPClassifier(**params).fit(X, y)
        sparse_clf = MLPClassifier(**params).fit(sparse, y)
        dense_reg = MLPRegressor(**params).fit(X, y / 10)
        sparse_reg = MLPRegressor(**params).fit(sparse, y / 10)
    for a, b in ((dense_clf, sparse_clf), (dense_reg, sparse_reg)):
        for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
            np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        sparse_clf.predict_proba(sparse), dense_clf.predict_proba(X), rtol=1e-10
    )
    np.testing.assert_allclose(sparse_reg.predict(sparse), dense_reg.predict(X), rtol=1e-9)


def test_mlp_stopping_rule_counts_like_sklearn():
    X, y = _digits(100)
    # tol=1e6: only the first epoch improves (on best_loss_=inf); scikit-learn stops once more
    # than n_iter_no_change epochs in a row did not improve.
    clf = MLPClassifier((4,), tol=1e6, n_iter_no_change=3, random_state=0).fit(X, y)
    assert clf.n_iter_ == len(clf.loss_curve_) == 5
    assert SkMLPClassifier((4,), tol=1e6, n_iter_no_change=3, random_state=0).fit(X, y).n_iter_ == 5
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    with pytest.warns(UserWarning, match="batch_size=500"):
        MLPClassifier((4,), batch_size=500, max_iter=30, tol=1.0, random_state=0).fit(X, y)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_mlp_overflow_is_a_clear_error_without_runtime_warnings(solver):
    X, y = make_classification(60, 4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        for make, data in (
            (MLPRegressor, (X * 1e300, y)),
            (MLPRegressor, (X, y * 1e300)),
            (MLPClassifier, (X * 1e300, y)),
        ):
            try:
                est = make((4,), solver=solver, max_iter=5, random_state=0).fit(*data)
            except ValueError as error:
                assert "overflow" in str(error)
            else:  # a finite fit is a finite model
                assert all(np.all(np.isfinite(W)) for W in est.coefs_)
        clf = MLPClassifier((4,), solver=solver, max_iter=5, random_state=0).fit(X, y)
        huge = np.full((2, 4), 1e308)
        try:
            assert np.all(np.isfinite(clf.predict_proba(huge)))
        except ValueError as error:
            assert "overflow" in str(error)


def test_mlp_worked_example_of_one_sgd_step():
    """scikit-learn's test_fit: one SGD step on one sample, worked out by hand."""
    X, y = np.array([[0.6, 0.8, 0.7]]), np.array([0])
    mlp = MLPClassifier(
        hidden_layer_sizes=2, activation="logistic", solver="sgd", learning_rate_init=0.1,
        alpha=0.1, momentum=0, max_iter=1, random_state=1,
    )  # fmt: skip
    mlp.partial_fit(X, y, classes=[0, 1])
    mlp.coefs_ = [np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0]]), np.array([[0.1], [0.2]])]
    mlp.intercepts_ = [np.array([0.1, 0.1]), np.array([1.0])]
    mlp.partial_fit(X, y)
    # W1 <- W1 - 0.1 * (x d1 + alpha W1) with d1 = (1 - h) h * 0.765 * W2, etc.
    expected = [[0.098, 0.195756], [0.2956664, 0.096008], [0.4939998, -0.002244]]
    np.testing.assert_allclose(mlp.coefs_[0], expected, atol=1e-3)
    np.testing.assert_allclose(mlp.coefs_[1], [[0.04706], [0.154089]], atol=1e-3)
    np.testing.assert_allclose(mlp.intercepts_[0], [0.098333, 0.09626], atol=1e-3)
    np.testing.assert_allclose(mlp.intercepts_[1], [0.9235], atol=1e-3)
    assert mlp.predict_proba(X)[0, 1] == pytest.approx(0.739, abs=1e-3)


def test_mlp_multilabel_classification():
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(n_samples=50, random_state=0, return_indicator=True)
    clf = MLPClassifier(
        50, activation="logistic", solver="lbfgs", alpha=1e-5, max_iter=150, random_state=0
    ).fit(X, Y)
    assert clf.score(X, Y) > 0.97  # subset accuracy
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape and np.any(np.abs(proba.sum(axis=1) - 1) > 0.1)  # no softmax
    np.testing.assert_array_equal(proba > 0.5, clf.predict(X))
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), atol=1e-10)
    online = MLPClassifier(
        50, activation="logistic", solver="sgd", alpha=1e-5, learning_rate_init=0.2,
        random_state=0,
    )  # fmt: skip
    for _ in range(100):
        online.partial_fit(X, Y, classes=[0, 1, 2, 3, 4])
    assert online.score(X, Y) > 0.9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPClassifier(early_stopping=True, max_iter=20).fit(X, Y).predict(X)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_mlp_warm_start_runs_max_iter_each_fit_with_n_iter_no_change_inf(solver):
    X, y = _digits(150)
    clf = MLPClassifier(
        (8,), solver=solver, warm_start=True, max_iter=5, n_iter_no_change=np.inf, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.n_iter_ == 5
    with pytest.warns(ConvergenceWarning):
        clf.set_params(max_iter=8).fit(X, y)
    assert clf.n_iter_ == 8


def test_mlp_early_stopping_needs_two_validation_samples_per_class():
    X, y = _digits(60)
    y = np.r_[np.ones(59), 0]  # one sample of class 0 cannot be stratified
    with pytest.raises(ValueError, match=r"least populated class.* 1 member"):  # sklearn's split
        MLPClassifier(early_stopping=True).fit(X, y)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_mlp_interrupted_refit_reraises_and_keeps_the_model(solver, monkeypatch):
    X, y = _digits(100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier((8,), solver=solver, max_iter=5, random_state=0).fit(X, y)
    before = _state(clf)
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # inside the training loop, after two steps
            raise KeyboardInterrupt
        return loss_and_gradients(*args, **kwargs)

    monkeypatch.setattr(_mlp_module, "loss_and_gradients", interrupted)
    with pytest.raises(KeyboardInterrupt):  # scikit-learn swallows it and keeps a half-fit
        clf.set_params(random_state=1).fit(X, y)
    clf.set_params(random_state=0)
    assert _state(clf) == before


def test_mlp_regressor_score_is_scale_free_without_overflow():
    X, y = _regression()
    reg = MLPRegressor((8,), solver="lbfgs", max_iter=50, random_state=0).fit(X, y)
    big = MLPRegressor((8,), solver="lbfgs", max_iter=50, random_state=0).fit(X, y)
    big.coefs_[-1] = big.coefs_[-1] * 2.0**1000  # the same network, its output times 2^1000
    big.intercepts_[-1] = big.intercepts_[-1] * 2.0**1000
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert big.score(X, y * 2.0**1000) == pytest.approx(reg.score(X, y), rel=1e-12)
        assert reg.score(X, y) == pytest.approx(r2_score(y, reg.predict(X)), rel=1e-14)
