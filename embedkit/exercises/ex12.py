"""Checks for ``exercises/12_kmeans_and_ivf.ipynb``: a Lloyd step, k-means++, IVF probing."""
from __future__ import annotations

import numpy as np

from .core import FunctionQuestion, ValueQuestion

_rng = np.random.default_rng(12)
_X = _rng.standard_normal((200, 5))
_C = _rng.standard_normal((6, 5))
_LINE = np.array([[0.0], [1.0], [2.0], [5.0], [6.0]])


def _sq_dist(X, C):
    X, C = np.asarray(X, np.float64), np.asarray(C, np.float64)
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)


def _lloyd_step_reference(X, C):
    X, C = np.asarray(X, np.float64), np.asarray(C, np.float64)
    assignment = _sq_dist(X, C).argmin(1)
    new = C.copy()
    for j in range(len(C)):
        members = X[assignment == j]
        if len(members):  # an empty cluster keeps its centroid
            new[j] = members.mean(0)
    return new


def _kmeanspp_reference(X, C):
    d2 = _sq_dist(X, C).min(1)
    return d2 / d2.sum()


def _nearest_lists_reference(Q, centroids, nprobe):
    return np.argsort(_sq_dist(Q, centroids), axis=1, kind="stable")[:, :nprobe]


q1 = FunctionQuestion(
    qid="ex12.q1",
    title="Q1 lloyd_step(X, C): one assignment + update",
    name="lloyd_step",
    reference=_lloyd_step_reference,
    cases=[
        ("lloyd_step(5 points on a line, centroids 0 and 4)", (_LINE, np.array([[0.0], [4.0]]))),
        ("lloyd_step(200 points in 5-d, 6 centroids)", (_X, _C)),
        ("lloyd_step(..., with a centroid far from every point)",
         (_X, np.concatenate([_C[:3], [[100.0] * 5]]))),
    ],
    atol=1e-6,
    hint_text="""
        1. assignment = index of the nearest centroid for each point: build the (n, k)
           matrix of squared distances (broadcast X[:, None, :] - C[None, :, :]) and argmin.
        2. New centroid j = mean of the points assigned to j. A centroid with no points has
           no mean: keep its old position (do not produce NaN).
    """,
    solution_text="""
        def lloyd_step(X, C):
            d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)   # (n, k)
            assignment = d2.argmin(1)
            new_C = np.array(C, dtype=float)
            for j in range(len(C)):
                members = X[assignment == j]
                if len(members):
                    new_C[j] = members.mean(0)
            return new_C
    """,
)

q2 = FunctionQuestion(
    qid="ex12.q2",
    title="Q2 kmeanspp_probabilities(X, C): the D(x)^2 sampling distribution",
    name="kmeanspp_probabilities",
    reference=_kmeanspp_reference,
    cases=[
        ("kmeanspp_probabilities(5 points on a line, one centroid at 0)", (_LINE, np.array([[0.0]]))),
        ("kmeanspp_probabilities(200 points, 6 chosen centroids)", (_X, _C)),
        ("kmeanspp_probabilities(200 points, 2 chosen centroids that are data points)", (_X, _X[:2])),
    ],
    atol=1e-8,
    hint_text="""
        D(x)^2 is the squared distance from x to its NEAREST chosen centroid: the min over
        the columns of the (n, k) squared-distance matrix. Divide by the sum so the result
        is a probability vector (it sums to 1, and a point that is already a centroid gets 0).
    """,
    solution_text="""
        def kmeanspp_probabilities(X, C):
            d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1).min(1)
            return d2 / d2.sum()
    """,
)

q3 = FunctionQuestion(
    qid="ex12.q3",
    title="Q3 nearest_lists(Q, centroids, nprobe): which lists does IVF scan?",
    name="nearest_lists",
    reference=_nearest_lists_reference,
    cases=[
        ("nearest_lists(query 4.6 on a line, 5 centroids, nprobe=2)",
         (np.array([[4.6]]), _LINE, 2)),
        ("nearest_lists(20 queries, 6 centroids, nprobe=1)", (_X[:20], _C, 1)),
        ("nearest_lists(20 queries, 6 centroids, nprobe=3)", (_X[:20], _C, 3)),
    ],
    atol=0.5,
    rtol=0.0,
    hint_text="""
        It is a k-nearest-neighbour search among the centroids: squared distances (nq, nlist),
        then the nprobe smallest per row, nearest first (np.argsort(..., axis=1)[:, :nprobe]
        is fine: nlist is small).
    """,
    solution_text="""
        def nearest_lists(Q, centroids, nprobe):
            d2 = ((Q[:, None, :] - centroids[None, :, :]) ** 2).sum(-1)
            return np.argsort(d2, axis=1)[:, :nprobe]
    """,
)

q4 = ValueQuestion(
    qid="ex12.q4",
    title="Q4 the IVF cost model",
    name="ivf_cost",
    expected={"distances_per_query": 4096 + 16 * 1_000_000 / 4096,
              "speedup_vs_flat": 1_000_000 / (4096 + 16 * 1_000_000 / 4096),
              "discarded_by_the_seed_rule": 2},
    rtol=1e-4,
    hint_text="""
        An IVF query first compares with all nlist centroids, then scans nprobe lists of
        about n / nlist vectors each (balanced lists). Flat search computes n distances.
        For the last item: the seed notes' rule keeps a point only while its cluster has
        fewer than n / k points. Count the points beyond the capacity in the example.
    """,
    solution_text="""
        ivf_cost = {"distances_per_query": 4096 + 16 * 1_000_000 / 4096,    # 8,002 (vs 1,000,000)
                    "speedup_vs_flat": 1_000_000 / (4096 + 16 * 1_000_000 / 4096),   # ~125x
                    "discarded_by_the_seed_rule": 2}   # cluster 0 holds 6 > capacity 4
    """,
)

QUESTIONS = [q1, q2, q3, q4]
