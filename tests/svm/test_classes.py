"""KernelSVC: the notes' claims (KKT, support vectors, C and margin, hard margin), SVC parity."""

import warnings

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris, make_blobs, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.svm import SVC

from sklearn_notes.svm import KernelSVC
from sklearn_notes.svm._kernels import kernel_matrix
from tests.svm._strategies import binary_problems, points

KERNELS = ["linear", "poly", "rbf", "sigmoid"]


def _binary_problem(seed, n, d=3):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    y = (X[:, 0] + 0.7 * rng.randn(n) > 0).astype(int)
    y[:2] = [0, 1]  # both classes present
    return X, y


def _alpha_and_margins(clf, X, y):
    """alpha_i for every training sample and the margins y_i f(x_i) (y in {-1, +1})."""
    alpha = np.zeros(len(X))
    alpha[clf.support_] = np.abs(clf.dual_coef_[0])
    sign = np.where(y == clf.classes_[1], 1.0, -1.0)
    return alpha, sign, sign * clf.decision_function(X)


# Few enough pair updates to keep a draw fast, ten times what converging draws took at tol=1e-6:
# a few draws (linear kernels on points hypothesis drew) take SMO, libsvm's as well, 10^7 to
# 10^8 of them to a tol of 1e-6 or below.
MAX_ITER = 100_000


def _has_free(alpha, C):
    """Whether a multiplier is free, i.e. b unique: not within round-off of either bound (a
    multiplier of 7e-18, at the parity test's @example, or of C - 1e-16, on drawn data whose
    multipliers are all at C, leaves the interval of optimal b as wide as none)."""
    return bool(np.any((alpha > 1e-12 * C) & (alpha < C * (1 - 1e-12))))


