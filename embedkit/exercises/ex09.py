"""Checks for ``exercises/09_sentence_embeddings.ipynb``: pooling, triplet loss, InfoNCE, metrics."""
from __future__ import annotations

import numpy as np

from ..neural.losses import triplet_loss
from ..neural.pooling import mean_pool
from ..search.metrics import ndcg_at_k
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
    keep_inputs=True,
    hint_text=[
        """
        Turn the mask into floats with a trailing axis, m = mask[..., None] (shape (n, L, 1)),
        sum x * m over the token axis (axis=1) and divide by the number of REAL tokens,
        m.sum(axis=1), not by L.
        """,
        """
        A row without any real token must give zeros, not NaN: divide by
        np.maximum(count, 1).
        """,
    ],
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
    hint_text=[
        """
        Row-wise Euclidean distances (not squared): d_ap = np.linalg.norm(a - p, axis=1),
        likewise d_an.
        """,
        """
        Each triplet's loss is max(0, d_ap - d_an + margin) (np.maximum with 0: a triplet
        already separated by the margin contributes nothing); return the mean over the
        batch as a float.
        """,
    ],
    solution_text="""
        def triplet(a, p, n, margin):
            d_ap = np.linalg.norm(a - p, axis=1)
            d_an = np.linalg.norm(a - n, axis=1)
            return float(np.maximum(d_ap - d_an + margin, 0.0).mean())
    """,
)

Qs, Ks = _rng.standard_normal((6, 4)), _rng.standard_normal((6, 4))


