"""Right and wrong answers for ``embedkit.exercises.ex17`` (beyond HNSW)."""
import math

import numpy as np
from scipy.stats import binom, norm


def acorn_candidates(neighbours, node, ok, cap, *, two_hop=True, through="failing", truncate=True,
                     dedupe=True, skip_self=True, direct_first=True):
    cap = cap if truncate else 10 ** 9
    out = []

    def offer(v):
        if len(out) < cap and ok[v] and (not dedupe or v not in out) and (not skip_self or v != node):
            out.append(v)

    def hops():
        if not two_hop:
            return
        for e in neighbours[node]:
            if through == "failing" and ok[e]:
                continue
            for w in neighbours[e]:
                offer(w)

    if direct_first:
        for e in neighbours[node]:
            offer(e)
        hops()
    else:
        hops()
        for e in neighbours[node]:
            offer(e)
    return out


def repair_list(X, u, neighbours, removed, m, *, heuristic=True, top_up=True, from_removed=True,
                exclude_self=True, keep_dead=False, cap_old=True):
    old = neighbours[u]
    if not any(e in removed for e in old):
        return list(old)
    d2 = lambda a, b: float(((X[a] - X[b]) ** 2).sum())  # noqa: E731
    cand = {e for e in old if keep_dead or e not in removed}
    if from_removed:
        for r in old:
            if r in removed:
                cand |= {w for w in neighbours[r] if w not in removed and (w != u or not exclude_self)}
    cand = sorted(cand, key=lambda c: (d2(c, u), c))
    kept = []
    for c in cand:
        if len(kept) == m:
            break
        if not heuristic or all(d2(c, r) >= d2(c, u) for r in kept):
            kept.append(c)
    if not top_up:
        return kept
    want = max(min(len(old), len(cand)), len(kept)) if cap_old else min(m, len(cand))
    return kept + [c for c in cand if c not in kept][: want - len(kept)]


def post_filter_fetch(selectivity, k, miss, *, rule="binomial", strict=True):
    if rule == "mean":
        return math.ceil(k / selectivity)
    if rule == "normal":
        fetch = k
        while True:
            mu, sd = fetch * selectivity, math.sqrt(fetch * selectivity * (1 - selectivity)) or 1e-12
            if norm.cdf((k - 0.5 - mu) / sd) <= miss:
                return fetch
            fetch += 1
    fetch = k
    at = k - 1 if strict else k
    while binom.cdf(at, fetch, selectivity) > miss:
        fetch += 1
    return fetch


ANSWERS = {
    "ex17.q4": {"solution": acorn_candidates, "mutants": [
        ("no two-hop step: passing direct neighbours only", lambda *a: acorn_candidates(*a, two_hop=False)),
        ("looks through passing neighbours too", lambda *a: acorn_candidates(*a, through="all")),
        ("never truncated to cap", lambda *a: acorn_candidates(*a, truncate=False)),
        ("an id reached twice is listed twice", lambda *a: acorn_candidates(*a, dedupe=False)),
        ("the node itself comes back as a candidate", lambda *a: acorn_candidates(*a, skip_self=False)),
        ("two-hop candidates before the direct ones", lambda *a: acorn_candidates(*a, direct_first=False)),
    ]},
    "ex17.q5": {"solution": repair_list, "mutants": [
        ("the m nearest candidates, no heuristic", lambda *a: repair_list(*a, heuristic=False)),
        ("no top-up after the heuristic", lambda *a: repair_list(*a, top_up=False)),
        ("only the surviving old neighbours as candidates", lambda *a: repair_list(*a, from_removed=False)),
        ("u can become its own neighbour", lambda *a: repair_list(*a, exclude_self=False)),
        ("deleted neighbours stay candidates", lambda *a: repair_list(*a, keep_dead=True)),
        ("topped up to m instead of the old length", lambda *a: repair_list(*a, cap_old=False)),
    ]},
    "ex17.q6": {"solution": post_filter_fetch, "mutants": [
        ("the expected count: ceil(k / selectivity)", lambda *a: post_filter_fetch(*a, rule="mean")),
        ("P(at most k pass) instead of fewer than k", lambda *a: post_filter_fetch(*a, strict=False)),
        ("normal approximation of the binomial", lambda *a: post_filter_fetch(*a, rule="normal")),
    ]},
}
