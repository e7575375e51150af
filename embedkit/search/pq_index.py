"""Indexes over product-quantized codes: ``PQIndex`` (exhaustive) and ``IVFPQIndex``.

``PQIndex`` is faiss's ``IndexPQ``: every vector is stored as ``m`` bytes and a query
scans all codes with ADC look-up tables (see ``embedkit.search.pq``). Memory drops from
``4 d`` to ``m`` bytes per vector; search still touches every vector.

``IVFPQIndex`` is faiss's ``IndexIVFPQ``: a coarse k-means with ``nlist`` centroids
splits the database into inverted lists (as ``IVFIndex``), and inside each list the
*residual* ``r = x - c_list`` is product-quantized. Residuals of nearby points are small
and look alike across lists, so one set of codebooks spends all its precision on the
fine detail: at the same ``m``, IVF-PQ's codes are more accurate than plain PQ's, and a
query scans only ``nprobe`` lists.

How IVF-PQ scores a code without decoding it (squared L2, reconstruction
``x_hat = c + r_hat``):

    |q - c - r_hat|^2 = |q - c|^2  +  (|r_hat|^2 + 2 c . r_hat)  -  2 q . r_hat
                        coarse        depends on x only            one ADC table per query

The first term comes free with the coarse search; the last is a table ``-2 q_j . C_j[k]``
shared by every probed list; the middle term is fixed at ``add`` time and stored as one
float32 per vector. (faiss instead precomputes an ``(nlist, m, K)`` table, 16 MB for
nlist=1024, m=16, K=256, and looks the middle term up during the scan.)

Exact re-ranking. With ``rerank=True`` the index also keeps the raw float32 vectors
(``4 d`` more bytes each, as faiss's ``IndexRefineFlat``): the ADC scan returns
``k * k_factor`` candidates and exact distances pick the final ``k``. Compression decides
*which* vectors are candidates; the exact pass fixes their order.
"""
from __future__ import annotations

import numpy as np

from .._jit import njit
from .._threads import block_ranges, parallel_map
from .._validation import as_generator, as_matrix, check_choice, check_int
from ..similarity import _select_top_k
from .index_base import Index
from .ivf import InvertedListsMixin
from .kmeans import kmeans
from .opq import OPQ
from .pq import ProductQuantizer, _adc_table, adc_top_k, sdc_query_tables

__all__ = ["PQIndex", "IVFPQIndex"]

#: queries per block of an IVF-PQ search (blocks run in parallel)
_QUERY_BLOCK = 32
#: queries per block of the exact re-ranking pass
_RERANK_BLOCK = 128


def _check_m(d: int, m) -> int:
    m = check_int(m, "m", minimum=1)
    if d % m:
        divisors = [v for v in range(1, min(d, 64) + 1) if d % v == 0]
        raise ValueError(f"m={m} must divide d={d}: each vector is cut into m equal sub-vectors; "
                         f"choose m among {', '.join(map(str, divisors))}")
    return m


@njit(fastmath=True, nogil=True)
def _scan_lists(tables, base, lists, offsets, codes, extra, D, I):
    """Scan the probed inverted lists of each query, keeping its ``k`` smallest scores.

    The score of the code in storage row ``r`` of list ``lists[i, p]`` for query ``i`` is
    ``base[i, p] + extra[r] + sum_j tables[i, j, codes[r, j]]`` (smaller is better): the
    per-list term, the per-code term stored at ``add`` time, and ``m`` table look-ups.
    This is faiss's IVF-PQ scan: one query at a time, its ``m x K`` table in cache, a
    short sorted top-k that almost every code fails to enter. ``D, I: (b, k)`` arrive as
    ``+inf`` / ``-1`` and receive the best scores and their storage rows.
    """
    b, m = tables.shape[0], tables.shape[1]
    k = D.shape[1]
    for i in range(b):
        for p in range(lists.shape[1]):
            lst = lists[i, p]
            for r in range(offsets[lst], offsets[lst + 1]):
                s = base[i, p] + extra[r]
                for j in range(m):
                    s += tables[i, j, codes[r, j]]
                if s < D[i, k - 1]:
                    pos = k - 1
                    while pos > 0 and D[i, pos - 1] > s:
                        D[i, pos], I[i, pos] = D[i, pos - 1], I[i, pos - 1]
                        pos -= 1
                    D[i, pos], I[i, pos] = s, r


