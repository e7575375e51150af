"""Real embeddings as ANN benchmarks (lesson 18): held-out queries, nested subsets, and a
ground truth that is exact and cached atomically."""
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import load_glove_angular


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDKIT_CACHE", str(tmp_path))
    return tmp_path


def test_glove_angular_follows_the_ann_benchmarks_protocol(cache):
    small, large = load_glove_angular(3_000, nq=40), load_glove_angular(6_000, nq=40)
    np.testing.assert_array_equal(small.database, large.database[:3_000])     # nested subsets
    np.testing.assert_allclose(np.linalg.norm(small.database, axis=1), 1, atol=1e-5)
    # held out: no query is a database vector
    assert not (small.queries @ large.database.T > 1 - 1e-6).any()
    flat = ek.FlatIndex(50, "cosine")
    flat.add(small.database)
    gt = small.ground_truth(10)
    np.testing.assert_array_equal(flat.search(small.queries, 10)[1], gt)
    cached = sorted(p.name for p in cache.glob("gt_*.npy"))
    assert len(cached) == 2 and not list(cache.glob(".*.tmp"))                # written atomically
    again = load_glove_angular(3_000, nq=40)
    np.testing.assert_array_equal(again.ground_truth(10), gt)


def test_bad_sizes_name_the_argument(cache):
    with pytest.raises(ValueError, match="nq"):
        load_glove_angular(1_000, nq=20_000)
    with pytest.raises(ValueError, match="n"):
        load_glove_angular(0)
