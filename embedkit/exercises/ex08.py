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
        ("attention(1000 q, k, v, mask) (scores over a thousand: exp overflows unless shifted)",
         (1000 * _q, _k, _v, _mask)),
    ],
    keep_inputs=True,
    atol=1e-5, rtol=1e-4,
    hint_text=[
        """
        scores = q @ swapaxes(k, -1, -2) / sqrt(d_k), shape (..., Lq, Lk): d_k is the last
        axis of q and k (not of v). Softmax over the LAST axis (each query's weights over the
        keys sum to 1), then multiply the weights by v.
        """,
        """
        Where the mask is False set the score to -inf (np.where(mask, scores, -np.inf)):
        exp(-inf) = 0, so that key gets zero weight. Multiplying the scores by the mask
        would give a blocked key the score 0, not weight 0. Subtract each row's maximum
        before np.exp, or scores over about 700 (88 in float32) overflow.
        """,
        """
        scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
        if mask is not None: scores = np.where(mask, scores, -np.inf)
        w = np.exp(scores - scores.max(-1, keepdims=True)); w /= w.sum(-1, keepdims=True); return w @ v
        """,
    ],
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
    hint_text=[
        """
        Column pair i (columns 2i and 2i+1) uses the angle p / 10000 ** (2i / d) for position
        p: sine in column 2i, cosine in column 2i + 1.
        """,
        """
        Build angles with broadcasting: np.arange(n)[:, None] / 10000 ** (np.arange(0, d, 2) / d)
        has shape (n, d/2) (the exponent uses 2i, i.e. np.arange(0, d, 2), not i). Put
        sin(angles) in the even columns (pe[:, 0::2]) and cos(angles) in the odd ones.
        """,
    ],
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
    keep_inputs=True,
    hint_text=[
        """
        Only positions with is_target True change. Among those: u < 0.8 -> mask_id;
        0.8 <= u < 0.9 -> random_ids at the same position; u >= 0.9 -> unchanged.
        """,
        """
        Start from out = ids.copy() (the caller's ids must not change) and assign with
        boolean masks such as is_target & (u < 0.8). Mind the boundaries: u = 0.8 exactly
        is a random replacement, u = 0.9 exactly stays unchanged.
        """,
    ],
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
    hint_text=[
        """
        Count the matrices: W_Q, W_K, W_V and the output matrix W_O, each d_model x d_model,
        and each has a bias of d_model numbers.
        """,
        """
        The 8 heads split the columns of W_Q, W_K, W_V into 8 blocks of d_model / 8; they do
        not add matrices, so the count is the same for 1 or 8 heads.
        """,
    ],
    solution_text="""
        n_parameters = 4 * 64 * 64 + 4 * 64   # = 16,640, the same for 1, 4 or 8 heads
    """,
)



# -- Q5: multi-head attention from its definition (an algorithm) ---------------------------
def _multi_head_ref(X, W_Q, W_K, W_V, W_O, h):
    X, W_Q, W_K, W_V, W_O = (np.asarray(a, dtype=np.float64) for a in (X, W_Q, W_K, W_V, W_O))
    L, d_model = X.shape
    d_head = d_model // h
    heads = []
    for i in range(h):
        cols = slice(i * d_head, (i + 1) * d_head)
        Q, K, V = X @ W_Q[:, cols], X @ W_K[:, cols], X @ W_V[:, cols]
        s = Q @ K.T / np.sqrt(d_head)
        w = np.exp(s - s.max(axis=1, keepdims=True))
        heads.append((w / w.sum(axis=1, keepdims=True)) @ V)
    return np.concatenate(heads, axis=1) @ W_O


def _mha_case(L, d_model, seed):
    r = np.random.default_rng(seed)
    X = r.standard_normal((L, d_model))
    return (X, *(r.standard_normal((d_model, d_model)) / np.sqrt(d_model) for _ in range(4)))


