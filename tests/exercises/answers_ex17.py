"""Right and wrong answers for ``embedkit.exercises.ex17`` (beyond HNSW)."""
import math

import numpy as np
from scipy.stats import binom, norm


def robust_prune(X, p, candidates, alpha, R, *, use_alpha=True, side="left", strict=False, sort=True,
                 limit=True, drop_p=True):
    d2 = lambda a, b: float(((X[a] - X[b]) ** 2).sum())  # noqa: E731
    rest = list(dict.fromkeys(c for c in candidates if c != p or not drop_p))
    if sort:
        rest.sort(key=lambda c: (d2(p, c), c))
    a = alpha if use_alpha else 1.0
    kept = []
    while rest and (len(kept) < R or not limit):
        best = rest.pop(0)
        kept.append(best)
        if side == "left":
            covered = (lambda c: a * d2(best, c) < d2(p, c)) if strict else (lambda c: a * d2(best, c) <= d2(p, c))
        else:
            covered = lambda c: d2(best, c) <= a * d2(p, c)  # noqa: E731
        rest = [c for c in rest if not covered(c)]
    return kept


def anisotropic_loss(x, x_hat, eta, *, weight="parallel", normalise=True, reduce=False):
    r = x - x_hat
    scale = (x * x).sum(axis=1) if normalise else 1.0
    r_par = ((r * x).sum(axis=1) / scale)[:, None] * x
    r_orth = r - r_par
    par, orth = (r_par ** 2).sum(axis=1), (r_orth ** 2).sum(axis=1)
    out = eta * par + orth if weight == "parallel" else par + eta * orth
    if weight == "none":
        out = (r ** 2).sum(axis=1)
    return out.sum() if reduce else out


def scann_eta(T, d, *, power=2, dims="d-1", denominator=True):
    top = (d - 1 if dims == "d-1" else d) * T ** power
    return top / (1 - T ** 2) if denominator else top


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
    "ex17.q1": {"solution": robust_prune, "mutants": [
        ("alpha ignored: always HNSW's rule", lambda *a: robust_prune(*a, use_alpha=False)),
        ("alpha on the wrong side: d(c*, c) <= alpha d(p, c)", lambda *a: robust_prune(*a, side="right")),
        ("strict <: an exactly covered candidate is kept", lambda *a: robust_prune(*a, strict=True)),
        ("candidates taken in the given order, not sorted", lambda *a: robust_prune(*a, sort=False)),
        ("no limit of R", lambda *a: robust_prune(*a, limit=False)),
        ("p itself can be kept", lambda *a: robust_prune(*a, drop_p=False)),
    ]},
    "ex17.q2": {"solution": anisotropic_loss, "mutants": [
        ("eta weights the orthogonal error", lambda *a: anisotropic_loss(*a, weight="orthogonal")),
        ("projection not divided by |x|^2", lambda *a: anisotropic_loss(*a, normalise=False)),
        ("one total instead of a loss per row", lambda *a: anisotropic_loss(*a, reduce=True)),
        ("plain squared error, eta ignored", lambda *a: anisotropic_loss(*a, weight="none")),
    ]},
    "ex17.q3": {"solution": scann_eta, "mutants": [
        ("T instead of T squared", lambda T, d: scann_eta(T, d, power=1)),
        ("d instead of d - 1", lambda T, d: scann_eta(T, d, dims="d")),
        ("no 1 - T^2 denominator", lambda T, d: scann_eta(T, d, denominator=False)),
    ]},
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
