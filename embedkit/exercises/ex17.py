"""Checks for ``exercises/17_beyond_hnsw.ipynb``: robust prune, ScaNN's score-aware loss and
its eta, ACORN's filtered neighbour list, repairing a list after a delete, and how far a
post-filter must fetch.

References are the package's own code wherever it exists (``embedkit.search.vamana``,
``embedkit.search.anisotropic``, the HNSW repair loop); the ACORN list and the fetch size
are small formulas written out here.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import binom

from ..search.hnsw import _repair_lists
from .core import FunctionQuestion

# -- Q4: ACORN's filtered neighbour list ---------------------------------------------------
# A hand-made layer 0: node -> its neighbour list, in stored order.
GRAPH = [
    [1, 2, 3],        # 0
    [0, 4, 5],        # 1
    [0, 6, 7],        # 2
    [0, 7, 8],        # 3
    [1, 9],           # 4
    [1, 9, 6],        # 5
    [2, 5],           # 6
    [2, 3, 8],        # 7
    [3, 7, 9],        # 8
    [4, 5, 8],        # 9
]
PASS_SOME = [True, False, True, False, True, True, False, True, True, False]
PASS_ALL = [True] * 10
PASS_FEW = [True, False, False, False, False, False, False, False, True, False]


def _acorn_ref(neighbours, node, ok, cap):
    out = []
    for e in neighbours[node]:                    # one hop: passing neighbours first
        if ok[e] and e not in out and len(out) < cap:
            out.append(e)
    for e in neighbours[node]:                    # two hops, through failing neighbours
        if ok[e]:
            continue
        for w in neighbours[e]:
            if len(out) == cap:
                return out
            if ok[w] and w != node and w not in out:
                out.append(w)
    return out


q4 = FunctionQuestion(
    qid="ex17.q4",
    title="Q4 acorn_candidates(neighbours, node, ok, cap)",
    name="acorn_candidates",
    reference=_acorn_ref,
    cases=[
        ("acorn_candidates(GRAPH, 0, PASS_SOME, 6)", (GRAPH, 0, PASS_SOME, 6)),
        ("acorn_candidates(GRAPH, 1, PASS_SOME, 6) (the node itself is two hops away)", (GRAPH, 1, PASS_SOME, 6)),
        ("acorn_candidates(GRAPH, 5, PASS_SOME, 6) (4 is two hops away twice)", (GRAPH, 5, PASS_SOME, 6)),
        ("acorn_candidates(GRAPH, 0, PASS_SOME, 2) (truncated)", (GRAPH, 0, PASS_SOME, 2)),
        ("acorn_candidates(GRAPH, 9, PASS_SOME, 3) (truncated inside the two-hop step)", (GRAPH, 9, PASS_SOME, 3)),
        ("acorn_candidates(GRAPH, 2, PASS_ALL, 6) (everything passes: no two-hop step)", (GRAPH, 2, PASS_ALL, 6)),
        ("acorn_candidates(GRAPH, 0, PASS_FEW, 6) (1 in 5 passes)", (GRAPH, 0, PASS_FEW, 6)),
        ("acorn_candidates(GRAPH, 6, PASS_FEW, 6) (one passing vector within two hops)", (GRAPH, 6, PASS_FEW, 6)),
    ],
    atol=0, rtol=0,
    prepare=lambda out: [int(v) for v in out] if isinstance(out, (list, tuple, np.ndarray)) else out,
    hint_text=[
        """
        Two passes over neighbours[node]. First keep the neighbours that pass. Then, for
        each neighbour that FAILS, look at its own neighbours and keep those that pass.
        Stop as soon as the list holds cap ids.
        """,
        """
        Skip node itself (a two-hop walk can come back to it) and ids already in the list
        (two failing neighbours can share a neighbour). Keep the order in which you meet
        the ids: direct neighbours first, then two-hop ones, each list in stored order.
        """,
    ],
    solution_text="""
        def acorn_candidates(neighbours, node, ok, cap):
            out = [e for e in neighbours[node] if ok[e]][:cap]
            for e in neighbours[node]:
                if ok[e]:
                    continue                         # only failing neighbours are looked through
                for w in neighbours[e]:
                    if len(out) == cap:
                        return out
                    if ok[w] and w != node and w not in out:
                        out.append(w)
            return out
    """,
)


# -- Q5: repairing a neighbour list after a delete -----------------------------------------
# Points on a plane (squared L2); the hand graph below, with 2 and 5 deleted.
POINTS = np.array([[0, 0], [1, 0], [2, 0], [0, 1], [3, 1], [1, 2], [2.5, 2.5], [-1, 1.5],
                   [1.6, -0.2], [4, 0]], dtype=np.float32)
PLANE = [[1, 2, 3], [0, 2, 5], [1, 4, 8, 6], [0, 5, 7], [2, 9], [1, 3, 6], [5, 2],
         [3], [2, 1], [4]]


def _repair_ref(X, u, neighbours, removed, m):
    """The package's repair loop (``embedkit.search.hnsw._repair_lists``) on this graph."""
    n = len(neighbours)
    width = max(m, max(len(row) for row in neighbours))
    links = np.zeros((n, width), dtype=np.int32)
    counts = np.zeros(n, dtype=np.int32)
    for i, row in enumerate(neighbours):
        links[i, :len(row)] = row
        counts[i] = len(row)
    g = (links, counts, np.zeros((0, width), np.int32), np.zeros(0, np.int32),
         np.full(n, -1, np.int32))
    dead = np.zeros(n, dtype=np.bool_)
    dead[list(removed)] = True
    _repair_lists(np.ascontiguousarray(X, dtype=np.float32), g, np.array([u], np.int32), 0,
                  dead, m, True)
    return [int(v) for v in links[u, :counts[u]]]


