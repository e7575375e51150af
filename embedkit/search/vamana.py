"""Vamana: the flat proximity graph inside DiskANN (Subramanya et al., NeurIPS 2019).

HNSW (notebook 16) needs a hierarchy of sparser graphs to make long hops at the start
of a search. Vamana gets the long hops into one flat graph instead, with one extra knob
in the neighbour selection, ``alpha``:

1. **Start from a random graph.** Every vector links to ``R`` random others (a random
   ``R``-regular directed graph), so that the first searches can reach everything.
2. **Search from the medoid.** Every search starts at the medoid: the vector closest
   to the mean of the data, near the "centre" of the graph.
3. **Refine each vector's list, twice.** In a random order, for each vector ``p``: run a
   beam search for ``p`` itself (width ``L``) from the medoid, and replace ``p``'s
   out-list by ``robust_prune`` of every vector the search *expanded* (visited) plus
   ``p``'s current neighbours. Then add ``p`` to the lists of its new neighbours (a
   back-edge), pruning a list again when it grows beyond ``R``. The first pass uses
   ``alpha = 1``, the second the ``alpha`` asked for. (DiskANN's code makes only the
   second pass, from an empty graph: ``passes=1`` here halves the build for a recall
   about 0.003 lower.)
4. **RobustPrune with alpha.** Take the candidates closest first; keep the closest one,
   ``c*``, and drop every remaining candidate ``c`` that ``c*`` "covers":
   ``alpha * d(c*, c) <= d(p, c)``. Repeat until ``R`` are kept or none remain.
   With ``alpha = 1`` this is HNSW's heuristic: ``c`` is dropped if it is closer to an
   already kept neighbour than to ``p``. With ``alpha > 1`` a candidate survives unless
   a kept neighbour is *much* closer to it, so more far-away candidates stay: those are
   the long edges, and a greedy search halves its distance to the target in few hops
   (the paper proves the number of hops grows only logarithmically with the aspect
   ratio of the data when ``alpha > 1``). DiskANN's code applies ``alpha`` in steps
   (first the ``alpha = 1`` choice, then more edges allowed at 1.2, 1.44, ... up to
   ``alpha`` while the list has room); ``VamanaIndex`` does the same by default
   (``rule="diskann"``), which matches diskannpy's recall where the paper's single
   sweep (``rule="paper"``) falls about 0.01 short (``robust_prune`` offers both).

Why that matters for SSDs: a search on disk costs one read per expanded vector, so the
number of hops, not the number of distances, is the price. DiskANN (``diskann.py``)
stores this graph on disk next to the full vectors and keeps only PQ codes in RAM.

Distances are squared L2 throughout, as ``hnsw.py`` and DiskANN's own code use them; the
``alpha`` test is therefore applied to *squared* distances (as DiskANN does:
``d(p, c) / d(c*, c) > alpha`` on its squared L2 values), which equals ``sqrt(alpha)`` on
plain Euclidean distances (``alpha = 1.2`` squared is about ``1.095`` plain). Cosine
vectors are L2-normalised first and searched by squared L2, ``|a - b|^2 = 2 - 2 cos``,
which orders neighbours exactly as cosine does; the reported similarity is
``1 - d / 2``. (An inner-product "distance" ``-a.b`` can be negative, and the ``alpha``
test makes no sense on it.)

Implementation. As in ``hnsw.py``, the loops (beam search, pruning) are compiled with
numba, the graph is flat arrays (``links[node, :degree[node]]``, int32 ids), and the
build is parallel but deterministic: the points are refined in batches (2% of ``n``);
the batch's searches and prunes run in parallel against the graph as it was before the
batch and write only into a buffer, then the new lists are installed, then the
back-edges are applied grouped by the list they change (each list by one thread). The
same data and seed give the same graph on any number of threads. (DiskANN itself
refines all points concurrently with a lock per node, so its graph differs run to run.)
"""
from __future__ import annotations

import threading

import numpy as np
from tqdm.auto import tqdm

