"""Checks for ``exercises/16_hnsw.ipynb``: the level draw, greedy search on a graph, the
neighbour-selection heuristic, and the memory bill of an HNSW index."""
from __future__ import annotations

import heapq

import numpy as np

from .core import FunctionQuestion, ValueQuestion

_rng = np.random.default_rng(16)
_U = np.concatenate([[1.0, 0.5, 0.01, 1e-6], _rng.random(50)])

# A small graph on a 5 x 5 grid of points: each point links to its grid neighbours
# (up, down, left, right), plus one long link from corner 0 to the centre.
_GRID = np.array([[i, j] for i in range(5) for j in range(5)], dtype=np.float64)
_GRID_LINKS = [[v for v in (r * 5 + c - 1 if c > 0 else None, r * 5 + c + 1 if c < 4 else None,
                            (r - 1) * 5 + c if r > 0 else None, (r + 1) * 5 + c if r < 4 else None)
                if v is not None] for r in range(5) for c in range(5)]
_GRID_LINKS[0] = _GRID_LINKS[0] + [12]
# A random proximity graph: each of 60 points links to its 4 nearest neighbours.
_PTS = _rng.standard_normal((60, 3))
_D2 = ((_PTS[:, None] - _PTS[None]) ** 2).sum(-1)
_KNN_LINKS = [list(np.argsort(row)[1:5]) for row in _D2]


def _greedy_reference(X, neighbours, q, start):
    X, q = np.asarray(X, dtype=np.float64), np.asarray(q, dtype=np.float64)
    path, current = [int(start)], int(start)
    best = float(((X[current] - q) ** 2).sum())
    while True:
        nxt = current
        for e in neighbours[current]:
            d = float(((X[e] - q) ** 2).sum())
            if d < best:
                best, nxt = d, int(e)
        if nxt == current:
            return path
        current = nxt
        path.append(current)


def _heuristic_reference(X, base, candidates, m):
    X = np.asarray(X, dtype=np.float64)
    cands = sorted(candidates, key=lambda c: float(((X[c] - X[base]) ** 2).sum()))
    kept = []
    for c in cands:
        if len(kept) == m:
            break
        d_base = ((X[c] - X[base]) ** 2).sum()
        if all(((X[c] - X[r]) ** 2).sum() >= d_base for r in kept):
            kept.append(int(c))
    return kept


_STAR = np.array([[0.0, 0.0], [1.0, 0.0], [1.2, 0.3], [1.3, -0.2], [-2.0, 0.1], [0.0, 2.5]])

q1 = FunctionQuestion(
    qid="ex16.q1",
    title="Q1 draw_level(u, M): the exponential level rule",
    name="draw_level",
    reference=lambda u, M: np.floor(-np.log(np.asarray(u, dtype=np.float64)) / np.log(M)).astype(np.int64),
    cases=[
        ("draw_level(u=[1, 0.5, 0.01, 1e-6, ...50 random], M=16)", (_U, 16)),
        ("draw_level(same u, M=4)", (_U, 4)),
        ("draw_level(same u, M=2)", (_U, 2)),
    ],
    atol=0.0,
    rtol=0.0,
    dtype="integer",
    hint_text=[
        """
        level = floor(-ln(u) * mL) with mL = 1 / ln(M): natural logarithms, and a minus sign
        (ln u < 0 for u < 1, levels are >= 0). u = 1 gives level 0.
        """,
        "np.log works on whole arrays; return integers: np.floor(...).astype(int) (floor, not round or ceil).",
    ],
    solution_text="""
        def draw_level(u, M):
            return np.floor(-np.log(u) / np.log(M)).astype(int)
    """,
)

q2 = FunctionQuestion(
    qid="ex16.q2",
    title="Q2 greedy_search(X, neighbours, q, start): the path of a greedy walk",
    name="greedy_search",
    reference=_greedy_reference,
    cases=[
        ("greedy_search(5x5 grid, q=(4, 3.9), start=0): takes the long link",
         (_GRID, _GRID_LINKS, np.array([4.0, 3.9]), 0)),
        ("greedy_search(5x5 grid, q=(0, 4.2), start=24)",
         (_GRID, _GRID_LINKS, np.array([0.0, 4.2]), 24)),
        ("greedy_search(4-NN graph of 60 points, q, start=7)",
         (_PTS, _KNN_LINKS, _rng.standard_normal(3), 7)),
        ("greedy_search(start is already the closest)",
         (_GRID, _GRID_LINKS, np.array([2.1, 1.9]), 12)),
        ("greedy_search(4-NN graph of 60 points, another q, start=41)",
         (_PTS, _KNN_LINKS, _rng.standard_normal(3), 41)),
    ],
    atol=0.0,
    rtol=0.0,
    hint_text=[
        """
        Keep the current node and its squared distance to q. Each round, look at ALL of
        neighbours[current] and pick the closest (not the first one that improves).
        """,
        """
        If that neighbour is strictly closer to q than the current node, move there and append
        it to the path; otherwise stop. The path starts with `start` itself.
        """,
    ],
    solution_text="""
        def greedy_search(X, neighbours, q, start):
            dist = lambda v: float(((X[v] - q) ** 2).sum())
            path = [start]
            while True:
                best = min(neighbours[path[-1]], key=dist)
                if dist(best) >= dist(path[-1]):
                    return path
                path.append(int(best))
    """,
)

