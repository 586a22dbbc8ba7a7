"""KMeansEM: hard EM, its monotone inertia, weights, and agreement with scikit-learn's KMeans."""

import multiprocessing
import sys
import warnings

import numba
import numpy as np
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from sklearn_notes.mixture import KMeansEM, _kmeans, kmeans_plusplus
from sklearn_notes.mixture._kmeans import assign_nearest, hard_responsibilities

_coordinates = st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False)


@st.composite
def problems(draw):
    """``(X, n_clusters)``: the data are drawn themselves, so that a failure shrinks."""
    n, d = draw(st.integers(20, 120)), draw(st.integers(1, 4))
    return draw(hnp.arrays(np.float64, (n, d), elements=_coordinates)), draw(st.integers(1, 6))


@settings(max_examples=30, deadline=None)
@given(problems(), st.data(), st.sampled_from(["k-means++", "random"]), st.integers(0, 2**16))
def test_kmeansem_inertia_never_increases(problem, data, init, seed):
    # (the seed drives the random initialization only: a random process by nature)
    X, K = problem
    n = X.shape[0]
    w = data.draw(hnp.arrays(np.float64, n, elements=st.integers(0, 3).map(float)))
    w[0] = 1.0
    K = min(K, int(np.count_nonzero(w))) if init == "random" else K
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        km = KMeansEM(K, init=init, tol=0, n_init=1, random_state=seed).fit(X, sample_weight=w)
    history = km.inertia_history_
    assert len(history) == km.n_iter_ + 1
    assert np.all(np.diff(history) <= 1e-9 * max(1.0, history[0]))
    assert history[-1] == km.inertia_
    # The inertia is what it says: weighted squared distances to the assigned centers.
    assigned = np.sum((X - km.cluster_centers_[km.labels_]) ** 2, axis=1)
    np.testing.assert_allclose(km.inertia_, w @ assigned, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(km.labels_, km.predict(X))


@settings(max_examples=30, deadline=None)
@given(problems(), st.data())
def test_kmeansem_e_step_is_the_nearest_center_and_gathers_r_transpose_x(problem, data):
    X, K = problem
    n, d = X.shape
    centers = data.draw(hnp.arrays(np.float64, (K, d), elements=_coordinates))
    w = data.draw(hnp.arrays(np.float64, n, elements=st.floats(0.0, 2.0)))
    labels, min_d, sums, weights = assign_nearest(X, centers, np.einsum("ij,ij->i", X, X), w)
    D = cdist(X, centers, "sqeuclidean")
    np.testing.assert_allclose(min_d, D.min(axis=1), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(D[np.arange(n), labels], D.min(axis=1), rtol=1e-9, atol=1e-9)
    R = hard_responsibilities(labels, w, K)  # the one-hot "responsibilities"
    np.testing.assert_allclose(sums, R.T @ X, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(weights, R.T @ np.ones(n), rtol=1e-12)


def test_kmeansem_matches_sklearn_from_the_same_start():
    X, _ = make_blobs(2000, n_features=5, centers=6, cluster_std=3.0, random_state=0)
    start = X[:6].copy()
    ours = KMeansEM(6, init=start, tol=0, max_iter=500).fit(X)
    theirs = KMeans(6, init=start, n_init=1, tol=0, max_iter=500, algorithm="lloyd").fit(X)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-10)
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-10)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-9)
    np.testing.assert_allclose(ours.score(X), theirs.score(X), rtol=1e-10)
    # With its own seeding, ours reaches an inertia as good as KMeans' (within 1 %).
    ours = KMeansEM(6, n_init=5, random_state=0).fit(X)
    theirs = KMeans(6, n_init=5, random_state=0).fit(X)
    assert ours.inertia_ <= theirs.inertia_ * 1.01


def test_kmeansem_sample_weight_equals_repeating_samples():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(40, 3))
    w = rng.randint(0, 4, size=40)
    X_repeated = np.repeat(X, w, axis=0)
    perm = rng.permutation(40)  # a different row order too
    weighted = KMeansEM(4, random_state=0).fit(X[perm], sample_weight=w[perm])
    repeated = KMeansEM(4, random_state=0).fit(X_repeated)
    np.testing.assert_allclose(weighted.cluster_centers_, repeated.cluster_centers_, rtol=1e-10)
    np.testing.assert_allclose(weighted.inertia_, repeated.inertia_, rtol=1e-10)