from .._jit import njit
from .._rng import rng_from_state, rng_state
from .._threads import block_ranges, get_num_threads, parallel_map
from .._validation import as_generator, as_matrix, check_choice, check_int, check_number
from .hnsw import _fresh_mark, _split_groups, _sq_l2
from .index_base import Index

__all__ = ["VamanaIndex", "robust_prune"]

#: queries per block of a batch search (blocks are searched in parallel)
_QUERY_BLOCK = 64
#: a build batch is this fraction of n (refined together against the same graph)
_BATCH_FRACTION = 0.02
#: points per block of a build batch's searches
_BUILD_BLOCK = 16
#: the two RobustPrune rules (see ``robust_prune``)
RULES = ("paper", "diskann")
#: candidates handed to a prune at most (DiskANN's ``MAX_OCCLUSION_SIZE`` is 750)
_MAX_CANDIDATES = 750


# -- distances and pruning (compiled by numba) -------------------------------------------


@njit(nogil=True)
def _sort_candidates(ids, dists):
    """``ids, dists`` ordered by distance, ties by id (sorted copies)."""
    by_id = np.argsort(ids, kind="mergesort")
    ids, dists = ids[by_id], dists[by_id]
    order = np.argsort(dists, kind="mergesort")       # stable: ties keep the id order
    return ids[order], dists[order]


@njit(fastmath=True, nogil=True)
def _prune_sorted(x, ids, dists, alpha, R):
    """RobustPrune on candidates already sorted by ``(distance to p, id)``.

    ``ids``: ``(c,) int32`` candidates (without ``p``, no duplicates), ``dists`` their
    squared distances to ``p``. Returns the kept ids (at most ``R``), in order.
    """
    alive = np.ones(ids.shape[0], dtype=np.bool_)
    kept = np.empty(min(R, ids.shape[0]), dtype=np.int32)
    n_kept = 0
    for i in range(ids.shape[0]):
        if n_kept == kept.shape[0]:
            break
        if not alive[i]:
            continue
        best = ids[i]                                  # c*: the closest candidate left
        kept[n_kept] = best
        n_kept += 1
        for j in range(i + 1, ids.shape[0]):           # drop what c* covers
            if alive[j] and alpha * _sq_l2(x[best], x[ids[j]]) <= dists[j]:
                alive[j] = False
    return kept[:n_kept]


@njit(fastmath=True, nogil=True)
def _prune_sorted_steps(x, ids, dists, alpha, R):
    """RobustPrune as DiskANN's code runs it (``occlude_list``): alpha in steps.

    Each candidate carries its "occlusion factor", the largest ``d(p, c) / d(r, c)``
    over the kept ``r`` so far. A first sweep over the candidates (closest first) keeps
    those with factor ``<= 1``, the paper's alpha = 1 rule (with a strict ``<``); while
    fewer than ``R`` are kept, further sweeps allow factors up to ``1.2``, ``1.44``, ...
    (``cur *= 1.2`` while ``cur <= alpha``). So the alpha = 1 neighbours, which keep the
    graph navigable, are always kept first, and the long ``alpha`` edges fill the rest
    of the list; the single sweep of the paper instead keeps the ``R`` closest
    candidates not covered at ``alpha``, and on a full list may lose some alpha = 1
    neighbours. Same arguments and result type as ``_prune_sorted``.
    """
    c = ids.shape[0]
    factor = np.zeros(c, dtype=np.float32)
    kept = np.empty(min(R, c), dtype=np.int32)
    n_kept = 0
    cur = np.float32(1.0)
    # "kept, or covered by a duplicate": a finite stand-in for infinity (fast-math
    # compiled code may assume no infinities), as DiskANN uses float's max
    never = np.float32(3.0e38)
    while cur <= alpha and n_kept < kept.shape[0]:
        for i in range(c):
            if n_kept == kept.shape[0]:
                break
            if factor[i] > cur:                        # covered at this step
                continue
            factor[i] = never
            best = ids[i]
            kept[n_kept] = best
            n_kept += 1
            for j in range(i + 1, c):                  # how much best covers each later one
                if factor[j] > alpha:                  # covered for good already
                    continue
                djk = _sq_l2(x[best], x[ids[j]])
                if djk == 0:
                    factor[j] = never
                else:
                    factor[j] = max(factor[j], dists[j] / djk)
        cur = cur * np.float32(1.2)
    return kept[:n_kept]


