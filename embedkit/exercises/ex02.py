"""Checks for ``exercises/02_tokens_to_vectors.ipynb``: vocabulary, one-hot, the gradient
of a lookup, Zipf's exponent."""
from __future__ import annotations

import numpy as np

from ..text.vocab import Vocabulary
from .core import FunctionQuestion, ValueQuestion

TOY = [["the", "king", "spoke", "to", "the", "queen"],
       ["the", "queen", "spoke", "to", "the", "people"],
       ["a", "king", "and", "a", "queen"]]


def _vocab_ref(sentences, min_count):
    try:
        return dict(Vocabulary.from_sentences(sentences, min_count=min_count).index)
    except ValueError:          # nothing reaches min_count: an empty vocabulary
        return {}


q1 = FunctionQuestion(
    qid="ex02.q1",
    title="Q1 build_vocab(sentences, min_count)",
    name="build_vocab",
    reference=_vocab_ref,
    cases=[
        ("build_vocab(TOY, 1)", (TOY, 1)),
        ("build_vocab(TOY, 2) (words seen exactly twice are kept)", (TOY, 2)),
        ("build_vocab([['b', 'a', 'b', 'c', 'a', 'b']], 1)", ([["b", "a", "b", "c", "a", "b"]], 1)),
        ("build_vocab(TOY, 100) (nothing is that frequent)", (TOY, 100)),
    ],
    keep_inputs=True,
    hint_text=[
        """
        Count every token with collections.Counter (update it with each sentence), keep the
        words with count >= min_count, and number them 0, 1, 2, ... from the most frequent.
        """,
        """
        Counter.most_common breaks ties by first appearance, not alphabetically: sort the
        kept words yourself with the key (-count, word).
        """,
        """
        kept = sorted((w for w in counts if counts[w] >= min_count), key=lambda w: (-counts[w], w))
        return {w: i for i, w in enumerate(kept)}
        """,
    ],
    solution_text="""
        from collections import Counter

        def build_vocab(sentences, min_count):
            counts = Counter()
            for sentence in sentences:
                counts.update(sentence)
            kept = [w for w in counts if counts[w] >= min_count]
            kept.sort(key=lambda w: (-counts[w], w))
            return {w: i for i, w in enumerate(kept)}
    """,
)


def _one_hot_ref(ids, V):
    out = np.zeros((len(ids), V))
    out[np.arange(len(ids)), ids] = 1.0
    return out


q2 = FunctionQuestion(
    qid="ex02.q2",
    title="Q2 one_hot(ids, V)",
    name="one_hot",
    reference=_one_hot_ref,
    cases=[
        ("one_hot([0, 2], 3)", (np.array([0, 2]), 3)),
        ("one_hot([1, 1, 4], 5) (a repeated id)", (np.array([1, 1, 4]), 5)),
        ("one_hot([6], 7) (the last id)", (np.array([6]), 7)),
        ("one_hot([3, 0], 6) (more columns than rows)", (np.array([3, 0]), 6)),
    ],
    atol=0, rtol=0,
    hint_text=[
        """
        Start from np.zeros((len(ids), V)) and set one 1 per row: row i gets its 1 in column
        ids[i].
        """,
        """
        Fancy indexing does it without a loop: M[np.arange(len(ids)), ids] = 1. (M[ids] = 1
        would fill whole rows.)
        """,
    ],
    solution_text="""
        def one_hot(ids, V):
            M = np.zeros((len(ids), V))
            M[np.arange(len(ids)), ids] = 1.0
            return M
    """,
)


# -- Q3: the gradient of an embedding lookup (a derivation) -------------------------------
def _lookup_grad_ref(ids, upstream, V):
    grad = np.zeros((V, np.asarray(upstream).shape[1]))
    np.add.at(grad, np.asarray(ids), np.asarray(upstream, dtype=np.float64))
    return grad


