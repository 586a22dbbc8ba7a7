"""Secure persistence: save a fitted estimator and load it back without running untrusted code."""

from ._persistence import UntrustedTypeError, load, save

__all__ = ["UntrustedTypeError", "load", "save"]
