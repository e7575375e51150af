"""Term-document matrices, TF-IDF and latent semantic analysis (LSA).

Information retrieval described documents by their words long before word embeddings:
row ``d`` of a **term-document matrix** counts how often each term occurs in document
``d``. Two reweightings make those counts useful:

* **TF-IDF**: ``tf(d, t) * idf(t)``. Term frequency is the raw count; the inverse
  document frequency ``idf(t) = ln((1 + n) / (1 + df(t))) + 1`` (``n`` documents, ``df(t)``
  of them contain ``t``; the "+1"s are scikit-learn's smoothing, so a term in every
  document keeps weight 1 and no division by zero can happen) down-weights terms that
  occur everywhere (*the*, *of*). Rows are then scaled to unit length, so that long
  documents do not win by length.
* **LSA** (latent semantic analysis, Deerwester et al. 1990): a truncated SVD of the
  TF-IDF matrix, ``X ~ U_k S_k V_k^T``. The rows of ``U_k S_k`` are ``k``-dimensional
  document vectors, the rows of ``V_k S_k`` term vectors: terms that occur in the same
  *documents* get similar vectors.

LSA is the term-**document** method; the word-**context** PPMI + SVD of
:mod:`embedkit.text.cooccurrence` uses the same SVD on a different matrix (words by the
words around them), and is often, loosely, called LSA too.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._validation import check_int
from .cooccurrence import svd_embeddings
from .vocab import Vocabulary

__all__ = ["term_document_matrix", "tfidf", "lsa"]


def term_document_matrix(documents, vocab: Vocabulary) -> sp.csr_matrix:
    """``(n_docs, V)`` float64 counts: ``X[d, t]`` = occurrences of ``vocab.words[t]`` in document ``d``.

    Args:
        documents: an iterable of token lists (or an embedkit ``Corpus``: one row per document).
        vocab: fixes the columns; tokens outside it are ignored.
    """
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab must be an embedkit Vocabulary, got {type(vocab).__name__}")
    ids, offsets = vocab.encode_sentences(documents)
    n_docs = len(offsets) - 1
    if n_docs == 0:
        raise ValueError("documents is empty: nothing to count")
    doc = np.repeat(np.arange(n_docs), np.diff(offsets))
    X = sp.csr_matrix((np.ones(len(ids)), (doc, ids)), shape=(n_docs, len(vocab)))
    X.sum_duplicates()
    return X


def tfidf(X, *, smooth_idf: bool = True, sublinear_tf: bool = False, norm: str | None = "l2"):
    """TF-IDF weights of a ``(n_docs, V)`` count matrix (scikit-learn's ``TfidfTransformer``).

    Args:
        X: ``(n_docs, V)`` non-negative counts, sparse or dense.
        smooth_idf: ``idf = ln((1 + n) / (1 + df)) + 1`` if True, else ``ln(n / df) + 1``.
        sublinear_tf: use ``1 + ln(tf)`` instead of ``tf`` (tames repeated words).
        norm: ``"l2"`` scales each row to unit length; ``None`` leaves it.

    Returns:
        ``(W, idf)``: ``W`` a ``(n_docs, V)`` float64 csr_matrix, ``idf`` ``(V,)`` float64.
    """
    X = sp.csr_matrix(X, dtype=np.float64, copy=True)
    if X.ndim != 2 or 0 in X.shape:
        raise ValueError(f"X must be a non-empty 2-D (n_docs, V) matrix, got shape {X.shape}")
    if X.nnz and (not np.isfinite(X.data).all() or X.data.min() < 0):
        raise ValueError("X must hold finite, non-negative counts")
    if norm not in ("l2", None):
        raise ValueError(f"norm must be 'l2' or None, got {norm!r}")
    X.eliminate_zeros()
    n = X.shape[0]
    df = np.bincount(X.indices, minlength=X.shape[1]).astype(np.float64)
    if smooth_idf:
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    else:
        with np.errstate(divide="ignore"):
            idf = np.log(n / df) + 1.0               # inf for unseen terms: their columns are empty
    if sublinear_tf:
        X.data = 1.0 + np.log(X.data)
    X.data *= idf[X.indices]
    if norm == "l2":
        lengths = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        X = sp.diags(1.0 / np.maximum(lengths, 1e-300)) @ X
    return sp.csr_matrix(X), idf


def lsa(W, dim: int = 100, *, seed=0):
    """Latent semantic analysis: the truncated SVD ``W ~ U_k S_k V_k^T`` of a TF-IDF matrix.

    Args:
        W: ``(n_docs, V)`` TF-IDF (or count) matrix.
        dim: ``k``, the number of latent dimensions (``< min(W.shape)``).
        seed: int or Generator for the SVD's start vector.

    Returns:
        ``(doc_vectors, term_vectors, singular_values)``: ``(n_docs, k)`` rows of
        ``U_k S_k``, ``(V, k)`` rows of ``V_k S_k`` (float32) and the ``(k,)`` singular
        values, descending. Each component's sign is fixed as in
        :func:`~embedkit.text.cooccurrence.svd_embeddings` (on the term side).
    """
    W = sp.csr_matrix(W, dtype=np.float64)
    dim = check_int(dim, "dim", minimum=1)
    # One SVD of W^T: its left singular vectors are the term side (V_k), and U_k = W V_k / S_k.
    terms, S = svd_embeddings(W.T, dim, power=1.0, seed=seed, return_singular_values=True)
    docs = (W @ (terms.astype(np.float64) / S)).astype(np.float32)     # U_k S_k = W V_k
    return docs, terms, S
