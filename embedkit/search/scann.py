"""``ScaNNIndex``: ScaNN's default pipeline, partition -> anisotropic PQ scores -> exact reorder.

ScaNN (Guo et al. 2020, ``scann`` on PyPI) answers maximum-inner-product queries in
three stages, which this index reproduces with embedkit's parts:

1. **Partition** (``tree(num_leaves, num_leaves_to_search)``): k-means on a sample of the
   database (``ek.kmeans``, random seeding and 12 iterations as ScaNN's defaults) into
   ``n_leaves`` leaves; a datapoint joins its nearest leaf (squared L2, as ScaNN's
   ``partitioning_distance``); a query opens the ``leaves_to_search`` leaves of largest
   inner product with their centroid (ScaNN's query tokenization by dot product). The
   leaves are inverted lists (``InvertedListsMixin`` of ``ivf.py``).
2. **Score** (``score_ah(2, anisotropic_quantization_threshold=0.2)``): every datapoint is
   stored as anisotropic PQ codes (``AnisotropicPQ``: blocks of ``dims_per_block``
   dimensions, ``2 ** nbits`` centroids each) of its **residual** ``x - c_leaf``. ScaNN does
   the same by default for dot product with a tree (its builder sets
   ``residual_quantization`` whenever a tree partitions dot-product data): residuals are
   smaller than the vectors, so the same 16 centroids a block describe them more finely,
   and the score stays cheap, ``<q, x_hat> = <q, c_leaf> + sum_j T[j, code_j]``: the
   first term comes with the leaf search, the second from one look-up table per query
   ``T[j, k] = <q_j, C_j[k]>`` shared by all leaves (asymmetric distance: the query is
   never quantized). The anisotropic loss is measured along the original ``x``, as in
   ScaNN. With 4-bit codes, two blocks share a byte and a 256-entry table, so a code
   of ``m`` blocks costs ``m / 2`` look-ups (``_scan_pairs``: measured 2x faster than
   IVF-PQ's loop ``pq_index._scan_lists``, which other ``nbits`` use, 0.075 s against
   0.151 s for 1,000 queries, 16 of 150 leaves of 20,000 GloVe vectors, one thread;
   scoring a leaf four pairs at a time gained 1.27x more).
3. **Reorder** (``reorder(R)``): the best ``reorder`` candidates by the approximate score
   are re-scored with exact inner products against the stored float32 vectors, and the
   top ``k`` of those are returned (ties: lower id first). ``reorder=0`` returns the
   approximate scores.

Queries are processed in fixed blocks in parallel (``ek.set_num_threads``); each query's
result depends only on itself, so any thread count gives identical output.

What differs from ScaNN's C++: ScaNN quantizes the look-up tables to int8 and scans 16
codes at a time with SIMD shuffles (``lut16``), which makes its scan several times faster;
embedkit's tables stay float32 (slightly more accurate scores, slower scan).
"""
from __future__ import annotations

import numpy as np

from .._jit import njit
from .._threads import block_ranges, parallel_map
from .._validation import as_generator, as_matrix, check_int
from ..similarity import _BLOCK_ELEMENTS, _select_top_k
from .anisotropic import AnisotropicPQ
from .index_base import Index
from .ivf import InvertedListsMixin
from .kmeans import assign_nearest, kmeans
from .pq import _adc_table
from .pq_index import _scan_lists

__all__ = ["ScaNNIndex"]

#: queries per block of a search (blocks run in parallel; the cut never changes a result)
_QUERY_BLOCK = 32


