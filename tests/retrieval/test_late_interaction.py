"""MaxSim on a hand-computed case; the index's batched scoring equals the definition."""
import numpy as np
import pytest

from embedkit.retrieval.late_interaction import LateInteractionIndex, maxsim

Q = np.array([[1.0, 0.0], [0.0, 1.0]])
D1 = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
D2 = np.array([[0.0, 1.0]])


def test_maxsim_hand_computed():
    # query token 1 (x axis) matches D1 token 1 (0.9); token 2 (y axis) matches D1 token 2 (0.8)
    assert maxsim(Q, D1) == pytest.approx(0.9 + 0.8)
    assert maxsim(Q, D2) == pytest.approx(0.0 + 1.0)
    assert maxsim(Q, D1) > maxsim(Q, D2)


def test_index_scores_rerank_and_search():
    rng = np.random.default_rng(0)
    docs = [rng.standard_normal((rng.integers(1, 9), 4)).astype(np.float32) for _ in range(30)]
    index = LateInteractionIndex(4)
    index.add(docs[:10])
    tokens = np.concatenate(docs[10:])
    index.add(tokens=tokens, offsets=np.concatenate([[0], np.cumsum([len(d) for d in docs[10:]])]))
    assert index.ntotal == 30
    q = rng.standard_normal((3, 4)).astype(np.float32)
    brute = np.array([maxsim(q, d) for d in docs])
    assert np.allclose(index.scores(q, np.arange(30)), brute, atol=1e-5)
    assert np.allclose(index.scores(q, [29, 0, 5]), brute[[29, 0, 5]], atol=1e-5)
    D, I = index.search([q], 5)
    assert I[0].tolist() == np.argsort(-brute, kind="stable")[:5].tolist()
    D, I = index.rerank([q], np.array([[3, 7, -1, 11]]))
    assert sorted(I[0, :3].tolist()) == [3, 7, 11] and I[0, 3] == -1 and np.all(np.diff(D[0, :3]) <= 0)
    assert index.bytes_per_document == pytest.approx(sum(len(d) for d in docs) * 16 / 30)
    half = LateInteractionIndex(4, dtype=np.float16)
    half.add(docs)
    assert half.bytes_per_document == pytest.approx(index.bytes_per_document / 2)
    assert np.allclose(half.scores(q, np.arange(30)), brute, atol=2e-2)


def test_bad_input():
    index = LateInteractionIndex(2)
    with pytest.raises(ValueError, match="at least one"):
        index.add([np.zeros((0, 2))])
    with pytest.raises(ValueError, match="dimension|columns|d="):
        index.add([np.zeros((2, 3))])
    index.add([D1, D2])
    with pytest.raises(ValueError, match="doc_ids"):
        index.scores(Q, [5])
    with pytest.raises(ValueError, match="dtype"):
        LateInteractionIndex(2, dtype=np.int8)
    with pytest.raises(TypeError):
        index.add()
