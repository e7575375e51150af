"""Checks for ``exercises/11_exact_search.ipynb``: brute-force kNN, its cost, recall@k."""
from __future__ import annotations

import numpy as np

from ..search.flat import FlatIndex
from ..search.metrics import recall_at_k
from .core import FunctionQuestion, ValueQuestion

_rng = np.random.default_rng(11)
_X = _rng.standard_normal((300, 12))
_Q = _rng.standard_normal((7, 12))
_LINE = np.array([[0.0], [3.0], [1.0], [10.0], [-2.0]])


def _sq_l2_reference(Q, X):
    Q, X = np.asarray(Q, np.float64), np.asarray(X, np.float64)
    return ((Q[:, None, :] - X[None, :, :]) ** 2).sum(-1)


def _knn_reference(Q, X, k):
    index = FlatIndex(np.asarray(X).shape[1])
    index.add(np.asarray(X, dtype=np.float64))
    return index.search(np.asarray(Q, dtype=np.float64), k)[1]


q1 = FunctionQuestion(
    qid="ex11.q1",
    title="Q1 squared_l2_matrix(Q, X) with one matrix product",
    name="squared_l2_matrix",
    reference=_sq_l2_reference,
    cases=[
        ("squared_l2_matrix(points on a line, themselves)", (_LINE, _LINE)),
        ("squared_l2_matrix(Q, X) for 7 queries and 300 vectors in 12-d", (_Q, _X)),
    ],
    atol=1e-6,
    rtol=1e-6,
    hint_text="""
        |q - x|^2 = |q|^2 - 2 q.x + |x|^2. The middle term for all pairs is Q @ X.T, an
        (nq, n) matrix; (Q ** 2).sum(1) is (nq,) and (X ** 2).sum(1) is (n,). Reshape them
        to (nq, 1) and (1, n) so that broadcasting adds them to every entry.
    """,
    solution_text="""
        def squared_l2_matrix(Q, X):
            Q, X = np.asarray(Q, dtype=float), np.asarray(X, dtype=float)
            sq = (Q ** 2).sum(1)[:, None] - 2 * Q @ X.T + (X ** 2).sum(1)[None, :]
            return np.maximum(sq, 0.0)   # rounding can dip a hair below zero
    """,
)

q2 = FunctionQuestion(
    qid="ex11.q2",
    title="Q2 knn(Q, X, k): ids of the k nearest, nearest first",
    name="knn",
    reference=_knn_reference,
    cases=[
        ("knn(0 and 9 on a line, 5 points, k=2)", (np.array([[0.2], [9.0]]), _LINE, 2)),
        ("knn(Q, X, k=1)", (_Q, _X, 1)),
        ("knn(Q, X, k=10)", (_Q, _X, 10)),
        ("knn(Q, X, k=300) (every vector)", (_Q, _X, 300)),
    ],
    atol=0.5,
    rtol=0.0,
    hint_text="""
        Compute the (nq, n) distance matrix (Q1). np.argpartition(D, k - 1, axis=1)[:, :k]
        gives the k smallest of each row in O(n) time, but in no particular order; sort
        just those k by their distance (np.take_along_axis, then np.argsort) so that the
        nearest comes first.
    """,
    solution_text="""
        def knn(Q, X, k):
            D = squared_l2_matrix(Q, X)                              # (nq, n)
            part = np.argpartition(D, k - 1, axis=1)[:, :k]          # k smallest, unordered
            order = np.argsort(np.take_along_axis(D, part, axis=1), axis=1)
            return np.take_along_axis(part, order, axis=1)           # nearest first
    """,
)

q3 = ValueQuestion(
    qid="ex11.q3",
    title="Q3 the cost of exact search at scale",
    name="cost",
    expected={"index_gigabytes": 10_000_000 * 768 * 4 / 1e9,
              "multiply_adds_per_query": 10_000_000 * 768},
    rtol=1e-6,
    hint_text="""
        A flat index stores every vector as float32: 4 bytes per component. One query is
        compared with all n vectors, d multiply-adds each. Use 1 GB = 1e9 bytes.
    """,
    solution_text="""
        cost = {"index_gigabytes": 10_000_000 * 768 * 4 / 1e9,      # 30.72 GB
                "multiply_adds_per_query": 10_000_000 * 768}        # 7.68e9: O(n * d)
    """,
)

_I_demo = np.array([[4, 8, 15, 16, 23], [42, 4, 8, 1, 2], [7, 7, 7, 7, 7]])
_gt_demo = np.array([[4, 15, 99, 23, 8], [1, 2, 3, 4, 5], [0, 1, 2, 3, 7]])
_I_rand = _rng.integers(0, 40, (50, 10))
_gt_rand = np.argsort(_rng.random((50, 40)), axis=1)[:, :10]

q4 = FunctionQuestion(
    qid="ex11.q4",
    title="Q4 recall_at_k(I, gt, k)",
    name="recall_at_k",
    reference=recall_at_k,
    cases=[
        ("recall_at_k(three hand-made rows, k=5)", (_I_demo, _gt_demo, 5)),
        ("recall_at_k(three hand-made rows, k=2)", (_I_demo, _gt_demo, 2)),
        ("recall_at_k(50 random rows, k=10)", (_I_rand, _gt_rand, 10)),
    ],
    atol=1e-9,
    hint_text="""
        For each query, count how many of the true top-k ids gt[q, :k] appear anywhere in the
        returned top-k I[q, :k] (order does not matter), divide by k, then average over
        queries. Python sets work (len(set(a) & set(b))); so does broadcasting
        (gt[:, :k, None] == I[:, None, :k]).any(2). A repeated id in I counts once.
    """,
    solution_text="""
        def recall_at_k(I, gt, k):
            hits = [len(set(row_i[:k]) & set(row_gt[:k])) / k for row_i, row_gt in zip(I, gt)]
            return float(np.mean(hits))
    """,
)

QUESTIONS = [q1, q2, q3, q4]
