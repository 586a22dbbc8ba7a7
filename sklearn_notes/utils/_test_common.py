"""The one place for what the common tests need to know about an estimator.

``tests/test_common.py`` builds every estimator from :func:`~sklearn_notes.all_estimators`; this module
says how: constructor arguments that keep the conformance checks fast, the hyper-parameter a
``GridSearchCV`` smoke test searches over, and the checks expected to fail. An estimator that needs none
of this is covered by defaults: nothing to register by hand.

``EXPECTED_FAILED_CHECKS`` is for checks that scikit-learn itself marks as failing for its own
counterpart *for the same reason* (e.g. KMeans's random initialization); each entry states the reason
and the scikit-learn estimator that shares it. Anything else is a bug to fix, not to list.
"""

import inspect
import numbers

__all__ = [
    "EXPECTED_FAILED_CHECKS",
    "FAST_PARAMS",
    "GRID_PARAMS",
    "construct_instance",
    "grid_for",
]

#: Estimator name -> constructor arguments that make ``check_estimator`` run in seconds.
FAST_PARAMS = {
    # generative: a few epochs on the checks' tiny data; a short chain keeps sample() quick
    "Autoencoder": {"max_epochs": 3},
    "VAE": {"max_epochs": 3},
    "GAN": {"max_epochs": 3},
    "DiffusionModel": {"max_epochs": 3, "n_steps": 50},
}

#: Estimator name -> {parameter: values} for the GridSearchCV smoke test.
GRID_PARAMS = {
    "DiffusionModel": {"beta_schedule": ["linear", "cosine"]},
}

#: Estimator name -> {check name: reason}. Keep it empty unless scikit-learn does the same.
EXPECTED_FAILED_CHECKS = {
    # scikit-learn lists the same check for its own Perceptron (and SGDClassifier), for the same
    # reason: the perceptron rule is an online algorithm, and one update scaled by an integer weight
    # k is not the same as k consecutive updates on a repeated sample (each of which may or may not
    # fire), so the learned hyperplane differs.
    "Perceptron": {
        "check_sample_weight_equivalence_on_dense_data": (
            "sample_weight is not equivalent to removing/repeating samples (online perceptron "
            "rule; sklearn.linear_model.Perceptron is marked the same way)."
        ),
        "check_sample_weight_equivalence_on_sparse_data": (
            "sample_weight is not equivalent to removing/repeating samples (online perceptron "
            "rule; sklearn.linear_model.Perceptron is marked the same way)."
        ),
    },
    # The same check scikit-learn marks for SGDClassifier: a weight of k on a sample is not k
    # copies of it in shuffled mini-batch training (the batches and their order differ).
    "CNNClassifier": {
        "check_sample_weight_equivalence_on_dense_data": (
            "sample_weight is not equivalent to removing/repeating samples (mini-batch SGD; "
            "sklearn.linear_model.SGDClassifier is marked the same way)."
        ),
    },
    "RNNClassifier": {
        "check_sample_weight_equivalence_on_dense_data": (
            "sample_weight is not equivalent to removing/repeating samples (mini-batch SGD; "
            "sklearn.linear_model.SGDClassifier is marked the same way)."
        ),
    },
}

# Parameters searched when an estimator has no GRID_PARAMS entry, in order of preference.
_PREFERRED_GRID = ("alpha", "C", "var_smoothing", "n_components", "n_clusters", "latent_dim", "tol")
# Numeric parameters that are not model hyper-parameters.
_NOT_SEARCHED = {"random_state", "verbose", "n_jobs", "max_iter", "cache_size"}


def construct_instance(cls):
    """Build ``cls`` with its fast parameters and, where it has one, ``random_state=0``."""
    params = dict(FAST_PARAMS.get(cls.__name__, {}))
    if "random_state" in inspect.signature(cls).parameters:
        params.setdefault("random_state", 0)
    return cls(**params)


def grid_for(estimator):
    """Return ``{parameter: values}`` to search over for ``estimator``.

    Uses :data:`GRID_PARAMS` when the estimator is listed there; otherwise the first numeric
    hyper-parameter of a preferred list, searched at its current value and a neighbour.
    """
    name = type(estimator).__name__
    if name in GRID_PARAMS:
        return GRID_PARAMS[name]
    params = estimator.get_params(deep=False)
    others = sorted(set(params) - set(_PREFERRED_GRID) - _NOT_SEARCHED)
    for key in (*_PREFERRED_GRID, *others):
        value = params.get(key)
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return {key: [value, value + 1]}
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return {key: [value, value * 2 if value else 1.0]}
    raise ValueError(f"No numeric hyper-parameter to search for {name}; add it to GRID_PARAMS.")
