"""Neural-network family vs scikit-learn, side by side in one process.

- Perceptron vs sklearn.linear_model.Perceptron: time per epoch (numba loop vs Cython SGD).
- MLPClassifier vs sklearn.neural_network.MLPClassifier: same architecture, Adam, same epochs;
  time per epoch and test accuracy, on digits and on a larger make_classification problem; L-BFGS
  (time per iteration) on digits; Adam on a sparse CSR design (never densified).

Runs are interleaved (ours, theirs, ours, theirs) and the best of each is kept; the JIT warm-up is
excluded. Usage: ``python benchmarks/bench_neural_network.py [--quick]``.
"""

import argparse
import os
import sys
import warnings

import numpy as np
from scipy import sparse
from sklearn import linear_model, neural_network
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_of

from sklearn_notes import MLPClassifier, Perceptron


def _split(X, y):
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, random_state=0)


def bench_perceptron(n_samples, repeats):
    X, y = make_classification(n_samples, 50, n_informative=20, random_state=0)
    X_tr, X_te, y_tr, y_te = _split(X, y)
    epochs = 20
    ours = Perceptron(max_iter=epochs, tol=None, shuffle=True, random_state=0)
    theirs = linear_model.Perceptron(max_iter=epochs, tol=None, shuffle=True, random_state=0)
    ours.fit(X_tr[:50], y_tr[:50])  # compile / load the numba kernel once
    (t_ours, t_theirs), _ = best_of(
        [lambda: ours.fit(X_tr, y_tr), lambda: theirs.fit(X_tr, y_tr)], repeats
    )
    print(
        f"Perceptron     n={n_samples:>6}  {epochs} epochs  ours {t_ours * 1e3:8.1f} ms  "
        f"sklearn {t_theirs * 1e3:8.1f} ms  ratio sklearn/ours {t_theirs / t_ours:5.2f}  "
        f"acc {ours.score(X_te, y_te):.3f} vs {theirs.score(X_te, y_te):.3f}"
    )


def bench_mlp(name, X, y, epochs, repeats, solver="adam", split=True):
    X_tr, X_te, y_tr, y_te = _split(X, y) if split else train_test_split(X, y, random_state=0)
    params = dict(
        hidden_layer_sizes=(100,), solver=solver, max_iter=epochs, tol=0.0, random_state=0
    )
    ours, theirs = MLPClassifier(**params), neural_network.MLPClassifier(**params)
    times, _ = best_of([lambda: ours.fit(X_tr, y_tr), lambda: theirs.fit(X_tr, y_tr)], repeats)
    t_ours, t_theirs = times[0] / epochs, times[1] / epochs
    print(
        f"MLPClassifier  {name:20s} per epoch or iteration: ours {t_ours * 1e3:7.1f} ms  sklearn "
        f"{t_theirs * 1e3:7.1f} ms  ratio sklearn/ours {t_theirs / t_ours:5.2f}  "
        f"acc {ours.score(X_te, y_te):.3f} vs {theirs.score(X_te, y_te):.3f}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 3
    warnings.simplefilter("ignore", ConvergenceWarning)
    for n in (2_000,) if args.quick else (5_000, 50_000):
        bench_perceptron(n, repeats)
    X, y = load_digits(return_X_y=True)
    bench_mlp("digits", X, y, 5 if args.quick else 30, repeats)
    if not args.quick:
        X, y = make_classification(20_000, 100, n_informative=40, n_classes=5, random_state=0)
        bench_mlp("n=20000, d=100", X, y, 10, repeats)
    X, y = load_digits(return_X_y=True)
    bench_mlp("digits, lbfgs", X, y, 20 if args.quick else 100, repeats, solver="lbfgs")
    n, d = (2_000, 1_000) if args.quick else (20_000, 5_000)
    X = sparse.random(n, d, density=0.01, format="csr", random_state=0)
    y = (X @ np.random.RandomState(0).standard_normal(d) > 0).astype(int)
    bench_mlp(f"sparse {n}x{d}, 1%", X, y, 3 if args.quick else 10, repeats, split=False)


if __name__ == "__main__":
    main()
