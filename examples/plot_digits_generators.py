"""
Sample grids on the digits: VAE, GAN and diffusion model side by side
=====================================================================


Each generator is fitted on the 1,797 8x8 digits of scikit-learn (pixel values 0-16, in the
user's units throughout). A logistic regression trained on the real digits then reads the
generated images: a generator that covers the data assigns samples to all 10 classes (diversity),
and confident predictions mean legible digits (quality). The VAE uses the Bernoulli likelihood
(pixels scaled to [0, 1]), the usual choice for grey-level images.

``SKLEARN_NOTES_QUICK=1`` runs a few epochs only.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from sklearn_notes import GAN, VAE, DiffusionModel
from sklearn_notes.utils._examples import quick_mode, save_figure

QUICK = quick_mode()
N_SAMPLES = 100 if QUICK else 500

# Settings that give good models on the digits (quick mode: 2 epochs each).
MODELS = {
    "VAE": VAE(
        latent_dim=8,
        likelihood="bernoulli",
        hidden_layer_sizes=(256, 128),
        max_epochs=2 if QUICK else 100,
        random_state=0,
    ),
    "GAN": GAN(
        latent_dim=16,
        hidden_layer_sizes=(256, 256),
        max_epochs=2 if QUICK else 200,
        random_state=0,
    ),
    "DiffusionModel": DiffusionModel(
        n_steps=20 if QUICK else 200,
        hidden_layer_sizes=(256, 256, 256),
        max_epochs=2 if QUICK else 150,
        random_state=0,
    ),
}


def main():
    X, y = load_digits(return_X_y=True)
    reader = LogisticRegression(max_iter=2000).fit(X, y)
    fig, axes = plt.subplots(1, len(MODELS) + 1, figsize=(4 * (len(MODELS) + 1), 4))
    grids = {"real digits": X[:100]}
    for name, model in MODELS.items():
        start = time.perf_counter()
        model.fit(X)
        fit_s = time.perf_counter() - start
        S = np.clip(model.sample(N_SAMPLES, random_state=0), 0, 16)
        counts = np.bincount(reader.predict(S), minlength=10)
        confidence = reader.predict_proba(S).max(axis=1).mean()
        print(
            f"{name:<15} fit {fit_s:6.1f} s  classes {np.count_nonzero(counts)}/10  "
            f"per class {counts.tolist()}  mean confidence {confidence:.2f}"
        )
        grids[name] = S[:100]
    for ax, (name, S) in zip(axes, grids.items()):
        tiles = S.reshape(10, 10, 8, 8).transpose(0, 2, 1, 3).reshape(80, 80)
        ax.imshow(tiles, cmap="gray_r", vmin=0, vmax=16)
        ax.set(title=name, xticks=[], yticks=[])
    save_figure(fig, "digits_generators.png")


if __name__ == "__main__":
    main()
