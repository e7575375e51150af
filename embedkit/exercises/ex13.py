"""Checks for ``exercises/13_scalar_and_binary_quantization.ipynb``."""
from __future__ import annotations

import numpy as np

from .core import FunctionQuestion, ValueQuestion

_rng = np.random.default_rng(13)
_X = _rng.standard_normal((50, 6)) * [1, 2, 3, 0.5, 10, 1] + [0, 1, -2, 0, 5, 3]
_VMIN, _VMAX = _X.min(0), _X.max(0)
_TOY = np.array([[0.0, 10.0], [5.0, 20.0], [10.0, 30.0], [2.5, 12.0]])
_TOY_MIN, _TOY_MAX = np.array([0.0, 10.0]), np.array([10.0, 30.0])


def _encode_reference(x, vmin, vmax):
    x, vmin, vmax = (np.asarray(a, np.float64) for a in (x, vmin, vmax))
    step = (vmax - vmin) / 255
    return np.clip(np.rint((x - vmin) / step), 0, 255).astype(np.uint8)


def _decode_reference(codes, vmin, vmax):
    vmin, vmax = np.asarray(vmin, np.float64), np.asarray(vmax, np.float64)
    return vmin + np.asarray(codes, np.float64) * (vmax - vmin) / 255


def _sign_codes_reference(x):
    return np.packbits(np.asarray(x) > 0, axis=1)


def _hamming_reference(a, b):
    bits_a = np.unpackbits(np.asarray(a, np.uint8), axis=1)
    bits_b = np.unpackbits(np.asarray(b, np.uint8), axis=1)
    return (bits_a[:, None, :] != bits_b[None, :, :]).sum(-1)


q1 = FunctionQuestion(
    qid="ex13.q1",
    title="Q1 sq8_encode(x, vmin, vmax): floats to 8-bit codes",
    name="sq8_encode",
    reference=_encode_reference,
    cases=[
        ("sq8_encode(toy rows, vmin=[0, 10], vmax=[10, 30])", (_TOY, _TOY_MIN, _TOY_MAX)),
        ("sq8_encode(50 rows of 6-d data, its own min and max)", (_X, _VMIN, _VMAX)),
        ("sq8_encode(values outside [vmin, vmax])", (np.array([[-1.0, 40.0]]), _TOY_MIN, _TOY_MAX)),
        ("sq8_encode(values between two levels: round, not floor)",
         (_TOY_MIN + (np.array([[3.0, 100.0], [0.7, 254.6]]) * (_TOY_MAX - _TOY_MIN) / 255), _TOY_MIN, _TOY_MAX)),
    ],
    atol=0.5,
    rtol=0.0,
    keep_inputs=True,
    dtype="exact",
    hint_text=[
        """
        step = (vmax - vmin) / 255 per dimension (255 steps between 256 levels); code =
        round((x - vmin) / step), an integer in 0..255, returned as np.uint8.
        """,
        """
        Round to the nearest level (np.rint), do not truncate. Values outside the range must
        be clipped (np.clip) BEFORE the cast to np.uint8, or -1 wraps around to 255.
        """,
    ],
    solution_text="""
        def sq8_encode(x, vmin, vmax):
            step = (vmax - vmin) / 255
            return np.clip(np.rint((x - vmin) / step), 0, 255).astype(np.uint8)
    """,
)

q2 = FunctionQuestion(
    qid="ex13.q2",
    title="Q2 sq8_decode(codes, vmin, vmax): codes back to floats",
    name="sq8_decode",
    reference=_decode_reference,
    cases=[
        ("sq8_decode(codes [[0, 0], [255, 255], [128, 51]], vmin=[0, 10], vmax=[10, 30])",
         (np.array([[0, 0], [255, 255], [128, 51]], np.uint8), _TOY_MIN, _TOY_MAX)),
        ("sq8_decode(sq8 codes of the 6-d data)", (_encode_reference(_X, _VMIN, _VMAX), _VMIN, _VMAX)),
    ],
    atol=1e-6,
    keep_inputs=True,
    hint_text=[
        "Invert the encoding: x_hat = vmin + code * step, with the same step = (vmax - vmin) / 255.",
        "Convert the uint8 codes to float first: uint8 arithmetic overflows (200 + 100 = 44 in uint8).",
    ],
    solution_text="""
        def sq8_decode(codes, vmin, vmax):
            step = (vmax - vmin) / 255
            return vmin + codes.astype(np.float64) * step
    """,
)

