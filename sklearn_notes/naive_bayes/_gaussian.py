"""Gaussian naive Bayes (notes: "Naive Bayes Classifier" -- Bayes' theorem, conditional
independence, Bayesian decision theory).

Bayes' theorem gives the posterior of class :math:`C_k` from the likelihood and the prior,

.. math:: P(C_k \\mid x) = \\frac{P(x \\mid C_k) P(C_k)}{\\sum_j P(x \\mid C_j) P(C_j)},

where the denominator is the notes' *normalization* (a log-sum-exp over the classes). The naive
Bayes assumption -- the features are conditionally independent given the class -- factorizes the
likelihood,

.. math:: P(x \\mid C_k) = \\prod_{i=1}^{n} \\mathcal{N}(x_i; \\theta_{ki}, \\sigma^2_{ki}),

so a model over :math:`n` features needs :math:`O(n)` parameters per class instead of the
:math:`O(d^n)` of a full joint table (notes: "O(d^n) -> O(nd)"). The *Bayesian decision* is the
class with the largest posterior. Means and variances are maximum-likelihood estimates, updated in
a stream by the pairwise formula of Chan, Golub & LeVeque so that ``partial_fit`` over chunks gives
the same model as one ``fit``.
"""

import numbers

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils._fit_guard import atomic_fit
from ..utils._validation import check_sample_weight

__all__ = ["GaussianNB", "gaussian_joint_log_likelihood", "update_mean_variance"]

# Integers are fitted in float64; float32 stays float32, as in scikit-learn.
_FLOAT_DTYPES = (np.float64, np.float32)


# --- mathematics -------------------------------------------------------------------------------


def update_mean_variance(n_past, mu, var, X, sample_weight=None):
    """Merge the mean and variance of ``n_past`` earlier samples with those of a new batch ``X``.

    The batch statistics are combined with the past ones by the pairwise update of Chan, Golub &
    LeVeque: with :math:`n = n_a + n_b` and :math:`\\delta = \\mu_b - \\mu_a`,

    .. math:: \\mu = \\frac{n_a \\mu_a + n_b \\mu_b}{n}, \\qquad
              n \\sigma^2 = n_a \\sigma^2_a + n_b \\sigma^2_b + \\frac{n_a n_b}{n} \\delta^2 .

    Parameters
    ----------
    n_past : float
        Number (or total weight) of the samples already seen.
    mu : ndarray of shape (n_features,)
        Their mean.
    var : ndarray of shape (n_features,)
        Their (biased, maximum-likelihood) variance.
    X : ndarray of shape (n_new, n_features)
        The new samples.
    sample_weight : ndarray of shape (n_new,), default=None
        Weights of the new samples.

    Returns
    -------
    total_mu : ndarray of shape (n_features,)
    total_var : ndarray of shape (n_features,)

    References
    ----------
    .. [1] T. F. Chan, G. H. Golub, R. J. LeVeque, "Updating formulae and a pairwise algorithm for
       computing sample variances", Stanford CS tech report STAN-CS-79-773, 1979.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(10.0).reshape(5, 2)
    >>> mu, var = update_mean_variance(0, np.zeros(2), np.zeros(2), X[:2])
    >>> mu, var = update_mean_variance(2, mu, var, X[2:])
    >>> np.allclose(mu, X.mean(axis=0)), np.allclose(var, X.var(axis=0))
    (True, True)
    """
    if X.shape[0] == 0:
        return mu, var
    if sample_weight is not None:
        n_new = float(sample_weight.sum())
        if np.isclose(n_new, 0.0):
            return mu, var
        new_mu = np.average(X, axis=0, weights=sample_weight)
        new_var = np.average((X - new_mu) ** 2, axis=0, weights=sample_weight)
    else:
        n_new = X.shape[0]
        new_var = np.var(X, axis=0)
        new_mu = np.mean(X, axis=0)
    if n_past == 0:
        return new_mu, new_var
    n_total = float(n_past + n_new)
    total_mu = (n_new * new_mu + n_past * mu) / n_total
    # Sums of squared deviations add up, plus the between-batch term.
    total_ssd = n_past * var + n_new * new_var + (n_new * n_past / n_total) * (mu - new_mu) ** 2
    return total_mu, total_ssd / n_total


