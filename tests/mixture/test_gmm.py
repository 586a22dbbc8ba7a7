"""GMMEM: the EM guarantees of the notes, checked numerically, and agreement with scikit-learn."""

import warnings
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.stats import multivariate_normal
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from sklearn_notes.mixture import GMMEM, KMeansEM, _gmm
from sklearn_notes.utils import is_psd, kl_divergence

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def _random_problem(seed, n_samples, n_features, n_components):
    """Clustered data for the example-based tests (the property tests draw theirs)."""
    rng = np.random.RandomState(seed)
    centers = rng.uniform(-5, 5, size=(n_components, n_features))
    labels = rng.randint(n_components, size=n_samples)
    scales = rng.uniform(0.3, 2.0, size=(n_components, n_features))
    return centers[labels] + rng.standard_normal((n_samples, n_features)) * scales[labels]


def _dense_covariances(gmm):
    """Covariances of every component as (K, d, d) matrices, whatever the covariance type."""
    K, d = gmm.means_.shape
    cov = gmm.covariances_
    if gmm.covariance_type == "full":
        return cov
    if gmm.covariance_type == "tied":
        return np.stack([cov] * K)
    if gmm.covariance_type == "diag":
        return np.stack([np.diag(c) for c in cov])
    return np.stack([np.eye(d) * c for c in cov])


def _log_joint(gmm, X):
    """ln pi_k + ln N(x_i | mu_k, Sigma_k), computed independently with scipy.stats."""
    covs = _dense_covariances(gmm)
    return np.column_stack(
        [
            np.log(w) + multivariate_normal(mean=m, cov=c).logpdf(X)
            for w, m, c in zip(gmm.weights_, gmm.means_, covs)
        ]
    )


