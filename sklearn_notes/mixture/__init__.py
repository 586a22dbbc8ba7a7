"""Gaussian mixtures and k-means on one EM engine (notes: latent variables, EM, GMM, k-means)."""

__all__ = []