class _RerankMixin:
    """``k_factor`` knob and the exact re-ranking pass shared by both indexes."""

    _vectors: np.ndarray
    rerank: bool

    @property
    def k_factor(self) -> int:
        """With ``rerank``: the ADC scan keeps ``k * k_factor`` candidates for the exact pass."""
        return self._k_factor

    @k_factor.setter
    def k_factor(self, value) -> None:
        self._k_factor = check_int(value, "k_factor", minimum=1)

    def _exact_rerank(self, q: np.ndarray, cand: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact scores of the candidate ids ``cand: (nq, kk)`` (``-1`` = none); best ``k``."""
        largest = self.higher_is_better
        D, I = self._empty_result(q.shape[0], k)

        def rerank(block):
            lo, hi = block
            qb, cb = q[lo:hi], cand[lo:hi]
            x = self._vectors[np.maximum(cb, 0)]                        # (b, kk, d)
            if largest:
                s = np.einsum("bd,bkd->bk", qb, x)
            else:
                diff = x - qb[:, None, :]
                s = np.einsum("bkd,bkd->bk", diff, diff)
            s[cb < 0] = -np.inf if largest else np.inf
            s = np.ascontiguousarray(s, dtype=np.float32)
            best, cols = _select_top_k(s, min(k, s.shape[1]), largest)
            ids = np.take_along_axis(cb, cols, axis=1)
            D[lo:hi, :best.shape[1]] = best
            I[lo:hi, :best.shape[1]] = np.where(ids >= 0, ids, -1)

        parallel_map(rerank, block_ranges(q.shape[0], _RERANK_BLOCK))
        return D, I


class PQIndex(_RerankMixin, Index):
    """Exhaustive search over product-quantized codes (faiss ``IndexPQ``).

    Args:
        d: dimension; m: sub-vectors (bytes per code), must divide ``d``;
        nbits: bits per sub-code, 1 to 8.
        metric: ``"l2"`` (squared distance to the reconstruction, as faiss), ``"ip"`` or
            ``"cosine"`` (vectors normalised, inner product).
        opq: learn an OPQ rotation first (faiss ``OPQMatrix`` + ``IndexPQ``); distances
            are unchanged by the rotation, only the quantization error drops.
        rerank: also keep the raw vectors and re-rank ``k * k_factor`` ADC candidates exactly.
        k_factor: see ``rerank`` (default 4); can be changed later.
        n_iter, max_points_per_centroid, seed, progress: passed to ``ProductQuantizer``.
        opq_iter: OPQ's alternating rounds (with ``opq=True``).

    Attributes:
        search_type: ``"adc"`` (default; float query, tables per query) or ``"sdc"``
            (the query is encoded too; ``"l2"`` only), as faiss's ``ST_PQ`` / ``ST_SDC``.
        pq: the trained ``ProductQuantizer`` (in the rotated space with ``opq``).

    Example:
        >>> index = PQIndex(128, m=16)
        >>> index.train(train); index.add(database)
        >>> D, I = index.search(queries, 10)
    """

    needs_training = True
    _format_version = 1

    def __init__(self, d: int, m: int, nbits: int = 8, metric: str = "l2", *, opq: bool = False,
                 rerank: bool = False, k_factor: int = 4, n_iter: int = 10,
                 max_points_per_centroid: int = 256, opq_iter: int = 20, seed=0,
                 progress: bool = False):
        super().__init__(d, metric)
        m = _check_m(self.d, m)
        self.pq = ProductQuantizer(m, nbits, seed, n_iter=n_iter,
                                   max_points_per_centroid=max_points_per_centroid, progress=progress)
        self.opq = OPQ(m, nbits, seed, n_iter=opq_iter, pq_iter_first=n_iter,
                       progress=progress) if opq else None
        self.rerank = bool(rerank)
        self.k_factor = k_factor
        self._search_type = "adc"
        self._codes = np.empty((0, m), dtype=np.uint8)
        self._vectors = np.empty((0, self.d), dtype=np.float32)

    # -- knobs and introspection ------------------------------------------------------
    @property
    def m(self) -> int:
        return self.pq.m

    @property
    def nbits(self) -> int:
        return self.pq.nbits

    @property
    def search_type(self) -> str:
        """``"adc"`` or ``"sdc"`` (symmetric: the query is quantized too)."""
        return self._search_type

    @search_type.setter
    def search_type(self, value) -> None:
        check_choice(value, "search_type", ("adc", "sdc"))
        if value == "sdc" and self.metric != "l2":
            raise ValueError(f"search_type='sdc' needs metric='l2' (the SDC table holds squared "
                             f"distances), this index uses metric={self.metric!r}")
        self._search_type = value

    @property
    def is_trained(self) -> bool:
        return self.pq.codebooks_ is not None

    @property
    def code_size(self) -> int:
        """Bytes stored per vector: ``m`` (plus ``4 d`` for the raw vectors with ``rerank``)."""
        return self.m + (4 * self.d if self.rerank else 0)

    @property
    def codes(self) -> np.ndarray:
        """The stored ``(ntotal, m)`` uint8 codes (read-only view)."""
        view = self._codes.view()
        view.flags.writeable = False
        return view

    def __repr__(self) -> str:
        extra = ", opq=True" if self.opq else ""
        extra += f", rerank=True, k_factor={self.k_factor}" if self.rerank else ""
        return (f"PQIndex(d={self.d}, m={self.m}, nbits={self.nbits}, metric={self.metric!r}"
                f"{extra}, ntotal={self.ntotal})")

    # -- train / add / search -----------------------------------------------------------------
    def train(self, x) -> None:
        """Fit the codebooks (and the OPQ rotation) on ``x: (n, d)``, ``n >= 2 ** nbits``."""
        x = self._check_vectors(x, "x")
        if self.ntotal:
            raise ValueError("the index already holds codes made with the old codebooks; "
                             "build a new PQIndex instead of retraining this one")
        if self.opq is not None:
            self.opq.fit(x)
            self.pq = self.opq.pq_
        else:
            self.pq.fit(x)

    def _rotate(self, x: np.ndarray) -> np.ndarray:
        return x if self.opq is None else np.ascontiguousarray(x @ self.opq.rotation_)

    def _add(self, x: np.ndarray) -> None:
        codes = self.pq.encode(self._rotate(x))
        self._codes = np.concatenate([self._codes, codes])
        if self.rerank:
            self._vectors = np.concatenate([self._vectors, x])

    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        kk = min(self.ntotal, k * self.k_factor) if self.rerank else k
        D, I = _pq_scan(self.pq, self._rotate(q), self._codes, kk, self.higher_is_better,
                        self.search_type)
        return self._exact_rerank(q, I, k) if self.rerank else (D, I)

    # -- persistence --------------------------------------------------------------------------
    def _get_state(self):
        pq = self.pq
        params = {"d": self.d, "m": self.m, "nbits": self.nbits, "metric": self.metric,
                  "opq": self.opq is not None, "rerank": self.rerank, "k_factor": self.k_factor,
                  "search_type": self.search_type, "n_iter": pq.n_iter,
                  "max_points_per_centroid": pq.max_points_per_centroid,
                  "opq_iter": self.opq.n_iter if self.opq else 20,
                  "seed": pq.seed if isinstance(pq.seed, int) else None, "trained": self.is_trained}
        arrays = {"codes": self._codes, "vectors": self._vectors}
        if self.is_trained:
            arrays["codebooks"] = pq.codebooks_
            if self.opq is not None:
                arrays["rotation"] = self.opq.rotation_
        return params, arrays

    @classmethod
    def _from_state(cls, params, arrays):
        index = cls(params["d"], params["m"], params["nbits"], params["metric"], opq=params["opq"],
                    rerank=params["rerank"], k_factor=params["k_factor"], n_iter=params["n_iter"],
                    max_points_per_centroid=params["max_points_per_centroid"],
                    opq_iter=params["opq_iter"], seed=params["seed"])
        index.search_type = params["search_type"]
        if params["trained"]:
            if index.opq is not None:
                index.opq._set_state(arrays["rotation"], arrays["codebooks"])
                index.pq = index.opq.pq_
            else:
                index.pq._set_codebooks(arrays["codebooks"])
            if index.pq.d_ != index.d:
                raise ValueError(f"codebooks describe d={index.pq.d_}, the index has d={index.d}")
            codes = index.pq.check_codes(arrays["codes"])
            vectors = as_matrix(arrays["vectors"], "vectors", d=index.d, allow_empty=True)
            if index.rerank and vectors.shape[0] != codes.shape[0]:
                raise ValueError(f"{codes.shape[0]} codes but {vectors.shape[0]} raw vectors")
            index._codes, index._vectors = codes, vectors
            index._ntotal = codes.shape[0]
        return index


def _pq_scan(pq: ProductQuantizer, q: np.ndarray, codes: np.ndarray, k: int, largest: bool,
             search_type: str = "adc") -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` codes for each query by ADC (or SDC) tables, in blocks of queries whose
    tables take at most ~64 MB (each block is scanned on all threads by ``adc_top_k``)."""
    D = np.empty((q.shape[0], k), dtype=np.float32)
    I = np.empty((q.shape[0], k), dtype=np.int64)
    sdc = pq.sdc_table() if search_type == "sdc" else None
    rows = max(1, (1 << 24) // (pq.m * pq.ksub))
    for start in range(0, q.shape[0], rows):
        qb = q[start:start + rows]
        if sdc is None:
            tables = _adc_table(qb, pq.codebooks_, "ip" if largest else "l2")
        else:
            tables = sdc_query_tables(sdc, pq.encode(qb))
        D[start:start + rows], I[start:start + rows] = adc_top_k(tables, codes, k, largest)
    return D, I


class IVFPQIndex(_RerankMixin, InvertedListsMixin, Index):
    """Inverted lists of product-quantized residuals (faiss ``IndexIVFPQ``, ``by_residual``).

    Args:
        d: dimension; nlist: coarse centroids (inverted lists); m: sub-vectors, must
            divide ``d``; nbits: bits per sub-code, 1 to 8.
        metric: ``"l2"``, ``"ip"`` or ``"cosine"``. Lists are formed by L2 k-means; with
            ``"ip"`` a vector joins the list of largest inner product (as ``IVFIndex``).
        by_residual: quantize ``x - c_list`` (default, as faiss) instead of ``x`` itself.
        opq: first rotate every vector by an OPQ rotation learned on the training set
            (faiss ``OPQMatrix`` + ``IndexIVFPQ``, the factory's ``"OPQ16,IVF256,PQ16"``);
            ``opq_iter`` is OPQ's number of alternating rounds.
        rerank, k_factor: exact re-ranking, as in ``PQIndex``.
        coarse_iter: k-means iterations for the coarse centroids (faiss: 10).
        n_iter, max_points_per_centroid: for the k-means runs (coarse and PQ), as faiss:
            at most ``max_points_per_centroid`` training points per centroid.
        seed, progress: as elsewhere.

    Attributes:
        nprobe: lists scanned per query, ``1 .. nlist`` (default 1).
        pq: the ``ProductQuantizer`` of the residuals.

    Example:
        >>> index = IVFPQIndex(128, nlist=1024, m=16)
        >>> index.train(train); index.add(database)
        >>> index.nprobe = 16
        >>> D, I = index.search(queries, 10)
    """

    needs_training = True
    _format_version = 1

    def __init__(self, d: int, nlist: int, m: int, nbits: int = 8, metric: str = "l2", *,
                 by_residual: bool = True, opq: bool = False, rerank: bool = False,
                 k_factor: int = 4, n_iter: int = 10, coarse_iter: int = 10,
                 max_points_per_centroid: int = 256, opq_iter: int = 20, seed=0,
                 progress: bool = False):
        super().__init__(d, metric)
        self.nlist = check_int(nlist, "nlist", minimum=1)
        m = _check_m(self.d, m)
        self.pq = ProductQuantizer(m, nbits, seed, n_iter=n_iter,
                                   max_points_per_centroid=max_points_per_centroid, progress=progress)
        # faiss "OPQm,IVFn,PQm": a rotation learned by OPQ on the raw vectors, applied
        # before everything else (coarse quantizer, residuals, codes).
        self.opq = OPQ(m, nbits, seed, n_iter=opq_iter, pq_iter_first=n_iter,
                       progress=progress) if opq else None
        self.by_residual = bool(by_residual)
        self.rerank = bool(rerank)
        self.k_factor = k_factor
        self.coarse_iter = check_int(coarse_iter, "coarse_iter", minimum=0)
        self.max_points_per_centroid = max_points_per_centroid
        self.seed = seed
        self.progress = bool(progress)
        self._nprobe = 1
        self._centroids: np.ndarray | None = None
        # Storage grouped by list: list j holds rows offsets[j]:offsets[j+1].
        self._codes = np.empty((0, m), dtype=np.uint8)
        self._ids = np.empty(0, dtype=np.int64)
        self._norm_terms = np.empty(0, dtype=np.float32)   # |r_hat|^2 + 2 c.r_hat (l2, by residual)
        self._offsets = np.zeros(self.nlist + 1, dtype=np.int64)
        self._vectors = np.empty((0, self.d), dtype=np.float32)  # id order, only with rerank

    # -- knobs and introspection ------------------------------------------------------
    @property
    def m(self) -> int:
        return self.pq.m

    @property
    def nbits(self) -> int:
        return self.pq.nbits

    @property
    def is_trained(self) -> bool:
        return self._centroids is not None and self.pq.codebooks_ is not None

    @property
    def _uses_norm_terms(self) -> bool:
        return self.by_residual and self.metric == "l2"

    @property
    def code_size(self) -> int:
        """Bytes stored per vector: ``m`` code bytes + an int64 id (+ a float32 norm term
        for ``"l2"`` by residual, + ``4 d`` raw bytes with ``rerank``)."""
        return (self.m + 8 + (4 if self._uses_norm_terms else 0)
                + (4 * self.d if self.rerank else 0))

    def __repr__(self) -> str:
        extra = ", opq=True" if self.opq else ""
        return (f"IVFPQIndex(d={self.d}, nlist={self.nlist}, m={self.m}, nbits={self.nbits}, "
                f"metric={self.metric!r}{extra}, nprobe={self.nprobe}, ntotal={self.ntotal})")

    # -- training ---------------------------------------------------------------------------
    def train(self, x) -> None:
        """Coarse k-means (``nlist`` centroids), then PQ on the training residuals."""
        x = self._check_vectors(x, "x")
        if self.ntotal:
            raise ValueError("the index already holds codes made with the old quantizers; "
                             "build a new IVFPQIndex instead of retraining this one")
        if x.shape[0] < max(self.nlist, self.pq.ksub):
            raise ValueError(f"x has {x.shape[0]} vectors; training needs at least nlist={self.nlist} "
                             f"(coarse centroids) and 2**nbits={self.pq.ksub} (PQ centroids)")
        if self.opq is not None:           # learn the rotation, then work in the rotated space
            self.opq.fit(x)
            x = self._rotate(x)
        rng = as_generator(self.seed)
        coarse_rng, pq_rng = rng.spawn(2)
        sample = x
        limit = self.nlist * self.max_points_per_centroid
        if x.shape[0] > limit:  # more points barely move the centroids; sample, as faiss does
            sample = x[np.sort(coarse_rng.choice(x.shape[0], size=limit, replace=False))]
        centroids, _ = kmeans(sample, self.nlist, n_iter=self.coarse_iter, seed=coarse_rng,
                              init="random", progress=self.progress)
        limit = self.pq.max_points_per_centroid * self.pq.ksub
        if x.shape[0] > limit:  # residuals only for the vectors PQ will train on
            x = x[np.sort(pq_rng.choice(x.shape[0], size=limit, replace=False))]
        if self.by_residual:
            self._centroids = centroids
            x = x - centroids[self._probe(x, 1)[1][:, 0]]
        self.pq.seed = pq_rng
        self.pq.fit(x)
        self._centroids = centroids

    # -- adding -------------------------------------------------------------------------------
    def _rotate(self, x: np.ndarray) -> np.ndarray:
        return x if self.opq is None else np.ascontiguousarray(x @ self.opq.rotation_)

    def _add(self, x: np.ndarray) -> None:
        x = self._rotate(x)
        lists = self._probe(x, 1)[1][:, 0]
        target = x - self._centroids[lists] if self.by_residual else x
        codes = self.pq.encode(target)
        norm_terms = np.zeros(x.shape[0], dtype=np.float32)
        if self._uses_norm_terms:
            r_hat = self.pq.decode(codes)
            norm_terms = np.einsum("ij,ij->i", r_hat, r_hat + 2.0 * self._centroids[lists])
        ids = np.arange(self.ntotal, self.ntotal + x.shape[0])
        # Merge into the grouped storage; a stable sort keeps insertion order inside a list.
        all_lists = np.concatenate([np.repeat(np.arange(self.nlist), self.list_sizes), lists])
        order = np.argsort(all_lists, kind="stable")
        self._codes = np.ascontiguousarray(np.concatenate([self._codes, codes])[order])
        self._ids = np.concatenate([self._ids, ids])[order]
        self._norm_terms = np.concatenate([self._norm_terms, norm_terms.astype(np.float32)])[order]
        self._offsets = np.concatenate([[0], np.cumsum(np.bincount(all_lists, minlength=self.nlist))])
        if self.rerank:
            self._vectors = np.concatenate([self._vectors, x])

    # -- search -------------------------------------------------------------------------------
    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        kk = min(self.ntotal, k * self.k_factor) if self.rerank else k
        q = self._rotate(q)       # distances are unchanged by the rotation; the raw
        largest = self.higher_is_better   # vectors kept for re-ranking are rotated too
        D = np.full((q.shape[0], kk), np.inf, dtype=np.float32)
        rows = np.full((q.shape[0], kk), -1, dtype=np.int64)

        def scan(block):          # a block of queries: coarse quantizer, tables, scan
            lo, hi = block
            coarse, lists = self._probe(q[lo:hi], self.nprobe)
            # Smaller is better inside the scan. Tables: -2 q_j . C_j[c] (l2 by residual,
            # plus |q - c|^2 per list and the stored norm term per code), |q_j - C_j[c]|^2
            # (l2, raw vectors), or -q_j . C_j[c] (similarities, plus -q . c by residual).
            if self._uses_norm_terms:
                tables = -2.0 * _adc_table(q[lo:hi], self.pq.codebooks_, "ip")
            elif largest:
                tables = -_adc_table(q[lo:hi], self.pq.codebooks_, "ip")
            else:
                tables = _adc_table(q[lo:hi], self.pq.codebooks_, "l2")
            base = (-coarse if largest else coarse) if self.by_residual else np.zeros_like(coarse)
            _scan_lists(np.ascontiguousarray(tables, dtype=np.float32), base, lists,
                        self._offsets, self._codes, self._norm_terms, D[lo:hi], rows[lo:hi])

        parallel_map(scan, block_ranges(q.shape[0], _QUERY_BLOCK))
        found = rows >= 0
        I = np.where(found, self._ids[np.where(found, rows, 0)], -1)
        if largest:
            D = np.where(found, -D, -np.inf).astype(np.float32)
        elif self.metric == "l2":
            np.maximum(D, 0.0, out=D)     # cancellation can leave a tiny negative distance
        return self._exact_rerank(q, I, k) if self.rerank else (D, I)

    # -- persistence --------------------------------------------------------------------------
    def _get_state(self):
        pq = self.pq
        params = {"d": self.d, "nlist": self.nlist, "m": self.m, "nbits": self.nbits,
                  "metric": self.metric, "by_residual": self.by_residual, "rerank": self.rerank,
                  "k_factor": self.k_factor, "nprobe": self.nprobe, "n_iter": pq.n_iter,
                  "coarse_iter": self.coarse_iter,
                  "max_points_per_centroid": self.max_points_per_centroid,
                  "seed": self.seed if isinstance(self.seed, int) else None,
                  "trained": self.is_trained, "opq": self.opq is not None,
                  "opq_iter": self.opq.n_iter if self.opq else 20}
        arrays = {"codes": self._codes, "ids": self._ids, "norm_terms": self._norm_terms,
                  "offsets": self._offsets, "vectors": self._vectors}
        if self.is_trained:
            arrays.update(centroids=self._centroids, codebooks=pq.codebooks_)
            if self.opq is not None:
                arrays.update(rotation=self.opq.rotation_, opq_codebooks=self.opq.pq_.codebooks_)
        return params, arrays

    @classmethod
    def _from_state(cls, params, arrays):
        index = cls(params["d"], params["nlist"], params["m"], params["nbits"], params["metric"],
                    by_residual=params["by_residual"], rerank=params["rerank"],
                    k_factor=params["k_factor"], n_iter=params["n_iter"],
                    coarse_iter=params["coarse_iter"],
                    max_points_per_centroid=params["max_points_per_centroid"], seed=params["seed"],
                    opq=params.get("opq", False), opq_iter=params.get("opq_iter", 20))
        index.nprobe = params["nprobe"]
        if not params["trained"]:
            return index
        if index.opq is not None:
            index.opq._set_state(arrays["rotation"], arrays["opq_codebooks"])
        centroids = as_matrix(arrays["centroids"], "centroids", d=index.d)
        if centroids.shape[0] != index.nlist:
            raise ValueError(f"centroids have shape {centroids.shape}, "
                             f"expected ({index.nlist}, {index.d})")
        index.pq._set_codebooks(arrays["codebooks"])
        if index.pq.d_ != index.d:
            raise ValueError(f"codebooks describe d={index.pq.d_}, the index has d={index.d}")
        codes = index.pq.check_codes(arrays["codes"])
        ids = np.asarray(arrays["ids"]).astype(np.int64)
        norm_terms = np.asarray(arrays["norm_terms"], dtype=np.float32)
        offsets = np.asarray(arrays["offsets"]).astype(np.int64)
        vectors = as_matrix(arrays["vectors"], "vectors", d=index.d, allow_empty=True)
        n = codes.shape[0]
        if (ids.shape != (n,) or norm_terms.shape != (n,) or offsets.shape != (index.nlist + 1,)
                or offsets[0] != 0 or offsets[-1] != n or (np.diff(offsets) < 0).any()
                or (index.rerank and vectors.shape[0] != n)):
            raise ValueError("stored codes, ids, norm terms, offsets and vectors do not fit together")
        from .._saved_files import check_index_array

        check_index_array(ids, "ids", n, unique=True)
        index._centroids = centroids
        index._codes, index._ids, index._norm_terms = codes, ids, norm_terms
        index._offsets, index._vectors = offsets, vectors
        index._ntotal = n
        return index
