"""The compiled SGD epoch equals the reference minibatch steps written with numpy."""

import numpy as np
import pytest
from scipy import sparse

from sklearn_notes.linear_model._gd import DesignProblem
from sklearn_notes.linear_model._sgd_epoch import kernel_input, sgd_epoch


def _reference_epoch(problem, theta, order, batch_size, eta):
    for start in range(0, len(order), batch_size):
        sub = problem.batch(order[start : start + batch_size])
        _, grad, _ = sub.value_grad(theta, sub.lin(theta))
        theta = sub.prox(theta - eta * grad, eta)
    return theta


@pytest.mark.parametrize("loss", ["squared", "logistic", "multinomial"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("batch_size", [1, 7])
@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("positive", [False, True])
def test_sgd_epoch_equals_numpy_minibatch_steps(loss, fit_intercept, batch_size, layout, positive):
    rng = np.random.default_rng(0)
    n, d = 30, 4
    X = rng.standard_normal((n, d)) + 1.5
    if loss == "squared":
        Y = rng.standard_normal((n, 2))
    elif loss == "logistic":
        Y = rng.integers(0, 2, (n, 1)).astype(float)
    else:
        Y = np.eye(3)[rng.integers(0, 3, n)]
    sw = rng.uniform(0.2, 3.0, n)
    X[rng.random((n, d)) < 0.4] = 0.0
    args = (Y, sw, loss, 0.1, 1.0, fit_intercept)
    problem = DesignProblem(X, *args, positive=positive)
    theta = rng.standard_normal(problem.shape) * 0.3
    order = rng.permutation(n)
    expected = _reference_epoch(problem, theta, order, batch_size, eta=0.05)
    if layout == "csr":  # the layout the estimators hand over: float64 data, int64 indices
        X = kernel_input(sparse.csr_matrix(X))
        problem = DesignProblem(X, *args, positive=positive)
    got = sgd_epoch(problem, theta, order, batch_size, eta=0.05)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    assert np.any(got == 0.0)  # the soft-threshold produced exact zeros
    if positive:
        assert np.all(got[:d] >= 0.0)
