"""Retrieval metrics: how good is a ranked list of ids?

All three take the ids an index returned, ``I: (nq, k)`` (best first; ``-1`` = no
result, never relevant), and compare them with the truth:

* ``recall_at_k(I, gt, k)``: the fraction of the true ``k`` nearest neighbours that
  appear among the returned top ``k``, averaged over queries. This is the measure
  used to compare approximate indexes with exact search ("k-recall@k"; faiss's
  "1-recall@k", whether the single nearest neighbour is in the top k, is
  ``recall_at_k(I, gt[:, :1], ...)`` with ``k`` returned ids, see the docstring).
* ``mrr(I, gt)``: mean reciprocal rank of the first relevant result.
* ``ndcg_at_k(I, relevance, k)``: normalised discounted cumulative gain for graded
  relevance, rewarding relevant results near the top.
"""
from __future__ import annotations

import numpy as np

from .._validation import _to_array, check_choice, check_int

__all__ = ["recall_at_k", "mrr", "ndcg_at_k"]


def _as_ids(x, name: str, nq: int | None = None, *, allow_1d: bool = False) -> np.ndarray:
    arr = _to_array(x, name, None)
    if allow_1d and arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (nq, k) array of ids, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer) and arr.size:
        raise TypeError(f"{name} must hold integer ids, got dtype {arr.dtype}")
    if arr.shape[0] == 0:   # a mean over no queries is NaN, not a score
        raise ValueError(f"{name} must hold at least one query (row), got shape {arr.shape}; "
                         "a metric over zero queries is undefined")
    if nq is not None and arr.shape[0] != nq:
        raise ValueError(f"{name} must have one row per query (nq={nq}), got shape {arr.shape}")
    return arr.astype(np.int64, copy=False)


def recall_at_k(I, gt, k: int) -> float:
    """Fraction of the true top-``k`` neighbours found in the returned top-``k``.

    ``recall@k = mean over queries q of |top_k(I[q]) ∩ top_k(gt[q])| / k``.
    With ``gt`` holding fewer than ``k`` columns (say, only the true nearest neighbour,
    ``gt[:, :1]``), the denominator is ``gt``'s width: the fraction of the given true
    neighbours found in the returned top ``k`` (faiss's "1-recall@k" for one column).

    Args:
        I: ``(nq, >= k)`` int ids returned by an index, best first (``-1`` never counts).
        gt: ``(nq, g)`` int ids of the true nearest neighbours, nearest first.
        k: cut-off, ``1 <= k <= I.shape[1]``.
    Returns:
        a float in ``[0, 1]``; 1.0 means every true neighbour was found.
    """
    I = _as_ids(I, "I")
    gt = _as_ids(gt, "gt", I.shape[0])
    k = check_int(k, "k", minimum=1)
    if k > I.shape[1]:
        raise ValueError(f"k={k} is larger than the number of returned ids per query ({I.shape[1]})")
    truth = gt[:, :k]
    if (truth < 0).any():
        raise ValueError("gt must contain valid ids (>= 0); -1 marks a missing result")
    # found[q, j]: is the j-th true neighbour among the returned top k? (nq, g, k) compare
    found = (truth[:, :, None] == I[:, None, :k]).any(axis=2)
    return float(found.mean())


def mrr(I, gt) -> float:
    """Mean reciprocal rank: ``mean over q of 1 / rank_q`` of the first relevant result.

    ``rank_q`` is the 1-based position in ``I[q]`` of the first id that is relevant,
    i.e. appears in ``gt[q]``; a query with no relevant id in ``I[q]`` scores 0.

    Args:
        I: ``(nq, k)`` int ids, best first (``-1`` = no result).
        gt: ``(nq,)`` the one relevant id per query, or ``(nq, g)`` a set of relevant
            ids per query (``-1`` entries are padding and ignored).
    Returns:
        a float in ``[0, 1]``.
    """
    I = _as_ids(I, "I")
    gt = _as_ids(gt, "gt", I.shape[0], allow_1d=True)
    relevant = (I[:, :, None] == gt[:, None, :]).any(axis=2) & (I >= 0)   # (nq, k)
    first = relevant.argmax(axis=1)
    rr = np.where(relevant.any(axis=1), 1.0 / (first + 1), 0.0)
    return float(rr.mean())


def ndcg_at_k(I, relevance, k: int, *, gain: str = "linear") -> float:
    """Normalised discounted cumulative gain at ``k``, averaged over queries.

    ``DCG@k = sum_{i=1..k} g(rel_i) / log2(i + 1)``, where ``rel_i`` is the relevance
    of the id at position ``i``; ``g(r) = r`` (``gain="linear"``) or ``2**r - 1``
    (``"exponential"``, which weighs highly relevant items more). ``IDCG@k`` is the DCG of
    the best possible ranking (relevances sorted descending), and
    ``nDCG@k = DCG@k / IDCG@k`` in ``[0, 1]``. A query with no relevant item at all
    (IDCG = 0) scores 0.

    Args:
        I: ``(nq, >= k)`` int ids returned, best first (``-1`` = no result, gain 0).
        relevance: ``(nq, n_items)`` non-negative graded relevance, ``relevance[q, j]``
            being how relevant item ``j`` is to query ``q`` (0 = not relevant).
        k: cut-off, ``1 <= k <= I.shape[1]``.
    Returns:
        a float in ``[0, 1]``.
    """
    I = _as_ids(I, "I")
    rel = _to_array(relevance, "relevance", np.float64)
    if rel.ndim != 2 or rel.shape[0] != I.shape[0]:
        raise ValueError(f"relevance must be (nq, n_items) with nq={I.shape[0]}, got shape {rel.shape}")
    if not np.isfinite(rel).all() or (rel < 0).any():
        raise ValueError("relevance must be finite and non-negative")
    k = check_int(k, "k", minimum=1)
    if k > I.shape[1]:
        raise ValueError(f"k={k} is larger than the number of returned ids per query ({I.shape[1]})")
    check_choice(gain, "gain", ("linear", "exponential"))
    ids = I[:, :k]
    if (ids >= rel.shape[1]).any():
        raise ValueError(f"I contains ids >= n_items={rel.shape[1]} (the width of relevance)")
    got = np.where(ids >= 0, np.take_along_axis(rel, np.maximum(ids, 0), axis=1), 0.0)
    ideal = -np.sort(-rel, axis=1)[:, :k]
    if gain == "exponential":
        got, ideal = 2.0 ** got - 1.0, 2.0 ** ideal - 1.0
    discount = 1.0 / np.log2(np.arange(2, k + 2))                    # 1/log2(i+1), i = 1..k
    dcg = got @ discount
    idcg = ideal @ discount[: ideal.shape[1]]
    return float(np.where(idcg > 0, dcg / np.where(idcg > 0, idcg, 1.0), 0.0).mean())
