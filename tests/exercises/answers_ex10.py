"""Right and wrong answers for ``embedkit.exercises.ex10`` (categorical embeddings)."""
import math

import numpy as np


def size_rules(n, *, ceil=True, v1="half-up", caps=True):
    up = math.ceil if ceil else (lambda x: int(round(x)))
    half = (n + 1) // 2 if v1 == "half-up" else n // 2
    return {"fourth_root": up(n ** 0.25),
            "fastai_v1": min(50, half) if caps else half,
            "fastai": min(600, round(1.6 * n ** 0.56)) if caps else round(1.6 * n ** 0.56),
            "sqrt": up(math.sqrt(n))}


def measured_collisions(buckets):
    _, inverse, counts = np.unique(buckets, return_inverse=True, return_counts=True)
    return float(np.mean(counts[inverse] > 1))


def buckets_for_rate(n, rate):
    return math.ceil(1.0 / (1.0 - (1.0 - rate) ** (1.0 / (n - 1))))


def embedding_dropout(E, ids, u, p, *, rescale="divide", keep_if="ge", per="row", in_place=False):
    rows = E[ids]
    draws = u if per == "row" else np.resize(u, E.shape[0])[ids]      # one draw per category
    keep = (draws >= p) if keep_if == "ge" else (draws < p)
    scale = {"divide": 1.0 / (1.0 - p), "none": 1.0, "multiply": 1.0 - p}[rescale]
    out = np.where(keep[:, None], rows * scale, 0.0)
    if in_place:
        E[ids] = out
    return out


ANSWERS = {
    "ex10.q1": {"solution": size_rules, "mutants": [
        ("round instead of ceil", lambda n: size_rules(n, ceil=False)),
        ("n // 2 instead of (n + 1) // 2", lambda n: size_rules(n, v1="floor")),
        ("the caps of 50 and 600 forgotten", lambda n: size_rules(n, caps=False)),
    ]},
    "ex10.q2": {"solution": lambda n, m: 1 - (1 - 1 / m) ** (n - 1), "mutants": [
        ("n other values instead of n - 1", lambda n, m: 1 - (1 - 1 / m) ** n),
        ("the approximation 1 - exp(-n/m)", lambda n, m: 1 - math.exp(-n / m)),
        ("probability that ALL others share the bucket", lambda n, m: (1 / m) ** (n - 1)),
    ]},
    "ex10.q3": {"solution": measured_collisions, "mutants": [
        ("share of buckets with more than one value",
         lambda b: float(np.mean(np.unique(b, return_counts=True)[1] > 1))),
        ("extra values only: 1 - distinct buckets / n", lambda b: 1 - len(np.unique(b)) / len(b)),
        ("share of values in the largest bucket", lambda b: float(np.bincount(b).max() / len(b))),
    ]},
    "ex10.q4": {"solution": {"one_hot": 2000 * 64, "embedding": 2000 * 8 + 8 * 64}, "mutants": [
        ("the embedding's Linear layer forgotten", {"one_hot": 2000 * 64, "embedding": 2000 * 8}),
        ("one-hot counted as 2000 inputs only", {"one_hot": 2000, "embedding": 2000 * 8 + 8 * 64}),
        ("embedding table counted as 8 x 64", {"one_hot": 2000 * 64, "embedding": 8 * 64}),
    ]},
    "ex10.q5": {"solution": buckets_for_rate, "mutants": [
        ("floor instead of ceiling", lambda n, r: math.floor(1.0 / (1.0 - (1.0 - r) ** (1.0 / (n - 1))))),
        ("n instead of n - 1 in the exponent", lambda n, r: math.ceil(1.0 / (1.0 - (1.0 - r) ** (1.0 / n)))),
        ("inverts the approximation 1 - exp(-n/m)", lambda n, r: math.ceil(n / -math.log(1 - r))),
        ("m = n / rate (linear guess)", lambda n, r: math.ceil(n / r)),
    ]},
    "ex10.q6": {"solution": embedding_dropout, "mutants": [
        ("survivors not rescaled", lambda *a: embedding_dropout(*a, rescale="none")),
        ("survivors multiplied by 1 - p", lambda *a: embedding_dropout(*a, rescale="multiply")),
        ("keeps the vectors with u < p (inverted)", lambda *a: embedding_dropout(*a, keep_if="lt")),
        ("one decision per category instead of per row", lambda *a: embedding_dropout(*a, per="category")),
        ("writes the dropped vectors back into E", lambda *a: embedding_dropout(*a, in_place=True)),
    ]},
}
