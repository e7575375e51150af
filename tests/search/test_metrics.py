"""embedkit.search.metrics: recall@k, MRR and nDCG@k on hand-computed cases, plus invariants."""
import numpy as np
import pytest

import embedkit as ek


# -- recall@k ---------------------------------------------------------------------------
def test_recall_by_hand():
    I = np.array([[1, 2, 3], [7, 8, 9]])
    gt = np.array([[3, 1, 5], [4, 5, 6]])
    # query 0 finds 1 and 3 of {3, 1, 5}: 2/3; query 1 finds none: 0 -> mean 1/3
    assert ek.recall_at_k(I, gt, 3) == pytest.approx(1 / 3)
    # at k=1: is gt's first id (3, 4) the first returned (1, 7)? no and no
    assert ek.recall_at_k(I, gt, 1) == 0.0
    # gt narrower than k: "1-recall@3", is the true nearest neighbour in the top 3?
    assert ek.recall_at_k(I, gt[:, :1], 3) == pytest.approx(0.5)


def test_recall_ignores_order_and_padding():
    gt = np.array([[0, 1, 2, 3]])
    assert ek.recall_at_k([[3, 2, 1, 0]], gt, 4) == 1.0
    assert ek.recall_at_k([[0, 1, -1, -1]], gt, 4) == 0.5
    assert ek.recall_at_k([[0, 0, 0, 0]], gt, 4) == 0.25  # a duplicate counts once


def test_recall_of_exact_search_is_one():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 8), dtype=np.float32)
    index = ek.FlatIndex(8)
    index.add(X)
    _, I = index.search(X[:20], 10)
    assert ek.recall_at_k(I, I, 10) == 1.0


# -- MRR ----------------------------------------------------------------------------------
def test_mrr_by_hand():
    I = np.array([[5, 3, 9], [1, 2, 3], [4, 4, 4]])
    gt = np.array([3, 1, 7])  # ranks 2, 1 and "not found"
    assert ek.mrr(I, gt) == pytest.approx((1 / 2 + 1 + 0) / 3)
    # A set of relevant ids per query (padded with -1): the first hit counts.
    gt_sets = np.array([[9, 3], [3, -1], [7, -1]])
    assert ek.mrr(I, gt_sets) == pytest.approx((1 / 2 + 1 / 3 + 0) / 3)


def test_mrr_never_matches_padding():
    assert ek.mrr([[-1, -1, 2]], [[-1, 2]]) == pytest.approx(1 / 3)


# -- nDCG@k -------------------------------------------------------------------------------
def test_ndcg_by_hand():
    relevance = np.array([[3, 2, 0, 1]], float)  # item grades for one query
    I = np.array([[1, 0, 3]])                    # returned grades 2, 3, 1
    dcg = 2 / np.log2(2) + 3 / np.log2(3) + 1 / np.log2(4)
    idcg = 3 / np.log2(2) + 2 / np.log2(3) + 1 / np.log2(4)
    assert ek.ndcg_at_k(I, relevance, 3) == pytest.approx(dcg / idcg)
    exp_dcg = 3 / np.log2(2) + 7 / np.log2(3) + 1 / np.log2(4)
    exp_idcg = 7 / np.log2(2) + 3 / np.log2(3) + 1 / np.log2(4)
    assert ek.ndcg_at_k(I, relevance, 3, gain="exponential") == pytest.approx(exp_dcg / exp_idcg)


def test_ndcg_perfect_worst_and_empty():
    relevance = np.array([[0, 1, 2, 3], [0, 0, 0, 0]], float)
    best = np.array([[3, 2, 1], [0, 1, 2]])
    assert ek.ndcg_at_k(best[:1], relevance[:1], 3) == pytest.approx(1.0)
    assert ek.ndcg_at_k([[0, -1, -1]], relevance[:1], 3) == 0.0
    # No relevant item at all: defined as 0, not NaN.
    assert ek.ndcg_at_k(best, relevance, 3) == pytest.approx(0.5)


# -- bad inputs ---------------------------------------------------------------------------
def test_bad_inputs():
    with pytest.raises(ValueError, match="k=4 is larger than the number of returned ids"):
        ek.recall_at_k([[1, 2, 3]], [[1, 2, 3]], 4)
    with pytest.raises(ValueError, match="gt must have one row per query"):
        ek.recall_at_k([[1, 2]], [[1, 2], [3, 4]], 2)
    with pytest.raises(TypeError, match="I must hold integer ids"):
        ek.recall_at_k([[1.5, 2.0]], [[1, 2]], 2)
    with pytest.raises(ValueError, match="gt must contain valid ids"):
        ek.recall_at_k([[1, 2]], [[1, -1]], 2)
    with pytest.raises(ValueError, match="I must be a 2-D"):
        ek.mrr([1, 2, 3], [1])
    with pytest.raises(ValueError, match="relevance must be"):
        ek.ndcg_at_k([[0, 1]], [[1.0, -1.0]], 2)
    with pytest.raises(ValueError, match="I contains ids >= n_items=2"):
        ek.ndcg_at_k([[0, 5]], [[1.0, 0.0]], 2)
    with pytest.raises(ValueError, match="gain must be one of"):
        ek.ndcg_at_k([[0, 1]], [[1.0, 0.0]], 2, gain="log")
