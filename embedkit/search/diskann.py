"""DiskANN: a Vamana graph on SSD, PQ codes in RAM (Subramanya et al., NeurIPS 2019).

A billion float32 vectors of ``d = 128`` take 512 GB: far more RAM than one machine has,
but an SSD holds them easily, and reads 4 KB blocks ("sectors") in about 0.1 ms, many
in parallel. DiskANN searches such data from disk with a few dozen reads per query:

* **On disk**, one fixed-size *record* per vector, in id order::

      [ float32 vector (d) | int32 degree | int32 neighbours (R, unused slots 0) ]

  packed ``nodes_per_sector = 4096 // record_bytes`` to a 4096-byte sector, never across
  two sectors (a record larger than a sector gets ``ceil(record_bytes / 4096)`` sectors
  of its own). Sector 0 is a header. Reading one vector's record gives both its full
  vector and its neighbour list in one I/O.
* **In RAM**, only the PQ codes (``pq_m`` bytes per vector, notebook 14), the codebooks
  and the medoid: a query can estimate its distance to *any* vector from RAM, by ADC
  table look-up, without touching the disk.
* **Search** (the paper's beam search). The candidate list (size ``search_L``) is ordered
  by PQ distance. Each *round* reads the records of the ``W = beam_width`` closest
  candidates not yet expanded, together (one round trip to the SSD; W requests in
  flight), computes their *exact* distances from the full vectors just read, and pushes
  their neighbours with PQ distances. When every candidate is expanded, the expanded
  vectors are re-ranked by their exact distances, which cost no extra read. A larger
  ``W`` means fewer rounds (lower latency) for a few more reads.

So the costs per query are: reads (records, each one sector, or ``sectors_per_record``
for big ones), rounds (latency), and the RAM per vector is the PQ code. The graph is
built in RAM first by ``VamanaIndex`` (as DiskANN's own build does for data that fits;
for data that does not, DiskANN builds overlapping shards and merges them).

The file is read through ``np.memmap``: the operating system pages in the sectors a
search touches, and the compiled search loop reads the mapped memory as an ordinary
array. On this course's data the file sits in the page cache, so the timings measure
the algorithm's CPU work, not an SSD; the read counts are what an SSD would serve.

Files. ``write(path)`` writes the sector file at ``path`` and a small checksummed
``path + ".pq.npz"`` (the codes, codebooks, medoid and settings, with the size and
sha256 of the sector file); ``DiskANNIndex.open(path)`` maps it again and checks both,
so a truncated or damaged file is reported, never searched.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._jit import njit
from .._saved_files import SavedFileError, atomic_write, file_sha256, load_npz, save_npz
from .._threads import block_ranges, parallel_map
from .._validation import as_matrix, check_int, check_number
from .index_base import FORMAT_NAME, Index
from .hnsw import _fresh_mark, _sq_l2
from .pq import ProductQuantizer, _adc_table
from .vamana import VamanaIndex

__all__ = ["DiskANNIndex", "SECTOR_BYTES"]

#: bytes per sector, the unit an SSD reads (DiskANN's ``SECTOR_LEN``)
SECTOR_BYTES = 4096
_SECTOR_WORDS = SECTOR_BYTES // 4
_MAGIC = int.from_bytes(b"EKDSKANN", "little")
_LAYOUT_VERSION = 1
_QUERY_BLOCK = 64
_METRIC_CODES = {"l2": 0, "cosine": 1}


def _default_pq_m(d: int) -> int:
    """The largest divisor of ``d`` not above ``d / 4`` (a code of about 1 byte per 4 dims)."""
    return max(m for m in range(1, max(1, d // 4) + 1) if d % m == 0)


# -- the layout ------------------------------------------------------------------------------
class _Layout:
    """Sizes of the sector file for ``n`` records of ``d`` floats and ``R`` links."""

    def __init__(self, n: int, d: int, R: int):
        self.n, self.d, self.R = n, d, R
        self.record_words = d + 1 + R
        self.record_bytes = 4 * self.record_words
        self.nodes_per_sector = SECTOR_BYTES // self.record_bytes      # 0: a record needs >1 sector
        self.sectors_per_record = max(1, -(-self.record_bytes // SECTOR_BYTES))
        if self.nodes_per_sector:
            data_sectors = -(-n // self.nodes_per_sector)
        else:
            data_sectors = n * self.sectors_per_record
        self.n_sectors = 1 + data_sectors                              # + the header sector

    def offsets(self) -> np.ndarray:
        """``(n,) int64``: the word (4-byte) offset of each record in the file."""
        return _record_offsets(self.n, self.nodes_per_sector, self.sectors_per_record,
                               self.record_words)

    def header(self, medoid: int, metric: str) -> np.ndarray:
        return np.array([_MAGIC, _LAYOUT_VERSION, self.n, self.d, self.R, self.record_bytes,
                         self.nodes_per_sector, self.sectors_per_record, self.n_sectors, medoid,
                         _METRIC_CODES[metric]], dtype=np.int64)


def _record_offsets(n, nps, spn, rw) -> np.ndarray:
    i = np.arange(n, dtype=np.int64)
    if nps:
        return (1 + i // nps) * _SECTOR_WORDS + (i % nps) * rw
    return (1 + i * spn) * _SECTOR_WORDS


def _build_layout(x: np.ndarray, links: np.ndarray, degree: np.ndarray, medoid: int,
                  metric: str) -> np.ndarray:
    """The whole sector file as a flat float32 array (``n_sectors * 1024`` words)."""
    n, d = x.shape
    R = links.shape[1]
    lay = _Layout(n, d, R)
    words = np.zeros(lay.n_sectors * _SECTOR_WORDS, dtype=np.float32)
    ints = words.view(np.int32)
    words.view(np.int64)[:11] = lay.header(medoid, metric)
    off = lay.offsets()[:, None]
    words[off + np.arange(d)] = x
    ints[off[:, 0] + d] = degree
    used = np.arange(R) < degree[:, None]
    ints[off + d + 1 + np.arange(R)] = np.where(used, links, 0)
    return words


# -- the search (compiled by numba) ------------------------------------------------------------
# (numba stand-ins are per module, see embedkit._jit: this one is vamana._sq_l2's twin)


@njit(fastmath=True, nogil=True)
def _pq_distance(table, code):
    """ADC: ``sum_j table[j, code[j]]``, the squared distance to the decoded vector."""
    s = np.float32(0.0)
    for j in range(code.shape[0]):
        s += table[j, code[j]]
    return s


@njit(nogil=True)
def _offset(i, nps, spn, rw):
    if nps > 0:
        return (1 + i // nps) * 1024 + (i % nps) * rw
    return (1 + i * spn) * 1024


@njit(fastmath=True, nogil=True)
def _beam_search(words, ints, nps, spn, d, rw, codes, table, q, medoid, L, W, visited, mark):
    """One query: the paper's beam search over the sector file.

    ``words``/``ints``: the file as float32 / int32 words (two views of the same bytes);
    ``nps``, ``spn``, ``rw``: records per sector, sectors per record, words per record;
    ``table``: the query's ``(m, K)`` ADC table; ``visited``/``mark``: "seen" stamps.

    The list (``L`` entries, sorted by PQ distance, ties by id) is as in
    ``vamana._greedy_search``; each round takes its ``W`` closest unexpanded entries,
    reads their records, and only then pushes their neighbours.

    Returns ``(exp_ids, exp_dists, exp_round)``: every expanded vector (= every record
    read), its exact squared distance to ``q`` and the round in which it was read, in
    reading order; the caller re-ranks them.
    """
    dists = np.empty(L, dtype=np.float32)
    ids = np.empty(L, dtype=np.int32)
    done = np.zeros(L, dtype=np.bool_)
    cap = 2 * L + 2 * W
    exp_ids = np.empty(cap, dtype=np.int32)
    exp_dists = np.empty(cap, dtype=np.float32)
    exp_round = np.empty(cap, dtype=np.int32)
    n_exp = 0
    dists[0], ids[0], size = _pq_distance(table, codes[medoid]), medoid, 1
    visited[medoid] = mark
    picked = np.empty(W, dtype=np.int32)
    rounds = 0
    while True:
        # this round's reads: the W closest candidates not yet expanded
        n_pick = 0
        for pos in range(size):
            if not done[pos]:
                done[pos] = True
                picked[n_pick] = ids[pos]
                n_pick += 1
                if n_pick == W:
                    break
        if n_pick == 0:
            break                                      # every candidate is expanded
        for t in range(n_pick):
            c = picked[t]
            off = _offset(np.int64(c), nps, spn, rw)
            if n_exp == exp_ids.shape[0]:              # grow the record of reads
                gi = np.empty(2 * n_exp, dtype=np.int32)
                gd = np.empty(2 * n_exp, dtype=np.float32)
                gr = np.empty(2 * n_exp, dtype=np.int32)
                gi[:n_exp], gd[:n_exp], gr[:n_exp] = exp_ids, exp_dists, exp_round
                exp_ids, exp_dists, exp_round = gi, gd, gr
            exp_ids[n_exp] = c
            exp_dists[n_exp] = _sq_l2(q, words[off:off + d])   # exact: the vector was just read
            exp_round[n_exp] = rounds
            n_exp += 1
            deg = ints[off + d]
            for e in ints[off + d + 1:off + d + 1 + deg]:
                if visited[e] == mark:
                    continue
                visited[e] = mark
                d_e = _pq_distance(table, codes[e])   # from RAM: no read
                if size == L and d_e >= dists[size - 1]:
                    continue
                pos = size if size < L else size - 1
                while pos > 0 and (dists[pos - 1] > d_e or (dists[pos - 1] == d_e and ids[pos - 1] > e)):
                    if pos < L:
                        dists[pos], ids[pos], done[pos] = dists[pos - 1], ids[pos - 1], done[pos - 1]
                    pos -= 1
                dists[pos], ids[pos], done[pos] = d_e, e, False
                if size < L:
                    size += 1
        rounds += 1
    return exp_ids[:n_exp], exp_dists[:n_exp], exp_round[:n_exp]


@njit(fastmath=True, nogil=True)
def _search_many(words, ints, nps, spn, d, rw, codes, tables, queries, k, medoid, L, W,
                 visited, marks, D, I, reads, rounds):
    """k-NN of each query: beam search, then the exact re-rank of the expanded vectors.

    Writes ``D, I`` (exact squared distances, ties by id) and each query's ``reads`` and
    ``rounds``.
    """
    for i in range(queries.shape[0]):
        exp_ids, exp_dists, exp_round = _beam_search(words, ints, nps, spn, d, rw, codes,
                                                     tables[i], queries[i], medoid, L, W,
                                                     visited, _fresh_mark(visited, marks))
        reads[i] = exp_ids.shape[0]
        rounds[i] = exp_round[-1] + 1
        by_id = np.argsort(exp_ids, kind="mergesort")
        e_ids, e_d = exp_ids[by_id], exp_dists[by_id]
        order = np.argsort(e_d, kind="mergesort")      # exact distance, ties by id
        n_found = min(k, order.shape[0])
        for r in range(n_found):
            D[i, r] = e_d[order[r]]
            I[i, r] = e_ids[order[r]]


# -- the index ---------------------------------------------------------------------------------
class DiskANNIndex(Index):
    """DiskANN's SSD index: Vamana graph + full vectors on disk, PQ codes in RAM
    (diskannpy ``build_disk_index`` / ``StaticDiskIndex``).

    Args:
        d: vector dimension.
        R, L, alpha: the Vamana graph's degree bound, build beam width and pruning slack
            (see ``VamanaIndex``).
        pq_m: PQ bytes per vector held in RAM (must divide ``d``; default: the largest
            divisor of ``d`` not above ``d / 4``). 8-bit sub-quantizers.
        metric: ``"l2"`` or ``"cosine"`` (searched as squared L2 on normalised vectors;
            reported as cosine similarity).
        seed: int for the graph build and the PQ training.
        progress: show the build's progress bar.

    Attributes:
        search_L: candidate list size at query time (default 100, diskannpy's complexity),
            effectively ``max(search_L, k)``.
        beam_width: ``W``, records read per round (default 2, diskannpy's default).
        last_search_reads: ``(nq,) int64``, records read per query by the last ``search``
            (each read is one sector, or ``sectors_per_record`` for records over 4 KB).
            Every record read is one expanded vector, and vice versa.
        last_search_rounds: ``(nq,) int64``, rounds of reads per query (I/O round trips).
        path: the sector file, once written or opened (``None`` while it lives in RAM).

    Example:
        >>> index = DiskANNIndex(96, R=32, L=64, pq_m=24)
        >>> index.add(database)            # build Vamana + PQ, lay the sectors out
        >>> index.write("data.diskann")    # + data.diskann.pq.npz
        >>> index = DiskANNIndex.open("data.diskann")
        >>> D, I = index.search(queries, 10)
    """

    metrics = ("l2", "cosine")

    def __init__(self, d: int, R: int = 32, L: int = 64, alpha: float = 1.2, pq_m: int | None = None,
                 metric: str = "l2", seed: int = 0, *, progress: bool = False):
        super().__init__(d, metric)
        self.R = check_int(R, "R", minimum=1)
        self.L = check_int(L, "L", minimum=1)
        self.alpha = check_number(alpha, "alpha", minimum=1.0)
        self.pq_m = _default_pq_m(self.d) if pq_m is None else check_int(pq_m, "pq_m", minimum=1)
        if self.d % self.pq_m:
            raise ValueError(f"pq_m={self.pq_m} must divide d={self.d}")
        self.seed = check_int(seed, "seed", minimum=0)
        self.progress = bool(progress)
        self._search_L = 100
        self._beam_width = 2
        self.last_search_reads = np.zeros(0, dtype=np.int64)
        self.last_search_rounds = np.zeros(0, dtype=np.int64)
        self.path: Path | None = None
        self._pq: ProductQuantizer | None = None
        self._codes = np.empty((0, self.pq_m), dtype=np.uint8)
        self._medoid = -1
        self._words = np.empty(0, dtype=np.float32)
        self._layout: _Layout | None = None

    # -- knobs and sizes -------------------------------------------------------------------
    @property
    def search_L(self) -> int:
        """Candidate list size at query time, ``>= 1``."""
        return self._search_L

    @search_L.setter
    def search_L(self, value) -> None:
        self._search_L = check_int(value, "search_L", minimum=1)

    @property
    def beam_width(self) -> int:
        """Records read per round, ``W >= 1``."""
        return self._beam_width

    @beam_width.setter
    def beam_width(self, value) -> None:
        self._beam_width = check_int(value, "beam_width", minimum=1)

    @property
    def medoid(self) -> int:
        """Id of the vector where every search starts; -1 if empty."""
        return self._medoid

    def _sizes(self) -> _Layout:
        if self._layout is None:
            raise ValueError("the DiskANNIndex is empty: call index.add(x) first")
        return self._layout

    @property
    def record_bytes(self) -> int:
        """Bytes of one record: ``4 d + 4 + 4 R``."""
        return self._sizes().record_bytes

    @property
    def nodes_per_sector(self) -> int:
        """Records per 4096-byte sector (0 when a record needs several sectors)."""
        return self._sizes().nodes_per_sector

    @property
    def sectors_per_record(self) -> int:
        """Sectors one read fetches: 1, or ``ceil(record_bytes / 4096)`` for big records."""
        return self._sizes().sectors_per_record

    @property
    def n_sectors(self) -> int:
        """Sectors of the file, the header sector included (file size = ``n_sectors * 4096``)."""
        return self._sizes().n_sectors

    @property
    def ram_bytes_per_vector(self) -> float:
        """RAM held per vector: its PQ code (``pq_m`` bytes). The codebooks
        (``256 * d * 4`` bytes) are shared by all vectors. Not counted: the scratch of a
        running search, an int32 "visited" stamp per vector for each block of queries in
        flight (simple and O(1) to reset; DiskANN keeps a hash set of the vectors a query
        touched instead, whose size does not grow with ``n``)."""
        return float(self.pq_m)

    @property
    def disk_bytes_per_vector(self) -> float:
        """Bytes of the sector file per vector (records, sector padding and header)."""
        return self.n_sectors * SECTOR_BYTES / max(self.ntotal, 1)

    def __repr__(self) -> str:
        return (f"DiskANNIndex(d={self.d}, R={self.R}, L={self.L}, alpha={self.alpha}, "
                f"pq_m={self.pq_m}, metric={self.metric!r}, search_L={self.search_L}, "
                f"beam_width={self.beam_width}, ntotal={self.ntotal}, path={self.path})")

    # -- reading records ------------------------------------------------------------------------
    def _offset(self, node: int) -> int:
        lay = self._sizes()
        return int(_record_offsets(node + 1, lay.nodes_per_sector, lay.sectors_per_record,
                                   lay.record_words)[node])

    def _node(self, node) -> int:
        if self.ntotal == 0:
            raise ValueError("the DiskANNIndex is empty: call index.add(x) first")
        return check_int(node, "node", minimum=0, maximum=self.ntotal - 1)

    def neighbours(self, node: int) -> np.ndarray:
        """The ids ``node`` links to (``int64``), read from its record."""
        off = self._offset(self._node(node))
        ints = self._words.view(np.int32)
        deg = int(ints[off + self.d])
        return ints[off + self.d + 1:off + self.d + 1 + deg].astype(np.int64)

    def vector(self, node: int) -> np.ndarray:
        """``(d,) float32``: the full vector of ``node`` (normalised for cosine), from disk."""
        off = self._offset(self._node(node))
        return self._words[off:off + self.d].copy()

    # -- building ---------------------------------------------------------------------------
    def _add(self, x: np.ndarray) -> None:
        if self.ntotal:
            raise ValueError("DiskANNIndex is static: it is built once by add(x); build a "
                             "new index to add more vectors")
        n = x.shape[0]
        if n < 256:
            raise ValueError(f"x has {n} vectors; DiskANNIndex trains 8-bit PQ and needs "
                             "at least 256")
        graph = VamanaIndex(self.d, self.R, self.L, self.alpha, "l2", seed=self.seed,
                            progress=self.progress)
        graph.add(x)                   # cosine vectors arrive normalised: l2 orders them alike
        self._lay_out(x, graph)

    @classmethod
    def from_vamana(cls, graph: VamanaIndex, pq_m: int | None = None, seed: int = 0) -> "DiskANNIndex":
        """The DiskANN layout of an already built ``VamanaIndex``: its graph and vectors go
        to the records, PQ codes are trained on its vectors (what ``add`` does after its
        own Vamana build, so ``R``, ``L``, ``alpha`` and the metric are the graph's)."""
        if not isinstance(graph, VamanaIndex):
            raise TypeError(f"graph must be a VamanaIndex, got {type(graph).__name__}")
        if graph.ntotal < 256:
            raise ValueError(f"graph has {graph.ntotal} vectors; DiskANNIndex trains 8-bit PQ "
                             "and needs at least 256")
        index = cls(graph.d, graph.R, graph.L, graph.alpha, pq_m, graph.metric, seed)
        index._lay_out(graph.vectors, graph)
        index._ntotal = graph.ntotal
        return index

    def _lay_out(self, x: np.ndarray, graph: VamanaIndex) -> None:
        """PQ codes of ``x`` in RAM, and the records of ``graph`` over ``x`` (normalised for
        cosine) in sectors."""
        n = x.shape[0]
        self._pq = ProductQuantizer(self.pq_m, 8, seed=self.seed).fit(x)
        self._codes = self._pq.encode(x)
        self._medoid = graph.medoid
        self._words = _build_layout(x, graph._links, graph._degree, graph.medoid, self.metric)
        self._layout = _Layout(n, self.d, self.R)
        self.path = None

    # -- search -------------------------------------------------------------------------------
    def _tables(self, q: np.ndarray) -> np.ndarray:
        return _adc_table(q, self._pq.codebooks_, "l2")

    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        nq = q.shape[0]
        lay = self._sizes()
        D = np.full((nq, k), np.inf, dtype=np.float32)
        I = np.full((nq, k), -1, dtype=np.int32)
        reads = np.zeros(nq, dtype=np.int64)
        rounds = np.zeros(nq, dtype=np.int64)
        words, ints = self._words, self._words.view(np.int32)
        L, W, medoid = max(self.search_L, k), self.beam_width, np.int32(self._medoid)

        def search_block(rows):
            lo, hi = rows
            visited = np.zeros(self.ntotal, dtype=np.int32)
            _search_many(words, ints, lay.nodes_per_sector, lay.sectors_per_record, self.d,
                         lay.record_words, self._codes, self._tables(q[lo:hi]), q[lo:hi], k,
                         medoid, L, W, visited, np.zeros(1, dtype=np.int32), D[lo:hi], I[lo:hi],
                         reads[lo:hi], rounds[lo:hi])

        parallel_map(search_block, block_ranges(nq, _QUERY_BLOCK))
        self.last_search_reads, self.last_search_rounds = reads, rounds
        if self.metric == "cosine":      # |a - b|^2 = 2 - 2 cos on unit vectors
            D = np.where(I >= 0, 1.0 - D / 2.0, -np.inf).astype(np.float32)
        return D, I.astype(np.int64)

    def trace(self, q) -> list[np.ndarray]:
        """The records one query reads, round by round.

        Args:
            q: ``(d,)`` or ``(1, d)`` query.
        Returns:
            a list with one ``int64`` array of node ids per round (at most ``beam_width``
            each), in reading order; together they are the expanded set that ``search``
            re-ranks.
        """
        q = np.asarray(q)
        q = self._check_vectors(q[None, :] if q.ndim == 1 else q, "q")
        if q.shape[0] != 1:
            raise ValueError(f"q must be one query, got shape {q.shape}")
        lay = self._sizes()
        visited = np.zeros(self.ntotal, dtype=np.int32)
        exp_ids, _, exp_round = _beam_search(
            self._words, self._words.view(np.int32), lay.nodes_per_sector,
            lay.sectors_per_record, self.d, lay.record_words, self._codes, self._tables(q)[0],
            q[0], np.int32(self._medoid), self.search_L, self.beam_width, visited, np.int32(1))
        return [exp_ids[exp_round == r].astype(np.int64) for r in range(int(exp_round.max()) + 1)]

    # -- files --------------------------------------------------------------------------------------
    def write(self, path) -> None:
        """Write the sector file to ``path`` and the RAM part to ``path + ".pq.npz"``.

        Both writes are atomic. The index then searches the file at ``path`` (memory-mapped).
        """
        lay = self._sizes()
        path = Path(path)
        atomic_write(path, lambda fh: fh.write(memoryview(self._words).cast("B")))
        params = {"d": self.d, "R": self.R, "L": self.L, "alpha": self.alpha, "pq_m": self.pq_m,
                  "metric": self.metric, "seed": self.seed, "search_L": self.search_L,
                  "beam_width": self.beam_width, "n": self.ntotal, "medoid": self._medoid,
                  "n_sectors": lay.n_sectors, "layout_sha256": file_sha256(path)}
        pq_params, pq_arrays = self._pq._get_state()
        params["pq"] = pq_params
        save_npz(_sidecar(path), format=FORMAT_NAME, cls="DiskANNIndex", version=_LAYOUT_VERSION,
                 params=params, arrays={"codes": self._codes, **pq_arrays})
        self._map(path)

    def save(self, path) -> None:
        """Same as ``write(path)`` (two files: ``path`` and ``path + ".pq.npz"``)."""
        self.write(path)

    @classmethod
    def load(cls, path) -> "DiskANNIndex":
        """Same as ``DiskANNIndex.open(path)``."""
        return cls.open(path)

    def _map(self, path: Path) -> None:
        mm = np.memmap(path, dtype=np.float32, mode="r")
        self._words = np.asarray(mm)   # a plain ndarray view of the mapping, for numba
        self.path = path

    @classmethod
    def open(cls, path) -> "DiskANNIndex":
        """Open a file written by ``write``: PQ part into RAM, the sectors memory-mapped.

        Raises:
            FileNotFoundError: ``path`` or its ``.pq.npz`` is missing.
            SavedFileError: (a ``ValueError``) either file is truncated, damaged or does
                not fit the other: checked by size, header, sha256 and the structure of
                every record (degrees ``<= R``, neighbour ids in range).
        """
        path = Path(path)
        shown = repr(os.fspath(path))
        header, arrays = load_npz(_sidecar(path), format=FORMAT_NAME, what="embedkit index")
        if header.get("class") != "DiskANNIndex" or header.get("version") != _LAYOUT_VERSION:
            raise SavedFileError(f"{_sidecar(path)!r} does not describe a DiskANNIndex of "
                                 f"layout version {_LAYOUT_VERSION}")
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {shown} (the sector file of the index)")
        p = header["params"]
        try:
            index = cls(p["d"], p["R"], p["L"], p["alpha"], p["pq_m"], p["metric"], p["seed"])
            index.search_L, index.beam_width = p["search_L"], p["beam_width"]
            n, medoid = check_int(p["n"], "n", minimum=1), int(p["medoid"])
            lay = _Layout(n, index.d, index.R)
            pq = ProductQuantizer._from_state(p["pq"], arrays)
            codes = pq.check_codes(arrays["codes"])
            if pq.d_ != index.d or pq.m != index.pq_m or codes.shape[0] != n:
                raise ValueError("the PQ codebooks or codes do not fit d, pq_m and n")
            if not 0 <= medoid < n or lay.n_sectors != p["n_sectors"]:
                raise ValueError("medoid or sector count out of range")
        except (KeyError, TypeError, ValueError) as err:
            raise SavedFileError(f"{_sidecar(path)!r} holds inconsistent settings ({err}); "
                                 "write the index again") from None
        size = path.stat().st_size
        if size != lay.n_sectors * SECTOR_BYTES:
            raise SavedFileError(
                f"{shown} has {size:,} bytes, expected {lay.n_sectors:,} sectors = "
                f"{lay.n_sectors * SECTOR_BYTES:,} bytes: the file is truncated or is not the "
                "sector file of this index; write the index again")
        if file_sha256(path) != p["layout_sha256"]:
            raise SavedFileError(f"{shown} is damaged: its sha256 does not match the one "
                                 "recorded when it was written; write the index again")
        index._map(path)
        try:
            _check_records(index._words, lay, medoid, index.metric)
        except ValueError as err:
            raise SavedFileError(f"{shown} holds an inconsistent layout ({err}); write the "
                                 "index again") from None
        index._pq, index._codes, index._medoid, index._layout = pq, codes, medoid, lay
        index._ntotal = n
        return index


def _sidecar(path) -> str:
    return os.fspath(path) + ".pq.npz"


def _check_records(words: np.ndarray, lay: _Layout, medoid: int, metric: str) -> None:
    """Header fields, every degree in ``[0, R]`` and every used link in ``[0, n)``: after
    this, a search cannot read outside the file whatever the bytes were."""
    from .._saved_files import check_index_array

    if not np.array_equal(words[:22].view(np.int64), lay.header(medoid, metric)):
        raise ValueError("the header sector does not match the settings")
    ints = words.view(np.int32)
    off = lay.offsets()
    degree = ints[off + lay.d]
    if degree.min() < 0 or degree.max() > lay.R:
        raise ValueError(f"degrees must be in [0, R={lay.R}], found {degree.min()} to {degree.max()}")
    used = np.arange(lay.R) < degree[:, None]
    check_index_array(ints[off[:, None] + lay.d + 1 + np.arange(lay.R)][used], "links", lay.n)
