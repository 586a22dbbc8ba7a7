"""Perceptron, MLP with hand-written backprop, RNN/LSTM/GRU and CNN classifiers (notes: neural nets)."""

__all__ = []
