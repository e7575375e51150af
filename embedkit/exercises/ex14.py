"""Checks for ``exercises/14_product_quantization.ipynb``.

A toy product quantizer: d = 6, m = 3 sub-vectors of 2 dimensions, K = 4 centroids each.
"""
from __future__ import annotations

import math

import numpy as np

from .core import FunctionQuestion, ValueQuestion

_rng = np.random.default_rng(14)
M, K, DSUB = 3, 4, 2
CODEBOOKS = np.round(_rng.normal(size=(M, K, DSUB)) * 2, 1)            # (3, 4, 2)
_X = np.round(_rng.normal(size=(20, M * DSUB)) * 2, 2)                  # (20, 6)
_Q = np.round(_rng.normal(size=(M * DSUB,)) * 2, 2)                     # (6,)
_SUB = _X[:, 2:4]                                                       # sub-space 1 of _X


def _encode_subspace_reference(x_sub, centroids):
    x_sub, centroids = np.asarray(x_sub, np.float64), np.asarray(centroids, np.float64)
    d2 = ((x_sub[:, None, :] - centroids[None, :, :]) ** 2).sum(-1)
    return d2.argmin(axis=1)


def _encode_reference(x, codebooks):
    x, codebooks = np.asarray(x, np.float64), np.asarray(codebooks, np.float64)
    m, _, dsub = codebooks.shape
    return np.stack([_encode_subspace_reference(x[:, j * dsub:(j + 1) * dsub], codebooks[j])
                     for j in range(m)], axis=1)


def _adc_table_reference(q, codebooks):
    q, codebooks = np.asarray(q, np.float64), np.asarray(codebooks, np.float64)
    m, _, dsub = codebooks.shape
    return ((q.reshape(m, 1, dsub) - codebooks) ** 2).sum(-1)            # (m, K)


def _adc_distances_reference(table, codes):
    table, codes = np.asarray(table, np.float64), np.asarray(codes)
    return table[np.arange(table.shape[0]), codes].sum(axis=1)


def _pq_bytes(n, d, m, nbits):
    codes = n * math.ceil(m * nbits / 8)
    codebooks = (2 ** nbits) * d * 4       # m codebooks of 2**nbits centroids of d/m floats
    return codes + codebooks


q1 = FunctionQuestion(
    qid="ex14.q1",
    title="Q1 encode_subspace(x_sub, centroids): the nearest centroid of each sub-vector",
    name="encode_subspace",
    reference=_encode_subspace_reference,
    cases=[
        ("encode_subspace(3 hand-made points, 4 centroids on the axes)",
         (np.array([[0.9, 0.1], [-2.0, 0.2], [0.0, -3.0]]),
          np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]))),
        ("encode_subspace(sub-vectors 2:4 of 20 points, codebook 1)", (_SUB, CODEBOOKS[1])),
        ("encode_subspace(a point exactly on a centroid)", (CODEBOOKS[0][2:3], CODEBOOKS[0])),
    ],
    atol=0,
    rtol=0,
    hint_text="""
        For every sub-vector, compute its squared distance to each of the K centroids and
        keep the index of the smallest: broadcasting x_sub[:, None, :] - centroids[None, :, :]
        gives an (n, K, dsub) array; sum over the last axis, then argmin over axis 1.
    """,
    solution_text="""
        def encode_subspace(x_sub, centroids):
            d2 = ((x_sub[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=-1)   # (n, K)
            return d2.argmin(axis=1)
    """,
)

q2 = FunctionQuestion(
    qid="ex14.q2",
    title="Q2 pq_encode(x, codebooks): m sub-codes per vector",
    name="pq_encode",
    reference=_encode_reference,
    cases=[
        ("pq_encode(20 points of the toy data, the toy codebooks)", (_X, CODEBOOKS)),
        ("pq_encode(the query as a single row)", (_Q[None, :], CODEBOOKS)),
    ],
    atol=0,
    rtol=0,
    hint_text="""
        codebooks has shape (m, K, dsub). Sub-vector j of x is x[:, j*dsub:(j+1)*dsub];
        encode it with codebooks[j] (your encode_subspace) and stack the m results as
        columns: the output has shape (n, m).
    """,
    solution_text="""
        def pq_encode(x, codebooks):
            m, K, dsub = codebooks.shape
            return np.stack([encode_subspace(x[:, j * dsub:(j + 1) * dsub], codebooks[j])
                             for j in range(m)], axis=1)
    """,
)

q3 = FunctionQuestion(
    qid="ex14.q3",
    title="Q3 adc_table(q, codebooks): squared distances from each query piece to each centroid",
    name="adc_table",
    reference=_adc_table_reference,
    cases=[
        ("adc_table(the toy query, the toy codebooks)", (_Q, CODEBOOKS)),
        ("adc_table(the zero query, the toy codebooks)", (np.zeros(6), CODEBOOKS)),
    ],
    atol=1e-6,
    hint_text="""
        T[j, c] = |q_j - C_j[c]|^2 where q_j = q[j*dsub:(j+1)*dsub]. Reshape q to (m, 1, dsub)
        and subtract the (m, K, dsub) codebooks: broadcasting does all m*K differences at once.
    """,
    solution_text="""
        def adc_table(q, codebooks):
            m, K, dsub = codebooks.shape
            return ((q.reshape(m, 1, dsub) - codebooks) ** 2).sum(axis=-1)   # (m, K)
    """,
)

q4 = FunctionQuestion(
    qid="ex14.q4",
    title="Q4 adc_distances(table, codes): m look-ups and a sum per code",
    name="adc_distances",
    reference=_adc_distances_reference,
    cases=[
        ("adc_distances(table of the toy query, codes of the 20 points)",
         (_adc_table_reference(_Q, CODEBOOKS), _encode_reference(_X, CODEBOOKS))),
        ("adc_distances(hand-made 2 x 3 table, codes [[0, 1], [2, 0]])",
         (np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]), np.array([[0, 1], [2, 0]]))),
    ],
    atol=1e-6,
    hint_text="""
        The distance to code (c_1, ..., c_m) is T[0, c_1] + T[1, c_2] + ... + T[m-1, c_m].
        Fancy indexing does every code at once: table[np.arange(m), codes] has shape (n, m)
        (row i picks T[j, codes[i, j]] for each j); sum it over axis 1.
    """,
    solution_text="""
        def adc_distances(table, codes):
            m = table.shape[0]
            return table[np.arange(m), codes].sum(axis=1)
    """,
)

q5 = ValueQuestion(
    qid="ex14.q5",
    title="Q5 memory of 1 million 1024-d vectors: float32 vs PQ (m=8, nbits=8)",
    name="memory_bytes",
    expected={"float32": 1_000_000 * 1024 * 4, "pq": _pq_bytes(1_000_000, 1024, 8, 8)},
    atol=0,
    rtol=0,
    hint_text="""
        float32: n * d * 4 bytes. PQ: every vector stores m codes of nbits bits
        (m * nbits / 8 bytes), and the index stores the m codebooks once:
        m * 2**nbits centroids of d/m float32 values = 2**nbits * d * 4 bytes.
    """,
    solution_text="""
        memory_bytes = {"float32": 1_000_000 * 1024 * 4,                  # 4,096,000,000
                        "pq": 1_000_000 * 8 + 256 * 1024 * 4}             # 8,000,000 + 1,048,576
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5]
