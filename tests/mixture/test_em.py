"""The shared EM engine: one loop for the soft (GMM) and hard (k-means) models."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from sklearn_notes.mixture import GMMEM, KMeansEM
from sklearn_notes.mixture._em import BaseEM


def test_base_em_owns_the_loop_and_models_only_supply_steps():
    for cls in (GMMEM, KMeansEM):
        assert issubclass(cls, BaseEM)
        for engine_method in ("_fit_em", "_fit_em_runs", "_run_em"):
            assert engine_method not in vars(cls), (cls, engine_method)
        for hook in ("_initialize", "_e_step", "_m_step"):
            assert hook in vars(cls), (cls, hook)


class _MeanModel(BaseEM):
    """The smallest EM 'model': one Gaussian mean with unit variance and no latent variable.

    The M-step solves it exactly, so the loop must converge after one iteration.
    """

    def __init__(self, tol=1e-8, max_iter=10, n_init=1, random_state=None, verbose=0):
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.random_state = random_state
        self.verbose = verbose

    def _initialize(self, data, sample_weight, random_state):
        return random_state.standard_normal(data.shape[1]) * 10

    def _e_step(self, data, sample_weight, mean):
        return None, -0.5 * float(sample_weight @ np.sum((data - mean) ** 2, axis=1))

    def _m_step(self, data, sample_weight, resp):
        return np.average(data, axis=0, weights=sample_weight)


def test_base_em_loop_counts_history_and_best_restart():
    X = np.random.RandomState(0).standard_normal((50, 2)) + 3
    run = _MeanModel(n_init=3, random_state=0)._fit_em(X, np.ones(50))
    assert run.converged and run.n_iter == 2  # the exact step, then a zero change
    assert len(run.history) == 3 and run.history[1] == run.history[2]
    np.testing.assert_allclose(run.params, X.mean(axis=0))


def test_kmeans_is_the_hard_limit_of_the_gmm_posterior():
    # With equal weights and a shared variance s^2 -> 0, the GMM responsibilities become the
    # one-hot nearest-centroid assignment of k-means: the two E-steps coincide.
    X, _ = make_blobs(300, centers=4, cluster_std=2.0, random_state=0)
    km = KMeansEM(4, random_state=0).fit(X)
    s2 = 1e-3
    gmm = GMMEM(
        4,
        covariance_type="spherical",
        weights_init=np.full(4, 0.25),
        means_init=km.cluster_centers_,
        precisions_init=np.full(4, 1 / s2),
        max_iter=0,
    ).fit(X)
    resp = gmm.predict_proba(X)
    np.testing.assert_array_equal(gmm.predict(X), km.labels_)
    # r_ik / r_il = exp(-(d_k^2 - d_l^2) / (2 s^2)): one-hot unless a point is (almost) on a border.
    d2 = np.sort(km.transform(X) ** 2, axis=1)
    clear = (d2[:, 1] - d2[:, 0]) / (2 * s2) > 30
    assert clear.mean() > 0.95
    np.testing.assert_allclose(resp[clear], np.eye(4)[km.labels_][clear], atol=1e-9)


@pytest.mark.parametrize("estimator", [GMMEM(3, random_state=0), KMeansEM(3, random_state=0)])
def test_em_models_are_deterministic_given_random_state(estimator):
    X, _ = make_blobs(200, centers=3, random_state=1)
    a = estimator.fit(X).predict(X)
    b = estimator.fit(X).predict(X)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "estimator, module, step",
    [
        (KMeansEM(3, random_state=0), "sklearn_notes.mixture._kmeans", "assign_nearest"),
        (GMMEM(3, random_state=0), "sklearn_notes.mixture._gmm", "responsibilities"),
    ],
    ids=["KMeansEM", "GMMEM"],
)
def test_em_interrupted_refit_reraises_and_keeps_the_model(estimator, module, step, monkeypatch):
    import importlib
    import pickle

    X, _ = make_blobs(200, centers=3, random_state=0)
    estimator.fit(X)
    before = {key: pickle.dumps(value) for key, value in vars(estimator).items()}
    target = importlib.import_module(module)
    original, calls = getattr(target, step), []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # in the middle of the EM loop
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(target, step, interrupted)
    with pytest.raises(KeyboardInterrupt):
        estimator.fit(np.c_[X, X])  # validation has already seen 4 features
    assert {key: pickle.dumps(value) for key, value in vars(estimator).items()} == before
