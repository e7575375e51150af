"""Inverted-file index (IVF): search a few clusters instead of the whole database.

Training runs k-means on a sample of the data to get ``nlist`` centroids (the *coarse
quantizer*). Adding a vector appends it to the *inverted list* of its nearest centroid.
A query is compared with the ``nlist`` centroids, and only the vectors in its ``nprobe``
nearest lists are scored exactly. With balanced lists that is about
``nlist * d + nprobe * (n / nlist) * d`` operations instead of ``n * d``.

The price is recall: a true neighbour that sits in a list the query did not probe is
missed (neighbours near a cluster border often do). ``nprobe`` is the knob: ``nprobe=1``
is fastest, ``nprobe=nlist`` scans everything and is exact. This is faiss's
``IndexIVFFlat``; vectors are stored uncompressed, so it saves time, not memory (IVF-PQ,
notebook 14, saves both).

How the search is vectorised. A Python loop over queries and their probes would run
``nq * nprobe`` tiny products. Instead the (query, list) pairs are grouped by list, and
each list is scanned once, for all the queries that probe it, with one matrix product.
The scores land in a ``(nq, candidates)`` table, one row per query, and a single top-k
selection over that table finishes the search.
"""
from __future__ import annotations

import numpy as np

from .._validation import as_generator, as_matrix, check_int
from ..similarity import _BLOCK_ELEMENTS, _select_top_k
from .index_base import Index
from .kmeans import kmeans

__all__ = ["IVFIndex", "InvertedListsMixin"]

# Largest g*m*d of one per-list product; below about 2**19 OpenBLAS runs sgemm on one thread.
_SMALL_GEMM = 1 << 19