def test_kmeans_plusplus_never_seeds_at_zero_weight_and_spreads_out():
    X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0], [10.1, 10.0], [50.0, 50.0]])
    for seed in range(20):
        _, idx = kmeans_plusplus(X, 2, sample_weight=[1, 1, 1, 1, 0], random_state=seed)
        assert 4 not in idx
        assert {int(i) // 2 for i in idx} == {0, 1}


def test_kmeansem_empty_cluster_is_relocated():
    X = np.array([[0.0], [0.2], [0.4], [10.0], [10.2], [10.4]])
    km = KMeansEM(3, init=np.array([[0.2], [10.2], [1000.0]]), tol=0).fit(X)
    assert len(np.unique(km.labels_)) == 3  # the far center took a sample instead of staying empty
    assert km.inertia_ < 0.08 + 0.08


def test_kmeansem_chunked_e_step_gives_the_same_fit(monkeypatch):
    X, _ = make_blobs(500, n_features=3, centers=4, cluster_std=2.0, random_state=2)
    whole = KMeansEM(4, random_state=0).fit(X)
    # 7-row chunks in 5 blocks: chunk and block edges fall everywhere
    monkeypatch.setattr(_kmeans, "_CHUNK_ROWS", 7)
    monkeypatch.setattr(_kmeans, "_MIN_BLOCK_ROWS", 100)
    chunked = KMeansEM(4, random_state=0).fit(X)
    np.testing.assert_array_equal(chunked.labels_, whole.labels_)
    np.testing.assert_allclose(chunked.cluster_centers_, whole.cluster_centers_, rtol=1e-12)


def test_kmeansem_e_step_does_not_depend_on_the_thread_count():
    X, _ = make_blobs(20_000, n_features=5, centers=6, cluster_std=3.0, random_state=1)
    centers = X[:6].copy()
    x_sq = np.einsum("ij,ij->i", X, X)
    # the E-step takes as many threads as scikit-learn's OpenMP would (threadpoolctl's limit)
    with threadpool_limits(limits=1, user_api="openmp"):
        one = _kmeans.assign_nearest(X, centers, x_sq)
    with threadpool_limits(limits=numba.config.NUMBA_NUM_THREADS, user_api="openmp"):
        many = _kmeans.assign_nearest(X, centers, x_sq)
    with pytest.MonkeyPatch.context() as mp:  # the serial path of a forked child
        mp.setattr(_kmeans, "_parallel_allowed", lambda: False)
        serial = _kmeans.assign_nearest(X, centers, x_sq)
    for a, b, c in zip(one, many, serial):
        np.testing.assert_array_equal(a, b)  # bitwise: the blocks are summed in a fixed order
        np.testing.assert_array_equal(a, c)
    # and the statistics are the E-step's: nearest centroid, its distance, R^T X and R^T 1
    D = ((X[:, None, :] - centers[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(one[0], D.argmin(axis=1))
    np.testing.assert_allclose(one[1], D.min(axis=1), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(one[2], [X[one[0] == k].sum(axis=0) for k in range(6)], rtol=1e-12)
    np.testing.assert_array_equal(one[3], np.bincount(one[0], minlength=6))


def _fit_inertia(seed):
    X, _ = make_blobs(5_000, n_features=4, centers=5, random_state=seed)
    return KMeansEM(5, random_state=seed).fit(X).inertia_


@pytest.mark.skipif(sys.platform == "win32", reason="fork is POSIX")
def test_kmeansem_fits_in_a_child_forked_after_a_fit():
    # GNU OpenMP cannot run in a child forked from a process that used it (numba terminates the
    # child and a multiprocessing pool then waits forever): the child must fall back to serial.
    expected = _fit_inertia(0)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply_async(_fit_inertia, (0,)).get(timeout=60) == expected


def test_kmeansem_n_init_auto_and_restarts():
    X, _ = make_blobs(300, centers=5, cluster_std=2.0, random_state=3)
    one = KMeansEM(5, init="random", n_init=1, random_state=0).fit(X)
    auto = KMeansEM(5, init="random", random_state=0).fit(X)  # "auto": 10 restarts for random
    assert auto.inertia_ <= one.inertia_
    with pytest.warns(RuntimeWarning, match="performing only one init"):
        KMeansEM(5, init=X[:5], n_init=3).fit(X)


def test_kmeansem_transform_score_and_errors():
    X, _ = make_blobs(100, centers=3, random_state=0)
    km = KMeansEM(3, random_state=0).fit(X)
    np.testing.assert_allclose(km.transform(X), cdist(X, km.cluster_centers_), rtol=1e-9)
    np.testing.assert_allclose(km.fit_transform(X), km.transform(X))
    np.testing.assert_allclose(km.score(X), -km.inertia_, rtol=1e-12)
    assert list(km.get_feature_names_out()) == ["kmeansem0", "kmeansem1", "kmeansem2"]
    with pytest.raises(ValueError, match="n_samples=2 should be >= n_clusters=3"):
        KMeansEM(3).fit(X[:2])
    with pytest.raises(ValueError, match="shape"):
        KMeansEM(3, init=np.zeros((2, 2))).fit(X)
    with pytest.raises(ValueError, match="non-zero"):
        KMeansEM(3).fit(X, sample_weight=np.zeros(100))


def test_kmeansem_max_iter_warns():
    X, _ = make_blobs(300, centers=5, cluster_std=3.0, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        KMeansEM(5, max_iter=1, tol=0, random_state=0).fit(X)


def test_kmeansem_tol_is_sklearns_centre_shift_and_reaches_its_inertia():
    # Regression (issue 13): tol was a relative change of inertia, and the defaults stopped well
    # short of KMeans' inertia. From the same poor start both now run the same iterations to the
    # same centres.
    X, _ = make_blobs(50_000, n_features=10, centers=8, cluster_std=6, random_state=0)
    start = X[np.argsort(np.sum((X - X[0]) ** 2, axis=1))[:8]]
    ours = KMeansEM(8, init=start).fit(X)
    theirs = KMeans(8, init=start, n_init=1, algorithm="lloyd").fit(X)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-12)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-10)
    assert ours.inertia_ < 17.2e6


def test_kmeansem_callable_init_and_its_n_init():
    X, _ = make_blobs(300, centers=4, cluster_std=1.0, random_state=0)
    calls = []

    def first_rows(data, n_clusters, random_state):
        calls.append(random_state)
        return data[:n_clusters]

    km = KMeansEM(4, init=first_rows, n_init=1).fit(X)
    same = KMeansEM(4, init=X[:4]).fit(X)
    np.testing.assert_array_equal(km.cluster_centers_, same.cluster_centers_)
    assert len(calls) == 1 and isinstance(calls[0], np.random.RandomState)
    calls.clear()
    KMeansEM(4, init=first_rows).fit(X)  # n_init="auto": 10 for a callable, as in scikit-learn
    assert len(calls) == 10
    with pytest.raises(
        ValueError, match=r"initial centers \(2, 2\) \(init callable.s result\).*number of clusters"
    ):
        KMeansEM(4, init=lambda data, k, random_state: data[:2]).fit(X)


def test_kmeansem_warns_when_fewer_distinct_points_than_clusters():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 5, axis=0)
    with pytest.warns(ConvergenceWarning, match=r"distinct clusters \(2\).*n_clusters \(3\)"):
        km = KMeansEM(3, random_state=0).fit(X)
    assert km.inertia_ == 0.0


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150])
def test_kmeansem_is_scale_equivariant_without_warnings(scale):
    # Squares of the data over- or underflow at these scales; the fit divides by a power of two
    # first, so the same clustering comes out and no RuntimeWarning leaks (issue 16).
    X, _ = make_blobs(300, centers=3, random_state=0)
    ref = KMeansEM(3, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        km = KMeansEM(3, random_state=0).fit(X * scale)
        np.testing.assert_array_equal(km.labels_, ref.labels_)
        np.testing.assert_allclose(km.cluster_centers_, ref.cluster_centers_ * scale, rtol=1e-12)
        np.testing.assert_allclose(km.inertia_, ref.inertia_ * scale**2, rtol=1e-12)
        np.testing.assert_allclose(km.transform(X * scale), ref.transform(X) * scale, rtol=1e-12)


def test_kmeansem_huge_inputs_give_finite_answers_or_name_the_overflow():
    X, _ = make_blobs(200, centers=3, random_state=0)
    km = KMeansEM(3, random_state=0).fit(X)
    big = X * 1e200
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        distances = km.transform(big)  # ~1e200: representable, computed on scaled arrays
        assert np.all(np.isfinite(distances))
        np.testing.assert_allclose(distances[:, 0], np.linalg.norm(X, axis=1) * 1e200, rtol=1e-12)
        assert np.array_equal(km.predict(big), km.predict(big * 2))
        with pytest.raises(ValueError, match="overflow"):
            km.score(big)  # -inertia ~ -1e402 is not a float64
        with pytest.raises(ValueError, match="overflow"):
            KMeansEM(3, random_state=0).fit(X * 1e300)
    assert km.n_features_in_ == 2 and km.predict(X).shape == (200,)


def test_kmeansem_score_refuses_negative_sample_weight():
    X, _ = make_blobs(50, centers=2, random_state=0)
    km = KMeansEM(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="Negative values"):
        km.score(X, sample_weight=-np.ones(50))


def test_kmeansem_failed_refit_leaves_the_model_bit_identical():
    X, _ = make_blobs(100, centers=3, random_state=0)
    km = KMeansEM(3, random_state=0).fit(X)
    before = {k: np.copy(v) for k, v in vars(km).items() if k.endswith("_")}
    km.set_params(init=np.zeros((2, 5)))  # fails after validation wrote n_features_in_ = 5
    with pytest.raises(ValueError, match="shape"):
        km.fit(np.c_[X, X, X[:, :1]])
    for key, value in before.items():
        np.testing.assert_array_equal(getattr(km, key), value)
    assert km.n_features_in_ == 2


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
        elements=st.sampled_from([-2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0]),
    )
)
def test_kmeansem_sparse_seeding_order_is_the_dense_lexicographic_order(X):
    # Small value sets make equal rows and shared prefixes common: ties must stay stable.
    sparse = _kmeans._as_data(scipy.sparse.csr_matrix(X))
    np.testing.assert_array_equal(_kmeans._canonical_order(sparse), _kmeans._canonical_order(X))


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_kmeansem_sparse_fit_equals_dense_fit(init, fmt):
    X = scipy.sparse.random(600, 80, density=0.05, format=fmt, random_state=0)
    dense = X.toarray()
    w = np.random.RandomState(0).randint(0, 3, size=600).astype(float)
    w[0] = 1.0
    sparse_fit = KMeansEM(5, init=init, random_state=0).fit(X, sample_weight=w)
    dense_fit = KMeansEM(5, init=init, random_state=0).fit(dense, sample_weight=w)
    np.testing.assert_array_equal(sparse_fit.labels_, dense_fit.labels_)
    np.testing.assert_allclose(sparse_fit.cluster_centers_, dense_fit.cluster_centers_, atol=1e-12)
    np.testing.assert_allclose(sparse_fit.inertia_, dense_fit.inertia_, rtol=1e-12)
    assert sparse_fit.n_iter_ == dense_fit.n_iter_
    np.testing.assert_array_equal(sparse_fit.predict(X), dense_fit.predict(dense))
    np.testing.assert_allclose(sparse_fit.transform(X), dense_fit.transform(dense), atol=1e-12)
    np.testing.assert_allclose(sparse_fit.score(X), dense_fit.score(dense), rtol=1e-12)
    # and from the same start, the same iterations and inertia as scikit-learn's sparse Lloyd
    start = dense_fit.cluster_centers_ + 0.01
    ours = KMeansEM(5, init=start, tol=0).fit(X)
    theirs = KMeans(5, init=start, n_init=1, tol=0).fit(X)
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-10)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)


