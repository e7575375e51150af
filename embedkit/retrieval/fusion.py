"""Hybrid search: fusing the ranked lists of several retrievers into one (notebook 19).

A lexical retriever (BM25) and a dense one (an embedding index) fail on different
queries, so production systems run both and merge the lists. Their scores live on
different scales (BM25 is unbounded, cosine lies in ``[-1, 1]``), so there are two ways to
merge them:

* **score fusion** (:func:`score_fusion`): normalise each list's scores per query, then
  take a weighted sum, ``s(d) = sum_r w_r * norm_r(s_r(d))``. ``"minmax"`` maps a list to
  ``[0, 1]``; ``"zscore"`` subtracts the list's mean and divides by its standard deviation.
  A document missing from a list gets that list's lowest normalised score (it ranked below
  everything the list returned). The weights need tuning on validation queries.
* **reciprocal rank fusion** (:func:`reciprocal_rank_fusion`, Cormack, Clarke and Büttcher,
  SIGIR 2009): ignore the scores and use ranks only, ``s(d) = sum_r w_r / (k + rank_r(d))``
  with 1-based ranks and ``k = 60`` by default. Nothing to normalise, and the constant ``k``
  damps the difference between rank 1 and rank 2.

Both take per-query id lists best first (``-1`` = padding, ignored), so they fuse the
``(D, I)`` output of any embedkit index or :class:`~embedkit.retrieval.bm25.BM25`.
Fused lists are sorted by score, ties broken by the lower id (the same on every machine).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .._validation import _to_array, check_choice, check_int, check_number

__all__ = ["reciprocal_rank_fusion", "score_fusion", "normalize_scores"]


def _as_id_lists(arrays, name: str) -> tuple[list[np.ndarray], bool]:
    """A sequence of id arrays, each ``(n_i,)`` or all ``(nq, n_i)`` -> list of 2-D, batched?"""
    if isinstance(arrays, np.ndarray) or not isinstance(arrays, Sequence) or not arrays:
        raise TypeError(f"{name} must be a non-empty list of id arrays (one per retriever), "
                        f"got {type(arrays).__name__}")
    out = []
    for i, a in enumerate(arrays):
        arr = _to_array(a, f"{name}[{i}]", None)
        if not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"{name}[{i}] must hold integer ids, got dtype {arr.dtype}")
        if arr.ndim not in (1, 2):
            raise ValueError(f"{name}[{i}] must be (n,) for one query or (nq, n) for a batch, "
                             f"got shape {arr.shape}")
        out.append(arr.astype(np.int64))
    ndims = {a.ndim for a in out}
    if len(ndims) > 1:
        raise ValueError(f"{name} mixes 1-D and 2-D arrays; give every retriever's ids the same shape kind")
    batched = out[0].ndim == 2
    if batched:
        nqs = {a.shape[0] for a in out}
        if len(nqs) > 1:
            raise ValueError(f"{name}: every retriever needs one row per query, got {sorted(nqs)} rows")
    else:
        out = [a[None, :] for a in out]
    return out, batched


def _weights(weights, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = _to_array(weights, "weights", np.float64)
    if w.shape != (n,):
        raise ValueError(f"weights must have one entry per retriever ({n}), got shape {w.shape}")
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be finite and non-negative")
    return w


def _sorted_rows(per_query: list[dict], top: int | None, batched: bool):
    """``[{id: score}]`` -> ``(scores, ids)`` sorted by score desc, then id asc, padded."""
    width = max((len(d) for d in per_query), default=0)
    width = width if top is None else min(width, top)
    scores = np.full((len(per_query), width), -np.inf)
    ids = np.full((len(per_query), width), -1, dtype=np.int64)
    for q, fused in enumerate(per_query):
        if not fused:
            continue
        doc = np.fromiter(fused.keys(), dtype=np.int64, count=len(fused))
        val = np.fromiter(fused.values(), dtype=np.float64, count=len(fused))
        order = np.lexsort((doc, -val))[:width]
        scores[q, :len(order)], ids[q, :len(order)] = val[order], doc[order]
    return (scores, ids) if batched else (scores[0], ids[0])


def reciprocal_rank_fusion(rankings, k: int = 60, *, weights=None, top: int | None = None):
    """Reciprocal rank fusion: ``score(d) = sum_r weights[r] / (k + rank_r(d))``.

    Args:
        rankings: one id array per retriever, best first: each ``(n_r,)`` for one query, or
            each ``(nq, n_r)`` for a batch. ``-1`` entries are padding and are skipped
            (ranks count only real results).
        k: the damping constant (>= 0); 60 in the original paper.
        weights: optional ``(n_retrievers,)`` non-negative weights (default all 1).
        top: keep only the ``top`` best fused results (default: every distinct id).
    Returns:
        ``(scores, ids)``: float64 fused scores and int64 ids, best first, shaped like the
        input (``(m,)`` or ``(nq, m)``); rows with fewer ids are padded with ``-inf``/``-1``.
    """
    lists, batched = _as_id_lists(rankings, "rankings")
    k = check_number(k, "k", minimum=0.0)
    w = _weights(weights, len(lists))
    top = None if top is None else check_int(top, "top", minimum=1)
    fused = []
    for q in range(lists[0].shape[0]):
        scores: dict[int, float] = {}
        for r, arr in enumerate(lists):
            ids = arr[q][arr[q] >= 0]
            for rank, doc in enumerate(ids.tolist(), start=1):
                scores[doc] = scores.get(doc, 0.0) + w[r] / (k + rank)
        fused.append(scores)
    return _sorted_rows(fused, top, batched)


def normalize_scores(scores, method: str = "minmax") -> np.ndarray:
    """Per-row normalisation of ``(nq, n)`` (or ``(n,)``) scores; ``-inf`` entries are padding.

    ``"minmax"``: ``(s - min) / (max - min)`` in ``[0, 1]`` (a row of equal scores gives 1);
    ``"zscore"``: ``(s - mean) / std`` (a row of equal scores gives 0). Padding stays ``-inf``.
    """
    check_choice(method, "method", ("minmax", "zscore"))
    s = _to_array(scores, "scores", np.float64)
    if np.isnan(s).any() or np.isposinf(s).any():
        raise ValueError("scores must not contain NaN or +inf (use -inf for padding)")
    one = s.ndim == 1
    s = np.atleast_2d(s)
    valid = np.isfinite(s)
    out = np.full(s.shape, -np.inf)
    for q in range(len(s)):
        v = s[q, valid[q]]
        if v.size == 0:
            continue
        if method == "minmax":
            span = v.max() - v.min()
            out[q, valid[q]] = (v - v.min()) / span if span > 0 else 1.0
        else:
            std = v.std()
            out[q, valid[q]] = (v - v.mean()) / std if std > 0 else 0.0
    return out[0] if one else out


def score_fusion(results, weights=None, *, method: str = "minmax", top: int | None = None):
    """Weighted sum of per-query normalised scores.

    Args:
        results: one ``(D, I)`` pair per retriever, with ``D`` scores where **higher is
            better** (negate distances first), each ``(n_r,)`` or ``(nq, n_r)``.
        weights: ``(n_retrievers,)`` non-negative weights (default all 1), e.g. ``[a, 1 - a]``.
        method: ``"minmax"`` or ``"zscore"`` (:func:`normalize_scores`).
        top: keep only the ``top`` best fused results.
    Returns:
        ``(scores, ids)`` like :func:`reciprocal_rank_fusion`. A document missing from a
        retriever's list gets that list's lowest normalised score for that query.
    """
    if isinstance(results, tuple) and len(results) == 2 and isinstance(results[0], np.ndarray):
        raise TypeError("results must be a list of (D, I) pairs, one per retriever: [(D1, I1), (D2, I2)]")
    if not isinstance(results, Sequence) or not results:
        raise TypeError("results must be a non-empty list of (D, I) pairs, one per retriever")
    lists, batched = _as_id_lists([r[1] for r in results], "results' ids")
    normed = []
    for i, ((D, _), I) in enumerate(zip(results, lists)):
        D = _to_array(D, f"results[{i}] scores", np.float64)
        D = D[None, :] if not batched else D
        if D.shape != I.shape:
            raise ValueError(f"results[{i}]: scores {D.shape} and ids {I.shape} must have the same shape")
        normed.append(normalize_scores(np.where(I >= 0, D, -np.inf), method))
    w = _weights(weights, len(lists))
    top = None if top is None else check_int(top, "top", minimum=1)
    fused = []
    for q in range(lists[0].shape[0]):
        per_list = []
        for S, I in zip(normed, lists):
            keep = I[q] >= 0
            per_list.append(dict(zip(I[q][keep].tolist(), S[q][keep].tolist())))
        floors = [min(table.values()) if table else 0.0 for table in per_list]
        scores = {}
        for doc in set().union(*per_list):
            scores[doc] = sum(w[r] * table.get(doc, floors[r]) for r, table in enumerate(per_list))
        fused.append(scores)
    return _sorted_rows(fused, top, batched)
