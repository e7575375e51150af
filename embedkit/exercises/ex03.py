"""Checks for ``exercises/03_count_based_embeddings.ipynb``: counts, PPMI, truncated SVD."""
from __future__ import annotations

import numpy as np

from ..text.cooccurrence import cooccurrence_matrix, ppmi
from ..text.vocab import Vocabulary
from .core import FunctionQuestion, ValueQuestion

TOY = [["the", "cat", "drinks", "milk"], ["the", "dog", "drinks", "water"],
       ["a", "cat", "chases", "a", "dog"], ["the", "cat", "eats", "fish"]]


def _counts_ref(sentences, window):
    vocab = Vocabulary.from_sentences(sentences)
    return cooccurrence_matrix(sentences, vocab, window=window).toarray()


q1 = FunctionQuestion(
    qid="ex03.q1",
    title="Q1 cooccurrence_counts(sentences, window)",
    name="cooccurrence_counts",
    reference=_counts_ref,
    cases=[
        ("cooccurrence_counts(TOY, 1)", (TOY, 1)),
        ("cooccurrence_counts(TOY, 2)", (TOY, 2)),
        ("cooccurrence_counts([['x', 'y', 'x']], 2)", ([["x", "y", "x"]], 2)),
    ],
    atol=0, rtol=0,
    hint_text="""
        Number the words with ek.Vocabulary.from_sentences(sentences) (rows and columns in
        that order). Then, inside each sentence, for every position i and every j != i with
        |i - j| <= window, add 1 to X[id(sentence[i]), id(sentence[j])]. Windows never
        cross from one sentence into the next.
    """,
    solution_text="""
        def cooccurrence_counts(sentences, window):
            vocab = ek.Vocabulary.from_sentences(sentences)
            X = np.zeros((len(vocab), len(vocab)))
            for sentence in sentences:
                ids = [vocab[w] for w in sentence]
                for i, a in enumerate(ids):
                    for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                        if j != i:
                            X[a, ids[j]] += 1
            return X
    """,
)

_X = _counts_ref(TOY, 2)

q2 = FunctionQuestion(
    qid="ex03.q2",
    title="Q2 ppmi_dense(X)",
    name="ppmi_dense",
    reference=lambda X: ppmi(X).toarray(),
    cases=[
        ("ppmi_dense(X) for TOY with window 2", (_X,)),
        ("ppmi_dense([[0, 2], [2, 4]])", (np.array([[0.0, 2.0], [2.0, 4.0]]),)),
        ("ppmi_dense(3x3 counts with an empty cell)", (np.array([[4.0, 1.0, 0.0], [1.0, 2.0, 3.0], [0.0, 3.0, 6.0]]),)),
    ],
    atol=1e-8, rtol=1e-8,
    hint_text="""
        P = X / X.sum(); P(w) = P.sum(axis=1), P(c) = P.sum(axis=0);
        PMI = log(P / (P(w)[:, None] * P(c)[None, :])). A zero count gives log(0) = -inf:
        compute inside `with np.errstate(divide="ignore"):` and then PPMI = max(PMI, 0)
        turns every -inf into 0.
    """,
    solution_text="""
        def ppmi_dense(X):
            P = X / X.sum()
            p_w = P.sum(axis=1, keepdims=True)
            p_c = P.sum(axis=0, keepdims=True)
            with np.errstate(divide="ignore"):
                pmi = np.log(P / (p_w * p_c))
            return np.maximum(pmi, 0.0)
    """,
)


def _low_rank_ref(M, k):
    U, S, Vt = np.linalg.svd(np.asarray(M, dtype=np.float64), full_matrices=False)
    return (U[:, :k] * S[:k]) @ Vt[:k]


_rng = np.random.default_rng(3)
q3 = FunctionQuestion(
    qid="ex03.q3",
    title="Q3 low_rank(M, k): the best rank-k approximation",
    name="low_rank",
    reference=_low_rank_ref,
    cases=[
        ("low_rank(PPMI of TOY, 2)", (ppmi(_X).toarray(), 2)),
        ("low_rank(random 6x4, 1)", (_rng.standard_normal((6, 4)), 1)),
        ("low_rank(random 5x5, 5) (full rank: M itself)", (_rng.standard_normal((5, 5)), 5)),
    ],
    atol=1e-8, rtol=1e-6,
    hint_text="""
        U, S, Vt = np.linalg.svd(M, full_matrices=False) gives M = U @ diag(S) @ Vt with the
        singular values S sorted from largest to smallest. Keep the first k of each:
        U[:, :k], S[:k], Vt[:k]. (Unlike the singular vectors, whose signs are arbitrary,
        this product is unique: that is why the check asks for it.)
    """,
    solution_text="""
        def low_rank(M, k):
            U, S, Vt = np.linalg.svd(M, full_matrices=False)
            return (U[:, :k] * S[:k]) @ Vt[:k]
    """,
)

_P = np.array([[10.0, 0.0], [0.0, 30.0]])
q4 = ValueQuestion(
    qid="ex03.q4",
    title="Q4 PMI by hand",
    name="pmi_by_hand",
    expected={"w0-c0": float(np.log(0.25 / (0.25 * 0.25))), "w1-c1": float(np.log(0.75 / (0.75 * 0.75)))},
    hint_text="""
        The table has 40 co-occurrences: P(w0, c0) = 10/40, P(w0) = 10/40, P(c0) = 10/40.
        PMI = log(P(w, c) / (P(w) P(c))), natural log.
    """,
    solution_text="""
        pmi_by_hand = {"w0-c0": np.log(4), "w1-c1": np.log(4 / 3)}
        # the rarer pair gets the larger PMI: PMI rewards surprise, which is why rare
        # events dominate it (and why PPMI smooths the context distribution, alpha=0.75).
    """,
)

QUESTIONS = [q1, q2, q3, q4]
