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
    """``(instance dictionary, [(array, copy of its contents)])``.

    Values other than arrays are replaced, never mutated, by the estimators' fits (they compute
    into locals), so keeping the objects is enough for them. An array may be updated in place by a
    warm start, so its contents are copied; the array object itself is put back, with those
    contents, so that arrays shared between attributes (``probA_`` and ``probB_``, ``classes_``
    and a label binarizer's) stay shared and the restored model pickles byte for byte as before.
    """
    state = dict(vars(estimator))
    arrays = {id(v): (v, v.copy()) for v in state.values() if isinstance(v, np.ndarray)}
    return state, list(arrays.values())


def _restore(estimator, snapshot):
    state, arrays = snapshot
    vars(estimator).clear()
    vars(estimator).update(state)
    for array, saved in arrays:
        if array.shape == saved.shape and array.flags.writeable:
            array[...] = saved
        else:  # resized in place (or read-only, hence unchanged): the copy takes its place
            for key, value in state.items():
                if value is array:
                    setattr(estimator, key, saved)


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
        except BaseException as exc:
            _restore(self, state)
            interrupt = _interrupt_behind(exc)
            if interrupt is not None and interrupt is not exc:
                raise interrupt from None
            raise

    return wrapped


def _interrupt_behind(exc):
    """The KeyboardInterrupt that ``exc`` stands for, or None.

    A Ctrl-C that lands while numba's dispatcher runs Python code (unpickling a constant, say)
    comes out of the compiled call as a ``SystemError`` ("returned a result with an exception
    set") whose cause is the interrupt: the user's interrupt should propagate as itself.
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        if not isinstance(exc, SystemError):
            return None
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None
