"""Measuring indexes on the recall / speed frontier, and the selection guide."""
import math
import os

import faiss
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import make_search_data


def _dominated(p, points):
    """Brute force: some other point is at least as good on both axes and better on one."""
    return any(r >= p[0] and q >= p[1] and (r, q) != p for r, q in points)


@pytest.mark.parametrize("seed", range(20))
def test_frontier_is_the_set_of_undominated_points(seed):
    rng = np.random.default_rng(seed)
    points = [(float(r), float(q)) for r, q in zip(rng.choice(np.linspace(0, 1, 11), 15),
                                                   rng.choice([10.0, 20.0, 50.0, 100.0], 15))]
    front = ek.pareto_frontier(points)
    expected = sorted({p for p in points if not _dominated(p, points)})
    assert front == expected
    assert [r for r, _ in front] == sorted(r for r, _ in front)          # recall ascending
    assert [q for _, q in front] == sorted((q for _, q in front), reverse=True)


def test_qps_at_recall_interpolates_log_speed_on_the_frontier():
    points = [(0.5, 1000.0), (0.9, 100.0), (0.7, 50.0), (1.0, 10.0)]     # (0.7, 50) is dominated
    assert ek.qps_at_recall(points, 0.9) == pytest.approx(100.0)
    assert ek.qps_at_recall(points, 0.7) == pytest.approx(math.sqrt(1000.0 * 100.0))
    assert ek.qps_at_recall(points, 0.95) == pytest.approx(math.sqrt(100.0 * 10.0))
    assert ek.qps_at_recall(points, 0.3) == 1000.0            # the fastest setting already gets there
    assert math.isnan(ek.qps_at_recall([(0.5, 10.0), (0.8, 5.0)], 0.9))   # never reached


def test_sweep_measures_the_recall_of_each_setting():
    data = make_search_data(n=3000, nq=100, d=16, n_train=3000, seed=3)
    index = ek.IVFIndex(16, 32, seed=0)
    index.train(data.train)
    index.add(data.database)
    gt = data.ground_truth(10)
    rows = ek.sweep(index, "nprobe", [1, 4, 32], data.queries, gt, 10, repeat=1)
    assert [value for value, _, _ in rows] == [1, 4, 32]
    for value, recall, qps in rows:
        index.nprobe = value
        assert recall == ek.recall_at_k(index.search(data.queries, 10)[1], gt, 10)
        assert qps > 0
    assert rows[-1][1] == 1.0                                  # nprobe = nlist: exact
    stopped = ek.sweep(index, "nprobe", [32, 64], data.queries, gt, 10, repeat=1, stop_at=0.99)
    assert len(stopped) == 1
    flat = ek.FlatIndex(16)
    flat.add(data.database)
    (value, recall, _), = ek.sweep(flat, None, [None], data.queries, gt, 10, repeat=1)
    assert value is None and recall == 1.0


def test_saved_size_is_the_file_size(tmp_path):
    x = make_search_data(n=500, nq=5, d=8, seed=1).database
    index = ek.FlatIndex(8)
    index.add(x)
    index.save(tmp_path / "flat.bin")
    assert ek.saved_size(index) == os.path.getsize(tmp_path / "flat.bin")
    ref = faiss.IndexFlatL2(8)
    ref.add(x)
    faiss.write_index(ref, str(tmp_path / "faiss.bin"))
    assert ek.saved_size(ref) == os.path.getsize(tmp_path / "faiss.bin")
    assert ek.saved_size(ref) > 500 * 8 * 4 > ek.saved_size(ref) - 200       # vectors + a header


@pytest.mark.parametrize("kwargs, description", [
    (dict(n=20_000, d=384), "Flat"),
    (dict(n=390_000, d=50), "HNSW32"),
    (dict(n=390_000, d=50, filtered=True), "IVF2048"),
    (dict(n=1_000_000, d=768, updates=True), "IVF4096"),
    (dict(n=1_000_000, d=768, bytes_per_vector=800), "SQ8"),
    (dict(n=1_000_000, d=768, bytes_per_vector=72), "IVF4096,PQ64"),
    (dict(n=1_000_000, d=96, bytes_per_vector=400), "IVF4096"),
    (dict(n=20_000, d=768, bytes_per_vector=100), "IVF512,PQ64"),
])
def test_recommend_index_follows_the_guide(kwargs, description):
    chosen, reason = ek.recommend_index(**kwargs)
    assert chosen == description and reason
    index = ek.index_factory(kwargs["d"], chosen)               # always a buildable description
    assert isinstance(index, ek.search.index_base.Index)


def test_recommend_index_says_when_pq_alone_is_not_enough():
    assert "RFlat" in ek.recommend_index(10**6, 768, bytes_per_vector=72, recall=0.95)[1]
    assert "RFlat" not in ek.recommend_index(10**6, 768, bytes_per_vector=72, recall=0.5)[1]


def test_bad_input_names_the_argument():
    with pytest.raises(TypeError, match="points"):
        ek.pareto_frontier(5)
    with pytest.raises(ValueError, match="points"):
        ek.pareto_frontier([(1.5, 10.0)])
    with pytest.raises(ValueError, match="target"):
        ek.qps_at_recall([(0.5, 10.0)], 2)
    with pytest.raises(ValueError, match="bytes_per_vector"):
        ek.recommend_index(10**6, 64, bytes_per_vector=0)
    with pytest.raises(ValueError, match="bytes_per_vector=8"):
        ek.recommend_index(10**6, 64, bytes_per_vector=8)
    with pytest.raises(TypeError, match="n"):
        ek.recommend_index(None, 64)
    index = ek.FlatIndex(4)
    index.add(np.eye(4, dtype=np.float32))
    with pytest.raises(ValueError, match="knob"):
        ek.sweep(index, "ef_searh", [1], np.eye(4, dtype=np.float32), np.zeros((4, 1), int), 1)
    with pytest.raises(ValueError, match="ground_truth"):
        ek.sweep(index, "metric", ["l2"], np.eye(4, dtype=np.float32), np.zeros((3, 1), int), 1)
