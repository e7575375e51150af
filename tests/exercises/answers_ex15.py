"""Right and wrong answers for ``embedkit.exercises.ex15`` (LSH and random projection trees)."""
import math

import numpy as np


def collision_probability(a, b, *, clip=True, scale=np.pi, complement=False):
    cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    if clip:
        cos = np.clip(cos, -1.0, 1.0)
    theta = np.arccos(cos) / scale
    return float(theta if complement else 1.0 - theta)


def goes_to_a(X, a, b, *, through_origin=False, strict=True, flip=False):
    w = (b - a) if flip else (a - b)
    s = X @ w if through_origin else (X - (a + b) / 2) @ w
    return s > 0 if strict else s >= 0


def tables_needed(p1, K, target, *, rounding=math.ceil, use_k=True):
    p = p1 ** K if use_k else p1
    return rounding(math.log(1 - target) / math.log(1 - p))


def probe_order(margins, n_probes, *, key="abs", bit_order="lsb", cumulative=False):
    bits = (margins > 0).astype(np.int64)
    weights = 1 << np.arange(len(bits)) if bit_order == "lsb" else 1 << np.arange(len(bits))[::-1]
    home = int(bits @ weights)
    k = np.abs(margins) if key == "abs" else (margins if key == "signed" else -np.abs(margins))
    order = np.argsort(k, kind="stable")
    probes, current = [home], home
    for j in order[:n_probes - 1]:
        flip = int(weights[j])
        current = current ^ flip if cumulative else home ^ flip
        probes.append(current)
    return probes


ANSWERS = {
    "ex15.q1": {"solution": lambda X, P: (X @ P.T) > 0, "mutants": [
        (">= 0: points on a plane get bit 1", lambda X, P: (X @ P.T) >= 0),
        ("planes and vectors swapped: (K, n)", lambda X, P: (P @ X.T) > 0),
        ("signs as +1/-1 floats, not booleans", lambda X, P: np.sign(X @ P.T)),
    ]},
    "ex15.q2": {"solution": collision_probability, "mutants": [
        ("arccos without clipping (nan just past +-1)", lambda a, b: collision_probability(a, b, clip=False)),
        ("1 - theta, the angle not divided by pi", lambda a, b: collision_probability(a, b, scale=1.0)),
        ("theta / pi: the probability that the bits DIFFER", lambda a, b: collision_probability(a, b, complement=True)),
    ]},
    "ex15.q3": {"solution": lambda p, K, L: 1.0 - (1.0 - np.asarray(p, dtype=float) ** K) ** L, "mutants": [
        ("(1 - p^K)^L: the probability of being missed", lambda p, K, L: (1.0 - np.asarray(p, dtype=float) ** K) ** L),
        ("p^(K L): AND over all tables", lambda p, K, L: np.asarray(p, dtype=float) ** (K * L)),
        ("union bound L p^K (can exceed 1)", lambda p, K, L: L * np.asarray(p, dtype=float) ** K),
    ]},
    "ex15.q4": {"solution": goes_to_a, "mutants": [
        ("plane through the origin, not the midpoint", lambda X, a, b: goes_to_a(X, a, b, through_origin=True)),
        (">= 0: points on the plane go to a", lambda X, a, b: goes_to_a(X, a, b, strict=False)),
        ("normal b - a: the sides swapped", lambda X, a, b: goes_to_a(X, a, b, flip=True)),
    ]},
    "ex15.q5": {"solution": tables_needed, "mutants": [
        ("floor instead of ceiling", lambda p, K, t: tables_needed(p, K, t, rounding=math.floor)),
        ("K ignored: p1 instead of p1^K", lambda p, K, t: tables_needed(p, K, t, use_k=False)),
        ("union bound: L = target / p1^K", lambda p, K, t: math.ceil(t / p ** K)),
        ("log(target) instead of log(1 - target)", lambda p, K, t: math.ceil(math.log(t) / math.log(1 - p ** K))),
    ]},
    "ex15.q6": {"solution": probe_order, "mutants": [
        ("ordered by signed margin, not |margin|", lambda m, n: probe_order(m, n, key="signed")),
        ("most confident bits flipped first", lambda m, n: probe_order(m, n, key="desc")),
        ("bit 0 as the most significant bit", lambda m, n: probe_order(m, n, bit_order="msb")),
        ("flips accumulated: each probe flips one more bit", lambda m, n: probe_order(m, n, cumulative=True)),
    ]},
}
