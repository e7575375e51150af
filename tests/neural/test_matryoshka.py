"""The Matryoshka loss is the (weighted) sum of the per-width losses."""
import numpy as np
import pytest
import torch

from embedkit.neural.losses import info_nce, triplet_loss
from embedkit.neural.matryoshka import matryoshka_loss, matryoshka_truncate

g = torch.Generator().manual_seed(0)
Q, K, N = (torch.randn(16, 64, generator=g) for _ in range(3))


def test_equals_the_sum_of_per_width_losses():
    dims = [8, 16, 32, 64]
    total = matryoshka_loss(Q, K, dims, temperature=0.1)
    by_hand = sum(info_nce(Q[:, :m], K[:, :m], 0.1) for m in dims)
    assert torch.isclose(total, by_hand, rtol=1e-6)
    weighted = matryoshka_loss(Q, K, dims, weights=[1, 0, 2, 0.5], temperature=0.1)
    assert torch.isclose(weighted, info_nce(Q[:, :8], K[:, :8], 0.1) + 2 * info_nce(Q[:, :32], K[:, :32], 0.1)
                         + 0.5 * info_nce(Q, K, 0.1), rtol=1e-6)
    # one width = the plain loss; negatives are truncated with the same widths
    assert torch.isclose(matryoshka_loss(Q, K, [64]), info_nce(Q, K))
    with_neg = matryoshka_loss(Q, K, [8, 64], negatives=N)
    assert torch.isclose(with_neg, info_nce(Q[:, :8], K[:, :8], negatives=N[:, :8]) + info_nce(Q, K, negatives=N))
    # any loss with the (q, k, **kwargs) signature
    trip = matryoshka_loss(Q, K, [8, 64], loss=lambda q, k: triplet_loss(q, k, k.roll(1, 0)))
    assert torch.isclose(trip, triplet_loss(Q[:, :8], K[:, :8], K[:, :8].roll(1, 0)) + triplet_loss(Q, K, K.roll(1, 0)))


def test_gradients_flow_to_every_prefix():
    q = Q.clone().requires_grad_(True)
    matryoshka_loss(q, K, [8, 64]).backward()
    assert q.grad[:, :8].abs().sum() > q.grad[:, 8:].abs().sum() / 56 * 8   # the prefix gets two losses' worth


def test_truncate_renormalises():
    X = np.random.default_rng(0).standard_normal((5, 10)).astype(np.float32)
    T = matryoshka_truncate(X, 4)
    assert T.shape == (5, 4) and np.allclose(np.linalg.norm(T, axis=1), 1, atol=1e-6)
    assert np.allclose(T, X[:, :4] / np.linalg.norm(X[:, :4], axis=1, keepdims=True), atol=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="dims must be <= 64"):
        matryoshka_loss(Q, K, [8, 128])
    with pytest.raises(TypeError, match="list of widths"):
        matryoshka_loss(Q, K, 8)
    with pytest.raises(ValueError, match="weights"):
        matryoshka_loss(Q, K, [8, 16], weights=[1.0])
    with pytest.raises(ValueError, match="dim must be <= 10"):
        matryoshka_truncate(np.zeros((2, 10)), 11)
