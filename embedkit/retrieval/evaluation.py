"""Evaluating retrieval honestly: disjoint splits, per-query metrics, bootstrap intervals.

Three habits separate a measurement from an anecdote (notebook 19):

* **Splits.** Queries are divided once into train / validation / test
  (:func:`train_val_test_split`). Models learn on train; *every* hyper-parameter (a fusion
  weight, RRF's k, a rerank depth, a temperature) is chosen on validation; test is read
  once, for the final table. Tuning on the reported queries overstates quality.
* **Per-query metrics** (:func:`per_query_metrics`): nDCG@10, recall@k and reciprocal rank
  of each query, for binary relevance given as a set of relevant ids per query. Their
  means equal :func:`~embedkit.search.metrics.ndcg_at_k`, ``recall_at_k`` and ``mrr``.
* **Intervals.** A mean over 1,000 queries has a standard error of about
  ``std / sqrt(1000)``: a 0.01 gap in nDCG can be noise. :func:`bootstrap_ci` resamples
  queries with replacement; :func:`paired_bootstrap_ci` resamples the *difference* between
  two systems on the same queries, which is much tighter than comparing two separate
  intervals because the query difficulty cancels.
"""
from __future__ import annotations

import numpy as np

from .._validation import _to_array, as_generator, check_int, check_number

__all__ = ["train_val_test_split", "per_query_metrics", "bootstrap_ci", "paired_bootstrap_ci"]


def train_val_test_split(n: int, n_val: int, n_test: int, *, seed=0):
    """Shuffle ``range(n)`` once and cut it into disjoint ``(train, val, test)`` index arrays.

    Each array is sorted (so a split reads in the collection's order); together they
    cover ``range(n)`` exactly once. ``n_val`` and ``n_test`` are sizes; train is the rest.
    """
    n = check_int(n, "n", minimum=1)
    n_val = check_int(n_val, "n_val", minimum=0)
    n_test = check_int(n_test, "n_test", minimum=0)
    if n_val + n_test > n:
        raise ValueError(f"n_val + n_test = {n_val + n_test} exceeds n = {n}")
    order = as_generator(seed).permutation(n)
    test, val, train = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    return np.sort(train), np.sort(val), np.sort(test)


def _relevant_sets(relevant, nq: int) -> np.ndarray:
    rel = _to_array(relevant, "relevant", None)
    if rel.ndim == 1:
        rel = rel[:, None]
    if rel.ndim != 2 or len(rel) != nq:
        raise ValueError(f"relevant must be (nq,) or (nq, g) ids with nq={nq}, got shape {rel.shape}")
    if not np.issubdtype(rel.dtype, np.integer):
        raise TypeError(f"relevant must hold integer ids, got dtype {rel.dtype}")
    if ((rel >= 0).sum(1) == 0).any():
        raise ValueError("every query needs at least one relevant id (>= 0; -1 is padding)")
    return rel.astype(np.int64)


def per_query_metrics(I, relevant, *, k_ndcg: int = 10, k_recall: int = 100) -> dict:
    """Per-query nDCG@``k_ndcg``, recall@``k_recall`` and reciprocal rank (binary relevance).

    Args:
        I: ``(nq, c)`` returned ids, best first (``-1`` = no result).
        relevant: ``(nq,)`` the relevant id of each query, or ``(nq, g)`` sets padded with -1.
        k_ndcg, k_recall: cut-offs; a list shorter than a cut-off simply has no more hits.
    Returns:
        ``{"ndcg@10": (nq,), "recall@100": (nq,), "rr": (nq,)}`` float64 arrays (keys named
        after the cut-offs). ``rr`` is 1/rank of the first relevant id in the whole list, 0
        if none.
    """
    I = _to_array(I, "I", None)
    if I.ndim != 2 or not np.issubdtype(I.dtype, np.integer):
        raise ValueError(f"I must be a 2-D integer (nq, c) array, got shape {I.shape}, dtype {I.dtype}")
    rel = _relevant_sets(relevant, len(I))
    k_ndcg = check_int(k_ndcg, "k_ndcg", minimum=1)
    k_recall = check_int(k_recall, "k_recall", minimum=1)
    hit = (I[:, :, None] == rel[:, None, :]).any(axis=2) & (I >= 0)           # (nq, c)
    n_rel = (rel >= 0).sum(axis=1)
    discount = 1.0 / np.log2(np.arange(2, k_ndcg + 2))
    top = hit[:, :k_ndcg]
    dcg = top @ discount[: top.shape[1]]
    ideal = np.cumsum(discount)[np.minimum(n_rel, k_ndcg) - 1]
    recall = hit[:, :k_recall].sum(axis=1) / n_rel
    first = hit.argmax(axis=1)
    rr = np.where(hit.any(axis=1), 1.0 / (first + 1), 0.0)
    return {f"ndcg@{k_ndcg}": dcg / ideal, f"recall@{k_recall}": recall, "rr": rr}


def bootstrap_ci(values, *, n_boot: int = 2000, confidence: float = 0.95, seed=0):
    """Mean of per-query ``values`` with a percentile bootstrap interval.

    Returns:
        ``(mean, low, high)`` floats: resample the queries with replacement ``n_boot``
        times and take the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles
        of the resampled means.
    """
    v = _to_array(values, "values", np.float64)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"values must be a non-empty 1-D array of per-query values, got shape {v.shape}")
    n_boot = check_int(n_boot, "n_boot", minimum=1)
    confidence = check_number(confidence, "confidence", minimum=0.0, maximum=1.0, strict_minimum=True)
    rng = as_generator(seed)
    means = v[rng.integers(0, v.size, size=(n_boot, v.size))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(v.mean()), float(lo), float(hi)


def paired_bootstrap_ci(a, b, *, n_boot: int = 2000, confidence: float = 0.95, seed=0):
    """Mean of ``a - b`` (two systems' per-query values on the *same* queries) with a
    bootstrap interval; an interval that excludes 0 is a difference the queries support."""
    a = _to_array(a, "a", np.float64)
    b = _to_array(b, "b", np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must score the same queries, got shapes {a.shape} and {b.shape}")
    return bootstrap_ci(a - b, n_boot=n_boot, confidence=confidence, seed=seed)
