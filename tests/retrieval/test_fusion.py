"""Reciprocal rank fusion on hand-made rankings; score normalisation and score fusion."""
import numpy as np
import pytest

from embedkit.retrieval.fusion import normalize_scores, reciprocal_rank_fusion, score_fusion


def test_rrf_hand_made_rankings():
    lexical = np.array([7, 3, 5])
    dense = np.array([3, 9, 7, 1])
    scores, ids = reciprocal_rank_fusion([lexical, dense], k=60)
    expected = {7: 1 / 61 + 1 / 63, 3: 1 / 62 + 1 / 61, 5: 1 / 63, 9: 1 / 62, 1: 1 / 64}
    assert ids.tolist() == [3, 7, 9, 5, 1]          # 3: 1/62 + 1/61 beats 7: 1/61 + 1/63
    assert np.allclose(scores, [expected[i] for i in ids.tolist()])
    # k = 0 is plain reciprocal rank; weights scale each list; top cuts the list
    s0, i0 = reciprocal_rank_fusion([lexical, dense], k=0, weights=[2.0, 1.0], top=2)
    assert i0.tolist() == [7, 3] and np.allclose(s0, [2 + 1 / 3, 2 / 2 + 1])


def test_rrf_ties_padding_and_batches():
    # documents 4 and 2 get the same fused score: the lower id comes first
    s, i = reciprocal_rank_fusion([np.array([4, 2]), np.array([2, 4])])
    assert i.tolist() == [2, 4] and s[0] == s[1]
    # -1 is padding and does not take a rank
    s, i = reciprocal_rank_fusion([np.array([-1, 8]), np.array([8, -1])], k=60)
    assert i.tolist() == [8] and np.isclose(s[0], 2 / 61)
    batch = reciprocal_rank_fusion([np.array([[1, 2], [3, -1]]), np.array([[2, 1], [4, 3]])])
    assert batch[1].shape == (2, 2) and batch[1][1].tolist() == [3, 4]
    single = reciprocal_rank_fusion([np.array([3, -1]), np.array([4, 3])])
    assert np.allclose(batch[0][1], single[0])


def test_normalize_scores():
    s = np.array([[1.0, 3.0, 2.0, -np.inf], [5.0, 5.0, -np.inf, -np.inf]])
    mm = normalize_scores(s, "minmax")
    assert np.allclose(mm[0, :3], [0, 1, 0.5]) and np.isneginf(mm[0, 3]) and np.allclose(mm[1, :2], 1)
    z = normalize_scores(s, "zscore")
    assert np.isclose(z[0, :3].mean(), 0) and np.isclose(z[0, :3].std(), 1) and np.allclose(z[1, :2], 0)


def test_score_fusion_hand_made():
    bm25 = (np.array([12.0, 8.0, 4.0]), np.array([1, 2, 3]))
    dense = (np.array([0.9, 0.7, 0.5]), np.array([3, 4, 1]))
    scores, ids = score_fusion([bm25, dense], [0.5, 0.5])
    # minmax: bm25 {1: 1, 2: .5, 3: 0}, dense {3: 1, 4: .5, 1: 0}; missing -> the list's minimum (0)
    table = dict(zip(ids.tolist(), scores.tolist()))
    assert np.isclose(table[1], 0.5) and np.isclose(table[3], 0.5) and np.isclose(table[2], 0.25)
    assert ids.tolist() == [1, 3, 2, 4]                  # ties: lower id first
    only_dense = score_fusion([bm25, dense], [0.0, 1.0])[1]
    assert only_dense[0] == 3


def test_bad_input():
    with pytest.raises(TypeError, match="list of id arrays"):
        reciprocal_rank_fusion(np.array([1, 2]))
    with pytest.raises(TypeError, match="integer ids"):
        reciprocal_rank_fusion([np.array([1.5])])
    with pytest.raises(ValueError, match="one row per query"):
        reciprocal_rank_fusion([np.zeros((2, 3), int), np.zeros((3, 3), int)])
    with pytest.raises(ValueError, match="k must be >= 0"):
        reciprocal_rank_fusion([np.array([1])], k=-1)
    with pytest.raises(ValueError, match="weights"):
        reciprocal_rank_fusion([np.array([1])], weights=[1.0, 2.0])
    with pytest.raises(TypeError, match=r"list of \(D, I\) pairs"):
        score_fusion((np.array([1.0]), np.array([1])))
    with pytest.raises(ValueError, match="method"):
        normalize_scores(np.ones(3), "softmax")
