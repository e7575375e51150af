"""Checks for ``exercises/07_evaluating_embeddings.ipynb``: 3CosMul, WEAT, Procrustes,
neutralising. Each is compared with an independent reference (gensim, scipy) or with
embedkit's own implementation, on inputs the learner cannot mutate."""
from __future__ import annotations

import warnings

import numpy as np

from ..text.bias import hard_debias, weat_effect_size
from ..text.word_vectors import WordVectors
from .core import FunctionQuestion

_rng = np.random.default_rng(7)


def _unit_rows(n, d):
    X = _rng.standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _cosmul_ref(U, a, b, c):
    # gensim's most_similar_cosmul with topn=None returns the score of every word
    from gensim.models import KeyedVectors

    kv = KeyedVectors(U.shape[1], dtype=np.float32)
    kv.add_vectors([f"w{i}" for i in range(len(U))], np.asarray(U, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(kv.most_similar_cosmul(positive=[f"w{b}", f"w{c}"], negative=[f"w{a}"], topn=None),
                          dtype=np.float64)


_U1, _U2 = _unit_rows(40, 8), _unit_rows(200, 16)
q1 = FunctionQuestion(
    qid="ex07.q1",
    title="Q1 three_cos_mul(U, a, b, c): 3CosMul scores",
    name="three_cos_mul",
    reference=_cosmul_ref,
    cases=[
        ("three_cos_mul(U (40 x 8), 0, 1, 2)", (_U1, 0, 1, 2)),
        ("three_cos_mul(U (40 x 8), 5, 3, 39)", (_U1, 5, 3, 39)),
        ("three_cos_mul(U (200 x 16), 10, 20, 30)", (_U2, 10, 20, 30)),
    ],
    atol=1e-4, rtol=1e-4,
    hint_text="""
        Shift cosines into [0, 1]: s = (1 + U @ U[i]) / 2 is a (V,) vector for word i (the
        rows of U are unit vectors, so U @ U[i] are cosines). Then
        score = s_b * s_c / (s_a + 1e-6), elementwise. Do not exclude a, b, c here.
    """,
    solution_text="""
        def three_cos_mul(U, a, b, c):
            s_a, s_b, s_c = ((1 + U @ U[i]) / 2 for i in (a, b, c))
            return s_b * s_c / (s_a + 1e-6)
    """,
)


def _weat_ref(SX, SY, SA, SB):
    rows = [np.asarray(S, dtype=np.float64) for S in (SX, SY, SA, SB)]
    names = [[f"{tag}{i}" for i in range(len(S))] for tag, S in zip("XYAB", rows)]
    wv = WordVectors(sum(names, []), np.vstack(rows))
    return weat_effect_size(wv, *names)


q2 = FunctionQuestion(
    qid="ex07.q2",
    title="Q2 weat_effect(SX, SY, SA, SB): the WEAT effect size",
    name="weat_effect",
    reference=_weat_ref,
    cases=[
        ("weat_effect(4, 4, 3, 3 random unit rows in 10-D)",
         (_unit_rows(4, 10), _unit_rows(4, 10), _unit_rows(3, 10), _unit_rows(3, 10))),
        ("weat_effect(6, 5, 8, 7 random unit rows in 20-D)",
         (_unit_rows(6, 20), _unit_rows(5, 20), _unit_rows(8, 20), _unit_rows(7, 20))),
    ],
    atol=1e-5, rtol=1e-5,
    hint_text="""
        With unit rows, all cosines between two sets are one product: SX @ SA.T is
        (|X|, |A|). s(w, A, B) = mean over A of cos(w, a) minus mean over B of cos(w, b):
        s_x = (SX @ SA.T).mean(axis=1) - (SX @ SB.T).mean(axis=1), likewise s_y.
        d = (s_x.mean() - s_y.mean()) / np.concatenate([s_x, s_y]).std(ddof=1)
        (the sample standard deviation: ddof=1).
    """,
    solution_text="""
        def weat_effect(SX, SY, SA, SB):
            s = lambda S: (S @ SA.T).mean(axis=1) - (S @ SB.T).mean(axis=1)
            s_x, s_y = s(SX), s(SY)
            return (s_x.mean() - s_y.mean()) / np.concatenate([s_x, s_y]).std(ddof=1)
    """,
)


def _procrustes_ref(A, B):
    from scipy.linalg import orthogonal_procrustes

    return orthogonal_procrustes(A, B)[0]


_A = _rng.standard_normal((50, 6))
_Q = np.linalg.qr(_rng.standard_normal((6, 6)))[0]
q3 = FunctionQuestion(
    qid="ex07.q3",
    title="Q3 procrustes(A, B): the best rotation",
    name="procrustes",
    reference=_procrustes_ref,
    cases=[
        ("procrustes(A, A @ Q) for a random orthogonal Q (answer: Q)", (_A, _A @ _Q)),
        ("procrustes(A, B) for two unrelated 30 x 4 matrices", (_rng.standard_normal((30, 4)), _rng.standard_normal((30, 4)))),
    ],
    atol=1e-6, rtol=1e-6,
    hint_text="""
        U, S, Vt = np.linalg.svd(A.T @ B); the answer is U @ Vt, a (d, d) orthogonal
        matrix. (A.T @ B, not A @ B.T: the rotation acts on the d columns.)
    """,
    solution_text="""
        def procrustes(A, B):
            U, _, Vt = np.linalg.svd(A.T @ B)
            return U @ Vt
    """,
)


def _neutralize_ref(w, g):
    wv = WordVectors(["w"], np.asarray(w, dtype=np.float64)[None, :])
    return hard_debias(wv, g, ["w"])["w"].astype(np.float64)


q4 = FunctionQuestion(
    qid="ex07.q4",
    title="Q4 neutralize(w, g): remove the component along g",
    name="neutralize",
    reference=_neutralize_ref,
    cases=[
        ("neutralize([3, 4, 0], [1, 0, 0])", (np.array([3.0, 4.0, 0.0]), np.array([1.0, 0.0, 0.0]))),
        ("neutralize(w, g) with g not of unit length", (np.array([1.0, 2.0, 2.0]), np.array([0.0, 0.0, 5.0]))),
        ("neutralize(random 8-D w, random 8-D g)", (_rng.standard_normal(8), _rng.standard_normal(8))),
    ],
    atol=1e-5, rtol=1e-5,
    hint_text="""
        Work with unit vectors: u = w / |w| and g = g / |g| (the direction may come
        unnormalised). Remove the projection: r = u - (u @ g) * g. Return r / |r|, so
        that the neutralised word is a unit vector like all the others.
    """,
    solution_text="""
        def neutralize(w, g):
            u = w / np.linalg.norm(w)
            g = g / np.linalg.norm(g)
            r = u - (u @ g) * g
            return r / np.linalg.norm(r)
    """,
)

QUESTIONS = [q1, q2, q3, q4]