class InvertedListsMixin:
    """What every inverted-file index shares: the ``nprobe`` knob, list introspection and
    the coarse quantizer that picks the lists to probe.

    Expects ``nlist``, ``_nprobe``, ``_centroids`` (``(nlist, d)`` or None before
    training) and ``_offsets`` (list j holds stored rows ``offsets[j]:offsets[j+1]``).
    Used by ``IVFIndex`` and ``IVFPQIndex``.
    """

    @property
    def nprobe(self) -> int:
        """How many inverted lists each query scans (``1 .. nlist``)."""
        return self._nprobe

    @nprobe.setter
    def nprobe(self, value) -> None:
        self._nprobe = check_int(value, "nprobe", minimum=1, maximum=self.nlist)

    @property
    def centroids(self) -> np.ndarray:
        """``(nlist, d)`` float32 coarse centroids (after ``train``)."""
        self._check_trained("reading centroids")
        return self._centroids.copy()

    @property
    def list_sizes(self) -> np.ndarray:
        """``(nlist,)`` int64: how many vectors each inverted list holds."""
        return np.diff(self._offsets)

    def probed_lists(self, q, nprobe: int | None = None) -> np.ndarray:
        """``(nq, nprobe)`` int64: the lists a search of ``q: (nq, d)`` opens, nearest first.

        ``nprobe`` defaults to the index's own; what faiss returns from
        ``index.quantizer.search(q, nprobe)``.
        """
        self._check_trained("probing lists")
        q = self._check_vectors(q, "q")
        nprobe = self.nprobe if nprobe is None else check_int(nprobe, "nprobe", minimum=1, maximum=self.nlist)
        return self._probe(q, nprobe)[1]

    def _probe(self, x: np.ndarray, nprobe: int) -> tuple[np.ndarray, np.ndarray]:
        """The coarse quantizer: the ``nprobe`` nearest lists of each row of ``x``.

        Returns ``(coarse, lists)``, each ``(n, nprobe)``, nearest list first: ``lists``
        int64, ``coarse`` float32, the row's score against that centroid: ``|x - c|^2``
        for ``"l2"``, ``x . c`` for ``"ip"`` and ``"cosine"`` (IVF-PQ adds it to the
        residual's score). Lists rank by ``|c|^2 - 2 x.c`` (the same order as ``|x - c|^2``)
        except for ``"ip"``, which ranks by ``x . c``. Rows go in blocks of bounded size.
        """
        C = self._centroids
        n = x.shape[0]
        coarse = np.empty((n, nprobe), dtype=np.float32)
        lists = np.empty((n, nprobe), dtype=np.int64)
        c_sq = np.einsum("ij,ij->i", C, C)
        rows = max(1, _BLOCK_ELEMENTS // self.nlist)
        for start in range(0, n, rows):
            xb = x[start:start + rows]
            ip = xb @ C.T                                                # (rows, nlist)
            if self.metric == "ip":
                coarse[start:start + rows], lists[start:start + rows] = _select_top_k(ip, nprobe, largest=True)
                continue
            key = c_sq[None, :] - 2.0 * ip
            _, best = _select_top_k(key, nprobe, largest=False)
            lists[start:start + rows] = best
            if self.metric == "l2":
                d2 = np.take_along_axis(key, best, axis=1) + np.einsum("ij,ij->i", xb, xb)[:, None]
                coarse[start:start + rows] = np.maximum(d2, 0.0)
            else:                                                        # cosine: scored by x . c
                coarse[start:start + rows] = np.take_along_axis(ip, best, axis=1)
        return coarse, lists


class IVFIndex(InvertedListsMixin, Index):
    """Inverted-file index with exact (float32) scoring inside the probed lists.

    Args:
        d: vector dimension.
        nlist: number of inverted lists (k-means centroids). A common rule is about
            ``sqrt(n)`` to ``4 sqrt(n)``; faiss wants at least ``39 * nlist`` training points.
        metric: ``"l2"`` (squared distance), ``"ip"`` or ``"cosine"``, as in ``FlatIndex``.
            Lists are always formed by L2 k-means; with ``"ip"`` a vector goes to the
            centroid of largest inner product, as faiss does with an ``IndexFlatIP``
            quantizer.
        n_iter: k-means iterations in ``train`` (faiss uses 10 for IVF).
        max_points_per_centroid: ``train`` clusters a random sample of at most
            ``nlist * max_points_per_centroid`` points (faiss's default is 256).
        seed: int or ``np.random.Generator`` for sampling and k-means++.
        progress: show a progress bar during training.

    Attributes:
        nprobe: lists scanned per query, ``1 <= nprobe <= nlist`` (default 1).

    Example:
        >>> index = IVFIndex(64, nlist=256)
        >>> index.train(database); index.add(database)
        >>> index.nprobe = 8
        >>> D, I = index.search(queries, 10)
    """

    needs_training = True
    _format_version = 1

    def __init__(self, d: int, nlist: int, metric: str = "l2", *, n_iter: int = 10,
                 max_points_per_centroid: int = 256, seed=0, progress: bool = False):
        super().__init__(d, metric)
        self.nlist = check_int(nlist, "nlist", minimum=1)
        self.n_iter = check_int(n_iter, "n_iter", minimum=0)
        self.max_points_per_centroid = check_int(max_points_per_centroid, "max_points_per_centroid", minimum=1)
        self._rng = as_generator(seed)
        self._seed = seed if isinstance(seed, int) else None
        self.progress = bool(progress)
        self._nprobe = 1
        self._centroids: np.ndarray | None = None
        # Storage grouped by list: list j holds rows offsets[j]:offsets[j+1] of _vectors.
        self._vectors = np.empty((0, self.d), dtype=np.float32)
        self._ids = np.empty(0, dtype=np.int64)
        self._sq_norms = np.empty(0, dtype=np.float32)
        self._offsets = np.zeros(self.nlist + 1, dtype=np.int64)

    # -- knobs and introspection ------------------------------------------------------
    @property
    def is_trained(self) -> bool:
        return self._centroids is not None

    @property
    def code_size(self) -> int:
        """Bytes stored per vector: float32 components plus an int64 id."""
        return 4 * self.d + 8

    def __repr__(self) -> str:
        return (f"IVFIndex(d={self.d}, nlist={self.nlist}, metric={self.metric!r}, "
                f"nprobe={self.nprobe}, ntotal={self.ntotal})")

    # -- training -----------------------------------------------------------------------
    def train(self, x) -> None:
        """Learn the ``nlist`` coarse centroids by k-means on ``x: (n, d)``, ``n >= nlist``."""
        x = self._check_vectors(x, "x")
        if self.ntotal:
            raise ValueError("the index already holds vectors; retraining would leave them in "
                             "the wrong lists: build a new IVFIndex instead")
        if x.shape[0] < self.nlist:
            raise ValueError(f"x has {x.shape[0]} vectors, fewer than nlist={self.nlist}; "
                             "train with at least nlist (better 39 * nlist) vectors")
        limit = self.nlist * self.max_points_per_centroid
        if x.shape[0] > limit:  # more points barely move the centroids; sample, as faiss does
            x = x[np.sort(self._rng.choice(x.shape[0], size=limit, replace=False))]
        centroids, _ = kmeans(x, self.nlist, n_iter=self.n_iter, seed=self._rng,
                              progress=self.progress)
        self.set_centroids(centroids)

    def set_centroids(self, centroids) -> None:
        """Use given ``(nlist, d)`` centroids instead of training (e.g. from
        ``balanced_kmeans`` or from a faiss quantizer). Only on an empty index."""
        if self.ntotal:
            raise ValueError("the index already holds vectors; centroids can only be set "
                             "(or the index retrained) while it is empty")
        c = as_matrix(centroids, "centroids", d=self.d)
        if c.shape[0] != self.nlist:
            raise ValueError(f"centroids must have nlist={self.nlist} rows, got shape {c.shape}")
        self._centroids = c.copy()

    # -- adding ---------------------------------------------------------------------------
    def add(self, x, *, lists=None) -> None:
        """Append ``x: (n, d)`` with ids ``ntotal .. ntotal + n - 1``.

        Args:
            x: vectors to add.
            lists: optional ``(n,)`` list number of each vector, e.g. the assignment from
                ``balanced_kmeans`` (so list sizes stay capped); by default each vector
                goes to its nearest centroid.
        """
        self._check_trained("add")
        x = self._check_vectors(x, "x")
        if lists is None:
            lists = self._probe(x, 1)[1][:, 0]
        else:
            lists = np.asarray(lists)
            if lists.shape != (x.shape[0],) or not np.issubdtype(lists.dtype, np.integer):
                raise ValueError(f"lists must be an integer array of shape ({x.shape[0]},), "
                                 f"got {lists.dtype} array of shape {lists.shape}")
            if lists.size and (lists.min() < 0 or lists.max() >= self.nlist):
                raise ValueError(f"lists must be in 0 .. nlist-1 = {self.nlist - 1}, got "
                                 f"values from {lists.min()} to {lists.max()}")
        self._insert(x, lists.astype(np.int64), np.arange(self.ntotal, self.ntotal + x.shape[0]))
        self._ntotal += x.shape[0]

    def _insert(self, x: np.ndarray, lists: np.ndarray, ids: np.ndarray) -> None:
        # Merge into the grouped storage; a stable sort keeps insertion order inside a list.
        old_lists = np.repeat(np.arange(self.nlist), self.list_sizes)
        all_lists = np.concatenate([old_lists, lists])
        order = np.argsort(all_lists, kind="stable")
        self._vectors = np.ascontiguousarray(np.concatenate([self._vectors, x])[order])
        self._ids = np.concatenate([self._ids, ids])[order]
        self._sq_norms = np.einsum("ij,ij->i", self._vectors, self._vectors)
        self._offsets = np.concatenate([[0], np.cumsum(np.bincount(all_lists, minlength=self.nlist))])

    def _add(self, x: np.ndarray) -> None:  # pragma: no cover - add() is overridden
        raise NotImplementedError

    # -- search -----------------------------------------------------------------------------
    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        nq = q.shape[0]
        D, I = self._empty_result(nq, k)
        probes = self._probe(q, self.nprobe)[1]                 # (nq, nprobe)
        probe_sizes = self.list_sizes[probes]                    # (nq, nprobe)
        n_cand = probe_sizes.sum(axis=1)
        # Bound the (rows, candidates) table to ~64 MB by taking queries in chunks.
        rows = max(1, _BLOCK_ELEMENTS // max(1, int(n_cand.max())))
        for start in range(0, nq, rows):
            stop = min(nq, start + rows)
            D[start:stop], I[start:stop] = self._search_chunk(
                q[start:stop], k, probes[start:stop], probe_sizes[start:stop])
        return D, I

    def _search_chunk(self, q, k, probes, probe_sizes):
        b, nprobe = probes.shape
        largest = self.higher_is_better
        # Row r of the candidate table holds its probed lists side by side; probe p of
        # query r starts at column col[r, p].
        col = np.cumsum(probe_sizes, axis=1) - probe_sizes
        width = int(probe_sizes.sum(axis=1).max())
        fill = -np.inf if largest else np.inf
        table = np.full(b * max(width, 1), fill, dtype=np.float32)

        # Group the b * nprobe (query, list) pairs by list.
        pair_list = probes.ravel()
        order = np.argsort(pair_list, kind="stable")
        pair_list = pair_list[order]
        pair_query = (order // nprobe)
        pair_start = (pair_query * width + col.ravel()[order])  # flat offset in the table
        # The pairs of one list are contiguous after the sort: slice, do not search.
        starts = np.flatnonzero(np.r_[True, np.diff(pair_list) != 0])
        ends = np.r_[starts[1:], pair_list.size]
        offsets = self._offsets
        columns = np.arange(int(self.list_sizes.max()))
        for first, end, lst in zip(starts.tolist(), ends.tolist(), pair_list[starts].tolist()):
            lo, hi = int(offsets[lst]), int(offsets[lst + 1])
            if hi == lo:
                continue
            vectors, span = self._vectors[lo:hi], columns[:hi - lo]
            # One product for all the queries that probe this list: (g, d) @ (d, m). These
            # products are small, and OpenBLAS splits a product over threads once g*m*d
            # passes a threshold; on a busy machine the thread hand-off then costs far more
            # than the arithmetic (measured 50x). Cap g so each product stays single-threaded.
            step = max(1, _SMALL_GEMM // ((hi - lo) * self.d))
            for g0 in range(first, end, step):
                g1 = min(end, g0 + step)
                scores = q[pair_query[g0:g1]] @ vectors.T
                if not largest:  # rank by |x|^2 - 2 q.x; |q|^2 is added to the winners
                    scores *= -2.0
                    scores += self._sq_norms[lo:hi]
                table[pair_start[g0:g1, None] + span] = scores
        table = table.reshape(b, max(width, 1))

        kk = min(k, table.shape[1])
        best, cols = _select_top_k(table, kk, largest)
        # Map each winning column back to (probe, list, row in storage, id).
        probe_of = (col[:, None, :] <= cols[:, :, None]).sum(axis=2) - 1   # (b, kk)
        lst = np.take_along_axis(probes, probe_of, axis=1)
        pos = self._offsets[lst] + cols - np.take_along_axis(col, probe_of, axis=1)
        found = np.isfinite(best)
        D, I = self._empty_result(b, k)
        I[:, :kk] = np.where(found, self._ids[np.where(found, pos, 0)], -1)  # padding: -1
        if not largest:
            best = best + np.einsum("ij,ij->i", q, q)[:, None]
            np.maximum(best, 0.0, out=best)
        D[:, :kk] = np.where(found, best, fill)
        return D, I

    # -- persistence ------------------------------------------------------------------------
    def _get_state(self):
        params = {"d": self.d, "nlist": self.nlist, "metric": self.metric, "nprobe": self.nprobe,
                  "n_iter": self.n_iter, "max_points_per_centroid": self.max_points_per_centroid,
                  "seed": self._seed, "trained": self.is_trained}
        centroids = self._centroids if self.is_trained else np.empty((0, self.d), np.float32)
        return params, {"centroids": centroids, "vectors": self._vectors,
                        "ids": self._ids, "offsets": self._offsets}

    @classmethod
    def _from_state(cls, params, arrays):
        index = cls(params["d"], params["nlist"], params["metric"], n_iter=params["n_iter"],
                    max_points_per_centroid=params["max_points_per_centroid"],
                    seed=params["seed"])
        if params["trained"]:
            index.set_centroids(arrays["centroids"])
        index.nprobe = params["nprobe"]
        vectors = np.ascontiguousarray(arrays["vectors"], dtype=np.float32)
        ids = arrays["ids"].astype(np.int64)
        offsets = arrays["offsets"].astype(np.int64)
        if (vectors.ndim != 2 or vectors.shape[1] != index.d or ids.shape != (vectors.shape[0],)
                or offsets.shape != (index.nlist + 1,) or offsets[-1] != vectors.shape[0]):
            raise ValueError("stored vectors, ids and offsets do not fit together")
        from .._saved_files import check_index_array, check_offsets

        check_offsets(offsets, "offsets", vectors.shape[0])
        check_index_array(ids, "ids", vectors.shape[0], unique=True)
        index._vectors, index._ids, index._offsets = vectors, ids, offsets
        index._sq_norms = np.einsum("ij,ij->i", vectors, vectors)
        index._ntotal = vectors.shape[0]
        return index
