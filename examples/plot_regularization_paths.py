"""
Ridge vs lasso coefficient paths on the diabetes data (notes: "릿지" / "라쏘")
==============================================================================


The notes: ridge (L2) shrinks every coefficient but keeps every feature; lasso (L1) drops features.
Both paths are computed here by gradient descent (RidgeGD; LassoGD = proximal GD / FISTA,
warm-started along decreasing alpha) and the script prints, for each alpha, how many coefficients
are exactly 0.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler

from sklearn_notes import LassoGD, RidgeGD
from sklearn_notes.utils._examples import quick_mode, save_figure

quick = quick_mode()
X, y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)
names = load_diabetes().feature_names

n_alphas = 8 if quick else 40
lasso_alphas = np.logspace(1.8, -2, n_alphas)  # decreasing: warm starts follow the path
ridge_alphas = np.logspace(5, -2, n_alphas)

lasso = LassoGD(warm_start=True, tol=1e-8, max_iter=5000)
lasso_path = np.array([lasso.set_params(alpha=a).fit(X, y).coef_.copy() for a in lasso_alphas])
ridge_path = np.array([RidgeGD(alpha=a, tol=1e-8).fit(X, y).coef_ for a in ridge_alphas])

print(f"{'alpha (lasso)':>14} {'zeros':>6}   {'alpha (ridge)':>14} {'zeros':>6}")
for la, lc, ra, rc in zip(lasso_alphas, lasso_path, ridge_alphas, ridge_path):
    print(f"{la:14.4g} {np.sum(lc == 0):6d}   {ra:14.4g} {np.sum(rc == 0):6d}")
assert np.all(ridge_path != 0), "ridge never produces an exact zero"
assert np.sum(lasso_path[0] == 0) > np.sum(lasso_path[-1] == 0), "lasso zeros grow with alpha"

fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
for ax, alphas, path, title in [
    (axes[0], ridge_alphas, ridge_path, "RidgeGD: shrinks, never exactly 0"),
    (axes[1], lasso_alphas, lasso_path, "LassoGD: exact zeros as alpha grows"),
]:
    for j in range(path.shape[1]):
        ax.plot(alphas, path[:, j], label=names[j])
    ax.set_xscale("log")
    ax.set_xlabel("alpha")
    ax.set_title(title)
    ax.axhline(0, color="k", lw=0.5)
axes[0].set_ylabel("coefficient (standardized features)")
axes[1].legend(fontsize=7, ncol=2)
fig.tight_layout()
save_figure(fig, "regularization_paths.png")
