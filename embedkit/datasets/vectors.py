"""Synthetic vector sets for the search lessons (notebooks 11-16), generated from a seed.

Why not well-separated Gaussian blobs? On blobs every approximate index looks perfect:
each query's neighbours sit in one cluster, so IVF with ``nprobe=1`` already finds them
all and no trade-off is visible. Real embeddings are different: clusters (topics) are
many, unequal in size, overlap, and are stretched along a few directions; the variance
spectrum decays (a few directions carry most of it, many carry a little). This module
draws from a model with exactly those traits:

* ``n_clusters`` components with log-normal weights (some topics are far more common);
* component means spread about as widely as the components themselves (overlap);
* each component stretched along its own random orthonormal axes (anisotropy);
* the whole space scaled by a decaying spectrum ``lambda_j ~ (j + 1) ** -decay`` and
  rotated by a random orthogonal matrix, so no coordinate axis is special.

Queries are **fresh draws from the same mixture**, not copies of database vectors: a
query that is also in the database has itself as a trivially easy first neighbour.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import as_generator, check_choice, check_int, check_number

__all__ = ["SearchData", "gaussian_mixture", "make_search_data"]


def _random_rotation(d: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random ``(d, d)`` orthogonal matrix (QR of a Gaussian, sign-fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


@dataclass(frozen=True)
class _Mixture:
    weights: np.ndarray     # (c,)
    means: np.ndarray       # (c, d)
    axes: np.ndarray        # (c, d, d) per-component orthonormal axes, scaled
    spectrum: np.ndarray    # (d,) global per-direction scale
    rotation: np.ndarray    # (d, d)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.choice(len(self.weights), size=n, p=self.weights)
        x = np.empty((n, self.means.shape[1]), dtype=np.float64)
        for c in np.unique(labels):
            rows = np.flatnonzero(labels == c)
            z = rng.standard_normal((rows.size, self.means.shape[1]))
            x[rows] = self.means[c] + z @ self.axes[c]
        x = (x * self.spectrum) @ self.rotation
        return x.astype(np.float32), labels.astype(np.int64)


def _make_mixture(d, n_clusters, decay, overlap, rng) -> _Mixture:
    weights = np.exp(0.75 * rng.standard_normal(n_clusters))
    weights /= weights.sum()
    # overlap = within-cluster spread / spread of the means; 1 means heavy overlap.
    means = rng.standard_normal((n_clusters, d)) / overlap
    axes = np.empty((n_clusters, d, d))
    for c in range(n_clusters):
        # Stretch factors between ~0.3 and ~3: elongated, differently oriented clusters.
        stretch = np.exp(0.6 * rng.standard_normal(d))
        axes[c] = stretch[:, None] * _random_rotation(d, rng)
    spectrum = (np.arange(1, d + 1, dtype=np.float64)) ** (-decay / 2.0)
    return _Mixture(weights, means, axes, spectrum, _random_rotation(d, rng))


def gaussian_mixture(n: int, d: int = 64, *, n_clusters: int = 100, decay: float = 1.0,
                     overlap: float = 1.0, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points from an anisotropic Gaussian mixture with a decaying spectrum.

    Args:
        n: number of points; d: dimension.
        n_clusters: number of mixture components.
        decay: variance of direction ``j`` (after the global rotation is undone) falls as
            ``(j + 1) ** -decay``; 0 gives an isotropic spectrum.
        overlap: within-cluster spread divided by the spread of the cluster means; larger
            means more overlap (harder search); about 0.2 gives separated blobs.
        seed: int or ``np.random.Generator``.
    Returns:
        ``X: (n, d) float32`` and ``labels: (n,) int64`` (the component of each point).
    """
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=1)
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    decay = check_number(decay, "decay", minimum=0.0)
    overlap = check_number(overlap, "overlap", minimum=0.0, strict_minimum=True)
    rng = as_generator(seed)
    return _make_mixture(d, n_clusters, decay, overlap, rng).sample(n, rng)


@dataclass(frozen=True)
class SearchData:
    """A search problem: database, queries and training vectors from one distribution.

    Attributes:
        database: ``(n, d)`` float32, the vectors to index.
        queries: ``(nq, d)`` float32, independent draws (not database rows).
        train: ``(n_train, d)`` float32, a separate sample for training indexes
            (k-means, quantizers), as one would hold out in practice.
        metric: the metric the data is meant for (``"l2"`` or, if normalised, ``"cosine"``).
    """

    database: np.ndarray
    queries: np.ndarray
    train: np.ndarray
    metric: str = "l2"
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def d(self) -> int:
        return self.database.shape[1]

    def ground_truth(self, k: int = 10) -> np.ndarray:
        """``(nq, k)`` int64 ids of each query's exact nearest neighbours (cached).

        Computed with ``FlatIndex`` under ``self.metric``, nearest first.
        """
        from ..search.flat import FlatIndex  # deferred: importing the datasets stays light

        k = check_int(k, "k", minimum=1, maximum=self.database.shape[0])
        best = max([kk for kk in self._cache if kk >= k], default=None)
        if best is None:
            index = FlatIndex(self.d, metric=self.metric)
            index.add(self.database)
            self._cache[k] = index.search(self.queries, k)[1]
            best = k
        return self._cache[best][:, :k].copy()

    def __repr__(self) -> str:
        return (f"SearchData(n={self.database.shape[0]}, nq={self.queries.shape[0]}, "
                f"n_train={self.train.shape[0]}, d={self.d}, metric={self.metric!r})")


def make_search_data(n: int = 20_000, nq: int = 200, d: int = 64, *, n_train: int | None = None,
                     n_clusters: int = 100, decay: float = 1.0, overlap: float = 1.0,
                     metric: str = "l2", seed=0) -> SearchData:
    """A realistic search benchmark: database, queries and training set from one mixture.

    Args:
        n: database size; nq: number of queries; d: dimension.
        n_train: size of the separate training sample (default ``min(n, 50_000)``).
        n_clusters, decay, overlap: shape of the mixture, see ``gaussian_mixture``.
        metric: ``"l2"`` keeps the raw vectors; ``"cosine"`` normalises every vector to
            unit length (as sentence-embedding models do), and ground truth uses cosine.
        seed: int or ``np.random.Generator``; the same seed gives the same arrays.
    Returns:
        a ``SearchData``.

    Example:
        >>> data = make_search_data(n=50_000, nq=500, d=64, seed=0)
        >>> gt = data.ground_truth(10)      # (500, 10) exact neighbours
    """
    n = check_int(n, "n", minimum=1)
    nq = check_int(nq, "nq", minimum=1)
    d = check_int(d, "d", minimum=1)
    n_train = min(n, 50_000) if n_train is None else check_int(n_train, "n_train", minimum=1)
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    decay = check_number(decay, "decay", minimum=0.0)
    overlap = check_number(overlap, "overlap", minimum=0.0, strict_minimum=True)
    check_choice(metric, "metric", ("l2", "cosine"))
    rng = as_generator(seed)
    mixture = _make_mixture(d, n_clusters, decay, overlap, rng)
    database, _ = mixture.sample(n, rng)
    queries, _ = mixture.sample(nq, rng)
    train, _ = mixture.sample(n_train, rng)
    if metric == "cosine":
        database, queries, train = (
            np.ascontiguousarray(a / np.linalg.norm(a, axis=1, keepdims=True), dtype=np.float32)
            for a in (database, queries, train)
        )
    return SearchData(database, queries, train, metric)
