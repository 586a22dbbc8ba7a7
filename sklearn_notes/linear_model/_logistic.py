"""Logistic regression (notes: "Logistic Regression"; concept map rows 8 and 14).

The notes: predict the probability of a class with the sigmoid ``p = 1 / (1 + e^{-(w^T x + b)})``,
train ``w, b`` by gradient descent on the binary cross-entropy. With more than two classes the
sigmoid becomes the softmax and the loss the categorical cross-entropy. The objective is

    (1 / sum(s)) sum_i s_i CE(y_i, softmax(x_i W + b)) + (alpha / 2) ||W||_2^2,

which is :class:`sklearn.linear_model.LogisticRegression` with ``C = 1 / (n_samples * alpha)``
(unweighted). Its Hessian ``X~^T diag(p (1 - p)) X~ / n + alpha I`` is PSD, so the loss is convex
and GD finds the global optimum. Everything is computed in log space (``log_expit``, ``logsumexp``),
so large margins neither overflow nor produce ``log(0)``.
"""

from numbers import Real

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ._base import _BaseGD

__all__ = ["LogisticRegressionGD"]


def _balanced_weights(y, sample_weight):
    """Per-sample ``"balanced"`` class weights from the weighted class counts.

    ``sum(s) / (n_classes * sum_{i in class} s_i)``: a sample of weight 2 counts as two rows.
    scikit-learn's ``compute_sample_weight("balanced", y)`` counts rows; its
    ``compute_class_weight(..., sample_weight=)`` does this, but only from version 1.9 on, and
    the project supports 1.6.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,)

    Returns
    -------
    weights : ndarray of shape (n_samples,)
        0 for the samples of a class whose weights are all 0 (their weight is 0 anyway; this
        keeps ``inf * 0`` out).
    """
    _, y_index = np.unique(y, return_inverse=True)
    counts = np.bincount(y_index, weights=sample_weight)
    per_class = np.divide(
        counts.sum(), len(counts) * counts, out=np.zeros_like(counts), where=counts > 0
    )
    return per_class[y_index]


