"""Input validation shared by the families, the same on every supported scikit-learn version."""

import numpy as np
from sklearn.utils.validation import _check_sample_weight

__all__ = ["check_sample_weight"]


def check_sample_weight(sample_weight, X, dtype=np.float64):
    """Validate ``sample_weight`` against ``X``: finite, non-negative, and not all zero.

    scikit-learn's private ``_check_sample_weight`` rejects all-zero weights only from 1.7 on; a
    fit on weights summing to 0 has no objective, so this refuses it on every version with the
    message scikit-learn uses.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,), scalar or None
        ``None`` means unit weights.
    X : array-like of shape (n_samples, n_features)
    dtype : dtype, default=np.float64

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,)

    Raises
    ------
    ValueError
        On a wrong shape, negative or non-finite weights, or weights that sum to 0.
    """
    sample_weight = _check_sample_weight(sample_weight, X, dtype=dtype, ensure_non_negative=True)
    if not np.sum(sample_weight) > 0:
        raise ValueError(
            "Sample weights must contain at least one non-zero number; sample_weight sums to 0."
        )
    return sample_weight
