"""Tour rows of the neural-network family, each next to scikit-learn's estimator of the same name."""

from sklearn import linear_model, neural_network
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .._tour import TourEntry
from ._mlp import MLPClassifier, MLPRegressor
from ._perceptron import Perceptron
from ._torch_classifiers import CNNClassifier, RNNClassifier


def _scaled(estimator):
    return make_pipeline(StandardScaler(), estimator)


def _mlp_params(quick):
    return dict(hidden_layer_sizes=(64,), max_iter=30 if quick else 200, random_state=0)


def _mlp_regressor_params(quick):
    # diabetes targets are in the hundreds: a larger step gets there within the epoch budget
    return dict(
        hidden_layer_sizes=(32,),
        learning_rate_init=0.05,
        max_iter=150 if quick else 500,
        random_state=0,
    )


TOUR = [
    TourEntry(
        "Perceptron",
        "breast_cancer",
        make=lambda quick: _scaled(Perceptron(tol=1e-3, random_state=0)),
        reference=lambda quick: _scaled(linear_model.Perceptron(random_state=0)),
        score_name="accuracy",
    ),
    TourEntry(
        "MLPClassifier",
        "digits",
        make=lambda quick: _scaled(MLPClassifier(**_mlp_params(quick))),
        reference=lambda quick: _scaled(neural_network.MLPClassifier(**_mlp_params(quick))),
        score_name="accuracy",
    ),
    TourEntry(
        "MLPRegressor",
        "diabetes",
        make=lambda quick: _scaled(MLPRegressor(**_mlp_regressor_params(quick))),
        reference=lambda quick: _scaled(
            neural_network.MLPRegressor(**_mlp_regressor_params(quick))
        ),
        score_name="R^2",
    ),
    TourEntry(
        "CNNClassifier",
        "digits",
        make=lambda quick: _scaled(CNNClassifier(max_epochs=5 if quick else 30, random_state=0)),
        reference=None,  # scikit-learn has no convolutional network
        score_name="accuracy",
    ),
    TourEntry(
        # digits read row by row: 8 time steps of 8 pixels
        "RNNClassifier",
        "digits",
        make=lambda quick: _scaled(
            RNNClassifier("gru", n_step_features=8, max_epochs=5 if quick else 30, random_state=0)
        ),
        reference=None,
        score_name="accuracy",
    ),
]
