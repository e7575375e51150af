"""embedkit.search.vamana: RobustPrune by hand and against a pure-Python reference, the graph
against brute force and diskannpy's memory index (the reference implementation)."""
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import make_search_data
from embedkit.search.index_base import SavedFileError
from embedkit.search.vamana import medoid_of


@pytest.fixture(scope="module")
def small():
    return make_search_data(n=3000, nq=200, d=16, seed=5)


@pytest.fixture(scope="module")
def built(small):
    index = ek.VamanaIndex(small.d, R=16, L=32, alpha=1.2, seed=0)
    index.add(small.database)
    return index


# -- RobustPrune ---------------------------------------------------------------------------
# p = (0, 0); squared distances to p: x1 = 1, x4 = 4, x2 = 4.5, x3 = 9 (the sort order).
HAND = np.array([[0, 0], [1, 0], [1.5, 1.5], [0, 3], [2, 0]], dtype=np.float32)


def test_robust_prune_by_hand():
    # alpha = 1: keep x1; it covers x4 (d(x1,x4)=1 <= 4) and x2 (2.5 <= 4.5), not x3
    # (10 > 9); keep x3.
    assert ek.robust_prune(HAND, 0, [1, 2, 3, 4], 1.0, 10).tolist() == [1, 3]
    # alpha = 2: keep x1; it covers x4 (2 * 1 <= 4) but no longer x2 (2 * 2.5 > 4.5) nor
    # x3 (20 > 9); keep x2, which covers x3 (2 * 4.5 = 9 <= 9: equality drops).
    assert ek.robust_prune(HAND, 0, [1, 2, 3, 4], 2.0, 10).tolist() == [1, 2]
    # R stops it; duplicates and p itself are ignored
    assert ek.robust_prune(HAND, 0, [4, 0, 1, 1, 2, 3], 2.0, 1).tolist() == [1]
    assert ek.robust_prune(HAND, 0, [], 1.0, 3).tolist() == []
    # DiskANN's steps. Occlusion factors d(p, c) / d(x1, c) once x1 is kept: x4 4 / 1 = 4,
    # x2 4.5 / 2.5 = 1.8, x3 9 / 10 = 0.9. Step 1 keeps x1 and x3 (factor <= 1); at
    # alpha = 2 the steps 1.2, 1.44, 1.728 admit nothing (the next, 2.07, is above 2).
    # At alpha = 4.3, step 1.2**4 = 2.07 admits x2 and step 1.2**8 = 4.30 admits x4
    # (a newly kept vector updates only the candidates after it, so x2 leaves x4 at 4).
    assert ek.robust_prune(HAND, 0, [1, 2, 3, 4], 2.0, 10, rule="diskann").tolist() == [1, 3]
    assert ek.robust_prune(HAND, 0, [1, 2, 3, 4], 2.0, 1, rule="diskann").tolist() == [1]
    assert ek.robust_prune(HAND, 0, [1, 2, 3, 4], 4.3, 10, rule="diskann").tolist() == [1, 3, 2, 4]


def _reference_prune(x, p, cand, alpha, R):
    """The paper's RobustPrune, written plainly in Python (float64 distances)."""
    x = x.astype(np.float64)
    d = lambda a, b: float(((x[a] - x[b]) ** 2).sum())
    pool = sorted(set(int(c) for c in cand) - {p}, key=lambda c: (d(p, c), c))
    kept = []
    while pool and len(kept) < R:
        best = pool.pop(0)
        kept.append(best)
        pool = [c for c in pool if not alpha * d(best, c) <= d(p, c)]
    return kept


def _reference_prune_steps(x, p, cand, alpha, R):
    """DiskANN's occlude_list (alpha in steps of 1.2), written plainly, in float32."""
    d = lambda a, b: np.float32(((x[a] - x[b]) ** 2).sum())
    pool = sorted(set(int(c) for c in cand) - {p}, key=lambda c: (d(p, c), c))
    factor = [np.float32(0)] * len(pool)
    kept, cur = [], np.float32(1.0)
    while cur <= np.float32(alpha) and len(kept) < R:
        for i, c in enumerate(pool):
            if len(kept) == R:
                break
            if factor[i] > cur:
                continue
            factor[i] = np.float32(np.inf)
            kept.append(c)
            for j in range(i + 1, len(pool)):
                if factor[j] > np.float32(alpha):
                    continue
                djk = d(c, pool[j])
                factor[j] = np.float32(np.inf) if djk == 0 else max(factor[j], d(p, pool[j]) / djk)
        cur = np.float32(cur * np.float32(1.2))
    return kept


