"""Discrete Bayesian networks and d-separation (notes: Bayesian network, d-separation)."""

from ._bayes_net import CPT, BayesNet, BayesNetSample, n_free_parameters
from ._bif import read_bif
from ._dag import DAG, Independence
from ._inference import variable_elimination
from ._plot import plot_dag

__all__ = [
    "CPT",
    "DAG",
    "BayesNet",
    "BayesNetSample",
    "Independence",
    "n_free_parameters",
    "plot_dag",
    "read_bif",
    "variable_elimination",
]
