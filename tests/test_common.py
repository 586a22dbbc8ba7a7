"""Conformance of every exported estimator: scikit-learn's checks, Pipeline, GridSearchCV, clone,
pickle. Estimators come from ``all_estimators()``, so a new one is covered the moment it is exported.
"""

import importlib
import inspect
import pickle
import pkgutil

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone, is_classifier, is_regressor
from sklearn.datasets import make_blobs, make_classification, make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_notes
from sklearn_notes import all_estimators
from sklearn_notes.utils._test_common import (
    EXPECTED_FAILED_CHECKS,
    construct_instance,
    grid_for,
)

ESTIMATORS = [construct_instance(cls) for _, cls in all_estimators()]
IDS = [type(est).__name__ for est in ESTIMATORS]


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


if ESTIMATORS:

    @parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
    def test_sklearn_compatible_estimator(estimator, check):
        check(estimator)


def _data_for(estimator):
    if is_classifier(estimator):
        X, y = make_classification(
            n_samples=120, n_features=5, n_informative=3, n_classes=3, random_state=0
        )
    elif is_regressor(estimator):
        X, y = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
    else:
        X, y = make_blobs(n_samples=120, n_features=3, centers=3, random_state=0)
    return X * 3.0 + 1.0, y  # off-scale, so that the scaler in the pipeline has work to do


def _outputs(estimator, X):
    """Everything a fitted estimator computes from X, to compare two fitted copies."""
    out = {}
    for method in ("predict", "predict_proba", "decision_function", "transform", "score_samples"):
        if hasattr(estimator, method):
            out[method] = np.asarray(getattr(estimator, method)(X))
    if hasattr(estimator, "sample"):
        out["sample"] = np.asarray(estimator.sample(5, random_state=0))
    assert out, f"{type(estimator).__name__} computes nothing from X"
    return out


def _assert_same_outputs(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_pipeline_and_grid_search(estimator):
    X, y = _data_for(estimator)
    step = type(estimator).__name__.lower()
    pipe = make_pipeline(StandardScaler(), clone(estimator))
    pipe.fit(X, y)
    _outputs(pipe, X)
    grid = {f"{step}__{key}": values for key, values in grid_for(estimator).items()}
    search = GridSearchCV(pipe, grid, cv=3, error_score="raise").fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_params_.keys() == grid.keys()


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_clone_and_pickle_round_trip(estimator):
    X, y = _data_for(estimator)
    fitted = clone(estimator).fit(X, y)
    expected = _outputs(fitted, X)
    _assert_same_outputs(expected, _outputs(clone(estimator).fit(X, y), X))
    _assert_same_outputs(expected, _outputs(pickle.loads(pickle.dumps(fitted)), X))


def _is_skorch_net(cls):
    try:
        from skorch import NeuralNet
    except ImportError:
        return False
    return issubclass(cls, NeuralNet)


def test_all_estimators_are_exported_and_discovered():
    """Every concrete estimator defined in the package is exported at the top level (the skorch
    nets inside the torch-backed estimators are their engines, not estimators of their own)."""
    exported = dict(all_estimators())
    defined = {}
    for info in pkgutil.walk_packages(sklearn_notes.__path__, "sklearn_notes."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # a torch-only module when the "deep" extra is not installed
            continue
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
                and not inspect.isabstract(obj)
                and not _is_skorch_net(obj)
            ):
                defined[name] = obj
    assert defined.keys() <= exported.keys(), sorted(defined.keys() - exported.keys())
    for name, cls in exported.items():
        assert getattr(sklearn_notes, name) is cls
        assert name in sklearn_notes.__all__
