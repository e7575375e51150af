"""Late interaction: ColBERT's MaxSim over token vectors (notebook 19).

A bi-encoder squeezes a document into one vector before it has seen the query; a
cross-encoder reads query and document together but must run per (query, document) pair.
Late interaction (ColBERT, Khattab and Zaharia, SIGIR 2020) sits between them: keep
**one vector per token** of every document (computed offline), and score

    MaxSim(q, d) = sum_{i in query tokens} max_{j in document tokens} q_i . d_j

Each query token finds its best match anywhere in the document, and the matches add up.
The cost is storage: a document takes ``n_tokens x d`` numbers instead of ``d``
(:attr:`LateInteractionIndex.bytes_per_document`), which is why ColBERT projects tokens to
128 dimensions and compresses them.

:class:`LateInteractionIndex` stores all token vectors in one ``(total_tokens, d)`` array
with offsets (a ragged array, like a CSR matrix), scores candidate documents with one
matrix product per query and a segmented max (``np.maximum.reduceat``), and either
re-ranks a first stage's candidates (:meth:`rerank`, how ColBERT v2 and PLAID serve) or
scans everything (:meth:`search`).
"""
from __future__ import annotations

import numpy as np

from .._validation import _to_array, as_matrix, check_int

__all__ = ["maxsim", "LateInteractionIndex"]


def maxsim(query_tokens, doc_tokens) -> float:
    """``sum_i max_j <q_i, d_j>`` for one query ``(Lq, d)`` and one document ``(Ld, d)``."""
    Q = as_matrix(query_tokens, "query_tokens")
    D = as_matrix(doc_tokens, "doc_tokens", d=Q.shape[1])
    return float((Q @ D.T).max(axis=1).sum())


class LateInteractionIndex:
    """Token vectors of a document collection, scored by MaxSim.

    Args:
        d: token-vector dimension.
        dtype: storage type, ``np.float32`` or ``np.float16`` (half the bytes; scores are
            computed in float32 either way).
    """

    def __init__(self, d: int, *, dtype=np.float32):
        self.d = check_int(d, "d", minimum=1)
        if np.dtype(dtype) not in (np.float32, np.float16):
            raise ValueError(f"dtype must be float32 or float16, got {np.dtype(dtype)}")
        self.tokens = np.zeros((0, self.d), dtype=dtype)
        self.offsets = np.zeros(1, dtype=np.int64)

    @property
    def ntotal(self) -> int:
        return len(self.offsets) - 1

    @property
    def bytes_per_document(self) -> float:
        """Mean stored bytes per document (token vectors only)."""
        return self.tokens.nbytes / max(self.ntotal, 1)

    def add(self, docs=None, *, tokens=None, offsets=None) -> None:
        """Add documents: ``docs`` a list of ``(L_i, d)`` arrays, or the ragged form
        ``tokens (sum L_i, d)`` with ``offsets (n + 1,)`` (document ``i`` is
        ``tokens[offsets[i]:offsets[i + 1]]``). Every document needs at least one token."""
        if docs is not None:
            if tokens is not None or offsets is not None:
                raise TypeError("pass either docs or tokens= and offsets=, not both")
            mats = [as_matrix(x, f"docs[{i}]", d=self.d) for i, x in enumerate(docs)]
            lengths = np.array([len(m) for m in mats], dtype=np.int64)
            tokens = np.concatenate(mats) if mats else np.zeros((0, self.d), np.float32)
        else:
            if tokens is None or offsets is None:
                raise TypeError("add needs docs, or both tokens= and offsets=")
            tokens = as_matrix(tokens, "tokens", d=self.d, dtype=None, finite=False)
            offsets = _to_array(offsets, "offsets", np.int64)
            if offsets.ndim != 1 or offsets[0] != 0 or offsets[-1] != len(tokens):
                raise ValueError(f"offsets must run from 0 to len(tokens)={len(tokens)}")
            lengths = np.diff(offsets)
        if (lengths <= 0).any():
            raise ValueError(f"every document needs at least one token vector; document "
                             f"{int(np.argmax(lengths <= 0))} has none")
        tokens = tokens.astype(self.tokens.dtype, copy=False)
        # The first add keeps the caller's array (a memory-mapped cache stays on disk).
        self.tokens = tokens if self.ntotal == 0 else np.concatenate([self.tokens, tokens])
        self.offsets = np.concatenate([self.offsets, self.offsets[-1] + np.cumsum(lengths)])

    def scores(self, query_tokens, doc_ids) -> np.ndarray:
        """MaxSim of one query ``(Lq, d)`` with documents ``doc_ids`` -> ``(len(doc_ids),)``."""
        Q = as_matrix(query_tokens, "query_tokens", d=self.d)
        ids = _to_array(doc_ids, "doc_ids", np.int64).ravel()
        if ids.size and (ids.min() < 0 or ids.max() >= self.ntotal):
            raise ValueError(f"doc_ids must lie in [0, {self.ntotal}), got {ids.min()}..{ids.max()}")
        if ids.size == 0:
            return np.zeros(0, dtype=np.float32)
        starts, ends = self.offsets[ids], self.offsets[ids + 1]
        lengths = ends - starts
        # Gather the candidates' tokens into one block, one product, then a max per segment.
        rows = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) \
            + np.arange(lengths.sum())
        block = self.tokens[rows].astype(np.float32, copy=False)
        sim = Q @ block.T                                          # (Lq, total candidate tokens)
        seg = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        return np.maximum.reduceat(sim, seg, axis=1).sum(axis=0)  # best match per (q token, doc)

    def rerank(self, queries, candidates):
        """Re-order each query's candidate ids by MaxSim.

        Args:
            queries: a list of ``(Lq_i, d)`` query token matrices.
            candidates: ``(nq, c)`` int ids from a first stage (``-1`` = padding).
        Returns:
            ``(D, I)``, each ``(nq, c)``: MaxSim scores and ids, best first (ties: lower id),
            padding last (``-inf``, ``-1``).
        """
        cand = _to_array(candidates, "candidates", np.int64)
        if cand.ndim != 2 or len(cand) != len(queries):
            raise ValueError(f"candidates must be (nq, c) with nq={len(queries)}, got shape {cand.shape}")
        D = np.full(cand.shape, -np.inf, dtype=np.float32)
        I = np.full(cand.shape, -1, dtype=np.int64)
        for q, (Q, row) in enumerate(zip(queries, cand)):
            ids = row[row >= 0]
            s = self.scores(Q, ids)
            order = np.lexsort((ids, -s))
            D[q, :len(ids)], I[q, :len(ids)] = s[order], ids[order]
        return D, I

    def search(self, queries, k: int, *, batch_docs: int = 2048):
        """Exhaustive MaxSim over every document: ``(D, I)``, each ``(nq, k)``."""
        k = check_int(k, "k", minimum=1, maximum=max(self.ntotal, 1))
        all_ids = np.arange(self.ntotal)
        D = np.zeros((len(queries), k), dtype=np.float32)
        I = np.zeros((len(queries), k), dtype=np.int64)
        for q, Q in enumerate(queries):
            s = np.concatenate([self.scores(Q, all_ids[i:i + batch_docs])
                                for i in range(0, self.ntotal, batch_docs)])
            order = np.lexsort((all_ids, -s))[:k]
            D[q], I[q] = s[order], order
        return D, I

    def __repr__(self) -> str:
        return (f"LateInteractionIndex(d={self.d}, ntotal={self.ntotal}, tokens={len(self.tokens)}, "
                f"dtype={self.tokens.dtype}, {self.bytes_per_document:,.0f} B/document)")
