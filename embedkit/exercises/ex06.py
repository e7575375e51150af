"""Checks for ``exercises/06_subword_embeddings.ipynb``: n-grams, FNV-1a, OOV vectors."""
from __future__ import annotations

import numpy as np

from ..text.subword import SubwordVectors, char_ngrams, ngram_bucket
from .core import FunctionQuestion, ValueQuestion

BUCKET = 97
_rng = np.random.default_rng(6)
TABLE = _rng.normal(size=(BUCKET, 4)).astype(np.float32)     # one vector per bucket


def _oov_ref(word, table, min_n, max_n):
    # An all-buckets SubwordVectors with a dummy vocabulary word: sv[word] for an OOV word.
    sv = SubwordVectors(["\x00"], np.zeros((1, table.shape[1])), table, np.arange(len(table)),
                        min_n=min_n, max_n=max_n, bucket=len(table))
    return sv[word]


q1 = FunctionQuestion(
    qid="ex06.q1",
    title="Q1 ngrams(word, min_n, max_n): fastText's character n-grams",
    name="ngrams",
    reference=lambda w, a, b: set(char_ngrams(w, a, b, whole_word=False)),
    cases=[
        ('ngrams("where", 3, 3)', ("where", 3, 3)),
        ('ngrams("where", 3, 6)', ("where", 3, 6)),
        ('ngrams("a", 3, 6)', ("a", 3, 6)),
        ('ngrams("cat", 2, 4)', ("cat", 2, 4)),
    ],
    hint_text="""
        Wrap the word first: marked = "<" + word + ">". Then for every length n from min_n
        to max_n, every start i with i + n <= len(marked): marked[i:i + n]. "<a>" itself is
        an n-gram of "a" (length 3).
    """,
    solution_text="""
        def ngrams(word, min_n, max_n):
            marked = "<" + word + ">"
            return [marked[i:i + n] for n in range(min_n, max_n + 1)
                    for i in range(len(marked) - n + 1)]
    """,
)

q2 = FunctionQuestion(
    qid="ex06.q2",
    title="Q2 fnv1a(text): fastText's 32-bit hash",
    name="fnv1a",
    reference=lambda t: ngram_bucket(t, 2 ** 32),
    cases=[('fnv1a("a")', ("a",)), ('fnv1a("<wh")', ("<wh",)), ('fnv1a("where>")', ("where>",)),
           ('fnv1a("café") (non-ASCII)', ("café",))],
    atol=0, rtol=0,
    hint_text="""
        h = 2166136261; for each byte of text.encode("utf-8"): h = h XOR byte, then
        h = (h * 16777619) mod 2**32. fastText reads bytes as signed chars: a byte b >= 128
        becomes (b - 256) & 0xFFFFFFFF before the XOR (that is what "café" tests).
    """,
    solution_text="""
        def fnv1a(text):
            h = 2166136261
            for b in text.encode("utf-8"):
                if b >= 128:
                    b = (b - 256) & 0xFFFFFFFF
                h = ((h ^ b) * 16777619) & 0xFFFFFFFF
            return h
    """,
)

q3 = FunctionQuestion(
    qid="ex06.q3",
    title="Q3 oov_vector(word, table, min_n, max_n): the mean of the n-gram vectors",
    name="oov_vector",
    reference=_oov_ref,
    cases=[('oov_vector("cats", TABLE, 3, 4)', ("cats", TABLE, 3, 4)),
           ('oov_vector("presidnt", TABLE, 3, 6)', ("presidnt", TABLE, 3, 6)),
           ('oov_vector("a", TABLE, 3, 6)', ("a", TABLE, 3, 6))],
    atol=1e-5, rtol=1e-5,
    hint_text="""
        For each n-gram g of the word (your Q1 function), its row is fnv1a(g) % len(table)
        (your Q2 function); the vector is the mean of those rows, duplicates included.
    """,
    solution_text="""
        def oov_vector(word, table, min_n, max_n):
            rows = [fnv1a(g) % len(table) for g in ngrams(word, min_n, max_n)]
            return table[rows].mean(axis=0)
    """,
)

q4 = ValueQuestion(
    qid="ex06.q4",
    title="Q4 how many n-grams (n = 3..6) does 'embedding' have?",
    name="n_ngrams_embedding",
    expected=len(char_ngrams("embedding", 3, 6, whole_word=False)),
    hint_text="""
        "<embedding>" has 11 characters; it has 11 - n + 1 substrings of length n.
    """,
    solution_text="""
        n_ngrams_embedding = sum(11 - n + 1 for n in range(3, 7))   # 9 + 8 + 7 + 6 = 30
    """,
)

QUESTIONS = [q1, q2, q3, q4]
