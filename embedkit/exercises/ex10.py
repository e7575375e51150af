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
    hint_text=[
        """
        Four entries: "fourth_root": ceil(n ** 0.25); "fastai_v1": min(50, (n + 1) // 2);
        "fastai": min(600, round(1.6 * n ** 0.56)); "sqrt": ceil(sqrt(n)).
        """,
        """
        Use math.ceil (a width is a whole number: 81 ** 0.25 = 3 exactly, 82 ** 0.25 needs 4),
        Python's round for fastai's rule, and keep both caps (50 and 600). Return ints.
        """,
    ],
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
    hint_text=[
        """
        Fix one value. Each of the other n - 1 values misses its bucket with probability
        1 - 1/m, independently under uniform hashing; the value collides unless all of
        them miss.
        """,
        "1 - (1 - 1/m) ** (n - 1): exact, not the approximation 1 - exp(-n/m).",
    ],
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
    hint_text=[
        """
        A value collides when at least one OTHER value shares its bucket. Return the
        fraction of values (not of buckets) that collide.
        """,
        """
        np.unique(buckets, return_inverse=True, return_counts=True) gives, for every value,
        the index of its bucket (inverse) and each bucket's size (counts); a value collides
        when counts[inverse] > 1.
        """,
    ],
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
    hint_text=[
        """
        One-hot: the first Linear layer maps 2000 inputs to 64 hidden units, a 64 x 2000
        weight matrix (ignore biases).
        """,
        "Embedding: a 2000 x 8 table, then the first Linear layer maps those 8 numbers to 64 units.",
    ],
    solution_text="""
        n_weights = {"one_hot": 2000 * 64, "embedding": 2000 * 8 + 8 * 64}   # 128,000 vs 16,512
    """,
)



# -- Q5: how many buckets for a target collision rate? (a derivation) ------------------------
def _buckets_ref(n, rate):
    m = int(np.ceil(1.0 / (1.0 - (1.0 - rate) ** (1.0 / (n - 1)))))
    while m > 1 and _expected(n, m - 1) <= rate:       # guard the float rounding of the closed form
        m -= 1
    while _expected(n, m) > rate:
        m += 1
    return m


q5 = FunctionQuestion(
    qid="ex10.q5",
    title="Q5 buckets_for_rate(n, rate): the fewest buckets with expected collision rate <= rate",
    name="buckets_for_rate",
    reference=_buckets_ref,
    cases=[
        ("buckets_for_rate(2000, 0.01)", (2000, 0.01)),
        ("buckets_for_rate(2000, 0.5)", (2000, 0.5)),
        ("buckets_for_rate(3, 0.5) (small n: approximations are off)", (3, 0.5)),
        ("buckets_for_rate(10, 0.9)", (10, 0.9)),
        ("buckets_for_rate(100_000, 0.05)", (100_000, 0.05)),
    ],
    atol=0, rtol=0,
    hint_text=[
        r"""
        Invert Q2's formula: 1 - (1 - 1/m)^(n-1) <= rate. Isolate m step by step: move the
        power to one side, take the (n-1)-th root, solve for m. The answer is a whole number
        of buckets: round in the safe direction.
        """,
        r"""
        (1 - 1/m)^(n-1) >= 1 - rate  <=>  1 - 1/m >= (1 - rate)^(1/(n-1))  <=>
        m >= 1 / (1 - (1 - rate)^(1/(n-1))). Take the ceiling (floor would miss the target).
        The approximation 1 - exp(-n/m) gives a different m when n is small.
        """,
        """
        m = math.ceil(1 / (1 - (1 - rate) ** (1 / (n - 1))))
        (optionally check expected_collisions(n, m) <= rate < expected_collisions(n, m - 1))
        """,
    ],
    solution_text="""
        def buckets_for_rate(n, rate):
            # 1 - (1 - 1/m)^(n-1) <= rate  <=>  m >= 1 / (1 - (1 - rate)^(1/(n-1)))
            return math.ceil(1.0 / (1.0 - (1.0 - rate) ** (1.0 / (n - 1))))
    """,
)


# -- Q6: embedding dropout, whole vectors (an algorithm) --------------------------------------
def _dropout_ref(E, ids, u, p):
    rows = np.asarray(E, dtype=np.float64)[np.asarray(ids)]
    keep = (np.asarray(u) >= p)[:, None]
    return np.where(keep, rows / (1.0 - p), 0.0)


_r6 = np.random.default_rng(106)
_E6 = _r6.normal(size=(6, 3))
q6 = FunctionQuestion(
    qid="ex10.q6",
    title="Q6 embedding_dropout(E, ids, u, p): drop whole looked-up vectors, rescale the rest",
    name="embedding_dropout",
    reference=_dropout_ref,
    cases=[
        ("embedding_dropout(E, [0, 1, 2, 3], u=[0.05, 0.5, 0.3, 0.99], p=0.3) (u = p exactly is kept)",
         (_E6, np.array([0, 1, 2, 3]), np.array([0.05, 0.5, 0.3, 0.99]), 0.3)),
        ("embedding_dropout(E, [2, 2, 5, 2], u=[0.9, 0.1, 0.6, 0.4], p=0.5) (one category, different fates)",
         (_E6, np.array([2, 2, 5, 2]), np.array([0.9, 0.1, 0.6, 0.4]), 0.5)),
        ("embedding_dropout(E, 200 ids, random u, p=0.1)",
         (_E6, _r6.integers(0, 6, 200), _r6.random(200), 0.1)),
        ("embedding_dropout(E, [1, 4], u, p=0) (no dropout)", (_E6, np.array([1, 4]), np.array([0.0, 0.5]), 0.0)),
    ],
    atol=1e-12, rtol=1e-12,
    keep_inputs=True,
    hint_text=[
        r"""
        Look the rows up (E[ids], shape (n, d)), then decide for each looked-up ROW, with its
        own draw u[r], whether the whole vector survives: kept when u[r] >= p, zeroed when
        u[r] < p.
        """,
        r"""
        Rescale the survivors by 1 / (1 - p), so that the expected vector is unchanged:
        E[mask / (1 - p)] = 1. Each occurrence decides on its own (the same category can be
        kept in one row and dropped in another); the table E itself never changes.
        """,
        "rows = E[ids]; keep = (u >= p)[:, None]; return np.where(keep, rows / (1 - p), 0.0)",
    ],
    solution_text="""
        def embedding_dropout(E, ids, u, p):
            rows = E[ids]                                  # a copy: E is untouched
            keep = (u >= p)[:, None]                       # one decision per looked-up vector
            return np.where(keep, rows / (1.0 - p), 0.0)   # survivors rescaled: same expectation
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5, q6]
