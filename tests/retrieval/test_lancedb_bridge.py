"""The LanceDB bridge: exact round trips, filters that hold, search as (D, I), shard merges.

LanceDB is the independent reference here twice over: its flat scan (``exact=True``) must
equal brute force in numpy, and its SQL filters must select the rows ``VectorStore.mask``
selects.
"""
import lancedb
import numpy as np
import pyarrow as pa
import pytest
from lancedb.index import IvfPq

import embedkit as ek
from embedkit.retrieval.lancedb_bridge import from_lancedb, lancedb_search, lancedb_search_shards, to_lancedb, where_to_sql

TOPICS = ["art", "science", "history", "sport"]
N, D_DIM = 2000, 16


def _data(n=N, d=D_DIM, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    topics = [TOPICS[i] for i in rng.choice(4, size=n, p=[0.6, 0.3, 0.08, 0.02])]
    meta = {
        "title": [f"doc {i} l'été “quoted”" for i in range(n)],     # quotes and non-ASCII survive
        "topic": topics,
        "year": [int(1900 + i % 100) for i in range(n)],
        "score": [None if i % 7 == 0 else float(i) / 3 for i in range(n)],
        "flag": [bool(i % 3) for i in range(n)],
        "note": [None] * n,                                         # a column with no value at all
    }
    return x, meta, rng.standard_normal((25, d)).astype(np.float32)


def _store(x, meta, index=None):
    store = ek.VectorStore(index or ek.FlatIndex(x.shape[1]), list(meta))
    store.add(x, meta)
    return store


def _brute_force(x, q, k, keep):
    ids = np.flatnonzero(keep)
    d = ((q[:, None, :] - x[None, ids, :]) ** 2).sum(-1)
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(d, order, axis=1), ids[order]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return lancedb.connect(tmp_path_factory.mktemp("lancedb"))


@pytest.fixture(scope="module")
def indexed(db):
    """The test store as a LanceDB table with an IVF-PQ index (4 partitions, 4 sub-vectors)."""
    x, meta, q = _data()
    table = to_lancedb(_store(x, meta), db, "indexed")
    table.create_index("vector", config=IvfPq(num_partitions=4, num_sub_vectors=4, max_iterations=5))
    return table


# -- round trips -------------------------------------------------------------------------------
def test_round_trip_is_exact(db):
    x, meta, q = _data()
    store = _store(x, meta)
    table = to_lancedb(store, db, "round_trip")
    assert table.count_rows() == N
    assert table.schema.names == ["id", "vector", *meta]
    assert table.to_arrow()["id"].to_pylist() == list(range(N))
    back = from_lancedb(table, ek.FlatIndex(D_DIM))
    assert back.fields == store.fields and len(back) == N
    np.testing.assert_array_equal(back._vectors, x)                       # bit for bit
    assert back.metadata(np.arange(N)) == store.metadata(np.arange(N))   # every value, every type
    assert {type(v) for v in back._columns["year"]} == {int}
    assert back._columns["note"] == [None] * N
    for where in (None, {"topic": "sport"}, {"score": None}):
        D1, I1 = store.search(q, 10, where=where)
        D2, I2 = back.search(q, 10, where=where)
        np.testing.assert_array_equal(I1, I2)
        np.testing.assert_array_equal(D1, D2)


def test_round_trip_reads_rows_in_id_order_and_trains_the_index(db):
    x, meta, _ = _data(n=600)
    rows = np.random.default_rng(1).permutation(600)
    table = db.create_table("shuffled", to_lancedb(_store(x, meta), db, "unshuffled").to_arrow().take(rows))
    assert table.to_arrow()["id"].to_pylist() != list(range(600))
    index = ek.IVFIndex(D_DIM, nlist=8)
    back = from_lancedb(table, index)                    # untrained: trained on the table's vectors
    assert index.is_trained and index.ntotal == 600
    np.testing.assert_array_equal(back._vectors, x)
    assert back.metadata([0, 599]) == [{f: meta[f][i] for f in meta} for i in (0, 599)]


def test_subset_export_keeps_global_ids_and_reading_it_back_says_why_not(db):
    x, meta, _ = _data(n=300)
    ids = np.arange(1, 300, 3)
    table = to_lancedb(_store(x, meta), db, "subset", ids=ids)
    data = table.to_arrow()
    assert data["id"].to_pylist() == ids.tolist()
    np.testing.assert_array_equal(np.stack(data["vector"].to_numpy(zero_copy_only=False)), x[ids])
    assert data["year"].to_pylist() == [meta["year"][i] for i in ids]
    with pytest.raises(ValueError, match="0 .. n-1"):
        from_lancedb(table, ek.FlatIndex(D_DIM))


def test_bad_input_names_the_problem(db, tmp_path):
    x, meta, _ = _data(n=50)
    store = _store(x, meta)
    with pytest.raises(TypeError, match="store must be an embedkit VectorStore"):
        to_lancedb(x, db, "bad")
    with pytest.raises(ValueError, match="mode must be one of"):
        to_lancedb(store, db, "bad", mode="append")
    with pytest.raises(ValueError, match="ids must be distinct ids"):
        to_lancedb(store, db, "bad", ids=[0, 0, 1])
    with pytest.raises(ValueError, match="ids must be distinct ids"):
        to_lancedb(store, db, "bad", ids=[50])
    mixed = _store(x[:2], {"value": [1, 2.5]})
    with pytest.raises(TypeError, match="'value' mixes types \\(float, int\\)"):
        to_lancedb(mixed, db, "bad")
    clash = _store(x[:2], {"id": ["a", "b"]})
    with pytest.raises(ValueError, match="clash with the table's own columns"):
        to_lancedb(clash, db, "bad")
    to_lancedb(store, tmp_path / "by_path", "t")                         # a path connects
    with pytest.raises(ValueError, match="index has d=8"):
        from_lancedb(lancedb.connect(tmp_path / "by_path").open_table("t"), ek.FlatIndex(8))
    no_vectors = db.create_table("no_vectors", pa.table({"id": [0, 1]}))
    with pytest.raises(ValueError, match="no 'vector' column"):
        from_lancedb(no_vectors, ek.FlatIndex(D_DIM))


# -- filters -----------------------------------------------------------------------------------
def test_where_to_sql_by_hand():
    assert where_to_sql({"topic": "History"}) == "`topic` = 'History'"
    assert where_to_sql({"title": "l'été"}) == "`title` = 'l''été'"
    assert where_to_sql({"topic": ["a", "b"], "year": 1950}) == "`topic` IN ('a', 'b') AND `year` = 1950"
    assert where_to_sql({"flag": True, "score": 0.5}) == "`flag` = TRUE AND `score` = 0.5"
    assert where_to_sql({"score": None}) == "`score` IS NULL"
    assert where_to_sql({"score": [1.5, None]}) == "(`score` = 1.5 OR `score` IS NULL)"
    assert where_to_sql({"year": {1952, 1950, 1951}}) == "`year` IN (1950, 1951, 1952)"
    assert where_to_sql({"topic": []}) == "FALSE"
    with pytest.raises(TypeError, match="where must be a non-empty dict"):
        where_to_sql({})
    with pytest.raises(ValueError, match="cannot compare"):
        where_to_sql({"score": float("nan")})
    with pytest.raises(TypeError, match="where\\['topic'\\] must hold"):
        where_to_sql({"topic": [object()]})


WHERES = [{"topic": "sport"}, {"topic": ["history", "sport"]}, {"score": None}, {"flag": False, "topic": "art"},
          {"year": list(range(1990, 2000))}, {"title": "doc 7 l'été “quoted”"}, {"topic": []}]


@pytest.mark.parametrize("where", WHERES)
def test_sql_selects_the_rows_the_store_selects(indexed, where):
    x, meta, _ = _data()
    keep = _store(x, meta).mask(where)
    ids = np.sort(indexed.search().where(where_to_sql(where)).select(["id"]).limit(N).to_arrow()["id"].to_numpy())
    np.testing.assert_array_equal(ids, np.flatnonzero(keep))


FILTERS = [("`topic` = 'sport'", lambda m: np.array(m["topic"]) == "sport"),
           ("year >= 1990", lambda m: np.array(m["year"]) >= 1990),
           ("topic IN ('history', 'sport') AND year < 1930",
            lambda m: np.isin(m["topic"], ["history", "sport"]) & (np.array(m["year"]) < 1930))]


@pytest.mark.parametrize("sql, passes", FILTERS, ids=["topic", "numeric", "both"])
@pytest.mark.parametrize("knobs", [dict(nprobes=1), dict(nprobes=1, prefilter=False), dict(nprobes=2, refine_factor=5),
                                   dict(nprobes=1, max_nprobes=0), dict(exact=True)],
                         ids=["prefilter", "postfilter", "refine", "more-probes", "exact"])
def test_filtered_results_never_violate_the_filter(indexed, sql, passes, knobs):
    x, meta, q = _data()
    keep = passes(meta)
    D, I = lancedb_search(indexed, q, 10, where=sql, **knobs)
    assert keep[I[I >= 0]].all()                                  # every hit passes
    assert ((I == -1) == np.isinf(D)).all()                       # padding is marked in both
    assert all(len(set(row[row >= 0])) == (row >= 0).sum() for row in I)
    n_pass = min(10, int(keep.sum()))
    if knobs.get("exact") or knobs.get("max_nprobes") == 0:       # searched until k passed
        assert ((I >= 0).sum(1) == n_pass).all()
    if knobs.get("exact"):
        D_bf, I_bf = _brute_force(x, q, 10, keep)
        np.testing.assert_array_equal(I, I_bf)
        np.testing.assert_allclose(D, D_bf, rtol=1e-5, atol=1e-5)


# -- search as (D, I) --------------------------------------------------------------------------
def test_search_matches_brute_force_and_pads(indexed):
    x, meta, q = _data()
    D, I = lancedb_search(indexed, q, 10, exact=True)
    D_bf, I_bf = _brute_force(x, q, 10, np.ones(N, bool))
    np.testing.assert_array_equal(I, I_bf)
    np.testing.assert_allclose(D, D_bf, rtol=1e-5, atol=1e-5)     # squared L2, as embedkit's "l2"
    assert D.dtype == np.float32 and I.dtype == np.int64 and I.shape == (len(q), 10)
    D1, I1 = lancedb_search(indexed, q[3:4], 10, exact=True)     # one query: no query_index column
    np.testing.assert_array_equal(I1, I[3:4])
    few = {"title": ["doc 1 l'été “quoted”", "doc 2 l'été “quoted”"]}
    D, I = lancedb_search(indexed, q, 5, where=few, exact=True)
    assert (np.sort(I[:, :2], axis=1) == [1, 2]).all() and (I[:, 2:] == -1).all() and np.isinf(D[:, 2:]).all()
    # The index (probing 2 of 4 partitions, re-ranking 50 candidates) finds most of the exact top 10.
    _, I_ann = lancedb_search(indexed, q, 10, nprobes=2, refine_factor=5)
    assert ek.recall_at_k(I_ann, I_bf, 10) > 0.6


def test_batch_equals_one_query_at_a_time(indexed):
    _, _, q = _data()
    D, I = lancedb_search(indexed, q, 10, where="year >= 1950", nprobes=2, refine_factor=3)
    for row in range(0, len(q), 6):
        D1, I1 = lancedb_search(indexed, q[row:row + 1], 10, where="year >= 1950", nprobes=2, refine_factor=3)
        np.testing.assert_array_equal(I1[0], I[row])
        np.testing.assert_allclose(D1[0], D[row], rtol=1e-6)


def test_search_bad_input(indexed):
    _, _, q = _data()
    with pytest.raises(ValueError, match="queries must have d=16"):
        lancedb_search(indexed, q[:, :8], 10)
    with pytest.raises(ValueError, match="k must be >= 1"):
        lancedb_search(indexed, q, 0)
    with pytest.raises(ValueError, match="metric must be one of"):
        lancedb_search(indexed, q, 10, metric="ip")
    with pytest.raises(TypeError, match="table must be a LanceDB table"):
        lancedb_search(q, q, 10)
    with pytest.raises(TypeError, match="tables must be a non-empty list"):
        lancedb_search_shards([], q, 10)


# -- shards ------------------------------------------------------------------------------------
@pytest.mark.parametrize("where", [None, "`topic` IN ('history', 'sport')", {"year": list(range(1900, 1910))}])
def test_sharded_merge_equals_the_single_table(db, where):
    x, meta, q = _data()
    store = _store(x, meta)
    single = to_lancedb(store, db, "single", mode="overwrite")
    shard_of = np.arange(N) % 3
    shards = [to_lancedb(store, db, f"shard_{s}", ids=np.flatnonzero(shard_of == s), mode="overwrite")
              for s in range(3)]
    assert sum(t.count_rows() for t in shards) == N
    D_1, I_1 = lancedb_search(single, q, 10, where=where, exact=True)
    D_s, I_s = lancedb_search_shards(shards, q, 10, where=where, exact=True)
    np.testing.assert_array_equal(I_s, I_1)
    np.testing.assert_array_equal(D_s, D_1)
