"""The one torch estimator base: interrupts, failed refits, threads, history, devices."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.datasets import load_iris

from sklearn_notes import GAN, VAE, Autoencoder, CNNClassifier, DiffusionModel, RNNClassifier

torch = pytest.importorskip("torch")

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
FAST = {
    VAE: dict(max_epochs=3),
    GAN: dict(max_epochs=3),
    DiffusionModel: dict(max_epochs=3, n_steps=30),
    Autoencoder: dict(max_epochs=3),
    CNNClassifier: dict(max_epochs=3, channels=(4, 4), hidden=8),
    RNNClassifier: dict(max_epochs=3, hidden_size=8),
}
ALL = list(FAST)
GENERATORS = [VAE, GAN, DiffusionModel]


def _make(cls, **params):
    return cls(**{**FAST[cls], **params})


def _fit(est, X=X_IRIS):
    return est.fit(X, Y_IRIS[: len(X)]) if hasattr(est, "predict") else est.fit(X)


def _outputs(est, X=X_IRIS):
    """What the fitted model computes: samples, class probabilities or codes."""
    if hasattr(est, "sample"):
        return est.sample(20, random_state=0)
    if hasattr(est, "predict_proba"):
        return est.predict_proba(X)
    return est.transform(X)


class _InterruptAfter:
    """An optimizer step that raises KeyboardInterrupt after ``n`` steps: a Ctrl-C in the middle
    of the training loop (torch.optim.Adam is every model's optimizer)."""

    def __init__(self, n):
        self.n, self.calls, self.step = n, 0, torch.optim.Adam.step

    def __call__(self, optimizer, *args, **kwargs):
        self.calls += 1
        if self.calls > self.n:
            raise KeyboardInterrupt
        return self.step(optimizer, *args, **kwargs)


@pytest.mark.parametrize("warm_start", [False, True])
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_torch_estimator_interrupted_fit_reraises_and_leaves_the_model_bit_identical(
    cls, warm_start, monkeypatch
):
    if warm_start and "warm_start" not in cls().get_params():
        pytest.skip("no warm start")
    est = _fit(_make(cls, random_state=0, **({"warm_start": True} if warm_start else {})))
    before, outputs = pickle.dumps(est), _outputs(est)
    interrupt = _InterruptAfter(5)
    monkeypatch.setattr(torch.optim.Adam, "step", interrupt)
    # other data (fewer features, unless warm-starting) and other hyper-parameters: everything a
    # finished fit would change
    X_new = X_IRIS[:120] * 10 if warm_start else X_IRIS[:120, :3] * 10
    with pytest.raises(KeyboardInterrupt):
        _fit(est.set_params(max_epochs=50, random_state=1), X_new)
    assert interrupt.calls == 6  # it was raised from inside the loop, and not swallowed
    monkeypatch.undo()
    est.set_params(max_epochs=FAST[cls]["max_epochs"], random_state=0)
    assert pickle.dumps(est) == before
    assert est.n_features_in_ == 4
    np.testing.assert_array_equal(_outputs(est), outputs)


@pytest.mark.parametrize("cls", [*GENERATORS, Autoencoder], ids=lambda c: c.__name__)
def test_warm_start_trains_a_copy_whose_optimizers_step_its_own_weights(cls):
    est = _fit(_make(cls, random_state=0, warm_start=True))
    old = est.net_
    weights = {k: v.clone() for k, v in old.module_.state_dict().items()}
    n_steps = [s["step"] for s in old.optimizer_.state_dict()["state"].values()]
    _fit(est.set_params(max_epochs=1))
    new = est.net_
    # the old net is untouched, the new one moved: its optimizers step the copied weights
    for k, v in old.module_.state_dict().items():
        assert torch.equal(v, weights[k]), k
    assert any(not torch.equal(new.module_.state_dict()[k], v) for k, v in weights.items())
    new_params = {id(p) for _, p in new.get_all_learnable_params()}
    assert new_params.isdisjoint(id(p) for _, p in old.get_all_learnable_params())
    for name in new._optimizers:  # the GAN has two
        opt = getattr(new, name + "_")
        assert {id(p) for group in opt.param_groups for p in group["params"]} <= new_params
    # Adam's moments carried over and advanced: one epoch of steps on top of the old count
    steps = [s["step"] for s in new.optimizer_.state_dict()["state"].values()]
    assert all(after > before for after, before in zip(steps, n_steps))


def test_diffusion_model_diverged_refit_keeps_the_previous_model():
    dm = _make(DiffusionModel, random_state=0).fit(X_IRIS)
    params, before, samples = dm.get_params(), pickle.dumps(dm), dm.sample(10, random_state=0)
    with pytest.raises(ValueError, match="diverged"):
        dm.set_params(lr=1e30, max_epochs=5).fit(X_IRIS[:, :2])
    with pytest.raises(ValueError, match="rescale X"):
        dm.set_params(lr=params["lr"]).fit(X_IRIS[:, :3] * 1e300)
    dm.set_params(**params)
    assert dm.n_features_in_ == 4
    assert pickle.dumps(dm) == before
    np.testing.assert_array_equal(dm.sample(10, random_state=0), samples)


@pytest.mark.parametrize("cls", GENERATORS, ids=lambda c: c.__name__)
def test_generator_huge_inputs_are_a_clear_value_error(cls):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning leaks either
        with pytest.raises(ValueError, match="rescale X"):
            _make(cls).fit(X_IRIS * 1e300)


@pytest.mark.parametrize("cls", [CNNClassifier, RNNClassifier], ids=lambda c: c.__name__)
def test_torch_classifier_beyond_float32_is_a_clear_value_error(cls):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 'overflow in cast' RuntimeWarning
        with pytest.raises(ValueError, match="float32 range"):
            _make(cls).fit(X_IRIS * 1e150, Y_IRIS)
        # predictions run in float64, where such inputs are finite
        clf = _make(cls, random_state=0).fit(X_IRIS, Y_IRIS)
        assert np.all(np.isfinite(clf.predict_proba(X_IRIS * 1e150)))


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(channels=(0, 0)), "channels"),
        (dict(channels=(4, -1)), "channels"),
        (dict(image_shape=(-1, -3)), "image_shape"),
        (dict(image_shape=(2, 0, 2)), "image_shape"),
    ],
)
def test_cnn_classifier_bad_shapes_are_value_errors_naming_the_parameter(params, match):
    X = np.zeros((10, 4))
    y = np.arange(10) % 2
    with pytest.raises(ValueError, match=match):
        CNNClassifier(**params).fit(X, y)


