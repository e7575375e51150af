"""Measuring the recall / speed / memory trade-off of an index, and choosing one (notebook 18).

An approximate index is not one point but a curve: each setting of its knob (``nprobe``,
``ef_search``, ``k_factor``) gives a recall and a speed. ann-benchmarks compares indexes
by those curves, and so does this module:

* :func:`sweep` measures ``(knob, recall@k, queries/s)`` for each value of a knob;
* :func:`pareto_frontier` keeps the settings that no other setting beats on both axes;
* :func:`qps_at_recall` reads the speed at a target recall off the frontier, so that two
  indexes are compared **at equal recall**, never at equal knobs (``ef_search = 64``
  means a different amount of work in each library);
* :func:`saved_size` measures memory the honest way, as the bytes of the saved index;
* :func:`recommend_index` is the selection guide of notebook 18 as a function: from the
  number of vectors, the memory budget and the workload to a factory description.
"""
from __future__ import annotations

import math
import os
import tempfile
import time
from typing import Callable, Iterable, Sequence

import numpy as np

from .._validation import as_matrix, check_int, check_number
from .metrics import recall_at_k

__all__ = ["sweep", "pareto_frontier", "qps_at_recall", "saved_size", "recommend_index"]


def _points(points) -> list[tuple[float, float]]:
    """``points`` as a list of ``(recall, qps)`` float pairs, with a clear error otherwise."""
    try:
        out = [(float(p[0]), float(p[1])) for p in points]
    except (TypeError, ValueError, IndexError):
        raise TypeError("points must be a sequence of (recall, queries_per_second) pairs, got "
                        f"{type(points).__name__}") from None
    for recall, qps in out:
        if not (0.0 <= recall <= 1.0) or not (qps > 0) or math.isinf(qps):
            raise ValueError(f"points: each pair is (recall in [0, 1], queries/s > 0, finite); "
                             f"got ({recall}, {qps})")
    return out


def pareto_frontier(points) -> list[tuple[float, float]]:
    """The settings that no other setting beats on both recall and speed.

    Args:
        points: ``(recall, queries_per_second)`` pairs, one per setting, in any order.
    Returns:
        the frontier sorted by recall (ascending), so by speed descending: a point is kept
        only if every point with at least its recall is slower. This is the curve
        ann-benchmarks plots. Of equal points the first is kept.
    """
    best, out = 0.0, []
    # Highest recall first; among equal recalls the fastest first, so it alone survives.
    for recall, qps in sorted(_points(points), key=lambda p: (-p[0], -p[1])):
        if qps > best:
            out.append((recall, qps))
            best = qps
    return out[::-1]


def qps_at_recall(points, target: float) -> float:
    """Queries/s at recall ``target``, read off the frontier of ``points``.

    Between the two frontier points around ``target``, log(queries/s) is interpolated
    linearly in recall (speed falls about exponentially as recall approaches 1). If even
    the fastest setting reaches ``target``, that setting's speed is returned; if no setting
    reaches it, ``nan`` (the index cannot be compared at that recall).
    """
    target = check_number(target, "target", minimum=0.0, maximum=1.0)
    pts = pareto_frontier(points)
    if pts and pts[0][0] >= target:
        return pts[0][1]
    for (r0, q0), (r1, q1) in zip(pts, pts[1:]):
        if r0 <= target <= r1:
            t = (target - r0) / (r1 - r0)
            return math.exp(math.log(q0) + t * (math.log(q1) - math.log(q0)))
    return float("nan")


def sweep(index, knob: str | None, values: Iterable, queries, ground_truth, k: int = 10, *,
          repeat: int = 3, stop_at: float | None = None,
          search: Callable | None = None) -> list[tuple[object, float, float]]:
    """Measure ``(value, recall@k, queries/s)`` for each value of one knob of ``index``.

    Args:
        index: a built index; ``knob`` names one of its attributes (``"nprobe"``,
            ``"ef_search"``, ``"k_factor"``), set to each value in turn. ``knob=None``
            (an index without one, such as Flat or SQ8): ``values=[None]`` measures the
            one point there is.
        queries: ``(nq, d)`` float32; ``ground_truth: (nq, >= k)`` exact neighbour ids.
        repeat: the whole batch is searched ``repeat`` times and the best time is kept
            (the least noisy estimate on a busy machine).
        stop_at: stop the sweep once recall reaches this value (larger settings only
            cost time).
        search: ``search(queries, k) -> (D, I)`` to time instead of ``index.search``.
    Returns:
        a list of ``(value, recall, queries_per_second)``; the knob keeps the last value.
    """
    queries = as_matrix(queries, "queries")
    k = check_int(k, "k", minimum=1)
    repeat = check_int(repeat, "repeat", minimum=1)
    if knob is not None and (not isinstance(knob, str) or not hasattr(index, knob)):
        raise ValueError(f"knob must name an attribute of {type(index).__name__} such as "
                         f"'nprobe' or 'ef_search', got {knob!r}")
    ground_truth = np.asarray(ground_truth)
    if ground_truth.ndim != 2 or ground_truth.shape[0] != queries.shape[0] or ground_truth.shape[1] < k:
        raise ValueError(f"ground_truth must have shape ({queries.shape[0]}, >= {k}) "
                         f"(one row of exact ids per query), got {ground_truth.shape}")
    search = search or index.search
    rows = []
    for value in values:
        if knob is not None:
            setattr(index, knob, value)
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            _, I = search(queries, k)
            best = min(best, time.perf_counter() - start)
        recall = recall_at_k(np.asarray(I), ground_truth, k)
        rows.append((value, recall, queries.shape[0] / max(best, 1e-9)))
        if stop_at is not None and recall >= stop_at:
            break
    return rows


