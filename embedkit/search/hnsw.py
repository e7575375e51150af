"""HNSW: a hierarchical navigable small-world graph, the index inside most vector databases.

The idea in three steps (Malkov & Yashunin, 2016/2018):

1. **Greedy search on a proximity graph.** Link every vector to a few near vectors. To
   answer a query, start anywhere and repeatedly move to the neighbour closest to the
   query; stop when no neighbour is closer. A *beam* version keeps the ``ef`` best
   vectors seen so far instead of one, which rarely gets stuck in a local minimum.
2. **Long links for a fast start.** A greedy walk on short links takes many steps to
   cross the space. HNSW stacks sparser graphs on top: every vector is on layer 0, and
   a vector is also on layers 1 .. L with L drawn from an exponential law,
   ``L = floor(-ln(U) * mL)``, ``U ~ Uniform(0, 1)``, ``mL = 1 / ln(M)``, so each layer
   holds about ``1 / M`` of the layer below. A search descends greedily through the
   sparse upper layers (long hops) and runs the beam search only on layer 0.
3. **Diverse neighbours.** On each of its layers, a new vector is linked to some of the
   candidates found by a beam search of width ``ef_construction``, chosen by a heuristic
   (the paper's algorithm 4): take candidates closest first, and keep one only if it is
   closer to the new vector than to every neighbour already kept. That skips redundant
   links into one cluster and keeps links that bridge clusters. A list holds at most
   ``M`` links on upper layers and ``2 * M`` on layer 0 (as hnswlib and faiss; the new
   vector's own list is filled up to that bound, as faiss does, where hnswlib stops at
   ``M``: the heuristic rarely keeps more than ``M`` anyway). Links are made in both
   directions; a list that overflows is pruned by the same heuristic.

One repair goes beyond the paper: pruning can remove the last link that points to a
vector, after which no search can return it (faiss and hnswlib keep such orphans; notebook
16 counts them). ``HNSWIndex.reconnect`` finds them with a graph walk from the entry point
and links each one from its nearest reachable vector; ``add`` runs it after every 1% of
growth.

Costs: a query computes roughly ``ef * M``-ish distances, growing slowly with ``n``
(about logarithmically in practice; there is no worst-case guarantee). Memory is the
float32 vectors plus the links: about ``4 d + 8 M`` bytes per vector (``2 M`` int32
links on layer 0), which is *more* than the raw vectors, not less: HNSW buys speed with
memory (IVF-PQ, notebook 14, is the memory-saving choice).

Implementation. The algorithm is a set of plain loops below (``_search_layer``,
``_select_neighbours``, ``_find_neighbours``, ...) compiled with numba (``embedkit._jit``):
following pointers and pushing on heaps is exactly the work numpy cannot batch, and the
compiled loops run at C++-like speed while reading like the paper's pseudocode. Batch
searches and builds run on all cores (``ek.set_num_threads``): queries are searched in
blocks on a thread pool, and vectors are inserted in small batches whose searches run in
parallel (see "building: insertion in batches" below). The
graph lives in flat arrays: ``links0[node, :count0[node]]`` are the layer-0 neighbours;
a node on layers ``1 .. L`` owns ``L`` consecutive rows of ``links_up``, starting at
``up_offset[node]``. Ids are int32, as in faiss and hnswlib.
"""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from .._jit import njit
from .._rng import rng_from_state, rng_state
from .._threads import block_ranges, get_num_threads, parallel_map
from .._validation import as_generator, check_int
from .index_base import Index

__all__ = ["HNSWIndex", "draw_levels"]

#: queries per block of a batch search (blocks are searched in parallel)
_QUERY_BLOCK = 64
#: a build batch is at most this fraction of the graph it is inserted into
_BATCH_FRACTION = 0.01
#: new nodes per block of a build batch's searches
_BUILD_BLOCK = 32


def _batch_size(n_in_graph: int) -> int:
    """How many vectors to insert at once into a graph of ``n_in_graph`` vectors.

    1% of the graph (at least one): early vectors go in one by one, as in the paper, and
    the batches grow with the graph, so a new vector's true neighbours are almost never
    in its own batch (where its search could not see them).
    """
    return max(1, int(n_in_graph * _BATCH_FRACTION))


