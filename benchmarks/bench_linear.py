"""Benchmark: the GD linear models against scikit-learn, time to reach the optimum.

For each pair (RidgeGD vs Ridge, LassoGD vs Lasso (coordinate descent), LogisticRegressionGD vs
LogisticRegression (lbfgs)) on a dense standardized problem (default n = 20,000, d = 200):

1. the reference objective ``F*`` is the best of a very tight fit of both;
2. for each estimator, the loosest ``tol`` (from a ladder) whose fit reaches ``F <= F* (1 + 1e-6)``
   is found;
3. that fit is timed, interleaved (ours, theirs, ours, theirs ...), best of ``--repeat``;
4. the ratio ours / theirs is printed (< 1: ours is faster).

The stochastic pair RidgeGD(solver="sgd") vs SGDRegressor (same objective, ``alpha / n``) cannot
reach 1e-6; it is reported as time per epoch and the objective gap after the same epochs.

Sparse memory (``--only sparse``): each estimator, ours and scikit-learn's, fits a 200,000 x 50,000
CSR matrix with 2,000,000 non-zeros in a fresh process (50 epochs, 5 for the perceptrons); the
process's peak resident memory is printed, and the peak of what the fit itself allocates
(tracemalloc, which numpy and scipy report to); the matrix is 24 MB, densified it would be 80 GB.

Usage: ``python benchmarks/bench_linear.py [--quick] [--repeat R] [--n N] [--d D] [--only ...]
[--cpu-time]``.
"""

import argparse
import subprocess
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, LogisticRegression, Ridge, SGDRegressor
from sklearn.preprocessing import StandardScaler

from sklearn_notes import LassoGD, LogisticRegressionGD, RidgeGD

RTOL = 1e-6
TOLS = [10.0**-k for k in range(1, 12)]


