"""embedkit.search.ivf.IVFIndex: hand cases, invariants, and faiss IndexIVFFlat as the reference."""
import faiss
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import make_search_data


@pytest.fixture(scope="module")
def small():
    return make_search_data(n=5000, nq=100, d=16, n_train=5000, seed=3)


@pytest.fixture(scope="module")
def trained(small):
    index = ek.IVFIndex(small.d, 32, seed=0)
    index.train(small.train)
    index.add(small.database)
    return index


# -- tier 1: hand-computed ----------------------------------------------------------
def test_two_lists_by_hand():
    index = ek.IVFIndex(1, 2)
    index.set_centroids([[0.0], [10.0]])
    index.add([[1.0], [9.0], [-1.0], [12.0], [4.0]])
    np.testing.assert_array_equal(index.list_sizes, [3, 2])  # 4.0 is nearer to 0 than to 10
    D, I = index.search([[8.0]], 2)  # probes list 1 only: {9, 12}
    np.testing.assert_array_equal(I, [[1, 3]])
    np.testing.assert_allclose(D, [[1.0, 16.0]])
    D, I = index.search([[8.0]], 3)  # list 1 holds only 2 vectors: pad with -1 / inf
    np.testing.assert_array_equal(I, [[1, 3, -1]])
    assert D[0, 2] == np.inf
    index.nprobe = 2  # now both lists: 4.0 (distance 16) ties with 12.0, lower id first
    D, I = index.search([[8.0]], 4)
    np.testing.assert_array_equal(I, [[1, 3, 4, 0]])
    np.testing.assert_allclose(D, [[1.0, 16.0, 16.0, 49.0]])


# -- tier 2: invariants ------------------------------------------------------------
def test_nprobe_equal_nlist_is_exact(small, trained):
    gt = small.ground_truth(10)
    trained.nprobe = trained.nlist
    D, I = trained.search(small.queries, 10)
    assert ek.recall_at_k(I, gt, 10) == 1.0
    flat = ek.FlatIndex(small.d)
    flat.add(small.database)
    Df, _ = flat.search(small.queries, 10)
    np.testing.assert_allclose(D, Df, rtol=1e-5, atol=1e-4)


def test_recall_grows_with_nprobe(small, trained):
    gt = small.ground_truth(10)
    recalls = []
    for nprobe in (1, 2, 4, 8, 16, 32):
        trained.nprobe = nprobe
        recalls.append(ek.recall_at_k(trained.search(small.queries, 10)[1], gt, 10))
    assert all(a <= b + 1e-12 for a, b in zip(recalls, recalls[1:]))
    assert recalls[0] < 0.95 and recalls[-1] == 1.0


def test_lists_partition_the_database(small, trained):
    assert trained.list_sizes.sum() == trained.ntotal == len(small.database)
    # Every vector sits in the list of its nearest centroid.
    C = trained.centroids
    nearest = ((small.database[:, None] - C[None]) ** 2).sum(-1).argmin(1)
    np.testing.assert_array_equal(np.bincount(nearest, minlength=trained.nlist), trained.list_sizes)


def test_padding_when_probed_lists_are_short(small, trained):
    trained.nprobe = 1
    D, I = trained.search(small.queries, 400)
    missing = I == -1
    assert missing.any()
    np.testing.assert_array_equal(missing, np.isinf(D))
    # Padding only at the end of a row; real results are sorted.
    assert np.all(np.diff(missing.astype(int), axis=1) >= 0)
    capped = np.where(missing, np.finfo(np.float32).max, D)
    assert np.all(np.diff(capped, axis=1) >= 0)


def test_ids_survive_several_adds_and_explicit_lists(small):
    index = ek.IVFIndex(small.d, 8, seed=0)
    index.train(small.train)
    for part in np.array_split(small.database[:600], 3):
        index.add(part)
    index.nprobe = 8
    _, I = index.search(small.database[:50], 1)
    np.testing.assert_array_equal(I[:, 0], np.arange(50))
    # Precomputed list numbers (e.g. from balanced_kmeans) are honoured.
    other = ek.IVFIndex(small.d, 8)
    other.set_centroids(index.centroids)
    other.add(small.database[:80], lists=np.arange(80) % 8)
    np.testing.assert_array_equal(other.list_sizes, [10] * 8)


@pytest.mark.parametrize("metric", ["ip", "cosine"])
def test_similarity_metrics_exact_at_full_probe(metric, small):
    index = ek.IVFIndex(small.d, 16, metric=metric, seed=0)
    index.train(small.train)
    index.add(small.database)
    index.nprobe = 16
    flat = ek.FlatIndex(small.d, metric=metric)
    flat.add(small.database)
    D, I = index.search(small.queries, 5)
    Df, If = flat.search(small.queries, 5)
    np.testing.assert_array_equal(I, If)
    np.testing.assert_allclose(D, Df, rtol=1e-5, atol=1e-5)


