"""Right and wrong answers for ``embedkit.exercises.ex18`` (choosing an index)."""
import math

import numpy as np
from deferred import Deferred

import embedkit as ek
from embedkit.exercises.ex18 import NPROBES, q6_data


def pareto_frontier(points, *, key=lambda p: (-p[0], -p[1]), strict=True, running=True,
                    dominated=False, ascending=True):
    best, kept = 0.0, []
    for recall, qps in sorted(points, key=key):
        if dominated or (qps > best if strict else qps >= best):
            kept.append((recall, qps))
        best = max(best, qps) if running else qps
    return kept[::-1] if ascending else kept


def qps_at_recall(points, target, *, frontier=True, log=True, unreached=float("nan"), below="fastest",
                  step=False):
    pts = pareto_frontier(points) if frontier else sorted(points)
    if pts[0][0] >= target:
        if below == "fastest":
            return pts[0][1]
        if pts[0][0] > target:
            return float("nan")
    for (r0, q0), (r1, q1) in zip(pts, pts[1:]):
        if r0 <= target <= r1:
            if step:
                return q1
            t = (target - r0) / (r1 - r0)
            return math.exp(math.log(q0) + t * (math.log(q1) - math.log(q0))) if log else q0 + t * (q1 - q0)
    return unreached


def hnsw_bytes_per_vector(d, M, *, layer0=2, link_bytes=4, ints=3, upper="exact", count=True):
    per_row = M * link_bytes + (4 if count else 0)
    rows = {"exact": 1 / (M - 1), "1/M": 1 / M, "none": 0.0}[upper]
    return 4 * d + ints * 4 + layer0 * M * link_bytes + rows * per_row


def choose_index(n, d, bytes_per_vector=None, updates=False, filtered=False, *, order="memory-first",
                 nlist_rule="log-round", id_bytes=8, pq_m="divisor", small="fits", hnsw_links=270,
                 strict_hnsw=False, small_n=50_000):
    budget = math.inf if bytes_per_vector is None else bytes_per_vector
    raw = 4 * math.sqrt(n)
    rules = {"log-round": 2 ** round(math.log2(raw)), "log-ceil": 2 ** math.ceil(math.log2(raw)),
             "linear": min((2 ** k for k in range(1, 40)), key=lambda p: abs(p - raw)),
             "plain": round(raw), "no-min": 2 ** round(math.log2(raw))}
    nlist = rules[nlist_rule] if nlist_rule == "no-min" else max(16, rules[nlist_rule])
    if n <= small_n and (small == "any" or budget >= 4 * d):
        return "Flat"
    if order == "filters-first" and (filtered or updates):
        return f"IVF{nlist}"
    if budget < 4 * d + id_bytes:
        if budget >= d + id_bytes:
            return "SQ8"
        room = int(budget) - id_bytes
        m = room if pq_m == "budget" else max(m for m in range(1, d + 1) if d % m == 0 and m <= room)
        return f"IVF{nlist},PQ{m}"
    if filtered or updates:
        return f"IVF{nlist}"
    if budget > 4 * d + hnsw_links if strict_hnsw else budget >= 4 * d + hnsw_links:
        return "HNSW32"
    return f"IVF{nlist}"


DESCRIPTIONS = {"a": "IVF256,PQ10,RFlat", "b": "HNSW16", "c": "OPQ32,IVF1024,PQ32x4", "d": "SQ8",
                "e": "IVF4096", "f": "Flat"}


def _measured(*, target=0.95, k=10, pick="first"):
    data = q6_data()
    index = ek.IVFIndex(data.d, 64, seed=0)
    index.train(data.database)
    index.add(data.database)
    rows = ek.sweep(index, "nprobe", NPROBES, data.queries, data.ground_truth(k), k=k, repeat=1)
    recalls = [r for _, r, _ in rows]
    if pick == "first":
        nprobe = next(v for v, r, _ in rows if r >= target)
    elif pick == "best":                    # the first setting of the highest recall
        nprobe = NPROBES[int(np.argmax(recalls))]
    else:                                   # the last setting still below the target
        nprobe = [v for v, r, _ in rows if r < target][-1]
    return {"nprobe": nprobe, "recalls": recalls}