def _images(n=60, shape=(8, 8), seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, *shape))
    y = (X.reshape(n, -1)[:, 0] > 0).astype(int)
    return X, y


def test_cnn_classifier_takes_image_arrays_as_their_flattened_rows():
    X, y = _images()
    flat = _make(CNNClassifier, random_state=0).fit(X.reshape(60, -1), y)
    images = _make(CNNClassifier, random_state=0).fit(X, y)
    assert images.image_shape_ == (8, 8) and images.n_channels_ == 1
    np.testing.assert_array_equal(images.predict_proba(X), flat.predict_proba(X.reshape(60, -1)))
    X4, y4 = _images(shape=(3, 5, 6))  # (n, C, H, W)
    clf = _make(CNNClassifier, random_state=0).fit(X4, y4)
    assert (clf.n_channels_, clf.image_shape_, clf.n_features_in_) == (3, (5, 6), 90)
    flat = _make(CNNClassifier, image_shape=(3, 5, 6), random_state=0).fit(X4.reshape(60, -1), y4)
    np.testing.assert_array_equal(clf.predict_proba(X4), flat.predict_proba(X4.reshape(60, -1)))
    with pytest.raises(ValueError, match="fitted on images of shape"):
        clf.predict(X4.reshape(60, 3, 6, 5))
    with pytest.raises(ValueError, match="image_shape"):
        CNNClassifier(image_shape=(8, 8)).fit(X4, y4)
    # nested lists are array-like, as everywhere in scikit-learn
    listed = _make(CNNClassifier, random_state=0).fit(X4.tolist(), y4.tolist())
    assert (listed.n_channels_, listed.image_shape_) == (3, (5, 6))
    np.testing.assert_array_equal(listed.predict_proba(X4.tolist()), clf.predict_proba(X4))


