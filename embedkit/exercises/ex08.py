"""Checks for ``exercises/08_contextual_embeddings.ipynb``: attention with a mask,
sinusoidal positions, BERT's 80/10/10 corruption rule, the size of a multi-head layer."""
from __future__ import annotations

import numpy as np

from ..neural.attention import MultiHeadSelfAttention, scaled_dot_product_attention, sinusoidal_positions
from .core import FunctionQuestion, ValueQuestion

_rng = np.random.default_rng(8)
_q, _k, _v = (_rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (5, 4), (5, 2)))
_mask = np.array([[True, True, False, False, False],
                  [True, True, True, False, True],
                  [False, False, False, False, True]])
_qb, _kb, _vb = (_rng.standard_normal(s).astype(np.float32) for s in ((2, 4, 8), (2, 6, 8), (2, 6, 3)))
_causal = np.tril(np.ones((4, 6), dtype=bool))

q1 = FunctionQuestion(
    qid="ex08.q1",
    title="Q1 attention(q, k, v, mask): scaled dot-product attention",
    name="attention",
    reference=lambda q, k, v, mask=None: scaled_dot_product_attention(q, k, v, mask)[0],
    cases=[
        ("attention(q (3, 4), k (5, 4), v (5, 2))", (_q, _k, _v, None)),
        ("attention(q, k, v, mask) with a (3, 5) boolean mask", (_q, _k, _v, _mask)),
        ("attention on a batch (2, 4, 8) / (2, 6, 8) / (2, 6, 3), causal-style mask", (_qb, _kb, _vb, _causal)),
        ("attention(k, k, v): a token attends to itself most", (_k, _k, _v, None)),
    ],
    atol=1e-5, rtol=1e-4,
    hint_text="""
        scores = q @ swapaxes(k, -1, -2) / sqrt(d_k), shape (..., Lq, Lk). Where the mask
        is False set the score to -inf (np.where(mask, scores, -np.inf)): exp(-inf) = 0, so
        that key gets zero weight. Softmax over the LAST axis, subtracting the row maximum
        first for stability, then multiply the weights by v.
    """,
    solution_text="""
        def attention(q, k, v, mask=None):
            scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
            if mask is not None:
                scores = np.where(mask, scores, -np.inf)
            weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
            weights /= weights.sum(axis=-1, keepdims=True)
            return weights @ v
    """,
)

q2 = FunctionQuestion(
    qid="ex08.q2",
    title="Q2 positions(n, d): sinusoidal positional encodings",
    name="positions",
    reference=sinusoidal_positions,
    cases=[("positions(4, 6)", (4, 6)), ("positions(10, 16)", (10, 16)), ("positions(50, 8)", (50, 8))],
    atol=1e-5, rtol=1e-4,
    hint_text="""
        Column pair i (columns 2i and 2i+1) uses the angle p / 10000 ** (2i / d) for position
        p. Build angles with broadcasting: np.arange(n)[:, None] / 10000 ** (np.arange(0, d, 2) / d)
        has shape (n, d/2). Put sin(angles) in the even columns (pe[:, 0::2]) and cos(angles)
        in the odd ones (pe[:, 1::2]).
    """,
    solution_text="""
        def positions(n, d):
            angles = np.arange(n)[:, None] / 10000 ** (np.arange(0, d, 2)[None, :] / d)
            pe = np.zeros((n, d))
            pe[:, 0::2] = np.sin(angles)
            pe[:, 1::2] = np.cos(angles)
            return pe
    """,
)


def _corrupt_reference(ids, is_target, u, random_ids, mask_id):
    # written as a plain loop, independently of embedkit.neural.encoder.mask_tokens
    out = list(ids)
    for t in range(len(ids)):
        if is_target[t]:
            if u[t] < 0.8:
                out[t] = mask_id
            elif u[t] < 0.9:
                out[t] = random_ids[t]
    return np.array(out)


_ids = _rng.integers(3, 50, size=40)
_target = _rng.random(40) < 0.3
_u = _rng.random(40)
_random_ids = _rng.integers(3, 50, size=40)
_edge_u = np.array([0.0, 0.79999, 0.8, 0.85, 0.9, 0.95, 0.5, 0.85])

q3 = FunctionQuestion(
    qid="ex08.q3",
    title="Q3 corrupt(ids, is_target, u, random_ids, mask_id): BERT's 80/10/10 rule",
    name="corrupt",
    reference=_corrupt_reference,
    cases=[
        ("corrupt on 40 tokens, 30% targets", (_ids, _target, _u, _random_ids, 2)),
        ("corrupt with u at the boundaries 0.8 and 0.9",
         (np.arange(10, 18), np.array([True] * 6 + [False] * 2), _edge_u, np.arange(30, 38), 2)),
        ("corrupt with no targets at all", (_ids, np.zeros(40, dtype=bool), _u, _random_ids, 2)),
    ],
    atol=0, rtol=0,
    hint_text="""
        Only positions with is_target True change. Among those: u < 0.8 -> mask_id;
        0.8 <= u < 0.9 -> random_ids at the same position; u >= 0.9 -> unchanged.
        Start from out = ids.copy() and assign with boolean masks such as
        is_target & (u < 0.8). Do not modify `ids` itself.
    """,
    solution_text="""
        def corrupt(ids, is_target, u, random_ids, mask_id):
            out = ids.copy()
            out[is_target & (u < 0.8)] = mask_id
            swap = is_target & (u >= 0.8) & (u < 0.9)
            out[swap] = random_ids[swap]
            return out
    """,
)

q4 = ValueQuestion(
    qid="ex08.q4",
    title="Q4 parameters of a multi-head self-attention layer",
    name="n_parameters",
    expected=int(sum(p.numel() for p in MultiHeadSelfAttention(64, 8).parameters())),
    atol=0, rtol=0,
    hint_text="""
        W_Q, W_K, W_V and the output matrix W_O are each d_model x d_model (the 8 heads
        split the columns of W_Q, W_K, W_V; they do not add matrices), and each has a bias
        of d_model numbers.
    """,
    solution_text="""
        n_parameters = 4 * 64 * 64 + 4 * 64   # = 16,640, the same for 1, 4 or 8 heads
    """,
)

QUESTIONS = [q1, q2, q3, q4]
