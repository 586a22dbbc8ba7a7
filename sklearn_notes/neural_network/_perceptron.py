"""The perceptron (notes: Neural Network > Perceptron).

A weighted sum followed by a threshold activation, ``y_hat = sign(w . x + b)``, trained by
Rosenblatt's rule — the delta rule of the notes with a step activation: for a misclassified sample
(``y_i (w . x_i + b) <= 0``, labels in {-1, +1})

    w <- w + eta * s_i * y_i * x_i,        b <- b + eta * s_i * y_i

(``s_i`` the sample weight). The notes' limit is the point of the class: the rule converges
(Novikoff) only when the classes are linearly separable, so it solves AND and OR but never XOR
(``tests/neural_network/test_perceptron.py``). More than two classes are handled one-vs-rest.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from numba import njit
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

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
        training also stops when the fraction of misclassified samples has not improved by ``tol``
        for ``n_iter_no_change`` epochs. ``None`` runs until separated or ``max_iter``.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    fit_intercept : bool, default=True
        Learn the bias ``b``.
    shuffle : bool, default=True
        Visit the samples in a new random order each epoch.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffling.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights ``w`` (one row per class one-vs-rest when there are more than two classes).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Biases ``b``.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_iter_ : int
        Epochs run (the largest over the one-vs-rest problems).
    converged_ : bool
        True when every binary problem ended with a mistake-free epoch (linearly separable data).
    n_features_in_ : int
        Number of features seen during fit.

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
        "fit_intercept": ["boolean"],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        eta0=1.0,
        max_iter=1000,
        tol=None,
        n_iter_no_change=5,
        fit_intercept=True,
        shuffle=True,
        random_state=None,
    ):
        self.eta0 = eta0
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.fit_intercept = fit_intercept
        self.shuffle = shuffle
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the perceptron.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Scales each sample's update.

        Returns
        -------
        self : Perceptron
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"Perceptron needs at least two classes; got one class, {classes[0]!r}."
            )
        rng = check_random_state(self.random_state)
        # Binary: one unit for classes_[1]; otherwise one unit per class, one-vs-rest.
        targets = [1] if len(classes) == 2 else range(len(classes))
        coefs, intercepts, n_iters, separated = [], [], [], []
        for k in targets:
            y_signed = np.where(y_index == k, 1.0, -1.0)
            coef, intercept, n_iter, sep = self._fit_binary(X, y_signed, sample_weight, rng)
            coefs.append(coef)
            intercepts.append(intercept)
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
        self.classes_ = classes
        self.coef_ = np.vstack(coefs)
        self.intercept_ = np.array(intercepts)
        self.n_iter_ = max(n_iters)
        self.converged_ = all(separated)
        return self

    def _fit_binary(self, X, y_signed, sample_weight, rng):
        n_samples, n_features = X.shape
        coef = np.zeros(n_features)
        intercept = np.zeros(1)
        total = max(float(np.sum(sample_weight > 0)), 1.0)
        best_error, stale = np.inf, 0
        order = np.arange(n_samples)
        for epoch in range(1, self.max_iter + 1):
            if self.shuffle:
                rng.shuffle(order)
            mistakes = _perceptron_epoch(
                X, y_signed, sample_weight, order, coef, intercept, self.eta0, self.fit_intercept
            )
            if mistakes == 0:
                return coef, intercept[0], epoch, True
            error = mistakes / total
            if self.tol is not None:
                if error > best_error - self.tol:
                    stale += 1
                    if stale >= self.n_iter_no_change:
                        return coef, intercept[0], epoch, False
                else:
                    stale = 0
                best_error = min(best_error, error)
        return coef, intercept[0], self.max_iter, False

    def decision_function(self, X):
        """Signed distance (times ``||w||``) to the separating hyperplane(s).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Predict class labels: the sign of the weighted sum (argmax one-vs-rest).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]