# -- tier 3: faiss IndexIVFFlat -------------------------------------------------------
@pytest.mark.parametrize("metric", ["l2", "ip"])
def test_same_centroids_same_results_as_faiss(metric, small, trained):
    d = small.d
    ours = ek.IVFIndex(d, trained.nlist, metric=metric)
    ours.set_centroids(trained.centroids)
    ours.add(small.database)
    if metric == "l2":
        theirs = faiss.IndexIVFFlat(faiss.IndexFlatL2(d), d, trained.nlist)
    else:
        theirs = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, trained.nlist, faiss.METRIC_INNER_PRODUCT)
    theirs.quantizer.add(trained.centroids)
    theirs.is_trained = True
    theirs.add(small.database)
    for nprobe in (1, 4, 32):
        ours.nprobe = theirs.nprobe = nprobe
        D, I = ours.search(small.queries, 10)
        Df, If = theirs.search(small.queries, 10)
        assert (I == If).mean() > 0.999  # only exact float ties could differ
        found = If >= 0
        np.testing.assert_allclose(D[found], Df[found], rtol=1e-4, atol=1e-4)


def test_recall_within_001_of_faiss_with_own_training():
    # Each library trains its own k-means on the same training set. The clustering's
    # randomness alone moves recall by ~0.01-0.02 (each library with three seeds spans
    # about that much), so compare the two averaged over three seeds each.
    data = make_search_data(n=30_000, nq=1000, d=32, n_train=30_000, seed=0)
    gt = data.ground_truth(10)
    nlist = 256
    ours_indexes, faiss_indexes = [], []
    for seed in (1, 2, 3):
        ours = ek.IVFIndex(data.d, nlist, seed=seed)
        ours.train(data.train)
        ours.add(data.database)
        ours_indexes.append(ours)
        f = faiss.IndexIVFFlat(faiss.IndexFlatL2(data.d), data.d, nlist)
        f.cp.seed = seed
        f.train(data.train)
        f.add(data.database)
        faiss_indexes.append(f)
    for nprobe in (1, 4, 16):
        r_ours, r_faiss = [], []
        for ours, f in zip(ours_indexes, faiss_indexes):
            ours.nprobe = f.nprobe = nprobe
            r_ours.append(ek.recall_at_k(ours.search(data.queries, 10)[1], gt, 10))
            r_faiss.append(ek.recall_at_k(f.search(data.queries, 10)[1], gt, 10))
        assert abs(np.mean(r_ours) - np.mean(r_faiss)) <= 0.01, (nprobe, r_ours, r_faiss)


# -- bad inputs ----------------------------------------------------------------------
def test_bad_inputs(small, trained):
    index = ek.IVFIndex(small.d, 8)
    with pytest.raises(ValueError, match="IVFIndex is not trained: call index.train"):
        index.add(small.database)
    with pytest.raises(ValueError, match="not trained"):
        index.search(small.queries, 1)
    with pytest.raises(ValueError, match="fewer than nlist=8"):
        index.train(small.train[:5])
    with pytest.raises(ValueError, match="x must have d=16 columns"):
        index.train(small.train[:, :4])
    with pytest.raises(ValueError, match="nprobe must be <= 8"):
        index.nprobe = 9
    with pytest.raises(ValueError, match="nprobe must be >= 1"):
        index.nprobe = 0
    with pytest.raises(ValueError, match="nlist must be >= 1"):
        ek.IVFIndex(4, 0)
    with pytest.raises(ValueError, match="centroids must have nlist=8 rows"):
        index.set_centroids(small.train[:3])
    index.train(small.train)
    with pytest.raises(ValueError, match="empty: call index.add"):
        index.search(small.queries, 1)
    index.add(small.database[:20])
    with pytest.raises(ValueError, match="k=21 is larger than the number of vectors"):
        index.search(small.queries, 21)
    with pytest.raises(ValueError, match="already holds vectors"):
        index.train(small.train)
    with pytest.raises(ValueError, match=r"lists must be in 0 \.\. nlist-1 = 7"):
        index.add(small.database[:2], lists=np.array([0, 8]))
    with pytest.raises(ValueError, match=r"lists must be an integer array of shape \(2,\)"):
        index.add(small.database[:2], lists=np.array([0.5, 1.0]))
    bad = small.queries[:3].copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="q contains NaN"):
        trained.search(bad, 1)
    with pytest.raises(ValueError, match="q must have d=16 columns"):
        trained.search(small.queries[:, :3], 1)


def test_probed_lists_are_the_nearest_centroids_and_validate_input():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 8)).astype(np.float32)
    index = ek.IVFIndex(8, 16, seed=0)
    index.train(x)
    lists = index.probed_lists(x[:20], 4)
    d2 = ((x[:20, None, :] - index.centroids[None]) ** 2).sum(-1)
    assert lists.shape == (20, 4) and lists.dtype == np.int64
    np.testing.assert_array_equal(lists, np.argsort(d2, axis=1, kind="stable")[:, :4])
    assert index.probed_lists(x[:3]).shape == (3, index.nprobe)
    with pytest.raises(ValueError, match="nprobe"):
        index.probed_lists(x[:3], 17)
    with pytest.raises(ValueError, match="q"):
        index.probed_lists(x[:3, :5])
