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
# (a, s): a . (s a) / (|a| |s a|) comes out as 1.0000000000000002 in float64 on the CPUs
# tried (which of them does depends on the BLAS kernel, hence several): arccos gives nan.
_ROUNDING = [([0.201, 0.215, 0.33, 1.393, 0.533, 1.661], 3.0), ([0.201, 0.215, 0.33, 1.393, 0.533, 1.661], 7.0),
             ([0.739, -0.723, -0.073, 0.446, 0.339, -1.314], 3.0), ([1.626, 0.306, -1.506, -0.645, -0.18, -1.623], 3.0)]


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
        ("hyperplane_bits(points ON a plane and the zero vector: r . x = 0 gives bit 0)",
         (np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]), _AXES)),
    ],
    dtype="exact",
    hint_text=[
        """
        Bit j of vector x is 1 when x lies strictly on the positive side of plane j:
        r_j . x > 0 (a point on the plane gets 0). Return booleans, shape (n, K).
        """,
        "All at once: X @ planes.T is the (n, K) matrix of r_j . x_i; compare it with 0.",
    ],
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
    ] + [(f"collision_probability(a, {s:g} a) for a = {a} (the computed cosine can exceed 1)", (np.array(a), s * np.array(a)))
         for a, s in _ROUNDING] + [
        (f"collision_probability(a, -3 a) for a = {_ROUNDING[0][0]} (the computed cosine can fall below -1)",
         (np.array(_ROUNDING[0][0]), -3.0 * np.array(_ROUNDING[0][0]))),
    ],
    atol=1e-6,
    hint_text=[
        "theta = arccos(cos(a, b)) is the angle in radians, between 0 and pi.",
        """
        Rounding can push the cosine of (anti)parallel vectors just past +-1 (1.0000000000000002),
        where arccos returns nan: np.clip the cosine to [-1, 1] first.
        """,
    ],
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
        ("p_candidate(0.5, K=1, L=3)", (0.5, 1, 3)),
    ],
    atol=1e-9,
    hint_text=[
        "One table: all K bits must agree, probability p ** K (AND).",
        "The pair is missed only if it is missed by every one of the L independent tables: (1 - p ** K) ** L (OR).",
    ],
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
        ("goes_to_a(points on the plane itself, a=[1, 1], b=[3, 3]: neither side)",
         (np.array([[2.0, 2.0], [3.0, 1.0], [0.0, 0.0]]), np.array([1.0, 1.0]), np.array([3.0, 3.0]))),
    ],
    dtype="exact",
    hint_text=[
        """
        The plane halfway between a and b has normal w = a - b and passes through the
        midpoint m = (a + b) / 2 (not through the origin). Equivalently: x is closer to a
        than to b.
        """,
        "x is on a's side when w . (x - m) > 0 (strictly: a point on the plane is not). One boolean per row of X.",
    ],
    solution_text="""
        def goes_to_a(X, a, b):
            w = a - b
            return (X - (a + b) / 2) @ w > 0
    """,
)



# -- Q5: how many tables? (a derivation) -------------------------------------------------
def _choose_L_ref(p1, K, target):
    L = int(np.ceil(np.log(1.0 - target) / np.log(1.0 - p1 ** K)))
    while L > 1 and 1 - (1 - p1 ** K) ** (L - 1) >= target:   # guard the float rounding
        L -= 1
    while 1 - (1 - p1 ** K) ** L < target:
        L += 1
    return L


q5 = FunctionQuestion(
    qid="ex15.q5",
    title="Q5 tables_needed(p1, K, target): the fewest tables L that find a p1-pair with the target probability",
    name="tables_needed",
    reference=_choose_L_ref,
    cases=[
        ("tables_needed(0.9, K=10, target=0.95)", (0.9, 10, 0.95)),
        ("tables_needed(0.8, K=16, target=0.99)", (0.8, 16, 0.99)),
        ("tables_needed(0.95, K=1, target=0.5) (one table already suffices)", (0.95, 1, 0.5)),
        ("tables_needed(0.7, K=20, target=0.9)", (0.7, 20, 0.9)),
    ],
    atol=0, rtol=0,
    hint_text=[
        r"""
        Invert Q3: P(found) = 1 - (1 - p1^K)^L >= target. Isolate (1 - p1^K)^L, take logarithms
        (both sides are in (0, 1), so the logs are negative: mind the direction of the
        inequality), and solve for L.
        """,
        r"""
        L >= log(1 - target) / log(1 - p1^K). L is a whole number of tables: the smallest
        integer satisfying that is the ceiling.
        """,
        "return math.ceil(math.log(1 - target) / math.log(1 - p1 ** K))",
    ],
    solution_text="""
        def tables_needed(p1, K, target):
            # 1 - (1 - p1^K)^L >= target  <=>  L >= log(1 - target) / log(1 - p1^K)
            return math.ceil(math.log(1 - target) / math.log(1 - p1 ** K))
    """,
)


# -- Q6: multi-probe LSH, the probing order (an algorithm) --------------------------------
def _probe_ref(margins, n_probes):
    margins = np.asarray(margins, dtype=np.float64)
    bits = (margins > 0).astype(np.int64)
    home = int(bits @ (1 << np.arange(len(bits))))
    order = np.lexsort((np.arange(len(margins)), np.abs(margins)))   # least confident bit first
    return [home] + [home ^ (1 << int(j)) for j in order[:n_probes - 1]]


q6 = FunctionQuestion(
    qid="ex15.q6",
    title="Q6 probe_order(margins, n_probes): the query's bucket, then the most likely neighbours",
    name="probe_order",
    reference=_probe_ref,
    cases=[
        ("probe_order([0.9, -0.1, 2.0, -0.5], 3)", (np.array([0.9, -0.1, 2.0, -0.5]), 3)),
        ("probe_order([0.9, -0.1, 2.0, -0.5], 5) (every single flip)", (np.array([0.9, -0.1, 2.0, -0.5]), 5)),
        ("probe_order([-3, 0.2, -0.2, 1, -4, 0.05, 2, -1], 4) (equal |margins|: lower bit first)",
         (np.array([-3.0, 0.2, -0.2, 1.0, -4.0, 0.05, 2.0, -1.0]), 4)),
        ("probe_order(16 random margins, 6)", (np.random.default_rng(156).standard_normal(16), 6)),
        ("probe_order([0.3, -0.3], 1) (the home bucket only)", (np.array([0.3, -0.3]), 1)),
    ],
    atol=0, rtol=0,
    keep_inputs=True,
    hint_text=[
        r"""
        Bit j of the query's bucket is 1 where margins[j] = r_j . q > 0, and the bucket id is
        sum_j bit_j * 2**j (bit 0 is the least significant). The first probe is that bucket.
        """,
        r"""
        A neighbour most likely landed on the other side of the plane the query is CLOSEST to
        (the smallest |margin|): probe the buckets that flip one bit, in increasing |margin|
        (ties: lower bit first), home ^ (1 << j). Return a list of n_probes bucket ids.
        """,
        """
        home = int(((margins > 0) * (1 << np.arange(len(margins)))).sum())
        order = np.argsort(np.abs(margins), kind="stable")
        return [home] + [home ^ (1 << int(j)) for j in order[:n_probes - 1]]
        """,
    ],
    solution_text="""
        def probe_order(margins, n_probes):
            bits = (margins > 0).astype(np.int64)
            home = int(bits @ (1 << np.arange(len(bits))))            # bit j is worth 2**j
            order = np.argsort(np.abs(margins), kind="stable")        # least confident bits first
            return [home] + [home ^ (1 << int(j)) for j in order[:n_probes - 1]]
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5, q6]
