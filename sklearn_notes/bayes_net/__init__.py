"""Discrete Bayesian networks and d-separation (notes: Bayesian network, d-separation)."""

from ._dag import DAG, Independence

__all__ = ["DAG", "Independence"]
