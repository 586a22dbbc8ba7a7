"""Tour rows of the linear models: each next to its scikit-learn counterpart on the same objective.

Features are standardized inside a pipeline (the notes' GD assumes comparable feature scales).
LogisticRegressionGD's ``alpha`` is matched to LogisticRegression's default ``C=1`` on the training
split (``alpha = 1 / (n_train C)``).
"""

from sklearn.linear_model import Lasso, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .._tour import TourEntry
from ._lasso import LassoGD
from ._logistic import LogisticRegressionGD
from ._ridge import RidgeGD

# train split of the tour (test_size=0.25): breast_cancer 569 -> 426, iris 150 -> 112
_N_TRAIN = {"breast_cancer": 426, "iris": 112}


def _scaled(estimator):
    return make_pipeline(StandardScaler(), estimator)


def _logistic(dataset):
    alpha = 1.0 / _N_TRAIN[dataset]
    return TourEntry(
        name="LogisticRegressionGD",
        dataset=dataset,
        make=lambda quick: _scaled(LogisticRegressionGD(alpha=alpha, tol=1e-4 if quick else 1e-6)),
        reference=lambda quick: _scaled(LogisticRegression(C=1.0)),
        score_name="accuracy",
    )


TOUR = [
    TourEntry(
        name="RidgeGD",
        dataset="diabetes",
        make=lambda quick: _scaled(RidgeGD(alpha=1.0)),
        reference=lambda quick: _scaled(Ridge(alpha=1.0)),
        score_name="R^2",
    ),
    TourEntry(
        name="LassoGD",
        dataset="diabetes",
        make=lambda quick: _scaled(LassoGD(alpha=0.5)),
        reference=lambda quick: _scaled(Lasso(alpha=0.5)),
        score_name="R^2",
    ),
    _logistic("breast_cancer"),
    _logistic("iris"),
]
