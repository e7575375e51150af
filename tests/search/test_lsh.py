"""embedkit.search.lsh: the collision law, bucket search invariants, and faiss IndexLSH as the reference."""
import faiss
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import make_search_data
from embedkit.search.lsh import hyperplane_hash


@pytest.fixture(scope="module")
def data():
    return make_search_data(n=4000, nq=100, d=32, metric="cosine", seed=2)


# -- tier 1: hand-computed ----------------------------------------------------------
def test_hyperplane_hash_by_hand():
    planes = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    bits = hyperplane_hash(np.array([[2.0, -1.0], [-1.0, 3.0]]), planes)
    np.testing.assert_array_equal(bits, [[True, False, True], [False, True, True]])


def test_bucket_keys_and_lookup_by_hand():
    index = ek.LSHIndex(2, nbits=2, seed=0)
    index.planes = np.array([[[1.0, 0.0], [0.0, 1.0]]], dtype=np.float32)  # sign of x, sign of y
    index.add([[1, 1], [2, 3], [-1, 1], [1, -1], [-2, -2]])
    # key = bit0 + 2 * bit1, bit0 = (x > 0), bit1 = (y > 0)
    np.testing.assert_array_equal(index.codes[:, 0], [3, 3, 2, 1, 0])
    np.testing.assert_array_equal(index.bucket_sizes(), [2, 1, 1, 1])
    D, I = index.search([[5.0, 4.0]], 2)               # only bucket 3 holds candidates
    np.testing.assert_array_equal(I, [[0, 1]])          # cos 0.994 for (1, 1), 0.953 for (2, 3)
    np.testing.assert_allclose(D, [[9 / np.sqrt(82), 22 / np.sqrt(41 * 13)]], rtol=1e-6)
    D, I = index.search([[5.0, 4.0]], 3)
    assert I[0, 2] == -1 and D[0, 2] == -np.inf         # fewer than k candidates: padded
    index.nprobe = 2                                     # + one flip: the least sure bit is y
    np.testing.assert_array_equal(index.candidates([[5.0, 4.0]])[0], [0, 1, 3])


# -- tier 2: the law and invariants ------------------------------------------------
@pytest.mark.parametrize("theta", [0.3, 1.0, np.pi / 2, 2.5])
def test_collision_rate_is_one_minus_theta_over_pi(theta):
    # Many independent hyperplanes on one pair of vectors at a known angle.
    index = ek.LSHIndex(16, nbits=64, ntables=100, seed=1)   # 6,400 bits
    rng = np.random.default_rng(0)
    u, v = np.linalg.qr(rng.standard_normal((16, 2)))[0].T
    a, b = u, np.cos(theta) * u + np.sin(theta) * v
    codes = index.hash(np.stack([a, b]))
    same = 64 * 100 - sum(int(np.bitwise_count(x)) for x in codes[0] ^ codes[1])
    rate = same / 6400
    # binomial standard deviation <= 0.5 / sqrt(6400) = 0.00625: allow 4 of them
    assert rate == pytest.approx(1 - theta / np.pi, abs=0.025)


def test_recall_grows_with_tables_and_probes(data):
    gt = data.ground_truth(10)
    recalls = []
    for ntables in (1, 4, 16):
        index = ek.LSHIndex(data.d, nbits=10, ntables=ntables, seed=0)
        index.add(data.database)
        recalls.append(ek.recall_at_k(index.search(data.queries, 10)[1], gt, 10))
    assert recalls[0] < recalls[1] < recalls[2]
    by_probe = []
    for nprobe in (1, 4, 16):
        index.nprobe = nprobe
        by_probe.append(ek.recall_at_k(index.search(data.queries, 10)[1], gt, 10))
    assert by_probe[0] < by_probe[1] < by_probe[2] and by_probe[-1] > 0.9


def test_more_bits_fewer_candidates(data):
    sizes = []
    for nbits in (4, 8, 16):
        index = ek.LSHIndex(data.d, nbits=nbits, seed=0)
        index.add(data.database)
        sizes.append(np.mean([len(c) for c in index.candidates(data.queries)]))
    assert sizes[0] > sizes[1] > sizes[2]