class LogisticRegressionGD(ClassifierMixin, _BaseGD):
    """Logistic (binary) and softmax (multinomial) regression trained by gradient descent.

    Minimizes the mean cross-entropy plus ``(alpha / 2) ||W||^2``; equal to
    ``LogisticRegression(C=1 / (n_samples * alpha))``.

    Parameters
    ----------
    alpha : float, default=0.01
        Penalty strength (``0.01`` is ``C=1`` at 100 samples).
    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        ``alpha / 2 ||W||^2``, ``alpha ||W||_1`` (exact zeros by the lasso's proximal step),
        ``alpha ((1 - l1_ratio) / 2 ||W||^2 + l1_ratio ||W||_1)``, or no penalty.
    l1_ratio : float, default=None
        Share of the L1 term for ``penalty="elasticnet"`` (in [0, 1]; required there).
    solver : {"gd", "sgd", "minibatch"}, default="gd"
        Full batch, one random sample per step, or ``batch_size`` random samples per step.
    accelerated : bool, default=True
        Nesterov momentum with backtracking and adaptive restart for ``solver="gd"``; ``False`` is
        the notes' plain update.
    learning_rate : {"lipschitz", "constant", "invscaling"}, default="lipschitz"
        ``"lipschitz"``: ``eta = 1 / L`` with ``L = ||X~||_2^2 / (4 n) + alpha`` (binary;
        ``/ (2 n)`` for softmax), for ``"gd"`` a line search starting there when accelerated; for
        the stochastic solvers the largest one-sample constant. ``"constant"``: ``eta0``.
        ``"invscaling"``: ``eta0 / epoch ** power_t``.
    eta0 : float, default=None
        Base step of ``"constant"`` / ``"invscaling"``; ``None`` means ``1 / L``.
    power_t : float, default=0.5
        Exponent of ``"invscaling"``.
    batch_size : int, default=32
        Samples per step of ``solver="minibatch"``.
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float, default=1e-6
        ``"gd"``: stop when the max-norm of the gradient is ``<= tol``; stochastic: relative
        improvement over ``n_iter_no_change`` epochs.
    n_iter_no_change : int, default=5
        See ``tol``.
    shuffle : bool, default=True
        Stochastic solvers: permute the samples every epoch.
    fit_intercept : bool, default=True
        Fit an unpenalized intercept.
    class_weight : dict, "balanced" or None, default=None
        Weights ``{class: weight}`` multiplying the sample weights of each class; ``"balanced"``
        uses ``sum(sample_weight) / (n_classes * bincount(y, weights=sample_weight))``, so that
        integer sample weights equal repeated rows (as in scikit-learn 1.9). The mean still
        divides by ``sum(sample_weight)``, so ``alpha`` keeps its meaning.
    warm_start : bool, default=False
        Start from the previous solution.
    random_state : int, RandomState instance or None, default=None
        Sampling of the stochastic solvers.
    verbose : int, default=0
        Print the objective after each epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights (one row for two classes: the logit of ``classes_[1]``).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.
    loss_curve_ : list of float
        Objective after each epoch.
    n_iter_ : ndarray of shape (1,)
        Epochs run (one problem, binary or multinomial, as in scikit-learn).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` had string column names.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The same model, quasi-Newton solvers.

    References
    ----------
    .. [1] Y. Nesterov, "A method for solving the convex programming problem with convergence rate
       O(1/k^2)", Soviet Math. Dokl. 27, 1983.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_notes import LogisticRegressionGD
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = LogisticRegressionGD(alpha=0.01).fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    >>> clf.predict_proba(X[:1]).sum().round(12)
    np.float64(1.0)
    """

    _parameter_constraints: dict = {
        **_BaseGD._parameter_constraints,
        "alpha": [Interval(Real, 0, None, closed="left")],
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    _loss = "logistic"

    def __init__(
        self,
        alpha=0.01,
        *,
        penalty="l2",
        l1_ratio=None,
        solver="gd",
        accelerated=True,
        learning_rate="lipschitz",
        eta0=None,
        power_t=0.5,
        batch_size=32,
        max_iter=1000,
        tol=1e-6,
        n_iter_no_change=5,
        shuffle=True,
        fit_intercept=True,
        class_weight=None,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            alpha=alpha,
            solver=solver,
            accelerated=accelerated,
            learning_rate=learning_rate,
            eta0=eta0,
            power_t=power_t,
            batch_size=batch_size,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            shuffle=shuffle,
            fit_intercept=fit_intercept,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
        )
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.class_weight = class_weight

    def _validate(self, X, y, sample_weight):
        X, y, sample_weight = super()._validate(X, y, sample_weight)
        check_classification_targets(y)
        return X, y, sample_weight

    def _encode_target(self, y):
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"LogisticRegressionGD needs samples of at least 2 classes; got 1 class "
                f"({classes[0]!r})."
            )
        if len(classes) == 2:  # sigmoid of one logit, as in the notes
            return (y_index == 1).astype(np.float64)[:, None], {
                "classes": classes,
                "loss": "logistic",
            }
        Y = np.zeros((len(y), len(classes)))
        Y[np.arange(len(y)), y_index] = 1.0
        return Y, {"classes": classes, "loss": "multinomial"}

    def _penalties(self, sample_weight):
        """``(l2, l1)``: ``alpha ((1 - r) / 2 ||W||^2 + r ||W||_1)``, ``r`` the L1 share."""
        if self.penalty is None:
            return 0.0, 0.0
        if self.penalty == "elasticnet":
            if self.l1_ratio is None:
                raise ValueError("penalty='elasticnet' needs l1_ratio, a number in [0, 1].")
            ratio = self.l1_ratio
        else:
            ratio = 1.0 if self.penalty == "l1" else 0.0
        return self.alpha * (1.0 - ratio), self.alpha * ratio

    def _weights(self, y, sample_weight):
        # class weights multiply the sample weights (scikit-learn's rule); the mean still divides
        # by sum(sample_weight), so alpha keeps its meaning, C = 1 / (alpha sum(sample_weight))
        if self.class_weight is None:
            return sample_weight, None
        if isinstance(self.class_weight, str):  # "balanced"
            weights = sample_weight * _balanced_weights(y, sample_weight)
        else:
            weights = sample_weight * compute_sample_weight(self.class_weight, y)
        if not np.sum(weights) > 0:
            raise ValueError("class_weight and sample_weight leave every sample with weight 0.")
        return weights, float(np.sum(sample_weight))

    def _unpack(self, W, b, state, dtype):
        self.classes_ = state["classes"]
        self.coef_ = W.T.astype(dtype)
        self.intercept_ = np.asarray(b, dtype=dtype)

    def _n_iter(self, n_iter, n_outputs):
        # one multinomial (or binary) problem, reported as scikit-learn does
        return np.array([n_iter], dtype=np.int32)

    def decision_function(self, X):
        """Logits ``X W^T + b``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the logit of ``classes_[1]``.
        """
        scores = self._decision(X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict_log_proba(self, X):
        """Log-probabilities of the classes (``log_expit`` / ``log_softmax``, no ``log(0)``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, in the order of ``classes_``.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([log_expit(-scores), log_expit(scores)])
        return log_softmax(scores, axis=1)

    def predict_proba(self, X):
        """Class probabilities: sigmoid (two classes) or softmax of the logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = expit(scores)
            return np.column_stack([1.0 - p, p])
        return softmax(scores, axis=1)

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        check_is_fitted(self)
        scores = self.decision_function(X)
        index = (scores > 0).astype(int) if scores.ndim == 1 else np.argmax(scores, axis=1)
        return self.classes_[index]
