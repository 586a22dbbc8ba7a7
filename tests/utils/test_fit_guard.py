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
