"""BM25: hand-computed scores, the inverted index, and equality with bm25s on the articles."""
import math

import numpy as np
import pytest

import embedkit as ek
from embedkit.retrieval.bm25 import BM25

DOCS = [["the", "cat", "sat"], ["the", "dog", "sat", "sat"], ["a", "cat", "and", "a", "cat"]]


def test_hand_computed_score():
    k1, b = 1.2, 0.75
    bm = BM25(k1, b).fit(DOCS)
    avgdl = (3 + 4 + 5) / 3
    # "cat": df = 2 of N = 3 documents; in doc 2 it occurs twice in 5 tokens
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    expected = idf * 2 * (k1 + 1) / (2 + k1 * (1 - b + b * 5 / avgdl))
    assert bm.get_scores(["cat"])[2] == pytest.approx(expected, rel=1e-12)
    assert bm.get_scores(["cat"])[1] == 0.0
    # a query term counts once per occurrence; unknown terms add nothing
    assert np.allclose(bm.get_scores(["cat", "cat", "zebra"]), 2 * bm.get_scores(["cat"]))


def test_saturation_length_and_idf_variants():
    bm = BM25(1.5, 0.0).fit([["x"] * n + ["pad"] for n in (1, 2, 10, 100)])
    s = bm.get_scores(["x"])
    assert np.all(np.diff(s) > 0) and s[3] < (1.5 + 1) * bm.idf_[bm.vocabulary["x"]]   # bounded by (k1+1) idf
    long_short = BM25(1.5, 1.0).fit([["x", "y"], ["x"] + ["y"] * 20]).get_scores(["x"])
    assert long_short[0] > long_short[1]                                              # b = 1: length penalised
    common = BM25(idf="robertson").fit([["x", "a"], ["x", "b"], ["x", "c"]])
    assert common.idf_[common.vocabulary["x"]] < 0                                     # classic idf goes negative
    assert BM25().fit([["x", "a"], ["x", "b"], ["x", "c"]]).idf_.min() > 0
    scaled = BM25(1.5, 0.75).fit(DOCS).get_scores(["cat", "sat"])
    plain = BM25(1.5, 0.75, scale_by_k1_plus_1=False).fit(DOCS).get_scores(["cat", "sat"])
    assert np.allclose(scaled, 2.5 * plain)


def test_inverted_index_and_search():
    bm = BM25().fit(DOCS)
    assert bm.weights.shape == (len(bm.vocabulary), 3)
    assert bm.weights[bm.vocabulary["dog"]].nnz == 1                 # the posting list of "dog"
    D, I = bm.search([["cat"], ["dog", "sat"], ["zebra"]], k=3)
    assert I[0].tolist() == [2, 0, -1] and np.isneginf(D[0, 2])       # doc 1 has no "cat"
    assert I[1, 0] == 1
    assert (I[2] == -1).all()
    full = np.stack([bm.get_scores(q) for q in (["cat"], ["dog", "sat"])])
    assert np.allclose(D[:2][I[:2] >= 0], np.take_along_axis(full, np.maximum(I[:2], 0), 1)[I[:2] >= 0], rtol=1e-6)


def test_ties_keep_the_lower_id():
    bm = BM25().fit([["a", "b"], ["a", "b"], ["a", "b"], ["c"]])
    assert bm.search([["a"]], 3)[1].tolist() == [[0, 1, 2]]


def test_bad_input():
    with pytest.raises(ValueError, match="not fitted"):
        BM25().get_scores(["a"])
    with pytest.raises(TypeError, match="token lists"):
        BM25().fit(["a whole string", "another"])
    with pytest.raises(TypeError, match="token lists"):
        BM25().fit("text")
    with pytest.raises(ValueError, match="empty"):
        BM25().fit([])
    with pytest.raises(ValueError, match="b must be <= 1"):
        BM25(b=1.5)
    with pytest.raises(ValueError, match="k must be <= 3"):
        BM25().fit(DOCS).search([["cat"]], k=4)
    with pytest.raises(TypeError, match="query_tokens"):
        BM25().fit(DOCS).get_scores("cat")
    with pytest.raises(ValueError, match="idf"):
        BM25(idf="bm25+")


@pytest.fixture(scope="module")
def articles_tokens():
    from embedkit.datasets import load_wiki_articles

    return [ek.tokenize(t) for t in load_wiki_articles().texts]


def test_equals_bm25s_on_the_article_collection(articles_tokens):
    """The scores equal the bm25s reference (Lucene variant) to 1e-6 on all 10,033 articles."""
    bm25s = pytest.importorskip("bm25s")
    ref = bm25s.BM25(k1=1.5, b=0.75, method="lucene", dtype="float64")
    ref.index(articles_tokens, show_progress=False)
    ours = BM25(1.5, 0.75, scale_by_k1_plus_1=False).fit(articles_tokens)   # Lucene drops (k1 + 1)
    rng = np.random.default_rng(0)
    queries = [articles_tokens[i][:12] for i in rng.choice(len(articles_tokens), 25, replace=False)]
    queries += [["einstein", "relativity"], ["the", "the", "of"], ["1755", "lisbon", "earthquake"]]
    for q in queries:
        np.testing.assert_allclose(ours.get_scores(q), ref.get_scores(q), rtol=1e-6, atol=1e-6)
    # and the top 10 of search() is the reference's ranking
    D, I = ours.search(queries, 10)
    for q, d_row in zip(queries, D):
        assert np.allclose(np.sort(ref.get_scores(q))[::-1][:10], d_row, rtol=1e-5)


def test_set_params_equals_a_fresh_fit():
    bm = BM25(1.5, 0.75).fit(DOCS).set_params(k1=0.9, b=0.3)
    fresh = BM25(0.9, 0.3).fit(DOCS)
    assert np.allclose(bm.get_scores(["cat", "dog"]), fresh.get_scores(["cat", "dog"]))
    with pytest.raises(ValueError, match="not fitted"):
        BM25().set_params(k1=1.0)
    robertson = BM25(idf="robertson").fit([["x", "a"], ["x", "b"], ["x", "c"], ["y"]])
    D, I = robertson.search([["x"]], 4)                                  # negative scores still match
    assert sorted(I[0, :3].tolist()) == [0, 1, 2] and I[0, 3] == -1
