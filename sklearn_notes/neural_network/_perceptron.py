"""The perceptron (notes: Neural Network > Perceptron).

A weighted sum followed by a threshold activation, ``y_hat = sign(w . x + b)``, trained by
Rosenblatt's rule — the delta rule of the notes with a step activation: for a misclassified sample
(``y_i (w . x_i + b) <= 0``, labels in {-1, +1})

    w <- w + eta * s_i * y_i * x_i,        b <- b + eta * s_i * y_i

(``s_i`` the sample weight). The notes' limit is the point of the class: the rule converges
(Novikoff) only when the classes are linearly separable, so it solves AND and OR but never XOR
(``tests/neural_network/test_perceptron.py``). More than two classes are handled one-vs-rest.

The rule is online, so it also learns from a stream (``partial_fit``: one pass per call). Each
update touches only the non-zero features of ``x_i``, so a sparse (CSR) ``X`` costs its non-zeros.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse
from numba import njit
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..linear_model._gd import overflow_error
from ..linear_model._sgd_epoch import kernel_input
from ..utils import atomic_fit
from ..utils._validation import check_sample_weight

__all__ = ["Perceptron"]


@njit(cache=True)
def _perceptron_epoch(X, y_signed, sample_weight, order, coef, intercept, eta, fit_intercept):
    """One pass of Rosenblatt's rule over ``order``; updates coef/intercept in place.

    Returns the number of mistakes made during the pass.
    """
    n_features = X.shape[1]
    mistakes = 0
    for i in order:
        margin = intercept[0]
        for j in range(n_features):
            margin += coef[j] * X[i, j]
        if y_signed[i] * margin <= 0.0:
            step = eta * sample_weight[i] * y_signed[i]
            for j in range(n_features):
                coef[j] += step * X[i, j]
            if fit_intercept:
                intercept[0] += step
            if sample_weight[i] > 0:
                mistakes += 1
    return mistakes


@njit(cache=True)
def _perceptron_epoch_csr(
    data, indices, indptr, y_signed, sample_weight, order, coef, intercept, eta, fit_intercept
):
    """:func:`_perceptron_epoch` on a CSR matrix: margin and update over each row's non-zeros."""
    mistakes = 0
    for i in order:
        margin = intercept[0]
        for q in range(indptr[i], indptr[i + 1]):
            margin += coef[indices[q]] * data[q]
        if y_signed[i] * margin <= 0.0:
            step = eta * sample_weight[i] * y_signed[i]
            for q in range(indptr[i], indptr[i + 1]):
                coef[indices[q]] += step * data[q]
            if fit_intercept:
                intercept[0] += step
            if sample_weight[i] > 0:
                mistakes += 1
    return mistakes


def _epoch(X, y_signed, weights, order, coef, intercept, eta, fit_intercept):
    if scipy.sparse.issparse(X):
        return _perceptron_epoch_csr(
            X.data, X.indices, X.indptr, y_signed, weights, order, coef, intercept, eta,
            fit_intercept,
        )  # fmt: skip
    return _perceptron_epoch(X, y_signed, weights, order, coef, intercept, eta, fit_intercept)


