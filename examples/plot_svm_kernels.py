"""
Kernels on make_moons, and the RBF gamma sweep (notes: non-linear SVM, kernel trick, rows 15-17)
================================================================================================


Top: the decision boundary of KernelSVC with each kernel of the notes (linear, polynomial, RBF
a.k.a. Gaussian, sigmoid) on the two moons. Bottom: the notes say "higher gamma -> higher accuracy,
overfitting". Measured: training accuracy rises with gamma towards 100 %, while test accuracy peaks
at a moderate gamma and then falls -- the higher accuracy is on the training set only.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons
from sklearn.model_selection import train_test_split

from sklearn_notes.svm import KernelSVC
from sklearn_notes.utils._examples import quick_mode, save_figure

quick = quick_mode()
X, y = make_moons(n_samples=200 if quick else 600, noise=0.3, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)

kernels = {
    "linear": dict(kernel="linear"),
    "poly (degree 3)": dict(kernel="poly", degree=3, coef0=1.0),
    "gaussian (rbf)": dict(kernel="gaussian"),
    "sigmoid": dict(kernel="sigmoid", gamma=0.5, coef0=-1.0),
}
names = [f"k{i}" for i in range(len(kernels))]
fig, axd = plt.subplot_mosaic([names, ["gamma"] * len(kernels)], figsize=(4 * len(kernels), 8))
xx, yy = np.meshgrid(np.linspace(-2, 3, 150), np.linspace(-1.5, 2, 150))
grid = np.c_[xx.ravel(), yy.ravel()]
for ax, (name, params) in zip([axd[k] for k in names], kernels.items()):
    clf = KernelSVC(C=1.0, **params).fit(X_train, y_train)
    f = clf.decision_function(grid).reshape(xx.shape)
    ax.contourf(xx, yy, f > 0, cmap="RdBu", alpha=0.3)
    ax.contour(xx, yy, f, levels=[0], colors="k")
    ax.scatter(X_train[:, 0], X_train[:, 1], c=y_train, cmap="RdBu", edgecolors="k", s=15)
    acc = clf.score(X_test, y_test)
    ax.set_title(f"{name}\ntest accuracy {acc:.3f}, {len(clf.support_)} SVs")
    print(f"{name:<16} test accuracy {acc:.3f}")

gammas = np.logspace(-2, 3, 6 if quick else 16)
train_acc, test_acc = [], []
for gamma in gammas:
    clf = KernelSVC(C=1.0, kernel="rbf", gamma=gamma).fit(X_train, y_train)
    train_acc.append(clf.score(X_train, y_train))
    test_acc.append(clf.score(X_test, y_test))
print("\n   gamma   train    test")
for g, a, b in zip(gammas, train_acc, test_acc):
    print(f"{g:8.3g}  {a:.3f}  {b:.3f}")
best = int(np.argmax(test_acc))
print(
    f"train accuracy goes {train_acc[0]:.3f} -> {train_acc[-1]:.3f}; test accuracy peaks at "
    f"gamma = {gammas[best]:.3g} ({test_acc[best]:.3f}) and ends at {test_acc[-1]:.3f}"
)
ax = axd["gamma"]
ax.semilogx(gammas, train_acc, "o-", label="train")
ax.semilogx(gammas, test_acc, "s-", label="test")
ax.set_xlabel("RBF gamma")
ax.set_ylabel("accuracy")
ax.set_title("higher gamma: train up, test peaks then falls")
ax.legend()
save_figure(fig, "svm_kernels.png")
