"""Pooling: from a variable-length sequence of token vectors to one sentence vector.

A sentence of ``L`` tokens gives ``L`` vectors; retrieval needs one. Sentences in a batch
have different lengths, so the batch is padded to ``(n, L, d)`` with a **mask**
``(n, L)`` that is true on real tokens. Every pooling here must ignore the padding:
averaging padded zeros in would make a sentence's vector depend on the length of the
*longest* sentence in its batch.

* :func:`mean_pool`: masked average, ``sum_t m_t x_t / sum_t m_t``;
* :func:`max_pool`: masked element-wise maximum (padding set to -inf first);
* :func:`cls_pool`: the first position (a transformer's ``[CLS]`` token); only
  meaningful for a model *trained* to summarise there;
* :func:`sif_embeddings`: the "smooth inverse frequency" baseline (Arora, Liang and Ma,
  2017): a weighted average of word vectors with weights ``a / (a + p(w))``, then the
  projection on the first principal component(s) removed.

The first three accept numpy arrays (returning float32 numpy) or torch tensors
(returning tensors, differentiable), so the same code serves notebooks and models.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .._validation import _to_array, as_matrix, check_finite, check_int, check_number, check_word_vectors

__all__ = ["mean_pool", "max_pool", "cls_pool", "sif_weights", "sif_embeddings"]


def _is_torch(x) -> bool:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    return isinstance(x, torch.Tensor)


def _prepare(x, mask, name: str = "x"):
    """Validate ``x: (n, L, d)`` and ``mask: (n, L)``; both torch or both numpy."""
    if _is_torch(x):
        import torch

        if x.dim() != 3:
            raise ValueError(f"{name} must be 3-D (n, L, d) token vectors, got shape {tuple(x.shape)}")
        if mask is None:
            mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        mask = torch.as_tensor(mask, device=x.device)
        if tuple(mask.shape) != tuple(x.shape[:2]):
            raise ValueError(f"mask must have shape (n, L) = {tuple(x.shape[:2])}, got {tuple(mask.shape)}")
        check_finite(x, name)
        _check_01(mask)
        return x, mask.bool()
    x = _to_array(x, name, np.float32)
    if x.ndim != 3:
        raise ValueError(f"{name} must be 3-D (n, L, d) token vectors, got shape {x.shape}")
    if mask is None:
        mask = np.ones(x.shape[:2], dtype=bool)
    mask = _to_array(mask, "mask", None)
    if mask.shape != x.shape[:2]:
        raise ValueError(f"mask must have shape (n, L) = {x.shape[:2]}, got {mask.shape}")
    check_finite(x, name)
    _check_01(mask)
    return x, mask.astype(bool)


def _check_01(mask) -> None:
    """A non-boolean mask (e.g. Hugging Face's int64 ``attention_mask``) must hold only 0 and 1."""
    if str(mask.dtype) in ("bool", "torch.bool"):
        return
    ok = ((mask == 0) | (mask == 1)).all()
    if not bool(ok):
        raise ValueError(f"mask must be boolean (True = real token) or hold only 0 and 1, got "
                         f"dtype {mask.dtype} with other values; pass mask == 1 or mask.bool()")


def mean_pool(x, mask=None):
    """Masked mean over tokens: ``(n, L, d), (n, L) -> (n, d)``.

    A row with no real token (all-false mask) gives the zero vector, not NaN.
    """
    x, mask = _prepare(x, mask)
    m = mask[..., None].to(x.dtype) if _is_torch(x) else mask[..., None].astype(np.float32)
    count = m.sum(1)
    count = count.clamp(min=1.0) if _is_torch(x) else np.maximum(count, 1.0)
    return (x * m).sum(1) / count


def max_pool(x, mask=None):
    """Masked element-wise maximum over tokens: ``(n, L, d) -> (n, d)``.

    Padding is excluded by setting it to -inf before the max; an all-padding row gives 0.
    """
    x, mask = _prepare(x, mask)
    if _is_torch(x):
        filled = x.masked_fill(~mask[..., None], float("-inf"))
        out = filled.max(1).values
        return out.masked_fill(~mask.any(1, keepdim=True), 0.0)
    filled = np.where(mask[..., None], x, -np.inf)
    out = filled.max(1)
    return np.where(mask.any(1, keepdims=True), out, 0.0).astype(np.float32)


def cls_pool(x, mask=None):
    """The vector at position 0 (``[CLS]``): ``(n, L, d) -> (n, d)``; the mask is ignored
    except for validation (position 0 is never padding with right-padding)."""
    x, _ = _prepare(x, mask)
    return x[:, 0]


# -- SIF --------------------------------------------------------------------------------
def sif_weights(p, a: float = 1e-3) -> np.ndarray:
    """``a / (a + p(w))`` for word probabilities ``p`` (any shape): frequent words count less.

    With ``a = 1e-3`` a word of probability 1e-3 ("however") gets weight 0.5, a word of
    probability 0.05 ("the") about 0.02, a rare word nearly 1.
    """
    a = check_number(a, "a", minimum=0.0, strict_minimum=True)
    p = np.asarray(_to_array(p, "p", None), dtype=np.float64)   # keeps a scalar 0-d
    if (p < 0).any() or (p > 1).any():
        raise ValueError("p must hold probabilities in [0, 1]")
    return a / (a + p)


def sif_embeddings(sentences: Sequence[Sequence[str]], wv, word_prob: Mapping[str, float], *,
                   a: float = 1e-3, n_components: int = 1, components=None,
                   return_components: bool = False):
    """SIF sentence vectors (Arora et al. 2017): weighted average, then remove the common
    direction.

    Steps: ``v_s = mean over words w of s (in wv) of a / (a + p(w)) * wv[w]``, then
    ``v_s <- v_s - U U^T v_s`` with ``U: (d, n_components)`` the top right singular vectors
    of the matrix of all ``v_s`` (the paper's "common discourse" direction: it mostly
    encodes word frequency and syntax, and every sentence has a large share of it).

    Args:
        sentences: token lists (``tokenize(text)`` each); out-of-vocabulary words skipped.
        wv: word vectors with ``wv.index`` (word -> row) and ``wv.vectors (V, d)``
            (a :class:`~embedkit.WordVectors`).
        word_prob: ``{word: probability}`` (unigram frequencies); missing words get 0,
            i.e. weight 1.
        a: the smoothing constant (the paper uses 1e-3 to 1e-4).
        n_components: how many principal directions to remove (0: weighted mean only).
        components: ``(k, d)`` directions to remove instead of computing them; pass the
            ones returned for the corpus when embedding queries, so both sides are
            projected the same way.
        return_components: also return the ``(k, d)`` removed directions.
    Returns:
        ``(n, d)`` float32 (rows of sentences without known words are zero), and the
        components if asked.
    """
    if isinstance(sentences, str) or not isinstance(sentences, Sequence):
        raise TypeError("sentences must be a list of token lists, e.g. [tokenize(text), ...]")
    if len(sentences) == 0:
        raise ValueError("sentences is empty")
    if any(isinstance(s, str) for s in sentences):
        raise TypeError("sentences must be token lists, got a str; wrap each text as tokenize(text)")
    n_components = check_int(n_components, "n_components", minimum=0)
    a = check_number(a, "a", minimum=0.0, strict_minimum=True)
    vectors = np.asarray(check_word_vectors(wv).vectors, dtype=np.float32)
    out = np.zeros((len(sentences), vectors.shape[1]), dtype=np.float64)
    for i, sentence in enumerate(sentences):
        rows = [wv.index[w] for w in sentence if w in wv.index]
        if rows:
            weights = np.array([a / (a + word_prob.get(wv.words[r], 0.0)) for r in rows])
            out[i] = weights @ vectors[rows] / len(rows)
    if components is not None:
        u = as_matrix(components, "components", d=vectors.shape[1], dtype=np.float64)
    elif n_components > 0:
        if n_components > min(out.shape):
            raise ValueError(f"n_components={n_components} exceeds min(n, d) = {min(out.shape)}")
        # Uncentred SVD, as in the authors' code: the common direction includes the mean.
        u = np.linalg.svd(out, full_matrices=False)[2][:n_components]
    else:
        u = np.zeros((0, vectors.shape[1]))
    out = (out - (out @ u.T) @ u).astype(np.float32)
    return (out, u.astype(np.float32)) if return_components else out
