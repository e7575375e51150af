"""Triplet loss and InfoNCE against hand-computed values and torch's own losses."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from embedkit.neural.losses import info_nce, pair_distance, triplet_loss

G = torch.Generator().manual_seed(0)
A, P, N = (torch.randn(16, 8, generator=G) for _ in range(3))


def test_triplet_hand_computed():
    a = torch.tensor([[0.0, 0.0]])
    p = torch.tensor([[3.0, 4.0]])        # d(a, p) = 5
    n = torch.tensor([[6.0, 8.0]])        # d(a, n) = 10
    assert triplet_loss(a, p, n, margin=1.0, distance="squared").item() == 0.0   # 25 - 100 + 1 < 0
    assert triplet_loss(a, p, n, margin=7.0).item() == pytest.approx(2.0, abs=1e-4)  # 5 - 10 + 7
    assert triplet_loss(a, n, p, margin=0.0).item() == pytest.approx(5.0, abs=1e-4)


@pytest.mark.parametrize("margin", [0.1, 0.5, 2.0])   # torch rejects margin 0
def test_triplet_matches_torch_triplet_margin_loss(margin):
    ref = torch.nn.TripletMarginLoss(margin=margin, p=2)(A, P, N)
    assert triplet_loss(A, P, N, margin=margin).item() == pytest.approx(ref.item(), rel=1e-5)
    ref_none = torch.nn.TripletMarginLoss(margin=margin, reduction="none")(A, P, N)
    torch.testing.assert_close(triplet_loss(A, P, N, margin=margin, reduction="none"), ref_none)


def test_triplet_cosine_distance_and_unreachable_margin():
    d = pair_distance(A, P, "cosine")
    torch.testing.assert_close(d, 1 - F.cosine_similarity(A, P))
    # unit vectors: Euclidean distances lie in [0, 2], so a margin > 2 is never met
    a, p, n = (F.normalize(t, dim=1) for t in (A, P, N))
    per = triplet_loss(a, p, n, margin=2.5, reduction="none")
    assert (per > 0.5 - 1e-5).all()


def test_info_nce_matches_cross_entropy_form():
    T = 0.1
    q, k = F.normalize(A, dim=1), F.normalize(P, dim=1)
    logits = (q @ k.T / T).double().numpy()
    # by hand: -mean log softmax of the diagonal
    log_softmax = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -np.mean(np.diag(log_softmax))
    assert info_nce(A, P, temperature=T).item() == pytest.approx(expected, rel=1e-5)
    ref = F.cross_entropy(q @ k.T / T, torch.arange(16))
    assert info_nce(A, P, T).item() == pytest.approx(ref.item(), rel=1e-6)


def test_info_nce_symmetric_and_bounds():
    T = 0.5
    q, k = F.normalize(A, dim=1), F.normalize(P, dim=1)
    logits = q @ k.T / T
    y = torch.arange(16)
    sym = 0.5 * (F.cross_entropy(logits, y) + F.cross_entropy(logits.T, y))
    assert info_nce(A, P, T, symmetric=True).item() == pytest.approx(sym.item(), rel=1e-6)
    # identical pairs of orthogonal vectors at low temperature: near-zero loss
    eye = torch.eye(8)
    assert info_nce(eye, eye, 0.01).item() < 1e-6
    # all keys equal: every softmax is uniform, loss = log(batch)
    same = torch.ones(8, 4)
    assert info_nce(eye[:, :4].contiguous(), same, 0.3).item() == pytest.approx(math.log(8), rel=1e-6)


def test_gradients_flow():
    q = A.clone().requires_grad_(True)
    info_nce(q, P, 0.1).backward()
    assert q.grad is not None and torch.isfinite(q.grad).all() and q.grad.abs().sum() > 0


@pytest.mark.parametrize("call, err, match", [
    (lambda: triplet_loss(A, P[:3], N), ValueError, "same shape"),
    (lambda: triplet_loss(A, P, N, margin=-1.0), ValueError, "margin"),
    (lambda: triplet_loss(A, P, N, distance="manhattan"), ValueError, "distance"),
    (lambda: triplet_loss(A.numpy(), P, N), TypeError, "torch.Tensor"),
    (lambda: info_nce(A, P, temperature=0.0), ValueError, "temperature"),
    (lambda: info_nce(A[0], P[0]), ValueError, "2-D"),
])
def test_bad_inputs(call, err, match):
    with pytest.raises(err, match=match):
        call()
