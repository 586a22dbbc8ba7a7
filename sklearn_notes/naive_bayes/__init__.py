"""Naive Bayes classifiers (notes: Bayes' theorem, conditional independence, Bayesian decision)."""

from ._gaussian import GaussianNB

__all__ = ["GaussianNB"]
