"""Tour rows of the generative family: generators on the digits, next to a Gaussian mixture.

scikit-learn has no deep generator; its generative model with a ``sample`` method is
:class:`~sklearn.mixture.GaussianMixture`, the reference here. A generator's score is the number of
digit classes (of 10) that a logistic regression trained on the held-out real digits reads in 500
generated images (diversity); the autoencoder is compared with PCA on the reconstruction R^2 of the
held-out digits at the same code size.
"""

import numpy as np

from .._tour import TourEntry

__all__ = ["TOUR"]


_READERS = {}


def _reader(X_test, y_test):
    """A classifier of real digits, fitted once per test split (ours and the reference share it)."""
    from sklearn.linear_model import LogisticRegression

    key = (X_test.shape, hash(X_test.tobytes()), hash(np.asarray(y_test).tobytes()))
    if key not in _READERS:
        _READERS[key] = LogisticRegression(max_iter=2000).fit(X_test, y_test)
    return _READERS[key]


def _classes_covered(estimator, X_test, y_test):
    reader = _reader(X_test, y_test)
    if hasattr(estimator, "scaler_"):  # ours
        S = estimator.sample(500, random_state=0)
    else:  # GaussianMixture: seeded by its own random_state, returns (X, labels)
        S = estimator.sample(500)[0]
    return np.unique(reader.predict(np.clip(S, 0, 16))).size


def _reconstruction_r2(estimator, X_test, y_test):
    X_hat = estimator.inverse_transform(estimator.transform(X_test))
    return 1.0 - np.sum((X_test - X_hat) ** 2) / np.sum((X_test - X_test.mean(axis=0)) ** 2)


def _gmm(quick):
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(n_components=10, covariance_type="diag", random_state=0)


def _sample_grid(estimator, X, y, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    S = np.clip(estimator.sample(100, random_state=0), 0, 16)
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.imshow(S.reshape(10, 10, 8, 8).transpose(0, 2, 1, 3).reshape(80, 80), cmap="gray_r")
    ax.set(title=type(estimator).__name__, xticks=[], yticks=[])
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def _vae(quick):
    from . import VAE

    return VAE(
        latent_dim=8,
        likelihood="bernoulli",
        hidden_layer_sizes=(256, 128),
        max_epochs=30 if quick else 100,
        random_state=0,
    )


def _gan(quick):
    from . import GAN

    return GAN(
        latent_dim=16,
        hidden_layer_sizes=(256, 256),
        max_epochs=30 if quick else 200,
        random_state=0,
    )


def _diffusion(quick):
    from . import DiffusionModel

    if quick:
        return DiffusionModel(
            n_steps=50, hidden_layer_sizes=(128, 128), max_epochs=10, random_state=0
        )
    return DiffusionModel(
        n_steps=200, hidden_layer_sizes=(256, 256, 256), max_epochs=150, random_state=0
    )


def _autoencoder(quick):
    from . import Autoencoder

    return Autoencoder(
        latent_dim=8, hidden_layer_sizes=(256, 128), max_epochs=20 if quick else 200, random_state=0
    )


def _pca(quick):
    from sklearn.decomposition import PCA

    return PCA(n_components=8)


_COVERED = "digit classes in 500 samples (of 10)"

TOUR = [
    TourEntry("VAE", "digits", _vae, _gmm, _classes_covered, _COVERED, figure=_sample_grid),
    TourEntry("GAN", "digits", _gan, _gmm, _classes_covered, _COVERED, figure=_sample_grid),
    TourEntry(
        "DiffusionModel",
        "digits",
        _diffusion,
        _gmm,
        _classes_covered,
        _COVERED,
        figure=_sample_grid,
    ),
    TourEntry(
        "Autoencoder",
        "digits",
        _autoencoder,
        _pca,
        _reconstruction_r2,
        "reconstruction R^2 (8-d code)",
    ),
]