@st.composite
def problems(draw):
    """``(X, n_components, covariance_type, seed)``: clustered data drawn element by element
    (centres, memberships, offsets and per-cluster scales), so that a failure shrinks to a few
    simple points; the seed drives only the random initialization of EM."""
    n, d, K = draw(st.integers(30, 80)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    floats = partial(st.floats, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    centers = draw(hnp.arrays(np.float64, (K, d), elements=floats(-5, 5)))
    labels = draw(hnp.arrays(np.int64, n, elements=st.integers(0, K - 1)))
    scales = draw(hnp.arrays(np.float64, (K, d), elements=floats(0.3, 2.0)))
    offsets = draw(hnp.arrays(np.float64, (n, d), elements=floats(-3, 3)))
    X = centers[labels] + offsets * scales[labels]
    return X, K, draw(st.sampled_from(COVARIANCE_TYPES)), draw(st.integers(0, 2**16))


@settings(max_examples=25, deadline=None)
@given(problems())
def test_gmmem_log_likelihood_never_decreases(problem):
    X, K, covariance_type, seed = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gmm = GMMEM(
            K,
            covariance_type=covariance_type,
            init_params="random",
            tol=0,
            max_iter=30,
            random_state=seed,
        ).fit(X)
    history = gmm.lower_bounds_
    assert len(history) == gmm.n_iter_ + 1
    # Round-off: a component that collapses onto repeated points has a variance near reg_covar,
    # computed as E[x^2] - mu^2 to about eps * max x^2; its log-density then moves by that over
    # reg_covar from one iteration to the next, while EM itself stands still.
    resolution = 50 * np.finfo(float).eps * np.max(X**2) / gmm.reg_covar
    assert np.all(np.diff(history) >= -1e-10 * max(1.0, np.abs(history).max()) - resolution)
    assert history[-1] == gmm.lower_bound_
    # the same quantity, summed in another order (BLAS threads, chunks): round-off only
    np.testing.assert_allclose(gmm.score(X), gmm.lower_bound_, rtol=1e-9, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(problems(), st.integers(0, 2**16))
def test_gmmem_em_bound_holds_and_is_tight_at_the_posterior(problem, q_seed):
    # ln p(X|theta) = ELBO(q, theta) + sum_i KL(q_i || p(z | x_i, theta)) >= ELBO(q, theta).
    X, K, covariance_type, seed = problem
    n = len(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gmm = GMMEM(K, covariance_type=covariance_type, max_iter=3, random_state=seed).fit(X)
    log_joint = _log_joint(gmm, X)  # independent of GMMEM's own E-step
    log_p = np.logaddexp.reduce(log_joint, axis=1)  # ln p(x_i | theta)

    def elbo_rows(q):
        safe = np.where(q > 0, q, 1.0)
        return np.sum(q * (log_joint - np.log(safe)), axis=1)

    posterior = gmm.predict_proba(X)
    np.testing.assert_allclose(elbo_rows(posterior).sum(), log_p.sum(), rtol=0, atol=1e-10 * n)
    np.testing.assert_allclose(gmm.score_samples(X), log_p, rtol=1e-10, atol=1e-8)

    q = np.random.RandomState(q_seed).dirichlet(np.ones(K), size=n)
    gap = log_p - elbo_rows(q)
    assert np.all(gap >= -1e-9)
    # The gap is KL(q_i || p(z | x_i)); where the posterior underflows to 0 that KL is +inf in
    # floating point while the gap is merely huge, so compare where it is representable.
    finite = np.all(posterior > 1e-250, axis=1)
    kl = kl_divergence(q[finite], posterior[finite])
    np.testing.assert_allclose(gap[finite], kl, rtol=1e-7, atol=1e-8)


@settings(max_examples=20, deadline=None)
@given(problems())
def test_gmmem_responsibilities_are_probability_rows_and_covariances_psd(problem):
    X, K, covariance_type, seed = problem
    n = len(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gmm = GMMEM(K, covariance_type=covariance_type, random_state=seed).fit(X)
    resp = gmm.predict_proba(X)
    assert resp.shape == (n, K)
    assert np.all(resp >= 0) and np.all(resp <= 1)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(gmm.weights_.sum(), 1.0)
    for cov in _dense_covariances(gmm):
        assert is_psd(cov)
    if covariance_type == "full":
        for cov, prec in zip(gmm.covariances_, gmm.precisions_):
            np.testing.assert_allclose(cov @ prec, np.eye(X.shape[1]), atol=1e-8)


def _same_start(X, K, covariance_type, seed=0):
    ref = GaussianMixture(
        K,
        covariance_type=covariance_type,
        max_iter=1,
        random_state=seed,
        init_params="random_from_data",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref.fit(X)
    return dict(weights_init=ref.weights_, means_init=ref.means_, precisions_init=ref.precisions_)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gmmem_matches_sklearn_from_the_same_start(covariance_type):
    X, _ = make_blobs(600, n_features=3, centers=4, cluster_std=2.0, random_state=1)
    start = _same_start(X, 4, covariance_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # The same number of EM iterations: the same parameters (the trajectories coincide).
        ours = GMMEM(4, covariance_type=covariance_type, tol=0, max_iter=7, **start).fit(X)
        theirs = GaussianMixture(4, covariance_type=covariance_type, tol=0, max_iter=7, **start)
        theirs.fit(X)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_", "precisions_"):
        np.testing.assert_allclose(
            getattr(ours, name), getattr(theirs, name), rtol=1e-6, atol=1e-8, err_msg=name
        )
    # Its lower bound is the log-likelihood one M-step earlier; ours is at the returned parameters.
    np.testing.assert_allclose(ours.lower_bounds_[-2], theirs.lower_bound_, rtol=1e-10)
    # Run to convergence: the same optimum.
    ours = GMMEM(4, covariance_type=covariance_type, tol=1e-10, max_iter=5000, **start).fit(X)
    theirs = GaussianMixture(
        4, covariance_type=covariance_type, tol=1e-10, max_iter=5000, **start
    ).fit(X)
    np.testing.assert_allclose(ours.lower_bound_, theirs.lower_bound_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.means_, theirs.means_, rtol=0, atol=1e-3)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.bic(X), theirs.bic(X), rtol=1e-8)
    np.testing.assert_allclose(ours.aic(X), theirs.aic(X), rtol=1e-8)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gmmem_chunked_statistics_give_the_same_fit(covariance_type, monkeypatch):
    X = _random_problem(3, 200, 3, 3)
    cached = GMMEM(3, covariance_type=covariance_type, random_state=0).fit(X)
    monkeypatch.setattr(_gmm, "_MAX_CACHED_STATS", 0)
    monkeypatch.setattr(_gmm, "_CHUNK_ELEMENTS", 70)  # chunks of a few rows
    chunked = GMMEM(3, covariance_type=covariance_type, random_state=0).fit(X)
    np.testing.assert_allclose(chunked.means_, cached.means_, rtol=1e-10)
    np.testing.assert_allclose(chunked.lower_bound_, cached.lower_bound_, rtol=1e-12)
    np.testing.assert_allclose(chunked.predict_proba(X), cached.predict_proba(X), atol=1e-12)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_gmmem_every_init_params_finds_the_blobs(init_params):
    X, y = make_blobs(300, centers=[[-6, 0], [0, 6], [6, 0]], cluster_std=0.8, random_state=0)
    gmm = GMMEM(3, init_params=init_params, n_init=3, random_state=0).fit(X)
    labels = gmm.fit_predict(X)
    # Each true blob maps to one component.
    assert len({tuple(np.unique(labels[y == k])) for k in range(3)}) == 3
    assert all(len(np.unique(labels[y == k])) == 1 for k in range(3))


def test_gmmem_kmeans_init_uses_kmeansem():
    X = _random_problem(5, 150, 2, 3)
    gmm = GMMEM(3, max_iter=0, random_state=np.random.RandomState(0)).fit(X)
    labels = KMeansEM(3, n_init=1, random_state=np.random.RandomState(0)).fit(X).labels_
    means = np.array([X[labels == k].mean(axis=0) for k in range(3)])
    np.testing.assert_allclose(gmm.means_, means, rtol=1e-10)
    assert gmm.n_iter_ == 0 and len(gmm.lower_bounds_) == 1


def test_gmmem_fit_predict_agrees_with_predict():
    X = _random_problem(7, 300, 2, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for max_iter in (1, 2, 100):
            gmm = GMMEM(4, max_iter=max_iter, random_state=0)
            np.testing.assert_array_equal(gmm.fit_predict(X), gmm.predict(X))


def test_gmmem_n_init_keeps_the_best():
    X = _random_problem(11, 200, 2, 5)
    single = GMMEM(5, init_params="random_from_data", random_state=0).fit(X)
    several = GMMEM(5, init_params="random_from_data", n_init=6, random_state=0).fit(X)
    # The first restart of the second fit is the first fit; the best can only be as good or better.
    assert several.lower_bound_ >= single.lower_bound_


def test_gmmem_warm_start_continues_from_the_previous_fit():
    X = _random_problem(2, 200, 2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        straight = GMMEM(3, tol=0, max_iter=6, random_state=0).fit(X)
        warm = GMMEM(3, tol=0, max_iter=2, warm_start=True, random_state=0)
        for _ in range(3):
            warm.fit(X)
    np.testing.assert_allclose(warm.means_, straight.means_, rtol=1e-9)
    np.testing.assert_allclose(warm.lower_bound_, straight.lower_bound_, rtol=1e-12)


def test_gmmem_max_iter_warns_and_verbose_reports(capsys):
    X = _random_problem(4, 200, 2, 3)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        GMMEM(3, max_iter=1, tol=0, verbose=2, random_state=0).fit(X)
    out = capsys.readouterr().out
    assert "Iteration 1" in out and "Initialization 0" in out


def test_gmmem_ill_conditioned_covariance_names_reg_covar():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0]]), 10, axis=0)
    with pytest.raises(ValueError, match="reg_covar"):
        GMMEM(2, reg_covar=0.0, random_state=0).fit(X)
    gmm = GMMEM(2, reg_covar=1e-6, random_state=0).fit(X)  # regularized: fine
    assert np.all(np.isfinite(gmm.precisions_))


def test_gmmem_failed_fit_leaves_no_half_fitted_model():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0]]), 10, axis=0)
    gmm = GMMEM(2, reg_covar=0.0, random_state=0)
    with pytest.raises(ValueError):
        gmm.fit(X)
    assert not hasattr(gmm, "means_")


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(weights_init=[0.5, 0.6]), "sum to 1"),
        (dict(weights_init=[1.0]), "shape"),
        (dict(means_init=np.zeros((3, 2))), "shape"),
        (dict(precisions_init=-np.ones((2, 2, 2))), "positive definite"),
        (dict(covariance_type="diag", precisions_init=-np.ones((2, 2))), "positive"),
    ],
)
def test_gmmem_bad_initial_parameters_raise(params, message):
    X = _random_problem(0, 50, 2, 2)
    with pytest.raises(ValueError, match=message):
        GMMEM(2, **params).fit(X)


