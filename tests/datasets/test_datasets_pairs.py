"""Sentence pairs built from the Wikipedia summaries (notebook 09)."""
import numpy as np
import pytest

from embedkit.datasets import SentencePairs, load_sentence_pairs


@pytest.fixture(scope="module")
def pairs():
    return load_sentence_pairs()


def test_pairs_are_aligned_and_labelled(pairs):
    assert isinstance(pairs, SentencePairs) and len(pairs) > 8000
    assert len(pairs.queries) == len(pairs.documents) == len(pairs.titles) == len(pairs.topics)
    assert "Uncategorized" not in pairs.topic_names and len(pairs.topic_names) == 11
    assert pairs.topics.min() >= 0 and pairs.topics.max() < len(pairs.topic_names)
    # query and document come from the same article and never overlap
    for q, d in zip(pairs.queries[:200], pairs.documents[:200]):
        assert q and d and q != d and q not in d
    assert len(set(pairs.titles)) == len(pairs.titles)


def test_shuffle_is_seeded_and_subset_keeps_alignment(pairs):
    again = load_sentence_pairs()
    assert again.titles[:50] == pairs.titles[:50]
    other = load_sentence_pairs(seed=1)
    assert other.titles[:50] != pairs.titles[:50]
    assert sorted(other.titles) == sorted(pairs.titles)
    part = pairs.subset(np.array([5, 2]))
    assert part.titles == [pairs.titles[5], pairs.titles[2]]
    assert part.documents[1] == pairs.documents[2] and part.topics.tolist() == pairs.topics[[5, 2]].tolist()


def test_longer_documents_and_bad_input():
    long = load_sentence_pairs(max_doc_sentences=4)
    short = load_sentence_pairs(max_doc_sentences=1)
    assert np.mean([len(d) for d in long.documents]) > np.mean([len(d) for d in short.documents])
    with pytest.raises(ValueError, match="max_doc_sentences"):
        load_sentence_pairs(max_doc_sentences=0)
