"""Locality-sensitive hashing with random hyperplanes (SimHash), for cosine similarity.

A random hyperplane through the origin, with normal ``r ~ N(0, I_d)``, gives one bit:
``h(x) = 1 if r . x > 0 else 0``. Two vectors at angle ``theta`` fall on different sides
exactly when the hyperplane passes between them, which for a uniformly random direction
happens with probability ``theta / pi`` (Charikar, 2002). So

    P[h(x) = h(y)] = 1 - theta(x, y) / pi,

a collision probability that *decreases with the angle*: that is what "locality
sensitive" means. Near vectors tend to share bits, far ones tend not to.

**Buckets and tables.** Concatenating ``K = nbits`` bits gives a bucket key; vectors with
the same key share a bucket, and a query only looks at its own bucket. A pair at angle
``theta`` shares a bucket with probability ``p^K``, ``p = 1 - theta / pi``: large ``K``
makes buckets small (fast, precise) but misses true neighbours. ``L = ntables``
independent tables fix that: a neighbour is found if it collides in *any* table, with
probability ``1 - (1 - p^K)^L``. **Multi-probe** LSH (``nprobe > 1``) gets a similar
effect from fewer tables: besides its own bucket, a query also looks into the buckets
that differ in the bits it is least sure about (smallest ``|r . q|``). The candidates from
all probed buckets are then re-ranked by their exact cosine.

**Hamming ranking** (``search_hamming``) is the other way to use the same codes, and the
one faiss's ``IndexLSH`` implements: compare the query's code with *every* stored code
and rank by Hamming distance (``ntables * nbits`` bits, a few machine words per vector).
That is a linear scan, but of 64x smaller data than the float vectors.

The hyperplane normals are the rows of random rotations (``d`` orthogonal normals per
rotation, used for consecutive bits and tables): every single normal is still a
uniformly random direction, so the collision law above holds bit by bit, but the bits do
not repeat each other's information as independent Gaussian normals partly would
(faiss's ``IndexLSH`` rotates the data at random for the same reason).
"""
from __future__ import annotations

from itertools import combinations

import numpy as np

from .._threads import block_ranges, parallel_map
from .._validation import as_generator, check_int
from ..similarity import _BLOCK_ELEMENTS, _select_top_k
from .index_base import Index

__all__ = ["LSHIndex", "hyperplane_hash"]


def hyperplane_hash(x: np.ndarray, planes: np.ndarray) -> np.ndarray:
    """Bits of ``x: (n, d)`` against ``planes: (nbits, d)``: ``(n, nbits)`` bool, ``r . x > 0``."""
    return (x @ planes.T) > 0


def _keys(bits: np.ndarray) -> np.ndarray:
    """``(..., K)`` bits -> ``(...)`` uint64 bucket keys, bit ``j`` worth ``2**j``."""
    weights = np.left_shift(np.uint64(1), np.arange(bits.shape[-1], dtype=np.uint64))
    return (bits.astype(np.uint64) * weights).sum(axis=-1, dtype=np.uint64)


