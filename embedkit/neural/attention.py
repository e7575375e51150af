"""Self-attention: the operation that makes a token's vector depend on its sentence.

A static embedding (word2vec, GloVe) gives "bank" one vector. Attention rebuilds every
token's vector as a weighted average of the (projected) vectors of all tokens around it,
with weights computed from the tokens themselves, so "bank" next to "river" and "bank"
next to "loan" come out different.

* :func:`scaled_dot_product_attention` is the core formula,
  ``softmax(q k^T / sqrt(d_k) + mask) v``, written out;
* :class:`MultiHeadSelfAttention` projects the input into ``h`` heads of size ``d / h``,
  attends in each, and mixes the heads back (the layout of ``torch.nn.MultiheadAttention``,
  so its weights can be copied in);
* :func:`sinusoidal_positions` are the fixed position codes of Vaswani et al. (2017):
  attention itself is blind to word order, so the position must be added to the input.
"""
from __future__ import annotations

import math

import numpy as np

from .._validation import check_bool_mask, check_finite, check_int, check_number

__all__ = ["scaled_dot_product_attention", "MultiHeadSelfAttention", "sinusoidal_positions"]


def _as_tensor(x, name: str):
    import torch

    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(x))
    raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(x).__name__}")


def scaled_dot_product_attention(q, k, v, mask=None):
    """``softmax(q @ k^T / sqrt(d_k) + mask) @ v``, returning the output and the weights.

    Args:
        q: ``(..., Lq, d_k)`` queries; k: ``(..., Lk, d_k)`` keys; v: ``(..., Lk, d_v)``
            values (float tensors or numpy arrays; leading dimensions broadcast).
        mask: optional, broadcastable to ``(..., Lq, Lk)``. A **boolean** mask says which
            keys each query may attend to (``True`` = allowed, as in
            ``torch.nn.functional.scaled_dot_product_attention``); a **float** mask is
            added to the scores (``-inf`` blocks a key).

    Returns:
        ``(out, weights)``: ``out`` is ``(..., Lq, d_v)``, ``weights`` is ``(..., Lq, Lk)``
        with rows summing to 1. numpy in, numpy out.
    """
    import torch

    was_numpy = isinstance(q, np.ndarray)
    q, k, v = _as_tensor(q, "q"), _as_tensor(k, "k"), _as_tensor(v, "v")
    for name, t in (("q", q), ("k", k), ("v", v)):
        if t.dim() < 2:
            raise ValueError(f"{name} must be at least 2-D (..., length, dim), got shape {tuple(t.shape)}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must be a float tensor, got dtype {t.dtype}")
        check_finite(t, name)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must share the last dimension d_k, got q {tuple(q.shape)} and k {tuple(k.shape)}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must have the same number of positions Lk, got k {tuple(k.shape)} and v {tuple(v.shape)}")

    # Dividing by sqrt(d_k) keeps the scores' variance ~1 whatever d_k is; without it the
    # softmax saturates for large d_k and its gradients vanish.
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])          # (..., Lq, Lk)
    if mask is not None:
        # An integer 0/1 mask would be *added* (shifting scores by 1, masking nothing):
        # refuse it and say which kinds mean what.
        mask = check_bool_mask(_as_tensor(mask, "mask"), "mask", allow_float=True).to(scores.device)
        if mask.is_floating_point() and bool(torch.isnan(mask).any()):
            raise ValueError("mask contains NaN; an additive mask holds 0 (attend) or -inf (block)")
        try:
            torch.broadcast_shapes(mask.shape, scores.shape)
        except RuntimeError:
            raise ValueError(f"mask must broadcast to the scores' shape {tuple(scores.shape)} "
                             f"(..., Lq, Lk), got shape {tuple(mask.shape)}") from None
        if mask.dtype == torch.bool:
            if not mask.expand(scores.shape).any(dim=-1).all():
                raise ValueError("mask blocks every key for some query (an all-False row): "
                                 "its softmax would be 0/0; let each query see at least one key")
            scores = scores.masked_fill(~mask, float("-inf"))
        else:
            scores = scores + mask.to(scores.dtype)
    weights = torch.softmax(scores, dim=-1)
    out = weights @ v
    if was_numpy:
        return out.numpy(), weights.numpy()
    return out, weights