q3 = FunctionQuestion(
    qid="ex13.q3",
    title="Q3 sign_codes(x): one bit per dimension, packed into bytes",
    name="sign_codes",
    reference=_sign_codes_reference,
    cases=[
        ("sign_codes([[0.5, -1, 2, -3, 4, -5, 6, -7]])", (np.array([[0.5, -1, 2, -3, 4, -5, 6, -7]]),)),
        ("sign_codes(10 rows of 20-d data: 3 bytes each, the last one padded)",
         (_rng.standard_normal((10, 20)),)),
        ("sign_codes([[0, 0, 1, -1, 0, 2, 0, 0]]) (exact zeros give 0 bits)",
         (np.array([[0.0, 0.0, 1.0, -1.0, 0.0, 2.0, 0.0, 0.0]]),)),
    ],
    atol=0.5,
    rtol=0.0,
    dtype="exact",
    hint_text=[
        """
        x > 0 is a boolean (n, d) array (strictly greater: a zero gives a 0 bit); pack each
        row's bits into bytes, 8 dimensions per byte.
        """,
        """
        np.packbits(..., axis=1) packs along the row with the first dimension in the most
        significant bit (bitorder="big", the default) and pads the last byte with zeros.
        """,
    ],
    solution_text="""
        def sign_codes(x):
            return np.packbits(x > 0, axis=1)
    """,
)

_A = _sign_codes_reference(_rng.standard_normal((8, 64)))
_B = _sign_codes_reference(_rng.standard_normal((30, 64)))
q4 = FunctionQuestion(
    qid="ex13.q4",
    title="Q4 hamming_matrix(a_codes, b_codes): popcount of XOR",
    name="hamming_matrix",
    reference=_hamming_reference,
    cases=[
        ("hamming_matrix([[0b10110010]], [[0b11100011], [0b10110010]])",
         (np.array([[0b10110010]], np.uint8), np.array([[0b11100011], [0b10110010]], np.uint8))),
        ("hamming_matrix(8 codes, 30 codes, 8 bytes each)", (_A, _B)),
        ("hamming_matrix([[255, 0]], [[0, 255], [255, 0]]) (16 and 0 bits)",
         (np.array([[255, 0]], np.uint8), np.array([[0, 255], [255, 0]], np.uint8))),
    ],
    atol=0.5,
    rtol=0.0,
    hint_text=[
        """
        a_codes[:, None, :] ^ b_codes[None, :, :] has a 1 bit wherever the codes differ,
        shape (na, nb, nbytes). Count BITS, not bytes or byte values.
        """,
        """
        np.bitwise_count counts the 1 bits of each byte; sum over the last axis. (Without
        bitwise_count: np.unpackbits, then sum.)
        """,
    ],
    solution_text="""
        def hamming_matrix(a_codes, b_codes):
            xor = a_codes[:, None, :] ^ b_codes[None, :, :]
            return np.bitwise_count(xor).sum(-1)
    """,
)