q3 = FunctionQuestion(
    qid="ex16.q3",
    title="Q3 select_neighbours(X, base, candidates, m): the diversity heuristic",
    name="select_neighbours",
    reference=_heuristic_reference,
    cases=[
        ("select_neighbours(star, base=0, candidates=1..5, m=3)", (_STAR, 0, [1, 2, 3, 4, 5], 3)),
        ("select_neighbours(star, base=0, candidates=1..5, m=1)", (_STAR, 0, [5, 4, 3, 2, 1], 1)),
        ("select_neighbours(60 points, base=3, 20 candidates, m=5)",
         (_PTS, 3, list(np.argsort(_D2[3])[1:21][::-1]), 5)),
    ],
    atol=0.0,
    rtol=0.0,
    hint_text=[
        """
        Sort the candidates by distance to X[base], closest first (they may come in any
        order). Walk through them and keep candidate c only if it is not closer to an
        already-kept neighbour than to the base.
        """,
        """
        The test: for every r already kept, dist(c, r) >= dist(c, base). Stop once m are kept.
        Squared L2 distances rank the same as L2.
        """,
    ],
    solution_text="""
        def select_neighbours(X, base, candidates, m):
            d2 = lambda a, b: float(((X[a] - X[b]) ** 2).sum())
            kept = []
            for c in sorted(candidates, key=lambda c: d2(c, base)):
                if len(kept) == m:
                    break
                if all(d2(c, r) >= d2(c, base) for r in kept):
                    kept.append(c)
            return kept
    """,
)

q4 = ValueQuestion(
    qid="ex16.q4",
    title="Q4 bytes per vector of an HNSW index (d=768, M=32, layer 0 only)",
    name="bytes_per_vector",
    expected=4 * 768 + 2 * 32 * 4,
    atol=0.5,
    rtol=0.0,
    hint_text=[
        "Each vector is stored as float32 (4 bytes per dimension).",
        """
        On layer 0 each vector has up to 2 * M neighbour ids of 4 bytes (int32) each. Ignore
        the upper layers (about 1 / M of the vectors) and the small per-vector counters.
        """,
    ],
    solution_text="""
        bytes_per_vector = 4 * 768 + 2 * 32 * 4   # 3072 + 256 = 3328: the graph adds 8%
    """,
)



# -- Q5: the beam search of one layer (an algorithm) --------------------------------------
def _search_layer_ref(X, neighbours, q, entry, ef):
    X, q = np.asarray(X, dtype=np.float64), np.asarray(q, dtype=np.float64)
    dist = lambda v: float(((X[v] - q) ** 2).sum())          # noqa: E731
    d0 = dist(entry)
    visited = {int(entry)}
    candidates = [(d0, int(entry))]                         # min-heap: closest first
    results = [(-d0, -int(entry))]                          # max-heap: farthest first
    while candidates:
        d, c = heapq.heappop(candidates)
        if d > -results[0][0]:                              # nothing closer can follow
            break
        for e in neighbours[c]:
            e = int(e)
            if e in visited:
                continue
            visited.add(e)
            de = dist(e)
            if len(results) < ef or de < -results[0][0]:
                heapq.heappush(candidates, (de, e))
                heapq.heappush(results, (-de, -e))
                if len(results) > ef:
                    heapq.heappop(results)
    return [v for _, v in sorted((-nd, -nv) for nd, nv in results)]


_PTS2 = _rng.standard_normal((300, 4))
_D22 = ((_PTS2[:, None] - _PTS2[None]) ** 2).sum(-1)
_LINKS2 = [list(np.argsort(row, kind="stable")[1:7]) for row in _D22]      # a 6-NN graph
for _v in range(0, 300, 37):                                                 # a few long links
    _LINKS2[_v] = _LINKS2[_v] + [int((_v * 7 + 11) % 300)]
