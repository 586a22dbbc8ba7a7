"""Shared utilities: PSD test, KL divergences, estimator discovery."""

from ._discovery import all_estimators
from ._divergence import gaussian_kl, kl_divergence
from ._fit_guard import atomic_fit
from ._psd import is_psd

__all__ = ["all_estimators", "atomic_fit", "gaussian_kl", "is_psd", "kl_divergence"]
