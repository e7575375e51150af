"""Every index searches on several threads and returns exactly what one thread returns.

A batch is cut into blocks that do not depend on the thread count (``embedkit._threads``),
and each query is computed by the same code whatever block it is in; so the ids *and* the
distances must be bit-identical. Builds that run in parallel (HNSW insertion, k-means
assignment, PQ's sub-quantizers) must also give the same index.
"""
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import make_search_data


@pytest.fixture
def threads():
    """Set the thread count inside a test; restore it afterwards."""
    before = ek.get_num_threads()
    yield ek.set_num_threads
    ek.set_num_threads(before)


@pytest.fixture(scope="module")
def data():
    # 600 queries: several blocks for every index (blocks are 32-256 queries).
    return make_search_data(n=3000, nq=600, d=16, n_train=3000, seed=11)


@pytest.fixture(scope="module")
def unit():
    return make_search_data(n=3000, nq=600, d=16, n_train=3000, metric="cosine", seed=12)


def _same_on_1_and_4_threads(index, queries, k, threads, search=None):
    search = search or index.search
    threads(1)
    D1, I1 = search(queries, k)
    threads(4)
    D4, I4 = search(queries, k)
    np.testing.assert_array_equal(I1, I4)
    np.testing.assert_array_equal(D1, D4)
    return D1, I1


def _trained(index, data):
    if index.needs_training:
        index.train(data.train)
    index.add(data.database)
    return index


@pytest.mark.parametrize("make", [
    lambda d: ek.FlatIndex(d),
    lambda d: ek.FlatIndex(d, metric="ip"),
    lambda d: ek.SQIndex(d, bits=8),
    lambda d: ek.SQIndex(d, bits=4, metric="cosine"),
    lambda d: ek.BinaryIndex(d),
    lambda d: ek.PQIndex(d, 4),
    lambda d: ek.PQIndex(d, 4, metric="ip", rerank=True),
    lambda d: ek.RPForestIndex(d, n_trees=4),
], ids=["flat", "flat-ip", "sq8", "sq4-cos", "binary", "pq", "pq-ip-rerank", "rp-forest"])
def test_exhaustive_and_tree_indexes(make, data, threads):
    _same_on_1_and_4_threads(_trained(make(data.d), data), data.queries, 10, threads)


def test_binary_rescoring(data, threads):
    index = _trained(ek.BinaryIndex(data.d, store_vectors=True), data)
    index.rescore = 4
    _same_on_1_and_4_threads(index, data.queries, 10, threads)


@pytest.mark.parametrize("make", [
    lambda d: ek.IVFIndex(d, 32),
    lambda d: ek.IVFIndex(d, 32, metric="ip"),
    lambda d: ek.IVFPQIndex(d, 32, 4),
    lambda d: ek.IVFPQIndex(d, 32, 4, metric="cosine", by_residual=False),
    lambda d: ek.IVFPQIndex(d, 32, 4, opq=True, opq_iter=2, rerank=True),
], ids=["ivf", "ivf-ip", "ivfpq", "ivfpq-cos-raw", "opq-ivfpq-rerank"])
def test_inverted_file_indexes(make, data, threads):
    index = _trained(make(data.d), data)
    for nprobe in (1, 5):
        index.nprobe = nprobe
        _same_on_1_and_4_threads(index, data.queries, 10, threads)


def test_lsh_buckets_and_hamming_ranking(unit, threads):
    index = ek.LSHIndex(unit.d, nbits=10, ntables=4, seed=0)
    index.add(unit.database)
    index.nprobe = 3
    _same_on_1_and_4_threads(index, unit.queries, 10, threads)
    _same_on_1_and_4_threads(index, unit.queries, 10, threads, search=index.search_hamming)


def test_hnsw_search_and_parallel_build(data, threads):
    graphs = []
    for n_threads in (1, 4):
        threads(n_threads)
        index = ek.HNSWIndex(data.d, M=8, ef_construction=32, seed=3)
        index.add(data.database[:1500])
        index.add(data.database[1500:])          # batches also when adding to a graph
        graphs.append(index)
    one, four = graphs
    assert one.entry_point == four.entry_point and one.relinked == four.relinked
    for a, b in zip(one._get_state()[1].values(), four._get_state()[1].values()):
        np.testing.assert_array_equal(a, b)       # the very same graph
    one.ef_search = 24
    _same_on_1_and_4_threads(one, data.queries, 10, threads)


def test_kmeans_and_pq_training(data, threads):
    fitted = []
    for n_threads in (1, 4):
        threads(n_threads)
        C, a = ek.kmeans(data.train, 40, seed=0)           # 16-d: the fused assignment loop
        C64, a64 = ek.kmeans(np.repeat(data.train, 3, axis=1), 40, seed=0)   # 48-d: BLAS
        pq = ek.ProductQuantizer(4, seed=0).fit(data.train)
        fitted.append((C, a, C64, a64, pq.codebooks_, pq.encode(data.database)))
    for one, four in zip(*fitted):
        np.testing.assert_array_equal(one, four)