q5 = FunctionQuestion(
    qid="ex17.q5",
    title="Q5 repair_list(X, u, neighbours, removed, m)",
    name="repair_list",
    reference=_repair_ref,
    cases=[
        ("repair_list(POINTS, 0, PLANE, {2}, 3)", (POINTS, 0, PLANE, {2}, 3)),
        ("repair_list(POINTS, 1, PLANE, {2, 5}, 4) (two deleted neighbours)", (POINTS, 1, PLANE, {2, 5}, 4)),
        ("repair_list(POINTS, 4, PLANE, {2}, 2) (heuristic keeps fewer: top up)", (POINTS, 4, PLANE, {2}, 2)),
        ("repair_list(POINTS, 8, PLANE, {2}, 3) (the deleted neighbour lists 8 itself)", (POINTS, 8, PLANE, {2}, 3)),
        ("repair_list(POINTS, 7, PLANE, {2}, 3) (no deleted neighbour: unchanged)", (POINTS, 7, PLANE, {2}, 3)),
        ("repair_list(POINTS, 6, PLANE, {2, 5}, 3) (every neighbour deleted)", (POINTS, 6, PLANE, {2, 5}, 3)),
    ],
    atol=0, rtol=0,
    prepare=lambda out: [int(v) for v in out] if isinstance(out, (list, tuple, np.ndarray)) else out,
    hint_text=[
        """
        If no neighbour of u was removed, return its list unchanged. Otherwise the
        candidates are u's surviving neighbours plus the surviving neighbours of each
        removed neighbour (never u itself), each once, sorted by squared distance to
        X[u] (ties: the lower id).
        """,
        """
        Choose with lesson 16's heuristic: go through the sorted candidates and keep c
        unless some already-kept r is closer to c than u is (dist(c, r) < dist(c, u)),
        at most m. Then top the list up, nearest unchosen candidates first, until it is as
        long as the old list (but never above m, and never shorter than what you kept).
        """,
    ],
    solution_text="""
        def repair_list(X, u, neighbours, removed, m):
            old = neighbours[u]
            if not any(e in removed for e in old):
                return list(old)
            d2 = lambda a, b: float(((X[a] - X[b]) ** 2).sum())
            cand = {e for e in old if e not in removed}
            for r in old:
                if r in removed:
                    cand |= {w for w in neighbours[r] if w not in removed and w != u}
            cand = sorted(cand, key=lambda c: (d2(c, u), c))
            kept = []
            for c in cand:
                if len(kept) == m:
                    break
                if all(d2(c, r) >= d2(c, u) for r in kept):
                    kept.append(c)
            want = max(min(len(old), len(cand)), len(kept))
            return kept + [c for c in cand if c not in kept][: want - len(kept)]
    """,
)


# -- Q6: how far must a post-filter fetch? -------------------------------------------------
def _fetch_ref(selectivity, k, miss):
    fetch = k
    while binom.cdf(k - 1, fetch, selectivity) > miss:   # P(fewer than k of fetch pass)
        fetch += 1
    return fetch


q6 = FunctionQuestion(
    qid="ex17.q6",
    title="Q6 post_filter_fetch(selectivity, k, miss)",
    name="post_filter_fetch",
    reference=_fetch_ref,
    cases=[
        ("post_filter_fetch(0.5, 10, 0.01)", (0.5, 10, 0.01)),
        ("post_filter_fetch(0.1, 10, 0.01)", (0.1, 10, 0.01)),
        ("post_filter_fetch(0.01, 10, 0.05) (1% selectivity)", (0.01, 10, 0.05)),
        ("post_filter_fetch(0.3, 1, 0.001) (one result)", (0.3, 1, 0.001)),
        ("post_filter_fetch(1.0, 10, 0.01) (everything passes)", (1.0, 10, 0.01)),
    ],
    atol=0, rtol=0,
    prepare=lambda out: int(out) if isinstance(out, (int, np.integer, float, np.floating)) else out,
    hint_text=[
        """
        If each fetched neighbour passes independently with probability s, the number
        that pass among f fetched is Binomial(f, s). You want the smallest f for which
        P(fewer than k pass) <= miss. The expected count f * s = k is not enough: at
        f = k / s about half the queries come back short.
        """,
        """
        P(fewer than k pass) = binom.cdf(k - 1, f, s) (scipy.stats). Start at f = k and
        increase f by one while that probability is above miss.
        """,
    ],
    solution_text="""
        from scipy.stats import binom

        def post_filter_fetch(selectivity, k, miss):
            fetch = k
            while binom.cdf(k - 1, fetch, selectivity) > miss:   # P(fewer than k pass)
                fetch += 1
            return fetch
    """,
)


QUESTIONS = [q4, q5, q6]   # q1-q3 follow with Vamana and ScaNN