def test_gmmem_too_few_samples_is_a_clear_error():
    with pytest.raises(ValueError, match="n_samples = 3"):
        GMMEM(5).fit(np.arange(6.0).reshape(3, 2))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gmmem_sample_follows_the_fitted_mixture(covariance_type):
    X = _random_problem(8, 300, 2, 2)
    gmm = GMMEM(2, covariance_type=covariance_type, random_state=0).fit(X)
    drawn = gmm.sample(20000, random_state=1)
    Xs, ys = drawn
    assert Xs.shape == (20000, 2) and ys.shape == (20000,)
    np.testing.assert_array_equal(np.asarray(drawn), Xs)
    np.testing.assert_allclose(np.bincount(ys, minlength=2) / 20000, gmm.weights_, atol=0.02)
    covs = _dense_covariances(gmm)
    for k in range(2):
        np.testing.assert_allclose(Xs[ys == k].mean(axis=0), gmm.means_[k], atol=0.1)
        np.testing.assert_allclose(np.cov(Xs[ys == k].T), covs[k], atol=0.15)
    np.testing.assert_array_equal(gmm.sample(5, random_state=3).X, gmm.sample(5, random_state=3).X)


def test_gmmem_more_components_raise_likelihood_but_bic_picks_the_truth():
    X, _ = make_blobs(600, centers=[[-5, 0], [5, 0], [0, 8]], cluster_std=1.0, random_state=0)
    fits = {k: GMMEM(k, random_state=0, n_init=2).fit(X) for k in range(1, 6)}
    scores = [fits[k].score(X) for k in range(1, 6)]
    assert scores[2] > scores[1] > scores[0]
    assert min(fits, key=lambda k: fits[k].bic(X)) == 3
    assert fits[3].aic(X) < fits[1].aic(X)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_gmmem_sample_weight_equals_repeating_samples(covariance_type):
    rng = np.random.RandomState(0)
    X = _random_problem(1, 60, 2, 3)
    w = rng.randint(0, 4, size=60)
    perm = rng.permutation(60)
    weighted = GMMEM(3, covariance_type=covariance_type, random_state=0)
    weighted.fit(X[perm], sample_weight=w[perm])
    repeated = GMMEM(3, covariance_type=covariance_type, random_state=0).fit(np.repeat(X, w, 0))
    np.testing.assert_allclose(weighted.lower_bound_, repeated.lower_bound_, rtol=1e-9)
    np.testing.assert_allclose(weighted.means_, repeated.means_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-7)


