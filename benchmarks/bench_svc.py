"""KernelSVC (our SMO) against scikit-learn's SVC (libsvm), side by side in one process.

Runs are interleaved (ours, theirs, ours, theirs, ...) and the best time of each is kept, because
the machine may be shared. Numba compilation is excluded by a warm-up fit; the first fit of the
process (numba cache load or compile) is reported separately as the cold first call.

Printed per case: fit times, the ratio sklearn / ours (> 1: ours is faster), agreement of the
predictions on held-out data, and the relative difference of the dual objective
``1/2 alpha^T Q alpha - sum(alpha)`` (binary cases; the value libsvm prints as "obj").

With ``--reference-tol T`` each case also fits SVC once at ``tol=T`` and prints how often ours
and SVC at the default tol agree with it ("ref ours/sk"): both stop at ``tol=1e-3``, so where the
problem is ill-conditioned neither is the exact optimum, and their agreement with each other is
bounded by libsvm's own distance from it.

The ``many`` case (not run by default) fits 1,000 classes of two samples each (n = 2,000, d = 3;
100 classes with ``--quick``) and prints fit and predict times and the peak memory traced during
the fit (``tracemalloc``; numpy reports its buffers to it), ours and SVC's.

Usage: ``python benchmarks/bench_svc.py [--quick] [--repeats R]
[--cases rbf,linear,poly,digits,many] [--sizes 2000,5000,10000,20000] [--reference-tol 1e-5]``
"""

import argparse
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sklearn_notes.svm import KernelSVC
from sklearn_notes.svm._kernels import kernel_matrix


def dual_objective(model, gamma):
    """1/2 c^T K c - sum |c| over the support vectors (c = y alpha), K in float64 blocks."""
    sv, c = model.support_vectors_, model.dual_coef_[0]
    kernel = "rbf" if model.kernel == "gaussian" else model.kernel
    quad = 0.0
    for start in range(0, len(sv), 2000):
        block = kernel_matrix(
            sv[start : start + 2000],
            sv,
            kernel,
            gamma=gamma,
            degree=model.degree,
            coef0=model.coef0,
        )
        quad += c[start : start + 2000] @ (block @ c)
    return 0.5 * quad - np.abs(c).sum()


