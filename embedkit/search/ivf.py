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

How the search runs. Each query scans its ``nprobe`` lists vector by vector in a compiled
loop (numba) that keeps the query's ``k`` best in a short sorted array, as faiss's
``IndexIVFFlat`` does; blocks of queries are searched in parallel
(``ek.set_num_threads``). The work is then what the cost model says: ``nlist`` centroid
scores plus ``nprobe * n / nlist`` vector scores per query, and nothing per list. (An
earlier version grouped the queries by list and scored each list with one matrix
product; its fixed cost per list made the speed flat over a range of ``nprobe``.)
"""
from __future__ import annotations

import numpy as np

from .._jit import njit
from .._threads import block_ranges, get_num_threads, parallel_map
from .._validation import as_generator, as_matrix, check_int
from ..similarity import _BLOCK_ELEMENTS, _select_top_k
from .index_base import Index
from .kmeans import kmeans

__all__ = ["IVFIndex", "InvertedListsMixin"]

#: at most this many queries per block of a search (blocks run in parallel; a block reads
#: each probed list once for all its queries: measured 1.4-2x faster than blocks of 64)
_QUERY_BLOCK = 256


@njit(fastmath=True, nogil=True)
def _scan_lists(q, lists, offsets, vectors, ids, l2, D, I):
    """Score the vectors of each query's probed lists; keep the ``k`` smallest.

    ``q: (b, d)`` queries, ``lists: (b, nprobe)`` their lists, ``vectors`` grouped by list
    (list ``j`` is rows ``offsets[j]:offsets[j+1]``). The score is ``|q - x|^2`` if ``l2``,
    else ``-q.x`` (smaller is better either way). ``D, I: (b, k)`` arrive as ``+inf`` /
    ``-1`` and receive each query's best scores and their storage rows, best first (ties:
    the lower id, ``ids[row]``, first). Only a score that beats the current ``k``-th best is
    inserted.

    Why list by list, not query by query. Scanning is limited by memory bandwidth: a
    list's vectors are read from RAM, used for one dot product each, and evicted. Several
    queries of a block usually probe the same list (a block of 256 queries with
    ``nprobe = 8`` opens each of 256 lists about 8 times), so the ``(query, list)`` pairs
    are sorted by list and each list is read once for all the queries that probe it,
    while its vectors are in cache. Each query still visits its lists in increasing
    order, and ties are broken by id, so its result does not depend on the other queries
    of its block.
    """
    b, nprobe = lists.shape
    k, d = D.shape[1], q.shape[1]
    flat = lists.ravel()
    order = np.argsort(flat, kind="mergesort")      # pairs grouped by list, stable
    g = 0
    while g < order.shape[0]:
        lst = flat[order[g]]
        h = g
        while h < order.shape[0] and flat[order[h]] == lst:
            h += 1
        for r in range(offsets[lst], offsets[lst + 1]):
            for t in range(g, h):                    # every query that probes this list
                i = order[t] // nprobe
                s = np.float32(0.0)
                if l2:
                    for j in range(d):
                        u = q[i, j] - vectors[r, j]
                        s += u * u
                else:
                    for j in range(d):
                        s += q[i, j] * vectors[r, j]
                    s = -s
                # Insertion into the sorted top-k, ordered by (score, id): ties go to the
                # lower id whatever order the lists are read in.
                last = I[i, k - 1]
                if s < D[i, k - 1] or (s == D[i, k - 1] and (last < 0 or ids[r] < ids[last])):
                    pos = k - 1
                    while pos > 0 and (D[i, pos - 1] > s or
                                       (D[i, pos - 1] == s and ids[I[i, pos - 1]] > ids[r])):
                        D[i, pos], I[i, pos] = D[i, pos - 1], I[i, pos - 1]
                        pos -= 1
                    D[i, pos], I[i, pos] = s, r
        g = h


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
        q = self._rotate(self._check_vectors(q, "q"))
        nprobe = self.nprobe if nprobe is None else check_int(nprobe, "nprobe", minimum=1, maximum=self.nlist)
        return self._probe(q, nprobe)[1]

    def _rotate(self, x: np.ndarray) -> np.ndarray:
        """Indexes that transform vectors first (IVF-PQ with OPQ) override this."""
        return x

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
        seed: int or ``np.random.Generator`` for the training sample and the k-means seeds.
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
        # Seeded with nlist random training points, as faiss: k-means++ would cost nlist
        # passes over the sample (measured: 5x the whole training time at nlist = 1024)
        # for no better lists on overlapping data (notebook 12, section 4).
        centroids, _ = kmeans(x, self.nlist, n_iter=self.n_iter, seed=self._rng,
                              init="random", progress=self.progress)
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
        self._offsets = np.concatenate([[0], np.cumsum(np.bincount(all_lists, minlength=self.nlist))])

    def _add(self, x: np.ndarray) -> None:  # pragma: no cover - add() is overridden
        raise NotImplementedError

    # -- search -----------------------------------------------------------------------------
    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        largest = self.higher_is_better
        D = np.full((q.shape[0], k), np.inf, dtype=np.float32)
        rows = np.full((q.shape[0], k), -1, dtype=np.int64)

        def search_block(block):
            # Blocks of queries in parallel: the coarse quantizer, then the list scan. The
            # cut does not depend on the thread count, so neither do the results.
            lo, hi = block
            lists = np.ascontiguousarray(self._probe(q[lo:hi], self.nprobe)[1])
            _scan_lists(q[lo:hi], lists, self._offsets, self._vectors, self._ids, not largest,
                        D[lo:hi], rows[lo:hi])

        # Big blocks share more list reads; but at least one block per thread. (Any cut
        # gives the same results: see _scan_lists.)
        block = max(16, min(_QUERY_BLOCK, -(-q.shape[0] // get_num_threads())))
        parallel_map(search_block, block_ranges(q.shape[0], block))
        found = rows >= 0              # fewer than k vectors in the probed lists: -1
        I = np.where(found, self._ids[np.where(found, rows, 0)], -1)
        D = np.where(found, -D if largest else D, -np.inf if largest else np.inf)
        return D.astype(np.float32), I

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
        index._ntotal = vectors.shape[0]
        return index
