import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from sklearn_notes import CNNClassifier, RNNClassifier  # noqa: E402
from sklearn_notes.neural_network._torch_modules import RecurrentNet  # noqa: E402


def _first_to_last_gradient_ratio(cell, seed, T=50):
    """|d out / d x_1| / |d out / d x_T| at initialization, averaged over a batch."""
    torch.manual_seed(seed)
    module = RecurrentNet(1, 2, cell, hidden_size=32, n_steps=T)
    x = torch.randn(64, T, requires_grad=True)
    module(x)[:, 0].sum().backward()
    g = x.grad.abs().mean(0)
    return (g[0] / g[-1]).item()


def test_rnn_gradient_vanishes_where_lstm_and_gru_keep_it():
    """The notes' BPTT claim: the gradient reaching step 1 from step 50 vanishes in a plain RNN;
    the LSTM's cell state and the GRU's update gate, their biases set for 50 steps, carry a few
    percent of it all the way."""
    ratios = {
        cell: np.median([_first_to_last_gradient_ratio(cell, s) for s in range(5)])
        for cell in ("rnn", "lstm", "gru")
    }
    assert ratios["rnn"] < 1e-7
    assert ratios["lstm"] > 1e-2 and ratios["gru"] > 1e-2


def test_rnn_classifier_gru_has_fewer_parameters_than_lstm():
    X = np.random.default_rng(0).normal(size=(20, 12))
    y = np.arange(20) % 2
    n = {
        cell: RNNClassifier(cell, n_step_features=3, hidden_size=8, max_epochs=1).fit(X, y)
        for cell in ("rnn", "lstm", "gru")
    }
    # Recurrent weights: gates x (hidden x (inputs + hidden) + 2 hidden biases); head 8*2 + 2.
    per_gate = 8 * (3 + 8) + 2 * 8
    head = 8 * 2 + 2
    assert n["rnn"].n_parameters_ == 1 * per_gate + head
    assert n["gru"].n_parameters_ == 3 * per_gate + head
    assert n["lstm"].n_parameters_ == 4 * per_gate + head


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_rnn_classifier_learns_a_sequence_rule(cell):
    rng = np.random.default_rng(0)
    X = rng.choice([-1.0, 1.0], size=(300, 8))
    y = (X[:, -1] + X[:, -2] > 0).astype(int)  # depends on the order: the last two steps
    clf = RNNClassifier(cell, max_epochs=40, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.95
    assert clf.history_["loss"][-1] < clf.history_["loss"][0]


def test_cnn_classifier_learns_digits_and_stops_early():
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X / 16.0, y, random_state=0)
    clf = CNNClassifier(max_epochs=30, early_stopping=True, n_iter_no_change=5, random_state=0)
    clf.fit(X_tr, y_tr)
    assert clf.image_shape_ == (8, 8) and clf.n_channels_ == 1
    assert clf.n_iter_ < 30  # stopped by the held-out loss, not by max_epochs
    assert len(clf.history_["valid_loss"]) == len(clf.history_["loss"]) == clf.n_iter_
    assert clf.score(X_te, y_te) > 0.95


def test_torch_classifiers_are_reproducible_and_leave_global_rng_alone():
    X = np.random.default_rng(0).normal(size=(40, 9))
    y = (X[:, 0] > 0).astype(int)
    torch.manual_seed(123)
    expected_draw = torch.rand(3)
    torch.manual_seed(123)
    a = CNNClassifier(max_epochs=3, random_state=7).fit(X, y).predict_proba(X)
    after_fit_draw = torch.rand(3)
    b = CNNClassifier(max_epochs=3, random_state=7).fit(X, y).predict_proba(X)
    c = CNNClassifier(max_epochs=3, random_state=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    # fit seeds a forked generator: the caller's torch RNG stream is untouched
    np.testing.assert_array_equal(expected_draw.numpy(), after_fit_draw.numpy())


@pytest.mark.parametrize(
    "estimator, match",
    [
        (CNNClassifier(image_shape=(2, 2)), "image_shape"),
        (CNNClassifier(kernel_size=2), "odd"),
        (CNNClassifier(channels=(4, 4, 4)), "channels"),
        (RNNClassifier(n_step_features=4), "n_step_features"),
    ],
)
def test_torch_classifiers_invalid_shapes(estimator, match):
    X = np.zeros((10, 9))
    y = np.arange(10) % 2
    with pytest.raises(ValueError, match=match):
        estimator.fit(X, y)


def test_torch_classifiers_missing_torch_is_a_clear_import_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"sklearn-notes\[deep\]"):
        CNNClassifier().fit(np.zeros((4, 4)), [0, 1, 0, 1])


@pytest.mark.slow
def test_rnn_classifier_long_range_memory_needs_gates():
    """The notes' claim: over T = 200 steps a plain RNN cannot learn what the first step said,
    while the LSTM's and GRU's gates (initialized for that time scale) keep it."""
    from sklearn_notes.neural_network._torch_classifiers import _marker_sequences

    X, y = _marker_sequences(512, 200, random_state=0)
    X_test, y_test = _marker_sequences(500, 200, random_state=1)
    # 30 epochs: at 15 the gated cells reached 1.00 on one machine and 0.93 on another (AVX2),
    # whose torch kernels round differently; at 30, 0.99 on seeds 0 and 2 there
    scores = {
        cell: RNNClassifier(cell, hidden_size=16, batch_size=32, max_epochs=30, random_state=0)
        .fit(X, y)
        .score(X_test, y_test)
        for cell in ("rnn", "lstm", "gru")
    }
    assert scores["rnn"] <= 0.6, scores
    assert scores["lstm"] >= 0.95 and scores["gru"] >= 0.95, scores
