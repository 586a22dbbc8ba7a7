import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_notes.utils import is_psd

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=finite))
def test_is_psd_gram_matrices_are_psd(A):
    assert is_psd(A @ A.T)


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=finite),
    st.floats(0.1, 10),
)
def test_is_psd_rejects_shifted_gram(A, shift):
    # Subtracting more than the smallest eigenvalue leaves a negative eigenvalue.
    G = A @ A.T
    lam_min = np.linalg.eigvalsh(G)[0]
    assert not is_psd(G - (lam_min + shift) * np.eye(len(G)))


def test_is_psd_accepts_zero_eigenvalues():
    # The notes' 1-D rule is "second derivative >= 0": a singular PSD matrix is PSD.
    v = np.array([[1.0], [2.0], [3.0]])
    assert is_psd(v @ v.T)
    assert is_psd(np.zeros((3, 3)))


def test_is_psd_indefinite():
    assert not is_psd(np.diag([1.0, -1e-3]))


@pytest.mark.parametrize(
    "M, match",
    [
        (np.ones((2, 3)), "square"),
        (np.array([[1.0, 2.0], [0.0, 1.0]]), "symmetric"),
        (np.array([[np.nan, 0.0], [0.0, 1.0]]), "finite"),
        (np.ones(3), "square"),
    ],
)
def test_is_psd_invalid_input(M, match):
    with pytest.raises(ValueError, match=match):
        is_psd(M)


def test_is_psd_negative_tol():
    with pytest.raises(ValueError, match="tol"):
        is_psd(np.eye(2), tol=-1)