q5 = ValueQuestion(
    qid="ex13.q5",
    title="Q5 bytes per 768-d vector in each format",
    name="bytes_per_vector",
    expected={"float32": 768 * 4, "int8": 768, "4-bit": 768 // 2, "binary": 768 // 8},
    hint_text=[
        "float32 is 4 bytes per component; int8 1 byte.",
        "4-bit is half a byte (two codes per byte); binary one bit (eight dimensions per byte).",
    ],
    solution_text="""
        bytes_per_vector = {"float32": 3072, "int8": 768, "4-bit": 384, "binary": 96}
    """,
)



# -- Q6: the error of a uniform scalar quantizer (a derivation) ------------------------------
def _sq_mse_ref(vmin, vmax, bits):
    step = (np.asarray(vmax, dtype=np.float64) - np.asarray(vmin, dtype=np.float64)) / (2 ** bits - 1)
    return float(np.sum(step ** 2) / 12)


q6 = FunctionQuestion(
    qid="ex13.q6",
    title="Q6 sq_mse(vmin, vmax, bits): the expected squared error per vector, uniform data",
    name="sq_mse",
    reference=_sq_mse_ref,
    cases=[
        ("sq_mse([0], [255], 8) (one dimension, step 1)", (np.array([0.0]), np.array([255.0]), 8)),
        ("sq_mse([0, 10], [10, 30], 8)", (_TOY_MIN, _TOY_MAX, 8)),
        ("sq_mse(the 6-d data's range, 4 bits)", (_VMIN, _VMAX, 4)),
        ("sq_mse([-1] * 768, [1] * 768, 1) (one bit: two levels)", (-np.ones(768), np.ones(768), 1)),
    ],
    atol=1e-12, rtol=1e-9,
    hint_text=[
        r"""
        With 2**bits levels spread from vmin to vmax there are 2**bits - 1 steps. A value
        uniformly distributed over a step is rounded to the nearest level: its error is
        uniform on [-step/2, step/2]. What is the mean of e**2 for such an e?
        """,
        r"""
        E[e^2] = (1/step) * integral of e^2 over [-step/2, step/2] = step^2 / 12, per dimension
        (with step_j of each dimension). A vector's squared error is the SUM over its
        dimensions.
        """,
        "step = (vmax - vmin) / (2 ** bits - 1); return float(np.sum(step ** 2) / 12)",
    ],
    solution_text="""
        def sq_mse(vmin, vmax, bits):
            step = (vmax - vmin) / (2 ** bits - 1)     # 2**bits levels, 2**bits - 1 steps
            return float(np.sum(step ** 2) / 12)       # uniform error on [-step/2, step/2]
    """,
)


# -- Q7: binary codes for the short list, floats for the final order (an algorithm) --------
def _rescored_ref(q_codes, x_codes, Q, X, shortlist, k):
    H = _hamming_reference(q_codes, x_codes)
    out = []
    for q, h in zip(np.asarray(Q, dtype=np.float64), H):
        cand = np.lexsort((np.arange(len(h)), h))[:shortlist]         # Hamming, ties: lower id
        scores = np.asarray(X, dtype=np.float64)[cand] @ q
        out.append(cand[np.lexsort((cand, -scores))][:k])             # inner product, ties: lower id
    return np.array(out)


def _unit(A):
    return A / np.linalg.norm(A, axis=1, keepdims=True)


_r7 = np.random.default_rng(137)
_X7 = _unit(_r7.standard_normal((500, 32)))
_Q7 = _unit(_X7[:6] + 0.8 * _r7.standard_normal((6, 32)))
_XS = np.array([[1.0, 0.1, 0.0, 0.0], [0.9, 0.2, 0.0, 0.0], [0.2, 0.9, 0.1, 0.0],
                [1.0, 0.5, 0.0, 0.0], [0.5, 1.0, 0.2, 0.1], [-1.0, 0.3, 0.0, 0.0]])
q7 = FunctionQuestion(
    qid="ex13.q7",
    title="Q7 rescored_search(q_codes, x_codes, Q, X, shortlist, k): Hamming short list, exact re-rank",
    name="rescored_search",
    reference=_rescored_ref,
    cases=[
        ("rescored_search(1 query, 6 vectors in 4-d with tied codes, shortlist=4, k=2)",
         (_sign_codes_reference(np.array([[1.0, 0.4, -0.1, -0.1]])), _sign_codes_reference(_XS),
          np.array([[1.0, 0.4, -0.1, -0.1]]), _XS, 4, 2)),
        ("rescored_search(6 queries, 500 unit vectors in 32-d, shortlist=50, k=10)",
         (_sign_codes_reference(_Q7), _sign_codes_reference(_X7), _Q7, _X7, 50, 10)),
        ("rescored_search(the same, shortlist=10, k=10) (the short list IS the answer set)",
         (_sign_codes_reference(_Q7), _sign_codes_reference(_X7), _Q7, _X7, 10, 10)),
        ("rescored_search(the same, shortlist=500, k=5) (everything rescored: exact search)",
         (_sign_codes_reference(_Q7), _sign_codes_reference(_X7), _Q7, _X7, 500, 5)),
    ],
    atol=0, rtol=0,
    keep_inputs=True,
    dtype="integer",
    hint_text=[
        """
        For each query: (1) the `shortlist` vectors with the smallest Hamming distance between
        the codes (your Q4), ties broken by lower id; (2) among those only, the k with the
        largest exact inner product with the float query, best first. Return an (nq, k)
        array of database ids.
        """,
        """
        Use stable sorts (kind="stable") or np.lexsort so that ties go to the lower id, both
        for the Hamming short list and for the final order. Rescoring every vector would be
        exact search: the point is to rescore only the short list.
        """,
        """
        H = hamming_matrix(q_codes, x_codes)
        cand = np.argsort(H, axis=1, kind="stable")[:, :shortlist]
        scores = np.einsum("qcd,qd->qc", X[cand], Q)
        return np.take_along_axis(cand, np.argsort(-scores, axis=1, kind="stable")[:, :k], axis=1)
        """,
    ],
    solution_text="""
        def rescored_search(q_codes, x_codes, Q, X, shortlist, k):
            H = hamming_matrix(q_codes, x_codes)                               # (nq, n)
            cand = np.argsort(H, axis=1, kind="stable")[:, :shortlist]         # ties: lower id
            scores = np.einsum("qcd,qd->qc", X[cand], Q)                       # exact, short list only
            best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
            return np.take_along_axis(cand, best, axis=1)
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5, q6, q7]
