"""Class-conditional generation: fit(X, y) and sample(n, y=labels) for the three generators."""

import numpy as np
import pytest

from sklearn_notes import GAN, VAE, DiffusionModel

pytest.importorskip("torch")

MODELS = {
    "VAE": lambda: VAE(max_epochs=40, random_state=0),
    "GAN": lambda: GAN(max_epochs=40, random_state=0),
    "DiffusionModel": lambda: DiffusionModel(
        n_steps=30, hidden_layer_sizes=(64, 64), max_epochs=25, random_state=0
    ),
}


def _two_blobs(n=400, seed=0):
    """Class "left" around (-3, 0), class "right" around (3, 0), 1:3 proportions."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < 0.25, "left", "right")
    X = np.column_stack([np.where(y == "left", -3.0, 3.0), np.zeros(n)])
    return X + 0.3 * rng.standard_normal((n, 2)), y


@pytest.mark.parametrize("name", sorted(MODELS))
def test_conditional_samples_come_from_the_requested_class(name):
    X, y = _two_blobs()
    model = MODELS[name]().fit(X, y)
    assert list(model.classes_) == ["left", "right"]
    np.testing.assert_allclose(model.class_prior_, [np.mean(y == "left"), np.mean(y == "right")])
    left = model.sample(200, random_state=0, y="left")
    right = model.sample(200, random_state=0, y=np.full(200, "right"))
    assert np.mean(left[:, 0] < 0) > 0.9
    assert np.mean(right[:, 0] > 0) > 0.9
    # without y, classes in the training proportions (1:3)
    free = model.sample(400, random_state=0)
    assert 0.1 < np.mean(free[:, 0] < 0) < 0.4


@pytest.mark.parametrize("name", sorted(MODELS))
def test_conditional_sampling_errors_are_clear(name):
    X, y = _two_blobs(100)
    unconditional = MODELS[name]().set_params(max_epochs=1).fit(X)
    assert not hasattr(unconditional, "classes_")
    with pytest.raises(ValueError, match="fitted without y"):
        unconditional.sample(3, y="left")
    model = MODELS[name]().set_params(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=r"labels \['up'\] not seen"):
        model.sample(2, y=["left", "up"])
    with pytest.raises(ValueError, match="one label or 3 labels"):
        model.sample(3, y=["left", "right"])
    with pytest.raises(ValueError, match="Unknown label type"):
        MODELS[name]().set_params(max_epochs=1).fit(X, np.linspace(0, 1, len(X)))
    # an unconditional refit forgets the classes
    model.fit(X)
    assert not hasattr(model, "classes_") and model.sample(2).shape == (2, 2)
