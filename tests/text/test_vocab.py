"""embedkit.text.vocab: ids, counts, subsampling and the noise distribution."""
import numpy as np
import pytest

from embedkit import Vocabulary

SENTENCES = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat"], ["a", "cat"]]


# -- tier 1: hand-computed ------------------------------------------------------------
def test_ids_follow_descending_count_then_alphabet():
    v = Vocabulary.from_sentences(SENTENCES)
    assert v.words == ["the", "cat", "sat", "a", "dog", "mat", "on"]
    assert v.counts.tolist() == [3, 2, 2, 1, 1, 1, 1]
    assert v["the"] == 0 and v.total == 11 and len(v) == 7 and "cat" in v and "cow" not in v


def test_min_count_and_max_size():
    v = Vocabulary.from_sentences(SENTENCES, min_count=2)
    assert v.words == ["the", "cat", "sat"]
    assert Vocabulary.from_sentences(SENTENCES, max_size=2).words == ["the", "cat"]


def test_encode_decode():
    v = Vocabulary.from_sentences(SENTENCES, min_count=2)
    np.testing.assert_array_equal(v.encode(["the", "cow", "sat"]), [0, 2])     # cow dropped
    assert v.decode([2, 0]) == ["sat", "the"]
    ids, offsets = v.encode_sentences(SENTENCES)
    np.testing.assert_array_equal(ids, [0, 1, 2, 0, 0, 2, 1])
    np.testing.assert_array_equal(offsets, [0, 4, 6, 7])


def test_keep_probabilities_match_word2vec_formula():
    v = Vocabulary(["a", "b"], [900, 100])
    t = 0.01
    keep = v.keep_probabilities(t)
    f = np.array([0.9, 0.1])
    np.testing.assert_allclose(keep, np.minimum(1, (np.sqrt(f / t) + 1) * t / f))
    assert keep[0] == pytest.approx((np.sqrt(90) + 1) / 90)
    np.testing.assert_array_equal(v.keep_probabilities(0), [1, 1])


def test_noise_distribution_and_table():
    v = Vocabulary(["a", "b", "c"], [16, 1, 81])
    p = v.noise_distribution(0.75)
    expected = np.array([27, 8, 1]) / 36.0          # 81^.75 = 27, 16^.75 = 8, 1^.75 = 1
    np.testing.assert_allclose(p, expected)
    table = v.noise_table(size=3600)
    np.testing.assert_array_equal(np.bincount(table), [2700, 800, 100])
    assert len(v.noise_table(size=1000)) == 1000


# -- tier 2: invariants ---------------------------------------------------------------
def test_noise_is_flatter_than_unigram_and_sampling_agrees():
    rng = np.random.default_rng(0)
    counts = rng.integers(1, 10_000, size=50)
    v = Vocabulary([f"w{i}" for i in range(50)], counts)
    p, f = v.noise_distribution(), v.frequencies()
    assert p[0] < f[0] and p[-1] > f[-1]            # frequent words lose share, rare gain
    draws = v.sample_negatives(200_000, seed=1)
    np.testing.assert_allclose(np.bincount(draws, minlength=50) / 200_000, p, atol=3e-3)


def test_corpus_fast_path_equals_token_lists():
    from embedkit.datasets.text import Corpus
    words = ["x", "the", "cat", "sat", "on", "mat", "dog", "a"]
    index = {w: i for i, w in enumerate(words)}
    ids = [index[t] for s in SENTENCES for t in s]
    corpus = Corpus(ids, np.cumsum([0] + [len(s) for s in SENTENCES]), words)
    a, b = Vocabulary.from_sentences(corpus, min_count=2), Vocabulary.from_sentences(SENTENCES, min_count=2)
    assert a.words == b.words and a.counts.tolist() == b.counts.tolist()
    for x, y in zip(a.encode_sentences(corpus), b.encode_sentences(SENTENCES)):
        np.testing.assert_array_equal(x, y)


# -- bad input ------------------------------------------------------------------------
def test_errors():
    v = Vocabulary.from_sentences(SENTENCES)
    with pytest.raises(KeyError, match="'unicorn'"):
        v["unicorn"]
    with pytest.raises(KeyError, match="'unicorn'"):
        v.encode(["the", "unicorn"], unknown="error")
    with pytest.raises(ValueError, match="unknown"):
        v.encode(["the"], unknown="ignore")
    with pytest.raises(ValueError, match="empty"):
        Vocabulary.from_sentences([])
    with pytest.raises(ValueError, match="min_count=5"):
        Vocabulary.from_sentences(SENTENCES, min_count=5)
    with pytest.raises(ValueError, match="min_count"):
        Vocabulary.from_sentences(SENTENCES, min_count=0)
    with pytest.raises(TypeError, match="sentences"):
        Vocabulary.from_sentences("the cat sat")
    with pytest.raises(TypeError, match="token lists"):
        Vocabulary.from_sentences(["the cat", "sat"])
    with pytest.raises(ValueError, match="ids"):
        v.decode([0, 99])
    with pytest.raises(ValueError, match="sample"):
        v.keep_probabilities(-1)
    with pytest.raises(ValueError, match="same length"):
        Vocabulary(["a", "b"], [1])
    with pytest.raises(ValueError, match="unique"):
        Vocabulary(["a", "a"], [1, 2])
