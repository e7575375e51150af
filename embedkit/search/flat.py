"""Exact (brute-force) search: compare the query with every stored vector.

``FlatIndex`` is faiss's ``IndexFlat``: it stores the vectors as they are and answers a
query by scoring all ``n`` of them, ``O(n * d)`` work per query, then keeping the best
``k``. It is the ground truth every approximate index is measured against.

Batching is what makes it fast. For a block of queries ``Q: (b, d)`` the scores are one
matrix product ``Q @ X.T`` (BLAS does ~``2 b n d`` flops at close to peak speed), and the
best ``k`` of each row come from a partial selection, not a full sort. For L2 the
identity ``|q - x|^2 = |q|^2 - 2 q.x + |x|^2`` turns distances into that same product;
``|x|^2`` is computed once at ``add`` time and ``|q|^2`` is added only to the k winners.

On several cores (``ek.set_num_threads``) the query blocks are searched in parallel, one
block per thread at a time; the blocks are the same whatever the thread count, so the
results are too.
"""
from __future__ import annotations

import numpy as np

from .._threads import block_ranges, parallel_map
from ..similarity import _BLOCK_ELEMENTS, _blocked_top_k
from .index_base import Index

__all__ = ["FlatIndex"]

#: at most this many queries per block: enough blocks to share among threads, each still
#: a large matrix product (256 x n x d)
_QUERY_BLOCK = 256


class FlatIndex(Index):
    """Exact k-nearest-neighbour search by scoring every stored vector.

    Args:
        d: vector dimension.
        metric: ``"l2"``: squared Euclidean distance, smallest first (as faiss
            ``IndexFlatL2``; take ``np.sqrt(D)`` for the plain distance); ``"ip"``: inner
            product, largest first (``IndexFlatIP``); ``"cosine"``: inner product of
            L2-normalised vectors, largest first (vectors are normalised when added and
            when searched, so ``D`` is the cosine similarity).

    Memory: ``4 * d`` bytes per vector (float32), plus 4 bytes for the cached squared
    norm under ``"l2"``.

    Example:
        >>> index = FlatIndex(64, metric="l2")
        >>> index.add(database)             # (n, 64)
        >>> D, I = index.search(queries, 10)  # (nq, 10) each
    """

    def __init__(self, d: int, metric: str = "l2"):
        super().__init__(d, metric)
        self._x = np.empty((0, self.d), dtype=np.float32)
        self._sq_norms = np.empty(0, dtype=np.float32)

    @property
    def code_size(self) -> int:
        """Bytes stored per vector (float32 components)."""
        return 4 * self.d

    @property
    def vectors(self) -> np.ndarray:
        """The stored ``(ntotal, d)`` float32 vectors (normalised under cosine); read-only view."""
        view = self._x.view()
        view.flags.writeable = False
        return view

    def _add(self, x: np.ndarray) -> None:
        self._x = np.concatenate([self._x, x]) if self._ntotal else x.copy()
        self._sq_norms = np.concatenate([self._sq_norms, np.einsum("ij,ij->i", x, x)])

    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        # The blocked matmul + partial selection of ``top_k``, with the squared norms
        # cached at add time; "cosine" vectors were normalised on the way in. Blocks of
        # queries whose score matrix stays near 64 MB, searched on all threads.
        metric, x_sq = ("sqeuclidean", self._sq_norms) if self.metric == "l2" else ("dot", None)
        rows = max(1, min(_QUERY_BLOCK, _BLOCK_ELEMENTS // self._ntotal))
        parts = parallel_map(lambda r: _blocked_top_k(q[r[0]:r[1]], self._x, k, metric, X_sq=x_sq),
                             block_ranges(q.shape[0], rows))
        return np.concatenate([D for D, _ in parts]), np.concatenate([I for _, I in parts])

    def _get_state(self):
        return {"d": self.d, "metric": self.metric}, {"vectors": self._x}

    @classmethod
    def _from_state(cls, params, arrays):
        index = cls(params["d"], params["metric"])
        x = np.ascontiguousarray(arrays["vectors"], dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != index.d:
            raise ValueError(f"stored vectors have shape {x.shape}, expected (n, {index.d})")
        if x.shape[0]:
            index._add(x)
            index._ntotal = x.shape[0]
        return index
