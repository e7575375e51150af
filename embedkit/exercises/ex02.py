"""Checks for ``exercises/02_tokens_to_vectors.ipynb``: vocabulary, one-hot, lookup."""
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
        ("build_vocab(TOY, 2)", (TOY, 2)),
        ("build_vocab([['b', 'a', 'b', 'c', 'a', 'b']], 1)", ([["b", "a", "b", "c", "a", "b"]], 1)),
        ("build_vocab(TOY, 100) (nothing is that frequent)", (TOY, 100)),
    ],
    hint_text="""
        Count every token with collections.Counter (update it with each sentence), keep the
        words with count >= min_count, sort them by (-count, word) so that ties are broken
        alphabetically, and number them 0, 1, 2, ... in that order.
    """,
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
    ],
    atol=0, rtol=0,
    hint_text="""
        Start from np.zeros((len(ids), V)) and set one 1 per row: row i gets its 1 in column
        ids[i]. Fancy indexing does it without a loop: M[np.arange(len(ids)), ids] = 1.
    """,
    solution_text="""
        def one_hot(ids, V):
            M = np.zeros((len(ids), V))
            M[np.arange(len(ids)), ids] = 1.0
            return M
    """,
)

_rng = np.random.default_rng(2)
_E = _rng.standard_normal((6, 4))

q3 = FunctionQuestion(
    qid="ex02.q3",
    title="Q3 lookup_by_matmul(E, ids) == E[ids]",
    name="lookup_by_matmul",
    reference=lambda E, ids: np.asarray(E)[ids],
    cases=[
        ("lookup_by_matmul(E, [3])", (_E, np.array([3]))),
        ("lookup_by_matmul(E, [0, 5, 0])", (_E, np.array([0, 5, 0]))),
    ],
    atol=1e-10, rtol=1e-10,
    hint_text="""
        Build the one-hot matrix of ids (your one_hot from Q2, with V = E.shape[0]) and
        multiply it by E. Row i of the product adds up the rows of E weighted by the
        one-hot row: every weight is 0 except the one on row ids[i].
    """,
    solution_text="""
        def lookup_by_matmul(E, ids):
            return one_hot(ids, E.shape[0]) @ E
    """,
)


def _torch_ref(E, ids):
    return np.asarray(E, dtype=np.float32)[ids]


q4 = FunctionQuestion(
    qid="ex02.q4",
    title="Q4 the same lookup with torch.nn.Embedding",
    name="lookup_with_torch",
    reference=_torch_ref,
    cases=[("lookup_with_torch(E, [1, 4, 4])", (_E, np.array([1, 4, 4])))],
    atol=1e-6, rtol=1e-6,
    hint_text="""
        torch.nn.Embedding.from_pretrained(torch.tensor(E, dtype=torch.float32)) builds a
        layer whose weight is E. Call it on torch.tensor(ids) and convert the result back
        with .detach().numpy().
    """,
    solution_text="""
        import torch

        def lookup_with_torch(E, ids):
            layer = torch.nn.Embedding.from_pretrained(torch.tensor(E, dtype=torch.float32))
            return layer(torch.tensor(ids)).detach().numpy()
    """,
)

q5 = ValueQuestion(
    qid="ex02.q5",
    title="Q5 cosine similarities of one-hot vectors",
    name="one_hot_cosines",
    expected={"king-queen": 0.0, "king-people": 0.0, "king-king": 1.0},
    hint_text="""
        Two different one-hot vectors have their single 1 in different positions, so their
        dot product is 0; each has length 1. What does that make every cosine?
    """,
    solution_text="""
        one_hot_cosines = {"king-queen": 0.0, "king-people": 0.0, "king-king": 1.0}
        # every pair of distinct words is exactly orthogonal: one-hot vectors carry no
        # notion of similarity at all.
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5]
