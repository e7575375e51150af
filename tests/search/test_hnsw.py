"""embedkit.search.hnsw: hand cases, graph invariants, and faiss IndexHNSWFlat / hnswlib as references."""
from collections import deque

import faiss
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import make_search_data
from embedkit.search.hnsw import draw_levels


@pytest.fixture(scope="module")
def small():
    return make_search_data(n=3000, nq=100, d=16, seed=5)


@pytest.fixture(scope="module")
def built(small):
    index = ek.HNSWIndex(small.d, M=8, ef_construction=64, seed=0)
    index.add(small.database)
    return index


def _recall(index, data, ef, k=10):
    index.ef_search = ef
    return ek.recall_at_k(index.search(data.queries, k)[1], data.ground_truth(k), k)


# -- tier 1: hand-computed ----------------------------------------------------------
def test_points_on_a_line():
    index = ek.HNSWIndex(1, M=2, ef_construction=8, seed=0)
    index.add(np.arange(10, dtype=np.float32)[:, None])
    index.ef_search = 10
    D, I = index.search([[3.2], [9.9]], 3)
    np.testing.assert_array_equal(I, [[3, 4, 2], [9, 8, 7]])
    np.testing.assert_allclose(D, [[0.04, 0.64, 1.44], [0.81, 3.61, 8.41]], rtol=1e-5)


def test_single_vector():
    index = ek.HNSWIndex(3)
    index.add([[1.0, 2.0, 3.0]])
    assert index.entry_point == 0 and index.ntotal == 1
    D, I = index.search([[1.0, 2.0, 4.0]], 1)
    assert I.tolist() == [[0]] and D[0, 0] == pytest.approx(1.0)


def test_level_law():
    levels = draw_levels(200_000, 16, seed=0)
    assert levels.dtype == np.int32 and levels.min() == 0
    for level, expected in ((1, 1 / 16), (2, 1 / 256)):
        assert (levels >= level).mean() == pytest.approx(expected, rel=0.1)  # P(L >= l) = M^-l
    np.testing.assert_array_equal(levels, draw_levels(200_000, 16, seed=0))


def test_similarity_metrics_return_similarities():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 8)).astype(np.float32)
    Q = rng.standard_normal((20, 8)).astype(np.float32)
    for metric in ("ip", "cosine"):
        index = ek.HNSWIndex(8, M=8, ef_construction=100, metric=metric)
        index.add(X)
        index.ef_search = 500  # beam as wide as the data: exact on this small set
        D, I = index.search(Q, 5)
        flat = ek.FlatIndex(8, metric=metric)
        flat.add(X)
        Df, If = flat.search(Q, 5)
        np.testing.assert_array_equal(I, If)
        np.testing.assert_allclose(D, Df, rtol=1e-5, atol=1e-5)


# -- tier 2: invariants ------------------------------------------------------------
def test_degree_bounds_and_layer_membership(built):
    levels = built.levels
    assert built.max_level == levels.max() and levels[built.entry_point] == built.max_level
    for node in range(built.ntotal):
        for level in range(levels[node] + 1):
            nbrs = built.neighbours(node, level)
            assert len(nbrs) <= (2 * built.M if level == 0 else built.M)
            assert len(set(nbrs.tolist())) == len(nbrs) and node not in nbrs
            assert (levels[nbrs] >= level).all()  # a link on layer l joins two layer-l members


def test_every_node_reachable_on_every_layer(built):
    levels = built.levels
    for level in range(built.max_level + 1):
        members = set(np.flatnonzero(levels >= level).tolist())
        seen, todo = {built.entry_point}, deque([built.entry_point])
        while todo:
            for nb in built.neighbours(todo.popleft(), level).tolist():
                if nb not in seen:
                    seen.add(nb)
                    todo.append(nb)
        assert seen == members, f"layer {level}: {len(members - seen)} unreachable nodes"


def _unreachable_on_layer0(index):
    seen = np.zeros(index.ntotal, dtype=bool)
    seen[index.entry_point] = True
    todo = [index.entry_point]
    while todo:
        for nb in index.neighbours(todo.pop(), 0):
            if not seen[nb]:
                seen[nb] = True
                todo.append(nb)
    return np.flatnonzero(~seen)


