"""Metric-learning losses for embedding models (torch): triplet and InfoNCE.

* :func:`triplet_loss` (FaceNet, Schroff et al. 2015):
  ``mean(max(0, d(a, p) - d(a, n) + margin))``. The margin is a required **gap** between
  the negative's and the positive's distance, not an absolute distance: with unit
  vectors and Euclidean distance every ``d`` lies in ``[0, 2]``, so a margin above 2 can
  never be met and every triplet keeps contributing.
* :func:`info_nce` (van den Oord et al. 2018; SimCLR, CLIP): a softmax cross-entropy in
  which row ``i`` of ``keys`` is the positive for query ``i`` and every other row of the
  batch is a negative ("in-batch negatives"):
  ``L = -mean_i log( exp(s_ii / T) / sum_j exp(s_ij / T) )`` with ``s = cos(q, k)``.
  The temperature ``T`` sets how sharply the loss concentrates on the hardest negatives.
"""
from __future__ import annotations

from .._validation import check_choice, check_number

__all__ = ["triplet_loss", "info_nce", "pair_distance"]

DISTANCES = ("euclidean", "squared", "cosine")


def _check_pair(x, y, name_x: str, name_y: str):
    import torch

    for t, name in ((x, name_x), (y, name_y)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dim() != 2:
            raise ValueError(f"{name} must be 2-D (batch, d), got shape {tuple(t.shape)}")
    if x.shape != y.shape:
        raise ValueError(f"{name_x} and {name_y} must have the same shape, got "
                         f"{tuple(x.shape)} and {tuple(y.shape)}")


def pair_distance(x, y, distance: str = "euclidean"):
    """Row-wise distance of two ``(batch, d)`` tensors -> ``(batch,)``.

    ``"euclidean"``: ``||x - y||`` (torch's ``pairwise_distance``, with its eps=1e-6 for a
    finite gradient at 0); ``"squared"``: ``||x - y||^2``; ``"cosine"``: ``1 - cos(x, y)``.
    """
    import torch.nn.functional as F

    check_choice(distance, "distance", DISTANCES)
    if distance == "euclidean":
        return F.pairwise_distance(x, y, p=2.0, eps=1e-6)
    if distance == "squared":
        return ((x - y) ** 2).sum(-1)
    return 1.0 - F.cosine_similarity(x, y, dim=-1)


def triplet_loss(anchor, positive, negative, margin: float = 1.0, distance: str = "euclidean",
                 reduction: str = "mean"):
    """``max(0, d(anchor, positive) - d(anchor, negative) + margin)`` per triplet.

    Args:
        anchor, positive, negative: ``(batch, d)`` float tensors.
        margin: the required gap ``d(a, n) - d(a, p)`` (>= 0).
        distance: ``"euclidean"`` (equals ``torch.nn.TripletMarginLoss``), ``"squared"``
            or ``"cosine"``.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (the ``(batch,)`` losses).
    """
    _check_pair(anchor, positive, "anchor", "positive")
    _check_pair(anchor, negative, "anchor", "negative")
    margin = check_number(margin, "margin", minimum=0.0)
    check_choice(reduction, "reduction", ("mean", "sum", "none"))
    losses = (pair_distance(anchor, positive, distance) - pair_distance(anchor, negative, distance)
              + margin).clamp(min=0.0)
    if reduction == "none":
        return losses
    return losses.mean() if reduction == "mean" else losses.sum()


def info_nce(queries, keys, temperature: float = 0.07, symmetric: bool = False, *,
             normalize: bool = True, negatives=None):
    """InfoNCE with in-batch negatives: ``keys[i]`` is the positive of ``queries[i]``.

    ``logits = q @ k.T / temperature`` (``q, k`` L2-normalised when ``normalize``), and the
    loss is ``cross_entropy(logits, arange(batch))``: a ``batch``-way classification of
    the right key. ``symmetric=True`` averages it with the keys-to-queries direction
    (CLIP's loss, for two towers where both directions are used).

    Args:
        queries, keys: ``(batch, d)`` float tensors (batch >= 2 for any negative).
        temperature: ``T > 0``; small T sharpens the softmax onto the hardest negatives.
        negatives: optional ``(m, d)`` extra negatives, e.g. hard negatives mined for the
            batch's queries; every query scores them too (``logits: (batch, batch + m)``),
            as sentence-transformers' ``MultipleNegativesRankingLoss`` does. The symmetric
            keys-to-queries direction does not use them.
    Returns:
        a 0-d tensor. Its floor is 0 and a random encoder scores about ``log(batch)``.
    """
    import torch
    import torch.nn.functional as F

    _check_pair(queries, keys, "queries", "keys")
    temperature = check_number(temperature, "temperature", minimum=0.0, strict_minimum=True)
    if normalize:
        queries, keys = F.normalize(queries, dim=-1), F.normalize(keys, dim=-1)
    logits = queries @ keys.T / temperature
    labels = torch.arange(len(queries), device=queries.device)
    if negatives is not None:
        if not isinstance(negatives, torch.Tensor) or negatives.dim() != 2 \
                or negatives.shape[1] != queries.shape[1]:
            raise ValueError(f"negatives must be a 2-D (m, d={queries.shape[1]}) tensor, got "
                             f"{tuple(negatives.shape) if isinstance(negatives, torch.Tensor) else type(negatives).__name__}")
        if normalize:
            negatives = F.normalize(negatives, dim=-1)
        loss = F.cross_entropy(torch.cat([logits, queries @ negatives.T / temperature], dim=1), labels)
    else:
        loss = F.cross_entropy(logits, labels)
    if symmetric:
        loss = 0.5 * (loss + F.cross_entropy(logits.T, labels))
    return loss
