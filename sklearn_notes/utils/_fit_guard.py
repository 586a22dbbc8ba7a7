"""A fit that fails, or is interrupted, leaves the estimator exactly as it was.

scikit-learn's ``validate_data(reset=True)`` writes ``n_features_in_`` (and ``feature_names_in_``)
onto the estimator before the solver runs; a solver that then raises, or a user's Ctrl-C, would
leave a model that rejects the very data it was trained on. :func:`atomic_fit` snapshots the
instance's state before ``fit`` and puts it back on any exception, ``KeyboardInterrupt`` included,
before re-raising it.
"""

import functools

import numpy as np

__all__ = ["atomic_fit"]


def _snapshot(estimator):
    # Arrays are copied because a warm start may update a learned array in place; other values are
    # replaced, never mutated, by the estimators' fits (they compute into locals), so a shallow copy
    # of the instance dictionary is enough for them.
    return {
        key: value.copy() if isinstance(value, np.ndarray) else value
        for key, value in vars(estimator).items()
    }


def atomic_fit(method):
    """Decorate a ``fit``-like method so that an exception restores the estimator's prior state.

    Parameters
    ----------
    method : callable
        ``fit``, ``partial_fit`` or ``fit_predict``-like method of an estimator.

    Returns
    -------
    wrapped : callable
        The method; when it raises (``KeyboardInterrupt`` included), every attribute of the
        instance is restored to what it was on entry, and the exception propagates.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> class Failing(BaseEstimator):
    ...     @atomic_fit
    ...     def fit(self, X):
    ...         self.n_features_in_ = len(X[0])
    ...         raise RuntimeError("solver failed")
    >>> est = Failing()
    >>> est.n_features_in_ = 3
    >>> try:
    ...     est.fit([[1.0, 2.0]])
    ... except RuntimeError:
    ...     pass
    >>> est.n_features_in_
    3
    """

    @functools.wraps(method)
    def wrapped(self, *args, **kwargs):
        state = _snapshot(self)
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(state)
            raise

    return wrapped