def test_rnn_classifier_takes_sequence_arrays_as_their_flattened_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5, 3))  # (n, T, d)
    y = (X[:, -1, 0] > 0).astype(int)
    seq = _make(RNNClassifier, random_state=0).fit(X, y)
    flat = _make(RNNClassifier, n_step_features=3, random_state=0).fit(X.reshape(60, -1), y)
    assert seq.n_step_features_ == 3 and seq.n_features_in_ == 15
    np.testing.assert_array_equal(seq.predict_proba(X), flat.predict_proba(X.reshape(60, -1)))
    with pytest.raises(ValueError, match="features per time step"):
        seq.predict(X.reshape(60, 3, 5))
    with pytest.raises(ValueError, match="sequences of 4 time steps, but .* fitted on .* of 5"):
        seq.predict(X[:, :4])
    np.testing.assert_array_equal(seq.predict_proba(X.tolist()), seq.predict_proba(X))
    with pytest.raises(ValueError, match="n_step_features"):
        RNNClassifier(n_step_features=2).fit(X, y)


def _flipped_copies(n):
    """``(X, y, X2, y2)``: n rows of +-1 features labelled by the last one, and X2 / y2 the rows
    twice, the second copy with flipped labels."""
    X = np.random.default_rng(0).choice([-1.0, 1.0], size=(n, 4))
    y = (X[:, -1] > 0).astype(int)
    return X, y, np.vstack([X, X]), np.concatenate([y, 1 - y])


@pytest.mark.parametrize("cls", [CNNClassifier, RNNClassifier], ids=lambda c: c.__name__)
def test_torch_classifier_sample_weight_decides_which_labels_count(cls):
    # Two copies of the data, the second with flipped labels: the weights decide which one the
    # network learns; unit weights are exactly sample_weight=None.
    X, y, X2, y2 = _flipped_copies(100)
    w = np.r_[np.full(100, 1.0), np.full(100, 0.01)]
    # the classes' default sizes: FAST's 4-channel CNN stays at its initial plateau for about 1
    # in 10 seeds, whatever the weights
    params = dict(max_epochs=30, random_state=0)
    assert cls(**params).fit(X2, y2, sample_weight=w).score(X, y) == 1.0
    assert cls(**params).fit(X2, y2, sample_weight=w[::-1]).score(X, 1 - y) == 1.0
    ones = _make(cls, random_state=0).fit(X2, y2, sample_weight=np.ones(200))
    none = _make(cls, random_state=0).fit(X2, y2)
    np.testing.assert_array_equal(ones.predict_proba(X), none.predict_proba(X))


@pytest.mark.parametrize("cls", [CNNClassifier, RNNClassifier], ids=lambda c: c.__name__)
def test_torch_classifier_zero_weights_drop_rows_and_the_weights_scale_freely(cls):
    # Half the rows weigh 0: in 30 epochs of 20 shuffled batches of 4, some batches hold only
    # such rows (about 6 % of them), where the per-batch ratio sum(w l) / sum(w) was 0/0 and the
    # fit "diverged". Those rows carry flipped labels: a model that learned from them would be
    # wrong on every row.
    X, y, X2, y2 = _flipped_copies(40)
    w = np.r_[np.ones(40), np.zeros(40)]
    params = dict(max_epochs=30, batch_size=4, random_state=0)
    clf = _make(cls, **params).fit(X2, y2, sample_weight=w)
    assert np.all(np.isfinite(clf.history_["loss"])) and clf.score(X, y) == 1.0
    # only the weights' ratios matter, as in scikit-learn
    scaled = _make(cls, **params).fit(X2, y2, sample_weight=1e3 * w)
    np.testing.assert_allclose(scaled.predict_proba(X), clf.predict_proba(X), rtol=1e-5)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_torch_estimator_history_is_a_dict_of_per_epoch_lists(cls):
    est = _fit(_make(cls, random_state=0))
    assert (
        isinstance(est.history_, dict)
        and "loss" in est.history_
        or "generator_loss" in (est.history_)
    )
    assert all(len(v) == FAST[cls]["max_epochs"] for v in est.history_.values())
    assert all(isinstance(x, float) for v in est.history_.values() for x in v)