def test_kmeansem_sparse_input_is_never_densified(monkeypatch):
    X = scipy.sparse.random(400, 50, density=0.1, format="csr", random_state=1)
    expected = KMeansEM(3, random_state=0).fit(X).cluster_centers_

    def refuse(*args, **kwargs):
        raise AssertionError("a sparse matrix was densified")

    def rows_from_csr(X, rows):  # the seeds' rows, built from the stored entries only
        dense = np.zeros((len(rows), X.shape[1]))
        for out, r in enumerate(rows):
            start, stop = X.indptr[r], X.indptr[r + 1]
            dense[out, X.indices[start:stop]] = X.data[start:stop]
        return dense

    for method in ("toarray", "todense", "__array__"):
        monkeypatch.setattr(scipy.sparse.csr_matrix, method, refuse, raising=False)
    monkeypatch.setattr(_kmeans, "_dense_rows", rows_from_csr)
    km = KMeansEM(3, random_state=0).fit(X)
    np.testing.assert_array_equal(km.cluster_centers_, expected)
    km.predict(X), km.transform(X), km.score(X)


# --- ported from scikit-learn's sklearn/cluster/tests/test_k_means.py ---------------------------


@pytest.mark.parametrize("container", [np.array, scipy.sparse.csr_matrix])
def test_kmeansem_toy_results_worked_out_by_hand(container):
    X = container(np.array([[0, 0], [0.5, 0], [0.5, 1], [1, 1]]))
    km = KMeansEM(2, init=np.array([[0.0, 0], [1, 1]])).fit(X, sample_weight=[3, 1, 1, 3])
    np.testing.assert_array_equal(km.labels_, [0, 0, 1, 1])
    np.testing.assert_allclose(km.inertia_, 0.375)
    np.testing.assert_allclose(km.cluster_centers_, [[0.125, 0], [0.875, 1]])
    assert km.n_iter_ == 2  # the second M-step moves nothing: a centre shift of 0, as in sklearn


