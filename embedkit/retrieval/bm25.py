"""BM25: the lexical retriever every hybrid system starts from (notebook 19).

Okapi BM25 (Robertson et al., TREC 1994) scores a document ``d`` for a query ``q`` as a
sum over the query's terms:

    score(q, d) = sum_{t in q} idf(t) * tf(t, d) * (k1 + 1)
                                       / (tf(t, d) + k1 * (1 - b + b * |d| / avgdl))

* **tf saturation** (``k1``): the first occurrences of a term count most; the
  ``tf / (tf + k1 ...)`` factor tends to 1 as tf grows, so a document cannot win by
  repeating a word. ``k1 = 0`` reduces every matching term to its idf.
* **length normalisation** (``b``): a term occurrence in a long document is weaker
  evidence than in a short one; ``b = 0`` ignores length, ``b = 1`` normalises fully.
* **idf**: rare terms weigh more. ``idf="lucene"`` (the default, Lucene's and
  Elasticsearch's) is ``log(1 + (N - df + 0.5) / (df + 0.5))``, never negative;
  ``idf="robertson"`` is the classic ``log((N - df + 0.5) / (df + 0.5))``, negative for
  terms in more than half the documents.

The ``(k1 + 1)`` factor scales every score by the same constant and so never changes a
ranking; Lucene (since 8.0) and ``bm25s``' ``"lucene"`` method drop it, and so does
``scale_by_k1_plus_1=False`` here.

**The inverted index.** ``fit`` computes, once, each (term, document) pair's share of the
score, ``w(t, d)`` above, and stores it as a sparse term-by-document matrix: row ``t`` is
the posting list of term ``t`` (the documents containing it, with their weights). A query
then touches only the posting lists of its own terms: ``score(q, .) = sum of its rows``,
a sparse-matrix product for a batch of queries. Documents that contain no query term get
no score at all (``search`` pads with ``-1``, as an index returns fewer than ``k`` hits).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .._validation import check_choice, check_int, check_number
from ..similarity import _select_top_k

__all__ = ["BM25"]


def _check_token_lists(docs, name: str) -> list:
    if isinstance(docs, str) or not isinstance(docs, Sequence):
        raise TypeError(f"{name} must be a list of token lists, e.g. [ek.tokenize(text), ...], "
                        f"got {type(docs).__name__}")
    for i, doc in enumerate(docs):
        if isinstance(doc, str):
            raise TypeError(f"{name}[{i}] is a str; BM25 needs token lists: pass ek.tokenize(text)")
        if not isinstance(doc, Sequence) or not all(isinstance(t, str) for t in doc):
            raise TypeError(f"{name}[{i}] must be a list of str tokens, got {type(doc).__name__}")
    return list(docs)


class BM25:
    """Okapi BM25 over a sparse inverted index; higher scores are better.

    Args:
        k1: term-frequency saturation (>= 0); 1.2-2.0 is the usual range.
        b: length normalisation in ``[0, 1]``.
        idf: ``"lucene"`` (non-negative) or ``"robertson"`` (the classic formula).
        scale_by_k1_plus_1: multiply by ``k1 + 1`` (the textbook form); rankings are the
            same either way.

    Attributes after ``fit``:
        vocabulary: ``{term: row}`` for every term of the collection.
        idf_: ``(V,)`` float64 idf per term; ``doc_len``: ``(n_docs,)`` tokens per document.
        weights: ``scipy.sparse.csr_matrix (V, n_docs)`` float64, ``w(t, d)``: the posting lists.
    """

    def __init__(self, k1: float = 1.5, b: float = 0.75, *, idf: str = "lucene",
                 scale_by_k1_plus_1: bool = True):
        self.k1 = check_number(k1, "k1", minimum=0.0)
        self.b = check_number(b, "b", minimum=0.0, maximum=1.0)
        self.idf = check_choice(idf, "idf", ("lucene", "robertson"))
        self.scale_by_k1_plus_1 = bool(scale_by_k1_plus_1)
        self.weights = self.tf = None

    # -- indexing --------------------------------------------------------------------------
    def fit(self, docs) -> "BM25":
        """Index ``docs`` (a list of token lists); returns ``self``."""
        import scipy.sparse as sp

        docs = _check_token_lists(docs, "docs")
        if not docs:
            raise ValueError("docs is empty: BM25 needs at least one document")
        self.doc_len = np.array([len(doc) for doc in docs], dtype=np.int64)
        flat = np.array([t for doc in docs for t in doc], dtype=object).astype(str)
        # Terms in sorted order (np.unique sorts): the same ids on every machine and run.
        terms, rows = np.unique(flat, return_inverse=True)
        self.vocabulary = {t: i for i, t in enumerate(terms.tolist())}
        cols = np.repeat(np.arange(len(docs)), self.doc_len)
        # (V, n_docs) term frequencies: duplicate (term, doc) entries are summed.
        self.tf = sp.csr_matrix((np.ones(len(rows)), (rows.ravel(), cols)), shape=(len(terms), len(docs)))
        self.tf.sum_duplicates()
        self.avgdl = float(self.doc_len.mean())
        self.df = np.diff(self.tf.indptr)                  # documents per term
        return self._weigh()

    def set_params(self, *, k1: float | None = None, b: float | None = None) -> "BM25":
        """Change ``k1`` and/or ``b`` of a fitted index without re-reading the documents
        (only the weights are recomputed: a cheap grid search); returns ``self``."""
        self._check_fitted()
        if k1 is not None:
            self.k1 = check_number(k1, "k1", minimum=0.0)
        if b is not None:
            self.b = check_number(b, "b", minimum=0.0, maximum=1.0)
        return self._weigh()

    def _weigh(self) -> "BM25":
        """The posting-list weights w(t, d) from the stored term frequencies."""
        import scipy.sparse as sp

        tf, n = self.tf, self.tf.shape[1]
        ratio = (n - self.df + 0.5) / (self.df + 0.5)
        self.idf_ = np.log1p(ratio) if self.idf == "lucene" else np.log(ratio)
        # w(t, d) for every stored (t, d): idf * saturated, length-normalised tf.
        f = tf.data
        dl = self.doc_len[tf.indices]
        norm = self.k1 * (1.0 - self.b + self.b * dl / max(self.avgdl, 1e-12))
        saturated = f * ((self.k1 + 1.0) if self.scale_by_k1_plus_1 else 1.0) / (f + norm)
        idf_per_entry = np.repeat(self.idf_, self.df)
        self.weights = sp.csr_matrix((idf_per_entry * saturated, tf.indices, tf.indptr), shape=tf.shape)
        return self

    @property
    def n_docs(self) -> int:
        self._check_fitted()
        return self.weights.shape[1]

    def _check_fitted(self) -> None:
        if self.weights is None:
            raise ValueError("this BM25 is not fitted yet: call fit(docs) first")

    def _query_matrix(self, queries):
        """Sparse ``(nq, V)`` counts of each query's known terms (repeats count)."""
        import scipy.sparse as sp

        rows, cols = [], []
        for i, q in enumerate(queries):
            ids = [self.vocabulary[t] for t in q if t in self.vocabulary]
            rows.extend([i] * len(ids))
            cols.extend(ids)
        return sp.csr_matrix((np.ones(len(rows)), (rows, cols)),
                             shape=(len(queries), len(self.vocabulary)))

    # -- scoring ---------------------------------------------------------------------------
    def get_scores(self, query_tokens) -> np.ndarray:
        """``(n_docs,)`` float64 BM25 score of every document for one query (a token list).

        A term repeated in the query counts once per occurrence (as Lucene and rank-bm25
        do); terms absent from the collection contribute nothing.
        """
        self._check_fitted()
        (query_tokens,) = _check_token_lists([query_tokens], "query_tokens")
        return np.asarray((self._query_matrix([query_tokens]) @ self.weights).todense()).ravel()

    def search(self, queries, k: int, *, batch_size: int = 256):
        """The ``k`` best documents of each query: ``(D, I)``, each ``(nq, k)``, best first.

        Args:
            queries: a list of token lists.
            k: results per query, ``1 <= k <= n_docs``.
        Returns:
            ``D`` float32 scores and ``I`` int64 document ids; ties keep the lower id first.
            Documents sharing no term with the query are not results: where fewer than
            ``k`` documents match, ``I`` is padded with ``-1`` and ``D`` with ``-inf``.
        """
        self._check_fitted()
        queries = _check_token_lists(queries, "queries")
        k = check_int(k, "k", minimum=1, maximum=self.n_docs)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        D = np.full((len(queries), k), -np.inf, dtype=np.float32)
        I = np.full((len(queries), k), -1, dtype=np.int64)
        for start in range(0, len(queries), batch_size):
            qm = self._query_matrix(queries[start:start + batch_size])
            scores = (qm @ self.weights).toarray()
            if self.idf == "lucene":                # every weight is > 0: a match scores > 0
                hit = scores > 0
            else:                                   # negative idf: ask the index which pairs share a term
                hit = (qm @ (self.tf > 0).astype(np.float64)).toarray() > 0
            scores[~hit] = -np.inf
            best, ids = _select_top_k(scores, k, largest=True)
            found = np.isfinite(best)
            D[start:start + len(scores)] = np.where(found, best, -np.inf)
            I[start:start + len(scores)] = np.where(found, ids, -1)
        return D, I

    def __repr__(self) -> str:
        fitted = f", n_docs={self.n_docs}, vocabulary={len(self.vocabulary)}" if self.weights is not None else ""
        return f"BM25(k1={self.k1}, b={self.b}, idf={self.idf!r}{fitted})"