@pytest.mark.parametrize("alpha", [1.0, 1.25, 2.0])
@pytest.mark.parametrize("R", [3, 8, 1000])
def test_robust_prune_matches_reference_and_alpha_property(alpha, R):
    rng = np.random.default_rng(int(alpha * 100) + R)
    # small integer coordinates: exact squared distances in float32, and many ties
    x = rng.integers(-6, 7, size=(300, 4)).astype(np.float32)
    d = lambda a, b: ((x[a] - x[b]) ** 2).sum(-1)
    last_step = 1.2 ** int(np.floor(np.log(alpha) / np.log(1.2) + 1e-9))   # DiskANN's last step
    for p in range(0, 300, 30):
        cand = rng.choice(300, size=120, replace=True)
        kept = ek.robust_prune(x, p, cand, alpha, R)
        assert kept.tolist() == _reference_prune(x, p, cand, alpha, R)
        assert kept.size <= R and p not in kept and np.unique(kept).size == kept.size
        stepped = ek.robust_prune(x, p, cand, alpha, R, rule="diskann")
        assert stepped.tolist() == _reference_prune_steps(x, p, cand, alpha, R)
        assert stepped.size <= R and p not in stepped and np.unique(stepped).size == stepped.size
        if R == 1000:  # no cap: every dropped candidate is covered by a kept one
            for c in set(cand.tolist()) - set(kept.tolist()) - {p}:
                assert (alpha * d(kept, c) <= d(p, c)).any()
            for i in range(kept.size):  # and no kept one is covered by an earlier one
                assert not (alpha * d(kept[:i], kept[i]) <= d(p, kept[i])).any()
            for c in set(cand.tolist()) - set(stepped.tolist()) - {p}:
                assert (last_step * d(stepped, c) < d(p, c) * (1 + 1e-6)).any()
            # the alpha = 1 choice comes first, whole
            first = ek.robust_prune(x, p, cand, 1.0, R, rule="diskann")
            assert stepped[:first.size].tolist() == first.tolist()


def test_robust_prune_bad_inputs():
    with pytest.raises(ValueError, match="alpha"):
        ek.robust_prune(HAND, 0, [1, 2], 0.9, 4)
    with pytest.raises(ValueError, match="R"):
        ek.robust_prune(HAND, 0, [1, 2], 1.2, 0)
    with pytest.raises(ValueError, match="candidates"):
        ek.robust_prune(HAND, 0, [1, 7], 1.2, 4)
    with pytest.raises(ValueError, match="p"):
        ek.robust_prune(HAND, 5, [1], 1.2, 4)
    with pytest.raises(ValueError, match="rule"):
        ek.robust_prune(HAND, 0, [1], 1.2, 4, rule="nsg")


# -- the graph ----------------------------------------------------------------------------------
def test_graph_invariants(built, small):
    n = small.database.shape[0]
    assert built.ntotal == n and built.degrees.max() <= built.R and built.degrees.min() >= 1
    assert built.medoid == medoid_of(small.database)
    for node in range(0, n, 97):
        nb = built.neighbours(node)
        assert node not in nb and np.unique(nb).size == nb.size and (nb < n).all()
    # everything is reachable from the medoid
    seen, stack = {built.medoid}, [built.medoid]
    while stack:
        for e in built.neighbours(stack.pop()).tolist():
            if e not in seen:
                seen.add(e)
                stack.append(e)
    assert len(seen) == n
    assert built.memory_bytes == n * (4 * small.d + 4 * built.R + 4)


def test_recall_against_brute_force(built, small):
    X, Q = small.database, small.queries
    exact = np.argsort(((Q[:, None, :] - X[None]) ** 2).sum(-1), axis=1, kind="stable")[:, :10]
    built.search_L = 32
    D, I = built.search(Q, 10)
    assert ek.recall_at_k(I, exact, 10) >= 0.97          # measured 0.99
    np.testing.assert_allclose(D, ((Q[:, None, :] - X[I]) ** 2).sum(-1), rtol=1e-4, atol=1e-4)
    built.search_L = 200
    assert ek.recall_at_k(built.search(Q, 10)[1], exact, 10) >= 0.999
    assert built.last_search_ndis > 0 and built.last_search_hops.shape == (Q.shape[0],)


def test_cosine_returns_similarities(small):
    X, Q = small.database, small.queries[:50]
    index = ek.VamanaIndex(small.d, R=16, L=32, metric="cosine")
    index.add(X)
    index.search_L = 100
    D, I = index.search(Q, 5)
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    Qn = Q / np.linalg.norm(Q, axis=1, keepdims=True)
    S = Qn @ Xn.T
    assert ek.recall_at_k(I, np.argsort(-S, axis=1)[:, :5], 5) >= 0.99
    np.testing.assert_allclose(D, np.take_along_axis(S, I, 1), atol=1e-5)


def test_one_pass_build(small):
    X, Q = small.database, small.queries
    exact = np.argsort(((Q[:, None, :] - X[None]) ** 2).sum(-1), axis=1, kind="stable")[:, :10]
    one = ek.VamanaIndex(small.d, R=16, L=32, alpha=1.2, passes=1)
    one.add(X)
    one.search_L = 32
    assert one.degrees.max() <= 16 and ek.recall_at_k(one.search(Q, 10)[1], exact, 10) >= 0.95
    with pytest.raises(ValueError, match="passes"):
        ek.VamanaIndex(4, passes=3)


