"""Checks for ``exercises/09_sentence_embeddings.ipynb``: pooling, triplet loss, InfoNCE, metrics."""
from __future__ import annotations

import numpy as np

from ..neural.losses import info_nce, triplet_loss
from ..neural.pooling import mean_pool
from .core import FunctionQuestion, ValueQuestion

_rng = np.random.default_rng(9)
X = _rng.standard_normal((3, 5, 4)).astype(np.float32)
MASK = np.array([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)


def _torch(*arrays):
    import torch

    return [torch.from_numpy(np.asarray(a, dtype=np.float32)) for a in arrays]


q1 = FunctionQuestion(
    qid="ex09.q1",
    title="Q1 masked_mean(x, mask)",
    name="masked_mean",
    reference=lambda x, mask: mean_pool(x, mask),
    cases=[
        ("masked_mean(X, MASK)", (X, MASK)),
        ("masked_mean(X, all-true mask)", (X, np.ones((3, 5), dtype=bool))),
        ("masked_mean with a row of padding only", (X, np.array([[1, 1, 0, 0, 0], [0, 0, 0, 0, 0],
                                                                  [0, 1, 0, 1, 0]], dtype=bool))),
    ],
    atol=1e-5, rtol=1e-5,
    hint_text="""
        Turn the mask into floats with a trailing axis, m = mask[..., None] (shape (n, L, 1)),
        sum x * m over the token axis (axis=1) and divide by the number of real tokens,
        m.sum(axis=1). A row without any real token must give zeros, not NaN: divide by
        np.maximum(count, 1).
    """,
    solution_text="""
        def masked_mean(x, mask):
            m = mask[..., None].astype(np.float32)
            return (x * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1.0)
    """,
)

A, P, N = (_rng.standard_normal((8, 5)) for _ in range(3))
q2 = FunctionQuestion(
    qid="ex09.q2",
    title="Q2 triplet(a, p, n, margin)",
    name="triplet",
    reference=lambda a, p, n, margin: float(triplet_loss(*_torch(a, p, n), margin=margin)),
    cases=[
        ("triplet(A, P, N, 1.0)", (A, P, N, 1.0)),
        ("triplet(A, P, N, 0.1)", (A, P, N, 0.1)),
        ("triplet(A, N, P, 3.0)", (A, N, P, 3.0)),
        ("triplet on one hand-made triplet, margin 7", (np.zeros((1, 2)), np.array([[3.0, 4.0]]),
                                                       np.array([[6.0, 8.0]]), 7.0)),
    ],
    atol=1e-4, rtol=1e-4,
    hint_text="""
        Row-wise Euclidean distances: d_ap = np.linalg.norm(a - p, axis=1), likewise d_an.
        Each triplet's loss is max(0, d_ap - d_an + margin) (np.maximum with 0); return
        the mean over the batch as a float.
    """,
    solution_text="""
        def triplet(a, p, n, margin):
            d_ap = np.linalg.norm(a - p, axis=1)
            d_an = np.linalg.norm(a - n, axis=1)
            return float(np.maximum(d_ap - d_an + margin, 0.0).mean())
    """,
)

Qs, Ks = _rng.standard_normal((6, 4)), _rng.standard_normal((6, 4))
q3 = FunctionQuestion(
    qid="ex09.q3",
    title="Q3 info_nce_np(q, k, temperature)",
    name="info_nce_np",
    reference=lambda q, k, t: float(info_nce(*_torch(q, k), temperature=t)),
    cases=[
        ("info_nce_np(Q, K, 0.1)", (Qs, Ks, 0.1)),
        ("info_nce_np(Q, K, 1.0)", (Qs, Ks, 1.0)),
        ("info_nce_np(Q, Q + small noise, 0.01) (needs a stable log-sum-exp)",
         (Qs, Qs + 0.01 * Ks, 0.01)),
    ],
    atol=1e-4, rtol=1e-4,
    hint_text="""
        Normalise the rows of q and k to unit length, logits = q @ k.T / temperature.
        Row i's loss is -log softmax(logits[i])[i] = logsumexp(logits[i]) - logits[i, i].
        For a stable log-sum-exp subtract the row maximum first:
        m = logits.max(1); lse = m + log(sum(exp(logits - m[:, None]), axis=1)).
        Return the mean over rows as a float.
    """,
    solution_text="""
        def info_nce_np(q, k, temperature):
            q = q / np.linalg.norm(q, axis=1, keepdims=True)
            k = k / np.linalg.norm(k, axis=1, keepdims=True)
            logits = q @ k.T / temperature
            m = logits.max(axis=1)
            lse = m + np.log(np.exp(logits - m[:, None]).sum(axis=1))
            return float(np.mean(lse - np.diag(logits)))
    """,
)

q4 = ValueQuestion(
    qid="ex09.q4",
    title="Q4 retrieval metrics by hand",
    name="metrics_by_hand",
    expected={"recall@1": 0.25, "recall@10": 0.75, "mrr": (1 + 1 / 3 + 1 / 2 + 0) / 4},
    hint_text="""
        recall@k: the fraction of queries whose true document is at rank <= k.
        MRR: the mean of 1 / rank, where a true document that is not in the returned
        top-10 list counts 0 (the system never showed it).
    """,
    solution_text="""
        ranks = np.array([1, 3, 2, 11])
        metrics_by_hand = {"recall@1": np.mean(ranks <= 1), "recall@10": np.mean(ranks <= 10),
                           "mrr": np.mean(np.where(ranks <= 10, 1 / ranks, 0.0))}
        # = 0.25, 0.75 and (1 + 1/3 + 1/2 + 0) / 4 = 0.4583
    """,
)

QUESTIONS = [q1, q2, q3, q4]
