"""HNSWIndex.remove / update: removed ids never come back, repair matches a rebuild, save/load
keeps it all; brute force over the surviving vectors is the reference."""
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import make_search_data


@pytest.fixture(scope="module")
def data():
    return make_search_data(n=4000, nq=100, d=16, seed=3)


def _build(data, **kw):
    index = ek.HNSWIndex(data.d, M=8, ef_construction=64, seed=0, **kw)
    index.add(data.database)
    index.ef_search = 32
    return index


def _exact(x, q, keep, k=10):
    ids = np.flatnonzero(keep)
    d2 = ((q[:, None, :] - x[None, ids, :]) ** 2).sum(-1)
    return ids[np.argsort(d2, axis=1, kind="stable")[:, :k]]


def _recall(I, gt):
    return np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(I, gt)])


@pytest.mark.parametrize("repair", [True, False])
def test_removed_ids_never_returned_before_and_after_save_load(data, repair, tmp_path):
    index = _build(data)
    gone = np.random.default_rng(0).permutation(len(data.database))[:1200]      # 30%
    index.remove(gone, repair=repair)
    keep = np.ones(len(data.database), bool)
    keep[gone] = False
    gt = _exact(data.database, data.queries, keep)
    D, I = index.search(data.queries, 10)
    assert not np.isin(I, gone).any() and (I >= 0).all()
    assert _recall(I, gt) >= 0.95
    assert index.n_removed == 1200 and index.removed.sum() == 1200
    # a query equal to a removed vector must not find it
    _, I_self = index.search(data.database[gone[:50]], 1)
    assert not np.isin(I_self, gone).any()
    index.save(tmp_path / "h.npz")
    loaded = ek.HNSWIndex.load(tmp_path / "h.npz")
    D2, I2 = loaded.search(data.queries, 10)
    np.testing.assert_array_equal(I2, I)
    np.testing.assert_array_equal(D2, D)
    assert loaded.n_removed == 1200


def test_repair_unlinks_removed_vectors_and_keeps_degrees(data):
    index = _build(data)
    before = np.array([index.neighbours(i).size for i in range(len(data.database))])
    gone = np.arange(0, len(data.database), 5)                                     # 20%
    changed = index.remove(gone)
    assert changed > 0
    alive = np.setdiff1d(np.arange(len(data.database)), gone)
    for i in alive:                                                    # no list names a removed id
        assert not np.isin(index.neighbours(i), gone).any()
        for level in range(1, index.levels[i] + 1):
            assert not np.isin(index.neighbours(i, level), gone).any()
    after = np.array([index.neighbours(i).size for i in alive])
    assert after.mean() >= 0.97 * before[alive].mean()                # topped up, not thinned
    assert not index.removed[index.entry_point]


def test_repaired_recall_matches_a_rebuild(data):
    gone = np.random.default_rng(1).permutation(len(data.database))[:2000]         # 50%
    keep = np.ones(len(data.database), bool)
    keep[gone] = False
    gt = _exact(data.database, data.queries, keep)
    repaired = _build(data)
    repaired.remove(gone)
    rebuilt = ek.HNSWIndex(data.d, M=8, ef_construction=64, seed=0)
    rebuilt.add(data.database[keep])
    rebuilt.ef_search = 32
    r_repaired = _recall(repaired.search(data.queries, 10)[1], gt)
    r_rebuilt = _recall(np.flatnonzero(keep)[rebuilt.search(data.queries, 10)[1]], gt)
    assert r_repaired >= r_rebuilt - 0.02, (r_repaired, r_rebuilt)


def test_tombstones_cost_more_distances_than_repair(data):
    gone = np.random.default_rng(2).permutation(len(data.database))[:2000]
    tomb, fixed = _build(data), _build(data)
    tomb.remove(gone, repair=False)
    fixed.remove(gone)
    tomb.search(data.queries, 10)
    fixed.search(data.queries, 10)
    assert tomb.last_search_ndis > 1.2 * fixed.last_search_ndis


def test_tombstones_then_repair(data):
    index = _build(data)
    index.remove(np.arange(100), repair=False)
    index.remove(np.arange(100, 200))                  # repairs the tombstones' lists too
    for i in range(200, len(data.database), 97):
        assert not (index.neighbours(i) < 200).any()
    assert not (index.search(data.queries, 10)[1] < 200).any()


def test_update_replaces_vectors_in_place(data):
    index = _build(data)
    ids = np.array([7, 3, 500])
    new = data.database[[1000, 2000, 3000]] + 0.001
    index.update(ids, new)
    _, I = index.search(new, 1)
    np.testing.assert_array_equal(I[:, 0], ids)                      # found under their own id
    assert index.n_removed == 0 and index.ntotal == len(data.database)
    x = data.database.copy()
    x[ids] = new
    gt = _exact(x, data.queries, np.ones(len(data.database), bool))
    assert _recall(index.search(data.queries, 10)[1], gt) >= 0.95


def test_remove_everything_then_add(data):
    index = _build(data)
    index.remove(np.arange(len(data.database)))
    D, I = index.search(data.queries[:3], 5)
    assert (I == -1).all() and np.isinf(D).all()
    index.add(data.database[:50])
    _, I = index.search(data.database[:5], 1)
    np.testing.assert_array_equal(I[:, 0], len(data.database) + np.arange(5))


def test_same_result_on_one_and_two_threads(data):
    gone = np.arange(0, len(data.database), 3)
    results = []
    for threads in (1, 2):
        previous = ek.get_num_threads()
        ek.set_num_threads(threads)
        try:
            index = _build(data)
            index.remove(gone)
            index.update([1, 2], data.database[[10, 11]])
            results.append((index.search(data.queries, 10), index.neighbours(4)))
        finally:
            ek.set_num_threads(previous)
    np.testing.assert_array_equal(results[0][0][1], results[1][0][1])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_bad_ids_give_clear_errors(data):
    index = _build(data)
    with pytest.raises(KeyError, match="not in the index"):
        index.remove([len(data.database)])
    with pytest.raises(KeyError, match="not in the index"):
        index.remove([-1])
    index.remove([5])
    with pytest.raises(KeyError, match="already removed"):
        index.remove([5])
    with pytest.raises(ValueError, match="twice"):
        index.remove([6, 6])
    with pytest.raises(TypeError, match="integer ids"):
        index.remove([1.5])
    with pytest.raises(ValueError, match="one row per id"):
        index.update([1, 2], data.database[:1])
    with pytest.raises(KeyError, match="already removed"):
        index.update([5], data.database[:1])
