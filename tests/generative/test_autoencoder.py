"""Autoencoder: a transformer for nonlinear dimensionality reduction."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_notes import Autoencoder

pytest.importorskip("torch")


def _subspace_data(n=300, d=6, k=3, seed=0):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, k))
    A = rng.standard_normal((k, d))
    return Z @ A + 0.01 * rng.standard_normal((n, d))


def test_autoencoder_reconstruction_error_falls_with_latent_size():
    X = _subspace_data()
    scores = [
        Autoencoder(latent_dim=k, hidden_layer_sizes=(32,), max_epochs=150, random_state=0)
        .fit(X)
        .score(X)
        for k in (1, 2, 3)
    ]
    assert scores[0] < scores[1] < scores[2]  # score = -MSE
    assert scores[2] > -0.05  # 3 dimensions explain the 3-dimensional data


def test_autoencoder_is_competitive_with_pca_on_linear_data():
    X = _subspace_data()
    ae = Autoencoder(latent_dim=2, hidden_layer_sizes=(32,), max_epochs=150, random_state=0)
    ae.fit(X)
    Xs = StandardScaler().fit_transform(X)
    pca = PCA(2).fit(Xs)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(Xs)) - Xs) ** 2)
    # PCA is the optimal linear 2-D reconstruction; the AE gets within a factor of 1.5
    assert -ae.score(X) < 1.5 * pca_mse


def test_autoencoder_transform_inverse_transform_round_trip_in_user_units():
    X = 1000.0 * _subspace_data() + 7.0
    ae = Autoencoder(latent_dim=3, hidden_layer_sizes=(32,), max_epochs=150, random_state=0).fit(X)
    Z = ae.transform(X)
    assert Z.shape == (300, 3)
    X_back = ae.inverse_transform(Z)
    rel = np.linalg.norm(X_back - X) / np.linalg.norm(X - X.mean(axis=0))
    assert rel < 0.25
    assert list(ae.get_feature_names_out()) == ["autoencoder0", "autoencoder1", "autoencoder2"]


def test_autoencoder_in_a_pipeline_and_has_no_sample():
    X = _subspace_data()
    pipe = make_pipeline(StandardScaler(), Autoencoder(latent_dim=2, max_epochs=2, random_state=0))
    assert pipe.fit_transform(X).shape == (300, 2)
    assert not hasattr(Autoencoder(), "sample")  # not a density model (the notes)


def test_autoencoder_and_gan_score_refuse_data_beyond_the_working_range():
    """Issue 16: X at 1e300 gave a -inf score (autoencoder) or leaked an overflow warning (GAN)."""
    import warnings

    from sklearn_notes import GAN

    X = np.random.default_rng(0).normal(size=(40, 3))
    for model in (Autoencoder(max_epochs=2, random_state=0), GAN(max_epochs=2, random_state=0)):
        model.fit(X)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            with pytest.raises(ValueError, match="working range"):
                model.score(X * 1e300)
            assert np.isfinite(model.score(X))