@njit(fastmath=True, nogil=True)
def _prune(x, p, ids, alpha, R, steps):
    """RobustPrune of the candidate ids (any order, duplicates and ``p`` allowed);
    ``steps``: DiskANN's stepped alpha (``_prune_sorted_steps``), else the paper's rule."""
    ids = np.unique(ids)                               # sorted, distinct
    keep = ids != p
    ids = ids[keep]
    dists = np.empty(ids.shape[0], dtype=np.float32)
    for j in range(ids.shape[0]):
        dists[j] = _sq_l2(x[p], x[ids[j]])
    ids, dists = _sort_candidates(ids, dists)
    if ids.shape[0] > _MAX_CANDIDATES:                 # DiskANN's cap on the candidate pool
        ids, dists = ids[:_MAX_CANDIDATES], dists[:_MAX_CANDIDATES]
    if steps:
        return _prune_sorted_steps(x, ids, dists, alpha, R)
    return _prune_sorted(x, ids, dists, alpha, R)


def robust_prune(x, p: int, candidates, alpha: float, R: int, metric: str = "l2", *,
                 rule: str = "paper") -> np.ndarray:
    """DiskANN's RobustPrune: choose at most ``R`` diverse out-neighbours of ``p``.

    Sort the candidates by distance to ``x[p]`` (ties: lower id first); repeatedly keep
    the closest remaining candidate ``c*`` and drop every remaining ``c`` with
    ``alpha * d(c*, c) <= d(p, c)``; stop once ``R`` are kept or none remain.

    Distances ``d`` are *squared* L2, as in DiskANN's code, so ``alpha`` multiplies
    squared distances (``alpha`` here is ``alpha ** 2`` in plain Euclidean terms). For
    ``metric="cosine"`` the rows of ``x`` are L2-normalised first (squared L2 then orders
    pairs as cosine does).

    Args:
        x: ``(n, d)`` vectors.
        p: the id of the vector whose list is chosen, ``0 <= p < n``.
        candidates: ids in ``[0, n)``; duplicates and ``p`` itself are ignored. Unlike the
            build (which prunes the searched set together with ``p``'s current list), the
            candidates are exactly those given; as in DiskANN (``MAX_OCCLUSION_SIZE``),
            only the 750 closest are considered.
        alpha: ``>= 1``; 1 keeps only "non-covered" neighbours (HNSW's rule), larger
            keeps more long edges.
        R: the most neighbours to keep, ``>= 1``.
        metric: ``"l2"`` or ``"cosine"``.
        rule: ``"paper"`` (the single sweep above) or ``"diskann"``, the stepped sweeps
            of DiskANN's code: first keep what is not covered at alpha = 1 (strictly:
            ``d(c*, c) < d(p, c)`` drops), then, while fewer than ``R`` are kept, sweep
            again allowing ``1.2``, ``1.2 ** 2``, ... up to ``alpha`` (so the last step
            is the largest power of 1.2 not above ``alpha``). ``VamanaIndex`` builds
            with ``"diskann"`` by default: it matches diskannpy's recall, the paper's
            sweep falls about 0.01 short on full lists (see ``VamanaIndex``).
    Returns:
        ``(r,) int64`` kept ids, ``r <= R``, in the order they were kept (closest first
        for ``"paper"``; each sweep's picks closest first for ``"diskann"``).
    """
    x = as_matrix(x, "x")
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        x = np.ascontiguousarray(x / norms, dtype=np.float32)
    elif metric != "l2":
        raise ValueError(f"metric must be one of 'l2', 'cosine'; got {metric!r}")
    n = x.shape[0]
    p = check_int(p, "p", minimum=0, maximum=n - 1)
    alpha = check_number(alpha, "alpha", minimum=1.0)
    R = check_int(R, "R", minimum=1)
    rule = check_choice(rule, "rule", RULES)
    cand = np.asarray(candidates)
    if cand.ndim != 1 or not (cand.size == 0 or np.issubdtype(cand.dtype, np.integer)):
        raise ValueError(f"candidates must be a 1-D array of integer ids, got shape "
                         f"{cand.shape} and dtype {cand.dtype}")
    if cand.size and (cand.min() < 0 or cand.max() >= n):
        raise ValueError(f"candidates must be ids in [0, {n}), got values from "
                         f"{cand.min()} to {cand.max()}")
    if cand.size == 0:
        return np.empty(0, dtype=np.int64)
    return _prune(x, np.int32(p), cand.astype(np.int32), np.float32(alpha), R,
                  rule == "diskann").astype(np.int64)


