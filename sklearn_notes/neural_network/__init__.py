"""Perceptron, MLPs with hand-written backprop, CNN and RNN/LSTM/GRU classifiers (notes: Neural
Network). The CNN and RNN classifiers import torch only when fitted."""

from ._mlp import MLPClassifier, MLPRegressor
from ._perceptron import Perceptron
from ._torch_classifiers import CNNClassifier, RNNClassifier

__all__ = ["CNNClassifier", "MLPClassifier", "MLPRegressor", "Perceptron", "RNNClassifier"]
