import numpy as np
import pytest
from sklearn.base import BaseEstimator

from sklearn_notes.utils import atomic_fit


class _Model(BaseEstimator):
    def __init__(self, fail_with=None):
        self.fail_with = fail_with

    @atomic_fit
    def fit(self, X):
        X = np.asarray(X, dtype=float)
        self.n_features_in_ = X.shape[1]
        if hasattr(self, "coef_") and self.coef_.shape == (X.shape[1],):
            self.coef_ += 1.0  # a warm start that updates a learned array in place
        else:
            self.coef_ = np.zeros(X.shape[1])
        self.new_attr_ = True
        if self.fail_with is not None:
            raise self.fail_with
        return self


@pytest.mark.parametrize("error", [RuntimeError("solver"), KeyboardInterrupt()])
def test_atomic_fit_restores_state_and_reraises(error):
    model = _Model().fit(np.ones((3, 2)))
    del model.new_attr_
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(model).items()}
    model.fail_with = error
    with pytest.raises(type(error)):
        model.fit(np.ones((3, 2)))  # in-place update of coef_, then failure
    model.fail_with = None
    assert set(vars(model)) == set(before)
    np.testing.assert_array_equal(model.coef_, before["coef_"])
    assert model.n_features_in_ == 2
    with pytest.raises(RuntimeError):
        model.set_params(fail_with=RuntimeError("x")).fit(np.ones((3, 5)))
    assert model.n_features_in_ == 2


def test_atomic_fit_success_keeps_new_state():
    model = _Model().fit(np.ones((3, 2)))
    model.fit(np.ones((3, 2)))
    np.testing.assert_array_equal(model.coef_, [1.0, 1.0])
    assert model.new_attr_


class _Shared(BaseEstimator):
    """Two attributes holding one array, and a label binarizer holding another (MLP-like)."""

    def __init__(self, fail_with=None):
        self.fail_with = fail_with

    @atomic_fit
    def fit(self, X):
        from sklearn.preprocessing import LabelBinarizer

        self.a_ = self.b_ = np.zeros(len(X))
        self._binarizer = LabelBinarizer().fit(np.arange(len(X)))
        self.classes_ = self._binarizer.classes_
        if self.fail_with is not None:
            self.a_[:] = 7.0  # in place: b_ sees it too
            raise self.fail_with
        return self


@pytest.mark.parametrize("error", [ValueError("bad y"), KeyboardInterrupt()])
def test_atomic_fit_keeps_shared_arrays_shared_so_the_pickle_is_unchanged(error):
    import pickle

    model = _Shared().fit([[0.0]] * 4)
    before = pickle.dumps(model)
    with pytest.raises(type(error)):
        model.set_params(fail_with=error).fit([[0.0]] * 4)
    model.set_params(fail_with=None)
    assert model.a_ is model.b_ and model.classes_ is model._binarizer.classes_
    assert pickle.dumps(model) == before


def test_atomic_fit_unwraps_an_interrupt_that_numba_turned_into_a_system_error():
    # a Ctrl-C landing while numba's dispatcher runs Python code comes out of the compiled call
    # as SystemError("... returned a result with an exception set") caused by the interrupt
    def numba_like():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise SystemError("returned a result with an exception set") from interrupt

    class Compiled(_Model):
        @atomic_fit
        def fit(self, X):
            self.n_features_in_ = 99
            numba_like()

    model = Compiled()
    model.n_features_in_ = 2
    with pytest.raises(KeyboardInterrupt):
        model.fit([[1.0]])
    assert model.n_features_in_ == 2
    with pytest.raises(SystemError):  # any other SystemError stays what it is
        atomic_fit(lambda self: (_ for _ in ()).throw(SystemError("other")))(model)
