"""
Loss curves of the three regimes of the notes: GD, SGD and minibatch SGD
========================================================================


Logistic regression on the breast-cancer data. Full-batch GD (plain, and Nesterov-accelerated)
descends smoothly; SGD (one random sample per step) makes many updates per epoch but is noisy
("빠르지만 Unstable"); minibatches sit in between. The script prints the objective gap after the
last epoch, a noise statistic (total upward movement of the objective between epochs) and the
time per epoch.
"""

import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_notes import LogisticRegressionGD
from sklearn_notes.utils._examples import quick_mode, save_figure

quick = quick_mode()
X, y = load_breast_cancer(return_X_y=True)
X = StandardScaler().fit_transform(X)
epochs = 15 if quick else 100
alpha = 1e-3

best = LogisticRegressionGD(alpha=alpha, tol=1e-12, max_iter=20_000).fit(X, y).loss_curve_[-1]
runs = {
    "GD (plain, eta = 1/L)": dict(solver="gd", accelerated=False),
    "GD (Nesterov, default)": dict(solver="gd"),
    "SGD (1 sample)": dict(solver="sgd", learning_rate="constant", eta0=0.05),
    "minibatch (32)": dict(solver="minibatch", learning_rate="constant", eta0=0.05),
}

fig, ax = plt.subplots(figsize=(7, 4.5))
print(f"{'regime':<24} {'final gap':>10} {'noise':>8} {'s/epoch':>8}")
for name, params in runs.items():
    clf = LogisticRegressionGD(
        alpha=alpha, max_iter=epochs, tol=0.0, n_iter_no_change=epochs, random_state=0, **params
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0: run every epoch
        clf.fit(X, y)
    per_epoch = (time.perf_counter() - start) / clf.n_iter_[0]
    curve = np.array(clf.loss_curve_)
    noise = float(np.sum(np.maximum(np.diff(curve), 0.0)) / np.mean(curve))
    print(f"{name:<24} {curve[-1] - best:10.2e} {noise:8.4f} {per_epoch:8.4f}")
    ax.semilogy(np.arange(1, len(curve) + 1), np.maximum(curve - best, 1e-16), label=name)

ax.set_xlabel("epoch (one pass over the data)")
ax.set_ylabel("objective - optimum")
ax.set_title("Logistic regression on breast cancer: GD vs SGD vs minibatch")
ax.legend()
fig.tight_layout()
save_figure(fig, "gd_vs_sgd.png")
