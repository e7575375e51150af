"""embedkit.datasets.vectors: shapes, determinism, and that the data is realistically hard."""
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import gaussian_mixture, make_search_data


@pytest.fixture(scope="module")
def data():
    return make_search_data(n=8000, nq=100, d=32, seed=0)


def test_shapes_dtypes_and_layout(data):
    assert data.database.shape == (8000, 32) and data.queries.shape == (100, 32)
    assert data.train.shape == (8000, 32)  # default: min(n, 50_000)
    for a in (data.database, data.queries, data.train):
        assert a.dtype == np.float32 and a.flags.c_contiguous
    assert data.d == 32 and "n=8000" in repr(data)


def test_same_seed_same_data_different_seed_different_data():
    a = make_search_data(n=500, nq=10, d=8, seed=7)
    b = make_search_data(n=500, nq=10, d=8, seed=7)
    c = make_search_data(n=500, nq=10, d=8, seed=8)
    np.testing.assert_array_equal(a.database, b.database)
    np.testing.assert_array_equal(a.queries, b.queries)
    assert not np.array_equal(a.database, c.database)


def test_queries_and_train_are_fresh_draws(data):
    # No query is a database row (a query in the database finds itself at distance 0).
    index = ek.FlatIndex(data.d)
    index.add(data.database)
    D, _ = index.search(data.queries, 1)
    assert D.min() > 1e-3
    assert not np.array_equal(data.train[:10], data.database[:10])


def test_ground_truth_is_exact_and_cached(data):
    gt = data.ground_truth(5)
    d2 = ((data.queries[:, None, :] - data.database[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(gt, np.argsort(d2, axis=1, kind="stable")[:, :5])
    np.testing.assert_array_equal(data.ground_truth(3), gt[:, :3])  # served from the cache


def test_decaying_spectrum_and_unequal_clusters():
    X, labels = gaussian_mixture(20_000, 32, n_clusters=50, decay=1.0, seed=0)
    eig = np.sort(np.linalg.eigvalsh(np.cov(X.T)))[::-1]
    assert eig[0] > 10 * eig[-1]          # a few directions carry most variance
    assert eig[:8].sum() / eig.sum() > 0.4
    sizes = np.bincount(labels, minlength=50)
    assert sizes.max() > 3 * sizes.min()  # some topics are much more common


def test_ivf_at_nprobe_1_is_far_from_perfect(data):
    """The point of the generator: blobs would give nprobe=1 recall near 1."""
    index = ek.IVFIndex(data.d, 64, seed=0)
    index.train(data.train)
    index.add(data.database)
    recall = ek.recall_at_k(index.search(data.queries, 10)[1], data.ground_truth(10), 10)
    assert recall < 0.8
    # ...while well-separated blobs (small overlap) are easy: the contrast the docstring draws.
    easy = make_search_data(n=8000, nq=100, d=32, n_clusters=64, overlap=0.1, seed=0)
    index = ek.IVFIndex(easy.d, 64, seed=0)
    index.train(easy.train)
    index.add(easy.database)
    assert ek.recall_at_k(index.search(easy.queries, 10)[1], easy.ground_truth(10), 10) > recall + 0.1


def test_cosine_variant_is_normalised():
    data = make_search_data(n=300, nq=5, d=8, metric="cosine", seed=0)
    np.testing.assert_allclose(np.linalg.norm(data.database, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(data.queries, axis=1), 1.0, rtol=1e-5)
    assert data.metric == "cosine"


def test_bad_inputs():
    with pytest.raises(ValueError, match="n must be >= 1"):
        make_search_data(n=0)
    with pytest.raises(ValueError, match="overlap must be > 0"):
        make_search_data(n=10, overlap=0)
    with pytest.raises(ValueError, match="metric must be one of"):
        make_search_data(n=10, metric="ip")
    with pytest.raises(TypeError, match="nq must be an integer"):
        make_search_data(n=10, nq=2.5)
    with pytest.raises(ValueError, match="decay must be >= 0"):
        gaussian_mixture(10, decay=-1)
    with pytest.raises(ValueError, match="k must be <= 10"):
        make_search_data(n=10, nq=2, d=4).ground_truth(11)
