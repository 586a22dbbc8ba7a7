"""
Hard vs soft assignment: k-means and a GMM on anisotropic blobs (notes: k-means as EM)
======================================================================================


k-means is EM with hard responsibilities and one shared spherical "covariance": it cuts stretched
clusters with straight boundaries half-way between centroids. The full-covariance GMM learns the
stretch and gives soft responsibilities, which are uncertain only near the borders. The figure shows
k-means' labels, the GMM's labels, and the GMM's uncertainty ``1 - max_k r_ik``; the script prints
both adjusted Rand indices.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from sklearn_notes import GMMEM, KMeansEM
from sklearn_notes.utils._examples import quick_mode, save_figure

n_samples = 400 if quick_mode() else 1500
X, y = make_blobs(n_samples, centers=3, cluster_std=1.0, random_state=170)
X = X @ np.array([[0.6, -0.6], [-0.4, 0.8]])  # the anisotropic blobs of scikit-learn's gallery

kmeans = KMeansEM(3, n_init=5, random_state=0).fit(X)
gmm = GMMEM(3, covariance_type="full", n_init=3, random_state=0).fit(X)
resp = gmm.predict_proba(X)
scores = {
    "KMeansEM (hard)": adjusted_rand_score(y, kmeans.labels_),
    "GMMEM full (soft)": adjusted_rand_score(y, resp.argmax(axis=1)),
}

fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
axes[0].scatter(X[:, 0], X[:, 1], c=kmeans.labels_, s=8, cmap="viridis")
axes[0].plot(*kmeans.cluster_centers_.T, "rx", ms=12, mew=3)
axes[0].set_title(f"KMeansEM: ARI {scores['KMeansEM (hard)']:.3f}")
axes[1].scatter(X[:, 0], X[:, 1], c=resp.argmax(axis=1), s=8, cmap="viridis")
axes[1].plot(*gmm.means_.T, "rx", ms=12, mew=3)
axes[1].set_title(f"GMMEM (full): ARI {scores['GMMEM full (soft)']:.3f}")
uncertainty = 1 - resp.max(axis=1)
sc = axes[2].scatter(X[:, 0], X[:, 1], c=uncertainty, s=8, cmap="magma_r")
fig.colorbar(sc, ax=axes[2], label="1 - max_k r_ik")
axes[2].set_title("GMM soft assignment: uncertain only at the borders")
for ax in axes:
    ax.set_aspect("equal")
fig.tight_layout()
save_figure(fig, "kmeans_vs_gmm.png")

for name, score in scores.items():
    print(f"{name:20s} adjusted Rand index {score:.3f}")
print(f"share of points with max responsibility < 0.99: {np.mean(resp.max(axis=1) < 0.99):.1%}")