def _info_nce_ref(q, k, t):
    """Float64 InfoNCE: mean over rows of logsumexp(logits[i]) - logits[i, i]."""
    q = np.asarray(q, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    k = k / np.linalg.norm(k, axis=1, keepdims=True)
    logits = q @ k.T / t
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return float(np.mean(lse - np.diag(logits)))


q3 = FunctionQuestion(
    qid="ex09.q3",
    title="Q3 info_nce_np(q, k, temperature)",
    name="info_nce_np",
    reference=_info_nce_ref,
    cases=[
        ("info_nce_np(Q, K, 0.1)", (Qs, Ks, 0.1)),
        ("info_nce_np(Q, K, 1.0)", (Qs, Ks, 1.0)),
        ("info_nce_np(3 Q, K / 2, 0.5) (rows not of unit length)", (3 * Qs, Ks / 2, 0.5)),
        ("info_nce_np(Q, Q + K / 2, 0.001) (logits near 1000: exp overflows unless shifted)",
         (Qs, Qs + 0.5 * Ks, 0.001)),
    ],
    atol=1e-6, rtol=1e-6,
    keep_inputs=True,
    hint_text=[
        """
        Normalise the rows of q and k to unit length, logits = q @ k.T / temperature. Row i's
        loss is -log softmax(logits[i])[i] = logsumexp(logits[i]) - logits[i, i]: the
        positive is on the diagonal, the rest of row i are the in-batch negatives. Return
        the mean over rows as a float.
        """,
        """
        With temperature 0.001 a logit can reach 1000 and np.exp(1000) is inf. A stable
        log-sum-exp subtracts the row maximum first: m + log(sum(exp(logits - m))).
        """,
        """
        m = logits.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
        return float(np.mean(lse - np.diag(logits)))
        """,
    ],
    solution_text="""
        def info_nce_np(q, k, temperature):
            q = q / np.linalg.norm(q, axis=1, keepdims=True)
            k = k / np.linalg.norm(k, axis=1, keepdims=True)
            logits = q @ k.T / temperature
            m = logits.max(axis=1, keepdims=True)                   # shift: exp never overflows
            lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
            return float(np.mean(lse - np.diag(logits)))
    """,
)

q4 = ValueQuestion(
    qid="ex09.q4",
    title="Q4 retrieval metrics by hand",
    name="metrics_by_hand",
    expected={"recall@1": 0.25, "recall@10": 0.75, "mrr": (1 + 1 / 3 + 1 / 2 + 0) / 4},
    hint_text=[
        """
        recall@k: the fraction of queries whose true document is at rank <= k.
        MRR: the mean of 1 / rank over the queries.
        """,
        """
        A true document that is not in the returned top-10 list (rank 11) counts 0 in MRR
        and is a miss for recall@10: the system never showed it.
        """,
    ],
    solution_text="""
        ranks = np.array([1, 3, 2, 11])
        metrics_by_hand = {"recall@1": np.mean(ranks <= 1), "recall@10": np.mean(ranks <= 10),
                           "mrr": np.mean(np.where(ranks <= 10, 1 / ranks, 0.0))}
        # = 0.25, 0.75 and (1 + 1/3 + 1/2 + 0) / 4 = 0.4583
    """,
)



# -- Q5: nDCG@k with graded relevance (an algorithm) --------------------------------------
_r5 = np.random.default_rng(95)
_REL_HAND = np.array([[0, 0, 0, 1, 0, 2, 0, 0], [3, 0, 1, 0, 0, 0, 2, 1], [0, 0, 0, 0, 0, 0, 0, 0]], float)
_I_HAND = np.array([[7, 3, 5, 1], [6, 0, -1, -1], [0, 1, 2, 3]])
_REL_BIG = np.where(_r5.random((40, 300)) < 0.03, _r5.integers(1, 4, (40, 300)), 0).astype(float)
_I_BIG = np.argsort(-(_REL_BIG + _r5.normal(0, 1.0, _REL_BIG.shape)), axis=1, kind="stable")[:, :10]
q5 = FunctionQuestion(
    qid="ex09.q5",
    title="Q5 ndcg_at_k(I, relevance, k): normalised discounted cumulative gain",
    name="ndcg_at_k",
    reference=ndcg_at_k,
    cases=[
        ("ndcg_at_k(the lesson's ranking [7, 3, 5, 1], k=4) (one query)", (_I_HAND[:1], _REL_HAND[:1], 4)),
        ("ndcg_at_k(3 queries: one with -1 padding, one without any relevant item, k=4)", (_I_HAND, _REL_HAND, 4)),
        ("ndcg_at_k(the same, k=2)", (_I_HAND, _REL_HAND, 2)),
        ("ndcg_at_k(40 queries over 300 items, k=10)", (_I_BIG, _REL_BIG, 10)),
    ],
    atol=1e-10, rtol=1e-10,
    keep_inputs=True,
    hint_text=[
        r"""
        DCG@k = sum over positions i = 1..k of rel_i / log2(i + 1), where rel_i is the
        relevance of the id at position i (relevance[q, I[q, i-1]]). nDCG divides by IDCG@k,
        the DCG of the best possible ranking of THAT query's items: all of relevance[q],
        sorted in decreasing order, cut at k. Average over queries.
        """,
        """
        Two traps: the ideal ranking comes from every item's relevance, not only from the
        items the system returned (a relevant item the system missed must lower the score);
        and an id of -1 means "no result" (gain 0), not "the last item". A query with no
        relevant item at all (IDCG = 0) scores 0.
        """,
        """
        gains = np.where(I[:, :k] >= 0, np.take_along_axis(rel, np.maximum(I[:, :k], 0), 1), 0)
        disc = 1 / np.log2(np.arange(2, k + 2)); ideal = -np.sort(-rel, axis=1)[:, :k]
        dcg, idcg = gains @ disc, ideal @ disc; return mean of dcg / idcg (0 where idcg == 0)
        """,
    ],
    solution_text="""
        def ndcg_at_k(I, relevance, k):
            ids = I[:, :k]
            gains = np.where(ids >= 0, np.take_along_axis(relevance, np.maximum(ids, 0), axis=1), 0.0)
            discount = 1.0 / np.log2(np.arange(2, k + 2))          # positions 1..k
            ideal = -np.sort(-relevance, axis=1)[:, :k]            # every item of the query
            dcg, idcg = gains @ discount, ideal @ discount
            return float(np.mean(np.where(idcg > 0, dcg / np.where(idcg > 0, idcg, 1.0), 0.0)))
    """,
)


# -- Q6: SIF's common-component removal (a derivation) -------------------------------------
def _remove_ref(S, n):
    S = np.asarray(S, dtype=np.float64)
    U = np.linalg.svd(S, full_matrices=False)[2][:n]          # (n, d) top right singular vectors
    return S - (S @ U.T) @ U


_S_common = _r5.standard_normal((60, 12)) + 4.0 * _r5.standard_normal(12)   # a shared direction
q6 = FunctionQuestion(
    qid="ex09.q6",
    title="Q6 remove_common(S, n): remove the top n singular directions, as SIF does",
    name="remove_common",
    reference=_remove_ref,
    cases=[
        ("remove_common(60 sentence vectors sharing a direction, n=1)", (_S_common, 1)),
        ("remove_common(the same, n=3)", (_S_common, 3)),
        ("remove_common(25 x 40 vectors (more dimensions than vectors), n=2)", (_r5.standard_normal((25, 40)), 2)),
        ("remove_common(S, n=0) (nothing removed)", (_S_common[:10], 0)),
    ],
    atol=1e-8, rtol=1e-6,
    keep_inputs=True,
    hint_text=[
        r"""
        SIF removes from every sentence vector its projection on the first n right singular
        vectors of the (uncentred) matrix S: v <- v - U^T U v, with U the (n, d) top rows of
        Vt from np.linalg.svd(S, full_matrices=False).
        """,
        """
        Not PCA: SIF does not centre S first (the common direction IS the mean-like part it
        wants to remove). The right singular vectors live in the d-dimensional space of the
        vectors: rows of Vt, not columns of U.
        """,
        "U = np.linalg.svd(S, full_matrices=False)[2][:n]; return S - (S @ U.T) @ U",
    ],
    solution_text="""
        def remove_common(S, n):
            top = np.linalg.svd(S, full_matrices=False)[2][:n]    # (n, d): right singular vectors
            return S - (S @ top.T) @ top                          # no centring: this is not PCA
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5, q6]