def _fit_to_optimum(estimator, X, y):
    """Fit, or skip the draw where ``max_iter`` stopped the solver: the properties are about
    optima, and such a fit is none."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(X, y)
    assume(not any(issubclass(w.category, ConvergenceWarning) for w in caught))
    return estimator


# Drawn by hypothesis: a cubic kernel (gamma=1.85, coef0=0.5) reaching 7e3 on these points.
CUBIC_TO_7E3 = (
    np.array(
        [[2653, 18, 1122], [229, 464, -126], [2460, -145, 224], [3000, 6, 877], [142, 149, 1080]]
        + [[95, 2746, -555], [247, 894, -1375], [-227, -207, 1002], [-783, -392, -329]]
        + [[2326, 188, 321], [462, -82, 1415], [435, -357, 3000], [-306, -122, 436]]
        + [[-1464, -2845, 159], [-222, 15, 854], [162, 1519, -1630], [717, 307, 167]]
        + [[284, -114, -116], [353, -250, -1425], [2179, 215, -1348], [143, -1314, 0], [856, 6, 0]]
    )
    / 1000,
    np.array([0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1]),
)


@settings(max_examples=25, deadline=None)
@given(
    problem=binary_problems(8, 40),
    C=st.floats(0.1, 10.0),
    gamma=st.floats(0.05, 2.0),
    kernel=st.sampled_from(KERNELS),
)
@example(problem=CUBIC_TO_7E3, C=6.776987594757211, gamma=1.85123515205692, kernel="poly")
def test_kernelsvc_solution_satisfies_kkt(problem, C, gamma, kernel):
    X, y = problem
    params = dict(gamma=gamma, degree=3, coef0=0.5 if kernel != "sigmoid" else 0.0)
    clf = KernelSVC(C=C, kernel=kernel, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clf.set_params(tol=1e-6, max_iter=MAX_ITER).fit(X, y)
    violation = clf.kkt_violation_[0]
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    assert (violation < 1e-6) != warned  # converged, or warned that it did not
    alpha, sign, margin = _alpha_and_margins(clf, X, y)
    # Slack: the violation reached, plus the float32 kernel's round-off, which scales with the
    # terms of y_i f(x_i) = sum_j y_i y_j alpha_j K_ij + y_i b, not with 1: up to ~40 float32
    # ulps of them in 1,200 draws (the RBF's exponent comes from squared norms up to ~50). At
    # the @example, cubic kernel values up to 7e3 put a free margin 1.2e-3 off 1 (libsvm, which
    # rounds a float64 kernel once, 7e-5 off), past a slack of 1e-4 (1 + sum alpha).
    K = kernel_matrix(X, X, kernel, **params)
    slack = violation + 1e-5 * (1 + np.abs(K) @ alpha)
    assert np.all(alpha >= 0) and np.all(alpha <= C * (1 + 1e-12))  # dual feasibility
    assert abs(alpha @ sign) <= 1e-9 * (1 + alpha.sum())  # sum alpha_i y_i = 0
    at_zero = alpha == 0
    free = (alpha > 0) & (alpha < C)
    at_c = alpha >= C
    assert np.all(margin[at_zero] >= 1 - slack[at_zero])  # alpha = 0  => y f >= 1
    assert np.all(np.abs(margin[free] - 1) <= slack[free])  # 0 < alpha < C => y f = 1
    assert np.all(margin[at_c] <= 1 + slack[at_c])  # alpha = C => y f <= 1


def _sklearn_objective(svc, X):
    K = kernel_matrix(
        svc.support_vectors_,
        svc.support_vectors_,
        svc.kernel,
        gamma=svc._gamma,
        degree=svc.degree,
        coef0=svc.coef0,
    )
    c = svc.dual_coef_[0]
    return 0.5 * c @ K @ c - np.abs(c).sum()


@settings(max_examples=20, deadline=None)
@given(
    problem=binary_problems(20, 60),
    X_test=points(20),
    C=st.floats(0.1, 10.0),
    kernel=st.sampled_from(["linear", "poly", "rbf"]),
)
@example(
    problem=_binary_problem(6377, 20),
    X_test=_binary_problem(6378, 200)[0],
    C=0.1015625,
    kernel="linear",
)
def test_kernelsvc_dual_objective_and_predictions_match_svc(problem, X_test, C, kernel):
    X, y = problem
    X_test = np.vstack([X, X_test])
    params = dict(C=C, kernel=kernel, gamma="scale", coef0=1.0, degree=2, tol=1e-6)
    ours = _fit_to_optimum(KernelSVC(**params, max_iter=MAX_ITER), X, y)
    theirs = _fit_to_optimum(SVC(**params, max_iter=MAX_ITER), X, y)
    ref = _sklearn_objective(theirs, X)
    assert ours.dual_objective_[0] == pytest.approx(ref, rel=1e-4, abs=1e-6)
    f_ours, f_theirs = ours.decision_function(X_test), theirs.decision_function(X_test)
    alpha = np.abs(ours.dual_coef_[0])
    if not _has_free(alpha, C):
        # No free multiplier: the optimum only bounds b (both solvers take a point of the interval,
        # libsvm then also counts multipliers of 1e-17 as free), so compare sum_i y_i a_i K(x_i, x).
        f_ours, f_theirs = f_ours - ours.intercept_, f_theirs - theirs.intercept_
    np.testing.assert_allclose(f_ours, f_theirs, atol=2e-3 * (1 + np.abs(f_theirs).max()))
    # away from the boundary (and from the b interval) the predicted labels must agree
    clear = np.abs(theirs.decision_function(X_test)) > 1e-2 + np.abs(
        ours.intercept_ - theirs.intercept_
    )
    np.testing.assert_array_equal(ours.predict(X_test)[clear], theirs.predict(X_test)[clear])


@settings(max_examples=15, deadline=None)
@given(
    problem=binary_problems(16, 48),
    X_test=points(20),
    gamma=st.floats(0.05, 2.0),
    kernel=st.sampled_from(["linear", "poly", "rbf"]),
)
def test_kernelsvc_refit_on_support_vectors_gives_same_decision_function(
    problem, X_test, gamma, kernel
):
    # PSD kernels only: with the sigmoid kernel the dual is not convex, SMO finds *a* KKT point, and
    # the problem restricted to the support vectors can have another one (hypothesis finds such).
    X, y = problem
    X_test = np.vstack([X, X_test])  # (the dropped training points too)
    params = dict(C=2.0, kernel=kernel, gamma=gamma, coef0=0.5, tol=1e-9, max_iter=MAX_ITER)
    full = _fit_to_optimum(KernelSVC(**params), X, y)
    sv = _fit_to_optimum(KernelSVC(**params), X[full.support_], y[full.support_])
    f_full, f_sv = full.decision_function(X_test), sv.decision_function(X_test)
    alpha = np.abs(full.dual_coef_[0])
    if not _has_free(alpha, 2.0):
        # No free multiplier: the optimum only bounds b, also by the margins of the points with
        # alpha = 0, which the refit drops (hypothesis found such: alternating labels on points
        # near 0, every multiplier at C), so compare sum_i y_i a_i K(x_i, x).
        f_full, f_sv = f_full - full.intercept_, f_sv - sv.intercept_
    np.testing.assert_allclose(f_sv, f_full, atol=1e-5, rtol=1e-5)


@settings(max_examples=15, deadline=None)
@given(
    problem=binary_problems(10, 40, n_features=2),
    C_small=st.floats(0.01, 1.0),
    factor=st.floats(1.5, 100.0),
)
def test_kernelsvc_larger_c_narrower_margin_and_less_slack(problem, C_small, factor):
    # For exact optima, ||w|| grows and sum xi_i shrinks with C. The solver's optimum is exact for
    # its kernel matrix rounded to float32 (libsvm's cache rounds it too), which is indefinite by
    # rounding once n > d + 1; hypothesis shrank the exact form's failure to a draw whose optimum
    # is w = 0 at both C, ordered by that rounding alone. So each fit is measured in float64 by
    # its duality gap eps (no more than the rounding can open), and the theorem for eps-optimal
    # fits is asserted: (C2 - C1)(xi2 - xi1) <= eps1 + eps2, and
    # ||w2||^2 / 2 >= ||w1||^2 / 2 - eps1 - C1 (eps1 + eps2) / (C2 - C1).
    X, y = problem
    K = X @ X.T
    sign = np.where(y == 1, 1.0, -1.0)
    fits = []
    for C in (C_small, C_small * factor):
        clf = _fit_to_optimum(KernelSVC(C=C, kernel="linear", tol=1e-8, max_iter=MAX_ITER), X, y)
        coef = np.zeros(len(y))
        coef[clf.support_] = clf.dual_coef_[0]  # y_i alpha_i
        alpha = np.abs(coef)
        square = coef @ K @ coef  # ||w||^2
        slack = np.maximum(0, 1 - sign * (K @ coef + clf.intercept_[0])).sum()
        gap = square + C * slack - alpha.sum()  # primal minus dual objective
        # what a relative rounding of 2^-24 per kernel entry can open at an exact optimum
        rounding = 2.0**-24 * (alpha @ np.abs(K) @ alpha + C * (np.abs(K) @ alpha).sum())
        stopped_at_tol = C * len(y) * clf.kkt_violation_[0]  # (an optimum that is not polished)
        assert gap <= rounding + stopped_at_tol + 1e-12 * (1 + alpha.sum() + square)
        fits.append((square, slack, max(gap, 0.0)))
    (square_small, slack_small, eps_small), (square_large, slack_large, eps_large) = fits
    room = (eps_small + eps_large) / (C_small * factor - C_small)
    # total slack sum xi_i shrinks
    assert slack_large <= slack_small + room + 1e-12 * (1 + slack_small)
    # geometric margin 2/||w|| narrows: ||w|| grows
    tolerance = 2 * (eps_small + C_small * room) + 1e-12 * (1 + square_small)
    assert square_large >= square_small - tolerance


def test_kernelsvc_larger_c_fewer_margin_violations():
    X, y = make_classification(
        n_samples=200, n_features=2, n_redundant=0, flip_y=0.05, class_sep=1.0, random_state=0
    )
    violations = []
    for C in (0.01, 0.1, 1.0, 10.0, 100.0):
        clf = KernelSVC(C=C, kernel="linear").fit(X, y)
        _, _, margin = _alpha_and_margins(clf, X, y)
        violations.append(int(np.sum(margin < 1 - 1e-3)))
    assert violations == sorted(violations, reverse=True)
    assert violations[0] > violations[-1]


@settings(max_examples=15, deadline=None)
@given(
    problem=binary_problems(4, 40, n_features=2, separation=4.0),
    kernel=st.sampled_from(["linear", "rbf", "poly"]),
    gamma=st.floats(0.05, 2.0),
)
def test_kernelsvc_hard_margin_on_separable_data(problem, kernel, gamma):
    # (linearly separable: so in the degree-2 polynomial and the RBF feature spaces too)
    X, y = problem
    clf = KernelSVC(C=np.inf, kernel=kernel, gamma=gamma, coef0=1.0, degree=2).fit(X, y)
    _, _, margin = _alpha_and_margins(clf, X, y)
    assert margin.min() >= 1 - 1e-3
    assert clf.score(X, y) == 1.0


def test_kernelsvc_hard_margin_zero_weight_removes_the_sample():
    X = np.array([[0.0, 0], [1, 1], [0, 1], [1, 0]])
    y = np.array([0, 0, 1, 1])  # XOR: not separable, until (1, 1) gets a weight of 0
    clf = KernelSVC(C=np.inf, kernel="linear").fit(X, y, sample_weight=[1, 0, 1, 1])
    kept = KernelSVC(C=np.inf, kernel="linear").fit(X[[0, 2, 3]], y[[0, 2, 3]])
    np.testing.assert_allclose(clf.decision_function(X), kept.decision_function(X), atol=1e-8)
    assert 1 not in clf.support_


@pytest.mark.parametrize(
    "X, y, kernel",
    [
        (np.array([[0.0, 0], [1, 1], [0, 1], [1, 0]]), np.array([0, 0, 1, 1]), "linear"),  # XOR
        (np.array([[0.0, 0], [0, 0], [1, 1]]), np.array([0, 1, 1]), "rbf"),  # conflicting twins
    ],
)
def test_kernelsvc_hard_margin_on_non_separable_data_raises(X, y, kernel):
    with pytest.raises(ValueError, match="not separable"):
        KernelSVC(C=np.inf, kernel=kernel).fit(X, y)


def test_kernelsvc_multiclass_matches_svc_attributes():
    X, y = load_iris(return_X_y=True)
    ours = KernelSVC(tol=1e-6).fit(X, y)
    theirs = SVC(tol=1e-6).fit(X, y)
    np.testing.assert_array_equal(ours.n_support_, theirs.n_support_)
    np.testing.assert_array_equal(ours.support_, theirs.support_)
    np.testing.assert_allclose(ours.dual_coef_, theirs.dual_coef_, atol=1e-3)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-3)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    for shape in ("ovr", "ovo"):
        ours.set_params(decision_function_shape=shape)
        theirs.set_params(decision_function_shape=shape)
        np.testing.assert_allclose(
            ours.decision_function(X), theirs.decision_function(X), atol=1e-3
        )
    assert ours.n_iter_.shape == (3,) and ours.kkt_violation_.shape == (3,)
    assert ours.shape_fit_ == X.shape


def test_kernelsvc_break_ties_predicts_argmax_of_ovr_scores():
    X, y = make_blobs(n_samples=90, centers=3, cluster_std=3.0, random_state=0)
    clf = KernelSVC(break_ties=True).fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), np.argmax(clf.decision_function(X), axis=1))
    # scikit-learn's behaviour: fit accepts the combination, predict refuses it
    ovo = KernelSVC(break_ties=True, decision_function_shape="ovo").fit(X, y)
    assert ovo.decision_function(X).shape == (90, 3)
    with pytest.raises(ValueError, match="break_ties must be False"):
        ovo.predict(X)


def test_kernelsvc_sample_weight_scales_c_and_class_weight_is_per_class_weight():
    X, y = _binary_problem(0, 50)
    a = KernelSVC(C=2.0, tol=1e-9).fit(X, y)
    b = KernelSVC(C=1.0, tol=1e-9).fit(X, y, sample_weight=np.full(50, 2.0))
    np.testing.assert_allclose(a.decision_function(X), b.decision_function(X), atol=1e-7)
    # (fixed gamma: "scale" weighs the variance by sample_weight, not by class_weight)
    c = KernelSVC(class_weight={0: 3.0, 1: 0.5}, gamma=0.5, tol=1e-9).fit(X, y)
    d = KernelSVC(gamma=0.5, tol=1e-9).fit(X, y, sample_weight=np.where(y == 0, 3.0, 0.5))
    np.testing.assert_allclose(c.decision_function(X), d.decision_function(X), atol=1e-7)


def test_kernelsvc_precomputed_and_callable_kernels_equal_rbf():
    X, y = _binary_problem(3, 70)
    X_test, _ = _binary_problem(4, 20)
    rbf = KernelSVC(kernel="rbf", gamma=0.3, tol=1e-9).fit(X, y)
    pre = KernelSVC(kernel="precomputed", tol=1e-9).fit(rbf_kernel(X, gamma=0.3), y)
    call = KernelSVC(kernel=lambda A, B: rbf_kernel(A, B, gamma=0.3), tol=1e-9).fit(X, y)
    expected = rbf.decision_function(X_test)
    # (float32 kernel blocks from X or from the Gram matrix round differently: 1e-5, not 1e-12)
    np.testing.assert_allclose(
        pre.decision_function(rbf_kernel(X_test, X, gamma=0.3)), expected, atol=1e-5
    )
    np.testing.assert_allclose(call.decision_function(X_test), expected, atol=1e-5)
    assert pre.support_vectors_.shape == (0, 0)
    with pytest.raises(ValueError, match="square"):
        KernelSVC(kernel="precomputed").fit(X, y)


def test_kernelsvc_probability_is_platt_scaling_with_internal_cv():
    X, y = load_iris(return_X_y=True)
    clf = KernelSVC(probability=True, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))
    assert np.mean(clf.classes_[proba.argmax(axis=1)] == clf.predict(X)) > 0.95
    assert clf.probA_.shape == (3,) and np.all(clf.probA_ < 0)  # larger f -> more likely
    # Same seed, same folds: identical probabilities; and close to libsvm's own Platt scaling.
    again = KernelSVC(probability=True, random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), proba)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        ref = SVC(probability=True, random_state=0).fit(X, y).predict_proba(X)
    assert np.abs(proba - ref).max() < 0.15
    assert not hasattr(KernelSVC(), "predict_proba")


def test_kernelsvc_max_iter_warns():
    X, y = _binary_problem(5, 200)
    with pytest.warns(ConvergenceWarning, match=r"after [0-3] pair updates \(max_iter=3\)"):
        clf = KernelSVC(max_iter=3).fit(X, y)
    assert clf.n_iter_[0] <= 3 and clf.kkt_violation_[0] >= clf.tol


def test_kernelsvc_rejects_bad_input():
    X, y = _binary_problem(6, 20)
    with pytest.raises(ValueError, match="at least 2"):
        KernelSVC().fit(X, np.zeros(20))
    with pytest.raises(ValueError, match="C"):
        KernelSVC(C=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="kernel"):
        KernelSVC(kernel="laplace").fit(X, y)


def test_kernelsvc_rbf_gamma_raises_training_accuracy_while_test_accuracy_peaks_then_falls():
    # The notes: "RBF gamma higher -> accuracy higher (overfitting)". True of training accuracy
    # only. The data and the grid of examples/plot_svm_kernels.py (make_moons, 300 + 300 points,
    # C = 1), whose numbers doc/svm.rst quotes.
    from sklearn.datasets import make_moons
    from sklearn.model_selection import train_test_split

    X, y = make_moons(n_samples=600, noise=0.3, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
    gammas = np.logspace(-2, 3, 16)
    train, test = [], []
    for gamma in gammas:
        clf = KernelSVC(C=1.0, kernel="rbf", gamma=gamma).fit(X_train, y_train)
        train.append(clf.score(X_train, y_train))
        test.append(clf.score(X_test, y_test))
    train, test = np.array(train), np.array(test)
    # training accuracy rises: 0.843 -> 1.000, never more than one point (0.7 %) below its running
    # maximum
    assert train[0] == pytest.approx(0.843, abs=0.005) and train[-1] == 1.0
    assert np.all(train >= np.maximum.accumulate(train) - 0.01)
    # test accuracy peaks at a moderate gamma (21.5: 0.887), then falls to 0.653
    best = int(np.argmax(test))
    assert 0 < best < len(gammas) - 1
    assert gammas[best] == pytest.approx(21.5, rel=0.01) and test[best] == pytest.approx(
        0.887, abs=0.005
    )
    assert test[-1] == pytest.approx(0.653, abs=0.005)
    assert np.all(np.diff(test[best:]) <= 0)  # falls all the way after the peak
    assert test[best] - test[-1] > 0.2 and train[-1] - test[-1] > 0.3  # the overfitting gap


def test_prediction_works_in_blocks_of_bounded_memory(monkeypatch):
    # The (rows, n_support) kernel block was built for every row at once: 1.2 GB to predict
    # 50,000 rows against 2,720 support vectors. Blocks now hold PREDICT_CHUNK values at most.
    import tracemalloc

    from sklearn_notes.svm import _classes

    X, y = make_blobs(600, centers=3, cluster_std=3.0, random_state=0)
    clf = KernelSVC(probability=True, random_state=0).fit(X, y)
    X_new = np.random.default_rng(0).normal(scale=5.0, size=(6000, 2))
    whole = clf.decision_function(X_new), clf.predict_proba(X_new), clf.predict(X_new)
    n_support = clf.support_vectors_.shape[0]
    assert n_support > 100
    monkeypatch.setattr(_classes, "PREDICT_CHUNK", 8 * n_support)  # blocks of 8 rows
    tracemalloc.start()
    blocked = clf.decision_function(X_new), clf.predict_proba(X_new), clf.predict(X_new)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    for a, b in zip(whole, blocked):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
    # far below one kernel block of all the rows (6000 x n_support float64)
    assert peak < 6000 * n_support * 8 / 4