_Q2 = _rng.standard_normal((4, 4))
q5 = FunctionQuestion(
    qid="ex16.q5",
    title="Q5 search_layer(X, neighbours, q, entry, ef): HNSW's beam search on one layer",
    name="search_layer",
    reference=_search_layer_ref,
    cases=[
        ("search_layer(4-NN graph of 60 points, q, entry=7, ef=1) (a greedy walk)", (_PTS, _KNN_LINKS, _Q2[0, :3], 7, 1)),
        ("search_layer(4-NN graph of 60 points, q, entry=7, ef=5)", (_PTS, _KNN_LINKS, _Q2[0, :3], 7, 5)),
        ("search_layer(6-NN graph of 300 points, q, entry=0, ef=10)", (_PTS2, _LINKS2, _Q2[1], 0, 10)),
        ("search_layer(the same graph, another q, entry=150, ef=32)", (_PTS2, _LINKS2, _Q2[2], 150, 32)),
        ("search_layer(the same graph, ef=1000 > every reachable node)", (_PTS2, _LINKS2, _Q2[3], 5, 1000)),
    ],
    atol=0, rtol=0,
    keep_inputs=True,
    hint_text=[
        r"""
        Keep two sets: `candidates`, nodes still to expand (take the closest first), and
        `results`, the ef closest nodes found so far (you need their farthest quickly). Start
        both with the entry node, and a `visited` set. Repeatedly take the closest candidate
        c; if it is farther than the farthest result, stop; otherwise look at its neighbours.
        """,
        r"""
        A neighbour e not yet visited is marked visited; if results holds fewer than ef nodes
        or e is closer than the farthest result, add e to both candidates and results, and
        drop the farthest result if there are now more than ef. heapq gives min-heaps: store
        (distance, id) for the candidates and (-distance, -id) for the results. Return the
        ids of the results sorted by distance (then id), closest first.
        """,
        """
        while candidates:
            d, c = heappop(candidates)
            if d > -results[0][0]: break
            for e in neighbours[c]: if e not in visited: visited.add(e); de = dist(e)
                if len(results) < ef or de < -results[0][0]: heappush both; if len(results) > ef: heappop(results)
        """,
    ],
    solution_text="""
        import heapq

        def search_layer(X, neighbours, q, entry, ef):
            dist = lambda v: float(((X[v] - q) ** 2).sum())
            visited = {entry}
            candidates = [(dist(entry), entry)]                  # min-heap: closest first
            results = [(-dist(entry), -entry)]                   # max-heap: farthest first
            while candidates:
                d, c = heapq.heappop(candidates)
                if d > -results[0][0]:                           # nothing closer can follow
                    break
                for e in neighbours[c]:
                    if e in visited:
                        continue
                    visited.add(e)
                    de = dist(e)
                    if len(results) < ef or de < -results[0][0]:
                        heapq.heappush(candidates, (de, e))
                        heapq.heappush(results, (-de, -e))
                        if len(results) > ef:
                            heapq.heappop(results)               # drop the farthest
            return [v for _, v in sorted((-nd, -nv) for nd, nv in results)]
    """,
)


# -- Q6: how many nodes on each layer? (a derivation) -------------------------------------
def _level_counts_ref(n, M, max_level):
    levels = np.arange(max_level + 1, dtype=np.float64)
    return n * (M ** -levels - M ** -(levels + 1))


q6 = FunctionQuestion(
    qid="ex16.q6",
    title="Q6 expected_top_level_counts(n, M, max_level): nodes whose top layer is exactly l",
    name="expected_top_level_counts",
    reference=_level_counts_ref,
    cases=[
        ("expected_top_level_counts(1_000_000, 16, 4)", (1_000_000, 16, 4)),
        ("expected_top_level_counts(10_000, 4, 6)", (10_000, 4, 6)),
        ("expected_top_level_counts(100, 2, 0) (layer 0 only)", (100, 2, 0)),
    ],
    atol=1e-9, rtol=1e-9,
    hint_text=[
        r"""
        With level = floor(-ln(u) / ln M) and u uniform, a node reaches layer l or higher when
        -ln(u) / ln M >= l, i.e. u <= M^(-l). So P(level >= l) = M^(-l). "Top layer exactly
        l" is "at least l" minus "at least l + 1".
        """,
        r"""
        P(level = l) = M^(-l) - M^(-(l + 1)); multiply by n. Return an array for
        l = 0, 1, ..., max_level (max_level + 1 numbers).
        """,
        "levels = np.arange(max_level + 1); return n * (M ** -levels - M ** -(levels + 1.0))",
    ],
    solution_text="""
        def expected_top_level_counts(n, M, max_level):
            levels = np.arange(max_level + 1, dtype=float)
            # P(level >= l) = P(u <= M^-l) = M^-l; exactly l = at least l minus at least l + 1
            return n * (M ** -levels - M ** -(levels + 1))
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5, q6]