def _split_groups(group: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Cut the sorted array ``group`` into about ``parts`` ranges of similar length,
    only where the value changes (a group is never split between two ranges)."""
    cuts = np.flatnonzero(group[1:] != group[:-1]) + 1          # first index of each group
    bounds = {0, group.size}
    for j in range(1, parts):
        at = np.searchsorted(cuts, group.size * j // parts)      # the next group start
        if at < cuts.size:
            bounds.add(int(cuts[at]))
    bounds = sorted(bounds)
    return list(zip(bounds[:-1], bounds[1:]))


# -- the algorithm, as loops (compiled by numba) -----------------------------------------
# Every loop is compiled with nogil=True: it releases Python's global interpreter lock,
# so several threads can run searches (or the searches of a build batch) at once.
@njit(fastmath=True, nogil=True)
def _distance(a, b, l2):
    """Squared L2 distance if ``l2``, else minus the inner product: smaller = closer."""
    s = np.float32(0.0)
    if l2:
        for i in range(a.shape[0]):
            t = a[i] - b[i]
            s += t * t
        return s
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return -s


@njit(nogil=True)
def _rows(g, node, level):
    """Where ``(node, level)`` lives: the links and counts arrays, and its row in them."""
    links0, count0, links_up, count_up, up_offset = g
    if level == 0:
        return links0, count0, node
    return links_up, count_up, up_offset[node] + level - 1


@njit(nogil=True)
def _neighbours(g, node, level):
    """The neighbour ids of ``node`` on ``level`` (a view into the graph arrays)."""
    links, counts, row = _rows(g, node, level)
    return links[row, :counts[row]]


@njit(nogil=True)
def _set_neighbours(g, node, level, ids):
    """Replace the neighbour list of ``node`` on ``level`` by the array ``ids``."""
    links, counts, row = _rows(g, node, level)
    links[row, :len(ids)] = ids
    counts[row] = len(ids)


@njit(nogil=True)
def _fresh_mark(visited, marks):
    """A new "visited" stamp: ``visited[v] == mark`` means seen in the current search.

    Stamping instead of clearing a boolean array makes starting a search O(1).
    """
    marks[0] += 1
    if marks[0] == np.iinfo(np.int32).max:  # wrapped around: clear once, start again
        visited[:] = 0
        marks[0] = 1
    return marks[0]


@njit(fastmath=True, nogil=True)
def _greedy_closest(x, q, ep, d_ep, level, g, l2):
    """Walk to ever closer neighbours on ``level`` until none is closer (ef = 1).

    Returns the local minimum reached, its distance, and how many distances were computed.
    """
    n_dist = 0
    changed = True
    while changed:
        changed = False
        for e in _neighbours(g, ep, level):
            d_e = _distance(q, x[e], l2)
            n_dist += 1
            if d_e < d_ep:
                ep, d_ep, changed = e, d_e, True
    return ep, d_ep, n_dist


@njit(fastmath=True, nogil=True)
def _search_layer(x, q, ep, d_ep, ef, level, g, l2, visited, mark):
    """Beam search on one layer (the paper's algorithm 2), with a sorted pool.

    The paper keeps two heaps: the ``ef`` best vectors found so far, and a frontier of
    vectors not yet expanded. Both live here in one array sorted by distance, the
    *pool* (``dists``, ``ids``, and ``done`` = already expanded), as DiskANN and NSG
    write it: expand the closest vector of the pool not yet expanded, insert its unseen
    neighbours that beat the pool's worst (dropping the worst when the pool is full), and
    stop when every vector of the pool has been expanded. That is exactly the paper's
    stopping rule (the closest unexpanded candidate is worse than all ``ef`` results),
    without heaps: plain arrays, no allocation per step.

    Returns the up-to-``ef`` closest vectors reached as two arrays, ``(distances, ids)``,
    closest first, and the number of distances computed.
    """
    dists = np.empty(ef, dtype=np.float32)
    ids = np.empty(ef, dtype=np.int32)
    done = np.zeros(ef, dtype=np.bool_)
    dists[0], ids[0], size = d_ep, ep, 1
    visited[ep] = mark
    n_dist = 0
    nxt = 0                                   # position of the closest unexpanded vector
    while nxt < size:
        done[nxt] = True
        c = ids[nxt]
        best_new = size                       # lowest position an insertion reached
        for e in _neighbours(g, c, level):
            if visited[e] == mark:
                continue
            visited[e] = mark
            d_e = _distance(q, x[e], l2)
            n_dist += 1
            if size == ef and d_e >= dists[size - 1]:
                continue                      # not better than the worst of a full pool
            # Insertion sort: shift worse entries one place right (the last falls off).
            pos = size if size < ef else size - 1
            while pos > 0 and dists[pos - 1] > d_e:
                if pos < ef:
                    dists[pos], ids[pos], done[pos] = dists[pos - 1], ids[pos - 1], done[pos - 1]
                pos -= 1
            dists[pos], ids[pos], done[pos] = d_e, e, False
            if size < ef:
                size += 1
            best_new = min(best_new, pos)
        # Next: the closest unexpanded vector, which may be one just inserted before nxt.
        nxt = min(nxt + 1, best_new)
        while nxt < size and done[nxt]:
            nxt += 1
    return dists[:size], ids[:size], n_dist


@njit(fastmath=True, nogil=True)
def _select_neighbours(x, dists, ids, m, l2):
    """The neighbour-selection heuristic (algorithm 4, as hnswlib implements it).

    ``dists, ids``: candidates and their distances to the base vector, closest first.
    A candidate is kept only if it is closer to the base than to every neighbour already
    kept; at most ``m`` are kept. Returns the kept ids, in that order.
    """
    chosen = np.empty(min(m, ids.shape[0]), dtype=np.int32)
    n_chosen = 0
    for i in range(ids.shape[0]):
        if n_chosen == chosen.shape[0]:
            break
        c = ids[i]
        keep = True
        for r in chosen[:n_chosen]:
            if _distance(x[c], x[r], l2) < dists[i]:
                keep = False  # c is closer to an already-kept neighbour: redundant
                break
        if keep:
            chosen[n_chosen] = c
            n_chosen += 1
    return chosen[:n_chosen]


@njit(fastmath=True, nogil=True)
def _link(x, g, src, dst, level, m_max, l2):
    """Add the edge ``src -> dst``; prune ``src``'s list back to ``m_max`` if it overflows."""
    links, counts, row = _rows(g, src, level)
    if counts[row] < m_max:
        links[row, counts[row]] = dst
        counts[row] += 1
        return
    # Full: order the old neighbours and the new one by (distance to src, id), then keep
    # what the heuristic keeps. (Sorting plain arrays: a heap of tuples allocates, and
    # this runs for most back-links once the lists are full.)
    n_old = counts[row]
    ids = np.empty(n_old + 1, dtype=np.int32)
    ids[:n_old] = links[row, :n_old]
    ids[n_old] = dst
    ids.sort()                                        # ties in distance: the lower id first
    dists = np.empty(n_old + 1, dtype=np.float32)
    for j in range(n_old + 1):
        dists[j] = _distance(x[src], x[ids[j]], l2)
    order = np.argsort(dists, kind="mergesort")       # stable: keeps the id order of ties
    _set_neighbours(g, src, level, _select_neighbours(x, dists[order], ids[order], m_max, l2))


# -- building: insertion in batches ---------------------------------------------------------
# Inserting a vector (algorithm 1) has two halves: (1) search the graph for its
# neighbours and set its own lists, (2) link those neighbours back to it, pruning their
# lists when they overflow. Half (1) is most of the work and only *reads* the graph
# (plus the new vector's own lists). So vectors are inserted in batches: all the batch's
# searches run in parallel against the graph as it was before the batch, then the
# back-links are applied, grouped by the list they change, each list by one thread in
# increasing order of the new vector's id. No locks are needed, and the graph does not
# depend on the number of threads: one thread builds exactly the same graph as eight.
# (faiss and hnswlib instead insert concurrently with a lock per node, which gives a
# different graph on every run.) A batch is small next to the graph (1% of it), so a new
# vector rarely misses a neighbour because that neighbour was in its own batch.
@njit(fastmath=True, nogil=True)
def _find_neighbours(x, start, stop, levels, entry, max_level, g, m, ef_construction, l2,
                     visited, marks):
    """Half (1) for nodes ``start .. stop - 1``: search and set their own neighbour lists.

    Each node's lists are written only here, by the thread that owns the node, and no
    search can reach a node of the current batch (nothing links to it yet).
    """
    for i in range(start, stop):
        node = np.int32(i)
        q = x[node]
        level = levels[node]
        ep = entry
        d_ep = _distance(q, x[ep], l2)
        for lc in range(max_level, level, -1):        # above the new node's top layer: greedy
            ep, d_ep, _ = _greedy_closest(x, q, ep, d_ep, lc, g, l2)
        for lc in range(min(level, max_level), -1, -1):
            dists, ids, _ = _search_layer(x, q, ep, d_ep, ef_construction, lc, g, l2, visited,
                                          _fresh_mark(visited, marks))
            m_max = 2 * m if lc == 0 else m
            if ids.shape[0] > m_max:                   # more candidates than room: choose
                ids = _select_neighbours(x, dists, ids, m_max, l2)
            _set_neighbours(g, node, lc, ids)          # else keep them all, as faiss does
            ep, d_ep = ids[0], dists[0]                # start the next layer at the closest


@njit(nogil=True)
def _back_links(start, stop, levels, max_level, g):
    """The back-links that half (2) adds for nodes ``start .. stop - 1``, as sorted keys.

    A back-link ``e -> i`` on layer ``lc`` (``e`` chose... rather: ``i`` chose ``e``, so
    ``e`` must link back to ``i``) is the int64 key ``(lc * stop + e) * stop + i``: sorting
    the keys groups the links by the list they change, ``(lc, e)``, and orders each
    group by the new node ``i``, the order of a one-by-one insertion.
    """
    n_pairs = 0
    for i in range(start, stop):
        for lc in range(min(levels[i], max_level) + 1):
            n_pairs += _neighbours(g, i, lc).shape[0]
    keys = np.empty(n_pairs, dtype=np.int64)
    j = 0
    for i in range(start, stop):
        for lc in range(min(levels[i], max_level) + 1):
            for e in _neighbours(g, i, lc):
                keys[j] = (np.int64(lc) * stop + e) * stop + i
                j += 1
    keys.sort()
    return keys


@njit(fastmath=True, nogil=True)
def _apply_back_links(x, g, keys, lo, hi, stop, m, l2):
    """Half (2) for ``keys[lo:hi]``: whole groups, so each list is changed by one thread."""
    for p in range(lo, hi):
        i = np.int32(keys[p] % stop)
        rest = keys[p] // stop
        e, lc = np.int32(rest % stop), np.int32(rest // stop)
        _link(x, g, e, i, lc, 2 * m if lc == 0 else m, l2)


@njit(fastmath=True, nogil=True)
def _search_many(x, queries, k, ef, entry, max_level, g, l2, visited, marks, D, I):
    """k-NN for each row of ``queries``: greedy descent, then a beam search on layer 0.

    Writes into ``D, I``; returns the total number of distances computed.
    """
    n_dist = 0
    for i in range(queries.shape[0]):
        q = queries[i]
        ep = entry
        d_ep = _distance(q, x[ep], l2)
        for lc in range(max_level, 0, -1):
            ep, d_ep, n = _greedy_closest(x, q, ep, d_ep, lc, g, l2)
            n_dist += n
        dists, ids, n = _search_layer(x, q, ep, d_ep, max(ef, k), 0, g, l2, visited,
                                      _fresh_mark(visited, marks))
        n_dist += n + 1
        n_found = min(k, ids.shape[0])
        D[i, :n_found] = dists[:n_found]
        I[i, :n_found] = ids[:n_found]
    return n_dist


@njit(nogil=True)
def _mark_reachable(g, level, start, seen):
    """Mark in ``seen`` every node a walk from ``start`` can reach on ``level``."""
    seen[start] = True
    stack = [start]
    while len(stack) > 0:
        for e in _neighbours(g, stack.pop(), level):
            if not seen[e]:
                seen[e] = True
                stack.append(e)


@njit(fastmath=True, nogil=True)
def _reconnect(x, n, levels, entry, g, m, ef_construction, l2, visited, marks):
    """Link back every node that no search from the entry point can reach; all layers.

    Pruning can remove the last link into a node, or into a small group of nodes that
    only link to each other; no search can return them afterwards (hnswlib and faiss
    leave them so). Each such node gets a link from the closest reachable node that has
    a free slot: first among the candidates of a beam search for it, else by a scan of
    the layer (rarely needed). Returns the number of links added.
    """
    added = 0
    for level in range(levels[entry], -1, -1):
        m_max = 2 * m if level == 0 else m
        seen = np.zeros(n, dtype=np.bool_)
        _mark_reachable(g, level, entry, seen)
        for i in range(n):
            if levels[i] < level or seen[i]:
                continue
            u = np.int32(i)
            # A beam search on this layer from the entry point meets only reachable nodes.
            dists, ids, _ = _search_layer(x, x[u], entry, _distance(x[u], x[entry], l2),
                                          ef_construction, level, g, l2, visited,
                                          _fresh_mark(visited, marks))
            host = np.int32(-1)
            for c in ids:
                if _neighbours(g, c, level).shape[0] < m_max:
                    host = c
                    break
            if host < 0:                     # all full: the closest reachable node with room
                d_host = np.float32(np.inf)
                for c in range(n):
                    if seen[c] and levels[c] >= level and _neighbours(g, c, level).shape[0] < m_max:
                        d_c = _distance(x[u], x[c], l2)
                        if d_c < d_host:
                            host, d_host = np.int32(c), d_c
            if host < 0:
                continue                     # every reachable list is full: nothing to link from
            links, counts, row = _rows(g, host, level)
            links[row, counts[row]] = u
            counts[row] += 1
            added += 1
            _mark_reachable(g, level, u, seen)
    return added


# -- the level law -------------------------------------------------------------------------
def draw_levels(n: int, M: int, seed=0) -> np.ndarray:
    """Top layer of ``n`` new vectors: ``floor(-ln(U) / ln(M))``, ``U ~ Uniform(0, 1]``.

    ``P(level >= l) = M ** -l``: one vector in ``M`` reaches layer 1, one in ``M**2``
    layer 2, and so on, so the expected number of layers is about ``log_M(n)``.

    Args:
        n: how many levels to draw; M: the HNSW degree parameter (>= 2).
        seed: int or ``np.random.Generator``.
    Returns:
        ``(n,) int32`` levels.
    """
    n = check_int(n, "n", minimum=0)
    M = check_int(M, "M", minimum=2)
    rng = as_generator(seed)
    u = 1.0 - rng.random(n)               # in (0, 1]: log(0) cannot happen
    return np.floor(-np.log(u) / np.log(M)).astype(np.int32)


# -- the index ----------------------------------------------------------------------------
class HNSWIndex(Index):
    """Hierarchical navigable small-world graph index (faiss ``IndexHNSWFlat``, hnswlib).

    Args:
        d: vector dimension.
        M: links per vector on the upper layers (``2 * M`` allowed on layer 0); 16-64 is
            typical. Larger M: higher recall at a given ``ef_search``, more memory, slower
            build.
        ef_construction: beam width while inserting; larger builds a better graph, slower.
        metric: ``"l2"`` (squared distance, ascending), ``"ip"`` or ``"cosine"``
            (descending). The graph heuristics assume a metric; with ``"ip"`` on vectors
            of very different norms recall suffers (as in faiss): prefer ``"cosine"``.
        seed: int or ``np.random.Generator`` for the layer draws.
        progress: show a progress bar while adding.

    Attributes:
        ef_search: beam width at query time (default 16, as faiss); effectively
            ``max(ef_search, k)``. The recall/speed knob.
        last_search_ndis: distances computed by the last ``search`` call, all queries
            together (faiss reports the same count in ``faiss.cvar.hnsw_stats.ndis``).
        relinked: links added so far by ``reconnect`` to vectors that pruning had stranded.

    Vectors are inserted in batches of 1% of the graph, whose searches run on
    ``ek.get_num_threads()`` threads; the same data and seed build the same graph on any
    number of threads (the distance loops are compiled with fast-math, so the last bits of
    a distance, and rarely a link, may differ between CPU types). ``add`` may be called
    again at any time, also after ``load``.

    Example:
        >>> index = HNSWIndex(64, M=32, ef_construction=40)
        >>> index.add(database)
        >>> index.ef_search = 64
        >>> D, I = index.search(queries, 10)
    """

    _format_version = 1

    def __init__(self, d: int, M: int = 16, ef_construction: int = 200, metric: str = "l2",
                 seed=0, *, progress: bool = False):
        super().__init__(d, metric)
        self.M = check_int(M, "M", minimum=2)
        self.ef_construction = check_int(ef_construction, "ef_construction", minimum=1)
        self._rng = as_generator(seed)
        self.progress = bool(progress)
        self._ef_search = 16
        self.last_search_ndis = 0  # distances computed by the last search call (all queries)
        self._entry = -1
        self._max_level = -1
        self._n_up = 0                                    # rows of links_up in use
        self._x = np.empty((0, self.d), dtype=np.float32)
        self._levels = np.empty(0, dtype=np.int32)
        self._links0 = np.empty((0, 2 * self.M), dtype=np.int32)
        self._count0 = np.empty(0, dtype=np.int32)
        self._up_offset = np.empty(0, dtype=np.int32)
        self._links_up = np.empty((0, self.M), dtype=np.int32)
        self._count_up = np.empty(0, dtype=np.int32)
        self.relinked = 0      # links added by reconnect() so far
        self._unchecked = 0    # vectors inserted since the last reconnect()

    # -- knobs and introspection ------------------------------------------------------
    @property
    def ef_search(self) -> int:
        """Beam width of the layer-0 search (``>= 1``)."""
        return self._ef_search

    @ef_search.setter
    def ef_search(self, value) -> None:
        self._ef_search = check_int(value, "ef_search", minimum=1)

    @property
    def entry_point(self) -> int:
        """Id of the vector where every search starts (on the top layer); -1 if empty."""
        return self._entry

    @property
    def max_level(self) -> int:
        """Index of the top layer (0 when only layer 0 exists; -1 if empty)."""
        return self._max_level

    @property
    def levels(self) -> np.ndarray:
        """``(ntotal,) int32``: the top layer of each vector."""
        return self._levels[: self.ntotal].copy()

    @property
    def memory_bytes(self) -> int:
        """Bytes of the arrays in use: vectors, links, counts, levels and offsets."""
        n, n_up = self.ntotal, self._n_up
        per_node = 4 * self.d + 4 * 2 * self.M + 4 + 4 + 4   # vector, links0, count, level, offset
        return n * per_node + n_up * (4 * self.M + 4)

    def neighbours(self, node: int, level: int = 0) -> np.ndarray:
        """The ids ``node`` links to on ``level`` (``int64``), in stored order."""
        node = check_int(node, "node", minimum=0, maximum=max(self.ntotal - 1, 0))
        if self.ntotal == 0:
            raise ValueError("the HNSWIndex is empty: add vectors first")
        level = check_int(level, "level", minimum=0, maximum=int(self._levels[node]))
        return _neighbours(self._graph(), node, level).astype(np.int64)

    def __repr__(self) -> str:
        return (f"HNSWIndex(d={self.d}, M={self.M}, ef_construction={self.ef_construction}, "
                f"metric={self.metric!r}, ef_search={self.ef_search}, ntotal={self.ntotal})")

    # -- storage --------------------------------------------------------------------------
    def _graph(self):
        return (self._links0, self._count0, self._links_up, self._count_up, self._up_offset)

    @staticmethod
    def _grow(arr: np.ndarray, rows: int) -> np.ndarray:
        """``arr`` with room for at least ``rows`` rows (capacity grows geometrically)."""
        if arr.shape[0] >= rows:
            return arr
        new = np.zeros((max(rows, arr.shape[0] * 3 // 2),) + arr.shape[1:], dtype=arr.dtype)
        new[: arr.shape[0]] = arr
        return new

    def _add(self, x: np.ndarray) -> None:
        n0, n = self.ntotal, x.shape[0]
        levels = draw_levels(n, self.M, self._rng)
        # Upper-layer rows for the new vectors: a vector on layers 1..L owns L rows.
        offsets = self._n_up + np.cumsum(levels) - levels
        n_up = self._n_up + int(levels.sum())
        self._x = self._grow(self._x, n0 + n)
        self._levels = self._grow(self._levels, n0 + n)
        self._links0 = self._grow(self._links0, n0 + n)
        self._count0 = self._grow(self._count0, n0 + n)
        self._up_offset = self._grow(self._up_offset, n0 + n)
        self._links_up = self._grow(self._links_up, n_up)
        self._count_up = self._grow(self._count_up, n_up)
        self._x[n0:n0 + n] = x
        self._levels[n0:n0 + n] = levels
        self._up_offset[n0:n0 + n] = np.where(levels > 0, offsets, -1)
        self._count0[n0:n0 + n] = 0
        self._count_up[self._n_up:n_up] = 0
        self._n_up = n_up

        levels = self._levels
        with tqdm(total=n, desc="HNSW add", unit="vec", disable=not self.progress) as bar:
            start = n0
            while start < n0 + n:
                if self._entry < 0:            # the very first vector: it is the graph
                    self._entry, self._max_level = start, int(levels[start])
                    start += 1
                    bar.update(1)
                    continue
                stop = min(n0 + n, start + _batch_size(start))
                self._insert_batch(start, stop)
                # A node drawn above the top layer becomes the entry point (the first
                # such node of the batch, as a one-by-one insertion would leave it).
                top = start + int(np.argmax(levels[start:stop]))
                if levels[top] > self._max_level:
                    self._entry, self._max_level = top, int(levels[top])
                bar.update(stop - start)
                start = stop
        self._unchecked += n

    def _insert_batch(self, start: int, stop: int) -> None:
        """Insert nodes ``start .. stop - 1``: parallel searches, then grouped back-links."""
        x, levels, g, l2 = self._x, self._levels, self._graph(), self.metric == "l2"
        entry, top = np.int32(self._entry), np.int32(self._max_level)

        def search(rows):                  # (1) a block of new nodes finds its neighbours
            visited = np.zeros(stop, dtype=np.int32)       # this block's "visited" stamps
            _find_neighbours(x, start + rows[0], start + rows[1], levels, entry, top, g,
                             self.M, self.ef_construction, l2, visited, np.zeros(1, np.int32))

        parallel_map(search, block_ranges(stop - start, _BUILD_BLOCK))
        # (2) back-links, grouped by the list they change, the groups split over threads.
        keys = _back_links(start, stop, levels, top, g)
        parts = _split_groups(keys // stop, get_num_threads())
        parallel_map(lambda part: _apply_back_links(x, g, keys, part[0], part[1], stop,
                                                    self.M, l2), parts)

    def add(self, x) -> None:
        """Insert ``x: (n, d)`` (ids ``ntotal ..``), in batches of 1% of the graph whose
        searches run on ``ek.get_num_threads()`` threads (see ``_insert_batch``); the
        graph is the same on any number of threads.

        Every 1% of growth, stranded vectors are linked back (``reconnect``): a graph walk
        costs O(n), so checking after every single insertion would be too slow.
        """
        super().add(x)
        if 100 * self._unchecked >= self.ntotal:
            self.reconnect()

    def reconnect(self) -> int:
        """Make every vector reachable again from the entry point, on every layer.

        Pruning occasionally strands a vector (no link points to it any more); this links
        each stranded vector from its nearest reachable one. ``add`` calls it whenever the
        index has grown by 1% since the last call, so it rarely needs calling by hand.
        Returns the number of links added (also accumulated in ``relinked``).
        """
        self._unchecked = 0
        if self.ntotal == 0:
            return 0
        visited = np.zeros(self._x.shape[0], dtype=np.int32)
        added = int(_reconnect(self._x, self.ntotal, self._levels, np.int32(self._entry),
                               self._graph(), self.M, self.ef_construction,
                               self.metric == "l2", visited, np.zeros(1, dtype=np.int32)))
        self.relinked += added
        return added

    # -- search -------------------------------------------------------------------------------
    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        nq = q.shape[0]
        D = np.full((nq, k), np.inf, dtype=np.float32)
        I = np.full((nq, k), -1, dtype=np.int32)
        g, l2 = self._graph(), self.metric == "l2"
        entry, top = np.int32(self._entry), np.int32(self._max_level)

        def search_block(rows):
            # Each block has its own "visited" stamps; the queries are independent, so
            # the results do not depend on how the batch is cut or on the thread count.
            visited = np.zeros(self._x.shape[0], dtype=np.int32)
            lo, hi = rows
            return _search_many(self._x, q[lo:hi], k, self.ef_search, entry, top, g, l2,
                                visited, np.zeros(1, dtype=np.int32), D[lo:hi], I[lo:hi])

        self.last_search_ndis = int(sum(parallel_map(search_block, block_ranges(nq, _QUERY_BLOCK))))
        if self.higher_is_better:  # internal distances are -q.x; report the similarity
            D = np.where(I >= 0, -D, -np.inf).astype(np.float32)
        return D, I.astype(np.int64)

    # -- persistence -----------------------------------------------------------------------------
    def _get_state(self):
        n, n_up = self.ntotal, self._n_up
        params = {"d": self.d, "M": self.M, "ef_construction": self.ef_construction,
                  "metric": self.metric, "ef_search": self.ef_search, "entry": self._entry,
                  "max_level": self._max_level, "rng": rng_state(self._rng),
                  "relinked": self.relinked, "unchecked": self._unchecked}
        arrays = {"vectors": self._x[:n], "levels": self._levels[:n],
                  "links0": self._links0[:n], "count0": self._count0[:n],
                  "up_offset": self._up_offset[:n], "links_up": self._links_up[:n_up],
                  "count_up": self._count_up[:n_up]}
        return params, arrays

    @classmethod
    def _from_state(cls, params, arrays):
        index = cls(params["d"], params["M"], params["ef_construction"], params["metric"],
                    seed=rng_from_state(params["rng"]))
        index.ef_search = params["ef_search"]
        a = {key: np.ascontiguousarray(arrays[key]) for key in
             ("vectors", "levels", "links0", "count0", "up_offset", "links_up", "count_up")}
        n, n_up, M = a["levels"].shape[0], a["count_up"].shape[0], index.M
        expected = {"vectors": ((n, index.d), np.float32), "levels": ((n,), np.int32),
                    "links0": ((n, 2 * M), np.int32), "count0": ((n,), np.int32),
                    "up_offset": ((n,), np.int32), "links_up": ((n_up, M), np.int32),
                    "count_up": ((n_up,), np.int32)}
        for key, (shape, dtype) in expected.items():
            if a[key].shape != shape or a[key].dtype != dtype:
                raise ValueError(f"array {key!r} has shape {a[key].shape} and dtype "
                                 f"{a[key].dtype}, expected {shape} and {np.dtype(dtype)}")
        if n and not (0 <= params["entry"] < n and params["max_level"] == a["levels"].max()):
            raise ValueError("entry point or top layer out of range")
        if int(a["levels"].sum()) != n_up or (n and (a["count0"].max() > 2 * M
                                                     or a["links0"].max() >= n)):
            raise ValueError("links do not fit the stored vectors and levels")
        _check_saved_graph(a, n, M, int(params["entry"]), int(params["max_level"]))
        index._x, index._levels, index._links0 = a["vectors"], a["levels"], a["links0"]
        index._count0, index._up_offset = a["count0"], a["up_offset"]
        index._links_up, index._count_up = a["links_up"], a["count_up"]
        index._n_up, index._ntotal = n_up, n
        index._entry, index._max_level = int(params["entry"]), int(params["max_level"])
        index.relinked, index._unchecked = int(params["relinked"]), int(params["unchecked"])
        return index


def _check_saved_graph(a: dict, n: int, M: int, entry: int, max_level: int) -> None:
    """Structural checks of a loaded graph, so that search never reads past an array.

    Every used link slot (``links[row, :count[row]]``) must name a node in ``[0, n)`` that
    exists on that layer, counts must fit their rows, and each node's upper-layer rows
    must be where ``_add`` put them (the running sum of the levels).
    """
    from .._saved_files import check_index_array

    levels, count0, count_up = a["levels"], a["count0"], a["count_up"]
    if not n:
        return
    if levels.min() < 0 or levels[entry] != max_level:
        raise ValueError("levels are negative, or the entry point is not on the top layer")
    if count0.min() < 0 or (count_up.size and (count_up.min() < 0 or count_up.max() > M)):
        raise ValueError(f"link counts must be in [0, {2 * M}] (layer 0) and [0, {M}] (upper layers)")
    expected = np.where(levels > 0, np.cumsum(levels) - levels, -1)
    if not np.array_equal(a["up_offset"], expected):
        raise ValueError("up_offset does not match the levels (upper-layer rows out of place)")
    used0 = np.arange(2 * M) < count0[:, None]
    check_index_array(a["links0"][used0], "layer-0 links", n)
    if count_up.size:
        used = np.arange(M) < count_up[:, None]
        # the layer of each upper row: rows up_offset[i] .. up_offset[i] + levels[i] - 1
        # hold layers 1 .. levels[i] of node i
        row_level = np.arange(count_up.size) - np.repeat(expected[levels > 0], levels[levels > 0]) + 1
        links = a["links_up"][used]
        check_index_array(links, "upper-layer links", n)
        if (levels[links] < np.broadcast_to(row_level[:, None], used.shape)[used]).any():
            raise ValueError("an upper-layer link points to a node that is not on that layer")
