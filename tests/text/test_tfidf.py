"""embedkit.text.tfidf: counts and TF-IDF against scikit-learn, LSA against a dense SVD."""
import numpy as np
import pytest
import scipy.sparse as sp

from embedkit import Vocabulary
from embedkit.text.tfidf import lsa, term_document_matrix, tfidf

DOCS = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat"], ["a", "cat", "and", "a", "dog"],
        ["the", "stock", "market", "fell"], ["market", "prices", "fell", "and", "rose"]]


def test_counts_by_hand():
    vocab = Vocabulary.from_sentences(DOCS)
    X = term_document_matrix(DOCS, vocab).toarray()
    assert X.shape == (5, len(vocab))
    assert X[0, vocab["the"]] == 2 and X[0, vocab["cat"]] == 1 and X[1, vocab["cat"]] == 0
    assert X.sum() == sum(map(len, DOCS))


@pytest.mark.parametrize("smooth,sublinear", [(True, False), (False, False), (True, True)])
def test_tfidf_equals_scikit_learn(smooth, sublinear):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vocab = Vocabulary.from_sentences(DOCS)
    ours, idf = tfidf(term_document_matrix(DOCS, vocab), smooth_idf=smooth, sublinear_tf=sublinear)
    ref = TfidfVectorizer(analyzer=lambda doc: doc, vocabulary=vocab.words, smooth_idf=smooth,
                          sublinear_tf=sublinear)
    np.testing.assert_allclose(ours.toarray(), ref.fit_transform(DOCS).toarray(), atol=1e-12)
    np.testing.assert_allclose(idf, ref.idf_, atol=1e-12)
    # by hand for one cell: tf * idf, then the row scaled to unit length
    n, df = 5, 3                                         # "the" is in documents 0, 1, 3
    assert idf[vocab["the"]] == pytest.approx(np.log((1 + n) / (1 + df)) + 1 if smooth else np.log(n / df) + 1)


def test_lsa_is_the_truncated_svd():
    W = sp.random(40, 30, density=0.3, random_state=1, format="csr")
    docs, terms, S = lsa(W, 5, seed=0)
    U, S_full, Vt = np.linalg.svd(W.toarray(), full_matrices=False)
    np.testing.assert_allclose(S, S_full[:5], rtol=1e-8)
    # the same vectors up to the sign of each component
    np.testing.assert_allclose(np.abs(docs), np.abs(U[:, :5] * S_full[:5]), atol=1e-5)
    np.testing.assert_allclose(np.abs(terms), np.abs(Vt[:5].T * S_full[:5]), atol=1e-5)
    # and together they rebuild the best rank-5 approximation U_5 S_5 V_5^T
    best = (U[:, :5] * S_full[:5]) @ Vt[:5]
    np.testing.assert_allclose(docs @ (terms / S[None, :].astype(np.float32)).T, best, atol=1e-5)


def test_bad_inputs():
    vocab = Vocabulary.from_sentences(DOCS)
    with pytest.raises(TypeError, match="vocab"):
        term_document_matrix(DOCS, ["the"])
    with pytest.raises(ValueError, match="empty"):
        term_document_matrix([], vocab)
    with pytest.raises(ValueError, match="non-negative"):
        tfidf(np.array([[1.0, -1.0]]))
    with pytest.raises(ValueError, match="norm"):
        tfidf(np.ones((2, 2)), norm="l1")
    with pytest.raises(ValueError, match="dim"):
        lsa(np.ones((3, 3)), 3)