@njit(fastmath=True, nogil=True)
def _scan_pairs(tables, base, lists, offsets, packed_t, D, I):
    """Scan the probed leaves of each query with *paired* tables; keep its ``kk`` smallest.

    With 4-bit codes, two neighbouring blocks fit in one byte ``16 a + b``, and one table
    of 256 sums ``T[j, a] + T[j + 1, b]`` replaces two look-ups by one (faiss and ScaNN
    pair 4-bit codes the same way). ``tables: (b, P, 256)`` such paired tables of ``b``
    queries (smaller is better), ``base: (b, nprobe)`` the per-leaf term, ``packed_t:
    (P, n)`` the paired codes, *block-major* (row ``j`` holds pair ``j`` of every stored
    vector, grouped by leaf). A leaf is scored four pairs at a time into a small buffer:
    the inner loop over the leaf's rows has independent iterations and reads contiguous
    rows of codes, so the CPU overlaps many look-ups (measured 1.27x faster than summing
    each vector's pairs in turn, four vectors at a time: 0.044 s against 0.056 s for
    1,000 queries, 24 of 224 leaves of 50,000 GloVe vectors, one thread). ``D, I: (b, kk)`` arrive as
    ``+inf`` / ``-1`` and receive each query's best ``kk`` scores and storage rows, as a
    heap (``_insert``); a query's leaves are read in probe order and rows in order, so
    its candidates depend on nothing else.
    """
    b, P = tables.shape[0], tables.shape[1]
    longest = 0
    for lst in range(offsets.shape[0] - 1):
        longest = max(longest, offsets[lst + 1] - offsets[lst])
    buf = np.empty(longest, dtype=np.float32)
    for i in range(b):
        t = tables[i]
        for p in range(lists.shape[1]):
            lst = lists[i, p]
            lo, hi = offsets[lst], offsets[lst + 1]
            n = hi - lo
            s0 = base[i, p]
            for r in range(n):
                buf[r] = s0
            j = 0
            while j + 4 <= P:             # four pairs a pass: a quarter of the buffer traffic
                ta, tb, tc, td = t[j], t[j + 1], t[j + 2], t[j + 3]
                ca, cb = packed_t[j, lo:hi], packed_t[j + 1, lo:hi]
                cc, cd = packed_t[j + 2, lo:hi], packed_t[j + 3, lo:hi]
                for r in range(n):
                    buf[r] += (ta[ca[r]] + tb[cb[r]]) + (tc[cc[r]] + td[cd[r]])
                j += 4
            while j < P:
                tj = t[j]
                codes = packed_t[j, lo:hi]
                for r in range(n):
                    buf[r] += tj[codes[r]]
                j += 1
            for r in range(n):
                if buf[r] < D[i, 0]:
                    _insert(D, I, i, buf[r], lo + r)


@njit(fastmath=True, nogil=True)
def _insert(D, I, i, s, r):
    """Offer score ``s`` of row ``r`` to query ``i``'s candidates, a max-heap on ``D[i]``.

    The root ``D[i, 0]`` is the worst of the ``kk`` kept; a better score replaces it and
    sinks to its place: ``log kk`` steps instead of the ``kk / 2`` shifts of a sorted
    list (measured: the sorted list's shifts took a third of the scan with
    ``reorder=100``). ``_finish`` orders the survivors.
    """
    k = D.shape[1]
    if not s < D[i, 0]:
        return
    pos = 0
    while True:
        c = 2 * pos + 1
        if c >= k:
            break
        if c + 1 < k and D[i, c + 1] > D[i, c]:
            c += 1
        if D[i, c] > s:
            D[i, pos], I[i, pos] = D[i, c], I[i, c]
            pos = c
        else:
            break
    D[i, pos], I[i, pos] = s, r


@njit(fastmath=True, nogil=True)
def _finish(q, D, rows, ids, vectors, exact, out_D, out_I):
    """Each query's final top-k from its candidates, best score first, ties by lower id.

    ``D, rows: (b, kk)``: the scan's candidates (smaller is better, ``-1`` = none);
    ``ids`` maps storage rows to ids. With ``exact``, every candidate is re-scored by
    its exact inner product with the query (ScaNN's reordering, ``vectors`` in id
    order); otherwise its approximate score ``-D`` is kept. ``out_D, out_I: (b, k)``
    arrive as ``-inf`` / ``-1``.
    """
    b, kk = rows.shape
    k = out_D.shape[1]
    d = q.shape[1]
    for i in range(b):
        for c in range(kk):
            r = rows[i, c]
            if r < 0:
                continue
            x = ids[r]
            if exact:
                s = np.float32(0.0)
                for t in range(d):
                    s += q[i, t] * vectors[x, t]
            else:
                s = -D[i, c]
            last = out_I[i, k - 1]
            if s > out_D[i, k - 1] or (s == out_D[i, k - 1] and (last < 0 or x < last)):
                pos = k - 1
                while pos > 0 and (out_D[i, pos - 1] < s or
                                   (out_D[i, pos - 1] == s and out_I[i, pos - 1] > x)):
                    out_D[i, pos], out_I[i, pos] = out_D[i, pos - 1], out_I[i, pos - 1]
                    pos -= 1
                out_D[i, pos], out_I[i, pos] = s, x


