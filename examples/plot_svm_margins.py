"""
Hard vs soft margin: how C trades margin width for margin violations (notes: SVM, rows 9-13)
============================================================================================


A linear KernelSVC on two separable Gaussian blobs, for several C and for the hard margin
(C = inf). Each panel draws the decision boundary f(x) = 0, the margins f(x) = +-1 and circles the
support vectors (alpha_i > 0) -- the only points that define the boundary. The printed table shows
the notes' claim in numbers: as C grows the geometric margin 2 / ||w|| narrows and fewer points sit
inside it, until the hard margin, where every training margin y f(x) >= 1.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from sklearn_notes.svm import KernelSVC
from sklearn_notes.utils._examples import quick_mode, save_figure

n_samples = 60 if quick_mode() else 200
X, y = make_blobs(n_samples=n_samples, centers=[[-2, -1], [2, 1]], cluster_std=1.0, random_state=3)
# Keep the data separable so that the hard margin exists: only points on their own side of the line
# 2 x1 + x2 = 0, and not too close to it.
side = X @ np.array([2.0, 1.0])
keep = (np.abs(side) > 1.0) & ((side > 0) == (y == 1))
X, y = X[keep], y[keep]

Cs = [0.01, 0.1, 1.0, np.inf]
fig, axes = plt.subplots(1, len(Cs), figsize=(4 * len(Cs), 4), sharey=True)
xx, yy = np.meshgrid(np.linspace(-6, 6, 200), np.linspace(-5, 5, 200))
grid = np.c_[xx.ravel(), yy.ravel()]
header = ["C", "margin 2/||w||", "violations (y f < 1)", "n_SV", "min y f"]
print("  ".join(f"{h:>{w}}" for h, w in zip(header, [6, 14, 20, 4, 7])))
for ax, C in zip(axes, Cs):
    clf = KernelSVC(C=C, kernel="linear").fit(X, y)
    w = clf.dual_coef_[0] @ clf.support_vectors_
    margins = np.where(y == clf.classes_[1], 1, -1) * clf.decision_function(X)
    width = 2 / np.linalg.norm(w)
    violations = int(np.sum(margins < 1 - 1e-3))
    print(f"{C:>6}  {width:14.3f}  {violations:20d}  {len(clf.support_):4d}  {margins.min():7.3f}")
    f = clf.decision_function(grid).reshape(xx.shape)
    ax.contourf(xx, yy, f, levels=[-100, -1, 0, 1, 100], cmap="RdBu", alpha=0.25)
    ax.contour(xx, yy, f, levels=[-1, 0, 1], colors="k", linestyles=["--", "-", "--"])
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu", edgecolors="k", s=20)
    ax.scatter(
        clf.support_vectors_[:, 0],
        clf.support_vectors_[:, 1],
        s=120,
        facecolors="none",
        edgecolors="g",
        linewidths=1.5,
        label="support vectors",
    )
    title = "hard margin (C = inf)" if np.isinf(C) else f"soft margin, C = {C}"
    ax.set_title(f"{title}\nwidth {width:.2f}, {violations} inside the margin")
axes[0].legend(loc="lower right")
save_figure(fig, "svm_margins.png")
