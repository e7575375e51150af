"""Pooling with masks and the SIF baseline, against plain numpy loops and torch."""
import numpy as np
import pytest
import torch

from embedkit import WordVectors
from embedkit.neural.pooling import cls_pool, max_pool, mean_pool, sif_embeddings, sif_weights

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5)).astype(np.float32)
MASK = np.array([[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 1, 1]], dtype=bool)


def test_mean_pool_matches_loop_over_real_tokens():
    ref = np.stack([X[i, MASK[i]].mean(0) for i in range(3)])
    np.testing.assert_allclose(mean_pool(X, MASK), ref, rtol=1e-6)
    # padding values must not matter
    noisy = X.copy()
    noisy[~MASK] = 1e3
    np.testing.assert_allclose(mean_pool(noisy, MASK), ref, rtol=1e-6)


def test_max_pool_ignores_padding_even_when_padding_is_larger():
    noisy = X.copy()
    noisy[~MASK] = 1e3
    ref = np.stack([X[i, MASK[i]].max(0) for i in range(3)])
    np.testing.assert_allclose(max_pool(noisy, MASK), ref)


def test_torch_and_numpy_agree_and_torch_is_differentiable():
    xt = torch.tensor(X, requires_grad=True)
    mt = torch.tensor(MASK)
    for f in (mean_pool, max_pool, cls_pool):
        out = f(xt, mt)
        assert isinstance(out, torch.Tensor)
        np.testing.assert_allclose(out.detach().numpy(), f(X, MASK), rtol=1e-6)
    mean_pool(xt, mt).sum().backward()
    # d(mean)/dx is 1/len on real tokens, 0 on padding
    np.testing.assert_allclose(xt.grad[0, :, 0].numpy(), [1 / 3, 1 / 3, 1 / 3, 0])


def test_cls_pool_and_no_mask():
    np.testing.assert_array_equal(cls_pool(X), X[:, 0])
    np.testing.assert_allclose(mean_pool(X), X.mean(1), rtol=1e-6)


def test_all_padding_row_gives_zeros_not_nan():
    mask = MASK.copy()
    mask[1] = False
    for f in (mean_pool, max_pool):
        out = f(X, mask)
        assert np.isfinite(out).all() and not out[1].any()
        out_t = f(torch.tensor(X), torch.tensor(mask))
        assert torch.isfinite(out_t).all() and not out_t[1].any()


@pytest.mark.parametrize("x, mask, match", [
    (X[0], None, "3-D"), (X, MASK[:, :3], "mask must have shape"), ("abc", None, "numeric"),
])
def test_bad_inputs(x, mask, match):
    with pytest.raises((ValueError, TypeError), match=match):
        mean_pool(x, mask)


# -- SIF -----------------------------------------------------------------------------------
WORDS = ["the", "cat", "dog", "sat", "ran", "a"]
VECS = RNG.standard_normal((6, 4)).astype(np.float32)
WV = WordVectors(WORDS, VECS)
PROB = {"the": 0.05, "a": 0.03, "cat": 1e-4, "dog": 2e-4, "sat": 1e-3, "ran": 5e-4}
SENTS = [["the", "cat", "sat"], ["a", "dog", "ran"], ["the", "dog", "sat", "unknownword"],
         ["cat", "ran"], ["the", "a"]]


def test_sif_weights_formula():
    np.testing.assert_allclose(sif_weights([0.0, 1e-3, 0.05], a=1e-3), [1.0, 0.5, 1e-3 / 0.051])


def test_sif_matches_hand_computed_average_and_pc_removal():
    a = 1e-3
    ref = np.zeros((len(SENTS), 4))
    for i, s in enumerate(SENTS):
        known = [w for w in s if w in WV]
        ref[i] = np.mean([a / (a + PROB[w]) * VECS[WORDS.index(w)] for w in known], axis=0)
    np.testing.assert_allclose(sif_embeddings(SENTS, WV, PROB, a=a, n_components=0), ref, rtol=1e-5)
    u = np.linalg.svd(ref)[2][0]
    expected = ref - np.outer(ref @ u, u)
    out, comps = sif_embeddings(SENTS, WV, PROB, a=a, return_components=True)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-6)
    assert np.allclose(out @ comps[0], 0, atol=1e-6)          # nothing left along u
    # the same components applied to new sentences (queries) project the same way
    again = sif_embeddings(SENTS[:2], WV, PROB, a=a, components=comps)
    np.testing.assert_allclose(again, out[:2], rtol=1e-4, atol=1e-6)


def test_sif_bad_inputs():
    with pytest.raises(TypeError, match="token lists"):
        sif_embeddings(["the cat sat"], WV, PROB)
    with pytest.raises(ValueError, match="empty"):
        sif_embeddings([], WV, PROB)
    with pytest.raises(ValueError, match="n_components"):
        sif_embeddings(SENTS[:2], WV, PROB, n_components=3)
    with pytest.raises(ValueError, match="a must be > 0"):
        sif_embeddings(SENTS, WV, PROB, a=0.0)
