"""Right and wrong answers for ``embedkit.exercises.ex08`` (contextual embeddings)."""
import numpy as np


def attention(q, k, v, mask=None, *, scale="dk", axis=-1, shift=True, mask_mode="inf"):
    d = {"dk": q.shape[-1], "dv": v.shape[-1], "none": 1}[scale]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(d)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf) if mask_mode == "inf" else scores * mask
    w = np.exp(scores - scores.max(axis=axis, keepdims=True)) if shift else np.exp(scores)
    w = w / w.sum(axis=axis, keepdims=True)
    return w @ v


def positions(n, d, *, swap=False, exponent="2i", base=10000.0):
    steps = np.arange(0, d, 2) if exponent == "2i" else np.arange(d // 2)
    angles = np.arange(n)[:, None] / base ** (steps[None, :] / d)
    pe = np.zeros((n, d))
    pe[:, 0::2], pe[:, 1::2] = (np.cos(angles), np.sin(angles)) if swap else (np.sin(angles), np.cos(angles))
    return pe


def corrupt(ids, is_target, u, random_ids, mask_id, *, le=False, swapped=False, all_positions=False,
            in_place=False):
    out = ids if in_place else ids.copy()
    target = np.ones_like(is_target) if all_positions else is_target
    low = (u <= 0.8) if le else (u < 0.8)
    if swapped:
        out[target & (u >= 0.9)] = random_ids[target & (u >= 0.9)]
        out[target & low] = mask_id
        return out
    out[target & low] = mask_id
    swap = target & ~low & (u < 0.9)
    out[swap] = random_ids[swap]
    return out


def multi_head(X, W_Q, W_K, W_V, W_O, h, *, scale="head", split="blocks", out_proj=True, reverse=False):
    L, d_model = X.shape
    d_head = d_model // h
    heads = []
    for i in range(h):
        cols = slice(i * d_head, (i + 1) * d_head) if split == "blocks" else slice(i, d_model, h)
        Q, K, V = X @ W_Q[:, cols], X @ W_K[:, cols], X @ W_V[:, cols]
        s = Q @ K.T / np.sqrt(d_head if scale == "head" else d_model)
        w = np.exp(s - s.max(axis=1, keepdims=True))
        heads.append((w / w.sum(axis=1, keepdims=True)) @ V)
    out = np.concatenate(heads[::-1] if reverse else heads, axis=1)
    return out @ W_O if out_proj else out


def shift_matrix(k, d, *, transpose=False, steps="2i", order="sin-cos", angle="kw"):
    idx = np.arange(0, d, 2) if steps == "2i" else np.arange(d // 2)
    M = np.zeros((d, d))
    for i, w in enumerate(10000.0 ** (-idx / d)):
        a = k * w if angle == "kw" else float(k)
        c, s = np.cos(a), np.sin(a)
        block = np.array([[c, s], [-s, c]]) if order == "sin-cos" else np.array([[c, -s], [s, c]])
        M[2 * i:2 * i + 2, 2 * i:2 * i + 2] = block.T if transpose else block
    return M


ANSWERS = {
    "ex08.q1": {"solution": attention, "mutants": [
        ("no 1/sqrt(d_k) scaling", lambda *a: attention(*a, scale="none")),
        ("scaled by sqrt(d_v) instead of sqrt(d_k)", lambda *a: attention(*a, scale="dv")),
        ("softmax over the query axis (-2)", lambda *a: attention(*a, axis=-2)),
        ("exp without subtracting the row maximum (overflow)", lambda *a: attention(*a, shift=False)),
        ("mask multiplied into the scores: blocked keys get score 0, not weight 0",
         lambda *a: attention(*a, mask_mode="multiply")),
    ]},
    "ex08.q2": {"solution": positions, "mutants": [
        ("sine and cosine columns swapped", lambda n, d: positions(n, d, swap=True)),
        ("exponent i / d instead of 2i / d", lambda n, d: positions(n, d, exponent="i")),
        ("base 1000 instead of 10000", lambda n, d: positions(n, d, base=1000.0)),
    ]},
    "ex08.q3": {"solution": corrupt, "mutants": [
        ("u <= 0.8 masks the boundary value", lambda *a: corrupt(*a, le=True)),
        ("random and unchanged ranges swapped", lambda *a: corrupt(*a, swapped=True)),
        ("non-target positions corrupted too", lambda *a: corrupt(*a, all_positions=True)),
        ("writes into the caller's ids", lambda *a: corrupt(*a, in_place=True)),
    ]},
    "ex08.q4": {"solution": 4 * 64 * 64 + 4 * 64, "mutants": [
        ("biases forgotten", 4 * 64 * 64),
        ("one set of matrices per head", 8 * (4 * 64 * 64 + 4 * 64)),
        ("no output projection W_O", 3 * 64 * 64 + 3 * 64),
    ]},
    "ex08.q5": {"solution": multi_head, "mutants": [
        ("scores scaled by sqrt(d_model) instead of sqrt(d_head)", lambda *a: multi_head(*a, scale="model")),
        ("interleaved columns: reshape (L, d_head, h)", lambda *a: multi_head(*a, split="interleaved")),
        ("output projection W_O forgotten", lambda *a: multi_head(*a, out_proj=False)),
        ("heads concatenated in reverse order", lambda *a: multi_head(*a, reverse=True)),
    ]},
    "ex08.q6": {"solution": shift_matrix, "mutants": [
        ("blocks transposed: the rotation for -k", lambda k, d: shift_matrix(k, d, transpose=True)),
        ("frequencies 10000^(-i/d) instead of 10000^(-2i/d)", lambda k, d: shift_matrix(k, d, steps="i")),
        ("block written for (cos, sin) order", lambda k, d: shift_matrix(k, d, order="cos-sin")),
        ("angle k instead of k w_i", lambda k, d: shift_matrix(k, d, angle="k")),
    ]},
}
