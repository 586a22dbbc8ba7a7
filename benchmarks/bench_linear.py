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

Usage: ``python benchmarks/bench_linear.py [--quick] [--repeat R] [--n N] [--d D]``.
"""

import argparse
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


def fit(make, tol, X, y):
    est = make(tol)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        est.fit(X, y)
        return est, time.perf_counter() - start


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problem, one repeat")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--d", type=int, default=200)
    parser.add_argument("--only", default="", help="comma-separated: ridge,lasso,logistic,sgd")
    args = parser.parse_args(argv)
    n, d, repeat = (2_000, 50, 1) if args.quick else (args.n, args.d, args.repeat)
    only = set(args.only.split(",")) - {""} or {"ridge", "lasso", "logistic", "sgd"}
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
    return rows


if __name__ == "__main__":
    main()