def test_gmmem_warm_start_with_other_features_is_a_clear_error_and_keeps_the_model():
    X, _ = make_blobs(200, centers=2, random_state=0)
    gmm = GMMEM(2, warm_start=True, random_state=0).fit(X)
    means = gmm.means_.copy()
    with pytest.raises(ValueError, match="X has 4 features, but GMMEM is expecting 2"):
        gmm.fit(np.c_[X, X])
    assert gmm.n_features_in_ == gmm.means_.shape[1] == 2
    np.testing.assert_array_equal(gmm.means_, means)
    gmm.fit(X)  # and it still continues from its own fit


def test_gmmem_huge_inputs_name_the_overflow_without_warnings():
    X, _ = make_blobs(200, centers=2, random_state=0)
    gmm = GMMEM(2, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in (gmm.predict_proba, gmm.predict, gmm.score_samples):
            with pytest.raises(ValueError, match="overflow"):
                method(X * 1e200)
        with pytest.raises(ValueError, match="overflow"):
            GMMEM(2, random_state=0).fit(X * 1e300)
        assert np.all(np.isfinite(gmm.predict_proba(X * 1e3)))


def test_gmmem_zero_initial_weight_is_not_a_divide_by_zero():
    X, _ = make_blobs(200, centers=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gmm = GMMEM(2, weights_init=[1.0, 0.0], random_state=0).fit(X)
    assert np.all(np.isfinite(gmm.predict_proba(X)))
    assert gmm.weights_[1] < 1e-10  # a component with no weight takes no responsibility
