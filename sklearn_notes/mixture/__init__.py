"""Gaussian mixtures and k-means on one EM engine (notes: latent variables, EM, GMM, k-means)."""

from ._gmm import GMMEM, GMMSample
from ._kmeans import KMeansEM, kmeans_plusplus

__all__ = ["GMMEM", "GMMSample", "KMeansEM", "kmeans_plusplus"]