class Perceptron(ClassifierMixin, BaseEstimator):
    """Rosenblatt's perceptron: a linear threshold unit trained by the perceptron (delta) rule.

    Parameters
    ----------
    eta0 : float, default=1.0
        Step size of the update.
    max_iter : int, default=1000
        Maximum number of passes (epochs) over the training data.
    tol : float or None, default=None
        An epoch without mistakes always stops training (the data are separated, which the
        perceptron convergence theorem guarantees to happen on separable data). With a float,
        training also stops when the fraction of misclassified samples (with
        ``early_stopping``: the validation accuracy) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs. ``None`` runs until separated or ``max_iter`` (with
        ``early_stopping``, ``None`` means ``0``).
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the training data and stop when its
        accuracy stops improving (scikit-learn's rule).
    validation_fraction : float, default=0.1
        Share of the training data held out for ``early_stopping``.
    fit_intercept : bool, default=True
        Learn the bias ``b``.
    shuffle : bool, default=True
        Visit the samples in a new random order each epoch.
    class_weight : dict, "balanced" or None, default=None
        Weight of each class in the update ``eta * s_i * y_i * x_i``: in each one-vs-rest unit
        the positive class gets its weight, the rest 1 (the negative class's weight with two
        classes), as in scikit-learn; ``"balanced"`` is ``n_samples / (n_classes * bincount(y))``.
    warm_start : bool, default=False
        Start ``fit`` from the current ``coef_`` / ``intercept_`` (same classes and features).
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffling and of the validation split.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights ``w`` (one row per class one-vs-rest when there are more than two classes);
        float32 for float32 ``X`` (the updates run in float64).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Biases ``b``.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_iter_ : int
        Epochs run (the largest over the one-vs-rest problems; 1 after ``partial_fit``).
    converged_ : bool
        True when every binary problem ended with a mistake-free epoch (linearly separable data).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` had string column names.

    See Also
    --------
    sklearn.linear_model.Perceptron : scikit-learn's perceptron (SGD with the perceptron loss).
    MLPClassifier : hidden layers and backprop: what it takes to solve XOR.

    References
    ----------
    .. [1] F. Rosenblatt, "The perceptron: a probabilistic model for information storage and
       organization in the brain", Psychological Review 65(6), 1958.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes import Perceptron
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> Perceptron(random_state=0).fit(X, [0, 0, 0, 1]).predict(X)  # AND is separable
    array([0, 0, 0, 1])
    """

    _parameter_constraints = {
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "fit_intercept": ["boolean"],
        "shuffle": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        eta0=1.0,
        max_iter=1000,
        tol=None,
        n_iter_no_change=5,
        early_stopping=False,
        validation_fraction=0.1,
        fit_intercept=True,
        shuffle=True,
        class_weight=None,
        warm_start=False,
        random_state=None,
    ):
        self.eta0 = eta0
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.fit_intercept = fit_intercept
        self.shuffle = shuffle
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # --- validation and the one-vs-rest units ----------------------------------------------

    def _validate(self, X, y, sample_weight, reset):
        X, y = validate_data(
            self, X, y, accept_sparse=("csr", "csc"), dtype=(np.float64, np.float32), reset=reset
        )
        check_classification_targets(y)
        sample_weight = check_sample_weight(sample_weight, X)
        # an update adds x_i to w, so margins w . x reach the scale of ||x||^2: it must be finite
        values = X.data if scipy.sparse.issparse(X) else X
        with np.errstate(over="ignore"):
            finite = np.isfinite(np.square(values).sum())
        if not finite:
            raise overflow_error("X")
        return X, y, sample_weight

    def _units(self, classes, y, sample_weight):
        """``(target index, signed labels, weights)`` of each binary unit.

        Binary: one unit for ``classes[1]``; otherwise one unit per class, one-vs-rest; the class
        weights follow scikit-learn (positive class: its weight; the rest: 1, or the negative
        class's weight with two classes).
        """
        if self.class_weight is None:
            class_weight = np.ones(len(classes))
        else:
            class_weight = compute_class_weight(self.class_weight, classes=classes, y=y)
        y_index = np.searchsorted(classes, y)
        targets = [1] if len(classes) == 2 else range(len(classes))
        for k in targets:
            positive = y_index == k
            negative_weight = class_weight[0] if len(classes) == 2 else 1.0
            weights = sample_weight * np.where(positive, class_weight[k], negative_weight)
            yield k, np.where(positive, 1.0, -1.0), weights

    def _start(self, classes, n_features, warm):
        """Initial ``(coef, intercept)``: zeros, or the current model when ``warm``."""
        n_units = 1 if len(classes) == 2 else len(classes)
        if (
            warm
            and hasattr(self, "coef_")
            and np.array_equal(getattr(self, "classes_", None), classes)
            and self.coef_.shape == (n_units, n_features)
        ):
            return self.coef_.astype(np.float64), self.intercept_.astype(np.float64)
        return np.zeros((n_units, n_features)), np.zeros(n_units)

    def _finish(self, classes, coef, intercept, X, dtype):
        """Assign the model once it is known to be finite (no half-updated estimator); float32
        ``X`` gives float32 weights, as scikit-learn's."""
        with np.errstate(over="ignore", invalid="ignore"):
            scores = X @ coef.T + intercept
        if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(scores))):
            raise overflow_error("X")
        self.classes_ = classes
        self.coef_ = coef.astype(dtype, copy=False)
        self.intercept_ = intercept.astype(dtype, copy=False)

    # --- fit -----------------------------------------------------------------------------------

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the perceptron.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Scales each sample's update (non-negative).

        Returns
        -------
        self : Perceptron
        """
        X, y, sample_weight = self._validate(X, y, sample_weight, reset=True)
        dtype, X = X.dtype, kernel_input(X)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                f"Perceptron needs at least two classes; got one class, {classes[0]!r}."
            )
        rng = check_random_state(self.random_state)
        coef, intercept = self._start(classes, X.shape[1], self.warm_start)
        # 1. the held-out validation set of early stopping (stratified, as scikit-learn's); its
        # samples get weight 0 in training, where a zero weight makes no update: no copy of X
        in_train = np.ones(X.shape[0])
        validation = None
        if self.early_stopping:
            _, held_out = train_test_split(
                np.arange(X.shape[0]), test_size=self.validation_fraction, stratify=y,
                random_state=rng,
            )  # fmt: skip
            in_train[held_out] = 0.0
            validation = (X[held_out], y[held_out], sample_weight[held_out])
        # 2. one binary perceptron per unit
        n_iters, separated = [], []
        for row, (k, y_signed, weights) in enumerate(self._units(classes, y, sample_weight)):
            unit_validation = None
            if validation is not None:
                X_val, y_val, w_val = validation
                unit_validation = (X_val, np.where(y_val == classes[k], 1.0, -1.0), w_val)
            n_iter, sep = self._fit_binary(
                X, y_signed, weights * in_train, coef[row], intercept[row : row + 1], rng,
                unit_validation,
            )  # fmt: skip
            n_iters.append(n_iter)
            separated.append(sep)
        ran_out = [not sep and n == self.max_iter for sep, n in zip(separated, n_iters)]
        if any(ran_out):
            warnings.warn(
                f"Perceptron stopped at max_iter={self.max_iter} epochs without separating the "
                "training data; increase max_iter, or the classes are not linearly separable "
                "(a perceptron cannot learn XOR).",
                ConvergenceWarning,
                stacklevel=2,
            )
        # 3. assign at the end
        self._finish(classes, coef, intercept, X, dtype)
        self.n_iter_ = max(n_iters)
        self.converged_ = all(separated)
        return self

    def _fit_binary(self, X, y_signed, weights, coef, intercept, rng, validation):
        """Epochs of the rule on one unit, in place on ``coef`` / ``intercept``.

        Stops when an epoch makes no mistake (separated), when the error (or, with a validation
        set, the validation accuracy) has not improved by ``tol`` for ``n_iter_no_change``
        epochs, or at ``max_iter``. Returns ``(epochs, separated)``.
        """
        total = max(float(np.sum(weights > 0)), 1.0)
        tol = self.tol if self.tol is not None else (0.0 if validation is not None else None)
        best, stale = -np.inf, 0
        order = np.arange(X.shape[0])
        for epoch in range(1, self.max_iter + 1):
            if self.shuffle:
                rng.shuffle(order)
            mistakes = _epoch(
                X, y_signed, weights, order, coef, intercept, self.eta0, self.fit_intercept
            )
            if mistakes == 0:
                return epoch, True
            if tol is None:
                continue
            if validation is None:  # fewer training mistakes is better
                score = -mistakes / total
            else:
                X_val, y_val, w_val = validation
                correct = y_val * (X_val @ coef + intercept[0]) > 0
                score = float(np.sum(w_val * correct)) / max(float(np.sum(w_val)), 1e-300)
            if score > best + tol:
                stale = 0
            else:
                stale += 1
                if stale >= self.n_iter_no_change:
                    return epoch, False
            best = max(best, score)
        return self.max_iter, False

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One pass of the perceptron rule over ``X`` (online learning, from a stream).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class of the stream; required on the first call, optional afterwards (and
            then equal to ``classes_``).
        sample_weight : array-like of shape (n_samples,), default=None
            Scales each sample's update (non-negative).

        Returns
        -------
        self : Perceptron
        """
        first = not hasattr(self, "classes_")
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs the whole training set; with partial_fit pass "
                "a dictionary, e.g. from sklearn.utils.class_weight.compute_class_weight."
            )
        X, y, sample_weight = self._validate(X, y, sample_weight, reset=first)
        dtype, X = X.dtype, kernel_input(X)
        if classes is not None:
            classes = np.unique(classes)
            if not first and not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"classes={classes!r} is not the same as on the first call to partial_fit, "
                    f"{self.classes_!r}."
                )
        else:
            classes = self.classes_
        if len(classes) < 2:
            raise ValueError("Perceptron needs at least two classes in `classes`.")
        unseen = np.setdiff1d(y, classes)
        if len(unseen):
            raise ValueError(f"y contains labels not in classes: {unseen!r}.")
        rng = check_random_state(self.random_state)
        coef, intercept = self._start(classes, X.shape[1], warm=not first)
        order = np.arange(X.shape[0])
        for row, (_, y_signed, weights) in enumerate(self._units(classes, y, sample_weight)):
            if self.shuffle:
                rng.shuffle(order)
            _epoch(X, y_signed, weights, order, coef[row], intercept[row : row + 1], self.eta0,
                   self.fit_intercept)  # fmt: skip
        self._finish(classes, coef, intercept, X, dtype)
        self.n_iter_ = 1
        self.converged_ = False
        return self

    # --- prediction ----------------------------------------------------------------------------

    def decision_function(self, X):
        """Signed distance (times ``||w||``) to the separating hyperplane(s).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=("csr", "csc"), dtype=(np.float64, np.float32), reset=False
        )
        with np.errstate(over="ignore", invalid="ignore"):
            scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Predict class labels: the sign of the weighted sum (argmax one-vs-rest).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]