@pytest.mark.parametrize("container", [np.array, scipy.sparse.csr_matrix])
def test_kmeansem_relocates_an_empty_cluster_like_sklearn(container):
    X = container(np.array([[0, 0], [0.5, 0], [0.5, 1], [1, 1]]))
    km = KMeansEM(2, init=np.array([[0.5, 0.5], [3, 3]])).fit(X)  # (3, 3) is empty at first
    assert km.n_iter_ == 3
    np.testing.assert_allclose(km.inertia_, 0.25)
    centers = sorted(km.cluster_centers_.tolist())
    np.testing.assert_allclose(centers, [[0.25, 0], [0.75, 1]])


def test_kmeansem_stops_when_more_clusters_than_distinct_points():
    X = np.array([[0, 0], [1, 1], [1, 1], [1, 0], [0, 1]], dtype=float)
    with pytest.warns(ConvergenceWarning, match=r"distinct clusters \(4\).*n_clusters \(5\)"):
        km = KMeansEM(5, init=X).fit(X)
    assert km.n_iter_ == 1  # nothing relocated onto a duplicate; the empty centre stays put
    np.testing.assert_array_equal(km.cluster_centers_, X)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(x_squared_norms=np.ones(3)), "length of x_squared_norms 3 should be equal"),
        (dict(n_local_trials=0), "n_local_trials is set to 0"),
        (dict(sample_weight=-np.ones(10)), "Negative values"),
    ],
)
def test_kmeans_plusplus_wrong_params(kwargs, match):
    X = np.random.RandomState(0).standard_normal((10, 2))
    with pytest.raises(ValueError, match=match):
        kmeans_plusplus(X, 3, **kwargs)
    with pytest.raises(ValueError, match="n_samples=10 should be >= n_clusters=11"):
        kmeans_plusplus(X, 11)


@pytest.mark.parametrize(
    "init, match",
    [
        (np.zeros((2, 2)), r"initial centers \(2, 2\).*number of clusters 3"),
        (np.zeros((3, 5)), r"initial centers \(3, 5\).*number of features of the data 2"),
    ],
)
def test_kmeansem_wrong_init_shape_messages(init, match):
    X = np.random.RandomState(0).standard_normal((10, 2))
    with pytest.raises(ValueError, match=match):
        KMeansEM(3, init=init).fit(X)
    with pytest.raises(ValueError, match=match):
        KMeansEM(3, init=lambda X, k, random_state: init).fit(X)