def regression_data(n, d, seed=0):
    rng = np.random.default_rng(seed)
    # correlated features (a random mixing), standardized, sparse truth
    X = rng.standard_normal((n, d)) @ (np.eye(d) + 0.3 * rng.standard_normal((d, d)) / np.sqrt(d))
    X = StandardScaler().fit_transform(X)
    w = np.zeros(d)
    support = rng.choice(d, size=max(1, d // 10), replace=False)
    w[support] = rng.standard_normal(len(support)) * 3
    y = X @ w + rng.standard_normal(n) + 2.0
    return X, y


def classification_data(n, d, seed=0):
    X, y = make_classification(
        n_samples=n, n_features=d, n_informative=max(2, d // 10), flip_y=0.05, random_state=seed
    )
    return StandardScaler().fit_transform(X), y


# --- objectives (each estimator's fitted coefficients, one formula) ----------------------------


def ridge_objective(est, X, y, alpha):
    r = y - X @ np.ravel(est.coef_) - np.ravel(est.intercept_)[0]
    return r @ r + alpha * np.sum(np.square(est.coef_))


def lasso_objective(est, X, y, alpha):
    r = y - X @ np.ravel(est.coef_) - np.ravel(est.intercept_)[0]
    return r @ r / (2 * len(y)) + alpha * np.sum(np.abs(est.coef_))


def logistic_objective(est, X, y, alpha):
    z = X @ np.ravel(est.coef_) + np.ravel(est.intercept_)[0]
    return np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * alpha * np.sum(np.square(est.coef_))


#: wall-clock by default; ``--cpu-time`` switches to process time (see ``main``)
CLOCK = {"clock": time.perf_counter}


def fit(make, tol, X, y):
    est = make(tol)
    clock = CLOCK["clock"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = clock()
        est.fit(X, y)
        return est, clock() - start


def loosest_tol(make, objective, f_star, X, y):
    """The largest tol whose fit reaches F* (1 + RTOL), and that fit's objective."""
    for tol in TOLS:
        est, _ = fit(make, tol, X, y)
        value = objective(est)
        if value <= f_star * (1 + RTOL):
            return tol, value
    return TOLS[-1], value


def race(name, ours, theirs, objective, X, y, repeat):
    """Steps 1-4 for one pair; returns the row printed."""
    # 1. reference optimum: the best of two very tight fits
    f_star = min(objective(fit(make, 1e-11, X, y)[0]) for make in (ours, theirs))
    # 2. loosest sufficient tolerance of each
    tol_ours, f_ours = loosest_tol(ours, objective, f_star, X, y)
    tol_theirs, f_theirs = loosest_tol(theirs, objective, f_star, X, y)
    # 3. interleaved timing
    t_ours, t_theirs = np.inf, np.inf
    for _ in range(repeat):
        t_ours = min(t_ours, fit(ours, tol_ours, X, y)[1])
        t_theirs = min(t_theirs, fit(theirs, tol_theirs, X, y)[1])
    row = dict(
        pair=name, ours_s=t_ours, sklearn_s=t_theirs, ratio=t_ours / t_theirs,
        tol_ours=tol_ours, tol_sklearn=tol_theirs,
        gap_ours=f_ours / f_star - 1, gap_sklearn=f_theirs / f_star - 1,
    )  # fmt: skip
    print(
        f"{name:<44} ours {t_ours:8.4f}s  sklearn {t_theirs:8.4f}s  ratio {row['ratio']:5.2f}"
        f"  (tol {tol_ours:.0e} / {tol_theirs:.0e}; rel. gap {row['gap_ours']:.1e} /"
        f" {row['gap_sklearn']:.1e})",
        flush=True,
    )
    return row


def sgd_race(X, y, alpha, epochs, repeat):
    """RidgeGD(solver='sgd') vs SGDRegressor, same objective, fixed number of epochs."""
    n = len(y)
    ours = lambda: RidgeGD(  # noqa: E731
        alpha=alpha, solver="sgd", learning_rate="invscaling", max_iter=epochs, tol=0.0,
        random_state=0,
    )  # fmt: skip
    theirs = lambda: SGDRegressor(  # noqa: E731
        alpha=alpha / n, max_iter=epochs, tol=None, random_state=0
    )
    f_star = ridge_objective(Ridge(alpha=alpha).fit(X, y), X, y, alpha)
    t_ours = t_theirs = np.inf
    for _ in range(repeat):
        a, t = fit(lambda tol: ours(), None, X, y)
        t_ours = min(t_ours, t)
        b, t = fit(lambda tol: theirs(), None, X, y)
        t_theirs = min(t_theirs, t)
    gap_a = ridge_objective(a, X, y, alpha) / f_star - 1
    gap_b = ridge_objective(b, X, y, alpha) / f_star - 1
    name = f"RidgeGD(sgd) vs SGDRegressor, {epochs} epochs"
    print(
        f"{name:<44} ours {t_ours:8.4f}s  sklearn {t_theirs:8.4f}s  ratio {t_ours / t_theirs:5.2f}"
        f"  (rel. gap {gap_a:.1e} / {gap_b:.1e})",
        flush=True,
    )
    return dict(pair=name, ours_s=t_ours, sklearn_s=t_theirs, ratio=t_ours / t_theirs)


_SPARSE_FIT = """
import resource, time, tracemalloc, warnings
import numpy as np, scipy.sparse
from sklearn import linear_model as sk
import sklearn_notes as ours
n, d, nnz = {n}, {d}, {nnz}
rng = np.random.default_rng(0)
X = scipy.sparse.csr_matrix(
    (rng.standard_normal(nnz), rng.integers(0, d, nnz), np.arange(0, nnz + 1, nnz // n)),
    shape=(n, d),
)
y = X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)
est = {make}
target = (y > 0).astype(int) if {classify} else y
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
tracemalloc.start()  # numpy and scipy report their arrays to tracemalloc
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    est.fit(X, target)
fit_peak = tracemalloc.get_traced_memory()[1] / 2**20
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{{seconds:.1f}} {{before:.0f}} {{peak:.0f}} {{fit_peak:.1f}}")
"""

_SPARSE_PAIRS = [
    ("RidgeGD vs Ridge", "ours.RidgeGD(alpha=1.0, max_iter=50)",
     "sk.Ridge(alpha=1.0, max_iter=50)", False),
    ("LassoGD vs Lasso", "ours.LassoGD(alpha=1e-4, max_iter=50)",
     "sk.Lasso(alpha=1e-4, max_iter=50)", False),
    ("LogisticRegressionGD vs LogisticRegression",
     "ours.LogisticRegressionGD(alpha=1e-4, max_iter=50)",
     "sk.LogisticRegression(C=1 / (1e-4 * n), max_iter=50)", True),
    ("Perceptron vs Perceptron", "ours.Perceptron(max_iter=5, random_state=0)",
     "sk.Perceptron(max_iter=5, random_state=0)", True),
]  # fmt: skip


def sparse_memory(n, d, nnz):
    """Peak resident memory of a fit on a sparse CSR design, each in a fresh process."""
    print(
        f"sparse CSR {n:,} x {d:,}, {nnz:,} non-zeros; peak RSS of a fresh process and (fit) the "
        "peak the fit allocates, MB"
    )
    rows = []
    for name, make_ours, make_theirs, classify in _SPARSE_PAIRS:
        result = []
        for make in (make_ours, make_theirs):
            code = _SPARSE_FIT.format(n=n, d=d, nnz=nnz, make=make, classify=classify)
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout.split()
            result.append([float(v) for v in out])
        (t_a, base_a, peak_a, fit_a), (t_b, _, peak_b, fit_b) = result
        print(
            f"{name:<44} ours {peak_a:5.0f} MB (fit {fit_a:6.1f}) {t_a:5.1f}s  sklearn "
            f"{peak_b:5.0f} MB (fit {fit_b:6.1f}) {t_b:5.1f}s  (before the fit: {base_a:.0f} MB)",
            flush=True,
        )
        rows.append(dict(pair=name, ours_mb=peak_a, sklearn_mb=peak_b, ours_fit_mb=fit_a))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problem, one repeat")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time by process CPU time with one BLAS thread: stable on a machine shared with "
        "other jobs, where wall-clock ratios swing by 2x",
    )
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--d", type=int, default=200)
    parser.add_argument(
        "--only", default="", help="comma-separated: ridge,lasso,logistic,sgd,sparse"
    )
    args = parser.parse_args(argv)
    n, d, repeat = (2_000, 50, 1) if args.quick else (args.n, args.d, args.repeat)
    only = set(args.only.split(",")) - {""} or {"ridge", "lasso", "logistic", "sgd", "sparse"}
    if args.cpu_time:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
        CLOCK["clock"] = time.process_time
        print("timing: process CPU time, one BLAS thread")
    print(f"n = {n}, d = {d}, best of {repeat}; target: objective within {RTOL:g} of the optimum")
    rows = []
    X, y = regression_data(n, d)
    if "ridge" in only:
        alpha = 1.0
        obj = lambda est: ridge_objective(est, X, y, alpha)  # noqa: E731
        rows.append(race(
            "RidgeGD(gd) vs Ridge", lambda tol: RidgeGD(alpha=alpha, tol=tol, max_iter=20_000),
            lambda tol: Ridge(alpha=alpha, tol=tol), obj, X, y, repeat,
        ))  # fmt: skip
        rows.append(race(
            "RidgeGD(closed_form) vs Ridge",
            lambda tol: RidgeGD(alpha=alpha, solver="closed_form"),
            lambda tol: Ridge(alpha=alpha, tol=tol), obj, X, y, repeat,
        ))  # fmt: skip
    if "lasso" in only:
        # alpha at 5 % of alpha_max: a sparse solution with some tens of active features
        alpha = 0.05 * np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / n
        obj = lambda est: lasso_objective(est, X, y, alpha)  # noqa: E731
        rows.append(race(
            "LassoGD(gd, FISTA) vs Lasso (CD)",
            lambda tol: LassoGD(alpha=alpha, tol=tol, max_iter=20_000),
            lambda tol: Lasso(alpha=alpha, tol=tol, max_iter=20_000), obj, X, y, repeat,
        ))  # fmt: skip
    if "logistic" in only:
        Xc, yc = classification_data(n, d)
        alpha = 1.0 / n  # C = 1
        obj = lambda est: logistic_objective(est, Xc, yc, alpha)  # noqa: E731
        rows.append(race(
            "LogisticRegressionGD(gd) vs LogisticRegression",
            lambda tol: LogisticRegressionGD(alpha=alpha, tol=tol, max_iter=20_000),
            lambda tol: LogisticRegression(C=1.0 / (n * alpha), tol=tol, max_iter=20_000),
            obj, Xc, yc, repeat,
        ))  # fmt: skip
    if "sgd" in only:
        rows.append(sgd_race(X, y, 1.0, 3 if args.quick else 10, repeat))
    if "sparse" in only:
        shape = (20_000, 5_000, 200_000) if args.quick else (200_000, 50_000, 2_000_000)
        rows += sparse_memory(*shape)
    return rows


if __name__ == "__main__":
    main()
