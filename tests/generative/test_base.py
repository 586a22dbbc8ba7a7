"""The shared skorch engine: seeding, units, warm start, errors, optional torch."""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris

from sklearn_notes import GAN, VAE, Autoencoder, DiffusionModel

torch = pytest.importorskip("torch")

ROOT = Path(__file__).parents[2]
X_IRIS = load_iris().data
FAST = {
    "VAE": dict(max_epochs=3),
    "GAN": dict(max_epochs=3),
    "DiffusionModel": dict(max_epochs=3, n_steps=30),
    "Autoencoder": dict(max_epochs=3),
}
ALL = [VAE, GAN, DiffusionModel, Autoencoder]
GENERATORS = [VAE, GAN, DiffusionModel]


def _make(cls, **params):
    return cls(**{**FAST[cls.__name__], **params})


def _weights(est):
    return [p.detach().clone() for p in est.net_.module_.parameters()]


@pytest.mark.parametrize("cls", GENERATORS, ids=lambda c: c.__name__)
def test_generator_same_seed_same_samples_different_seed_different(cls):
    a = _make(cls, random_state=0).fit(X_IRIS)
    b = _make(cls, random_state=0).fit(X_IRIS)
    c = _make(cls, random_state=1).fit(X_IRIS)
    np.testing.assert_array_equal(a.sample(20, random_state=3), b.sample(20, random_state=3))
    assert not np.array_equal(a.sample(20, random_state=3), c.sample(20, random_state=3))
    assert not np.array_equal(a.sample(20, random_state=3), a.sample(20, random_state=4))
    S = a.sample(20, random_state=3)
    assert S.shape == (20, 4) and S.dtype == np.float64
    assert a.sample().shape == (1, 4)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_generator_fit_leaves_global_torch_state_alone(cls):
    torch.manual_seed(123)
    state = torch.get_rng_state()
    threads = torch.get_num_threads()
    est = _make(cls, random_state=0).fit(X_IRIS)
    if hasattr(est, "sample"):
        est.sample(5, random_state=0)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.get_num_threads() == threads


@pytest.mark.parametrize("cls", GENERATORS, ids=lambda c: c.__name__)
def test_generator_pickle_round_trip_gives_identical_samples(cls):
    est = _make(cls, random_state=0).fit(X_IRIS)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(est.sample(5, random_state=0), again.sample(5, random_state=0))
    np.testing.assert_array_equal(
        est.sample(5, random_state=0), clone(est).fit(X_IRIS).sample(5, random_state=0)
    )


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_generator_warm_start_continues_training(cls):
    est = _make(cls, warm_start=True, random_state=0).fit(X_IRIS)
    mean = est.scaler_.mean_.copy() if hasattr(est.scaler_, "mean_") else est.scaler_.min_.copy()
    first = {k: list(v) for k, v in est.history_.items()}
    est.fit(X_IRIS[:50] * 2.0)  # new data; the scaling learned first is kept
    n = FAST[cls.__name__]["max_epochs"]
    assert all(len(v) == 2 * n for v in est.history_.values())
    assert all(est.history_[k][:n] == first[k] for k in first)
    after = est.scaler_.mean_ if hasattr(est.scaler_, "mean_") else est.scaler_.min_
    np.testing.assert_array_equal(after, mean)
    cold = _make(cls, random_state=0).fit(X_IRIS).fit(X_IRIS)
    assert all(len(v) == n for v in cold.history_.values())


# Every parameter that shapes the fitted networks or their training, and another valid value.
NET_PARAMETER_CHANGES = {
    VAE: dict(latent_dim=3, likelihood="bernoulli", n_prior_components=3, beta=2.0, kl_warmup=0.1),
    GAN: dict(
        latent_dim=3,
        scaling="minmax",
        lr_discriminator=1e-3,
        adam_betas=(0.0, 0.9),
        lr_schedule="cosine",
        ema_decay=0.9,
        spectral_norm=True,
        r1_penalty=1.0,
        minibatch_std=True,
    ),
    DiffusionModel: dict(n_steps=40, beta_schedule="cosine", ema_decay=0.9, snr_shift=2.0),
    Autoencoder: dict(latent_dim=3),
}


