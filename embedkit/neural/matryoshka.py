"""Matryoshka representation learning: one embedding, usable at several widths (notebook 19).

Kusupati et al. (NeurIPS 2022) train an encoder so that every **prefix** of its output is
itself a good embedding: the loss is the sum of the usual loss computed on the first
``m`` coordinates, for a few nested widths ``m``,

    L = sum_m  w_m * loss(q[:, :m], k[:, :m])

An index can then store the first 64 of 384 coordinates (6x less memory), search with
them, and re-rank the short list with the full vectors. Without this loss, an encoder's
coordinates carry information in no particular order and truncation hurts badly; a PCA
rotation orders coordinates by variance, the training-free baseline to compare with.
"""
from __future__ import annotations

from typing import Sequence

from .._validation import _to_array, check_int
from .losses import info_nce

__all__ = ["matryoshka_loss", "matryoshka_truncate"]


def matryoshka_loss(queries, keys, dims: Sequence[int], *, weights=None, loss=info_nce,
                    negatives=None, **kwargs):
    """``sum_m weights[m] * loss(queries[:, :m], keys[:, :m], ...)`` over the widths ``dims``.

    Args:
        queries, keys: ``(batch, d)`` tensors.
        dims: the nested widths, each in ``[1, d]`` (e.g. ``(32, 64, 128, 384)``).
        weights: one non-negative weight per width (default 1 each, as in the paper).
        loss: the per-width loss, ``loss(q, k, **kwargs) -> 0-d tensor`` (default InfoNCE,
            every keyword argument such as ``temperature`` is passed on).
        negatives: optional ``(m, d)`` hard negatives, truncated with the same widths.
    Returns:
        a 0-d tensor.
    """
    import torch

    if not isinstance(queries, torch.Tensor) or queries.dim() != 2:
        raise TypeError("queries must be a 2-D torch tensor (batch, d)")
    d = queries.shape[1]
    if isinstance(dims, (int, str)) or not len(dims):
        raise TypeError(f"dims must be a non-empty list of widths, e.g. [32, 64, {d}], got {dims!r}")
    dims = [check_int(m, "dims", minimum=1, maximum=d) for m in dims]
    w = [1.0] * len(dims) if weights is None else list(_to_array(weights, "weights", float))
    if len(w) != len(dims) or any(x < 0 for x in w):
        raise ValueError(f"weights must be {len(dims)} non-negative numbers, got {weights!r}")
    if negatives is not None:
        kwargs["negatives"] = negatives
    total = 0.0
    for m, wm in zip(dims, w):
        extra = dict(kwargs)
        if negatives is not None:
            extra["negatives"] = negatives[:, :m]
        total = total + wm * loss(queries[:, :m], keys[:, :m], **extra)
    return total


def matryoshka_truncate(X, dim: int):
    """The first ``dim`` coordinates of each row, re-normalised to unit length (numpy).

    Truncating a unit vector shortens it; cosine search needs unit rows again.
    """
    import numpy as np

    from ..similarity import normalize

    X = _to_array(X, "X", np.float32)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n, d), got shape {X.shape}")
    dim = check_int(dim, "dim", minimum=1, maximum=X.shape[1])
    return normalize(np.ascontiguousarray(X[:, :dim]))
