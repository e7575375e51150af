"""embedkit.search.kmeans: hand cases, invariants (monotone objective, capacity), faiss as reference."""
import faiss
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import gaussian_mixture
from embedkit.search.kmeans import assign_nearest, kmeans_objective


@pytest.fixture(scope="module")
def X():
    return gaussian_mixture(4000, 16, n_clusters=30, seed=0)[0]


# -- tier 1: hand-computed ----------------------------------------------------------
def test_two_obvious_groups():
    pts = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]], np.float32)
    C, a = ek.kmeans(pts, 2, seed=0)
    order = np.argsort(C[:, 0])
    np.testing.assert_allclose(C[order], [[1 / 3, 1 / 3], [31 / 3, 31 / 3]], atol=1e-6)
    assert len(set(a[:3])) == 1 and len(set(a[3:])) == 1 and a[0] != a[3]
    assert C.dtype == np.float32 and a.dtype == np.int64


def test_one_lloyd_step_by_hand():
    # Points on a line, centroids at 0 and 4: assign {0, 1, 2} -> 0 and {5, 6} -> 4,
    # update to the means 1 and 5.5, objective 2 + 0.5 = 2.5; then nothing moves.
    pts = np.array([[0], [1], [2], [5], [6]], np.float32)
    C, a, history = ek.kmeans(pts, 2, init=np.array([[0], [4]]), return_history=True)
    np.testing.assert_allclose(C, [[1.0], [5.5]])
    np.testing.assert_array_equal(a, [0, 0, 0, 1, 1])
    # J(init) = 0 + 1 + 4 + 1 + 4 = 10; J after one update = 1 + 0 + 1 + 0.25 + 0.25.
    np.testing.assert_allclose(history, [10.0, 2.5])


def test_empty_cluster_is_repaired_not_wasted():
    pts = np.array([[0], [1], [2], [10], [11], [12]], np.float32)
    # The third centroid starts far from every point: it wins nothing in round one.
    C, a, history = ek.kmeans(pts, 3, init=np.array([[1], [11], [1000]]), return_history=True)
    assert np.bincount(a, minlength=3).min() >= 1  # all three clusters are used
    assert history[-1] < 4.0  # the split lowered J below the 2-cluster optimum of 4
    assert np.all(np.diff(history) <= 1e-9)


# -- tier 2: invariants ------------------------------------------------------------
@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_objective_never_increases(X, init):
    _, _, history = ek.kmeans(X, 40, n_iter=25, seed=1, init=init, return_history=True)
    steps = np.diff(history)
    assert np.all(steps <= 1e-6 * history[0]), steps.max()
    assert history[-1] < history[0]


def test_assignment_is_nearest_centroid_and_history_ends_at_result(X):
    C, a, history = ek.kmeans(X, 25, seed=2, return_history=True)
    d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)
    np.testing.assert_array_equal(a, d2.argmin(1))
    assert history[-1] == pytest.approx(kmeans_objective(X, C, a), rel=1e-9)


def test_at_convergence_each_centroid_is_the_mean_of_its_points(X):
    C, a, history = ek.kmeans(X, 25, n_iter=500, seed=2, return_history=True)
    assert len(history) < 501  # stopped early: an assignment step moved nothing
    for j in range(25):
        np.testing.assert_allclose(C[j], X[a == j].mean(0), atol=1e-5)


def test_same_seed_same_result_and_generator_accepted(X):
    C1, a1 = ek.kmeans(X, 10, seed=5)
    C2, a2 = ek.kmeans(X, 10, seed=5)
    C3, _ = ek.kmeans(X, 10, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(C1, C2)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(C1, C3)


def test_kmeans_plusplus_spreads_seeds():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [100, 0], [0, 100], [100, 100]], np.float32)
    pts = np.concatenate([c + rng.standard_normal((250, 2)) for c in centres]).astype(np.float32)
    for seed in range(5):
        seeds = ek.kmeans_plusplus(pts, 4, seed=seed)
        # One seed per blob: D^2 sampling makes a second pick in the same blob ~1e-4 likely.
        blobs = sorted({int(np.argmin(((centres - s) ** 2).sum(1))) for s in seeds})
        assert blobs == [0, 1, 2, 3]


def test_assign_nearest_matches_brute_force(X):
    C = X[:17]
    a, d2 = assign_nearest(X, C)
    full = ((X[:, None, :] - C[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(a, full.argmin(1))
    np.testing.assert_allclose(d2, full.min(1), rtol=1e-4, atol=1e-3)


# -- balanced k-means --------------------------------------------------------------
def test_balanced_kmeans_caps_sizes_and_keeps_every_point(X):
    k = 30
    C, a, history = ek.balanced_kmeans(X, k, seed=0, return_history=True)
    sizes = np.bincount(a, minlength=k)
    assert a.shape == (len(X),) and a.min() >= 0 and a.max() < k  # nobody discarded
    assert sizes.sum() == len(X)
    assert sizes.max() <= int(np.ceil(len(X) / k))
    assert np.all(np.diff(history) <= 1e-6 * history[0])
    # Capacity costs something: the unconstrained optimum has a lower objective.
    _, _, free = ek.kmeans(X, k, seed=0, return_history=True)
    assert free[-1] <= history[-1]
    assert np.bincount(ek.kmeans(X, k, seed=0)[1]).max() > sizes.max()  # plain k-means is uneven


def test_balanced_kmeans_custom_capacity_and_exact_fit():
    pts = np.array([[0], [0.1], [0.2], [0.3], [10]], np.float32)
    # Nearest-centroid would put four points in one cluster; capacity 3 moves one over.
    C, a = ek.balanced_kmeans(pts, 2, capacity=3, init=np.array([[0.1], [10]]))
    assert np.bincount(a).max() <= 3 and len(a) == 5
    assert a[4] == a[3] != a[0]  # the point that moved is the one farthest from the crowd
    with pytest.raises(ValueError, match="capacity=2 is too small"):
        ek.balanced_kmeans(pts, 2, capacity=2)


# -- tier 3: faiss ----------------------------------------------------------------------
def test_objective_comparable_to_faiss(X):
    k = 40
    _, _, history = ek.kmeans(X, k, n_iter=20, seed=0, return_history=True)
    km = faiss.Kmeans(X.shape[1], k, niter=20, seed=0)
    km.train(X)
    # Different seeding, different local optimum: within a few percent either way.
    assert history[-1] <= 1.03 * km.obj[-1]


# -- bad inputs ---------------------------------------------------------------------
def test_bad_inputs(X):
    with pytest.raises(ValueError, match="k=5000 is larger than the number of points in X"):
        ek.kmeans(X, 5000)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        ek.kmeans(X, 0)
    with pytest.raises(ValueError, match="n_iter must be >= 0"):
        ek.kmeans(X, 3, n_iter=-1)
    with pytest.raises(ValueError, match="init must be one of"):
        ek.kmeans(X, 3, init="farthest")
    with pytest.raises(ValueError, match="init must have k=3 rows"):
        ek.kmeans(X, 3, init=X[:4])
    with pytest.raises(ValueError, match="init must have d=16 columns"):
        ek.kmeans(X, 3, init=X[:3, :5])
    bad = X[:50].copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        ek.kmeans(bad, 3)
    with pytest.raises(TypeError, match="seed must be"):
        ek.kmeans(X, 3, seed="zero")
    with pytest.raises(ValueError, match=r"X must be 2-D"):
        ek.balanced_kmeans(X[0], 3)