# -- search -------------------------------------------------------------------------------


@njit(fastmath=True, nogil=True)
def _greedy_search(x, q, start, L, links, degree, visited, mark):
    """The paper's GreedySearch (algorithm 1): beam search with a list of ``L``.

    The list is one array sorted by distance (``dists``, ``ids``, ``done`` = expanded),
    as in ``hnsw._search_layer``: expand the closest unexpanded vector, insert its
    unseen neighbours that beat the list's worst, stop when all ``L`` are expanded.

    Returns ``(dists, ids)`` of the list (closest first), ``(exp_dists, exp_ids)`` of the
    *expanded* vectors in the order they were expanded (the paper's visited set ``V``),
    and the number of distances computed.
    """
    dists = np.empty(L, dtype=np.float32)
    ids = np.empty(L, dtype=np.int32)
    done = np.zeros(L, dtype=np.bool_)
    exp_ids = np.empty(2 * L + 2, dtype=np.int32)
    exp_dists = np.empty(2 * L + 2, dtype=np.float32)
    n_exp = 0
    dists[0], ids[0], size = _sq_l2(q, x[start]), start, 1
    visited[start] = mark
    n_dist = 1
    nxt = 0
    while nxt < size:
        done[nxt] = True
        c = ids[nxt]
        if n_exp == exp_ids.shape[0]:                  # grow the expanded record
            grown_i = np.empty(2 * n_exp, dtype=np.int32)
            grown_d = np.empty(2 * n_exp, dtype=np.float32)
            grown_i[:n_exp], grown_d[:n_exp] = exp_ids, exp_dists
            exp_ids, exp_dists = grown_i, grown_d
        exp_ids[n_exp], exp_dists[n_exp] = c, dists[nxt]
        n_exp += 1
        best_new = size
        for e in links[c, :degree[c]]:
            if visited[e] == mark:
                continue
            visited[e] = mark
            d_e = _sq_l2(q, x[e])
            n_dist += 1
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
            best_new = min(best_new, pos)
        nxt = min(nxt + 1, best_new)
        while nxt < size and done[nxt]:
            nxt += 1
    return dists[:size], ids[:size], exp_dists[:n_exp], exp_ids[:n_exp], n_dist


@njit(fastmath=True, nogil=True)
def _search_many(x, queries, k, L, start, links, degree, visited, marks, D, I, hops):
    """k-NN of each query row: a beam search of width ``max(L, k)`` from ``start``.

    Writes ``D, I`` and the number of expanded vectors per query into ``hops``;
    returns the number of distances computed.
    """
    n_dist = 0
    for i in range(queries.shape[0]):
        dists, ids, _, exp_ids, n = _greedy_search(x, queries[i], start, max(L, k), links,
                                                   degree, visited, _fresh_mark(visited, marks))
        n_dist += n
        hops[i] = exp_ids.shape[0]
        n_found = min(k, ids.shape[0])
        D[i, :n_found] = dists[:n_found]
        I[i, :n_found] = ids[:n_found]
    return n_dist


