"""embedkit.search.diskann: the sector file parsed independently, reads counted by a plain-Python
beam search, the re-rank checked by brute force, and diskannpy's disk index as the reference."""
import os

import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import make_search_data
from embedkit.search.diskann import SECTOR_BYTES
from embedkit.search.index_base import SavedFileError

D_, R_, L_, M_ = 16, 16, 32, 4


@pytest.fixture(scope="module")
def small():
    return make_search_data(n=3000, nq=100, d=D_, seed=7)


@pytest.fixture(scope="module")
def written(small, tmp_path_factory):
    index = ek.DiskANNIndex(D_, R=R_, L=L_, alpha=1.2, pq_m=M_, seed=0)
    index.add(small.database)
    path = tmp_path_factory.mktemp("diskann") / "small.diskann"
    index.write(path)
    return index, path


def _parse(path, n, d, R):
    """The records of the sector file, read with plain numpy from the rules of the format."""
    raw = np.fromfile(path, dtype=np.uint8)
    record = 4 * (d + 1 + R)
    per_sector = SECTOR_BYTES // record
    vectors = np.empty((n, d), np.float32)
    links = []
    for i in range(n):
        start = (1 + i // per_sector) * SECTOR_BYTES + (i % per_sector) * record
        rec = raw[start:start + record]
        vectors[i] = rec[:4 * d].view(np.float32)
        deg = int(rec[4 * d:4 * d + 4].view(np.int32)[0])
        links.append(rec[4 * d + 4:4 * d + 4 + 4 * deg].view(np.int32).astype(np.int64))
    return raw.size, per_sector, vectors, links


def test_layout_holds_the_vamana_graph_in_sectors(small, written):
    index, path = written
    X = small.database
    n = X.shape[0]
    size, per_sector, vectors, links = _parse(path, n, D_, R_)
    assert index.record_bytes == 4 * (D_ + 1 + R_) and index.nodes_per_sector == per_sector == 31
    assert size == os.path.getsize(path) == index.n_sectors * SECTOR_BYTES
    assert index.n_sectors == 1 + -(-n // per_sector)     # a header sector + the records
    np.testing.assert_array_equal(vectors, X)
    graph = ek.VamanaIndex(D_, R=R_, L=L_, alpha=1.2, seed=0)    # the same build, in RAM
    graph.add(X)
    assert index.medoid == graph.medoid
    for i in range(n):
        np.testing.assert_array_equal(links[i], graph.neighbours(i))
    np.testing.assert_array_equal(index.neighbours(17), graph.neighbours(17))
    assert index.ram_bytes_per_vector == M_
    assert index.disk_bytes_per_vector == index.n_sectors * SECTOR_BYTES / n


def _reference_search(index, path, q, L, W):
    """DiskANN's beam search in plain Python: PQ-ordered list, W reads a round, then the
    exact re-rank. Returns (ids of the top 10, records read, rounds)."""
    n = index.ntotal
    _, _, vectors, links = _parse(path, n, D_, R_)
    table = index._pq.adc_table(q[None])[0]
    codes = index._codes
    pq = table[0, codes[:, 0]].copy()
    for j in range(1, codes.shape[1]):      # in float32, sub-space by sub-space
        pq += table[j, codes[:, j]]
    pool, visited, expanded, rounds = [(pq[index.medoid], index.medoid)], {index.medoid}, [], 0
    while True:
        batch = [c for _, c in pool if c not in set(expanded)][:W]
        if not batch:
            break
        rounds += 1
        for c in batch:
            expanded.append(c)
            for e in links[c].tolist():
                if e not in visited:
                    visited.add(e)
                    pool.append((pq[e], e))
        pool = sorted(pool)[:L]
    exact = ((vectors[expanded] - q) ** 2).sum(1)
    order = sorted(range(len(expanded)), key=lambda i: (exact[i], expanded[i]))
    return [expanded[i] for i in order[:10]], len(expanded), rounds


def test_reads_equal_an_independent_count(small, written):
    index, path = written
    Q = small.queries[:40]
    index.search_L, index.beam_width = 24, 3
    _, I = index.search(Q, 10)
    same = 0
    for i in range(Q.shape[0]):
        ids, reads, rounds = _reference_search(index, path, Q[i], 24, 3)
        same += (ids == I[i].tolist() and reads == index.last_search_reads[i]
                 and rounds == index.last_search_rounds[i])
    # float rounding of the PQ sums may reorder a tie on a rare query
    assert same >= 0.95 * Q.shape[0]


def test_reads_are_the_expanded_set_and_rerank_is_exact(small, written):
    index, _ = written
    X, Q = small.database, small.queries
    for W in (1, 2, 4):
        index.search_L, index.beam_width = 32, W
        D, I = index.search(Q, 10)
        reads, rounds = index.last_search_reads, index.last_search_rounds
        assert (reads <= rounds * W).all() and (reads >= rounds).all()
        for i in range(0, Q.shape[0], 9):
            trace = index.trace(Q[i])
            got = np.concatenate(trace)
            assert len(trace) == rounds[i] and got.size == reads[i] == np.unique(got).size
            assert all(1 <= r.size <= W for r in trace)
            exact = ((X[got] - Q[i]) ** 2).sum(1)
            order = np.lexsort((got, exact))[:10]         # by distance, ties by id
            np.testing.assert_array_equal(I[i], got[order])
            np.testing.assert_allclose(D[i], exact[order], rtol=1e-5, atol=1e-5)
        if W == 1:
            rounds_w1 = rounds.mean()
    assert rounds.mean() < 0.5 * rounds_w1             # W = 4: far fewer round trips


def test_recall_against_brute_force(small, written):
    index, _ = written
    X, Q = small.database, small.queries
    exact = np.argsort(((Q[:, None, :] - X[None]) ** 2).sum(-1), axis=1, kind="stable")[:, :10]
    index.beam_width = 2
    index.search_L = 64
    assert ek.recall_at_k(index.search(Q, 10)[1], exact, 10) >= 0.97
    index.search_L = 200
    assert ek.recall_at_k(index.search(Q, 10)[1], exact, 10) >= 0.995


def test_open_round_trip_and_threads(small, written):
    index, path = written
    again = ek.DiskANNIndex.open(path)
    assert again.path == path and again.ntotal == index.ntotal and again.medoid == index.medoid
    assert isinstance(again._words.base, np.memmap)            # searched through the mapping
    index.search_L = again.search_L = 40
    ek.set_num_threads(1)
    one = again.search(small.queries, 10)
    ek.set_num_threads(2)
    for a, b, c in zip(index.search(small.queries, 10), one, again.search(small.queries, 10)):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(b, c)


def test_damaged_files_are_reported(written, tmp_path):
    from embedkit._saved_files import load_npz, save_npz

    index, path = written
    data = path.read_bytes()
    side = path.with_name(path.name + ".pq.npz").read_bytes()

    def copy(name, body, sidecar=side):
        p = tmp_path / name
        p.write_bytes(body)
        p.with_name(name + ".pq.npz").write_bytes(sidecar)
        return p

    with pytest.raises(SavedFileError, match="truncated"):
        ek.DiskANNIndex.open(copy("cut", data[:-SECTOR_BYTES]))
    flipped = bytearray(data)
    flipped[SECTOR_BYTES + 70] ^= 0xFF
    with pytest.raises(SavedFileError, match="damaged"):
        ek.DiskANNIndex.open(copy("flip", bytes(flipped)))
    # an edited record whose checksum was recorded again: caught by the structural check
    edited = np.frombuffer(data, np.int32).copy()
    edited[(SECTOR_BYTES + 4 * D_) // 4] = R_ + 5          # node 0's degree
    p = copy("edit", edited.tobytes())
    header, arrays = load_npz(str(p) + ".pq.npz", format="embedkit-index", what="x")
    header["params"]["layout_sha256"] = __import__("embedkit")._saved_files.file_sha256(p)
    save_npz(str(p) + ".pq.npz", format="embedkit-index", cls="DiskANNIndex", version=1,
             params=header["params"], arrays=arrays)
    with pytest.raises(SavedFileError, match="degrees"):
        ek.DiskANNIndex.open(p)
    with pytest.raises(SavedFileError):
        ek.DiskANNIndex.open(copy("side", data, side[:-50]))
    os.remove(tmp_path / "side.pq.npz")
    with pytest.raises(FileNotFoundError):
        ek.DiskANNIndex.open(tmp_path / "side")


def test_from_vamana_lays_out_the_same_index(small, written):
    """Laying out a Vamana graph built apart gives exactly the index ``add`` builds."""
    index, _ = written
    graph = ek.VamanaIndex(D_, R=R_, L=L_, alpha=1.2, seed=0)
    graph.add(small.database)
    laid = ek.DiskANNIndex.from_vamana(graph, pq_m=M_, seed=0)
    assert laid.ntotal == index.ntotal and laid.medoid == index.medoid
    laid.search_L, laid.beam_width = index.search_L, index.beam_width   # earlier tests turn them
    D1, I1 = index.search(small.queries, 10)
    D2, I2 = laid.search(small.queries, 10)
    np.testing.assert_array_equal(I1, I2)
    np.testing.assert_array_equal(D1, D2)
    with pytest.raises(TypeError, match="VamanaIndex"):
        ek.DiskANNIndex.from_vamana(ek.HNSWIndex(D_))


def test_cosine(small):
    X, Q = small.database, small.queries[:30]
    index = ek.DiskANNIndex(D_, R=R_, L=L_, pq_m=M_, metric="cosine")
    index.add(X)
    index.search_L = 100
    D, I = index.search(Q, 5)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    Qn = Q / np.linalg.norm(Q, axis=1, keepdims=True)
    S = Qn @ Xn.T
    assert ek.recall_at_k(I, np.argsort(-S, axis=1)[:, :5], 5) >= 0.99
    np.testing.assert_allclose(D, np.take_along_axis(S, I, 1), atol=1e-5)


def test_matches_diskannpy_disk_index(small, tmp_path):
    diskannpy = pytest.importorskip("diskannpy")
    X, Q, gt = small.database, small.queries, small.ground_truth(10)
    n = X.shape[0]
    diskannpy.build_disk_index(X, "l2", str(tmp_path), complexity=L_, graph_degree=R_,
                               search_memory_maximum=(M_ + 0.5) * n / 2**30,
                               build_memory_maximum=1.0, num_threads=2)
    assert os.path.getsize(tmp_path / "ann_pq_compressed.bin") == 8 + n * M_   # same PQ size
    theirs = diskannpy.StaticDiskIndex(str(tmp_path), num_threads=2, num_nodes_to_cache=0)
    ours = ek.DiskANNIndex(D_, R=R_, L=L_, alpha=1.2, pq_m=M_)
    ours.add(X)
    # the same sector layout: DiskANN's file has exactly as many sectors
    assert os.path.getsize(tmp_path / "ann_disk.index") == ours.n_sectors * SECTOR_BYTES
    for complexity in (32, 64):
        ours.search_L = complexity
        r_ours = ek.recall_at_k(ours.search(Q, 10)[1], gt, 10)
        found = theirs.batch_search(Q, 10, complexity, 2, 2).identifiers.astype(np.int64)
        r_theirs = ek.recall_at_k(found, gt, 10)
        print(f"complexity {complexity}: recall embedkit {r_ours:.3f}, diskannpy {r_theirs:.3f}")
        assert abs(r_ours - r_theirs) <= 0.02, (complexity, r_ours, r_theirs)


def test_bad_arguments(written):
    index, _ = written
    with pytest.raises(ValueError, match="alpha"):
        ek.DiskANNIndex(8, alpha=0.99)
    with pytest.raises(ValueError, match="R"):
        ek.DiskANNIndex(8, R=0)
    with pytest.raises(ValueError, match="pq_m"):
        ek.DiskANNIndex(10, pq_m=4)
    with pytest.raises(ValueError, match="256"):
        ek.DiskANNIndex(8, pq_m=2).add(np.zeros((100, 8), np.float32))
    with pytest.raises(ValueError, match="d=16"):
        index.search(np.zeros((2, 8), np.float32), 3)
    with pytest.raises(ValueError, match="static"):
        index.add(np.zeros((300, D_), np.float32))
    with pytest.raises(ValueError, match="empty"):
        ek.DiskANNIndex(8).search(np.zeros((1, 8), np.float32), 1)
    with pytest.raises(ValueError, match="beam_width"):
        index.beam_width = 0