def gaussian_joint_log_likelihood(X, theta, var, class_prior):
    """Unnormalized log posterior ``log P(x | C_k) + log P(C_k)`` for every sample and class.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    theta : ndarray of shape (n_classes, n_features)
        Per-class feature means.
    var : ndarray of shape (n_classes, n_features)
        Per-class feature variances.
    class_prior : ndarray of shape (n_classes,)

    Returns
    -------
    jll : ndarray of shape (n_samples, n_classes)

    Examples
    --------
    >>> import numpy as np
    >>> jll = gaussian_joint_log_likelihood(
    ...     np.zeros((1, 1)), np.array([[0.0]]), np.array([[1.0]]), np.array([1.0]))
    >>> bool(np.isclose(jll[0, 0], -0.5 * np.log(2 * np.pi)))
    True
    """
    with np.errstate(divide="ignore"):
        log_prior = np.log(class_prior)
    columns = []
    # Far from every class (X at 1e300, say) the squared distances overflow; the caller is told.
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(theta.shape[0]):
            # log N(x; theta_k, var_k) summed over the conditionally independent features
            log_norm = -0.5 * np.sum(np.log(2.0 * np.pi * var[k]))
            distance = np.sum((X - theta[k]) ** 2 / var[k], axis=1)
            columns.append(log_prior[k] + log_norm - 0.5 * distance)
    return np.stack(columns, axis=1)


# --- estimator ---------------------------------------------------------------------------------


