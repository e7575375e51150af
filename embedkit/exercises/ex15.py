"""Checks for ``exercises/15_lsh_and_trees.ipynb``: hyperplane hashing, the collision law,
AND/OR amplification, and the Annoy split rule."""
from __future__ import annotations

import numpy as np

from .core import FunctionQuestion

_rng = np.random.default_rng(15)
_X = _rng.standard_normal((40, 6))
_P = _rng.standard_normal((9, 6))
_SQUARE = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
_AXES = np.array([[1.0, 0.0], [0.0, 1.0]])


def _bits_reference(X, planes):
    return (np.asarray(X, dtype=np.float64) @ np.asarray(planes, dtype=np.float64).T) > 0


def _collision_reference(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    cos = np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1.0, 1.0)
    return float(1.0 - np.arccos(cos) / np.pi)


def _candidate_reference(p, K, L):
    return 1.0 - (1.0 - np.asarray(p, dtype=np.float64) ** K) ** L


def _side_reference(X, a, b):
    X, a, b = (np.asarray(v, dtype=np.float64) for v in (X, a, b))
    w = a - b
    return X @ w - w @ (a + b) / 2 > 0


q1 = FunctionQuestion(
    qid="ex15.q1",
    title="Q1 hyperplane_bits(X, planes): one bit per random hyperplane",
    name="hyperplane_bits",
    reference=_bits_reference,
    cases=[
        ("hyperplane_bits(square corners, the two axes)", (_SQUARE, _AXES)),
        ("hyperplane_bits(40 vectors in 6-d, 9 planes)", (_X, _P)),
    ],
    hint_text="""
        Bit j of vector x is 1 when x lies on the positive side of plane j: r_j . x > 0.
        For all vectors and planes at once: X @ planes.T is the (n, K) matrix of r_j . x_i;
        compare it with 0.
    """,
    solution_text="""
        def hyperplane_bits(X, planes):
            return (np.asarray(X) @ np.asarray(planes).T) > 0
    """,
)

q2 = FunctionQuestion(
    qid="ex15.q2",
    title="Q2 collision_probability(a, b) = 1 - theta / pi",
    name="collision_probability",
    reference=_collision_reference,
    cases=[
        ("collision_probability(x-axis, y-axis)", (_AXES[0], _AXES[1])),
        ("collision_probability(a, a)", (_X[0], _X[0])),
        ("collision_probability(a, -a)", (_X[1], -_X[1])),
        ("collision_probability of two random 6-d vectors", (_X[2], _X[3])),
        ("collision_probability(a, 3 a) (scale does not matter)", (_X[4], 3 * _X[4])),
    ],
    atol=1e-6,
    hint_text="""
        theta = arccos(cos(a, b)). Rounding can push the cosine of (anti)parallel vectors just
        past +-1, where arccos returns nan: np.clip the cosine to [-1, 1] first.
    """,
    solution_text="""
        def collision_probability(a, b):
            cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
            theta = np.arccos(np.clip(cos, -1.0, 1.0))
            return 1.0 - theta / np.pi
    """,
)

q3 = FunctionQuestion(
    qid="ex15.q3",
    title="Q3 p_candidate(p, K, L): found in at least one of L tables of K bits",
    name="p_candidate",
    reference=_candidate_reference,
    cases=[
        ("p_candidate(0.9, K=1, L=1)", (0.9, 1, 1)),
        ("p_candidate(0.9, K=10, L=1)", (0.9, 10, 1)),
        ("p_candidate(0.9, K=10, L=20)", (0.9, 10, 20)),
        ("p_candidate(array of p, K=16, L=8)", (np.linspace(0.0, 1.0, 11), 16, 8)),
    ],
    atol=1e-9,
    hint_text="""
        One table: all K bits must agree, probability p ** K (AND). The pair is missed only if
        it is missed by every one of the L independent tables: (1 - p ** K) ** L (OR).
    """,
    solution_text="""
        def p_candidate(p, K, L):
            return 1.0 - (1.0 - p ** K) ** L
    """,
)

q4 = FunctionQuestion(
    qid="ex15.q4",
    title="Q4 goes_to_a(X, a, b): the side of Annoy's split plane",
    name="goes_to_a",
    reference=_side_reference,
    cases=[
        ("goes_to_a(points on a line, a=[2, 0], b=[0, 0])",
         (np.array([[-1.0, 5.0], [0.9, 0.0], [1.1, -3.0], [4.0, 0.0]]), np.array([2.0, 0.0]), np.zeros(2))),
        ("goes_to_a(40 vectors in 6-d, two of them)", (_X, _X[5], _X[6])),
    ],
    hint_text="""
        The plane halfway between a and b has normal w = a - b and passes through the midpoint
        m = (a + b) / 2, so x is on a's side when w . (x - m) > 0. (Equivalently: x is closer
        to a than to b.) Return a boolean array, one entry per row of X.
    """,
    solution_text="""
        def goes_to_a(X, a, b):
            w = a - b
            return (X - (a + b) / 2) @ w > 0
    """,
)

QUESTIONS = [q1, q2, q3, q4]