class LSHIndex(Index):
    """Random-hyperplane LSH for cosine similarity: hash tables, multi-probe, re-ranking.

    Args:
        d: vector dimension.
        nbits: bits per table, ``K`` (1..64): the bucket key length. More bits, smaller
            buckets: fewer candidates, lower recall per table.
        seed: int or ``np.random.Generator`` for the hyperplanes.
        ntables: number of hash tables, ``L``, each with its own hyperplanes. More
            tables, higher recall, more memory (8 + 4 bytes per vector per table) and
            more candidates.
        metric: ``"cosine"`` only (random hyperplanes estimate angles); vectors are
            normalised when added and searched.

    Attributes:
        nprobe: buckets looked up per table and query (default 1: the query's own
            bucket). Up to ``1 + K + K (K - 1) / 2``: the own bucket, then the buckets
            one or two bit flips away, least confident bits first (multi-probe LSH).

    ``search`` returns the cosine of the best re-ranked candidates (``-1`` ids where the
    probed buckets held fewer than ``k`` vectors); ``search_hamming`` ranks every stored
    code by Hamming distance, as faiss ``IndexLSH`` does.

    Example:
        >>> index = LSHIndex(64, nbits=12, ntables=8)
        >>> index.add(database)
        >>> index.nprobe = 4
        >>> D, I = index.search(queries, 10)
    """

    metrics = ("cosine",)
    _format_version = 1

    def __init__(self, d: int, nbits: int, seed=0, *, ntables: int = 1, metric: str = "cosine"):
        super().__init__(d, metric)
        self.nbits = check_int(nbits, "nbits", minimum=1, maximum=64)
        self.ntables = check_int(ntables, "ntables", minimum=1)
        self.planes = self._draw_planes(as_generator(seed))   # (L, K, d)
        self._nprobe = 1
        # Flip patterns for multi-probe: every set of one or two bits, as a (P, K) mask.
        flips = [(j,) for j in range(self.nbits)] + list(combinations(range(self.nbits), 2))
        self._flip_masks = np.zeros((len(flips), self.nbits), dtype=bool)
        for row, bits in enumerate(flips):
            self._flip_masks[row, list(bits)] = True
        self._x = np.empty((0, self.d), dtype=np.float32)
        self._codes = np.empty((0, self.ntables), dtype=np.uint64)   # key of each vector, per table
        self._sorted_keys = np.empty((self.ntables, 0), dtype=np.uint64)
        self._sorted_ids = np.empty((self.ntables, 0), dtype=np.int32)

    def _draw_planes(self, rng: np.random.Generator) -> np.ndarray:
        """``(L, K, d)`` float32 normals: the rows of consecutive random rotations.

        Each row is a uniformly random direction; rows taken from one rotation are
        orthogonal, so up to ``d`` bits (within a table and across tables) never repeat
        each other's information, as independent Gaussian normals partly would.
        """
        n_rows = self.ntables * self.nbits
        blocks = []
        for _ in range(-(-n_rows // self.d)):                     # ceil(L K / d) rotations
            q, r = np.linalg.qr(rng.standard_normal((self.d, self.d)))
            blocks.append((q * np.sign(np.diag(r))).T)          # sign fix: uniform (Haar)
        rows = np.concatenate(blocks)[:n_rows]
        return np.ascontiguousarray(rows.reshape(self.ntables, self.nbits, self.d), dtype=np.float32)

    # -- knobs and introspection -------------------------------------------------------
    @property
    def max_probes(self) -> int:
        """The largest ``nprobe``: own bucket + ``K`` one-bit + ``K (K-1)/2`` two-bit flips."""
        return 1 + self._flip_masks.shape[0]

    @property
    def nprobe(self) -> int:
        """Buckets probed per table and query (``1 .. max_probes``)."""
        return self._nprobe

    @nprobe.setter
    def nprobe(self, value) -> None:
        self._nprobe = check_int(value, "nprobe", minimum=1, maximum=self.max_probes)

    @property
    def codes(self) -> np.ndarray:
        """``(ntotal, ntables) uint64``: each vector's bucket key in every table."""
        return self._codes.copy()

    @property
    def code_size(self) -> int:
        """Bytes per vector: float32 vector (for re-ranking) + key and id per table."""
        return 4 * self.d + 12 * self.ntables

    def hash(self, x) -> np.ndarray:
        """``(n, ntables) uint64`` bucket keys of ``x: (n, d)`` (normalised first)."""
        return self._hash(self._check_vectors(x, "x"))[0]

    def bucket_sizes(self, table: int = 0) -> np.ndarray:
        """Sizes of the non-empty buckets of one table (``int64``, largest first)."""
        table = check_int(table, "table", minimum=0, maximum=self.ntables - 1)
        _, counts = np.unique(self._sorted_keys[table], return_counts=True)
        return np.sort(counts)[::-1]

    def __repr__(self) -> str:
        return (f"LSHIndex(d={self.d}, nbits={self.nbits}, ntables={self.ntables}, "
                f"nprobe={self.nprobe}, ntotal={self.ntotal})")

    # -- hashing and storage -----------------------------------------------------------
    def _hash(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keys ``(n, L) uint64`` and projections ``(n, L, K) float32`` of unit rows ``x``."""
        proj = np.einsum("nd,lkd->nlk", x, self.planes)
        return _keys(proj > 0), proj

    def _add(self, x: np.ndarray) -> None:
        codes, _ = self._hash(x)
        self._x = np.concatenate([self._x, x])
        self._codes = np.concatenate([self._codes, codes])
        self._index_tables()

    def _index_tables(self) -> None:
        # A hash table as two sorted arrays: bucket `key` is the run of equal keys, found
        # with two binary searches. Stable sort: ids inside a bucket stay in add order.
        order = np.argsort(self._codes, axis=0, kind="stable").T          # (L, n)
        self._sorted_ids = np.ascontiguousarray(order, dtype=np.int32)
        self._sorted_keys = np.take_along_axis(self._codes.T, order, axis=1)

    # -- search: buckets + re-ranking ----------------------------------------------------
    def _probe_keys(self, keys: np.ndarray, proj: np.ndarray) -> np.ndarray:
        """``(nq, L, nprobe)`` keys to look up: own bucket, then least-confident flips."""
        if self.nprobe == 1:
            return keys[:, :, None]
        # Cost of a flip set: sum of |r . q| over the flipped bits (small = likely).
        cost = np.abs(proj) @ self._flip_masks.T.astype(np.float32)       # (nq, L, P)
        best = np.argsort(cost, axis=2, kind="stable")[:, :, : self.nprobe - 1]
        flip_keys = _keys(self._flip_masks)[best]                          # (nq, L, nprobe-1)
        return np.concatenate([keys[:, :, None], keys[:, :, None] ^ flip_keys], axis=2)

    def candidates(self, q) -> list[np.ndarray]:
        """The ids in the probed buckets of each query (sorted, no duplicates)."""
        q = self._check_vectors(q, "q")
        owner, ids = self._candidates(q)
        return np.split(ids, np.searchsorted(owner, np.arange(1, q.shape[0])))

    def _candidates(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flat ``(owner query, id)`` pairs, sorted by query then id, without duplicates."""
        keys, proj = self._hash(q)
        probes = self._probe_keys(keys, proj)                              # (nq, L, P)
        owners, ids = [], []
        for t in range(self.ntables):
            table_keys = self._sorted_keys[t]
            lo = np.searchsorted(table_keys, probes[:, t], side="left").ravel()
            hi = np.searchsorted(table_keys, probes[:, t], side="right").ravel()
            sizes = hi - lo
            # Expand every (query, probe) range lo..hi into positions, without a loop.
            starts = np.repeat(lo - np.cumsum(sizes) + sizes, sizes)
            positions = starts + np.arange(sizes.sum())
            owners.append(np.repeat(np.arange(q.shape[0]).repeat(probes.shape[2]), sizes))
            ids.append(self._sorted_ids[t][positions].astype(np.int64))
        pair = np.unique(np.concatenate(owners) * max(self.ntotal, 1) + np.concatenate(ids))
        return pair // max(self.ntotal, 1), pair % max(self.ntotal, 1)

    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        nq = q.shape[0]
        D, I = self._empty_result(nq, k)
        # Chunks of queries so that the gathered candidate vectors stay near 64 MB; the
        # chunks are searched in parallel (the cut does not depend on the thread count).
        rows = max(1, _BLOCK_ELEMENTS // max(1, self.d * min(self.ntotal, 4096)))

        def search_chunk(chunk):
            start, stop = chunk
            owner, ids = self._candidates(q[start:stop])
            if ids.size == 0:
                return
            scores = np.einsum("ij,ij->i", q[start:stop][owner], self._x[ids])
            # Lay each query's candidates out in one row of a padded table, then top-k.
            counts = np.bincount(owner, minlength=stop - start)
            col = np.arange(ids.size) - np.repeat(np.cumsum(counts) - counts, counts)
            width = int(counts.max())
            table = np.full((stop - start, width), -np.inf, dtype=np.float32)
            id_table = np.full((stop - start, width), -1, dtype=np.int64)
            table[owner, col], id_table[owner, col] = scores, ids
            kk = min(k, width)
            best, cols = _select_top_k(table, kk, largest=True)
            D[start:stop, :kk] = best
            I[start:stop, :kk] = np.take_along_axis(id_table, cols, axis=1)

        parallel_map(search_chunk, block_ranges(nq, rows))
        I[~np.isfinite(D)] = -1
        return D, I

    # -- search: Hamming ranking (faiss IndexLSH) -----------------------------------------
    def search_hamming(self, q, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Rank every stored vector by the Hamming distance of its code to the query's.

        The code is all ``ntables * nbits`` bits. Returns ``D: (nq, k) float32`` Hamming
        distances (ascending; among equal distances, which ids make the cut is arbitrary)
        and ``I: (nq, k) int64``.
        """
        q = self._check_vectors(q, "q")
        k = self._check_k(k)
        keys, _ = self._hash(q)                                   # (nq, L) uint64
        D = np.empty((q.shape[0], k), dtype=np.float32)
        I = np.empty((q.shape[0], k), dtype=np.int64)
        rows = max(1, (1 << 20) // self.ntotal)  # ~1M codes per block: temporaries stay in cache

        def search_block(block):
            start, stop = block
            # One 64-bit word per table: popcount(a XOR b). Small integer counts are ~3x
            # faster to accumulate than floats; convert once for the top-k selection.
            dtype = np.uint8 if self.ntables * self.nbits <= 255 else np.uint16
            dist = np.zeros((stop - start, self.ntotal), dtype=dtype)
            for t in range(self.ntables):
                dist += np.bitwise_count(keys[start:stop, t, None] ^ self._codes[None, :, t])
            D[start:stop], I[start:stop] = _select_top_k(dist.astype(np.float32), k, largest=False)

        parallel_map(search_block, block_ranges(q.shape[0], rows))
        return D, I

    # -- persistence --------------------------------------------------------------------------
    def _get_state(self):
        params = {"d": self.d, "nbits": self.nbits, "ntables": self.ntables,
                  "metric": self.metric, "nprobe": self.nprobe}
        return params, {"planes": self.planes, "vectors": self._x, "codes": self._codes}

    @classmethod
    def _from_state(cls, params, arrays):
        index = cls(params["d"], params["nbits"], ntables=params["ntables"], metric=params["metric"])
        planes = np.ascontiguousarray(arrays["planes"], dtype=np.float32)
        x = np.ascontiguousarray(arrays["vectors"], dtype=np.float32)
        codes = np.ascontiguousarray(arrays["codes"])
        if planes.shape != index.planes.shape:
            raise ValueError(f"planes have shape {planes.shape}, expected {index.planes.shape}")
        if x.ndim != 2 or x.shape[1] != index.d or codes.shape != (x.shape[0], index.ntables) \
                or codes.dtype != np.uint64:
            raise ValueError("stored vectors and codes do not fit together")
        index.planes, index._x, index._codes = planes, x, codes
        index._ntotal = x.shape[0]
        index._index_tables()
        index.nprobe = params["nprobe"]
        return index
