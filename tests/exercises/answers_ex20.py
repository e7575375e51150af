"""Right and wrong answers for ``embedkit.exercises.ex20`` (the capstone)."""
import functools
import math

import numpy as np
from deferred import Deferred

from embedkit.exercises import ex20


def filtered_search(search, passes, q, k, overfetch, *, retry=True, pad="inf", naive=False, cap=True):
    n = len(passes)
    if naive:                                         # the plain post-filter: top k, then filter
        D, I = search(q, k)
        keep = passes[I]
        D, I = D[keep], I[keep]
    else:
        fetch = min(n, k * overfetch)
        while True:
            D, I = search(q, fetch)
            keep = (I >= 0) & passes[np.maximum(I, 0)]
            D, I = D[keep], I[keep]
            if len(I) >= k or fetch >= n or not retry:
                break
            fetch = min(n, 2 * fetch) if cap else 2 * fetch
    if pad == "none":
        return D[:k], I[:k]
    out_D = np.full(k, np.inf if pad == "inf" else 0.0)
    out_I = np.full(k, -1)
    out_D[:min(k, len(I))], out_I[:min(k, len(I))] = D[:k], I[:k]
    return out_D, out_I


def merge_shards(parts, k, *, map_ids=True, guard=True, order="distance", ties="lower"):
    Ds, Is = [], []
    for D, I_local, ids in parts:
        Ds.append(D)
        if not map_ids:
            Is.append(I_local)
        elif guard:
            Is.append(np.where(I_local >= 0, ids[np.maximum(I_local, 0)], -1))
        else:
            Is.append(ids[I_local])                          # ids[-1] is the shard's last vector
    D, I = np.hstack(Ds), np.hstack(Is)
    key = np.where(I >= 0, I, np.iinfo(np.int64).max)
    if order == "concatenated":
        return D[:, :k], I[:, :k]
    if ties == "lower":
        sel = np.array([np.lexsort((kk, d))[:k] for d, kk in zip(D, key)])
    else:                                                    # ties: the later shard first
        sel = np.array([np.lexsort((-np.arange(len(d)), d))[:k] for d in D])
    return np.take_along_axis(D, sel, axis=1), np.take_along_axis(I, sel, axis=1)


def hnsw_bytes(d, M, *, upper=True, links=2, id_bytes=4):
    return 4 * d + id_bytes * links * M + (id_bytes * M / (M - 1) if upper else 0)


def machines_needed(n, b, ram, replicas, *, rounding=math.ceil, replicate=True, round_after=False):
    if round_after:
        return rounding(n * b * replicas / ram)
    return rounding(n * b / ram) * (replicas if replicate else 1)


def _recall10(Q, X, relevant):
    top = np.argpartition(-(Q @ X.T), 9, axis=1)[:, :10]
    return float(np.mean((top == relevant[:, None]).any(axis=1)))


@functools.lru_cache(maxsize=1)
def _encoded():
    data = ex20.capstone_data()
    return (data, data.encode_v1(data.documents), data.encode_v2(data.documents), data.encode_v1(data.queries),
            data.encode_v2(data.queries), data.encode_v2_retrained(data.queries))


def _swap(*, mistake=None):
    data, X1, X2, Q1, Q2, Q2r = _encoded()
    out = {"v1": _recall10(Q1, X1, data.relevant), "v2": _recall10(Q2, X2, data.relevant),
           "v2 queries, v1 documents": _recall10(Q2, X1, data.relevant),
           "retrained v2 queries, v2 documents": _recall10(Q2r, X2, data.relevant)}
    if mistake == "mixed as v1":
        out["v2 queries, v1 documents"] = out["v1"]
    elif mistake == "rebuilt":
        out["retrained v2 queries, v2 documents"] = _recall10(Q2r, data.encode_v2_retrained(data.documents), data.relevant)
    elif mistake == "recall@1":
        top1 = lambda Q, X: float(np.mean(np.argmax(Q @ X.T, axis=1) == data.relevant))   # noqa: E731
        out = {"v1": top1(Q1, X1), "v2": top1(Q2, X2), "v2 queries, v1 documents": top1(Q2, X1),
               "retrained v2 queries, v2 documents": top1(Q2r, X2)}
    elif mistake == "smallest":
        low = lambda Q, X: float(np.mean((np.argpartition(Q @ X.T, 9, axis=1)[:, :10]   # noqa: E731
                                          == data.relevant[:, None]).any(axis=1)))
        out = {"v1": low(Q1, X1), "v2": low(Q2, X2), "v2 queries, v1 documents": low(Q2, X1),
               "retrained v2 queries, v2 documents": low(Q2r, X2)}
    return out


ANSWERS = {
    "ex20.q1": {"solution": filtered_search, "mutants": [
        ("the plain post-filter: top k, then drop the failures", lambda *a: filtered_search(*a, naive=True)),
        ("over-fetches once, never retries", lambda *a: filtered_search(*a, retry=False)),
        ("returns fewer than k hits instead of padding", lambda *a: filtered_search(*a, pad="none")),
        ("pads with distance 0 instead of inf", lambda *a: filtered_search(*a, pad="zero")),
    ]},
    "ex20.q2": {"solution": merge_shards, "mutants": [
        ("shard-local row numbers not mapped to global ids", lambda p, k: merge_shards(p, k, map_ids=False)),
        ("ids[-1]: padding mapped to the shard's last vector", lambda p, k: merge_shards(p, k, guard=False)),
        ("first k of the concatenation, never sorted", lambda p, k: merge_shards(p, k, order="concatenated")),
        ("ties go to the later shard's id", lambda p, k: merge_shards(p, k, ties="later")),
    ]},
    "ex20.q3.a": {"solution": hnsw_bytes, "mutants": [
        ("upper layers forgotten", lambda d, M: hnsw_bytes(d, M, upper=False)),
        ("M links on layer 0 instead of 2M", lambda d, M: hnsw_bytes(d, M, links=1)),
        ("int64 ids", lambda d, M: hnsw_bytes(d, M, id_bytes=8)),
    ]},
    "ex20.q3.b": {"solution": machines_needed, "mutants": [
        ("floor: the last shard does not fit", lambda *a: machines_needed(*a, rounding=math.floor)),
        ("replicas forgotten", lambda *a: machines_needed(*a, replicate=False)),
        ("rounded after multiplying by the replicas", lambda *a: machines_needed(*a, round_after=True)),
        ("one extra shard always: int(x) + 1", lambda *a: machines_needed(*a, rounding=lambda x: int(x) + 1)),
    ]},
    "ex20.q4": {"solution": Deferred(_swap), "mutants": [
        ("the mixed configuration reported as v1's recall", Deferred(lambda: _swap(mistake="mixed as v1"))),
        ("the retrained model measured after rebuilding the index", Deferred(lambda: _swap(mistake="rebuilt"))),
        ("recall@1 instead of recall@10", Deferred(lambda: _swap(mistake="recall@1"))),
        ("the 10 LEAST similar documents", Deferred(lambda: _swap(mistake="smallest"))),
    ]},
}