def _pair_codes(codes: np.ndarray) -> np.ndarray:
    """``(n, m)`` 4-bit codes -> ``(ceil(m / 2), n)`` bytes ``16 c_2j + c_2j+1``, block-major
    (odd ``m``: the last pair's second half is 0, and its table row adds 0)."""
    n, m = codes.shape
    padded = np.zeros((n, m + m % 2), dtype=np.uint8)
    padded[:, :m] = codes
    return np.ascontiguousarray((padded[:, 0::2] * 16 + padded[:, 1::2]).T)


def _pair_tables(tables: np.ndarray) -> np.ndarray:
    """``(b, m, 16)`` tables -> ``(b, ceil(m / 2), 256)``: ``T[2j, a] + T[2j+1, c]`` at ``16 a + c``."""
    b, m, K = tables.shape
    padded = np.zeros((b, m + m % 2, K), dtype=np.float32)
    padded[:, :m] = tables
    pairs = padded[:, 0::2, :, None] + padded[:, 1::2, None, :]          # (b, P, 16, 16)
    return np.ascontiguousarray(pairs.reshape(b, -1, K * K))


class ScaNNIndex(InvertedListsMixin, Index):
    """ScaNN: k-means leaves, anisotropic PQ scores of residuals, exact reordering.

    Args:
        d: dimension, a multiple of ``dims_per_block``.
        n_leaves: k-means partitions (ScaNN's ``num_leaves``; about ``sqrt(n)``).
        leaves_to_search: leaves a query opens (``num_leaves_to_search``); can be changed.
        dims_per_block: dimensions per PQ block (ScaNN's ``score_ah(2, ...)``: 2), so
            ``m = d / dims_per_block`` code bytes per vector.
        nbits: bits per block code (4: ScaNN's ``lut16``, 16 centroids a block).
        T: ``anisotropic_quantization_threshold`` (0.2); or ``eta`` fixed instead.
        reorder: candidates re-scored exactly (``reorder(R)``); 0 turns reordering off.
            Can be changed after building.
        metric: ``"ip"`` (maximum inner product) or ``"cosine"`` (vectors normalised).
        tree_iter: k-means iterations of the partition (ScaNN's default 12).
        n_iter: anisotropic PQ training iterations (ScaNN's ``training_iterations``, 10).
        training_sample_size: rows used to train both stages (ScaNN's default 100,000).
        seed: int or ``np.random.Generator``.

    Example:
        >>> index = ScaNNIndex(100, n_leaves=1000, leaves_to_search=50, reorder=100)
        >>> index.train(database); index.add(database)
        >>> D, I = index.search(queries, 10)
    """

    metrics = ("ip", "cosine")
    needs_training = True
    _format_version = 1

    def __init__(self, d: int, n_leaves: int, leaves_to_search: int = 1, *, dims_per_block: int = 2,
                 nbits: int = 4, T: float | None = 0.2, eta: float | None = None, reorder: int = 100,
                 metric: str = "ip", tree_iter: int = 12, n_iter: int = 10,
                 training_sample_size: int = 100_000, seed=0):
        super().__init__(d, metric)
        self.nlist = check_int(n_leaves, "n_leaves", minimum=1)
        self.dims_per_block = check_int(dims_per_block, "dims_per_block", minimum=1)
        if self.d % self.dims_per_block:
            raise ValueError(f"dims_per_block={dims_per_block} must divide d={d}: vectors are cut "
                             f"into blocks of dims_per_block dimensions")
        self._nprobe = check_int(leaves_to_search, "leaves_to_search", minimum=1, maximum=self.nlist)
        self.reorder = reorder
        self.tree_iter = check_int(tree_iter, "tree_iter", minimum=0)
        self.training_sample_size = check_int(training_sample_size, "training_sample_size", minimum=1)
        self.seed = seed
        as_generator(seed)
        self.apq = AnisotropicPQ(self.d, self.d // self.dims_per_block, nbits, T=T, eta=eta,
                                 n_iter=n_iter, training_sample_size=training_sample_size, seed=0)
        self._centroids: np.ndarray | None = None
        self._codes = np.empty((0, self.apq.m), dtype=np.uint8)
        self._ids = np.empty(0, dtype=np.int64)
        self._offsets = np.zeros(self.nlist + 1, dtype=np.int64)
        self._vectors = np.empty((0, self.d), dtype=np.float32)      # id order, for reordering
        self._packed: np.ndarray | None = None                       # codes paired for the scan

    # -- knobs and introspection ------------------------------------------------------------
    @property
    def n_leaves(self) -> int:
        """Number of leaves (partitions)."""
        return self.nlist

    @property
    def leaves_to_search(self) -> int:
        """Leaves a query opens, ``1 .. n_leaves`` (the ``nprobe`` of IVF)."""
        return self.nprobe

    @leaves_to_search.setter
    def leaves_to_search(self, value) -> None:
        self._nprobe = check_int(value, "leaves_to_search", minimum=1, maximum=self.nlist)

    @property
    def reorder(self) -> int:
        """Candidates re-scored exactly per query (0: none, return approximate scores)."""
        return self._reorder

    @reorder.setter
    def reorder(self, value) -> None:
        self._reorder = check_int(value, "reorder", minimum=0)

    @property
    def is_trained(self) -> bool:
        return self._centroids is not None and self.apq.codebooks_ is not None

    @property
    def code_size(self) -> int:
        """Bytes stored per vector: ``m`` code bytes, an int64 id and the float32 vector
        kept for reordering."""
        return self.apq.m + 8 + 4 * self.d

    def __repr__(self) -> str:
        return (f"ScaNNIndex(d={self.d}, n_leaves={self.nlist}, leaves_to_search={self.nprobe}, "
                f"dims_per_block={self.dims_per_block}, nbits={self.apq.nbits}, "
                f"reorder={self.reorder}, metric={self.metric!r}, ntotal={self.ntotal})")

    # -- training ---------------------------------------------------------------------------
    def train(self, x) -> None:
        """Partition a sample of ``x: (n, d)`` by k-means, then fit anisotropic PQ on the
        residuals of that sample to their leaf centroids."""
        x = self._check_vectors(x, "x")
        if self.ntotal:
            raise ValueError("the index already holds codes made with the old quantizers; "
                             "build a new ScaNNIndex instead of retraining this one")
        if x.shape[0] < max(self.nlist, self.apq.ksub):
            raise ValueError(f"x has {x.shape[0]} vectors; training needs at least n_leaves="
                             f"{self.nlist} and 2**nbits={self.apq.ksub}")
        tree_rng, pq_rng, sample_rng = as_generator(self.seed).spawn(3)
        if x.shape[0] > self.training_sample_size:
            x = x[np.sort(sample_rng.choice(x.shape[0], size=self.training_sample_size, replace=False))]
        centroids, _ = kmeans(x, self.nlist, n_iter=self.tree_iter, seed=tree_rng, init="random")
        leaves = assign_nearest(x, centroids)[0]
        self.apq.seed = pq_rng
        self.apq.fit(x, centers=centroids[leaves])
        self._centroids = centroids

    def _probe(self, x: np.ndarray, nprobe: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``nprobe`` leaves of largest ``<x, c>`` per row, and those inner products
        (ScaNN tokenizes queries by the search's own measure, the dot product)."""
        C = self._centroids
        coarse = np.empty((x.shape[0], nprobe), dtype=np.float32)
        lists = np.empty((x.shape[0], nprobe), dtype=np.int64)
        rows = max(1, _BLOCK_ELEMENTS // self.nlist)
        for start in range(0, x.shape[0], rows):
            coarse[start:start + rows], lists[start:start + rows] = _select_top_k(
                np.ascontiguousarray(x[start:start + rows] @ C.T), nprobe, largest=True)
        return coarse, lists

    # -- adding -----------------------------------------------------------------------------
    def _add(self, x: np.ndarray) -> None:
        leaves = assign_nearest(x, self._centroids)[0]             # nearest leaf, squared L2
        codes = self.apq.encode(x, centers=self._centroids[leaves])
        ids = np.arange(self.ntotal, self.ntotal + x.shape[0])
        # Storage grouped by leaf; a stable sort keeps insertion order inside a leaf.
        all_leaves = np.concatenate([np.repeat(np.arange(self.nlist), self.list_sizes), leaves])
        order = np.argsort(all_leaves, kind="stable")
        self._codes = np.ascontiguousarray(np.concatenate([self._codes, codes])[order])
        self._ids = np.concatenate([self._ids, ids])[order]
        self._offsets = np.concatenate([[0], np.cumsum(np.bincount(all_leaves, minlength=self.nlist))])
        self._vectors = np.concatenate([self._vectors, x])
        self._packed = None

    # -- search -----------------------------------------------------------------------------
    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        kk = min(self.ntotal, max(k, self.reorder)) if self.reorder else k
        D = np.full((q.shape[0], kk), np.inf, dtype=np.float32)
        rows = np.full((q.shape[0], kk), -1, dtype=np.int64)
        no_extra = np.zeros(self.ntotal, dtype=np.float32)
        packed = self._paired_codes()
        out_D, out_I = self._empty_result(q.shape[0], k)

        def search_block(block):
            lo, hi = block
            coarse, lists = self._probe(q[lo:hi], self.nprobe)
            # Smaller is better in the scan: -<q, c_leaf> - sum_j <q_j, C_j[code_j]>.
            tables = -_adc_table(q[lo:hi], self.apq.codebooks_, "ip")
            if packed is not None:
                _scan_pairs(_pair_tables(tables), np.ascontiguousarray(-coarse), lists,
                            self._offsets, packed, D[lo:hi], rows[lo:hi])
            else:
                _scan_lists(np.ascontiguousarray(tables), np.ascontiguousarray(-coarse), lists,
                            self._offsets, self._codes, no_extra, D[lo:hi], rows[lo:hi])
            _finish(q[lo:hi], D[lo:hi], rows[lo:hi], self._ids, self._vectors, self.reorder > 0,
                    out_D[lo:hi], out_I[lo:hi])

        parallel_map(search_block, block_ranges(q.shape[0], _QUERY_BLOCK))
        return out_D, out_I

    def _paired_codes(self) -> np.ndarray | None:
        """The stored codes two blocks to a byte (4-bit codes only), made on first search."""
        if self.apq.nbits != 4:
            return None
        if self._packed is None or self._packed.shape[1] != self.ntotal:
            self._packed = _pair_codes(self._codes)
        return self._packed

    # -- persistence ------------------------------------------------------------------------
    def _get_state(self):
        apq = self.apq
        params = {"d": self.d, "n_leaves": self.nlist, "leaves_to_search": self.nprobe,
                  "dims_per_block": self.dims_per_block, "nbits": apq.nbits, "T": apq.T,
                  "eta": apq.eta, "reorder": self.reorder, "metric": self.metric,
                  "tree_iter": self.tree_iter, "n_iter": apq.n_iter,
                  "training_sample_size": self.training_sample_size,
                  "seed": self.seed if isinstance(self.seed, int) else None,
                  "trained": self.is_trained}
        arrays = {"codes": self._codes, "ids": self._ids, "offsets": self._offsets,
                  "vectors": self._vectors}
        if self.is_trained:
            arrays.update(centroids=self._centroids, codebooks=apq.codebooks_)
        return params, arrays

    @classmethod
    def _from_state(cls, params, arrays):
        index = cls(params["d"], params["n_leaves"], params["leaves_to_search"],
                    dims_per_block=params["dims_per_block"], nbits=params["nbits"], T=params["T"],
                    eta=params["eta"], reorder=params["reorder"], metric=params["metric"],
                    tree_iter=params["tree_iter"], n_iter=params["n_iter"],
                    training_sample_size=params["training_sample_size"], seed=params["seed"])
        if not params["trained"]:
            return index
        from .._saved_files import check_index_array, check_offsets

        centroids = as_matrix(arrays["centroids"], "centroids", d=index.d)
        if centroids.shape[0] != index.nlist:
            raise ValueError(f"centroids have shape {centroids.shape}, expected ({index.nlist}, {index.d})")
        index.apq._set_codebooks(arrays["codebooks"])
        codes = index.apq.check_codes(arrays["codes"])
        n = codes.shape[0]
        ids = np.asarray(arrays["ids"])
        offsets = np.asarray(arrays["offsets"])
        vectors = as_matrix(arrays["vectors"], "vectors", d=index.d, allow_empty=True)
        if ids.shape != (n,) or offsets.shape != (index.nlist + 1,) or vectors.shape[0] != n:
            raise ValueError(f"{n} codes, {ids.shape} ids, {offsets.shape} offsets and "
                             f"{vectors.shape[0]} vectors do not fit together")
        check_index_array(ids, "ids", n, unique=True)
        check_offsets(offsets.astype(np.int64), "offsets", n)
        index._centroids = centroids
        index._codes, index._ids = codes, ids.astype(np.int64)
        index._offsets, index._vectors = offsets.astype(np.int64), vectors
        index._ntotal = n
        return index
