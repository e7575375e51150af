"""VectorStore: metadata, filtered search (pre/post/graph) against brute force, save/load."""
import numpy as np
import pytest

import embedkit as ek
from embedkit.retrieval.vector_store import VectorStore

TOPICS = ["art", "science", "history", "sport"]


def _data(n=2000, d=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    topics = [TOPICS[i] for i in rng.choice(4, size=n, p=[0.6, 0.3, 0.08, 0.02])]
    meta = [{"title": f"doc {i}", "topic": t, "year": int(1900 + i % 100)} for i, t in enumerate(topics)]
    return x, meta, rng.standard_normal((20, d)).astype(np.float32)


def _brute_force(x, q, k, keep, metric="l2"):
    ids = np.flatnonzero(keep)
    if metric == "l2":
        d = ((q[:, None, :] - x[None, ids, :]) ** 2).sum(-1)
        order = np.argsort(d, axis=1, kind="stable")[:, :k]
    else:
        d = q @ x[ids].T
        order = np.argsort(-d, axis=1, kind="stable")[:, :k]
    return ids[order]


@pytest.fixture(scope="module")
def store():
    x, meta, _ = _data()
    s = VectorStore(ek.HNSWIndex(16, M=16, ef_construction=100, seed=0), ["title", "topic", "year"])
    s.index.progress = False
    s.add(x, meta)
    s.index.ef_search = 200
    return s


@pytest.mark.parametrize("where", [{"topic": "art"}, {"topic": "sport"}, {"topic": ["history", "sport"]},
                                   {"topic": "science", "year": [1950, 1951, 1952]}])
@pytest.mark.parametrize("strategy", ["pre", "post", "graph", "auto"])
def test_filtered_search_matches_brute_force(store, where, strategy):
    x, meta, q = _data()
    keep = np.array([all((m[f] in v) if isinstance(v, list) else m[f] == v for f, v in where.items()) for m in meta])
    D, I = store.search(q, 10, where=where, strategy=strategy)
    expected = _brute_force(x, q, 10, keep)
    n_valid = min(10, keep.sum())
    assert (I[:, n_valid:] == -1).all()
    for row in range(len(q)):                               # every hit passes the filter
        assert all(keep[i] for i in I[row, :n_valid])
    recall = np.mean([len(set(I[r, :n_valid]) & set(expected[r, :n_valid])) / n_valid for r in range(len(q))])
    assert recall >= (1.0 if store.last_strategy == "pre" else 0.95)
    if store.last_strategy == "pre":
        np.testing.assert_array_equal(I[:, :n_valid], expected[:, :n_valid])


def test_auto_chooses_by_selectivity(store):
    _, _, q = _data()
    store.search(q[:2], 5, where={"topic": "sport"})          # ~2% pass: pre-filter
    assert store.last_strategy == "pre"
    store.search(q[:2], 5, where={"topic": "art"})            # ~60% pass: in the HNSW walk
    assert store.last_strategy == "graph"


def test_auto_post_filters_an_index_without_graph_filtering():
    x, meta, q = _data()
    s = VectorStore(ek.IVFIndex(16, nlist=16), ["title", "topic", "year"])
    s.index.train(x)
    s.add(x, meta)
    s.search(q[:2], 5, where={"topic": "art"})
    assert s.last_strategy == "post"
    with pytest.raises(ValueError, match="strategy='graph'.*IVFIndex"):
        s.search(q[:2], 5, where={"topic": "art"}, strategy="graph")


def test_unfiltered_search_is_the_index_search(store):
    _, _, q = _data()
    D, I = store.search(q, 5)
    D2, I2 = store.index.search(q, 5)
    np.testing.assert_array_equal(I, I2)
    assert store.metadata(I[0, :2])[0]["title"] == f"doc {I[0, 0]}"


def test_fewer_matches_than_k_are_padded():
    x, meta, q = _data(n=50)
    s = VectorStore(ek.FlatIndex(16), ["title", "topic", "year"])
    s.add(x, meta)
    n_history = sum(m["topic"] == "history" for m in meta)
    D, I = s.search(q[:3], n_history + 5, where={"topic": "history"}, strategy="post")
    assert (I[:, n_history:] == -1).all() and np.isinf(D[:, n_history:]).all()
    assert s.metadata([-1]) == [None]
    D, I = s.search(q[:1], 3, where={"topic": "nothing"})
    assert (I == -1).all()


def test_cosine_store_and_columns_input():
    x, meta, q = _data(n=300)
    s = VectorStore(ek.FlatIndex(16, metric="ip"), ["topic"])
    s.add(ek.normalize(x), {"topic": [m["topic"] for m in meta]})
    keep = np.array([m["topic"] == "science" for m in meta])
    _, I = s.search(ek.normalize(q), 5, where={"topic": "science"}, strategy="pre")
    np.testing.assert_array_equal(I, _brute_force(ek.normalize(x), ek.normalize(q), 5, keep, metric="ip"))


def test_save_load_round_trip(tmp_path, store):
    _, _, q = _data()
    store.save(tmp_path / "s")
    loaded = VectorStore.load(tmp_path / "s")
    assert len(loaded) == len(store) and loaded.fields == store.fields
    loaded.index.ef_search = store.index.ef_search
    for where in (None, {"topic": "sport"}, {"topic": "art"}):
        D1, I1 = store.search(q, 10, where=where)
        D2, I2 = loaded.search(q, 10, where=where)
        np.testing.assert_array_equal(I1, I2)
        np.testing.assert_array_equal(D1, D2)
    assert loaded.metadata([3, 7]) == store.metadata([3, 7])


def test_bad_inputs_have_clear_errors(tmp_path):
    x, meta, q = _data(n=20)
    with pytest.raises(TypeError, match="index must be an embedkit index"):
        VectorStore("flat", ["a"])
    s = VectorStore(ek.FlatIndex(16), ["title", "topic"])
    with pytest.raises(KeyError, match=r"metadata\[0\] is missing the field\(s\) \['title'\]"):
        s.add(x, [{"topic": "a"}] * 20)
    with pytest.raises(ValueError, match="has 3 values for 20 vectors"):
        s.add(x, {"title": ["a"] * 3, "topic": ["b"] * 3})
    with pytest.raises(ValueError, match="d=16"):
        s.add(x[:, :8], meta)
    with pytest.raises(TypeError, match="str/int/float/bool/None"):
        s.add(x, [{"title": [1], "topic": "a"}] * 20)
    assert len(s) == 0                                     # nothing half-added
    s.add(x, meta)
    with pytest.raises(KeyError, match="unknown field 'colour'"):
        s.search(q, 3, where={"colour": "red"})
    with pytest.raises(ValueError, match="strategy"):
        s.search(q, 3, where={"topic": "art"}, strategy="magic")
    with pytest.raises(ValueError, match="queries must have d=16"):
        s.search(q[:, :4], 3)
    with pytest.raises(ValueError, match="not a saved VectorStore"):
        VectorStore.load(tmp_path / "missing")
    full = ek.FlatIndex(16)
    full.add(x)
    with pytest.raises(ValueError, match="index must be empty"):
        VectorStore(full, ["a"])
