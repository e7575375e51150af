"""Right and wrong answers for ``embedkit.exercises.ex16`` (HNSW)."""
import heapq

import numpy as np


def draw_level(u, M, *, base="M", rounding=np.floor, as_int=True):
    ln_m = {"M": np.log(M), "none": 1.0, "log10": np.log10(M)}[base]
    raw = -(np.log(u) if base != "log10" else np.log10(u)) / ln_m
    lv = rounding(raw)
    return lv.astype(int) if as_int else lv


def greedy_search(X, neighbours, q, start, *, first_improving=False, with_start=True, final_only=False):
    dist = lambda v: float(((X[v] - q) ** 2).sum())     # noqa: E731
    path = [start]
    while True:
        here = dist(path[-1])
        if first_improving:
            better = [e for e in neighbours[path[-1]] if dist(e) < here]
            if not better:
                break
            path.append(int(better[0]))
            continue
        best = min(neighbours[path[-1]], key=dist)
        if dist(best) >= here:
            break
        path.append(int(best))
    if final_only:
        return [path[-1]]
    return path if with_start else path[1:]


def select_neighbours(X, base, candidates, m, *, sort=True, diverse=True, compare="base", strict=False):
    d2 = lambda a, b: float(((X[a] - X[b]) ** 2).sum())     # noqa: E731
    kept = []
    for c in (sorted(candidates, key=lambda c: d2(c, base)) if sort else candidates):
        if len(kept) == m:
            break
        ref = (lambda r: d2(c, base)) if compare == "base" else (lambda r: d2(r, base))
        ok = all((d2(c, r) > ref(r)) if strict else (d2(c, r) >= ref(r)) for r in kept)
        if ok or not diverse:
            kept.append(int(c))
    return kept


def search_layer(X, neighbours, q, entry, ef, *, stop="farthest", bound=True, order="sorted"):
    dist = lambda v: float(((X[v] - q) ** 2).sum())     # noqa: E731
    visited = {entry}
    candidates = [(dist(entry), entry)]
    results = [(-dist(entry), -entry)]
    while candidates:
        d, c = heapq.heappop(candidates)
        farthest = -results[0][0]
        nearest = min(-r[0] for r in results)
        if d > (farthest if stop == "farthest" else nearest):
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
                if bound and len(results) > ef:
                    heapq.heappop(results)
    ids = [v for _, v in sorted((-nd, -nv) for nd, nv in results)]
    return sorted(ids) if order == "ids" else ids


def search_layer_no_visited(X, neighbours, q, entry, ef):
    """Revisits nodes: a node reached twice enters the results twice."""
    dist = lambda v: float(((X[v] - q) ** 2).sum())     # noqa: E731
    candidates = [(dist(entry), entry)]
    results = [(-dist(entry), -entry)]
    expanded = set()
    while candidates:
        d, c = heapq.heappop(candidates)
        if d > -results[0][0]:
            break
        if c in expanded:
            continue
        expanded.add(c)
        for e in neighbours[c]:
            e = int(e)
            de = dist(e)
            if len(results) < ef or de < -results[0][0]:
                heapq.heappush(candidates, (de, e))
                heapq.heappush(results, (-de, -e))
                if len(results) > ef:
                    heapq.heappop(results)
    return [v for _, v in sorted((-nd, -nv) for nd, nv in results)]


def level_counts(n, M, max_level, *, kind="exact", base="M", shift=0):
    levels = np.arange(max_level + 1, dtype=float) + shift
    p = (lambda l: M ** -l) if base == "M" else (lambda l: np.exp(-l))
    out = p(levels) if kind == "at-least" else p(levels) - p(levels + 1)
    return n * out


ANSWERS = {
    "ex16.q1": {"solution": draw_level, "mutants": [
        ("ln M forgotten: floor(-ln u)", lambda u, M: draw_level(u, M, base="none")),
        ("ceil instead of floor", lambda u, M: draw_level(u, M, rounding=np.ceil)),
        ("round instead of floor", lambda u, M: draw_level(u, M, rounding=np.round)),
        ("levels returned as floats", lambda u, M: draw_level(u, M, as_int=False)),
    ]},
    "ex16.q2": {"solution": greedy_search, "mutants": [
        ("moves to the first improving neighbour, not the best", lambda *a: greedy_search(*a, first_improving=True)),
        ("path without the start node", lambda *a: greedy_search(*a, with_start=False)),
        ("returns only the final node", lambda *a: greedy_search(*a, final_only=True)),
    ]},
    "ex16.q3": {"solution": select_neighbours, "mutants": [
        ("candidates not sorted by distance first", lambda *a: select_neighbours(*a, sort=False)),
        ("no diversity test: the m closest", lambda *a: select_neighbours(*a, diverse=False)),
        ("compares with dist(r, base) instead of dist(c, base)", lambda *a: select_neighbours(*a, compare="kept")),
    ]},
    "ex16.q4": {"solution": 4 * 768 + 2 * 32 * 4, "mutants": [
        ("M links on layer 0 instead of 2M", 4 * 768 + 32 * 4),
        ("int64 neighbour ids", 4 * 768 + 2 * 32 * 8),
        ("the links alone, the vector forgotten", 2 * 32 * 4),
    ]},
    "ex16.q5": {"solution": search_layer, "mutants": [
        ("stops when a candidate is farther than the NEAREST result", lambda *a: search_layer(*a, stop="nearest")),
        ("no visited set: a node reached twice is counted twice", search_layer_no_visited),
        ("results never trimmed to ef", lambda *a: search_layer(*a, bound=False)),
        ("the right nodes in id order, not by distance", lambda *a: search_layer(*a, order="ids")),
    ]},
    "ex16.q6": {"solution": level_counts, "mutants": [
        ("nodes with level >= l, not exactly l", lambda n, M, L: level_counts(n, M, L, kind="at-least")),
        ("e^-l instead of M^-l", lambda n, M, L: level_counts(n, M, L, base="e")),
        ("off by one level", lambda n, M, L: level_counts(n, M, L, shift=1)),
        ("probabilities, not counts", lambda n, M, L: level_counts(1, M, L)),
    ]},
}
