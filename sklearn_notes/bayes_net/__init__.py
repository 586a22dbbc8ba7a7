"""Discrete Bayesian networks and d-separation (notes: Bayesian network, d-separation)."""

__all__ = []