@pytest.mark.parametrize(
    "cls, name, value",
    [
        (cls, name, value)
        for cls in ALL
        for name, value in {**NET_PARAMETER_CHANGES[cls], "hidden_layer_sizes": (5,)}.items()
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_generator_warm_start_refuses_to_change_the_fitted_networks(cls, name, value):
    # the fitted networks are kept, so a change would be ignored (or break sample / transform)
    est = _make(cls, warm_start=True, random_state=0).fit(X_IRIS)
    before = pickle.dumps(est)
    with pytest.raises(ValueError, match=f"warm_start cannot change {name} "):
        est.set_params(**{name: value}).fit(X_IRIS)
    assert pickle.dumps(est.set_params(**{name: _make(cls).get_params()[name]})) == before
    # what only steers the next epochs may change; a list is the same sizes as a tuple
    est.set_params(max_epochs=2, batch_size=7, lr=1e-4)
    if name == "hidden_layer_sizes":
        est.set_params(hidden_layer_sizes=list(est.hidden_layer_sizes_))
    est.fit(X_IRIS)
    assert est.net_.batch_size == 7 and est.net_.lr == 1e-4
    assert all(len(v) == FAST[cls.__name__]["max_epochs"] + 2 for v in est.history_.values())


def test_generator_warm_start_accepts_the_value_auto_stood_for():
    gan = GAN(max_epochs=1, warm_start=True, random_state=0).fit(X_IRIS)
    assert gan.scaling_ == "standard"
    with pytest.raises(ValueError, match=r"scaling \(fitted with 'auto' \(= 'standard'\), now"):
        gan.set_params(scaling="minmax").fit(X_IRIS)
    gan.set_params(scaling="standard").fit(X_IRIS)  # what "auto" resolved to: no change
    dm = DiffusionModel(n_steps=20, max_epochs=1, warm_start=True, random_state=0).fit(X_IRIS)
    with pytest.raises(ValueError, match=r"snr_shift \(fitted with 'auto' \(= [\d.]+\), now 0.5"):
        dm.set_params(snr_shift=0.5).fit(X_IRIS)
    dm.set_params(snr_shift=dm.snr_shift_).fit(X_IRIS)


@pytest.mark.parametrize("cls", [VAE, Autoencoder], ids=lambda c: c.__name__)
def test_generator_codes_follow_the_fitted_networks_not_later_parameters(cls):
    est = _make(cls, latent_dim=2, random_state=0).fit(X_IRIS)
    est.set_params(latent_dim=4)  # not refitted: the fitted encoder still gives 2 codes
    Z = est.transform(X_IRIS)
    assert Z.shape == (150, 2) and len(est.get_feature_names_out()) == 2
    assert est.inverse_transform(Z).shape == X_IRIS.shape


def test_generator_nan_loss_raises_a_clear_error_and_leaves_the_model_unchanged():
    est = Autoencoder(max_epochs=3, batch_size=16, warm_start=True, random_state=0).fit(X_IRIS)
    weights, history = _weights(est), dict(est.history_)
    with pytest.raises(
        ValueError,
        match=r"Autoencoder diverged: the loss became .* in "
        r"epoch \d+\. Try a smaller lr",
    ):
        est.set_params(lr=1e30, max_epochs=5).fit(X_IRIS)
    assert all(torch.equal(a, b) for a, b in zip(weights, est.net_.module_.parameters()))
    assert est.history_ == history


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_generator_units_in_units_out(cls):
    X = 1e4 * X_IRIS - 5e3
    est = _make(cls, random_state=0).fit(X)
    out = (
        est.sample(50, random_state=0)
        if hasattr(est, "sample")
        else est.inverse_transform(est.transform(X))
    )
    # standardized outputs would be O(1); the data's are O(1e4)
    assert np.abs(out).mean() > 1e3


def test_generator_verbose_shows_one_progress_bar_over_all_epochs(capsys):
    VAE(max_epochs=3, verbose=1, random_state=0).fit(X_IRIS)
    err = capsys.readouterr().err
    # one bar counting epochs (not one per epoch counting batches), with the losses' parts
    assert err.count("0/3") == 1 and "3/3" in err and "1/1" not in err
    assert "kl=" in err and "loss=" in err


def test_generator_rejects_bad_parameters_and_inputs():
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        VAE(hidden_layer_sizes=(8, 0)).fit(X_IRIS)
    vae = VAE(max_epochs=1, random_state=0).fit(X_IRIS)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="n_samples"):
            vae.sample(bad)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            VAE(device="cuda").fit(X_IRIS)
    assert VAE(device="auto", max_epochs=1).fit(X_IRIS).device_ in ("cpu", "cuda")


def _run(code):
    """Run ``code`` in a fresh interpreter that imports this checkout's sklearn_notes."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_generator_package_import_does_not_import_torch():
    code = "import sys, sklearn_notes; print('torch' in sys.modules, 'skorch' in sys.modules)"
    assert _run(code).split() == ["False", "False"]


def test_generator_without_torch_names_the_extra():
    # an import hook that makes torch and skorch look uninstalled
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'skorch'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import numpy as np, sklearn_notes\n"
        "try:\n"
        "    sklearn_notes.VAE().fit(np.ones((4, 2)))\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    assert "pip install 'sklearn-notes[deep]'" in _run(code)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_generator_n_jobs_sets_the_torch_threads_of_fit_and_sample(cls, monkeypatch):
    seen = []
    original = torch.nn.Linear.forward

    def spy(self, x):
        seen.append(torch.get_num_threads())
        return original(self, x)

    monkeypatch.setattr(torch.nn.Linear, "forward", spy)
    threads = torch.get_num_threads()
    est = _make(cls, n_jobs=2, random_state=0).fit(X_IRIS)
    if hasattr(est, "sample"):
        est.sample(5, random_state=0)
    assert len(seen) > 3 and set(seen) == {2}  # every network pass of fit and sample
    assert torch.get_num_threads() == threads
    seen.clear()
    est.set_params(n_jobs=None).fit(X_IRIS)
    assert len(seen) > 3 and set(seen) == {1}


@pytest.mark.parametrize("cls", [VAE, DiffusionModel, Autoencoder], ids=lambda c: c.__name__)
def test_generator_early_stopping_holds_out_rows_and_stops(cls):
    from sklearn.exceptions import ConvergenceWarning

    est = cls(early_stopping=True, n_iter_no_change=3, max_epochs=300, random_state=0)
    valid = np.asarray(est.fit(X_IRIS).history_["valid_loss"])
    assert len(est.history_["loss"]) == len(valid) < 300  # stopped by the held-out loss
    # stopped 3 epochs after the last improvement by more than the tolerance
    assert valid[:-3].min() <= valid[-3:].min() + 1e-4
    with pytest.warns(ConvergenceWarning, match="max_epochs"):
        cls(early_stopping=True, max_epochs=2, random_state=0).fit(X_IRIS)
    assert "valid_loss" not in cls(max_epochs=2, random_state=0).fit(X_IRIS).history_


@pytest.mark.parametrize("cls", [VAE, DiffusionModel], ids=lambda c: c.__name__)
def test_generator_held_out_loss_makes_the_same_draws_every_epoch(cls):
    # At lr=1e-12 the weights do not move, so the held-out loss can change from epoch to epoch
    # only through its Monte-Carlo draws (the VAE's z, the diffusion model's t and epsilon): with
    # the same draws every epoch it is constant. Drawn afresh, the diffusion model's spread on
    # iris's 15 held-out rows is 70 % of its mean.
    from sklearn.exceptions import ConvergenceWarning

    est = cls(lr=1e-12, early_stopping=True, max_epochs=6, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_epochs"):
        est.fit(X_IRIS)
    valid = np.asarray(est.history_["valid_loss"])
    assert np.ptp(valid) <= 1e-6 * np.abs(valid).mean()
    # the training loss keeps its fresh draws
    assert np.ptp(est.history_["loss"]) > 1e-4 * np.abs(np.mean(est.history_["loss"]))


@pytest.mark.parametrize("cls", [VAE, DiffusionModel], ids=lambda c: c.__name__)
def test_conditional_generator_early_stopping_validates_with_the_labels(cls):
    y = load_iris().target
    est = cls(early_stopping=True, n_iter_no_change=3, max_epochs=300, random_state=0)
    est.fit(X_IRIS, y)
    assert len(est.history_["valid_loss"]) < 300
    assert est.sample(6, y=[0, 1, 2, 0, 1, 2], random_state=0).shape == (6, 4)
