"""
EM fitting a Gaussian mixture, step by step (notes: GMM & EM, EM in general)
============================================================================


Starts three full-covariance components from a poor guess (all means bunched at the center, unit
covariances) on anisotropic blobs, draws the components' 2-sigma ellipses after iterations 0, 1, 2
and 5 and at convergence, and plots the log-likelihood per iteration, which never decreases (the
notes' ``ln p(X|theta) >= ELBO`` argument). Prints the curve's smallest step and the final
log-likelihood next to scikit-learn's GaussianMixture started from the same parameters.
"""

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from sklearn_notes import GMMEM
from sklearn_notes.utils._examples import quick_mode, save_figure

n_samples = 300 if quick_mode() else 1500
X, y = make_blobs(n_samples, centers=[[-4, -4], [0, 3], [5, -2]], cluster_std=1.0, random_state=3)
X = X @ np.array([[0.6, -0.6], [-0.4, 0.8]])  # stretch and shear: full covariances have work to do

start = dict(
    weights_init=np.full(3, 1 / 3),
    # All three means bunched near the center of the data: a poor start that EM must untangle.
    means_init=X.mean(axis=0) + np.array([[-0.5, 0.0], [0.5, 0.0], [0.0, 0.5]]),
    precisions_init=np.stack([np.eye(2)] * 3),
)


def fit(max_iter):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return GMMEM(3, tol=1e-6, max_iter=max_iter, **start).fit(X)


final = fit(2000)
snapshots = [(f"iteration {t}", fit(t)) for t in (0, 1, 2, 5)]
snapshots.append((f"converged ({final.n_iter_} iterations)", final))


def draw_ellipses(ax, gmm):
    for mean, cov in zip(gmm.means_, gmm.covariances_):
        values, vectors = np.linalg.eigh(cov)
        angle = np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1]))
        width, height = 2 * 2 * np.sqrt(values[::-1])  # 2 standard deviations
        ax.add_patch(Ellipse(mean, width, height, angle=angle, fill=False, lw=2, color="crimson"))
        ax.plot(*mean, "x", color="crimson", ms=10, mew=2)


fig, axes = plt.subplots(2, 3, figsize=(13, 8))
for ax, (title, gmm) in zip(axes.flat, snapshots):
    ax.scatter(X[:, 0], X[:, 1], c=gmm.predict(X), s=6, cmap="viridis", alpha=0.5)
    draw_ellipses(ax, gmm)
    ax.set_title(f"{title}: mean log-lik {gmm.score(X):.3f}")
    ax.set_aspect("equal")
curve = final.lower_bounds_
ax = axes.flat[-1]
ax.plot(np.arange(len(curve)), curve, "o-", ms=3)
ax.set_xlabel("EM iteration")
ax.set_ylabel("mean log-likelihood")
ax.set_title("log-likelihood never decreases")
fig.tight_layout()
save_figure(fig, "gmm_em.png")

reference = GaussianMixture(3, tol=1e-6, max_iter=2000, **start).fit(X)
print(f"iterations: {final.n_iter_}; smallest step of the curve: {np.diff(curve).min():.2e}")
print(f"final mean log-likelihood: GMMEM {final.score(X):.8f}, sklearn {reference.score(X):.8f}")
assert np.diff(curve).min() >= -1e-10
