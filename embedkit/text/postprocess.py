"""All-but-the-top: remove the mean and the few dominant directions of a set of word vectors.

Word vectors trained on co-occurrences share a large common component: a non-zero mean
and a handful of principal directions that mostly encode word *frequency*, not meaning
(Mu & Viswanath, 2018, "All-but-the-Top: Simple and Effective Postprocessing for Word
Representations"). Cosine similarity is dominated by them: two unrelated frequent words
look alike because both point along the common direction. Subtracting the mean and
projecting out the top ``D`` principal components (the paper suggests ``D ~ d / 100``)
removes that shared part and leaves the differences between words.

How much it helps depends on the method: GloVe's ``W + C`` carry a strong common
direction (notebook 05 measures the gain on the course corpus, where ``D`` was chosen on a
validation split), while skip-gram with negative sampling gains less.
"""
from __future__ import annotations

import numpy as np

from .._validation import as_matrix, check_int

__all__ = ["all_but_the_top"]


def all_but_the_top(vectors, n_components: int = 2) -> np.ndarray:
    """Centre ``vectors`` and remove their top ``n_components`` principal directions.

    Args:
        vectors: ``(n, d)`` word vectors (any float dtype).
        n_components: ``D``, the number of principal directions removed, ``0 <= D < min(n, d)``
            (``0``: centring only).

    Returns:
        ``(n, d)`` float32 ``x - mean - sum_k (u_k . (x - mean)) u_k`` for the ``D`` unit
        eigenvectors ``u_k`` of the centred covariance with the largest eigenvalues
        (computed in float64).
    """
    X = as_matrix(vectors, "vectors", dtype=np.float64)
    n_components = check_int(n_components, "n_components", minimum=0)
    if n_components >= min(X.shape):
        raise ValueError(f"n_components must be below min(n, d) = {min(X.shape)} for vectors of "
                         f"shape {X.shape}, got {n_components}")
    X = X - X.mean(axis=0)
    if n_components:
        # Eigenvectors of the d x d scatter matrix (cheaper than an SVD of the n x d data).
        _, eigvecs = np.linalg.eigh(X.T @ X)               # ascending eigenvalues
        top = eigvecs[:, ::-1][:, :n_components]            # (d, D)
        X -= (X @ top) @ top.T
    return X.astype(np.float32)