def test_results_are_exact_cosines_of_candidates(data):
    index = ek.LSHIndex(data.d, nbits=8, ntables=3, seed=0)
    index.add(data.database)
    D, I = index.search(data.queries, 10)
    cands = index.candidates(data.queries)
    for q, (row_d, row_i, cand) in enumerate(zip(D, I, cands)):
        scores = data.database[cand] @ data.queries[q]
        best = cand[np.argsort(-scores, kind="stable")[:10]]
        found = row_i[row_i >= 0]
        np.testing.assert_array_equal(np.sort(found), np.sort(best[: len(found)]))
        np.testing.assert_allclose(row_d[: len(found)], data.database[found] @ data.queries[q], atol=1e-5)


def test_save_load_round_trip_then_add(data, tmp_path):
    index = ek.LSHIndex(data.d, nbits=12, ntables=4, seed=3)
    index.add(data.database[:3000])
    index.nprobe = 3
    index.save(tmp_path / "lsh.ekidx")
    loaded = ek.LSHIndex.load(tmp_path / "lsh.ekidx")
    assert repr(loaded) == repr(index)
    for a, b in zip(index.search(data.queries, 10), loaded.search(data.queries, 10)):
        np.testing.assert_array_equal(a, b)
    index.add(data.database[3000:])
    loaded.add(data.database[3000:])
    np.testing.assert_array_equal(index.codes, loaded.codes)
    np.testing.assert_array_equal(index.search(data.queries, 10)[1], loaded.search(data.queries, 10)[1])


# -- tier 3: faiss IndexLSH (Hamming ranking of random-rotation sign bits) ------------------------
def test_hamming_ranking_recall_matches_faiss(data):
    faiss.omp_set_num_threads(1)
    gt = data.ground_truth(10)
    for nbits in (64, 128):
        ours = ek.LSHIndex(data.d, nbits=64, ntables=nbits // 64, seed=0)
        ours.add(data.database)
        D, I = ours.search_hamming(data.queries, 10)
        assert (np.diff(D, axis=1) >= 0).all() and D.max() <= nbits
        ref = faiss.IndexLSH(data.d, nbits)
        ref.add(data.database)
        theirs = ek.recall_at_k(ref.search(data.queries, 10)[1], gt, 10)
        # Different random planes: compare quality, with the spread of random draws.
        assert abs(ek.recall_at_k(I, gt, 10) - theirs) <= 0.06


def test_hamming_distances_by_hand():
    index = ek.LSHIndex(2, nbits=2, seed=0)
    index.planes = np.array([[[1.0, 0.0], [0.0, 1.0]]], dtype=np.float32)
    index.add([[1, 1], [-1, 1], [-1, -1]])
    D, I = index.search_hamming([[1.0, 2.0]], 3)
    np.testing.assert_array_equal(I, [[0, 1, 2]])
    np.testing.assert_array_equal(D, [[0, 1, 2]])


# -- bad inputs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, exc, match", [
    ({"d": 0, "nbits": 8}, ValueError, "d must be"),
    ({"d": 4, "nbits": 0}, ValueError, "nbits must be >= 1"),
    ({"d": 4, "nbits": 65}, ValueError, "nbits must be <= 64"),
    ({"d": 4, "nbits": 8, "ntables": 0}, ValueError, "ntables"),
    ({"d": 4, "nbits": 8, "metric": "l2"}, ValueError, "metric"),
    ({"d": 4, "nbits": 8, "seed": 1.5}, TypeError, "seed"),
])
def test_bad_constructor_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ek.LSHIndex(**kwargs)


def test_bad_calls():
    index = ek.LSHIndex(4, nbits=3)
    with pytest.raises(ValueError, match="empty"):
        index.search(np.ones((1, 4)), 1)
    with pytest.raises(ValueError, match="empty"):
        index.search_hamming(np.ones((1, 4)), 1)
    with pytest.raises(ValueError, match="x must have d=4"):
        index.add(np.ones((2, 3)))
    index.add(np.eye(4))
    with pytest.raises(ValueError, match="k=5 is larger"):
        index.search(np.ones((1, 4)), 5)
    with pytest.raises(ValueError, match="q must be 2-D"):
        index.search_hamming(np.ones(4), 1)
    with pytest.raises(ValueError, match="nprobe must be <= 7"):   # 1 + 3 + 3 probes at most
        index.nprobe = 8
    with pytest.raises(ValueError, match="table"):
        index.bucket_sizes(1)
    with pytest.raises(ValueError, match="NaN"):
        index.hash(np.full((1, 4), np.nan))
