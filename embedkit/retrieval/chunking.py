"""Chunking long documents for dense retrieval (notebook 19).

An encoder reads a bounded number of tokens (all-MiniLM-L6-v2: 256 word pieces, and it
was trained on 128): text beyond the window is simply not in the vector. The standard
fix is to split each document into **chunks** of ``size`` tokens that overlap by
``overlap`` tokens, embed every chunk, search the chunks, and give each document the score
of its best chunk (:func:`best_chunk_per_document`). ``size`` trades precision (a small
chunk is about one thing) against context (a chunk cut mid-thought loses its subject);
``overlap`` keeps a sentence that straddles a boundary whole in at least one chunk, at the
price of more vectors to store.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .._validation import _to_array, check_int

__all__ = ["chunk_spans", "chunk_documents", "best_chunk_per_document"]


def chunk_spans(n_tokens: int, size: int, overlap: int = 0) -> list[tuple[int, int]]:
    """``[(start, end), ...]`` windows of ``size`` tokens, consecutive ones sharing ``overlap``.

    The stride is ``size - overlap``; the last window ends at ``n_tokens`` (it may be
    shorter, but no window lies entirely inside the previous one). A document shorter than
    ``size`` is one chunk; an empty one has none.
    """
    n_tokens = check_int(n_tokens, "n_tokens", minimum=0)
    size = check_int(size, "size", minimum=1)
    overlap = check_int(overlap, "overlap", minimum=0)
    if overlap >= size:
        raise ValueError(f"overlap must be smaller than size ({size}), got {overlap}")
    spans, start = [], 0
    while start < n_tokens:
        end = min(start + size, n_tokens)
        spans.append((start, end))
        if end == n_tokens:
            break
        start += size - overlap
    return spans


def chunk_documents(docs: Sequence[Sequence[str]], size: int, overlap: int = 0):
    """Split token lists into chunks.

    Returns:
        ``(chunks, doc_of_chunk)``: a list of token lists and an ``(n_chunks,)`` int64 array
        naming the document each chunk came from (documents in order, chunks in order).
    """
    if isinstance(docs, str) or not isinstance(docs, Sequence):
        raise TypeError("docs must be a list of token lists (e.g. [text.split(), ...])")
    chunks, owner = [], []
    for i, doc in enumerate(docs):
        if isinstance(doc, str):
            raise TypeError(f"docs[{i}] is a str; pass token lists (e.g. text.split())")
        for a, b in chunk_spans(len(doc), size, overlap):
            chunks.append(list(doc[a:b]))
            owner.append(i)
    return chunks, np.asarray(owner, dtype=np.int64)


def best_chunk_per_document(D, I, doc_of_chunk, k: int):
    """Turn chunk hits into document hits: each document scores its best chunk ("max-P").

    Args:
        D, I: ``(nq, c)`` chunk scores (higher is better) and chunk ids, best first
            (``-1`` = padding), e.g. from a search over chunk vectors with ``c >= k``.
        doc_of_chunk: ``(n_chunks,)`` the document of every chunk.
        k: documents to return per query.
    Returns:
        ``(D_doc, I_doc)``, each ``(nq, k)``: best first, padded with ``-inf``/``-1`` when
        the chunks cover fewer than ``k`` distinct documents.
    """
    D = _to_array(D, "D", np.float64)
    I = _to_array(I, "I", np.int64)
    owner = _to_array(doc_of_chunk, "doc_of_chunk", np.int64)
    if D.shape != I.shape or D.ndim != 2:
        raise ValueError(f"D and I must be (nq, c) of the same shape, got {D.shape} and {I.shape}")
    k = check_int(k, "k", minimum=1)
    out_D = np.full((len(I), k), -np.inf, dtype=np.float32)
    out_I = np.full((len(I), k), -1, dtype=np.int64)
    for q in range(len(I)):
        keep = I[q] >= 0
        docs, scores = owner[I[q][keep]], D[q][keep]
        # the chunks arrive best first, so a document's first appearance is its best chunk
        _, first = np.unique(docs, return_index=True)
        first = np.sort(first)[:k]
        out_D[q, :len(first)], out_I[q, :len(first)] = scores[first], docs[first]
    return out_D, out_I
