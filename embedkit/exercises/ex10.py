"""Checks for ``exercises/10_categorical_embeddings.ipynb``: sizing, hashing, parameters."""
from __future__ import annotations

import numpy as np

from ..neural.categorical import collision_rate, embedding_size_rules
from .core import FunctionQuestion, ValueQuestion

q1 = FunctionQuestion(
    qid="ex10.q1",
    title="Q1 size_rules(n)",
    name="size_rules",
    reference=embedding_size_rules,
    cases=[("size_rules(2000)", (2000,)), ("size_rules(10)", (10,)), ("size_rules(1)", (1,)),
           ("size_rules(5_000_000)", (5_000_000,)), ("size_rules(81)", (81,))],
    atol=0, rtol=0,
    hint_text="""
        Four entries: "fourth_root": ceil(n ** 0.25); "fastai_v1": min(50, (n + 1) // 2);
        "fastai": min(600, round(1.6 * n ** 0.56)); "sqrt": ceil(sqrt(n)). Use
        math.ceil and Python's round, and return ints.
    """,
    solution_text="""
        def size_rules(n):
            return {"fourth_root": math.ceil(n ** 0.25), "fastai_v1": min(50, (n + 1) // 2),
                    "fastai": min(600, round(1.6 * n ** 0.56)), "sqrt": math.ceil(math.sqrt(n))}
    """,
)


def _expected(n, m):
    return 1.0 - (1.0 - 1.0 / m) ** (n - 1)


q2 = FunctionQuestion(
    qid="ex10.q2",
    title="Q2 expected_collisions(n, m)",
    name="expected_collisions",
    reference=_expected,
    cases=[("expected_collisions(2000, 2000)", (2000, 2000)), ("expected_collisions(1, 10)", (1, 10)),
           ("expected_collisions(2, 10)", (2, 10)), ("expected_collisions(2000, 100_000)", (2000, 100_000)),
           ("expected_collisions(10_000, 1000)", (10_000, 1000))],
    atol=1e-9, rtol=1e-7,
    hint_text="""
        Fix one value. Each of the other n - 1 values misses its bucket with probability
        1 - 1/m, independently under uniform hashing; the value collides unless all of
        them miss.
    """,
    solution_text="""
        def expected_collisions(n, m):
            return 1 - (1 - 1 / m) ** (n - 1)
    """,
)

q3 = FunctionQuestion(
    qid="ex10.q3",
    title="Q3 measured_collisions(buckets)",
    name="measured_collisions",
    reference=collision_rate,
    cases=[("measured_collisions([0, 1, 1, 2, 3, 3, 3])", (np.array([0, 1, 1, 2, 3, 3, 3]),)),
           ("measured_collisions([5, 6, 7])", (np.array([5, 6, 7]),)),
           ("measured_collisions(1000 random buckets of 500)",
            (np.random.default_rng(10).integers(0, 500, 1000),))],
    atol=1e-12, rtol=1e-12,
    hint_text="""
        np.unique(buckets, return_inverse=True, return_counts=True) gives, for every value,
        the index of its bucket (inverse) and each bucket's size (counts); a value collides
        when counts[inverse] > 1. Return the fraction of values that collide.
    """,
    solution_text="""
        def measured_collisions(buckets):
            _, inverse, counts = np.unique(buckets, return_inverse=True, return_counts=True)
            return float(np.mean(counts[inverse] > 1))
    """,
)

q4 = ValueQuestion(
    qid="ex10.q4",
    title="Q4 parameters per category",
    name="n_weights",
    expected={"one_hot": 2000 * 64, "embedding": 2000 * 8 + 8 * 64},
    atol=0, rtol=0,
    hint_text="""
        One-hot: the first Linear layer maps 2000 inputs to 64 hidden units, a 64 x 2000
        weight matrix (ignore biases). Embedding: a 2000 x 8 table, then the first Linear
        layer maps those 8 numbers to 64 units.
    """,
    solution_text="""
        n_weights = {"one_hot": 2000 * 64, "embedding": 2000 * 8 + 8 * 64}   # 128,000 vs 16,512
    """,
)

QUESTIONS = [q1, q2, q3, q4]
