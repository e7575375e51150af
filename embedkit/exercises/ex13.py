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
    ],
    atol=0.5,
    rtol=0.0,
    hint_text="""
        step = (vmax - vmin) / 255 per dimension; code = round((x - vmin) / step), an integer
        in 0..255. Values outside the range must be clipped (np.clip) BEFORE the cast to
        np.uint8, or -1 wraps around to 255.
    """,
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
    hint_text="""
        Invert the encoding: x_hat = vmin + code * step. Convert the uint8 codes to float
        first: uint8 arithmetic overflows (200 + 100 = 44 in uint8).
    """,
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
    ],
    atol=0.5,
    rtol=0.0,
    hint_text="""
        x > 0 is a boolean (n, d) array; np.packbits(..., axis=1) packs each row's bits
        into bytes, 8 dimensions per byte, first dimension in the most significant bit.
    """,
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
    ],
    atol=0.5,
    rtol=0.0,
    hint_text="""
        a_codes[:, None, :] ^ b_codes[None, :, :] has a 1 bit wherever the codes differ,
        shape (na, nb, nbytes). np.bitwise_count counts the 1 bits of each byte; sum over
        the last axis. (Without bitwise_count: np.unpackbits, then sum.)
    """,
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
    hint_text="""
        float32 is 4 bytes per component; int8 1 byte; 4-bit half a byte (two codes per
        byte); binary one bit (eight dimensions per byte).
    """,
    solution_text="""
        bytes_per_vector = {"float32": 3072, "int8": 768, "4-bit": 384, "binary": 96}
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5]
