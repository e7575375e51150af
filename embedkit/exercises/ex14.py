"""Checks for ``exercises/14_product_quantization.ipynb``.

A toy product quantizer: d = 6, m = 3 sub-vectors of 2 dimensions, K = 4 centroids each.
"""
from __future__ import annotations

import math

import numpy as np

from .core import FunctionQuestion, MultiPartQuestion, ValueQuestion

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
    hint_text=[
        "For every sub-vector, the index of the nearest of the K centroids (squared distance).",
        """
        Broadcasting x_sub[:, None, :] - centroids[None, :, :] gives an (n, K, dsub) array;
        sum over the last axis, then argmin over axis 1 (the centroid axis).
        """,
    ],
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
    hint_text=[
        """
        codebooks has shape (m, K, dsub). Sub-vector j of x is the j-th block of dsub
        CONSECUTIVE coordinates, x[:, j*dsub:(j+1)*dsub]; encode it with codebooks[j].
        """,
        "Stack the m results as columns: np.stack([...], axis=1) has shape (n, m).",
    ],
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
    hint_text=[
        "T[j, c] = |q_j - C_j[c]|^2 where q_j = q[j*dsub:(j+1)*dsub]: squared, not the distance.",
        """
        Reshape q to (m, 1, dsub) and subtract the (m, K, dsub) codebooks: broadcasting does
        all m*K differences at once; sum over the last axis.
        """,
    ],
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
    hint_text=[
        "The distance to code (c_1, ..., c_m) is T[0, c_1] + T[1, c_2] + ... + T[m-1, c_m].",
        """
        Fancy indexing does every code at once: table[np.arange(m), codes] has shape (n, m)
        (row i picks T[j, codes[i, j]] for each j); sum it over axis 1.
        """,
    ],
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
    hint_text=[
        "float32: n * d * 4 bytes. PQ: every vector stores m codes of nbits bits (m * nbits / 8 bytes).",
        """
        The index also stores the m codebooks once: m * 2**nbits centroids of d/m float32
        values = 2**nbits * d * 4 bytes.
        """,
    ],
    solution_text="""
        memory_bytes = {"float32": 1_000_000 * 1024 * 4,                  # 4,096,000,000
                        "pq": 1_000_000 * 8 + 256 * 1024 * 4}             # 8,000,000 + 1,048,576
    """,
)



# -- Q6: training the codebooks (an algorithm) -------------------------------------------
def _train_pq_ref(X, init, n_iter):
    X, C = np.asarray(X, np.float64), np.array(init, dtype=np.float64)
    m, K, dsub = C.shape
    for j in range(m):
        sub = X[:, j * dsub:(j + 1) * dsub]
        for _ in range(n_iter):
            a = _encode_subspace_reference(sub, C[j])
            for c in range(K):
                members = sub[a == c]
                if len(members):                    # an empty cluster keeps its centroid
                    C[j, c] = members.mean(0)
    return C


_r6 = np.random.default_rng(146)
_X6 = np.concatenate([_r6.normal(0, 1, (150, 6)), _r6.normal(3, 0.5, (150, 6))])
_INIT6 = _X6[[0, 1, 150, 151]].reshape(4, 3, 2).transpose(1, 0, 2).copy()     # (m=3, K=4, dsub=2)
_INIT_FAR = _INIT6.copy()
_INIT_FAR[1, 3] = [50.0, 50.0]                                                # a centroid nobody picks
q6 = FunctionQuestion(
    qid="ex14.q6",
    title="Q6 train_codebooks(X, init, n_iter): k-means in every sub-space",
    name="train_codebooks",
    reference=_train_pq_ref,
    cases=[
        ("train_codebooks(300 points of d=6, m=3, K=4 from 4 data points, 1 iteration)", (_X6, _INIT6, 1)),
        ("train_codebooks(the same, 10 iterations)", (_X6, _INIT6, 10)),
        ("train_codebooks(a centroid at (50, 50) in sub-space 1 that no point picks, 5 iterations)",
         (_X6, _INIT_FAR, 5)),
        ("train_codebooks(n_iter=0) (the initial codebooks)", (_X6, _INIT6, 0)),
    ],
    atol=1e-8, rtol=1e-8,
    keep_inputs=True,
    hint_text=[
        r"""
        PQ's error is a sum of m independent k-means objectives, one per block of dsub
        consecutive coordinates: train each codebook by running Lloyd's algorithm (Q1 of
        notebook 12) on its own sub-vectors, starting from init[j], for n_iter iterations.
        """,
        """
        Each sub-space has its OWN assignment: a point may use centroid 2 in sub-space 0 and
        centroid 0 in sub-space 1 (one shared assignment from the summed distance would be
        k-means on the whole vectors). A centroid that gets no points keeps its position.
        Work on a copy of init.
        """,
        """
        C = init.astype(float); for j: sub = X[:, j*dsub:(j+1)*dsub]
        repeat n_iter times: a = encode_subspace(sub, C[j]); C[j, c] = sub[a == c].mean(0) for non-empty c
        """,
    ],
    solution_text="""
        def train_codebooks(X, init, n_iter):
            C = init.astype(float)                              # a copy
            m, K, dsub = C.shape
            for j in range(m):
                sub = X[:, j * dsub:(j + 1) * dsub]             # this sub-space only
                for _ in range(n_iter):
                    a = encode_subspace(sub, C[j])
                    for c in range(K):
                        if np.any(a == c):                      # an empty cluster keeps its centroid
                            C[j, c] = sub[a == c].mean(0)
            return C
    """,
)


