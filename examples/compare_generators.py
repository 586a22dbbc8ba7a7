"""
DM vs GAN vs VAE: the notes' comparison table, measured on one dataset in one run
=================================================================================


The notes (section "DM vs VAE vs GAN") rate the three generators on image quality, training
stability, diversity (mode collapse) and sampling speed. Here every row is a number, measured on
the GAN literature's ring of 8 Gaussians (radius 2, sigma 0.05), where quality and diversity can be
counted exactly:

- quality: share of samples within 3 sigma of a mode (the true support), precision (share inside
  the k-NN manifold of held-out data), and MMD^2 to held-out data with an RBF kernel a tenth of the
  median distance wide (lower is better);
- diversity: recall (share of held-out data inside the samples' k-NN manifold) and modes covered
  (a mode counts when a fair share of samples lies within 3 sigma of it);
- stability: spread (std) of the quality over 5 training seeds;
- speed: training time and sampling time per 1,000 samples (DDPM uses every one of its steps,
  DDIM a fraction, GAN and VAE one network pass).

Run ``python examples/compare_generators.py``; ``SKLEARN_NOTES_QUICK=1`` shrinks everything to a
few seconds (the numbers are then meaningless). The table is printed as Markdown, with the
controls as rows of their own (held-out data, copies of the training data, uniform noise, one
Gaussian): a metric is only as good as its gap between them. ``doc/generative.rst`` documents the
quality rows at the defaults from ``benchmarks/bench_generative.py --quality``; this example adds
the spread over seeds and the speeds.
"""

import time

import matplotlib.pyplot as plt
import numpy as np

from sklearn_notes import GAN, VAE, DiffusionModel
from sklearn_notes.generative import (
    control_samples,
    make_ring,
    mode_coverage,
    multiscale_mmd2,
    precision_recall,
    ring_centers,
    support_share,
)
from sklearn_notes.utils._examples import quick_mode, save_figure

QUICK = quick_mode()
SIGMA = 0.05
N_TRAIN = 400 if QUICK else 2000
N_SAMPLES = 300 if QUICK else 2000
SEEDS = [0, 1] if QUICK else [0, 1, 2, 3, 4]
T = 20 if QUICK else 100

# The documented good settings for 2-D data (quick mode: a few epochs only).
MODELS = {
    # a 100-step chain is coarse for modes this narrow: the posterior's variances (beta-tilde)
    # keep its samples on the modes (within 3 sigma 0.989 against 0.930 with the defaults' beta)
    "DiffusionModel (DDPM)": lambda seed: DiffusionModel(
        n_steps=T, variance_type="fixed_small", max_epochs=3 if QUICK else 150, random_state=seed
    ),
    # well separated modes: a small latent space and the faster rate put fewer samples between them
    "GAN": lambda seed: GAN(
        latent_dim=2, lr=1e-3, max_epochs=3 if QUICK else 150, random_state=seed
    ),
    # the notes' VAE (prior N(0, I)) beside the package's default (a learned mixture prior)
    "VAE (prior N(0, I))": lambda seed: VAE(
        n_prior_components=1, max_epochs=3 if QUICK else 300, random_state=seed
    ),
    "VAE": lambda seed: VAE(max_epochs=3 if QUICK else 300, random_state=seed),
}
DDIM_STEPS = 5 if QUICK else 20


def metrics(S, X_test, centers):
    precision, recall = precision_recall(X_test, S)
    return dict(
        covered=mode_coverage(S, centers, SIGMA)[0],
        hq=support_share(S, centers, SIGMA),
        precision=precision,
        recall=recall,
        mmd=multiscale_mmd2(X_test, S, scales=(0.1,))[0.1],
    )


def evaluate(model, X_test, centers, rng_seed=0):
    start = time.perf_counter()
    S = model.sample(N_SAMPLES, random_state=rng_seed)
    per_1000 = (time.perf_counter() - start) * 1000 / N_SAMPLES
    return S, dict(metrics(S, X_test, centers), sample_s=per_1000)


def main():
    X, _ = make_ring(N_TRAIN, sigma=SIGMA, random_state=0)
    X_test, _ = make_ring(N_SAMPLES, sigma=SIGMA, random_state=1)
    centers = ring_centers()
    results = {name: [] for name in [*MODELS, f"DiffusionModel (DDIM, {DDIM_STEPS} steps)"]}
    shown = {}
    for seed in SEEDS:
        for name, make in MODELS.items():
            model = make(seed)
            start = time.perf_counter()
            model.fit(X)
            fit_s = time.perf_counter() - start
            S, row = evaluate(model, X_test, centers)
            results[name].append(dict(row, fit_s=fit_s))
            shown.setdefault(name, S)
            if isinstance(model, DiffusionModel):
                model.set_params(sampler="ddim", n_sampling_steps=DDIM_STEPS)
                ddim = f"DiffusionModel (DDIM, {DDIM_STEPS} steps)"
                S, row = evaluate(model, X_test, centers)
                results[ddim].append(dict(row, fit_s=fit_s))
                shown.setdefault(ddim, S)
        print(f"seed {seed} done", flush=True)

    header = (
        "| model | within 3σ | precision | recall | modes covered (of 8) | narrow MMD² | "
        "within-3σ spread over seeds (std) | train time (s) | sampling time per 1,000 (s) |"
    )
    lines = [header, "|" + "---|" * 9]
    controls = {"control: held-out data": make_ring(N_SAMPLES, sigma=SIGMA, random_state=2)[0]}
    controls.update(
        (f"control: {k}", v) for k, v in control_samples(X, N_SAMPLES, random_state=3).items()
    )
    for name, S in controls.items():
        m = metrics(S, X_test, centers)
        lines.append(
            f"| {name} | {m['hq']:.2f} | {m['precision']:.2f} | {m['recall']:.2f} "
            f"| {m['covered']} | {m['mmd']:.4f} | - | - | - |"
        )
    for name, rows in results.items():
        col = {k: np.array([r[k] for r in rows]) for k in rows[0]}
        lines.append(
            f"| {name} | {col['hq'].mean():.2f} | {col['precision'].mean():.2f} "
            f"| {col['recall'].mean():.2f} | {col['covered'].mean():.1f} (min "
            f"{col['covered'].min()}) | {col['mmd'].mean():.4f} | {col['hq'].std():.3f} "
            f"| {col['fit_s'].mean():.1f} | {col['sample_s'].mean():.3f} |"
        )
    print(f"\nring of 8 Gaussians, {N_TRAIN} training points, {len(SEEDS)} seeds\n")
    print("\n".join(lines))

    fig, axes = plt.subplots(1, len(shown) + 1, figsize=(3.2 * (len(shown) + 1), 3.2))
    for ax, (name, S) in zip(axes, [("data", X_test), *shown.items()]):
        ax.scatter(S[:, 0], S[:, 1], s=2, alpha=0.5)
        ax.scatter(centers[:, 0], centers[:, 1], s=20, c="red", marker="x")
        ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xticks=[], yticks=[])
        ax.set_title(name.replace(" (", "\n("), fontsize=9)
    save_figure(fig, "compare_generators_ring.png")


if __name__ == "__main__":
    main()
