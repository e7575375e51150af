"""Checks for ``exercises/01_vectors_and_similarity.ipynb``.

The materials of the lesson, as [mass in kg, volume in litres]:
A = [3, 30], B = [15, 4], C = [3, 27], D = [7.5, 75], E = [7.5, 2].
"""
from __future__ import annotations

import numpy as np

from ..similarity import cosine, l2, pairwise
from .core import FunctionQuestion, ValueQuestion

MATERIALS = {
    "A": np.array([3.0, 30.0]),
    "B": np.array([15.0, 4.0]),
    "C": np.array([3.0, 27.0]),
    "D": np.array([7.5, 75.0]),
    "E": np.array([7.5, 2.0]),
}
NAMES = list(MATERIALS)
_M = np.stack([MATERIALS[n] for n in NAMES])
_PAIRS = [(a, b) for i, a in enumerate(NAMES) for b in NAMES[i + 1:]]


def _cosine64(a, b) -> float:
    """The reference cosine in float64 (the course convention: 0.0 for a zero vector)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return 0.0 if na == 0 or nb == 0 else float(a @ b / (na * nb))


q1 = FunctionQuestion(
    qid="ex01.q1",
    title="Q1 cosine_similarity(a, b)",
    name="cosine_similarity",
    reference=_cosine64,
    cases=[
        ("cosine_similarity(A, B)", (MATERIALS["A"], MATERIALS["B"])),
        ("cosine_similarity(1e150 * A, 1e-150 * C) (extreme magnitudes)",
         (1e150 * MATERIALS["A"], 1e-150 * MATERIALS["C"])),
        ("cosine_similarity(a, -a) for a 5-d vector", (np.arange(1.0, 6.0), -np.arange(1.0, 6.0))),
        ("cosine_similarity(zero vector, A)", (np.zeros(2), MATERIALS["A"])),
        ("cosine_similarity(A, zero vector)", (MATERIALS["A"], np.zeros(2))),
        ("cosine_similarity(zero vector, zero vector)", (np.zeros(3), np.zeros(3))),
    ],
    atol=1e-6,
    rtol=1e-6,
    hint_text=[
        """
        cos(a, b) = (a . b) / (|a| |b|), with a . b = sum_i a_i b_i and |a| = sqrt(a . a).
        np.dot (or a @ b) and np.linalg.norm do the work. The course's convention for a zero
        vector (no direction, so 0/0) is to return 0.0 instead of NaN: test the norms first.
        """,
        """
        Either argument can be the zero vector, or both. Keep float64 (np.asarray(a,
        dtype=float)): in float32, 1e150 is already infinite.
        """,
        """
        norm_a, norm_b = np.linalg.norm(a), np.linalg.norm(b)
        if norm_a == 0 or norm_b == 0: return 0.0
        return float(a @ b / (norm_a * norm_b))
        """,
    ],
    solution_text="""
        def cosine_similarity(a, b):
            a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
            norm_a, norm_b = np.linalg.norm(a), np.linalg.norm(b)
            if norm_a == 0 or norm_b == 0:
                return 0.0
            return float(a @ b / (norm_a * norm_b))
    """,
)

q2 = ValueQuestion(
    qid="ex01.q2",
    title="Q2 the 5 x 5 matrix S of pairwise cosine similarities",
    name="S",
    expected=pairwise(_M, _M, metric="cosine").astype(np.float64),
    atol=1e-4,
    hint_text=[
        """
        Stack the materials into a (5, 2) matrix M in the order A, B, C, D, E. S[i, j] is the
        cosine of material i and material j, and the diagonal is 1.
        """,
        """
        Normalise each ROW to unit length (np.linalg.norm(M, axis=1, keepdims=True)); then
        S = M_unit @ M_unit.T holds every cosine at once.
        """,
    ],
    solution_text="""
        M = np.stack([A, B, C, D, E])
        M_unit = M / np.linalg.norm(M, axis=1, keepdims=True)
        S = M_unit @ M_unit.T
        # or, with the package: S = embedkit.pairwise(M, M, metric="cosine")
    """,
)

_exact = {f"{a}-{b}" for a, b in _PAIRS if abs(_cosine64(MATERIALS[a], MATERIALS[b]) - 1) < 1e-12}
q3 = ValueQuestion(
    qid="ex01.q3",
    title="Q3 which pairs are exact rescalings of each other?",
    name="exact_rescalings",
    expected=_exact,
    hint_text=[
        """
        Two vectors are rescalings of each other (b = c * a with c > 0) exactly when their
        cosine is 1. Look for the pairs whose cosine is 1 to every printed digit, not just
        to three. Write each pair in alphabetical order, e.g. "A-B".
        """,
        """
        Print S with more digits (np.set_printoptions(precision=8)) or test
        np.allclose(Y, (Y[0] / X[0]) * X) for each pair: A-C is the trap.
        """,
    ],
    solution_text="""
        exact_rescalings = {"A-D", "B-E"}
        # A-C is NOT one: cos(A, C) = 0.99994. The seed notes printed 1.000 because they
        # used C = [3, 30] (A's numbers) instead of C = [3, 27].
    """,
)

_ASSUMPTIONS = {"C = A": (1.0, "C", "A"), "D = 2.5 A": (2.5, "D", "A"), "E = 2.5 A": (2.5, "E", "A"),
                "C = 0.2 B": (0.2, "C", "B"), "D = 0.5 B": (0.5, "D", "B"), "E = 0.5 B": (0.5, "E", "B")}
q4 = ValueQuestion(
    qid="ex01.q4",
    title="Q4 which of the six assumptions hold as vector equations?",
    name="assumptions_hold",
    expected={k: bool(np.allclose(MATERIALS[x], c * MATERIALS[y])) for k, (c, x, y) in _ASSUMPTIONS.items()},
    hint_text=[
        """
        An assumption such as "D = 2.5 A" holds for vectors only if EVERY component
        matches: np.allclose(D, 2.5 * A). Judging by mass alone, all six look true.
        """,
        """
        "C = A" is the trap: C is very similar to A, but is it equal? Two of the six hold.
        """,
    ],
    solution_text="""
        assumptions_hold = {"C = A": False, "D = 2.5 A": True, "E = 2.5 A": False,
                            "C = 0.2 B": False, "D = 0.5 B": False, "E = 0.5 B": True}
    """,
)

_others = [n for n in NAMES if n != "A"]
q5 = ValueQuestion(
    qid="ex01.q5",
    title="Q5 A's nearest neighbour by Euclidean distance and by cosine",
    name="nearest_to_A",
    expected={
        "l2": min(_others, key=lambda n: l2(MATERIALS["A"], MATERIALS[n])),
        "cosine": max(_others, key=lambda n: cosine(MATERIALS["A"], MATERIALS[n])),
    },
    hint_text=[
        """
        Compute l2(A, X) and cosine(A, X) for X in B, C, D, E (embedkit.l2 and
        embedkit.cosine, or your own function). Smallest distance wins for l2, largest
        similarity wins for cosine.
        """,
        """
        Do they agree? D points exactly along A but is 2.5 times longer; C is a slightly
        different direction but almost the same length.
        """,
    ],
    solution_text="""
        nearest_to_A = {"l2": "C", "cosine": "D"}
        # D points exactly along A (cos = 1) but is 2.5x bigger, so it is far in L2.
    """,
)

_A_m3, _B_m3 = MATERIALS["A"] * [1, 1e-3], MATERIALS["B"] * [1, 1e-3]
q6 = ValueQuestion(
    qid="ex01.q6",
    title="Q6 cos(A, B) with volumes in cubic metres",
    name="cos_AB_cubic_metres",
    expected=_cosine64(_A_m3, _B_m3),
    atol=1e-6,
    rtol=1e-6,
    hint_text=[
        """
        1 litre = 0.001 cubic metres: multiply the volume component by 1e-3 and keep the
        mass as it is. Then take the cosine as before.
        """,
        "A becomes [3, 0.030] and B becomes [15, 0.004].",
    ],
    solution_text="""
        A_m3 = np.array([3, 30e-3]); B_m3 = np.array([15, 4e-3])
        cos_AB_cubic_metres = cosine_similarity(A_m3, B_m3)   # 0.99995, was 0.35 in litres
    """,
)


# -- Q7: Hamming distances of binary codes as matrix products (a derivation) -------------
def _hamming_reference(A, B):
    A, B = np.asarray(A).astype(bool), np.asarray(B).astype(bool)
    return (A[:, None, :] != B[None, :, :]).sum(-1)


_rng = np.random.default_rng(1)
_BITS_A = np.array([[1, 0, 1, 1, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 0, 0]])
_BITS_B = np.array([[1, 1, 1, 0, 0, 0, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1], [1, 0, 1, 1, 0, 0, 1, 0]])
q7 = FunctionQuestion(
    qid="ex01.q7",
    title="Q7 pairwise_hamming(A, B): Hamming distances of 0/1 rows with matrix products",
    name="pairwise_hamming",
    reference=_hamming_reference,
    cases=[
        ("pairwise_hamming(2 codes, 3 codes of 8 bits)", (_BITS_A, _BITS_B)),
        ("pairwise_hamming(7 random codes, 11 random codes of 64 bits)",
         (_rng.integers(0, 2, (7, 64)), _rng.integers(0, 2, (11, 64)))),
        ("pairwise_hamming(all zeros, all ones)", (np.zeros((1, 16), int), np.ones((2, 16), int))),
        ("pairwise_hamming(300 codes, 200 codes of 96 bits)",
         (_rng.integers(0, 2, (300, 96)), _rng.integers(0, 2, (200, 96)))),
    ],
    atol=0, rtol=0,
    keep_inputs=True,
    hint_text=[
        """
        For bits a_i, b_i in {0, 1}: a_i and b_i differ exactly when a_i (1 - b_i) = 1 or
        (1 - a_i) b_i = 1. Summing over i turns each of the two terms into a dot product.
        """,
        """
        So H(a, b) = a . (1 - b) + (1 - a) . b, and for all pairs at once
        H = A @ (1 - B).T + (1 - A) @ B.T, shape (na, nb).
        """,
        """
        A, B = np.asarray(A, dtype=np.int64), np.asarray(B, dtype=np.int64)
        return A @ (1 - B).T + (1 - A) @ B.T
        """,
    ],
    solution_text="""
        def pairwise_hamming(A, B):
            A, B = np.asarray(A, dtype=np.int64), np.asarray(B, dtype=np.int64)
            # bit i differs when (a_i, b_i) is (1, 0) or (0, 1): two dot products
            return A @ (1 - B).T + (1 - A) @ B.T
        # equivalently |a|^2 + |b|^2 - 2 a.b: on 0/1 vectors Hamming = squared L2 = L1
    """,
)


# -- Q8: ranking by cosine, with zero rows and ties (an algorithm) -----------------------
def _most_similar_reference(q, X, k):
    q, X = np.asarray(q, dtype=np.float64), np.asarray(X, dtype=np.float64)
    nq, nx = np.linalg.norm(q), np.linalg.norm(X, axis=1)
    scores = np.zeros(len(X))
    ok = nx > 0
    if nq > 0:
        scores[ok] = X[ok] @ q / (nx[ok] * nq)
    order = np.lexsort((np.arange(len(X)), -scores))      # best first, ties: lower id
    return order[:k]


_AXES = np.array([[0.0, 3.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0], [-1.0, 0.0, 0.0],
                  [5.0, 0.0, 0.0], [0.0, 0.0, -4.0], [1.0, 0.0, 0.0]])
_X_BIG = _rng.standard_normal((2000, 16))
_X_BIG[::97] *= 50.0                                  # a few very long rows
_q_big = _rng.standard_normal(16)
q8 = FunctionQuestion(
    qid="ex01.q8",
    title="Q8 most_similar(q, X, k): ids of the k rows most similar to q by cosine",
    name="most_similar",
    reference=_most_similar_reference,
    cases=[
        ("most_similar(A, the 5 materials, k=5)", (MATERIALS["A"], _M, 5)),
        ("most_similar(x-axis, 7 rows with ties, a zero row and negative cosines, k=7)",
         (np.array([1.0, 0.0, 0.0]), _AXES, 7)),
        ("most_similar(q, 2000 rows of 16-d (some 50x longer), k=10)", (_q_big, _X_BIG, 10)),
        ("most_similar(q, 2000 rows, k=1)", (_q_big, _X_BIG, 1)),
    ],
    atol=0, rtol=0,
    keep_inputs=True,
    dtype="integer",
    hint_text=[
        """
        Cosine with every row at once: divide X @ q by the row norms and by |q|. A zero
        row has no direction: give it cosine 0 (the course's rule), not nan.
        """,
        """
        Then rank by decreasing cosine. Ties (rows pointing exactly the same way) keep the
        lower id first: np.argsort(-scores, kind="stable"). np.argpartition alone does not
        order the k winners.
        """,
        """
        norms = np.linalg.norm(X, axis=1) * np.linalg.norm(q)
        scores = np.divide(X @ q, norms, out=np.zeros(len(X)), where=norms > 0)
        return np.argsort(-scores, kind="stable")[:k]
        """,
    ],
    solution_text="""
        def most_similar(q, X, k):
            q, X = np.asarray(q, dtype=float), np.asarray(X, dtype=float)
            norms = np.linalg.norm(X, axis=1) * np.linalg.norm(q)
            scores = np.divide(X @ q, norms, out=np.zeros(len(X)), where=norms > 0)
            return np.argsort(-scores, kind="stable")[:k]      # ties: lower id first
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5, q6, q7, q8]