ANSWERS = {
    "ex18.q1": {"solution": pareto_frontier, "mutants": [
        ("dominated points kept: every point sorted by recall", lambda p: pareto_frontier(p, dominated=True)),
        ("sorted by recall, highest first", lambda p: pareto_frontier(p, ascending=False)),
        ("compares with the previous point only, not the best so far", lambda p: pareto_frontier(p, running=False)),
        ("ties kept: >= instead of > (repeats, equal speeds)", lambda p: pareto_frontier(p, strict=False)),
        ("equal recalls taken slowest first, so both stay", lambda p: pareto_frontier(p, key=lambda q: (-q[0], q[1]))),
    ]},
    "ex18.q2": {"solution": qps_at_recall, "mutants": [
        ("linear interpolation of qps instead of log qps", lambda p, t: qps_at_recall(p, t, log=False)),
        ("interpolates between raw points, dominated ones included", lambda p, t: qps_at_recall(p, t, frontier=False)),
        ("returns 0 instead of nan when no setting reaches the target", lambda p, t: qps_at_recall(p, t, unreached=0.0)),
        ("nan when the target is below every recall", lambda p, t: qps_at_recall(p, t, below="nan")),
        ("no interpolation: the speed of the next frontier point", lambda p, t: qps_at_recall(p, t, step=True)),
    ]},
    "ex18.q3": {"solution": hnsw_bytes_per_vector, "mutants": [
        ("upper layers ignored", lambda d, M: hnsw_bytes_per_vector(d, M, upper="none")),
        ("E[level] = 1/M instead of 1/(M - 1)", lambda d, M: hnsw_bytes_per_vector(d, M, upper="1/M")),
        ("M links on layer 0 instead of 2M", lambda d, M: hnsw_bytes_per_vector(d, M, layer0=1)),
        ("int64 links", lambda d, M: hnsw_bytes_per_vector(d, M, link_bytes=8)),
        ("the three int32 per vector forgotten", lambda d, M: hnsw_bytes_per_vector(d, M, ints=0)),
        ("upper-layer rows without their count", lambda d, M: hnsw_bytes_per_vector(d, M, count=False)),
    ]},
    "ex18.q4": {"solution": choose_index, "mutants": [
        ("filters and deletes tested before the memory budget", lambda *a: choose_index(*a, order="filters-first")),
        ("nlist: log2 rounded up", lambda *a: choose_index(*a, nlist_rule="log-ceil")),
        ("nlist: the nearest power of two on a linear scale", lambda *a: choose_index(*a, nlist_rule="linear")),
        ("nlist: 4 sqrt(n) not rounded to a power of two", lambda *a: choose_index(*a, nlist_rule="plain")),
        ("nlist without the minimum of 16", lambda *a: choose_index(*a, nlist_rule="no-min")),
        ("the 8-byte id forgotten", lambda *a: choose_index(*a, id_bytes=0)),
        ("PQ m = budget - 8, not a divisor of d", lambda *a: choose_index(*a, pq_m="budget")),
        ("Flat for every n <= 50,000, even when the vectors do not fit", lambda *a: choose_index(*a, small="any")),
        ("Flat only below 50,000 (n < 50,000)", lambda *a: choose_index(*a, small_n=49_999)),
        ("HNSW whenever the vectors fit (links not counted)", lambda *a: choose_index(*a, hnsw_links=8)),
        ("HNSW only above 4 d + 270 (> instead of >=)", lambda *a: choose_index(*a, strict_hnsw=True)),
    ]},
    "ex18.q5": {"solution": dict(DESCRIPTIONS, e="IVF4096,Flat"), "mutants": [
        ("RFlat forgotten: no exact re-ranking", dict(DESCRIPTIONS, a="IVF256,PQ10")),
        ("parts in the wrong order (PQ before IVF)", dict(DESCRIPTIONS, a="PQ10,IVF256,RFlat")),
        ("the metric written into the description", dict(DESCRIPTIONS, a="IVF256,PQ10,RFlat,cosine")),
        ("HNSW named by its layer-0 links (2M)", dict(DESCRIPTIONS, b="HNSW32")),
        ("4-bit codes written without x4", dict(DESCRIPTIONS, c="OPQ32,IVF1024,PQ32")),
        ("PQ named by its bytes (16) instead of its sub-vectors (32)", dict(DESCRIPTIONS, c="OPQ16,IVF1024,PQ16x4")),
        ("OPQ rotation forgotten", dict(DESCRIPTIONS, c="IVF1024,PQ32x4")),
        ("4-bit scalar codes instead of one byte per dimension", dict(DESCRIPTIONS, d="SQ4")),
        ("a PQ index instead of an inverted file of raw vectors", dict(DESCRIPTIONS, e="IVF4096,PQ96")),
    ]},
    "ex18.q6": {"solution": Deferred(_measured), "mutants": [
        ("the last nprobe below the target, not the first above it", Deferred(lambda: _measured(pick="last"))),
        ("recall@1 instead of recall@10", Deferred(lambda: _measured(k=1))),
        ("target 0.9 instead of 0.95", Deferred(lambda: _measured(target=0.9))),
        ("the nprobe of the best recall, not the cheapest that reaches 0.95", Deferred(lambda: _measured(pick="best"))),
    ]},
}
