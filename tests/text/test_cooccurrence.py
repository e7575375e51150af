"""embedkit.text.cooccurrence: counts vs a direct loop, PPMI vs the numpy formula, SVD vs numpy."""
import numpy as np
import pytest
import scipy.sparse as sp

from embedkit import Vocabulary, cooccurrence_matrix, ppmi, svd_embeddings

TOY = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat", "on", "the", "log"],
       ["a", "cat", "and", "a", "dog"], ["cats", "and", "dogs"]]


def loop_counts(sentences, vocab, window, weight=lambda k: 1.0):
    """The definition, one pair at a time (windows close over out-of-vocabulary tokens)."""
    X = np.zeros((len(vocab), len(vocab)))
    for s in sentences:
        ids = [vocab.index[t] for t in s if t in vocab]
        for i, a in enumerate(ids):
            for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                if j != i:
                    X[a, ids[j]] += weight(abs(i - j))
    return X


# -- tier 1: tiny, by hand --------------------------------------------------------------
def test_hand_counted_window_1():
    v = Vocabulary.from_sentences([["a", "b", "a"]])           # ids: a=0, b=1
    X = cooccurrence_matrix([["a", "b", "a"]], v, window=1).toarray()
    np.testing.assert_array_equal(X, [[0, 2], [2, 0]])
    X2 = cooccurrence_matrix([["a", "b", "a"]], v, window=2).toarray()
    np.testing.assert_array_equal(X2, [[2, 2], [2, 0]])        # a..a at distance 2, both ways


def test_windows_stop_at_sentence_ends():
    v = Vocabulary.from_sentences([["a", "b"], ["c"]])
    X = cooccurrence_matrix([["a", "b"], ["c"]], v, window=3).toarray()
    assert X[v["b"], v["c"]] == 0 and X[v["a"], v["b"]] == 1


# -- tier 3: the vectorised count equals the loop --------------------------------------------
@pytest.mark.parametrize("window", [1, 2, 4])
@pytest.mark.parametrize("weighting", ["uniform", "harmonic", "linear"])
def test_matches_loop(window, weighting):
    v = Vocabulary.from_sentences(TOY, min_count=1, max_size=9)   # some words out of vocabulary
    weight = {"uniform": lambda k: 1.0, "harmonic": lambda k: 1.0 / k,
              "linear": lambda k: (window - k + 1) / window}[weighting]
    X = cooccurrence_matrix(TOY, v, window=window, weighting=weighting, chunk_tokens=3)
    assert sp.issparse(X) and X.shape == (9, 9)
    np.testing.assert_allclose(X.toarray(), loop_counts(TOY, v, window, weight))
    np.testing.assert_allclose(X.toarray(), X.toarray().T)


def dense_ppmi(X, alpha=1.0, shift=1.0):
    P = X / X.sum()
    pw = P.sum(1, keepdims=True)
    pc = X.sum(0) ** alpha
    pc = pc / pc.sum()
    with np.errstate(divide="ignore"):
        pmi = np.log(P / (pw * pc[None, :])) - np.log(shift)
    return np.maximum(pmi, 0)


@pytest.mark.parametrize("alpha,shift", [(1.0, 1.0), (0.75, 1.0), (1.0, 5.0)])
def test_ppmi_matches_numpy_formula(alpha, shift):
    v = Vocabulary.from_sentences(TOY)
    X = cooccurrence_matrix(TOY, v, window=2)
    M = ppmi(X, alpha=alpha, shift=shift)
    np.testing.assert_allclose(M.toarray(), dense_ppmi(X.toarray(), alpha, shift), atol=1e-12)
    assert (M.data > 0).all()                                  # only positive cells stored
    np.testing.assert_allclose(ppmi(X.toarray()).toarray(), ppmi(X).toarray())  # dense input


def test_ppmi_hand_value():
    X = np.array([[0.0, 2.0], [2.0, 4.0]])
    # P(0,1) = 2/8, P(w=0) = 2/8, P(c=1) = 6/8 -> PMI = log(0.25 / (0.25 * 0.75)) = log(4/3)
    assert ppmi(X).toarray()[0, 1] == pytest.approx(np.log(4 / 3))
    assert ppmi(X).toarray()[1, 1] == 0.0                     # log(0.5 / (0.75 * 0.75)) < 0


def test_svd_matches_numpy():
    M = sp.random(60, 40, density=0.3, random_state=1, format="csr")
    for power in (0.0, 0.5, 1.0):
        E = svd_embeddings(M, 5, power=power)
        U, S, _ = np.linalg.svd(M.toarray(), full_matrices=False)
        ref = U[:, :5] * S[:5] ** power
        ref *= np.sign(ref[np.abs(ref).argmax(0), np.arange(5)])     # same sign rule
        assert E.dtype == np.float32 and E.shape == (60, 5)
        np.testing.assert_allclose(E, ref, atol=1e-5)
    # power=1: the rows reproduce M's best rank-5 approximation's Gram matrix
    E1 = svd_embeddings(M, 5, power=1.0).astype(np.float64)
    U, S, Vt = np.linalg.svd(M.toarray(), full_matrices=False)
    low = U[:, :5] * S[:5] @ Vt[:5]
    np.testing.assert_allclose(E1 @ E1.T, low @ low.T, atol=1e-5)


def test_svd_returns_singular_values():
    M = sp.random(30, 20, density=0.5, random_state=2, format="csr")
    E, S = svd_embeddings(M, 3, power=0.0, return_singular_values=True)
    np.testing.assert_allclose(S, np.linalg.svd(M.toarray(), compute_uv=False)[:3])
    np.testing.assert_allclose(np.linalg.norm(E, axis=0), 1.0, atol=1e-5)   # power 0: unit U columns


def test_svd_is_reproducible():
    M = sp.random(50, 50, density=0.2, random_state=3, format="csr")
    np.testing.assert_array_equal(svd_embeddings(M, 4, seed=1), svd_embeddings(M, 4, seed=1))


# -- bad input ----------------------------------------------------------------------------
def test_errors():
    v = Vocabulary.from_sentences(TOY)
    with pytest.raises(ValueError, match="window"):
        cooccurrence_matrix(TOY, v, window=0)
    with pytest.raises(ValueError, match="weighting"):
        cooccurrence_matrix(TOY, v, weighting="gaussian")
    with pytest.raises(TypeError, match="vocab"):
        cooccurrence_matrix(TOY, {"the": 0})
    with pytest.raises(ValueError, match="no in-vocabulary"):
        cooccurrence_matrix([["zebra"]], v)
    with pytest.raises(ValueError, match="non-negative"):
        ppmi(np.array([[1.0, -1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="no counts"):
        ppmi(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="alpha"):
        ppmi(np.ones((2, 2)), alpha=0)
    with pytest.raises(ValueError, match="2-D"):
        ppmi(np.ones(3))
    with pytest.raises(ValueError, match="dim"):
        svd_embeddings(np.ones((4, 4)), dim=4)
    with pytest.raises(ValueError, match="dim"):
        svd_embeddings(np.ones((4, 4)), dim=0)
