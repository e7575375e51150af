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

from ..search.anisotropic import anisotropic_eta, anisotropic_loss
from ..search.hnsw import _repair_lists
from ..search.vamana import robust_prune
from .core import FunctionQuestion

# -- Q1: RobustPrune -----------------------------------------------------------------------
# p = 0 at the origin; three candidates on a ray, one off it (the lesson's hand case).
RAY = np.array([[0, 0], [1, 0], [2, 0], [3.5, 0], [0, 1.5]], dtype=np.float32)
# integer points: squared distances are exact, so "<=" against "<" is decided exactly
GRID = np.array([[0, 0], [1, 0], [2, 0], [0, 2], [1, 1], [3, 3], [-2, 1], [4, 0], [0, -3],
                 [2, 2]], dtype=np.float32)


def _prune_ref(X, p, candidates, alpha, R):
    return [int(v) for v in robust_prune(X, p, list(candidates), alpha, R, rule="paper")]


q1 = FunctionQuestion(
    qid="ex17.q1",
    title="Q1 robust_prune(X, p, candidates, alpha, R)",
    name="robust_prune",
    reference=_prune_ref,
    cases=[
        ("robust_prune(RAY, 0, [1, 2, 3, 4], 1.0, 4)", (RAY, 0, [1, 2, 3, 4], 1.0, 4)),
        ("robust_prune(RAY, 0, [1, 2, 3, 4], 2.0, 4) (a long edge survives)", (RAY, 0, [1, 2, 3, 4], 2.0, 4)),
        ("robust_prune(GRID, 0, [1, 2], 4.0, 4) (alpha * d(c*, c) == d(p, c) drops c)", (GRID, 0, [1, 2], 4.0, 4)),
        ("robust_prune(GRID, 0, [9, 8, 7, 6, 5, 4, 3, 2, 1], 1.0, 9) (candidates in any order)",
         (GRID, 0, [9, 8, 7, 6, 5, 4, 3, 2, 1], 1.0, 9)),
        ("robust_prune(GRID, 0, [1, ..., 9], 1.5, 9)", (GRID, 0, list(range(1, 10)), 1.5, 9)),
        ("robust_prune(GRID, 0, [1, ..., 9], 3.0, 3) (at most R)", (GRID, 0, list(range(1, 10)), 3.0, 3)),
        ("robust_prune(GRID, 4, [0, 1, 2, 3, 4, 5, 5], 1.2, 9) (p and a repeat among the candidates)",
         (GRID, 4, [0, 1, 2, 3, 4, 5, 5], 1.2, 9)),
    ],
    atol=0, rtol=0,
    prepare=lambda out: [int(v) for v in out] if isinstance(out, (list, tuple, np.ndarray)) else out,
    hint_text=[
        """
        Squared Euclidean distances throughout. Drop p itself and repeated ids, then sort
        the candidates by distance to X[p] (ties: the lower id). Repeat: take the closest
        remaining candidate c*, keep it, and remove from the remaining ones every c that
        c* covers. Stop when R are kept or nothing remains.
        """,
        """
        c* covers c when alpha * d(c*, c) <= d(p, c): c is much closer to c* than to p, so
        a walk that reaches c* finds c anyway. With alpha = 1 that is HNSW's heuristic;
        larger alpha covers less and keeps longer edges. Return the kept ids in the order
        they were kept.
        """,
    ],
    solution_text="""
        def robust_prune(X, p, candidates, alpha, R):
            d2 = lambda a, b: float(((X[a] - X[b]) ** 2).sum())
            rest = sorted({c for c in candidates if c != p}, key=lambda c: (d2(p, c), c))
            kept = []
            while rest and len(kept) < R:
                best = rest.pop(0)
                kept.append(best)
                rest = [c for c in rest if alpha * d2(best, c) > d2(p, c)]   # not covered
            return kept
    """,
)


# -- Q2: the score-aware loss --------------------------------------------------------------
_rng = np.random.default_rng(17)
XS = _rng.standard_normal((6, 4))
XS_HAT = XS + 0.3 * _rng.standard_normal((6, 4))
ALONG = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
ALONG_HAT = np.array([[1.5, 0.0, 0.0], [0.5, 1.0, 1.0]])      # row 0: all parallel; row 1: all orthogonal

q2 = FunctionQuestion(
    qid="ex17.q2",
    title="Q2 anisotropic_loss(x, x_hat, eta)",
    name="anisotropic_loss",
    reference=lambda x, x_hat, eta: anisotropic_loss(x, x_hat, eta),
    cases=[
        ("anisotropic_loss(ALONG, ALONG_HAT, 4.0) (one purely parallel, one purely orthogonal error)",
         (ALONG, ALONG_HAT, 4.0)),
        ("anisotropic_loss(XS, XS_HAT, 1.0) (eta = 1: the squared error)", (XS, XS_HAT, 1.0)),
        ("anisotropic_loss(XS, XS_HAT, 4.1)", (XS, XS_HAT, 4.1)),
        ("anisotropic_loss(XS, XS_HAT, 0.5)", (XS, XS_HAT, 0.5)),
        ("anisotropic_loss(XS, XS, 3.0) (no error)", (XS, XS, 3.0)),
    ],
    atol=1e-9, rtol=1e-7,
    hint_text=[
        """
        Per row: the residual r = x - x_hat, its part along x, r_par = (r . x / |x|^2) x, and
        the rest, r_orth = r - r_par. The loss is eta |r_par|^2 + |r_orth|^2, one number per
        row (an array of shape (n,)).
        """,
        """
        With numpy, row-wise dot products are (r * x).sum(axis=1); keep the (n, 1) shape
        when you multiply back: coef = ((r * x).sum(1) / (x * x).sum(1))[:, None].
        """,
    ],
    solution_text="""
        def anisotropic_loss(x, x_hat, eta):
            r = x - x_hat
            r_par = ((r * x).sum(axis=1) / (x * x).sum(axis=1))[:, None] * x
            r_orth = r - r_par
            return eta * (r_par ** 2).sum(axis=1) + (r_orth ** 2).sum(axis=1)
    """,
)


# -- Q3: eta from the threshold T ----------------------------------------------------------
q3 = FunctionQuestion(
    qid="ex17.q3",
    title="Q3 scann_eta(T, d): the weight of parallel error",
    name="scann_eta",
    reference=lambda T, d: anisotropic_eta(T, d),
    cases=[
        ("scann_eta(0.2, 100) (ScaNN's glove-100 setting)", (0.2, 100)),
        ("scann_eta(0.2, 50)", (0.2, 50)),
        ("scann_eta(0.5, 384)", (0.5, 384)),
        ("scann_eta(0.1, 2)", (0.1, 2)),
    ],
    atol=1e-9, rtol=1e-9,
    hint_text=[
        """
        For unit datapoints, ScaNN weights parallel error by eta = (d - 1) T^2 / (1 - T^2)
        (Guo et al. 2020, Theorem 3.4, the form ScaNN's code computes). It grows with the
        dimension: in high dimension a random query is almost orthogonal to x, so the few
        queries that score x above T see mostly the parallel error.
        """,
        "(d - 1) * T ** 2 / (1 - T ** 2)",
    ],
    solution_text="""
        def scann_eta(T, d):
            return (d - 1) * T ** 2 / (1 - T ** 2)
    """,
)

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


QUESTIONS = [q1, q2, q3, q4, q5, q6]
