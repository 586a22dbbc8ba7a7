"""Naive Bayes classifiers (notes: Bayes' theorem, conditional independence, Bayesian decision)."""

__all__ = []