def timed_fit(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def run_case(name, X, y, params, repeats, binary=True, reference_tol=None):
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    ours_t, theirs_t = [], []
    for _ in range(repeats):  # interleaved: ours, theirs, ours, theirs
        ours = KernelSVC(**params)
        ours_t.append(timed_fit(ours, X_train, y_train))
        theirs = SVC(**params)
        theirs_t.append(timed_fit(theirs, X_train, y_train))
    p_ours, p_theirs = ours.predict(X_test), theirs.predict(X_test)
    row = dict(
        case=name,
        n=len(X_train),
        d=X.shape[1],
        ours=min(ours_t),
        sklearn=min(theirs_t),
        ratio=min(theirs_t) / min(ours_t),
        agreement=np.mean(p_ours == p_theirs),
        acc_ours=np.mean(p_ours == y_test),
        acc_sklearn=np.mean(p_theirs == y_test),
        pairs_ours=int(ours.n_iter_.sum()),
        pairs_sklearn=int(theirs.n_iter_.sum()),
        n_sv=(int(ours.n_support_.sum()), int(theirs.n_support_.sum())),
    )
    if binary:
        o, t = dual_objective(ours, ours._gamma), dual_objective(theirs, theirs._gamma)
        row["dual_rel_diff"] = (o - t) / abs(t)
    if reference_tol is not None:
        p_ref = SVC(**params, tol=reference_tol).fit(X_train, y_train).predict(X_test)
        row["reference"] = (np.mean(p_ours == p_ref), np.mean(p_theirs == p_ref))
    return row


def run_many_classes(n_classes):
    """Fit and predict time, and peak traced memory of the fit, for n_classes of two samples."""
    rng = np.random.RandomState(0)
    X, y = rng.randn(2 * n_classes, 3), np.repeat(np.arange(n_classes), 2)
    print(f"\n{n_classes} classes, n = {len(X)}, d = 3 ({n_classes * (n_classes - 1) // 2} pairs)")
    for name, model in (("ours", KernelSVC()), ("SVC", SVC())):
        tracemalloc.start()
        start = time.perf_counter()
        model.fit(X, y)
        fit_time = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        start = time.perf_counter()
        accuracy = np.mean(model.predict(X) == y)
        print(
            f"{name:<5} fit {fit_time:8.2f}s  predict {time.perf_counter() - start:8.2f}s  "
            f"peak traced memory of the fit {peak / 2**20:8.1f} MB  training accuracy "
            f"{accuracy:.3f}",
            flush=True,
        )


def print_row(r):
    dual = f"{r['dual_rel_diff']:+.1e}" if "dual_rel_diff" in r else "   -   "
    print(
        f"{r['case']:<16} {r['n']:>6} {r['d']:>4}  {r['ours']:8.2f}s {r['sklearn']:8.2f}s  "
        f"{r['ratio']:6.2f}x  {100 * r['agreement']:7.3f}%  {dual:>8}  "
        f"{r['acc_ours']:.4f}/{r['acc_sklearn']:.4f}  {r['pairs_ours']:>9}/{r['pairs_sklearn']:<9} "
        f"{r['n_sv'][0]}/{r['n_sv'][1]}"
        + (
            f"   ref {100 * r['reference'][0]:.2f}%/{100 * r['reference'][1]:.2f}%"
            if "reference" in r
            else ""
        ),
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--cases", default="rbf,linear,poly,digits")
    parser.add_argument("--sizes", default="2000,5000,10000,20000")
    parser.add_argument(
        "--reference-tol", type=float, default=None, help="also fit SVC at this tol as reference"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore", FutureWarning)
    cases = args.cases.split(",")
    sizes = [int(s) for s in args.sizes.split(",")]
    repeats = args.repeats
    ref = args.reference_tol
    if args.quick:
        sizes, repeats = [1000], 1

    # Cold first call: numba's compiled SMO comes from its on-disk cache (or is compiled) here.
    X0, y0 = make_classification(n_samples=200, n_features=5, random_state=0)
    start = time.perf_counter()
    KernelSVC().fit(X0, y0)
    print(
        "cold first fit (n=200, includes numba cache load/compile): "
        f"{time.perf_counter() - start:.2f}s"
    )
    start = time.perf_counter()
    KernelSVC().fit(X0, y0)
    print(f"warm fit of the same problem: {time.perf_counter() - start:.3f}s\n")

    print(
        f"{'case':<16} {'n':>6} {'d':>4}  {'ours':>9} {'sklearn':>9}  {'ratio':>7}  {'agree':>8}  "
        f"{'dual rel':>8}  acc ours/sk     pairs ours/sk       n_SV ours/sk"
    )
    # Test sizes are a quarter of the data: generate n / 0.75 samples for n training samples.
    if "rbf" in cases:
        for n in sizes:
            X, y = make_classification(
                n_samples=int(n / 0.75), n_features=50, n_informative=20, random_state=0
            )
            print_row(
                run_case("rbf C=1", X, y, dict(kernel="rbf", C=1.0), repeats, reference_tol=ref)
            )
    if "linear" in cases:
        n = 1000 if args.quick else 3750
        d = 200 if args.quick else 800
        X, y = make_classification(
            n_samples=int(n / 0.75), n_features=d, n_informative=20, random_state=0
        )
        print_row(
            run_case("linear C=1", X, y, dict(kernel="linear", C=1.0), repeats, reference_tol=ref)
        )
    if "poly" in cases:
        n = 1000 if args.quick else 5000
        X, y = make_classification(
            n_samples=int(n / 0.75), n_features=50, n_informative=20, random_state=1
        )
        params = dict(kernel="poly", degree=3, coef0=1.0, C=1.0)
        print_row(run_case("poly d=3 C=1", X, y, params, repeats, reference_tol=ref))
    if "digits" in cases:
        X, y = load_digits(return_X_y=True)
        print_row(run_case("digits (10 cls)", X, y, dict(kernel="rbf", C=1.0), repeats, False, ref))
    if "many" in cases:
        run_many_classes(100 if args.quick else 1000)


if __name__ == "__main__":
    main()