def sinusoidal_positions(n: int, d: int, base: float = 10000.0) -> np.ndarray:
    """``(n, d)`` float32 positional encodings of Vaswani et al. (2017).

    ``PE[p, 2i] = sin(p / base^(2i/d))`` and ``PE[p, 2i+1] = cos(p / base^(2i/d))``: each
    pair of columns is a clock with its own period, from ``2 pi`` to ``2 pi * base``, so
    every position gets a distinct code and ``PE[p + k]`` is a fixed rotation of ``PE[p]``.
    An odd ``d`` drops the last cosine column.
    """
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=1)
    base = check_number(base, "base", minimum=1.0, strict_minimum=True)
    half = (d + 1) // 2
    freq = base ** (-2.0 * np.arange(half) / d)                         # (half,)
    angles = np.arange(n)[:, None] * freq[None, :]                      # (n, half)
    pe = np.empty((n, 2 * half), dtype=np.float64)
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe[:, :d].astype(np.float32)


def _module_base():
    import torch

    return torch.nn.Module


class MultiHeadSelfAttention(_module_base()):
    """Multi-head self-attention over a batch of sequences.

    ``x: (b, L, d_model)`` is projected to queries, keys and values by one ``(3 d, d)``
    matrix (``in_proj``), split into ``n_heads`` heads of ``d_model / n_heads`` columns,
    each head attends with :func:`scaled_dot_product_attention`, and ``out_proj`` mixes
    the concatenated heads. Parameter layout equals ``torch.nn.MultiheadAttention``
    (``in_proj.weight`` <-> ``in_proj_weight``, ``out_proj`` <-> ``out_proj``).

    Heads let one layer attend to several things at once (a neighbour, the subject of the
    verb, ...) at the cost of one ``d x d`` attention: ``h`` heads of ``d / h`` dims.
    """

    def __init__(self, d_model: int, n_heads: int, *, bias: bool = True):
        import torch

        super().__init__()
        d_model = check_int(d_model, "d_model", minimum=1)
        n_heads = check_int(n_heads, "n_heads", minimum=1)
        if d_model % n_heads:
            raise ValueError(f"d_model must be divisible by n_heads, got d_model={d_model}, n_heads={n_heads}")
        self.d_model, self.n_heads, self.d_head = d_model, n_heads, d_model // n_heads
        self.in_proj = torch.nn.Linear(d_model, 3 * d_model, bias=bias)
        self.out_proj = torch.nn.Linear(d_model, d_model, bias=bias)

    def forward(self, x, padding_mask=None, attn_mask=None):
        """Attend within each sequence.

        Args:
            x: ``(b, L, d_model)`` float tensor.
            padding_mask: optional ``(b, L)`` bool, ``True`` at padding positions, which no
                query may attend to (torch's ``key_padding_mask`` convention).
            attn_mask: optional bool ``(L, L)``, ``True`` = allowed (e.g. a causal mask).

        Returns:
            ``(out, weights)``: ``(b, L, d_model)`` and per-head weights ``(b, h, L, L)``.
        """
        import torch

        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[-1] != self.d_model:
            shape = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
            raise ValueError(f"x must be a (batch, length, d_model={self.d_model}) tensor, got {shape}")
        b, L, _ = x.shape
        # (b, L, 3d) -> 3 x (b, h, L, d_head)
        q, k, v = self.in_proj(x).view(b, L, 3, self.n_heads, self.d_head).permute(2, 0, 3, 1, 4)
        mask = None
        if padding_mask is not None:
            if padding_mask.shape != (b, L) or padding_mask.dtype != torch.bool:
                raise ValueError(f"padding_mask must be a bool tensor of shape {(b, L)}, got "
                                 f"{tuple(padding_mask.shape)} {padding_mask.dtype}")
            mask = ~padding_mask[:, None, None, :]                           # (b, 1, 1, L)
        if attn_mask is not None:
            check_bool_mask(attn_mask, "attn_mask")
            mask = attn_mask if mask is None else mask & attn_mask
        out, weights = scaled_dot_product_attention(q, k, v, mask)
        out = out.transpose(1, 2).reshape(b, L, self.d_model)              # concat heads
        return self.out_proj(out), weights