def saved_size(index) -> int:
    """Bytes of ``index`` saved to a file: the memory it needs, measured, not estimated.

    Works for embedkit indexes (``index.save(path)``) and faiss indexes
    (``faiss.write_index``); hnswlib's ``save_index`` too.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "index.bin")
        if hasattr(index, "save"):
            index.save(path)
        elif hasattr(index, "save_index"):
            index.save_index(path)
        else:
            import faiss
            faiss.write_index(index, path)
        return os.path.getsize(path)


def _nlist(n: int) -> int:
    """faiss's rule of thumb, ``nlist ~ 4 sqrt(n)``, as the nearest power of two (>= 16)."""
    return max(16, 2 ** round(math.log2(4 * math.sqrt(n))))


def _pq_m(d: int, code_bytes: int) -> int | None:
    """The largest ``m`` that divides ``d`` with ``m <= code_bytes`` (8-bit codes)."""
    fits = [m for m in range(1, d + 1) if d % m == 0 and m <= code_bytes]
    return max(fits) if fits else None


def recommend_index(n: int, d: int, *, bytes_per_vector: float | None = None,
                    recall: float = 0.95, updates: bool = False,
                    filtered: bool = False) -> tuple[str, str]:
    """The selection guide of notebook 18: a factory description for a workload.

    Args:
        n: vectors to index; ``d``: their dimension.
        bytes_per_vector: RAM the index may use per vector (``None``: no limit). For
            reference: float32 vectors take ``4 d``, HNSW32 about ``4 d + 270``.
        recall: the recall@10 the application needs.
        updates: vectors are deleted or replaced often (not only appended).
        filtered: most queries carry a metadata filter (``where=``).
    Returns:
        ``(description, reason)``: a string for :func:`index_factory` and one sentence
        saying why. The rules, in order (each backed by a measurement in notebook 18):

        1. ``n <= 50,000``: ``"Flat"``. Exact search over 50k vectors takes well under a
           millisecond a query; an index would add training, tuning and lost recall.
        2. a budget below ``4 d + 8`` bytes (the raw vectors do not fit): compress.
           At least ``d + 8`` bytes: ``"SQ8"`` (recall stays near 0.99, one byte per
           dimension). Less: ``"IVF<nlist>,PQ<m>"`` with the largest ``m`` that fits;
           such codes rarely reach ``recall >= 0.9`` alone, so the reason says to keep
           the raw vectors on disk and re-rank (``",RFlat"``).
        3. filtered queries or frequent deletes: ``"IVF<nlist>"``. A filter is applied
           inside each probed list, and a delete removes one entry from one list, while a
           graph loses recall as filters or deletes cut its paths.
        4. otherwise, if the budget holds HNSW's links (``4 d + 270`` bytes):
           ``"HNSW32"``, the fastest family at ``recall >= 0.9`` in every measurement.
        5. else ``"IVF<nlist>"``: raw vectors plus an 8-byte id.

        ``nlist`` is faiss's rule of thumb, about ``4 sqrt(n)`` (a power of two).
    """
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=1)
    recall = check_number(recall, "recall", minimum=0.0, maximum=1.0)
    if bytes_per_vector is not None:
        bytes_per_vector = check_number(bytes_per_vector, "bytes_per_vector", minimum=1.0)
    budget = math.inf if bytes_per_vector is None else bytes_per_vector
    nlist = _nlist(n)
    if n <= 50_000 and budget >= 4 * d:
        return "Flat", (f"n = {n:,} is small: exact search scans it in well under a "
                        f"millisecond per query, with recall 1 and nothing to train or tune")
    if budget < 4 * d + 8:
        if budget >= d + 8:
            return "SQ8", (f"{budget:g} bytes/vector cannot hold float32 vectors ({4 * d} bytes) "
                           f"but holds 8-bit codes ({d} bytes + id): recall stays near 0.99")
        m = _pq_m(d, int(budget) - 8)
        if m is None:
            raise ValueError(f"bytes_per_vector={budget:g} leaves no room for a PQ code after the "
                             f"8-byte id; give at least 9 bytes")
        tail = (f"; PQ{m} alone rarely reaches recall {recall:g}: keep the raw vectors on disk "
                f"and re-rank (\"IVF{nlist},PQ{m},RFlat\")" if recall >= 0.9 else "")
        return f"IVF{nlist},PQ{m}", (f"{budget:g} bytes/vector: {m}-byte PQ codes plus an id, "
                                     f"in {nlist} lists (about 4 sqrt(n)){tail}")
    if filtered or updates:
        what = "filters" if filtered else "deletes"
        return f"IVF{nlist}", (f"{what}: IVF applies them list by list and stays exact within a "
                               f"list, where a graph's paths break; {nlist} lists (about 4 sqrt(n))")
    if budget >= 4 * d + 270:
        return "HNSW32", (f"n = {n:,}, raw vectors and links fit: HNSW is the fastest family at "
                          f"recall >= 0.9; tune ef_search for recall {recall:g}")
    return f"IVF{nlist}", (f"{budget:g} bytes/vector holds the vectors but not HNSW's links: "
                           f"{nlist} lists (about 4 sqrt(n)), tune nprobe for recall {recall:g}")
