"""Scaling out: GridSearchCV over our estimators on a Dask cluster gives the local results (slow)."""

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification
from sklearn.model_selection import GridSearchCV


def _search(estimator, grid, X, y, backend=None):
    import joblib

    search = GridSearchCV(estimator, grid, cv=3, n_jobs=2 if backend else 1)
    if backend is None:
        return search.fit(X, y).cv_results_
    with joblib.parallel_backend(backend):
        return search.fit(X, y).cv_results_


def _assert_same_cv_results(local, distributed):
    for key in local:
        if key.endswith("_time"):
            continue  # wall-clock
        a, b = local[key], distributed[key]
        if isinstance(a, np.ma.MaskedArray) or key == "params":
            assert list(a) == list(b), key
        else:
            np.testing.assert_array_equal(a, b, err_msg=key)


@pytest.mark.slow
def test_grid_search_on_a_dask_cluster_matches_the_local_search():
    distributed = pytest.importorskip("distributed")
    from sklearn_notes import KernelSVC, RNNClassifier

    X, y = load_iris(return_X_y=True)
    Xs, ys = make_classification(n_samples=90, n_features=6, n_informative=4, random_state=0)
    cases = [
        (KernelSVC(), {"C": [0.1, 1.0, 10.0], "gamma": ["scale", 0.5]}, X, y),
        (RNNClassifier(max_epochs=3, random_state=0), {"hidden_size": [4, 8]}, Xs, ys),
    ]
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster, distributed.Client(cluster):
        for estimator, grid, Xc, yc in cases:
            local = _search(estimator, grid, Xc, yc)
            on_cluster = _search(estimator, grid, Xc, yc, backend="dask")
            _assert_same_cv_results(local, on_cluster)
