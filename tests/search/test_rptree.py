"""embedkit.search.rptree.RPForestIndex: hand cases, tree invariants, exact search as the reference."""
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import make_search_data


@pytest.fixture(scope="module")
def data():
    return make_search_data(n=4000, nq=100, d=16, seed=4)


@pytest.fixture(scope="module")
def forest(data):
    index = ek.RPForestIndex(data.d, n_trees=8, leaf_size=16, seed=0)
    index.add(data.database)
    return index


def _recall(index, data, k=10):
    return ek.recall_at_k(index.search(data.queries, k)[1], data.ground_truth(k), k)


# -- tier 1: hand-computed ----------------------------------------------------------
def test_one_split_by_hand():
    # Two points, leaves of one: the root splits them by the plane halfway between,
    # x = 0 with unit normal +-1; the query 3.0 lands on 5.0's side.
    index = ek.RPForestIndex(1, n_trees=1, leaf_size=1, seed=0)
    index.add([[-5.0], [5.0]])
    [(normal, offset, depth)] = index.splits()
    assert abs(normal[0]) == pytest.approx(1.0) and offset == pytest.approx(0.0) and depth == 0
    leaves = index.leaf_of([[-5.0], [5.0], [3.0], [-0.5]])
    assert leaves[0] != leaves[1] and leaves[2] == leaves[1] and leaves[3] == leaves[0]
    index.search_k = 1            # one candidate: only the query's own leaf
    D, I = index.search([[3.0]], 1)
    assert I.tolist() == [[1]] and D[0, 0] == pytest.approx(4.0)
    index.search_k = 2            # both leaves: exact
    D, I = index.search([[3.0]], 2)
    np.testing.assert_array_equal(I, [[1, 0]])
    np.testing.assert_allclose(D, [[4.0, 64.0]])


def test_identical_vectors_still_split():
    index = ek.RPForestIndex(3, n_trees=2, leaf_size=4, seed=0)
    index.add(np.ones((50, 3)))  # no plane separates copies: random halves instead
    assert index.n_leaves >= 50 // 4
    index.search_k = 50
    _, I = index.search(np.ones((1, 3)), 5)
    assert len(set(I[0].tolist())) == 5


# -- tier 2: invariants ------------------------------------------------------------
def test_each_tree_partitions_the_data(data, forest):
    assert forest._leaf_ids.size == forest.n_trees * forest.ntotal
    per_tree = forest._leaf_ids.reshape(forest.n_trees, -1)  # trees are stored one after another
    for ids in per_tree:
        np.testing.assert_array_equal(np.sort(ids), np.arange(forest.ntotal))
    sizes = np.diff(forest._leaf_start)
    assert sizes.max() <= forest.leaf_size and sizes.min() >= 1


def test_vectors_descend_to_their_own_leaf(data, forest):
    for tree in range(forest.n_trees):
        leaves = forest.leaf_of(data.database[:300], tree=tree)
        for v, leaf in enumerate(leaves):
            assert v in forest._leaf_ids[forest._leaf_start[leaf]:forest._leaf_start[leaf + 1]]


def test_recall_grows_with_trees_and_search_k(data):
    recalls = []
    for n_trees in (1, 4, 16):
        index = ek.RPForestIndex(data.d, n_trees=n_trees, leaf_size=16, seed=0)
        index.add(data.database)
        index.search_k = 400
        recalls.append(_recall(index, data))
    assert recalls[0] < recalls[1] < recalls[2]
    by_k = []
    for search_k in (100, 400, 4000):
        index.search_k = search_k
        by_k.append(_recall(index, data))
    assert by_k[0] < by_k[1] < by_k[2] and by_k[-1] == 1.0   # search_k = n: every vector


def test_results_are_exact_distances(data, forest):
    forest.search_k = 300
    D, I = forest.search(data.queries, 10)
    assert (I >= 0).all() and I.dtype == np.int64
    np.testing.assert_allclose(D, ((data.queries[:, None] - data.database[I]) ** 2).sum(-1), rtol=1e-4, atol=1e-4)
    assert (np.diff(D, axis=1) >= 0).all()
    assert forest.last_search_ncand >= 300 * len(data.queries)


def test_cosine_metric():
    cos = make_search_data(n=2000, nq=50, d=16, metric="cosine", seed=1)
    index = ek.RPForestIndex(cos.d, n_trees=10, metric="cosine", seed=0)
    index.add(cos.database)
    assert all(offset == 0.0 for _, offset, _ in index.splits())  # planes through the origin
    index.search_k = 2000
    D, I = index.search(cos.queries, 5)
    flat = ek.FlatIndex(cos.d, metric="cosine")
    flat.add(cos.database)
    Df, If = flat.search(cos.queries, 5)
    np.testing.assert_array_equal(I, If)
    np.testing.assert_allclose(D, Df, atol=1e-5)


def test_save_load_round_trip_then_add(data, tmp_path):
    index = ek.RPForestIndex(data.d, n_trees=3, leaf_size=32, seed=2)
    index.add(data.database[:3000])
    index.search_k = 500
    index.save(tmp_path / "rp.ekidx")
    loaded = ek.RPForestIndex.load(tmp_path / "rp.ekidx")
    assert repr(loaded) == repr(index)
    for a, b in zip(index.search(data.queries, 10), loaded.search(data.queries, 10)):
        np.testing.assert_array_equal(a, b)
    index.add(data.database[3000:])
    loaded.add(data.database[3000:])
    np.testing.assert_array_equal(index._normals, loaded._normals)  # same random state
    np.testing.assert_array_equal(index.search(data.queries, 10)[1], loaded.search(data.queries, 10)[1])


# -- bad inputs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, exc, match", [
    ({"d": 0}, ValueError, "d must be"),
    ({"d": 4, "n_trees": 0}, ValueError, "n_trees"),
    ({"d": 4, "leaf_size": 0}, ValueError, "leaf_size"),
    ({"d": 4, "metric": "ip"}, ValueError, "metric"),
    ({"d": 4, "seed": -1}, ValueError, "seed"),
])
def test_bad_constructor_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ek.RPForestIndex(**kwargs)


def test_bad_calls():
    index = ek.RPForestIndex(4, n_trees=2)
    with pytest.raises(ValueError, match="empty"):
        index.search(np.ones((1, 4)), 1)
    with pytest.raises(ValueError, match="empty"):
        index.leaf_of(np.ones((1, 4)))
    with pytest.raises(ValueError, match="x must have d=4"):
        index.add(np.ones((2, 5)))
    index.add(np.eye(4))
    with pytest.raises(ValueError, match="k=5 is larger"):
        index.search(np.ones((1, 4)), 5)
    with pytest.raises(ValueError, match="search_k"):
        index.search_k = 0
    with pytest.raises(ValueError, match="tree"):
        index.splits(tree=2)
    with pytest.raises(TypeError, match="search_k must be an integer"):
        index.search_k = "all"