class GaussianNB(ClassifierMixin, BaseEstimator):
    """Gaussian naive Bayes: Bayes' theorem with conditionally independent Gaussian features.

    Each feature is modelled, within each class, by a Gaussian with the maximum-likelihood mean and
    variance; the class prior is the (weighted) class frequency unless ``priors`` is given. A
    sample is assigned to the class of largest posterior (the Bayesian decision rule). Equal to
    :class:`sklearn.naive_bayes.GaussianNB` to round-off; ``partial_fit`` in chunks equals one
    ``fit`` on all the data (see ``var_smoothing`` for the one difference from scikit-learn's
    ``partial_fit``).

    Parameters
    ----------
    priors : array-like of shape (n_classes,), default=None
        Prior probabilities of the classes (non-negative, summing to 1). When None, the class
        frequencies of the training data.
    var_smoothing : float, default=1e-9
        Fraction of the largest feature variance added to every variance, for numerical
        stability. The variance is that of all the data seen (by ``fit``, or by every
        ``partial_fit`` call so far), so that ``partial_fit`` in chunks gives the model of one
        ``fit``; scikit-learn's ``partial_fit`` uses the last batch's variance instead. With
        ``var_smoothing=0``, a feature constant within a class is an error (in ``fit``, or in
        ``predict`` after ``partial_fit``) where scikit-learn predicts NaN.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    class_count_ : ndarray of shape (n_classes,)
        Number (total weight) of training samples per class.
    class_prior_ : ndarray of shape (n_classes,)
        Probability of each class.
    theta_ : ndarray of shape (n_classes, n_features)
        Mean of each feature per class.
    var_ : ndarray of shape (n_classes, n_features)
        Variance of each feature per class (``epsilon_`` included).
    epsilon_ : float
        Absolute amount added to the variances.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when X is a DataFrame with string column names.

    See Also
    --------
    sklearn.naive_bayes.GaussianNB : The scikit-learn implementation this one reproduces.
    sklearn_notes.BayesNet : A discrete Bayesian network (``edges=None``: discrete naive Bayes).

    References
    ----------
    .. [1] C. M. Bishop, "Pattern Recognition and Machine Learning", Springer, 2006, section 4.2.
    .. [2] T. F. Chan, G. H. Golub, R. J. LeVeque, "Updating formulae and a pairwise algorithm for
       computing sample variances", 1979.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes import GaussianNB
    >>> X = np.array([[-1, -1], [-2, -1], [-3, -2], [1, 1], [2, 1], [3, 2]])
    >>> y = np.array([1, 1, 1, 2, 2, 2])
    >>> clf = GaussianNB().fit(X, y)
    >>> clf.predict([[-0.8, -1]])
    array([1])
    >>> clf.predict_proba([[-0.8, -1]]).sum()
    np.float64(1.0)
    """

    _parameter_constraints = {
        "priors": ["array-like", None],
        "var_smoothing": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(self, priors=None, var_smoothing=1e-9):
        self.priors = priors
        self.var_smoothing = var_smoothing

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the per-class means, variances and priors (maximum likelihood).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : GaussianNB
        """
        X, y = validate_data(self, X, y, reset=True, dtype=_FLOAT_DTYPES)
        check_classification_targets(y)
        return self._update(X, y, np.unique(y), sample_weight, first_call=True, complete=True)

    @atomic_fit
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with a batch of samples (streaming means and variances).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class that can appear; required on the first call, ignored afterwards.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : GaussianNB
        """
        first_call = not hasattr(self, "classes_")
        if first_call:
            # Validate `classes` on a throw-away object: a failed call must not leave `classes_`.
            probe = type(self)()
            _check_partial_fit_first_call(probe, classes)
            classes = probe.classes_
        else:
            _check_partial_fit_first_call(self, classes)  # a different `classes` is an error
        X, y = validate_data(self, X, y, reset=first_call, dtype=_FLOAT_DTYPES)
        check_classification_targets(y)
        return self._update(X, y, classes if first_call else None, sample_weight, first_call)

    def _update(self, X, y, classes, sample_weight, first_call, complete=False):
        """Merge the batch (X, y) into the model; all state is assigned at the end.

        ``complete``: the data are all there will be (``fit``), so a zero variance is final and an
        error now; ``partial_fit`` leaves it to later batches, and to ``predict``.
        """
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X, dtype=X.dtype)
        # epsilon is a fraction of the largest feature variance of all the data seen so far, kept
        # by the same streaming update (unweighted, as scikit-learn's fit): partial_fit in chunks
        # then smooths exactly as one fit on all the data.
        if first_call:
            seen = (0, np.zeros(X.shape[1]), np.zeros(X.shape[1]))
        else:
            seen = self._seen
        with np.errstate(over="ignore", invalid="ignore"):
            seen = (seen[0] + X.shape[0], *update_mean_variance(*seen, X))
        epsilon = self._smoothing(seen[2], X)
        if first_call:
            n_classes, n_features = len(classes), X.shape[1]
            theta = np.zeros((n_classes, n_features), dtype=X.dtype)
            var = np.zeros((n_classes, n_features), dtype=X.dtype)
            class_count = np.zeros(n_classes, dtype=X.dtype)
            priors = self._check_priors(n_classes, X.dtype)
        else:
            classes = self.classes_
            if X.shape[1] != self.theta_.shape[1]:
                raise ValueError(
                    f"Number of features {X.shape[1]} does not match previous data "
                    f"{self.theta_.shape[1]}."
                )
            theta, class_count = self.theta_.copy(), self.class_count_.copy()
            var = self.var_ - self.epsilon_  # take the old smoothing out before merging
            priors = self.class_prior_ if self.priors is not None else None

        unique_y = np.unique(y)
        unknown = unique_y[~np.isin(unique_y, classes)]
        if unknown.size:
            raise ValueError(
                f"The target label(s) {unknown} in y do not exist in the initial classes {classes}"
            )
        for label in unique_y:
            k = int(np.searchsorted(classes, label))
            mask = y == label
            sw_k = None if sample_weight is None else sample_weight[mask]
            n_k = mask.sum() if sw_k is None else sw_k.sum()
            theta[k], var[k] = update_mean_variance(class_count[k], theta[k], var[k], X[mask], sw_k)
            class_count[k] += n_k
        var += epsilon
        if complete and (error := self._zero_variance_error(var, classes)):
            raise error
        if priors is None:
            priors = class_count / class_count.sum()

        self.classes_ = np.asarray(classes)
        self.theta_, self.var_, self.class_count_ = theta, var, class_count
        self.class_prior_, self.epsilon_ = priors, epsilon
        self._seen = seen  # (count, mean, variance) of every feature over all samples seen
        return self

    def _smoothing(self, variance, X):
        """``epsilon_``: a fraction of the largest feature variance, which must be representable."""
        if not np.all(np.isfinite(variance)):
            raise ValueError(
                "The variance of X overflows float64: its values are too large (largest "
                f"|X| = {np.max(np.abs(X)):.3g}); rescale X."
            )
        largest = np.max(variance)
        if largest > 0:
            return self.var_smoothing * largest
        if np.ptp(X, axis=0).max() > 0:
            raise ValueError(
                "The variance of every feature of X underflows to 0 in float64 although X is "
                f"not constant (largest |X| = {np.max(np.abs(X)):.3g}); rescale X."
            )
        # No feature varies at all: there is no scale to take a fraction of, so the variances are
        # var_smoothing in X's squared units (1 when it is 0), and every posterior is the prior.
        return self.var_smoothing or 1.0

    def _zero_variance_error(self, var, classes):
        """The error for a zero variance (possible only with ``var_smoothing=0``), or None.

        A Gaussian of variance 0 has no density: the likelihood of the class is infinite at its
        mean and 0 elsewhere, and the posteriors are NaN. That is the data and ``var_smoothing``,
        not the scale of ``X``.
        """
        zero = np.argwhere(var == 0)
        if zero.size == 0:
            return None
        k, j = zero[0]
        return ValueError(
            f"Feature {j} has zero variance within class {np.asarray(classes)[k].tolist()!r} "
            f"({len(zero)} (class, feature) pair(s) in all) and "
            f"var_smoothing={self.var_smoothing}, so that class's "
            "Gaussian has no density (its likelihood is infinite at the mean and 0 elsewhere). "
            "Use var_smoothing > 0 (the default is 1e-9), or drop the constant feature."
        )

    def _check_priors(self, n_classes, dtype):
        if self.priors is None:
            return None
        priors = np.asarray(self.priors, dtype=dtype)
        if priors.ndim != 1 or priors.shape[0] != n_classes:
            raise ValueError("Number of priors must match number of classes.")
        if not np.isclose(priors.sum(), 1.0):
            raise ValueError("The sum of the priors should be 1.")
        if np.any(priors < 0):
            raise ValueError("Priors must be non-negative.")
        return priors

    def predict_joint_log_proba(self, X):
        """Unnormalized log posterior ``log P(x, C_k) = log P(x | C_k) + log P(C_k)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        jll : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        # after partial_fit (fit raises it itself): not the overflow error below
        if error := self._zero_variance_error(self.var_, self.classes_):
            raise error
        jll = gaussian_joint_log_likelihood(X, self.theta_, self.var_, self.class_prior_)
        if np.isnan(jll).any() or np.isposinf(jll).any() or np.isneginf(jll).all(axis=1).any():
            raise ValueError(
                "X is too far from every class for float64: the squared distances to the class "
                f"means overflow (largest |X| = {np.max(np.abs(X)):.3g}); rescale X."
            )
        return jll

    def predict_log_proba(self, X):
        """Log posterior ``log P(C_k | x)``, normalized by a log-sum-exp over the classes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        jll = self.predict_joint_log_proba(X)
        return jll - logsumexp(jll, axis=1, keepdims=True)

    def predict_proba(self, X):
        """Posterior ``P(C_k | x)``; rows sum to 1.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """Bayesian decision: the class of largest posterior.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        jll = self.predict_joint_log_proba(X)
        return self.classes_[np.argmax(jll, axis=1)]
