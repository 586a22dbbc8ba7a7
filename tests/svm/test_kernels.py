"""The kernels of the notes: PSD Gram matrices, the sigmoid counterexample, the kernel trick."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_notes.svm import KernelSVC
from sklearn_notes.svm._kernels import KernelRows, kernel_matrix, resolve_gamma
from sklearn_notes.utils import is_psd

finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
matrices = st.integers(2, 12).flatmap(
    lambda n: st.integers(1, 4).flatmap(lambda d: arrays(np.float64, (n, d), elements=finite))
)


@settings(max_examples=30, deadline=None)
@given(
    X=matrices,
    kernel=st.sampled_from(["linear", "poly", "rbf", "gaussian"]),
    gamma=st.floats(0.05, 2.0),
    coef0=st.floats(0.0, 2.0),
    degree=st.integers(1, 4),
)
def test_kernel_gram_matrices_are_psd(X, kernel, gamma, coef0, degree):
    K = kernel_matrix(X, X, kernel, gamma=gamma, coef0=coef0, degree=degree)
    assert is_psd(K, tol=1e-7)


def test_sigmoid_kernel_is_not_psd_counterexample():
    # K = [[tanh 1, tanh 2], [tanh 2, tanh 4]]: det = 0.7616 * 0.9993 - 0.9640^2 = -0.168 < 0.
    X = np.array([[1.0], [2.0]])
    K = kernel_matrix(X, X, "sigmoid", gamma=1.0, coef0=0.0)
    assert np.linalg.det(K) < -0.1
    assert not is_psd(K)
    # A vector with x^T K x < 0, the notes' definition of "not PSD".
    v = np.array([1.0, -0.9])
    assert v @ K @ v < 0


@settings(max_examples=30, deadline=None)
@given(X=matrices, gamma=st.floats(0.1, 2.0), coef0=st.floats(0.0, 2.0))
def test_poly2_kernel_equals_explicit_feature_map(X, gamma, coef0):
    # (gamma x.x' + c0)^2 = <phi(x), phi(x')> with phi(x) = [c0, sqrt(2 c0 gamma) x, gamma vec(x
    # x^T)].
    def phi(x):
        linear = np.sqrt(2 * coef0 * gamma) * x
        return np.concatenate([[coef0], linear, gamma * np.outer(x, x).ravel()])

    Phi = np.array([phi(x) for x in X])
    K = kernel_matrix(X, X, "poly", gamma=gamma, coef0=coef0, degree=2)
    np.testing.assert_allclose(K, Phi @ Phi.T, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kernel", ["linear", "poly", "rbf", "sigmoid"])
def test_kernel_rows_match_pairwise_kernels_in_float32(kernel):
    rng = np.random.RandomState(0)
    X = rng.randn(40, 5)
    params = dict(gamma=0.3, degree=3, coef0=0.5)
    rows, cols = np.array([3, 0, 7]), np.arange(40)
    block = KernelRows(X, kernel, **params)(rows, cols)
    assert block.dtype == np.float32
    expected = kernel_matrix(X[rows], X, kernel, **params)
    np.testing.assert_allclose(block, expected, rtol=1e-5, atol=1e-5)


def test_gaussian_is_rbf():
    rng = np.random.RandomState(1)
    X, y = rng.randn(60, 3), rng.randint(0, 2, 60)
    a = KernelSVC(kernel="gaussian").fit(X, y).decision_function(X)
    b = KernelSVC(kernel="rbf").fit(X, y).decision_function(X)
    np.testing.assert_array_equal(a, b)


def test_gamma_scale_uses_weighted_variance():
    X = np.array([[0.0, 0.0], [1.0, 3.0], [5.0, 2.0]])
    w = np.array([2.0, 1.0, 0.0])
    X_rep = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 3.0]])
    assert resolve_gamma("scale", X, w) == pytest.approx(resolve_gamma("scale", X_rep))
    assert resolve_gamma("scale", X) == pytest.approx(1 / (2 * X.var()))
    assert resolve_gamma("auto", X) == 0.5
    assert resolve_gamma(0.7, X) == 0.7
