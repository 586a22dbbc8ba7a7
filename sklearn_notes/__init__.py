"""sklearn-notes: machine-learning lecture notes as scikit-learn-compatible estimators.

Every public estimator is re-exported here from its family subpackage; :func:`all_estimators` lists
them. Families: ``linear_model``, ``svm``, ``neural_network``, ``naive_bayes``, ``bayes_net``,
``mixture``, ``generative``; shared helpers live in ``utils``.
"""

from . import (
    bayes_net,
    generative,
    linear_model,
    mixture,
    naive_bayes,
    neural_network,
    svm,
    utils,
)
from .bayes_net import *
from .generative import *
from .linear_model import *
from .mixture import *
from .naive_bayes import *
from .neural_network import *
from .svm import *
from .utils import all_estimators

__version__ = "0.1.0"

__all__ = sorted(
    {
        "all_estimators",
        *bayes_net.__all__,
        *generative.__all__,
        *linear_model.__all__,
        *mixture.__all__,
        *naive_bayes.__all__,
        *neural_network.__all__,
        *svm.__all__,
    }
)