_rng = np.random.default_rng(2)
_ids_big = _rng.integers(0, 50, 500)
q3 = FunctionQuestion(
    qid="ex02.q3",
    title="Q3 lookup_grad(ids, upstream, V): dL/dE for the lookup E[ids]",
    name="lookup_grad",
    reference=_lookup_grad_ref,
    cases=[
        ("lookup_grad([0, 2], 2 x 3 upstream, V=4)", (np.array([0, 2]), np.arange(6.0).reshape(2, 3), 4)),
        ("lookup_grad([1, 1, 4, 1], 4 x 2 upstream, V=5) (a repeated id)",
         (np.array([1, 1, 4, 1]), np.array([[1.0, 2.0], [10.0, 20.0], [3.0, 3.0], [100.0, 200.0]]), 5)),
        ("lookup_grad([4], 1 x 2 upstream, V=5) (the last row)", (np.array([4]), np.array([[-1.0, 0.5]]), 5)),
        ("lookup_grad(500 ids among 50, random upstream)", (_ids_big, _rng.standard_normal((500, 8)), 50)),
    ],
    atol=1e-10, rtol=1e-10,
    keep_inputs=True,
    hint_text=[
        """
        Write the lookup as a product: out = H @ E with H = one_hot(ids, V), shape (n, V).
        For a matrix product, dL/dE = H.T @ dL/d(out): what does H.T do to the rows of
        `upstream`?
        """,
        """
        Row v of H.T @ upstream is the SUM of the upstream rows of every position where
        ids == v: a word used twice gets both gradients, a word not used gets zeros.
        grad[ids] += upstream does not add duplicates (numpy writes each index once).
        """,
        """
        grad = np.zeros((V, upstream.shape[1]))
        np.add.at(grad, ids, upstream)      # or one_hot(ids, V).T @ upstream
        return grad
        """,
    ],
    solution_text="""
        def lookup_grad(ids, upstream, V):
            grad = np.zeros((V, upstream.shape[1]))
            np.add.at(grad, ids, upstream)     # repeated ids accumulate: H.T @ upstream
            return grad
    """,
)


# -- Q4: Zipf's exponent, fitted (an experiment) ------------------------------------------
def _zipf_ref(counts):
    c = np.sort(np.asarray(counts, dtype=np.float64))[::-1]
    ranks = np.arange(1, len(c) + 1)
    slope = np.polyfit(np.log(ranks), np.log(c), 1)[0]
    return float(-slope)


_perm = np.random.default_rng(3).permutation(400)
_exact_zipf = np.round(100_000 / np.arange(1, 401))[_perm]
_half_zipf = np.round(10_000 * np.arange(1, 401) ** -0.5)[_perm]
_noisy = np.random.default_rng(4).poisson(5000 / np.arange(1, 2001) ** 1.2) + 1
q4 = FunctionQuestion(
    qid="ex02.q4",
    title="Q4 zipf_exponent(counts): the slope of log count against log rank",
    name="zipf_exponent",
    reference=_zipf_ref,
    cases=[
        ("zipf_exponent(100000 / r for r = 1..400, shuffled)", (_exact_zipf,)),
        ("zipf_exponent(10000 / sqrt(r), shuffled)", (_half_zipf,)),
        ("zipf_exponent(2000 noisy Zipf counts with s = 1.2)", (_noisy,)),
    ],
    atol=1e-6, rtol=1e-6,
    keep_inputs=True,
    hint_text=[
        """
        Zipf's law c(r) = C / r**s is a straight line on log-log axes:
        log c = log C - s log r. Fit that line by least squares and return s (a positive
        number for a falling curve).
        """,
        """
        The counts come in any order: sort them in decreasing order first, so that rank 1 is
        the most frequent. Ranks start at 1 (log 0 is -inf). np.polyfit(x, y, 1) returns
        (slope, intercept); use the same logarithm on both axes.
        """,
        """
        c = np.sort(counts)[::-1]
        slope = np.polyfit(np.log(np.arange(1, len(c) + 1)), np.log(c), 1)[0]
        return -slope
        """,
    ],
    solution_text="""
        def zipf_exponent(counts):
            c = np.sort(np.asarray(counts, dtype=float))[::-1]      # rank 1 = most frequent
            ranks = np.arange(1, len(c) + 1)
            slope, _ = np.polyfit(np.log(ranks), np.log(c), 1)
            return float(-slope)
    """,
)

q5 = ValueQuestion(
    qid="ex02.q5",
    title="Q5 cosine similarities of one-hot vectors",
    name="one_hot_cosines",
    expected={"king-queen": 0.0, "king-people": 0.0, "king-king": 1.0},
    hint_text=[
        """
        Two different one-hot vectors have their single 1 in different positions. What is
        their dot product? What is the length of each?
        """,
        "Every dot product of two different one-hot vectors is 0, and each has length 1.",
    ],
    solution_text="""
        one_hot_cosines = {"king-queen": 0.0, "king-people": 0.0, "king-king": 1.0}
        # every pair of distinct words is exactly orthogonal: one-hot vectors carry no
        # notion of similarity at all.
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5]
