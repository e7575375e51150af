"""embedkit.neural.attention: scaled dot-product attention, multi-head self-attention, positions."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from embedkit import MultiHeadSelfAttention, scaled_dot_product_attention, sinusoidal_positions


def _qkv(seed=0, shape=(2, 3, 5, 8), lk=7, dv=6):
    g = torch.Generator().manual_seed(seed)
    b, h, lq, d = shape
    return (torch.randn(b, h, lq, d, generator=g), torch.randn(b, h, lk, d, generator=g),
            torch.randn(b, h, lk, dv, generator=g))


# -- tier 1: hand-computed ------------------------------------------------------------
def test_two_tokens_by_hand():
    q = np.array([[1.0, 0.0]], dtype=np.float32)
    k = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    v = np.array([[10.0], [20.0]], dtype=np.float32)
    out, w = scaled_dot_product_attention(q, k, v)
    a = math.exp(1 / math.sqrt(2))                      # scores 1/sqrt(2) and 0
    expected_w = np.array([[a / (a + 1), 1 / (a + 1)]])
    np.testing.assert_allclose(w, expected_w, rtol=1e-6)
    np.testing.assert_allclose(out, expected_w @ v, rtol=1e-6)
    assert isinstance(out, np.ndarray) and out.shape == (1, 1) and w.shape == (1, 2)


# -- tier 3: against torch's implementation ------------------------------------------
def test_matches_torch_sdpa_without_mask():
    q, k, v = _qkv()
    out, w = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 3, 5))
    assert w.shape == (2, 3, 5, 7) and out.shape == (2, 3, 5, 6)


def test_matches_torch_sdpa_with_bool_and_float_masks():
    q, k, v = _qkv(1)
    g = torch.Generator().manual_seed(5)
    mask = torch.rand(2, 1, 5, 7, generator=g) > 0.4
    mask[..., 0] = True                                   # every query sees >= 1 key
    out, w = scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), rtol=1e-5, atol=1e-6)
    assert torch.all(w[~mask.expand_as(w)] == 0)
    additive = torch.randn(5, 7, generator=g)
    out, _ = scaled_dot_product_attention(q, k, v, additive)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=additive), rtol=1e-5, atol=1e-6)


def test_causal_mask_matches_is_causal():
    q, k, v = _qkv(2, shape=(1, 2, 6, 4), lk=6)
    causal = torch.ones(6, 6, dtype=torch.bool).tril()
    out, w = scaled_dot_product_attention(q, k, v, causal)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True), rtol=1e-5, atol=1e-6)
    assert torch.all(w.triu(1) == 0)


@pytest.mark.parametrize("with_padding", [False, True])
def test_multihead_matches_torch_multiheadattention(with_padding):
    torch.manual_seed(0)
    d, h = 16, 4
    ref = torch.nn.MultiheadAttention(d, h, batch_first=True)
    mine = MultiHeadSelfAttention(d, h)
    with torch.no_grad():
        mine.in_proj.weight.copy_(ref.in_proj_weight)
        mine.in_proj.bias.copy_(ref.in_proj_bias)
        mine.out_proj.weight.copy_(ref.out_proj.weight)
        mine.out_proj.bias.copy_(ref.out_proj.bias)
    x = torch.randn(3, 5, d)
    pad = torch.zeros(3, 5, dtype=torch.bool)
    if with_padding:
        pad[1, 3:] = True
        pad[2, 4:] = True
    out, w = mine(x, pad if with_padding else None)
    ref_out, ref_w = ref(x, x, x, key_padding_mask=pad if with_padding else None,
                         need_weights=True, average_attn_weights=False)
    torch.testing.assert_close(out, ref_out, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(w, ref_w, rtol=1e-5, atol=1e-6)


def test_sinusoidal_positions_by_formula():
    pe = sinusoidal_positions(50, 12)
    assert pe.shape == (50, 12) and pe.dtype == np.float32
    for p in (0, 1, 7, 49):
        for i in range(6):
            angle = p / 10000 ** (2 * i / 12)
            assert pe[p, 2 * i] == pytest.approx(math.sin(angle), abs=1e-6)
            assert pe[p, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-6)
    # invariant: the dot product of two codes depends only on their distance
    assert pe[3] @ pe[8] == pytest.approx(pe[20] @ pe[25], abs=1e-4)
    odd = sinusoidal_positions(4, 5)                       # odd d: the last cosine is dropped
    angles = np.arange(4)[:, None] / 10000 ** (2 * np.arange(3)[None, :] / 5)
    np.testing.assert_allclose(odd[:, 0::2], np.sin(angles), atol=1e-6)
    np.testing.assert_allclose(odd[:, 1::2], np.cos(angles[:, :2]), atol=1e-6)


# -- bad inputs -----------------------------------------------------------------------
def test_bad_inputs():
    q, k, v = _qkv()
    with pytest.raises(ValueError, match="last dimension"):
        scaled_dot_product_attention(q, k[..., :4], v)
    with pytest.raises(ValueError, match="same number of positions"):
        scaled_dot_product_attention(q, k, v[..., :3, :])
    with pytest.raises(ValueError, match="at least 2-D"):
        scaled_dot_product_attention(torch.ones(3), k, v)
    with pytest.raises(TypeError, match="float"):
        scaled_dot_product_attention(q.long(), k, v)
    with pytest.raises(TypeError, match="torch.Tensor or numpy"):
        scaled_dot_product_attention([[1.0]], k, v)
    with pytest.raises(ValueError, match="broadcast"):
        scaled_dot_product_attention(q, k, v, torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="all-False row"):
        scaled_dot_product_attention(q, k, v, torch.zeros(5, 7, dtype=torch.bool))
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadSelfAttention(10, 3)
    with pytest.raises(ValueError, match="d_model=8"):
        MultiHeadSelfAttention(8, 2)(torch.ones(2, 3, 5))
    with pytest.raises(ValueError, match="padding_mask"):
        MultiHeadSelfAttention(8, 2)(torch.ones(2, 3, 8), torch.zeros(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="n must be >= 1"):
        sinusoidal_positions(0, 4)
    with pytest.raises(TypeError, match="d must be an integer"):
        sinusoidal_positions(4, 2.5)