# -- building -------------------------------------------------------------------------------
@njit(fastmath=True, nogil=True)
def _refine_block(x, points, lo, hi, medoid, L, alpha, R, steps, links, degree, new_links,
                  new_degree, visited, marks):
    """For ``points[lo:hi]``: search for each, prune ``V ∪ N_out(p)`` into the buffer.

    Reads the graph only; row ``j`` of ``new_links`` belongs to ``points[j]``.
    """
    for j in range(lo, hi):
        p = points[j]
        _, _, exp_d, exp_i, _ = _greedy_search(x, x[p], medoid, L, links, degree, visited,
                                               _fresh_mark(visited, marks))
        deg = degree[p]
        cand = np.empty(exp_i.shape[0] + deg, dtype=np.int32)
        cand[:exp_i.shape[0]] = exp_i
        cand[exp_i.shape[0]:] = links[p, :deg]
        kept = _prune(x, p, cand, alpha, R, steps)
        new_links[j, :kept.shape[0]] = kept
        new_degree[j] = kept.shape[0]


@njit(nogil=True)
def _install(points, new_links, new_degree, links, degree):
    """Write the batch's new out-lists into the graph."""
    for j in range(points.shape[0]):
        p = points[j]
        links[p, :new_degree[j]] = new_links[j, :new_degree[j]]
        degree[p] = new_degree[j]


@njit(nogil=True)
def _back_edge_keys(points, new_links, new_degree, n):
    """Back-edges ``t -> p`` (``p`` of the batch chose ``t``) as sorted keys ``t * n + p``:
    sorting groups them by the list they change, ``t``."""
    keys = np.empty(new_degree.sum(), dtype=np.int64)
    at = 0
    for j in range(points.shape[0]):
        for t in new_links[j, :new_degree[j]]:
            keys[at] = np.int64(t) * n + points[j]
            at += 1
    keys.sort()
    return keys


