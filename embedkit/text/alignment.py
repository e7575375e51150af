"""Aligning two embedding spaces with orthogonal Procrustes.

Two trainings of the same model on the same text (different seeds, or different corpora)
give vector spaces that agree on *relations* (who is near whom) but not on coordinates:
any rotation of a space is an equally good solution of the training objective. So
``wv1["king"]`` and ``wv2["king"]`` cannot be compared directly. Procrustes finds the
rotation that best maps one space onto the other, using words they share as anchors:

    R = procrustes(A, B)            # argmin_{R orthogonal} ||A R - B||_F
    wv_aligned = align(wv_src, wv_tgt)   # wv_src's shared words, rotated into wv_tgt's space
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .._validation import as_matrix

__all__ = ["procrustes", "align"]


def procrustes(A, B) -> np.ndarray:
    """The orthogonal ``(d, d)`` float32 matrix ``R`` minimising ``||A R - B||_F``.

    Args:
        A, B: ``(n, d)`` arrays, row ``i`` of ``A`` paired with row ``i`` of ``B``.

    With ``U S V^T = svd(A^T B)``, ``R = U V^T`` (Schoenemann, 1966): the rotation (or
    reflection) that maximises ``trace(R^T A^T B)``. Computed in float64.
    """
    A = as_matrix(A, "A", dtype=np.float64)
    B = as_matrix(B, "B", dtype=np.float64)
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape (n, d), row i of A paired with row i "
                         f"of B; got {A.shape} and {B.shape}")
    U, _, Vt = np.linalg.svd(A.T @ B)
    return (U @ Vt).astype(np.float32)


def align(wv_src, wv_tgt, anchor_words: Sequence[str] | None = None):
    """``wv_src`` rotated into the space of ``wv_tgt``, on the words both share.

    Both sets are unit-normalised first (cosine geometry; otherwise frequent words with
    long vectors dominate the fit). The rotation is fitted on ``anchor_words`` (default:
    every shared word) and applied to all shared words.

    Args:
        wv_src, wv_tgt: :class:`~embedkit.WordVectors` of the same dimension.
        anchor_words: words in both sets to fit the rotation on (at least 2).

    Returns:
        :class:`~embedkit.WordVectors` with the shared words in ``wv_src``'s order, unit
        rows, directly comparable with ``wv_tgt``: ``cos(aligned["king"], wv_tgt["king"])``
        is meaningful.
    """
    from .word_vectors import WordVectors

    for name, wv in (("wv_src", wv_src), ("wv_tgt", wv_tgt)):
        if not isinstance(wv, WordVectors):
            raise TypeError(f"{name} must be a WordVectors, got {type(wv).__name__}")
    if wv_src.vector_size != wv_tgt.vector_size:
        raise ValueError(f"both spaces need the same dimension: wv_src has {wv_src.vector_size}, "
                         f"wv_tgt {wv_tgt.vector_size}")
    shared = [w for w in wv_src.words if w in wv_tgt]
    if anchor_words is None:
        anchors = shared
    else:
        if isinstance(anchor_words, str):
            raise TypeError("anchor_words must be a list of words, got a string")
        anchors = list(anchor_words)
        missing = [w for w in anchors if w not in wv_src or w not in wv_tgt]
        if missing:
            raise KeyError(f"anchor word {missing[0]!r} is not in both vocabularies "
                           f"({len(missing)} of {len(anchors)} anchors missing)")
    if len(anchors) < 2:
        raise ValueError(f"aligning needs at least 2 anchor words in both vocabularies, got {len(anchors)}")
    src_rows = [wv_src.index[w] for w in shared]
    R = procrustes(wv_src.unit_vectors[[wv_src.index[w] for w in anchors]],
                   wv_tgt.unit_vectors[[wv_tgt.index[w] for w in anchors]])
    counts = None if wv_src.counts is None else wv_src.counts[src_rows]
    return WordVectors(shared, wv_src.unit_vectors[src_rows] @ R, counts=counts)
