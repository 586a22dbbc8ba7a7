"""Linear models trained by gradient descent (notes: loss functions, ridge, lasso, GD, logistic).

One engine (:mod:`._gd`: full-batch / stochastic / minibatch proximal gradient descent with
Lipschitz step sizes and Nesterov-FISTA acceleration) behind three estimators.
"""

from ._lasso import LassoGD, lasso_dual_gap, lasso_kkt_violation
from ._logistic import LogisticRegressionGD
from ._ridge import RidgeGD, ridge_closed_form

__all__ = [
    "LassoGD",
    "LogisticRegressionGD",
    "RidgeGD",
    "lasso_dual_gap",
    "lasso_kkt_violation",
    "ridge_closed_form",
]