@njit(fastmath=True, nogil=True)
def _apply_back_edges(x, keys, lo, hi, n, alpha, R, steps, links, degree):
    """Add the back-edges of ``keys[lo:hi]`` (whole groups): each target ``t`` gets all
    its new sources at once; if its list then exceeds ``R``, it is robust-pruned."""
    g = lo
    while g < hi:
        t = np.int32(keys[g] // n)
        end = g
        while end < hi and keys[end] // n == t:
            end += 1
        deg = degree[t]
        cand = np.empty(deg + end - g, dtype=np.int32)
        cand[:deg] = links[t, :deg]
        m = deg
        for e in range(g, end):
            s = np.int32(keys[e] % n)
            present = False
            for r in range(deg):
                if cand[r] == s:
                    present = True
                    break
            if not present:
                cand[m] = s
                m += 1
        if m <= R:
            links[t, :m] = cand[:m]
            degree[t] = m
        else:
            kept = _prune(x, t, cand[:m], alpha, R, steps)
            links[t, :kept.shape[0]] = kept
            degree[t] = kept.shape[0]
        g = end


_local = threading.local()


def _scratch(n: int) -> tuple[np.ndarray, np.ndarray]:
    """This thread's "visited" stamps for a graph of ``n`` nodes, reused across the build's
    blocks (zeroing ``n`` stamps per block of 16 searches would cost more than the searches
    for large ``n``). Stamps only mark what the current search has seen, so reusing them
    changes no result."""
    if getattr(_local, "n", -1) != n:
        _local.n, _local.visited, _local.marks = n, np.zeros(n, np.int32), np.zeros(1, np.int32)
    return _local.visited, _local.marks


def _random_graph(n: int, R: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random directed graph: every node links to ``min(R, n - 1)`` distinct others."""
    deg = min(R, n - 1)
    links = np.zeros((n, R), dtype=np.int32)
    if deg == 0:
        return links, np.zeros(n, dtype=np.int32)
    if deg == n - 1:                                   # tiny data: link everything
        for i in range(n):
            links[i, :deg] = rng.permutation(np.delete(np.arange(n), i))
    else:
        rows = np.arange(n)[:, None]
        # draw from n - 1 values and skip over the node itself; redraw duplicates
        draw = rng.integers(0, n - 1, size=(n, deg))
        while True:
            draw.sort(axis=1)
            dup = np.zeros_like(draw, dtype=bool)
            dup[:, 1:] = draw[:, 1:] == draw[:, :-1]
            if not dup.any():
                break
            draw[dup] = rng.integers(0, n - 1, size=int(dup.sum()))
        links[:, :deg] = draw + (draw >= rows)
    return links, np.full(n, deg, dtype=np.int32)


def medoid_of(x: np.ndarray) -> int:
    """The id of the vector closest (squared L2) to the mean of ``x`` (lowest id on ties)."""
    centre = x.mean(axis=0, dtype=np.float64)
    d = ((x - centre) ** 2).sum(axis=1)
    return int(np.argmin(d))


class VamanaIndex(Index):
    """The Vamana graph (DiskANN's in-memory index; diskannpy ``StaticMemoryIndex``).

    Args:
        d: vector dimension.
        R: the most out-neighbours per vector (diskannpy's ``graph_degree``).
        L: beam width of the build's searches (diskannpy's ``complexity``); ``L >= R``
            is usual, larger builds a better graph, slower.
        alpha: the pruning slack (``>= 1``) of the second pass, on squared distances;
            larger keeps more long edges (fewer hops, more edges). DiskANN's default 1.2.
        metric: ``"l2"`` (squared distance, ascending) or ``"cosine"`` (similarity,
            descending; searched as squared L2 on normalised vectors).
        seed: int or ``np.random.Generator`` for the initial graph and the point order.
        rule: how RobustPrune applies ``alpha`` (see ``robust_prune``): ``"diskann"``
            (default), in steps as DiskANN's code does, or ``"paper"``, one sweep.
            Measured on GloVe-50, n = 100,000, R = 32, L = 64, alpha = 1.2, where almost
            every list is full (mean degree 30.8 of 32): recall@10 at search_L = 10 / 20
            / 40 of 0.722 / 0.833 / 0.920 with "diskann", 0.707 / 0.821 / 0.903 with
            "paper", and 0.718 / 0.833 / 0.916 for diskannpy.
        passes: 2 (default), the paper's build: a pass with alpha = 1, then one with
            ``alpha``; or 1, a single pass with ``alpha``, as DiskANN's code builds
            (half the build time; measured on the same GloVe set: recall 0.718 / 0.831
            / 0.917, build 31 s against 56 s for two passes in the same conditions).
        progress: show a progress bar over the build's batches.

    Attributes:
        search_L: beam width at query time (default 100, diskannpy's default
            complexity); effectively ``max(search_L, k)``. The recall/speed knob.
        last_search_ndis: distances computed by the last ``search``, all queries together.
        last_search_hops: ``(nq,) int64``, vectors expanded (neighbour lists read) per
            query by the last ``search``: the graph hops (with ``search_L = 1``, the
            length of the greedy walk from the medoid).

    ``add(x)`` builds the graph over all vectors added so far (Vamana is a static index:
    a second ``add`` rebuilds it over the old and new vectors).

    Example:
        >>> index = VamanaIndex(64, R=32, L=64, alpha=1.2)
        >>> index.add(database)
        >>> index.search_L = 50
        >>> D, I = index.search(queries, 10)
    """

    metrics = ("l2", "cosine")
    _format_version = 1

    def __init__(self, d: int, R: int = 32, L: int = 64, alpha: float = 1.2, metric: str = "l2",
                 seed=0, *, rule: str = "diskann", passes: int = 2, progress: bool = False):
        super().__init__(d, metric)
        self.R = check_int(R, "R", minimum=1)
        self.L = check_int(L, "L", minimum=1)
        self.alpha = check_number(alpha, "alpha", minimum=1.0)
        self.rule = check_choice(rule, "rule", RULES)
        self.passes = check_int(passes, "passes", minimum=1, maximum=2)
        self._rng = as_generator(seed)
        self.progress = bool(progress)
        self._search_L = 100
        self.last_search_ndis = 0
        self.last_search_hops = np.zeros(0, dtype=np.int64)
        self._medoid = -1
        self._x = np.empty((0, self.d), dtype=np.float32)
        self._links = np.empty((0, self.R), dtype=np.int32)
        self._degree = np.empty(0, dtype=np.int32)

    # -- knobs and introspection ------------------------------------------------------
    @property
    def search_L(self) -> int:
        """Beam width (list size) at query time, ``>= 1``."""
        return self._search_L

    @search_L.setter
    def search_L(self, value) -> None:
        self._search_L = check_int(value, "search_L", minimum=1)

    @property
    def medoid(self) -> int:
        """Id of the vector where every search starts (closest to the mean); -1 if empty."""
        return self._medoid

    @property
    def degrees(self) -> np.ndarray:
        """``(ntotal,) int64``: out-degree of every vector."""
        return self._degree.astype(np.int64)

    @property
    def vectors(self) -> np.ndarray:
        """``(ntotal, d) float32``: the stored vectors (normalised for cosine); a copy."""
        return self._x.copy()

    @property
    def memory_bytes(self) -> int:
        """Bytes of the arrays: vectors, the ``R`` link slots and the degree of each vector."""
        return self.ntotal * (4 * self.d + 4 * self.R + 4)

    def neighbours(self, node: int) -> np.ndarray:
        """The ids ``node`` links to (``int64``), in stored order."""
        if self.ntotal == 0:
            raise ValueError("the VamanaIndex is empty: add vectors first")
        node = check_int(node, "node", minimum=0, maximum=self.ntotal - 1)
        return self._links[node, :self._degree[node]].astype(np.int64)

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """All directed edges as two ``int64`` arrays ``(sources, targets)``."""
        src = np.repeat(np.arange(self.ntotal), self._degree)
        used = np.arange(self.R) < self._degree[:, None]
        return src, self._links[used].astype(np.int64)

    def __repr__(self) -> str:
        return (f"VamanaIndex(d={self.d}, R={self.R}, L={self.L}, alpha={self.alpha}, "
                f"metric={self.metric!r}, rule={self.rule!r}, search_L={self.search_L}, "
                f"ntotal={self.ntotal})")

    # -- building -----------------------------------------------------------------------
    def _add(self, x: np.ndarray) -> None:
        x = np.ascontiguousarray(np.concatenate([self._x, x]) if self.ntotal else x)
        self._x = x
        self._links, self._degree = _random_graph(x.shape[0], self.R, self._rng)
        self._medoid = medoid_of(x)
        self._build(self._rng.permutation(x.shape[0]).astype(np.int32))

    def _build(self, order: np.ndarray) -> None:
        """The refinement passes (alpha = 1, then alpha; or alpha only) over ``order``."""
        n = order.shape[0]
        batch = max(1, int(n * _BATCH_FRACTION))
        batches = [order[s:s + batch] for s in range(0, n, batch)]
        alphas = (1.0, self.alpha) if self.passes == 2 else (self.alpha,)
        with tqdm(total=len(alphas) * len(batches), desc="Vamana build", unit="batch",
                  disable=not self.progress) as bar:
            for alpha in alphas:
                for points in batches:
                    self._refine_batch(points, np.float32(alpha))
                    bar.update(1)

    def _refine_batch(self, points: np.ndarray, alpha) -> None:
        """Refine ``points``: parallel searches/prunes, install, grouped back-edges."""
        x, links, degree, n, R = self._x, self._links, self._degree, self._x.shape[0], self.R
        new_links = np.zeros((points.shape[0], R), dtype=np.int32)
        new_degree = np.zeros(points.shape[0], dtype=np.int32)
        medoid = np.int32(self._medoid)
        steps = self.rule == "diskann"

        def refine(rows):
            visited, marks = _scratch(n)
            _refine_block(x, points, rows[0], rows[1], medoid, self.L, alpha, R, steps, links,
                          degree, new_links, new_degree, visited, marks)

        parallel_map(refine, block_ranges(points.shape[0], _BUILD_BLOCK))
        _install(points, new_links, new_degree, links, degree)
        keys = _back_edge_keys(points, new_links, new_degree, n)
        if keys.size == 0:
            return
        parts = _split_groups(keys // n, get_num_threads())
        parallel_map(lambda part: _apply_back_edges(x, keys, part[0], part[1], n, alpha, R,
                                                    steps, links, degree), parts)

    # -- search -------------------------------------------------------------------------------
    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        nq = q.shape[0]
        D = np.full((nq, k), np.inf, dtype=np.float32)
        I = np.full((nq, k), -1, dtype=np.int32)
        hops = np.zeros(nq, dtype=np.int64)
        medoid = np.int32(self._medoid)

        def search_block(rows):
            visited = np.zeros(self.ntotal, dtype=np.int32)
            lo, hi = rows
            return _search_many(self._x, q[lo:hi], k, self.search_L, medoid, self._links,
                                self._degree, visited, np.zeros(1, dtype=np.int32),
                                D[lo:hi], I[lo:hi], hops[lo:hi])

        self.last_search_ndis = int(sum(parallel_map(search_block, block_ranges(nq, _QUERY_BLOCK))))
        self.last_search_hops = hops
        if self.metric == "cosine":      # |a - b|^2 = 2 - 2 cos on unit vectors
            D = np.where(I >= 0, 1.0 - D / 2.0, -np.inf).astype(np.float32)
        return D, I.astype(np.int64)

    # -- persistence -----------------------------------------------------------------------------
    def _get_state(self):
        params = {"d": self.d, "R": self.R, "L": self.L, "alpha": self.alpha,
                  "metric": self.metric, "rule": self.rule, "passes": self.passes,
                  "search_L": self.search_L,
                  "medoid": self._medoid,
                  "rng": rng_state(self._rng)}
        return params, {"vectors": self._x, "links": self._links, "degree": self._degree}

    @classmethod
    def _from_state(cls, params, arrays):
        index = cls(params["d"], params["R"], params["L"], params["alpha"], params["metric"],
                    seed=rng_from_state(params["rng"]), rule=params["rule"],
                    passes=params["passes"])
        index.search_L = params["search_L"]
        a = {key: np.ascontiguousarray(arrays[key]) for key in ("vectors", "links", "degree")}
        n = a["degree"].shape[0]
        check_graph(a["vectors"], a["links"], a["degree"], int(params["medoid"]), index.d, index.R)
        index._x, index._links, index._degree = a["vectors"], a["links"], a["degree"]
        index._medoid, index._ntotal = int(params["medoid"]), n
        return index


def check_graph(vectors: np.ndarray, links: np.ndarray, degree: np.ndarray, medoid: int,
                d: int, R: int) -> None:
    """Structural checks of a loaded graph, so that a search never reads past an array:
    shapes and dtypes, degrees in ``[0, R]``, every used link in ``[0, n)``, medoid in range."""
    from .._saved_files import check_index_array

    n = degree.shape[0]
    expected = {"vectors": (vectors, (n, d), np.float32), "links": (links, (n, R), np.int32),
                "degree": (degree, (n,), np.int32)}
    for key, (arr, shape, dtype) in expected.items():
        if arr.shape != shape or arr.dtype != dtype:
            raise ValueError(f"array {key!r} has shape {arr.shape} and dtype {arr.dtype}, "
                             f"expected {shape} and {np.dtype(dtype)}")
    if n == 0:
        return
    if not 0 <= medoid < n:
        raise ValueError(f"medoid {medoid} is not an id in [0, {n})")
    if degree.min() < 0 or degree.max() > R:
        raise ValueError(f"degrees must be in [0, R={R}], found values from {degree.min()} "
                         f"to {degree.max()}")
    check_index_array(links[np.arange(R) < degree[:, None]], "links", n)
