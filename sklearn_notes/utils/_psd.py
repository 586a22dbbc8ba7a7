"""Positive semi-definiteness (concept map row 14).

The notes: "Hessian PSD => convex; PSD means x^T H x >= 0 for every x". For a symmetric matrix that is
equivalent to all eigenvalues being >= 0, which is what :func:`is_psd` checks (the notes' 1-D rule is
"second derivative >= 0", not "> 0": zero eigenvalues are allowed). The same test serves Hessians of
the linear models and kernel Gram matrices of the SVM.
"""

import numpy as np
import scipy.linalg

__all__ = ["is_psd"]


def is_psd(M, tol=1e-8):
    """Test whether a symmetric matrix is positive semi-definite.

    A symmetric matrix ``M`` is PSD when ``x^T M x >= 0`` for every ``x``, i.e. when its smallest
    eigenvalue is ``>= 0``. Round-off makes exact zeros come out as tiny negatives, so the smallest
    eigenvalue is compared with ``-tol * max(1, |largest eigenvalue|)``.

    Parameters
    ----------
    M : array-like of shape (n, n)
        Square, symmetric (to within ``1e-8`` relative) real matrix.
    tol : float, default=1e-8
        Relative tolerance on the smallest eigenvalue.

    Returns
    -------
    psd : bool
        True when ``M`` is positive semi-definite.

    Raises
    ------
    ValueError
        If ``M`` is not a finite square symmetric matrix or ``tol`` is negative.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_notes.utils import is_psd
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
    >>> is_psd(X @ X.T)  # a Gram matrix
    True
    >>> is_psd(np.array([[0.0, 1.0], [1.0, 0.0]]))  # eigenvalues -1 and 1
    False
    """
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"is_psd needs a square 2-D matrix, got shape {M.shape}.")
    if not np.all(np.isfinite(M)):
        raise ValueError("is_psd needs a finite matrix; M contains NaN or infinity.")
    if not (np.isscalar(tol) and tol >= 0):
        raise ValueError(f"tol must be a non-negative number, got {tol!r}.")
    if M.size == 0:
        return True
    scale = max(1.0, float(np.max(np.abs(M))))
    if not np.allclose(M, M.T, rtol=1e-8, atol=1e-8 * scale):
        raise ValueError("is_psd needs a symmetric matrix; M differs from its transpose.")
    eigvals = scipy.linalg.eigvalsh((M + M.T) / 2.0)
    return bool(eigvals[0] >= -tol * max(1.0, abs(eigvals[-1])))