def test_reconnect_links_stranded_vectors(small):
    index = ek.HNSWIndex(small.d, M=4, ef_construction=20, seed=0)
    index.add(small.database)                      # small M strands some vectors...
    assert index.relinked > 0                      # ...and add() linked them back
    assert _unreachable_on_layer0(index).size == 0
    # Strand one vector by hand: drop every layer-0 link that points to it.
    victim = 123
    for node in range(index.ntotal):
        row = index._links0[node, : index._count0[node]]
        if victim in row:
            kept = row[row != victim]
            index._links0[node, : kept.size] = kept
            index._count0[node] = kept.size
    assert _unreachable_on_layer0(index).tolist() == [victim]
    assert index.reconnect() >= 1
    assert _unreachable_on_layer0(index).size == 0
    assert index.reconnect() == 0                  # nothing left to do
    index.ef_search = 64
    assert index.search(small.database[victim:victim + 1], 1)[1][0, 0] == victim


def test_recall_rises_with_ef_search(small, built):
    recalls = [_recall(built, small, ef) for ef in (10, 16, 32, 64, 128, 256)]
    assert all(b >= a - 0.005 for a, b in zip(recalls, recalls[1:])), recalls
    assert recalls[0] < recalls[-1] and recalls[-1] >= 0.99


def test_results_are_true_distances_sorted(small, built):
    built.ef_search = 32
    D, I = built.search(small.queries, 10)
    assert (I >= 0).all() and I.dtype == np.int64 and D.dtype == np.float32
    true = ((small.queries[:, None, :] - small.database[I]) ** 2).sum(-1)
    np.testing.assert_allclose(D, true, rtol=1e-4, atol=1e-4)
    assert (np.diff(D, axis=1) >= 0).all()
    assert built.last_search_ndis > 0


def test_k_larger_than_ef_search(small, built):
    built.ef_search = 4  # the beam widens to k, as in faiss and hnswlib
    _, I = built.search(small.queries[:5], 20)
    assert (I >= 0).all() and all(len(set(row)) == 20 for row in I.tolist())


def test_same_seed_same_graph(small):
    a, b = (ek.HNSWIndex(small.d, M=6, ef_construction=20, seed=3) for _ in range(2))
    a.add(small.database[:500])
    b.add(small.database[:500])
    np.testing.assert_array_equal(a.levels, b.levels)
    for node in range(0, 500, 37):
        np.testing.assert_array_equal(a.neighbours(node), b.neighbours(node))


def test_adding_in_batches(small):
    index = ek.HNSWIndex(small.d, M=8, ef_construction=64, seed=0)
    for part in np.array_split(small.database, 4):
        index.add(part)
    assert index.ntotal == len(small.database)
    assert _recall(index, small, 128) >= 0.99


def test_save_load_round_trip_then_add(small, tmp_path):
    first, rest = small.database[:2000], small.database[2000:]
    index = ek.HNSWIndex(small.d, M=8, ef_construction=40, metric="l2", seed=1)
    index.add(first)
    index.ef_search = 48
    path = tmp_path / "hnsw.ekidx"
    index.save(path)
    loaded = ek.HNSWIndex.load(path)
    assert repr(loaded) == repr(index) and loaded.entry_point == index.entry_point
    for a, b in zip(index._get_state()[1].values(), loaded._get_state()[1].values()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.search(small.queries, 10)[1], index.search(small.queries, 10)[1])
    # The random state travels with the file: adding to both gives the same graph.
    index.add(rest)
    loaded.add(rest)
    for a, b in zip(index._get_state()[1].values(), loaded._get_state()[1].values()):
        np.testing.assert_array_equal(a, b)
    assert ek.recall_at_k(loaded.search(small.queries, 10)[1], small.ground_truth(10), 10) >= 0.95
    assert isinstance(ek.search.index_base.Index.load(path), ek.HNSWIndex)