q5 = FunctionQuestion(
    qid="ex08.q5",
    title="Q5 multi_head(X, W_Q, W_K, W_V, W_O, h): multi-head self-attention, from the definition",
    name="multi_head",
    reference=_multi_head_ref,
    cases=[
        ("multi_head(L=5, d_model=8, h=2)", (*_mha_case(5, 8, 81), 2)),
        ("multi_head(L=7, d_model=12, h=3)", (*_mha_case(7, 12, 82), 3)),
        ("multi_head(L=6, d_model=16, h=1) (a single head)", (*_mha_case(6, 16, 83), 1)),
        ("multi_head(L=9, d_model=64, h=8)", (*_mha_case(9, 64, 84), 8)),
    ],
    atol=1e-8, rtol=1e-6,
    keep_inputs=True,
    hint_text=[
        r"""
        Head i uses columns i*d_head to (i+1)*d_head of W_Q, W_K and W_V (d_head = d_model / h):
        Q_i = X @ W_Q[:, cols], likewise K_i, V_i. Each head is ordinary attention of Q_i, K_i,
        V_i; the h outputs (L, d_head) are concatenated side by side, in order, then
        multiplied by W_O.
        """,
        """
        Each head's scores are scaled by sqrt(d_head), the dimension of ITS queries, not
        sqrt(d_model). Reshaping Q to (L, d_head, h) would give head i the columns i, i + h,
        i + 2h, ...: use (L, h, d_head), or slices.
        """,
        """
        heads = [attention(X @ W_Q[:, c], X @ W_K[:, c], X @ W_V[:, c]) for c in the h column blocks]
        return np.concatenate(heads, axis=1) @ W_O
        """,
    ],
    solution_text="""
        def multi_head(X, W_Q, W_K, W_V, W_O, h):
            d_head = X.shape[1] // h
            heads = []
            for i in range(h):
                cols = slice(i * d_head, (i + 1) * d_head)       # head i's block of columns
                heads.append(attention(X @ W_Q[:, cols], X @ W_K[:, cols], X @ W_V[:, cols]))
            return np.concatenate(heads, axis=1) @ W_O            # (L, d_model)
    """,
)


# -- Q6: why sinusoidal positions encode relative offsets (a derivation) --------------------
def _shift_ref(k, d):
    freq = 10000.0 ** (-np.arange(0, d, 2) / d)
    M = np.zeros((d, d))
    for i, w in enumerate(freq):
        c, s = np.cos(k * w), np.sin(k * w)
        M[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[c, s], [-s, c]]
    return M


q6 = FunctionQuestion(
    qid="ex08.q6",
    title="Q6 shift_matrix(k, d): the matrix M with PE[p + k] = M @ PE[p] for every p",
    name="shift_matrix",
    reference=_shift_ref,
    cases=[
        ("shift_matrix(1, 4)", (1, 4)),
        ("shift_matrix(5, 8)", (5, 8)),
        ("shift_matrix(0, 6) (no shift: the identity)", (0, 6)),
        ("shift_matrix(-3, 16) (a shift backwards)", (-3, 16)),
        ("shift_matrix(40, 64)", (40, 64)),
    ],
    atol=1e-9, rtol=1e-9,
    hint_text=[
        r"""
        Columns 2i and 2i + 1 of PE[p] are sin(p w_i) and cos(p w_i) with w_i = 10000^(-2i/d).
        Expand sin((p + k) w_i) and cos((p + k) w_i) with the angle-addition formulas: both
        are linear combinations of sin(p w_i) and cos(p w_i) with coefficients that depend
        only on k. So M is block diagonal, one 2 x 2 block per column pair.
        """,
        r"""
        sin(a + b) = sin a cos b + cos a sin b and cos(a + b) = cos a cos b - sin a sin b with
        a = p w_i, b = k w_i. In the order (sin, cos), the block is
        [[cos(k w_i), sin(k w_i)], [-sin(k w_i), cos(k w_i)]].
        """,
        """
        M = np.zeros((d, d)); w = 10000.0 ** (-np.arange(0, d, 2) / d)
        for i: c, s = cos(k w[i]), sin(k w[i]); M[2i:2i+2, 2i:2i+2] = [[c, s], [-s, c]]
        """,
    ],
    solution_text="""
        def shift_matrix(k, d):
            M = np.zeros((d, d))
            for i, w in enumerate(10000.0 ** (-np.arange(0, d, 2) / d)):
                c, s = np.cos(k * w), np.sin(k * w)
                # sin(a + b) = sin a cos b + cos a sin b;  cos(a + b) = cos a cos b - sin a sin b
                M[2 * i:2 * i + 2, 2 * i:2 * i + 2] = [[c, s], [-s, c]]
            return M
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5, q6]
