"""Perceptron and multi-layer perceptrons with hand-written backprop (notes: Neural Network)."""

from ._mlp import MLPClassifier, MLPRegressor
from ._perceptron import Perceptron

__all__ = ["MLPClassifier", "MLPRegressor", "Perceptron"]