def test_load_rejects_inconsistent_file(small, tmp_path):
    index = ek.HNSWIndex(small.d, M=4)
    index.add(small.database[:100])
    params, arrays = index._get_state()
    arrays["links0"] = arrays["links0"][:50]
    index._get_state = lambda: (params, arrays)
    index.save(tmp_path / "bad.ekidx")
    with pytest.raises(ValueError, match="links0"):
        ek.HNSWIndex.load(tmp_path / "bad.ekidx")
    flat = ek.FlatIndex(small.d)
    flat.add(small.database[:10])
    flat.save(tmp_path / "flat.ekidx")
    with pytest.raises(ValueError, match="FlatIndex"):
        ek.HNSWIndex.load(tmp_path / "flat.ekidx")


# -- tier 3: faiss and hnswlib on the same data ----------------------------------------------
def _faiss_and_ours(seed, M=16, efc=64):
    data = make_search_data(n=4000, nq=200, d=32, seed=seed)
    ours = ek.HNSWIndex(data.d, M=M, ef_construction=efc, seed=seed)
    ours.add(data.database)
    faiss.omp_set_num_threads(1)
    ref = faiss.IndexHNSWFlat(data.d, M)
    ref.hnsw.efConstruction = efc
    ref.add(data.database)
    return data, ours, ref


def test_recall_matches_faiss_hnsw():
    gaps = {ef: [] for ef in (16, 32, 64)}
    for seed in (0, 1, 2):
        data, ours, ref = _faiss_and_ours(seed)
        gt = data.ground_truth(10)
        for ef in gaps:
            ref.hnsw.efSearch = ef
            gaps[ef].append(_recall(ours, data, ef) - ek.recall_at_k(ref.search(data.queries, 10)[1], gt, 10))
    for ef, g in gaps.items():
        assert abs(np.mean(g)) <= 0.01, f"ef_search={ef}: recall gaps to faiss {g}"


def test_recall_matches_hnswlib():
    hnswlib = pytest.importorskip("hnswlib")
    data = make_search_data(n=4000, nq=200, d=32, seed=7)
    ours = ek.HNSWIndex(data.d, M=12, ef_construction=40, seed=0)
    ours.add(data.database)
    ref = hnswlib.Index(space="l2", dim=data.d)
    ref.init_index(max_elements=len(data.database), M=12, ef_construction=40, random_seed=100)
    ref.add_items(data.database, num_threads=1)
    gt = data.ground_truth(10)
    for ef in (10, 32, 64):
        ref.set_ef(ef)
        theirs = ek.recall_at_k(ref.knn_query(data.queries, 10, num_threads=1)[0].astype(np.int64), gt, 10)
        assert abs(_recall(ours, data, ef) - theirs) <= 0.02


# -- bad inputs ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, exc, match", [
    ({"d": 0}, ValueError, "d must be"),
    ({"d": 4, "M": 1}, ValueError, "M must be"),
    ({"d": 4, "M": 2.5}, TypeError, "M must be an integer"),
    ({"d": 4, "ef_construction": 0}, ValueError, "ef_construction"),
    ({"d": 4, "metric": "hamming"}, ValueError, "metric"),
    ({"d": 4, "seed": "zero"}, TypeError, "seed"),
])
def test_bad_constructor_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ek.HNSWIndex(**kwargs)


def test_bad_calls():
    index = ek.HNSWIndex(4, M=4)
    with pytest.raises(ValueError, match="empty"):
        index.search(np.zeros((1, 4)), 1)
    with pytest.raises(ValueError, match="x must have d=4"):
        index.add(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="x must be 2-D"):
        index.add(np.zeros(4))
    with pytest.raises(ValueError, match="NaN"):
        index.add(np.full((2, 4), np.nan))
    index.add(np.eye(4))
    with pytest.raises(ValueError, match="k=5 is larger"):
        index.search(np.zeros((1, 4)), 5)
    with pytest.raises(ValueError, match="k must be a positive"):
        index.search(np.zeros((1, 4)), 0)
    with pytest.raises(ValueError, match="q must have d=4"):
        index.search(np.zeros((1, 3)), 1)
    with pytest.raises(ValueError, match="ef_search"):
        index.ef_search = 0
    with pytest.raises(ValueError, match="node"):
        index.neighbours(4)
    with pytest.raises(ValueError, match="level"):
        index.neighbours(0, level=index.levels[0] + 1)
    with pytest.raises(ValueError, match="n must be"):
        draw_levels(-1, 16)
