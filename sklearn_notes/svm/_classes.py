"""KernelSVC: the notes' hard/soft-margin, kernel SVM, trained by our own SMO (concept map
rows 9-17).

The notes' primal, for C-SVM with slacks :math:`\\xi_i` (hard margin: :math:`C = \\infty`,
no slack):

.. math::

    \\min_{w, b, \\xi} \\tfrac12 \\lVert w \\rVert^2 + \\sum_i C_i \\xi_i
    \\quad \\text{s.t.} \\quad y_i (w^\\top \\phi(x_i) + b) \\ge 1 - \\xi_i,\\; \\xi_i \\ge 0,

whose Lagrange dual is the QP solved in :mod:`sklearn_notes.svm._smo`. Only the support vectors
(:math:`\\alpha_i > 0`) enter the decision function :math:`f(x) = \\sum_i y_i \\alpha_i K(x_i, x) +
b`. Multi-class problems are split one-vs-one, as libsvm (and so scikit-learn's ``SVC``) does; the
attributes follow ``SVC``'s layout so that either can be read the same way.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils import check_random_state, compute_class_weight
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ..utils import atomic_fit
from ._kernels import (
    KERNELS,
    KernelRows,
    check_precomputed_range,
    kernel_matrix,
    resolve_gamma,
)
from ._smo import solve_binary

__all__ = ["KernelSVC"]

# Folds of the internal cross-validation that gives Platt scaling its decision values (libsvm: 5).
N_PROBABILITY_FOLDS = 5

# Prediction works through the rows in blocks of at most this many values (kernel values to the
# support vectors, decision values, pairwise probabilities): 32 MB of float64, whatever n is.
PREDICT_CHUNK = 2**22

# One-vs-one coefficients up to this many entries are kept dense, more (many classes) sparse.
DENSE_OVO = 2**22


# --- Platt scaling and pairwise coupling (probability=True) -------------------------------------


def fit_platt(decision, positive):
    """Fit Platt's sigmoid ``P(positive | f) = 1 / (1 + exp(A f + B))`` by maximum likelihood.

    Uses Platt's regularized targets ``(N+ + 1) / (N+ + 2)`` and ``1 / (N- + 2)`` (Platt 1999;
    Lin, Lin & Weng 2007), which keep ``A`` finite on separable decision values.

    Parameters
    ----------
    decision : ndarray of shape (n,)
        Held-out decision values.
    positive : ndarray of shape (n,), bool
        Whether each sample belongs to the positive class.

    Returns
    -------
    A, B : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.svm._classes import fit_platt
    >>> A, B = fit_platt(np.array([-2.0, -1.0, 1.0, 2.0]), np.array([False, False, True, True]))
    >>> bool(A < 0)  # larger decision values -> more likely positive
    True
    """
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    t = np.where(positive, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))

    def nll(params):
        f = params[0] * decision + params[1]
        # -log P = t log(1 + e^f) + (1 - t) log(1 + e^-f); gradient in f: sigmoid(f) - (1 - t).
        loss = np.sum(t * np.logaddexp(0, f) + (1 - t) * np.logaddexp(0, -f))
        r = expit(f) - (1 - t)
        return loss, np.array([r @ decision, r.sum()])

    start = np.array([0.0, np.log((n_neg + 1.0) / (n_pos + 1.0))])
    result = minimize(nll, start, jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


def couple_pairwise(r):
    """Multi-class probabilities from pairwise ones (Wu, Lin & Weng 2004, method 2; libsvm's).

    Solves :math:`\\min_p \\tfrac12 \\sum_{s<t} (r_{ts} p_s - r_{st} p_t)^2` subject to
    :math:`\\sum_t p_t = 1`, a linear system of size ``n_classes + 1`` per sample.

    Parameters
    ----------
    r : ndarray of shape (n_samples, n_classes, n_classes)
        ``r[:, s, t]`` estimates ``P(y = s | y in {s, t}, x)``; ``r[:, t, s] = 1 - r[:, s, t]``.

    Returns
    -------
    p : ndarray of shape (n_samples, n_classes)
        Rows sum to 1.
    """
    n, k, _ = r.shape
    Q = -r.transpose(0, 2, 1) * r  # Q_st = -r_ts r_st  (s != t)
    off = ~np.eye(k, dtype=bool)
    # Q_tt = sum_s r_st^2
    diag = np.sum(np.where(off[None], r.transpose(0, 2, 1) ** 2, 0.0), axis=2)
    Q[:, np.arange(k), np.arange(k)] = diag
    A = np.zeros((n, k + 1, k + 1))
    A[:, :k, :k] = Q
    A[:, :k, k] = 1.0
    A[:, k, :k] = 1.0
    rhs = np.zeros((n, k + 1, 1))
    rhs[:, k] = 1.0
    p = np.linalg.solve(A, rhs)[:, :k, 0]
    p = np.clip(p, 0.0, None)
    return p / p.sum(axis=1, keepdims=True)


def _rows_per_block(values_per_row):
    """Rows per prediction block, for blocks of ``PREDICT_CHUNK`` values at most."""
    return max(1, PREDICT_CHUNK // max(int(values_per_row), 1))


def _ovo_coefficients(solutions, slot, y_index, pairs, n_support):
    """The (n_SV, n_pairs) matrix whose column p holds y_i alpha_i of pair p (libsvm's sign: +1
    for the pair's first class) at the support vectors' positions, from each pair's own
    multipliers: sparse when dense would be large (many classes; its non-zeros are
    O(n_SV * n_classes))."""
    rows = np.concatenate([slot[sv] for sv, _ in solutions])
    cols = np.repeat(np.arange(len(pairs)), [sv.size for sv, _ in solutions])
    vals = np.concatenate(
        [np.where(y_index[sv] == a, alpha, -alpha) for (a, _), (sv, alpha) in zip(pairs, solutions)]
    )
    shape = (n_support, len(pairs))
    if n_support * len(pairs) <= DENSE_OVO:
        W = np.zeros(shape)
        W[rows, cols] = vals
        return W
    return sp.csc_array((vals, (rows, cols)), shape=shape)


# --- the estimator -----------------------------------------------------------------------------


class KernelSVC(ClassifierMixin, BaseEstimator):
    """C-support-vector classifier with kernels, solved by a from-scratch SMO (no libsvm).

    Solves the dual QP of the notes' soft-margin SVM (hard margin with ``C=np.inf``) by working-set
    decomposition with a numba-compiled, second-order SMO inside (:mod:`sklearn_notes.svm._smo`);
    kernel values come in BLAS blocks through a float32 row cache. Multi-class problems are split
    one-vs-one. Parameters and attributes are those of :class:`sklearn.svm.SVC`.

    Parameters
    ----------
    C : float, default=1.0
        Penalty of the slacks, ``> 0``; ``np.inf`` is the hard-margin SVM. Sample ``i`` gets the
        bound ``C * class_weight[y_i] * sample_weight[i]`` on its multiplier.
    kernel : {"linear", "poly", "rbf", "gaussian", "sigmoid", "precomputed"} or callable, default="rbf"
        ``"gaussian"`` is the notes' name of ``"rbf"``. A callable ``kernel(X, Y)`` returns the
        ``(n_X, n_Y)`` kernel matrix; ``"precomputed"`` takes Gram matrices as ``X``.
    degree : int, default=3
        Degree of the polynomial kernel.
    gamma : {"scale", "auto"} or float, default="scale"
        Kernel coefficient of "rbf", "poly" and "sigmoid": ``"scale"`` is
        ``1 / (n_features * X.var())`` (variance weighted by ``sample_weight``), ``"auto"`` is
        ``1 / n_features``.
    coef0 : float, default=0.0
        Independent term of "poly" and "sigmoid".
    shrinking : bool, default=True
        Whether to use libsvm's shrinking heuristic.
    probability : bool, default=False
        Fit Platt scaling by internal 5-fold cross-validation, so that ``predict_proba`` is
        available (slower fit, as in libsvm).
    tol : float, default=1e-3
        Stopping tolerance of SMO on the maximal KKT violation ``m(alpha) - M(alpha)``. SMO's
        solution is then polished: the KKT equations on its free multipliers are solved exactly
        (float64), which gives the exact optimum whenever SMO has found the optimum's free set
        (see ``sklearn_notes.svm._polish``); when it has not, SMO goes on to ``tol / 100`` once
        and the polish is tried again.
    cache_size : float, default=200
        Size of the kernel row cache, in MB. The cache holds at least one working set's rows
        (up to 2,048 rows of ``n_samples`` float32 values: 328 MB at 40,000 samples), so a fit on
        many samples uses more memory than ``cache_size`` (about 2-4x ``SVC``'s at 20,000-40,000
        samples, growing linearly in ``n_samples``).
    class_weight : dict or "balanced", default=None
        Multiplies ``C`` per class; "balanced" uses ``n_samples / (n_classes * bincount(y))``.
    verbose : bool, default=False
        Print the solver's progress as libsvm does: per binary problem, lines with the pair
        updates, the KKT violation ``m - M``, the support vectors (and those at ``C``) and the
        Newton steps, then libsvm's summary (``#iter``, ``obj``, ``rho``, ``nSV``, ``nBSV``);
        finally the total number of support vectors.
    max_iter : int, default=-1
        Limit on the pair updates of each binary problem (a Newton step counts as one); -1 for
        libsvm's limit ``max(10**7, 100 n)`` (``max(10**6, 100 n)`` with ``C=np.inf``, past which
        the data count as not separable). Stopping there warns with a ``ConvergenceWarning``.
    decision_function_shape : {"ovr", "ovo"}, default="ovr"
        Shape of ``decision_function`` for more than two classes: one-vs-rest scores
        ``(n_samples, n_classes)`` built from the one-vs-one ones, or those
        ``(n_samples, n_classes * (n_classes - 1) / 2)``.
    break_ties : bool, default=False
        With ``decision_function_shape="ovr"`` and more than two classes, predict by the argmax of
        ``decision_function`` instead of one-vs-one votes (ties of votes then go to the larger
        score).
    random_state : int, RandomState instance or None, default=None
        Seeds the folds of the internal cross-validation of ``probability=True``.

    Attributes
    ----------
    class_weight_ : ndarray of shape (n_classes,)
        Multipliers of ``C`` per class.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    support_ : ndarray of shape (n_SV,)
        Indices of the support vectors in the training set, grouped by class.
    support_vectors_ : ndarray of shape (n_SV, n_features)
        Support vectors; empty ``(0, 0)`` for a precomputed kernel.
    n_support_ : ndarray of shape (n_classes,), dtype=int32
        Number of support vectors per class.
    dual_coef_ : ndarray of shape (n_classes - 1, n_SV)
        ``y_i alpha_i`` of the support vectors, in libsvm's one-vs-one layout (as ``SVC``).
    intercept_ : ndarray of shape (n_classes * (n_classes - 1) / 2,)
        Intercepts ``b`` of the binary decision functions.
    n_iter_ : ndarray of shape (n_classes * (n_classes - 1) / 2,), dtype=int
        SMO pair updates per binary problem.
    kkt_violation_ : ndarray of shape (n_classes * (n_classes - 1) / 2,)
        Largest KKT violation ``max(m(alpha) - M(alpha), 0)`` of the returned solution, per binary
        problem: round-off (~1e-16) after a polish that reached the exact optimum, below ``tol``
        after any accepted polish or SMO stop, above it only if ``max_iter`` stopped the solver.
    dual_objective_ : ndarray of shape (n_classes * (n_classes - 1) / 2,)
        ``1/2 alpha^T Q alpha - sum(alpha)`` at the solution (what libsvm prints as "obj").
    probA_, probB_ : ndarray of shape (n_classes * (n_classes - 1) / 2,)
        Platt's sigmoid parameters (empty unless ``probability=True``).
    shape_fit_ : tuple of int
        Shape of the training ``X``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` had string column names.

    See Also
    --------
    sklearn.svm.SVC : The libsvm-based classifier this one mirrors.

    Notes
    -----
    The solver follows libsvm's algorithm (second-order working-set selection, shrinking, ``rho``
    from the free multipliers) inside the working-set decomposition of ThunderSVM [3]_; see
    :mod:`sklearn_notes.svm._smo`. The kernel cache is float32, as libsvm's.

    References
    ----------
    .. [1] J. Platt, "Sequential minimal optimization: a fast algorithm for training support vector
       machines", 1998.
    .. [2] R.-E. Fan, P.-H. Chen, C.-J. Lin, "Working set selection using second order
       information for training support vector machines", JMLR 6, 2005.
    .. [3] Z. Wen, J. Shi, Q. Li, B. He, J. Chen, "ThunderSVM: a fast SVM library on GPUs and CPUs",
       JMLR 19, 2018.
    .. [4] T.-F. Wu, C.-J. Lin, R. C. Weng, "Probability estimates for multi-class classification by
       pairwise coupling", JMLR 5, 2004.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_notes.svm import KernelSVC
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = KernelSVC(kernel="gaussian", C=1.0).fit(X, y)
    >>> clf.n_support_.sum() < len(X)
    np.True_
    >>> round(clf.score(X, y), 2)
    0.97
    """

    _parameter_constraints: dict = {
        "C": [Interval(Real, 0, None, closed="neither"), Options(Real, {np.inf})],
        "kernel": [StrOptions(set(KERNELS)), callable],
        "degree": [Interval(Integral, 0, None, closed="left")],
        "gamma": [StrOptions({"scale", "auto"}), Interval(Real, 0, None, closed="left")],
        "coef0": [Interval(Real, None, None, closed="neither")],
        "shrinking": ["boolean"],
        "probability": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "cache_size": [Interval(Real, 0, None, closed="neither")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "verbose": ["verbose"],
        "max_iter": [Interval(Integral, -1, None, closed="left")],
        "decision_function_shape": [StrOptions({"ovr", "ovo"})],
        "break_ties": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        C=1.0,
        *,
        kernel="rbf",
        degree=3,
        gamma="scale",
        coef0=0.0,
        shrinking=True,
        probability=False,
        tol=1e-3,
        cache_size=200,
        class_weight=None,
        verbose=False,
        max_iter=-1,
        decision_function_shape="ovr",
        break_ties=False,
        random_state=None,
    ):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.shrinking = shrinking
        self.probability = probability
        self.tol = tol
        self.cache_size = cache_size
        self.class_weight = class_weight
        self.verbose = verbose
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape
        self.break_ties = break_ties
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.kernel == "precomputed"
        tags.input_tags.sparse = self.kernel != "precomputed"
        return tags

    # --- fitting -------------------------------------------------------------------------------

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Solve the dual of every one-vs-one binary problem.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or (n_samples, n_samples)
            Training data (CSR or CSC: kernel values come from sparse rows, ``X`` is never
            densified whole); the Gram matrix when ``kernel="precomputed"``.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights: sample ``i``'s multiplier is bounded by ``C * sample_weight[i]``
            (a weight of 2 is the same as the sample repeated twice, 0 as the sample removed).

        Returns
        -------
        self : KernelSVC
            Fitted estimator.
        """
        sparse_ok = self.kernel != "precomputed"
        with np.errstate(over="ignore", invalid="ignore"):  # (its finiteness check sums X)
            X, y = validate_data(
                self, X, y, dtype=np.float64, order="C",
                accept_sparse=["csr"] if sparse_ok else False,
            )  # fmt: skip
        check_classification_targets(y)
        if self.kernel == "precomputed":
            if X.shape[0] != X.shape[1]:
                raise ValueError(
                    "With kernel='precomputed', X must be the square Gram matrix; got shape "
                    f"{X.shape}."
                )
            check_precomputed_range(X)
        sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"The number of classes has to be at least 2; got {len(classes)} class."
            )
        class_weight = compute_class_weight(self.class_weight, classes=classes, y=y)
        weight = class_weight[y_index] * sample_weight
        # (a weight of 0 removes the sample, also for the hard margin where C * 0 would be nan)
        C = np.where(weight > 0, self.C * np.where(weight > 0, weight, 1.0), 0.0)
        if np.unique(y_index[C > 0]).size < 2:
            raise ValueError(
                "Only one class has samples with positive weight (sample_weight * class_weight); "
                "at least 2 classes are needed."
            )
        gamma = resolve_gamma(self.gamma, X, sample_weight)
        kernel = "rbf" if self.kernel == "gaussian" else self.kernel
        params = dict(gamma=gamma, degree=self.degree, coef0=self.coef0)
        k = len(classes)
        # Samples of each class with a positive bound, in index order.
        members = [np.flatnonzero((y_index == c) & (C > 0)) for c in range(k)]

        # 1. One binary dual per pair of classes (a < b): y = +1 for a, -1 for b (libsvm's sign).
        # Each pair keeps the multipliers of its own samples only (libsvm's layout): memory
        # O(n_samples * n_classes), not O(n_samples * n_pairs).
        pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
        solutions = []
        rho, n_iter, violation, objective = (np.zeros(len(pairs)) for _ in range(4))
        # Several pairs share their samples: when the whole float32 kernel matrix fits in the
        # cache, it is computed once (one BLAS product) and each pair slices its block from it.
        # Its rows and columns go class by class, so that a pair's block is read from two
        # contiguous runs (faster to gather than scattered rows).
        K_all = position = None
        n_kept = sum(m.size for m in members)
        if len(pairs) > 1 and kernel != "precomputed" and 4 * n_kept**2 <= self.cache_size * 2**20:
            by_class = np.concatenate(members)
            position = np.empty(X.shape[0], dtype=np.intp)
            position[by_class] = np.arange(by_class.size)
            every = np.arange(by_class.size)
            K_all = KernelRows(X[by_class], kernel, **params)(every, every)
        for p, (a, b) in enumerate(pairs):
            if K_all is None:
                idx = np.sort(np.concatenate([members[a], members[b]]))
                K_index = None
            else:
                idx = np.concatenate([members[a], members[b]])
                K_index = position[idx]
            sol = self._solve(X, idx, y_index[idx] == a, C[idx], kernel, params, K_all, K_index)
            on = sol.alpha > 0
            solutions.append((idx[on], sol.alpha[on]))
            rho[p], n_iter[p], violation[p], objective[p] = (
                sol.rho,
                sol.n_iter,
                max(sol.violation, 0.0),  # (m - M < 0 when no multiplier is free)
                sol.objective,
            )
        if np.any(violation >= self.tol):
            # max_iter=-1 is not "unbounded": the solver caps it as libsvm does
            cap = "" if self.max_iter >= 0 else ", capped at max(10**7, 100 n_samples)"
            warnings.warn(
                f"KernelSVC stopped after {int(n_iter.max())} pair updates (max_iter={self.max_iter}"
                f"{cap}) before reaching tol={self.tol} (largest KKT violation "
                f"{violation.max():.3g}); increase max_iter or scale the data.",
                ConvergenceWarning,
                stacklevel=2,
            )

        # 2. Support vectors, grouped by class, and the coefficients in libsvm's layout.
        is_sv = np.zeros(X.shape[0], dtype=bool)
        for sv, _ in solutions:
            is_sv[sv] = True
        by_class = [np.flatnonzero(is_sv & (y_index == c)) for c in range(k)]
        support = np.concatenate(by_class)
        n_support = np.array([len(s) for s in by_class], dtype=np.int32)
        slot = np.full(X.shape[0], -1, dtype=np.intp)
        slot[support] = np.arange(support.size)
        dual_coef = np.zeros((k - 1, support.size))
        for (a, b), (sv, alpha) in zip(pairs, solutions):
            first = y_index[sv] == a
            dual_coef[b - 1, slot[sv[first]]] = alpha[first]  # y = +1 for class a
            dual_coef[a, slot[sv[~first]]] = -alpha[~first]

        # 3. Platt scaling from held-out decision values (before any attribute is set).
        probA = probB = np.empty(0)
        if self.probability:
            probA, probB = self._fit_probability(X, y_index, members, pairs, C, kernel, params)

        intercept = -rho
        if k == 2:  # scikit-learn's sign: a positive decision means classes_[1]
            dual_coef, intercept = -dual_coef, -intercept
        if not (np.isfinite(dual_coef).all() and np.isfinite(intercept).all()):
            raise ValueError(
                "The dual coefficients or intercepts are not finite: the kernel values overflow "
                "at this scale of the data. Scale the data (e.g. StandardScaler)."
            )
        self.classes_ = classes
        self.class_weight_ = class_weight
        self.support_ = support.astype(np.int32)
        if kernel == "precomputed":
            self.support_vectors_ = np.empty((0, 0))
        else:
            self.support_vectors_ = X[support]
        self.n_support_ = n_support
        self.dual_coef_ = dual_coef
        self.intercept_ = intercept
        self.n_iter_ = n_iter.astype(np.int64)
        self.kkt_violation_ = violation
        self.dual_objective_ = objective
        self.probA_, self.probB_ = probA, probB
        self.shape_fit_ = X.shape
        self.fit_status_ = 0
        self._gamma = gamma
        self._ovo_coef = _ovo_coefficients(solutions, slot, y_index, pairs, support.size)
        self._ovo_intercept = -rho
        if self.verbose:
            print(f"Total nSV = {support.size}", flush=True)
        return self

    def _solve(self, X, idx, positive, C, kernel, params, K_all=None, K_index=None):
        """Solve one binary dual on the samples ``idx``; raise if a hard margin does not exist.

        ``K_all``, when given, is a float32 kernel matrix of all of ``X`` to slice from, with the
        samples ``idx`` at its rows and columns ``K_index``."""
        if K_all is not None:
            rows = KernelRows(K_all, "precomputed", index=K_index)
        elif kernel == "precomputed":
            rows = KernelRows(X, kernel, index=idx)
        else:
            rows = KernelRows(X[idx], kernel, **params)
        y = np.where(positive, 1.0, -1.0)
        sol = solve_binary(
            rows,
            y,
            C,
            tol=self.tol,
            max_iter=self.max_iter,
            cache_size=self.cache_size,
            shrinking=self.shrinking,
            verbose=self.verbose,
        )
        if not sol.separable:
            raise ValueError(
                "C=np.inf asks for a hard margin, but the training data are not separable with "
                f"this kernel ({self.kernel!r}): the dual is unbounded (sum of alphas "
                f"{sol.alpha.sum():.3g} after {sol.n_iter} pair updates). Use a finite C (soft "
                "margin) or a more flexible kernel."
            )
        return sol

    def _fit_probability(self, X, y_index, members, pairs, C, kernel, params):
        """Platt's (A, B) per pair, from decision values of an internal 5-fold cross-validation."""
        rng = check_random_state(self.random_state)
        probA, probB = np.zeros(len(pairs)), np.zeros(len(pairs))
        for p, (a, b) in enumerate(pairs):
            idx = np.sort(np.concatenate([members[a], members[b]]))
            positive = y_index[idx] == a
            folds = np.array_split(rng.permutation(idx.size), min(N_PROBABILITY_FOLDS, idx.size))
            decision = np.zeros(idx.size)
            for test in folds:
                train = np.setdiff1d(np.arange(idx.size), test)
                if positive[train].all() or not positive[train].any():
                    # libsvm's rule for a one-class fold: a confident decision for that class.
                    decision[test] = 1.0 if positive[train].all() else -1.0
                    continue
                tr = idx[train]
                sol = self._solve(X, tr, positive[train], C[tr], kernel, params)
                sv = sol.alpha > 0
                coef = np.where(positive[train], 1.0, -1.0)[sv] * sol.alpha[sv]
                if kernel == "precomputed":
                    K = X[np.ix_(idx[test], tr[sv])]
                else:
                    K = kernel_matrix(X[idx[test]], X[tr[sv]], kernel, **params)
                decision[test] = K @ coef - sol.rho
            probA[p], probB[p] = fit_platt(decision, positive)
        return probA, probB

    # --- prediction ----------------------------------------------------------------------------

    def _validate_for_predict(self, X):
        check_is_fitted(self)
        sparse_ok = self.kernel != "precomputed"
        with np.errstate(over="ignore", invalid="ignore"):
            return validate_data(
                self, X, dtype=np.float64, order="C", reset=False,
                accept_sparse=["csr"] if sparse_ok else False,
            )  # fmt: skip

    def _kernel_to_support(self, X):
        """``K(X, support_vectors_)`` for validated ``X``; for a linear or polynomial kernel whose
        values overflow float64 at this scale, also the per-row scale ``m`` with
        ``K = m**degree * K_scaled``."""
        if self.kernel == "precomputed":
            if X.shape[1] != self.shape_fit_[0]:
                raise ValueError(
                    f"X.shape[1] = {X.shape[1]} should equal {self.shape_fit_[0]}, the number of "
                    "samples at training time (kernel='precomputed')."
                )
            return X[:, self.support_], None
        kernel = "rbf" if self.kernel == "gaussian" else self.kernel
        params = dict(gamma=self._gamma, degree=self.degree, coef0=self.coef0)
        with np.errstate(over="ignore", invalid="ignore"):
            K = kernel_matrix(X, self.support_vectors_, kernel, **params)
        if np.isfinite(K).all() or kernel not in ("linear", "poly") or sp.issparse(X):
            return K, None
        # (gamma x.x' + c0)^d = m^d (base / m)^d with m the row's largest |base|: the decision
        # values then keep their sign where they overflow (+-inf rather than nan).
        gamma, degree = (1.0, 1) if kernel == "linear" else (self._gamma, self.degree)
        coef0 = 0.0 if kernel == "linear" else self.coef0
        with np.errstate(over="ignore"):
            base = gamma * (X @ self.support_vectors_.T) + coef0
        if not np.isfinite(base).all():
            raise ValueError(
                "Kernel values overflow float64 for this X: its values are too large for the "
                "model. Scale the data as the training data were scaled."
            )
        m = np.abs(base).max(axis=1, keepdims=True)
        m[m == 0] = 1.0
        return (base / m) ** degree, (m[:, 0], degree)

    def _ovo_decision(self, X, validated=False):
        """(n_samples, n_pairs) decision values in libsvm's sign: positive means the first class."""
        if not validated:
            X = self._validate_for_predict(X)
        # the (rows, n_support) kernel block is the large one: bound it, not the rows
        step = _rows_per_block(max(self._ovo_coef.shape))
        if X.shape[0] > step:
            blocks = range(0, X.shape[0], step)
            return np.vstack([self._ovo_decision(X[i : i + step], validated=True) for i in blocks])
        K, scaled = self._kernel_to_support(X)
        if scaled is None:
            return np.asarray(K @ self._ovo_coef) + self._ovo_intercept
        m, degree = scaled
        dec = np.asarray(K @ self._ovo_coef)
        with np.errstate(over="ignore", invalid="ignore"):
            dec = np.where(dec == 0, 0.0, dec * m[:, None] ** degree) + self._ovo_intercept
        return dec

    def _pair_matrices(self):
        """Sparse (n_pairs, n_classes) indicators of each pair's first and second class."""
        k = len(self.classes_)
        a, b = np.triu_indices(k, 1)
        rows, ones = np.arange(a.size), np.ones(a.size)
        first = sp.csr_array((ones, (rows, a)), shape=(a.size, k))
        second = sp.csr_array((ones, (rows, b)), shape=(a.size, k))
        return first, second

    def _ovr_scores(self, dec, pair_matrices=None):
        """scikit-learn's one-vs-rest scores from one-vs-one values (votes plus confidences
        squashed into (-1/3, 1/3)), as ``sklearn.utils.multiclass._ovr_decision_function``
        computes them pair by pair, here in two sparse products."""
        first, second = pair_matrices or self._pair_matrices()
        votes = np.asarray((dec >= 0) @ first + (dec < 0) @ second, dtype=float)
        confidence = np.asarray(dec @ first - dec @ second)
        return votes + confidence / (3 * (np.abs(confidence) + 1))

    def decision_function(self, X):
        """Signed distance-like scores :math:`f(x) = \\sum_i y_i \\alpha_i K(x_i, x) + b`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            With ``kernel="precomputed"``: the kernel between test and training samples,
            shape ``(n_samples, n_samples_fit)``.

        Returns
        -------
        scores : ndarray of shape (n_samples,), (n_samples, n_classes) or (n_samples, n_pairs)
            Binary: positive for ``classes_[1]``. Otherwise one-vs-rest scores
            (``decision_function_shape="ovr"``) or the one-vs-one ones, positive for the first class
            of each pair (pairs in the order (0, 1), (0, 2), ..., (1, 2), ...).
        """
        dec = self._ovo_decision(X)
        if len(self.classes_) == 2:
            return -dec[:, 0]
        if self.decision_function_shape == "ovr":
            return self._ovr_scores(dec)
        return dec

    def predict(self, X):
        """Predict class labels by one-vs-one votes (or the ovr argmax with ``break_ties``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        if self.break_ties and self.decision_function_shape == "ovo":
            raise ValueError("break_ties must be False when decision_function_shape is 'ovo'.")
        X = self._validate_for_predict(X)
        k = len(self.classes_)
        n = X.shape[0]
        # Rows in chunks: the (rows, n_pairs) decision values of many classes need not fit whole.
        step = _rows_per_block(k * (k - 1) // 2)
        pair_matrices = self._pair_matrices() if k > 2 else None
        out = []
        for start in range(0, max(n, 1), step):
            dec = self._ovo_decision(X[start : start + step], validated=True)
            if k == 2:
                out.append((dec[:, 0] <= 0).astype(int))
            elif self.break_ties:
                out.append(np.argmax(self._ovr_scores(dec, pair_matrices), axis=1))
            else:
                first, second = pair_matrices
                votes = np.asarray((dec > 0) @ first + (dec <= 0) @ second)
                out.append(np.argmax(votes, axis=1))
        return self.classes_[np.concatenate(out)]

    @property
    def coef_(self):
        """Weights of the features, only with ``kernel="linear"``.

        ndarray of shape (1, n_features) for two classes (positive for ``classes_[1]``), else
        (n_classes * (n_classes - 1) / 2, n_features), one row per one-vs-one pair (positive for
        its first class), such that the decision values are ``X @ coef_.T + intercept_``.
        """
        if self.kernel != "linear":
            raise AttributeError("coef_ is only available when using a linear kernel")
        check_is_fitted(self)
        coef = safe_sparse_dot(self._ovo_coef.T, self.support_vectors_, dense_output=False)
        if sp.issparse(coef):
            coef = sp.csr_matrix(coef)
        else:
            coef = np.asarray(coef)
        return -coef if len(self.classes_) == 2 else coef

    def _check_probability(self):
        if not self.probability:
            raise AttributeError("predict_proba is not available when probability=False.")
        return True

    @available_if(_check_probability)
    def predict_proba(self, X):
        """Class probabilities from Platt scaling and pairwise coupling.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        if self.probA_.size == 0:
            raise NotFittedError(
                "predict_proba is not available when fitted with probability=False; refit with "
                "probability=True."
            )
        X = self._validate_for_predict(X)
        step = _rows_per_block(len(self.classes_) ** 2)  # the (rows, k, k) pair probabilities
        return np.vstack([self._proba(X[i : i + step]) for i in range(0, max(X.shape[0], 1), step)])

    def _proba(self, X):
        """predict_proba of validated rows."""
        k = len(self.classes_)
        dec = self._ovo_decision(X, validated=True)
        # P(first class of the pair | pair, x), clipped like libsvm's min_prob.
        r_pair = np.clip(expit(-(dec * self.probA_ + self.probB_)), 1e-7, 1 - 1e-7)
        if k == 2:
            return np.column_stack([r_pair[:, 0], 1 - r_pair[:, 0]])
        r = np.zeros((dec.shape[0], k, k))
        a, b = np.triu_indices(k, 1)
        r[:, a, b] = r_pair
        r[:, b, a] = 1 - r_pair
        return couple_pairwise(r)

    @available_if(_check_probability)
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return np.log(self.predict_proba(X))
