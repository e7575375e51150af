"""Checks for ``exercises/19_retrieval_in_practice.ipynb``: BM25, RRF, MaxSim, chunks, storage."""
from __future__ import annotations

import numpy as np

from ..retrieval.bm25 import BM25
from ..retrieval.chunking import chunk_spans
from ..retrieval.fusion import reciprocal_rank_fusion
from ..retrieval.late_interaction import maxsim
from .core import FunctionQuestion, ValueQuestion

DOCS = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat"],
        ["a", "cat", "and", "a", "dog", "and", "a", "cat"], ["bm25", "ranks", "documents"]]

q1 = FunctionQuestion(
    qid="ex19.q1",
    title="Q1 bm25_scores(docs, query, k1, b)",
    name="bm25_scores",
    reference=lambda docs, query, k1, b: BM25(k1, b).fit(docs).get_scores(query),
    cases=[
        ("bm25_scores(DOCS, ['cat'], 1.5, 0.75)", (DOCS, ["cat"], 1.5, 0.75)),
        ("bm25_scores(DOCS, ['cat', 'sat'], 1.2, 0.75)", (DOCS, ["cat", "sat"], 1.2, 0.75)),
        ("bm25_scores(DOCS, ['dog', 'dog', 'zebra'], 1.5, 0.0) (repeats count, unknown words add 0)",
         (DOCS, ["dog", "dog", "zebra"], 1.5, 0.0)),
        ("bm25_scores(DOCS, ['cat', 'a'], 0.5, 1.0) (b = 1: full length normalisation)",
         (DOCS, ["cat", "a"], 0.5, 1.0)),
    ],
    atol=1e-6, rtol=1e-6,
    hint_text="""
        N = len(docs), avgdl = mean document length, df(t) = number of documents containing t,
        idf(t) = log(1 + (N - df + 0.5) / (df + 0.5)). For each query token t (repeats count)
        and each document d with tf = d.count(t):
            idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avgdl))
        Sum over the query's tokens; return an array of one score per document.
    """,
    solution_text="""
        def bm25_scores(docs, query, k1, b):
            N = len(docs)
            avgdl = np.mean([len(d) for d in docs])
            scores = np.zeros(N)
            for t in query:
                df = sum(t in d for d in docs)
                idf = np.log(1 + (N - df + 0.5) / (df + 0.5))
                for i, d in enumerate(docs):
                    tf = d.count(t)
                    scores[i] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avgdl))
            return scores
    """,
)

RANKINGS = [np.array([7, 3, 5, 1]), np.array([3, 9, 7]), np.array([5, 8])]
q2 = FunctionQuestion(
    qid="ex19.q2",
    title="Q2 rrf(rankings, k)",
    name="rrf",
    reference=lambda rankings, k: reciprocal_rank_fusion(rankings, k)[1],
    cases=[
        ("rrf(two lists, k=60)", (RANKINGS[:2], 60)),
        ("rrf(three lists, k=60)", (RANKINGS, 60)),
        ("rrf(three lists, k=0) (plain reciprocal ranks)", (RANKINGS, 0)),
        ("rrf([[4, 2], [2, 4]], 60) (a tie: lower id first)", ([np.array([4, 2]), np.array([2, 4])], 60)),
    ],
    atol=0, rtol=0,
    hint_text="""
        Keep a dict id -> score. For each ranking and each position r = 1, 2, ... add
        1 / (k + r) to the id's score. Then sort the ids by score, highest first, breaking
        ties by the smaller id: sorted(scores, key=lambda i: (-scores[i], i)).
    """,
    solution_text="""
        def rrf(rankings, k=60):
            scores = {}
            for ranking in rankings:
                for r, doc in enumerate(ranking, start=1):
                    scores[int(doc)] = scores.get(int(doc), 0.0) + 1 / (k + r)
            return np.array(sorted(scores, key=lambda i: (-scores[i], i)))
    """,
)

_rng = np.random.default_rng(19)
QT, DT = _rng.standard_normal((3, 8)), _rng.standard_normal((5, 8))
q3 = FunctionQuestion(
    qid="ex19.q3",
    title="Q3 maxsim(Q, D)",
    name="maxsim",
    reference=lambda Q, D: maxsim(Q, D),
    cases=[
        ("maxsim(hand-made 2x2, 3x2)", (np.array([[1.0, 0.0], [0.0, 1.0]]),
                                       np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]))),
        ("maxsim(random 3x8, 5x8)", (QT, DT)),
        ("maxsim(one query token, one document token)", (QT[:1], DT[:1])),
    ],
    atol=1e-6, rtol=1e-6,
    hint_text="""
        All token-to-token dot products in one product: S = Q @ D.T, shape (Lq, Ld). Each
        query token keeps its best document token (the max of its row); add those up.
    """,
    solution_text="""
        def maxsim(Q, D):
            return float((Q @ D.T).max(axis=1).sum())
    """,
)

q4 = FunctionQuestion(
    qid="ex19.q4",
    title="Q4 spans(n_tokens, size, overlap)",
    name="spans",
    reference=lambda n, size, overlap: chunk_spans(n, size, overlap),
    cases=[
        ("spans(10, 4, 0)", (10, 4, 0)),
        ("spans(10, 4, 2)", (10, 4, 2)),
        ("spans(3, 4, 1) (shorter than one chunk)", (3, 4, 1)),
        ("spans(100, 32, 16)", (100, 32, 16)),
    ],
    atol=0, rtol=0,
    hint_text="""
        Start at 0 and step by size - overlap. Each window is (start, min(start + size, n)).
        Stop after the window that reaches n, so no window lies inside the previous one.
    """,
    solution_text="""
        def spans(n_tokens, size, overlap):
            out, start = [], 0
            while start < n_tokens:
                end = min(start + size, n_tokens)
                out.append((start, end))
                if end == n_tokens:
                    break
                start += size - overlap
            return out
    """,
)

q5 = ValueQuestion(
    qid="ex19.q5",
    title="Q5 what late interaction costs",
    name="storage",
    expected={"single_vector_bytes": 384 * 4, "late_interaction_bytes": 120 * 128 * 2,
              "ratio": 120 * 128 * 2 / (384 * 4)},
    hint_text="""
        One float32 number is 4 bytes, one float16 number 2 bytes. A single vector of 384
        dimensions; a late-interaction document keeps one 128-dimension float16 vector per
        token. The ratio is late-interaction bytes over single-vector bytes.
    """,
    solution_text="""
        storage = {"single_vector_bytes": 384 * 4,             # 1,536 B
                   "late_interaction_bytes": 120 * 128 * 2,    # 30,720 B
                   "ratio": 120 * 128 * 2 / (384 * 4)}         # 20x
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5]
