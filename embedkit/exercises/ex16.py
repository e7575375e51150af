"""Checks for ``exercises/16_hnsw.ipynb``: the level draw, greedy search on a graph, the
neighbour-selection heuristic, and the memory bill of an HNSW index."""
from __future__ import annotations

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
    ],
    atol=0.0,
    rtol=0.0,
    hint_text="""
        level = floor(-ln(u) * mL) with mL = 1 / ln(M). np.log works on whole arrays; return
        integers (np.floor(...).astype(int)). u = 1 gives level 0; u = 1 / M gives level 1.
    """,
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
    ],
    atol=0.0,
    rtol=0.0,
    hint_text="""
        Keep the current node and its squared distance to q. Each round, look at all
        neighbours[current]; if the closest of them is strictly closer to q than current, move
        there and append it to the path; otherwise stop. Return the list of visited ids,
        starting with start.
    """,
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
    hint_text="""
        Sort the candidates by distance to X[base], closest first. Walk through them and keep
        candidate c only if, for every r already kept, dist(c, r) >= dist(c, base): c is
        not closer to a kept neighbour than to the base. Stop once m are kept. Squared L2
        distances rank the same as L2.
    """,
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
    hint_text="""
        Each vector is stored as float32 (4 bytes per dimension), and on layer 0 it has up to
        2 * M neighbour ids of 4 bytes (int32) each. Ignore the upper layers (about 1 / M of
        the vectors) and the small per-vector counters.
    """,
    solution_text="""
        bytes_per_vector = 4 * 768 + 2 * 32 * 4   # 3072 + 256 = 3328: the graph adds 8%
    """,
)

QUESTIONS = [q1, q2, q3, q4]
