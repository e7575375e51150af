"""Right and wrong answers for ``embedkit.exercises.ex01`` (vectors and similarity)."""
import numpy as np

from embedkit.exercises.ex01 import MATERIALS

A, B, C, D, E = (MATERIALS[n] for n in "ABCDE")
M = np.stack([A, B, C, D, E])


def cosine_similarity(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return 0.0 if na == 0 or nb == 0 else float(a @ b / (na * nb))


def cos_no_guard(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def cos_guard_first_only(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if np.linalg.norm(a) == 0:
        return 0.0
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def cos_float32(a, b):
    a, b = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return 0.0 if na == 0 or nb == 0 else float(a @ b / (na * nb))


def cos_squared_norms(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    na, nb = a @ a, b @ b
    return 0.0 if na == 0 or nb == 0 else float(a @ b / (na * nb))


def cos_dot_only(a, b):
    return float(np.asarray(a, dtype=float) @ np.asarray(b, dtype=float))


unit_rows = M / np.linalg.norm(M, axis=1, keepdims=True)
unit_cols = M / np.linalg.norm(M, axis=0, keepdims=True)


def pairwise_hamming(A_, B_):
    A_, B_ = np.asarray(A_, dtype=np.int64), np.asarray(B_, dtype=np.int64)
    return A_ @ (1 - B_).T + (1 - A_) @ B_.T


def most_similar(q, X, k):
    q, X = np.asarray(q, dtype=float), np.asarray(X, dtype=float)
    norms = np.linalg.norm(X, axis=1) * np.linalg.norm(q)
    scores = np.divide(X @ q, norms, out=np.zeros(len(X)), where=norms > 0)
    return np.argsort(-scores, kind="stable")[:k]


def _cos_scores(q, X):
    return X @ q / (np.linalg.norm(X, axis=1) * np.linalg.norm(q))


def most_similar_dot(q, X, k):
    return np.argsort(-(X @ q), kind="stable")[:k]


def most_similar_unordered(q, X, k):
    # the right k rows in no particular order (what argpartition promises); modelled as id
    # order, because numpy's argpartition happens to return sorted rows on some CPUs
    return np.sort(most_similar(q, X, k))


def most_similar_ascending(q, X, k):
    norms = np.linalg.norm(X, axis=1) * np.linalg.norm(q)
    s = np.divide(X @ q, norms, out=np.zeros(len(X)), where=norms > 0)
    return np.argsort(s, kind="stable")[:k]


def most_similar_nan(q, X, k):
    return np.argsort(-_cos_scores(q, X), kind="stable")[:k]


def most_similar_normalises_in_place(q, X, k):
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    np.divide(X, norms, out=X, where=norms > 0)
    s = X @ (q / np.linalg.norm(q))
    return np.argsort(-s, kind="stable")[:k]


ANSWERS = {
    "ex01.q1": {"solution": cosine_similarity, "mutants": [
        ("no zero-vector guard (0/0 gives nan)", cos_no_guard),
        ("zero guard on the first argument only", cos_guard_first_only),
        ("float32 overflows on extreme magnitudes", cos_float32),
        ("divides by squared norms instead of norms", cos_squared_norms),
        ("dot product without normalisation", cos_dot_only),
    ]},
    "ex01.q2": {"solution": unit_rows @ unit_rows.T, "mutants": [
        ("raw dot products, no normalisation", M @ M.T),
        ("normalised columns instead of rows (wrong axis)", unit_cols @ unit_cols.T),
        ("Euclidean distances instead of cosines",
         np.linalg.norm(M[:, None] - M[None], axis=-1)),
        ("diagonal left at zero", unit_rows @ unit_rows.T - np.eye(5)),
    ]},
    "ex01.q3": {"solution": {"A-D", "B-E"}, "mutants": [
        ("A-C counted because its cosine rounds to 1.000", {"A-C", "A-D", "B-E"}),
        ("only the pairs with the same first letter order", {"A-D"}),
        ("pairs written in the wrong order", {"D-A", "E-B"}),
    ]},
    "ex01.q4": {"solution": {"C = A": False, "D = 2.5 A": True, "E = 2.5 A": False,
                             "C = 0.2 B": False, "D = 0.5 B": False, "E = 0.5 B": True}, "mutants": [
        ("judged by mass alone: all true", dict.fromkeys(["C = A", "D = 2.5 A", "E = 2.5 A", "C = 0.2 B",
                                                          "D = 0.5 B", "E = 0.5 B"], True)),
        ("C = A accepted because the cosine is almost 1",
         {"C = A": True, "D = 2.5 A": True, "E = 2.5 A": False, "C = 0.2 B": False, "D = 0.5 B": False,
          "E = 0.5 B": True}),
        ("judged by volume alone", {"C = A": False, "D = 2.5 A": True, "E = 2.5 A": False,
                                    "C = 0.2 B": False, "D = 0.5 B": False, "E = 0.5 B": False}),
    ]},
    "ex01.q5": {"solution": {"l2": "C", "cosine": "D"}, "mutants": [
        ("cosine's answer for both measures", {"l2": "D", "cosine": "D"}),
        ("L2's answer for both measures", {"l2": "C", "cosine": "C"}),
        ("the two answers swapped", {"l2": "D", "cosine": "C"}),
        ("A itself counted as its own neighbour", {"l2": "A", "cosine": "A"}),
    ]},
    "ex01.q6": {"solution": cosine_similarity(A * [1, 1e-3], B * [1, 1e-3]), "mutants": [
        ("still in litres", cosine_similarity(A, B)),
        ("volume multiplied by 1000 instead of divided", cosine_similarity(A * [1, 1e3], B * [1, 1e3])),
        ("mass converted to grams as well", cosine_similarity(A * [1e3, 1e-3], B * [1e3, 1e-3])),
    ]},
    "ex01.q7": {"solution": pairwise_hamming, "mutants": [
        ("counts agreements instead of differences",
         lambda A_, B_: A_.shape[1] - pairwise_hamming(A_, B_)),
        ("one cross term only: ones of a missing in b", lambda A_, B_: A_ @ (1 - B_).T),
        ("shared ones a . b instead of differences", lambda A_, B_: A_ @ B_.T),
        ("squared norms broadcast along the wrong axis",
         lambda A_, B_: A_.sum(1)[None, :] + B_.sum(1)[:, None] - 2 * A_ @ B_.T),
    ]},
    "ex01.q8": {"solution": most_similar, "mutants": [
        ("ranks by raw dot product: long vectors win", most_similar_dot),
        ("the right rows in no particular order (argpartition without the final sort)", most_similar_unordered),
        ("ascending order: least similar first", most_similar_ascending),
        ("no zero-row guard: nan cosine sorts last", most_similar_nan),
        ("normalises the database rows in place", most_similar_normalises_in_place),
    ]},
}
