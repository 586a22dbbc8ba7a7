"""
Sample grids on the digits: VAE, GAN and diffusion model, read beside their controls
====================================================================================

Each generator is fitted on the training split (75 %, stratified) of the 1,797 8x8 digits of
scikit-learn (pixel values 0-16, in the user's units throughout). A classifier of real digits,
fitted on the same training split only (:func:`sklearn_notes.generative.fit_reader`), reads 500
generated images: its mean confidence (legible digits), the share of the rarest class (mode
collapse shows there), and the squared MMD to the held-out digits (bandwidth 0.3 x the median
distance). Every number is printed beside its controls: real held-out digits, copies of the
training digits (the ceiling, reached by memorizing), uniform noise, one Gaussian, and
scikit-learn's ``GaussianMixture(40, "full")``. Fitted with the labels (``fit(X, y)``), each
generator then draws the classes asked for: ``agreement`` is the share read as the class requested.

``SKLEARN_NOTES_QUICK=1`` runs a few epochs only (the numbers are then meaningless).
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split

from sklearn_notes import GAN, VAE, DiffusionModel
from sklearn_notes.generative import control_samples, fit_reader
from sklearn_notes.generative._tour import DIGITS_SETTINGS, digit_tiles, digits_scores
from sklearn_notes.utils._examples import quick_mode, save_figure

QUICK = quick_mode()
N_SAMPLES = 100 if QUICK else 500


def make(cls):
    """``cls`` with the settings that reach the digits goals (quick mode: 2 epochs, and 20 steps
    of diffusion)."""
    params = dict(DIGITS_SETTINGS[cls.__name__], random_state=0)
    if QUICK:
        params["max_epochs"] = 2
        if "n_steps" in params:
            params["n_steps"] = 20
    return cls(**params)


def report(name, S, reader, X_test, requested=None):
    scores = digits_scores(reader, S, X_test, y=requested)
    mmd = scores["mmd2"]
    agreement = f"  agreement {scores['agreement']:.3f}" if requested is not None else ""
    print(
        f"{name:<34} confidence {scores['confidence']:.3f}  rarest class "
        f"{scores['min_class_share']:.3f}  MMD^2 {mmd:+.4f}{agreement}",
        flush=True,
    )


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    reader = fit_reader(X_train, y_train)
    print(
        f"reader: calibrated SVCs on {len(X_train)} training digits; {N_SAMPLES} samples per row\n"
    )
    report("control: real held-out digits", X_test, reader, X_test)
    for kind, S in control_samples(X_train, N_SAMPLES, random_state=0).items():
        report(f"control: {kind}", S, reader, X_test)
    n_components, covariance = (10, "diag") if QUICK else (40, "full")
    gmm = GaussianMixture(n_components, covariance_type=covariance, random_state=0).fit(X_train)
    report(
        f"GaussianMixture({n_components}, {covariance!r})", gmm.sample(N_SAMPLES)[0], reader, X_test
    )

    grids = {"real digits": X_test[:100]}
    requested = np.arange(N_SAMPLES) % 10
    for cls in (VAE, GAN, DiffusionModel):
        name = cls.__name__
        start = time.perf_counter()
        model = make(cls).fit(X_train)
        fit_s = time.perf_counter() - start
        S = model.sample(N_SAMPLES, random_state=0)
        report(f"{name} (fit {fit_s:.0f} s)", S, reader, X_test)
        grids[name] = S[:100]
        conditional = make(cls).fit(X_train, y_train)
        S = conditional.sample(N_SAMPLES, random_state=0, y=requested)
        report(f"{name}, fit(X, y), sample(y=...)", S, reader, X_test, requested)
        grids[f"{name}, one class per row"] = S[:100].reshape(10, 10, 64).transpose(1, 0, 2)

    fig, axes = plt.subplots(1, len(grids), figsize=(3.2 * len(grids), 3.4))
    for ax, (name, S) in zip(axes, grids.items()):
        ax.imshow(digit_tiles(S), cmap="gray_r", vmin=0, vmax=16, interpolation="nearest")
        ax.set_title(name, fontsize=9)
        ax.set(xticks=[], yticks=[])
    save_figure(fig, "digits_generators.png")


if __name__ == "__main__":
    main()