@pytest.mark.parametrize("cls", [CNNClassifier, RNNClassifier], ids=lambda c: c.__name__)
def test_torch_classifier_n_jobs_sets_the_torch_threads_of_fit_and_predict(cls, monkeypatch):
    from sklearn_notes.neural_network._torch_modules import ClassifierNet

    seen = []

    def spy(method):
        def wrapper(*args, **kwargs):
            seen.append(torch.get_num_threads())
            return method(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(torch.optim.Adam, "step", spy(torch.optim.Adam.step))
    monkeypatch.setattr(ClassifierNet, "evaluation_step", spy(ClassifierNet.evaluation_step))
    threads = torch.get_num_threads()
    clf = _make(cls, max_epochs=1, n_jobs=2, random_state=0).fit(X_IRIS, Y_IRIS)
    clf.predict(X_IRIS)
    assert len(seen) > 3 and set(seen) == {2}  # the optimizer steps and the prediction
    assert torch.get_num_threads() == threads
    seen.clear()
    clf.set_params(n_jobs=None).fit(X_IRIS, Y_IRIS).predict(X_IRIS)
    assert len(seen) > 3 and set(seen) == {1}


def test_torch_classifier_early_stopping_needs_improvement_or_warns():
    from sklearn.exceptions import ConvergenceWarning

    clf = _make(RNNClassifier, early_stopping=True, n_iter_no_change=50, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_epochs=3 ended the fit before early") as w:
        clf.fit(X_IRIS, Y_IRIS)
    assert clf.n_iter_ == 3 and len(clf.history_["valid_loss"]) == 3
    # the warning names the user's line, not one of the decorators around fit
    assert [_source(r) for r in w] == [(__file__, "clf.fit(X_IRIS, Y_IRIS)")]
    gen = _make(VAE, early_stopping=True, n_iter_no_change=50, random_state=0)
    with pytest.warns(ConvergenceWarning, match="n_iter_no_change=50 epochs") as w:
        gen.fit(X_IRIS)
    assert [_source(r) for r in w] == [(__file__, "gen.fit(X_IRIS)")]


def _source(record):
    """A warning's file and the code on its line."""
    import linecache

    return record.filename, linecache.getline(record.filename, record.lineno).strip()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_torch_estimator_on_cuda_gives_the_cpu_results(cls):
    cpu = _fit(_make(cls, random_state=0))
    gpu = _fit(clone(cpu).set_params(device="cuda"))
    assert gpu.device_ == "cuda"
    if cls in GENERATORS:
        # Their training and sampling noise comes from the device's generator (CUDA's stream is
        # not the CPU's), so the same seed gives other draws: compare losses and distributions.
        for key, values in cpu.history_.items():
            np.testing.assert_allclose(gpu.history_[key][-1], values[-1], rtol=0.3, atol=0.05)
        a, b = cpu.sample(2000, random_state=0), gpu.sample(2000, random_state=0)
        np.testing.assert_allclose(b.mean(0), a.mean(0), atol=0.1 * a.std(0).max())
        np.testing.assert_allclose(b.std(0), a.std(0), rtol=0.1)
    else:
        # the same weights, batches and arithmetic: the same model up to float32 round-off
        for key, values in cpu.history_.items():
            np.testing.assert_allclose(gpu.history_[key], values, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(_outputs(gpu), _outputs(cpu), rtol=1e-3, atol=1e-5)


@given(
    X=arrays(
        np.float32,
        st.tuples(st.integers(1, 40), st.integers(1, 3)),
        elements=st.floats(-9, 9, width=32),
    ),
    batch_size=st.integers(1, 50),
    shuffle=st.booleans(),
)
def test_array_batches_visit_every_row_once_with_its_targets(X, batch_size, shuffle):
    from sklearn_notes.utils._torch_base import ArrayBatches

    n = len(X)
    rows = np.arange(n, dtype=np.int64)  # a target that names each row
    batches = list(ArrayBatches((X, rows), batch_size=batch_size, shuffle=shuffle))
    assert len(batches) == len(ArrayBatches(X, batch_size=batch_size)) == -(-n // batch_size)
    seen = np.concatenate([targets[0].numpy() for _, targets in batches])
    assert sorted(seen) == list(range(n))  # each row exactly once
    if not shuffle:
        np.testing.assert_array_equal(seen, rows)
    for Xb, (rb,) in batches:  # targets stay with their rows
        np.testing.assert_array_equal(Xb.numpy(), X[rb.numpy()])
    # X alone: batches carry no targets
    assert all(targets is None for _, targets in ArrayBatches(X, batch_size=batch_size))