def test_same_graph_on_any_thread_count(small):
    graphs = []
    for threads in (1, 2):
        ek.set_num_threads(threads)
        index = ek.VamanaIndex(small.d, R=12, L=24, alpha=1.2, seed=3)
        index.add(small.database[:2000])
        graphs.append(index._get_state()[1])
    ek.set_num_threads(2)
    for key in ("links", "degree"):
        np.testing.assert_array_equal(graphs[0][key], graphs[1][key])


def test_alpha_gives_long_edges_and_few_hops():
    # in 2-D the effect is large: alpha = 1 leaves a "relative neighbourhood graph" of
    # short edges, which a greedy walk crosses in many steps
    rng = np.random.default_rng(0)
    X = rng.random((3000, 2)).astype(np.float32)
    Q = rng.random((200, 2)).astype(np.float32)
    stats = {}
    for alpha in (1.0, 1.2):
        index = ek.VamanaIndex(2, R=16, L=32, alpha=alpha)
        index.add(X)
        src, dst = index.edges()
        length = np.sqrt(((X[src] - X[dst]) ** 2).sum(1))
        index.search_L = 1                       # greedy walk: hops = its length
        index.search(Q, 1)
        stats[alpha] = ((length > 0.1).sum(), index.last_search_hops.mean())
    # measured: 12 vs ~3,000 long edges, 28 vs 9 hops (n = 4000)
    assert stats[1.2][0] > 20 * max(stats[1.0][0], 1)
    assert stats[1.2][1] < 0.6 * stats[1.0][1]


def test_matches_diskannpy_memory_index(small, tmp_path):
    diskannpy = pytest.importorskip("diskannpy")
    X, Q, gt = small.database, small.queries, small.ground_truth(10)
    R, L, alpha = 16, 32, 1.2
    diskannpy.build_memory_index(X, distance_metric="l2", index_directory=str(tmp_path),
                                 complexity=L, graph_degree=R, alpha=alpha, num_threads=2)
    theirs = diskannpy.StaticMemoryIndex(str(tmp_path), num_threads=2,
                                         initial_search_complexity=64)
    ours = ek.VamanaIndex(small.d, R=R, L=L, alpha=alpha)
    ours.add(X)
    for complexity in (10, 20, 40):
        ours.search_L = complexity
        r_ours = ek.recall_at_k(ours.search(Q, 10)[1], gt, 10)
        r_theirs = ek.recall_at_k(theirs.batch_search(Q, 10, complexity, 2).identifiers
                                  .astype(np.int64), gt, 10)
        print(f"complexity {complexity}: recall embedkit {r_ours:.3f}, diskannpy {r_theirs:.3f}")
        assert abs(r_ours - r_theirs) <= 0.02, (complexity, r_ours, r_theirs)


# -- persistence and errors ----------------------------------------------------------------------
def test_save_load_round_trip(built, small, tmp_path):
    path = tmp_path / "vamana.ekx"
    built.search_L = 24
    built.save(path)
    again = ek.VamanaIndex.load(path)
    assert again.search_L == 24 and again.medoid == built.medoid and again.alpha == built.alpha
    for a, b in zip(built.search(small.queries, 10), again.search(small.queries, 10)):
        np.testing.assert_array_equal(a, b)


def test_load_rejects_bad_graph(built, tmp_path):
    from embedkit._saved_files import save_npz

    params, arrays = built._get_state()
    for change in ("link", "degree"):
        bad = {k: v.copy() for k, v in arrays.items()}
        if change == "link":
            bad["links"][5, 0] = built.ntotal + 3
        else:
            bad["degree"][7] = built.R + 1
        path = tmp_path / f"{change}.ekx"
        save_npz(path, format="embedkit-index", cls="VamanaIndex", version=1, params=params,
                 arrays=bad)   # a valid checksum: only the structural check can catch it
        with pytest.raises(SavedFileError, match="links|degrees"):
            ek.VamanaIndex.load(path)
    path = tmp_path / "cut.ekx"
    built.save(path)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(SavedFileError):
        ek.VamanaIndex.load(path)


def test_bad_arguments(built):
    with pytest.raises(ValueError, match="alpha"):
        ek.VamanaIndex(4, alpha=0.5)
    with pytest.raises(ValueError, match="R"):
        ek.VamanaIndex(4, R=0)
    with pytest.raises(ValueError, match="metric"):
        ek.VamanaIndex(4, metric="ip")
    with pytest.raises(ValueError, match="d=16"):
        built.search(np.zeros((2, 5), np.float32), 3)
    with pytest.raises(ValueError, match="search_L"):
        built.search_L = 0
    with pytest.raises(ValueError, match="empty"):
        ek.VamanaIndex(4).search(np.zeros((1, 4), np.float32), 1)


def test_tiny_inputs():
    index = ek.VamanaIndex(1, R=4, L=8)
    index.add(np.arange(10, dtype=np.float32)[:, None])
    index.search_L = 10
    D, I = index.search([[3.2], [9.9]], 3)
    np.testing.assert_array_equal(I, [[3, 4, 2], [9, 8, 7]])
    one = ek.VamanaIndex(3)
    one.add([[1.0, 2.0, 3.0]])
    assert one.search([[1.0, 2.0, 4.0]], 1)[1].tolist() == [[0]]
