"""The adapter starts as the identity, hard-negative mining respects its filters, training helps."""
import numpy as np
import pytest
import torch

from embedkit.neural.biencoder import LinearAdapter, mine_hard_negatives, train_adapter
from embedkit.neural.losses import info_nce


def test_identity_start_and_encode():
    X = np.random.default_rng(0).standard_normal((6, 8)).astype(np.float32)
    a = LinearAdapter(8)
    assert np.allclose(a.encode(X), X / np.linalg.norm(X, axis=1, keepdims=True), atol=1e-6)
    assert LinearAdapter(8, 4).encode(X).shape == (6, 4)
    with pytest.raises(ValueError, match="d_out <= d_in"):
        LinearAdapter(4, 8)


def test_info_nce_with_negatives_is_a_wider_softmax():
    g = torch.Generator().manual_seed(0)
    q, k, n = (torch.nn.functional.normalize(torch.randn(4, 8, generator=g), dim=1) for _ in range(3))
    logits = torch.cat([q @ k.T, q @ n.T], 1) / 0.1
    assert torch.isclose(info_nce(q, k, 0.1, negatives=n), torch.nn.functional.cross_entropy(logits, torch.arange(4)))
    assert info_nce(q, k, 0.1, negatives=n) > info_nce(q, k, 0.1)      # more negatives, higher loss
    with pytest.raises(ValueError, match="negatives"):
        info_nce(q, k, negatives=torch.zeros(3, 5))


def test_mining():
    cand = np.array([[5, 1, 2, 3, 4, 6, 7, 8, 9], [0, 1, 2, -1, -1, -1, -1, -1, -1]])
    pos = np.array([1, 9])
    neg = mine_hard_negatives(cand, pos, seed=0)
    assert neg[0] in (5, 2, 3, 4, 6) and neg[1] in (0, 1, 2)
    deep = mine_hard_negatives(cand, pos, skip_top=3, seed=0)
    assert deep[0] in (4, 6, 7, 8, 9)
    scores = np.array([[0.99, 0.9, 0.89, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0], np.linspace(1, 0, 9)])
    filt = mine_hard_negatives(cand, pos, scores=scores, max_ratio=0.95, seed=0)
    assert filt[0] in (3, 4, 6, 7, 8)                  # 5 (0.99) and 2 (0.89 > 0.855) dropped
    assert mine_hard_negatives(np.array([[3, -1]]), np.array([3]))[0] == -1
    with pytest.raises(ValueError, match="scores"):
        mine_hard_negatives(cand, pos, max_ratio=0.9)


def test_training_improves_a_noisy_task():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((16, 16)).astype(np.float32)
    docs = rng.standard_normal((512, 16)).astype(np.float32)
    queries = docs @ W * 0.3 + docs + 0.3 * rng.standard_normal((512, 16)).astype(np.float32)
    def r1(adapter):
        s = adapter.encode(queries) @ adapter.encode(docs).T
        return float((s.argmax(1) == np.arange(512)).mean())
    a = LinearAdapter(16)
    before = r1(a)
    hist = train_adapter(a, queries, docs, steps=60, batch_size=64, lr=1e-2, progress=False)
    assert hist.last < hist.first and r1(a) > before + 0.05
    b = LinearAdapter(16)
    negs = docs[rng.permutation(512)]
    negs[:10] = np.nan                                  # rows without a negative are skipped
    train_adapter(b, queries, docs, negatives=negs, matryoshka_dims=[4, 16], steps=20, batch_size=64,
                  progress=False)
    with pytest.raises(ValueError, match="aligned"):
        train_adapter(LinearAdapter(16), queries, docs[:10], steps=1)
