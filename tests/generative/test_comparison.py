"""The notes' DM vs GAN vs VAE table (concept #35), column by column.

- Quality (DM and GAN sharp, VAE blurry) and diversity (DM and VAE cover the data, a GAN may
  collapse) are asserted on the ring by the slow tests of each generator:
  ``test_diffusion_model_covers_the_ring_with_high_quality_samples`` (8/8 modes, within 3 sigma
  >= 0.85) and ``test_gan_covers_most_modes_of_the_ring`` (>= 6/8 modes); the notes' VAE (prior
  N(0, I)) here: diverse but blurry. The package's default VAE learns a mixture prior that removes
  the blur (``test_vae_on_the_ring_covers_every_mode_within_the_goal``).
- Sampling speed (DM 100-1000 network steps, GAN and VAE one pass) is asserted here, counted in
  network evaluations rather than wall-clock time.

The measured table itself is printed by ``examples/compare_generators.py`` beside its controls.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn_notes import GAN, VAE, DiffusionModel  # noqa: E402
from sklearn_notes.generative import make_ring  # noqa: E402


def _linear_calls_to_sample(model, n_samples, monkeypatch):
    """How many times ``sample`` evaluates a linear layer (every network here is an MLP)."""
    calls = []
    original = torch.nn.Linear.forward

    def counting(self, x):
        calls.append(1)
        return original(self, x)

    with monkeypatch.context() as m:
        m.setattr(torch.nn.Linear, "forward", counting)
        S = model.sample(n_samples, random_state=0)
    assert np.isfinite(S).all()
    return len(calls)


def test_sampling_cost_diffusion_steps_against_one_pass(monkeypatch):
    X, _ = make_ring(200, random_state=0)
    n_steps = 100
    dm = DiffusionModel(n_steps=n_steps, max_epochs=1, random_state=0).fit(X)
    gan = GAN(max_epochs=1, random_state=0).fit(X)
    vae = VAE(max_epochs=1, random_state=0).fit(X)
    cost = {
        name: _linear_calls_to_sample(model, 500, monkeypatch)
        for name, model in (("dm", dm), ("gan", gan), ("vae", vae))
    }
    # one pass of the generator / decoder per batch of samples, whatever their number ...
    assert cost["gan"] == _linear_calls_to_sample(gan, 50, monkeypatch)
    assert 0 < cost["vae"] <= 2 * cost["gan"]
    # ... against one pass of the noise network per step of the reverse chain
    assert cost["dm"] >= n_steps * 2  # every step runs at least two layers
    assert cost["dm"] >= 20 * cost["gan"]
    # DDIM with 20 of the 100 steps: five times fewer evaluations
    dm.set_params(sampler="ddim", n_sampling_steps=20)
    assert cost["dm"] == pytest.approx(5 * _linear_calls_to_sample(dm, 500, monkeypatch), rel=0.05)


@pytest.mark.slow
def test_the_notes_vae_is_diverse_but_blurry():
    # the notes' VAE: prior N(0, I), a small network, a short training. It covers the data
    # (recall 0.999) but few samples are sharp (precision 0.03, within 3 sigma 0.02)
    from sklearn_notes.generative import precision_recall, ring_centers, support_share

    X, _ = make_ring(2000, random_state=0)
    X_test, _ = make_ring(2000, random_state=1)
    notes_vae = VAE(
        n_prior_components=1,
        hidden_layer_sizes=(64, 64),
        batch_size=256,
        max_epochs=150,
        random_state=0,
    )
    S = notes_vae.fit(X).sample(2000, random_state=0)
    precision, recall = precision_recall(X_test, S)
    assert recall > 0.9
    assert precision < 0.5 and support_share(S, ring_centers(), 0.05) < 0.5
