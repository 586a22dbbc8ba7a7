"""Linear models trained by gradient descent (notes: loss functions, ridge, lasso, GD, logistic)."""

__all__ = []