# -- Q7: IVF-PQ, codes of residuals (a derivation) ----------------------------------------
def _ivfpq_encode_ref(x, coarse, codebooks):
    x, coarse = np.asarray(x, np.float64), np.asarray(coarse, np.float64)
    lists = ((x[:, None, :] - coarse[None, :, :]) ** 2).sum(-1).argmin(1)
    return lists, _encode_reference(x - coarse[lists], codebooks)


def _ivfpq_table_ref(q, centroid, codebooks):
    return _adc_table_reference(np.asarray(q, np.float64) - np.asarray(centroid, np.float64), codebooks)


_COARSE = np.round(_r6.normal(size=(5, 6)) * 3, 1)
_RES_BOOKS = np.round(_r6.normal(size=(M, K, DSUB)) * 0.7, 2)     # residuals are small
_XR = _COARSE[_r6.integers(0, 5, 40)] + _r6.normal(scale=0.7, size=(40, 6))
q7 = MultiPartQuestion(
    "ex14.q7", "Q7 IVF-PQ: encode residuals, and the query's table for one list",
    a=FunctionQuestion(
        qid="ex14.q7.a", title="Q7a ivfpq_encode(x, coarse, codebooks) -> (list ids, residual codes)",
        name="ivfpq_encode", reference=_ivfpq_encode_ref,
        cases=[("ivfpq_encode(40 points near 5 coarse centroids, the residual codebooks)", (_XR, _COARSE, _RES_BOOKS)),
               ("ivfpq_encode(the coarse centroids themselves)", (_COARSE, _COARSE, _RES_BOOKS))],
        atol=0, rtol=0, keep_inputs=True,
        hint_text=[
            """
            IVF-PQ first assigns x to its nearest coarse centroid c (its list), then PQ-encodes
            the RESIDUAL r = x - c, not x itself: residuals are small and centred, so the
            same number of bits describes them more precisely.
            """,
            "lists = nearest coarse centroid of each row; codes = pq_encode(x - coarse[lists], codebooks)",
        ],
        solution_text="""
            def ivfpq_encode(x, coarse, codebooks):
                lists = ((x[:, None, :] - coarse[None, :, :]) ** 2).sum(-1).argmin(1)
                return lists, pq_encode(x - coarse[lists], codebooks)     # codes of the residuals
        """),
    b=FunctionQuestion(
        qid="ex14.q7.b", title="Q7b ivfpq_table(q, centroid, codebooks): the ADC table inside one list",
        name="ivfpq_table", reference=_ivfpq_table_ref,
        cases=[("ivfpq_table(the toy query, coarse centroid 2, the residual codebooks)", (_Q, _COARSE[2], _RES_BOOKS)),
               ("ivfpq_table(a query equal to the centroid)", (_COARSE[4], _COARSE[4], _RES_BOOKS)),
               ("ivfpq_table(the zero query, coarse centroid 0)", (np.zeros(6), _COARSE[0], _RES_BOOKS))],
        atol=1e-8, rtol=1e-8, keep_inputs=True,
        hint_text=[
            r"""
            A vector of the list is reconstructed as c + r_hat, so
            |q - (c + r_hat)|^2 = |(q - c) - r_hat|^2: the table for this list is the ordinary
            ADC table of the query's residual q - c against the residual codebooks.
            """,
            "return adc_table(q - centroid, codebooks)     # one table per probed list",
        ],
        solution_text="""
            def ivfpq_table(q, centroid, codebooks):
                return adc_table(q - centroid, codebooks)      # |(q - c) - r_hat|^2, piece by piece
        """),
)

QUESTIONS = [q1, q2, q3, q4, q5, q6, q7]
