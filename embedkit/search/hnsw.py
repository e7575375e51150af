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
from .._validation import as_generator, check_choice, check_int
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
def _sq_l2(a, b):
    """Squared L2 distance between two float32 vectors (Vamana and DiskANN use it too)."""
    s = np.float32(0.0)
    for i in range(a.shape[0]):
        t = a[i] - b[i]
        s += t * t
    return s


@njit(fastmath=True, nogil=True)
def _distance(a, b, l2):
    """Squared L2 distance if ``l2``, else minus the inner product: smaller = closer."""
    if l2:
        return _sq_l2(a, b)
    s = np.float32(0.0)
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
def _find_neighbours(x, nodes, levels, entry, max_level, g, m, ef_construction, l2,
                     visited, marks):
    """Half (1) for the nodes ``nodes``: search and set their own neighbour lists.

    Each node's lists are written only here, by the thread that owns the node, and no
    search can reach a node of the current batch (nothing links to it yet).
    """
    for node in nodes:
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
def _back_links(nodes, levels, max_level, g, n):
    """The back-links that half (2) adds for ``nodes`` (ids below ``n``), as sorted keys.

    ``i`` chose ``e`` on layer ``lc``, so ``e`` must link back to ``i``: that back-link is
    the int64 key ``(lc * n + e) * n + i``. Sorting the keys groups the links by the list
    they change, ``(lc, e)``, and orders each group by the new node ``i``, the order of a
    one-by-one insertion.
    """
    n_pairs = 0
    for i in nodes:
        for lc in range(min(levels[i], max_level) + 1):
            n_pairs += _neighbours(g, i, lc).shape[0]
    keys = np.empty(n_pairs, dtype=np.int64)
    j = 0
    for i in nodes:
        for lc in range(min(levels[i], max_level) + 1):
            for e in _neighbours(g, i, lc):
                keys[j] = (np.int64(lc) * n + e) * n + i
                j += 1
    keys.sort()
    return keys


@njit(fastmath=True, nogil=True)
def _apply_back_links(x, g, keys, lo, hi, n, m, l2):
    """Half (2) for ``keys[lo:hi]``: whole groups, so each list is changed by one thread."""
    for p in range(lo, hi):
        i = np.int32(keys[p] % n)
        rest = keys[p] // n
        e, lc = np.int32(rest % n), np.int32(rest // n)
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
def _reconnect(x, n, levels, entry, g, m, ef_construction, l2, visited, marks, removed):
    """Link back every node that no search from the entry point can reach; all layers.

    Pruning can remove the last link into a node, or into a small group of nodes that
    only link to each other; no search can return them afterwards (hnswlib and faiss
    leave them so). Each such node gets a link from the closest reachable node that has
    a free slot: first among the candidates of a beam search for it, else by a scan of
    the layer (rarely needed). Removed nodes (``removed[i]``) are neither linked back nor
    used as hosts. Returns the number of links added.
    """
    added = 0
    for level in range(levels[entry], -1, -1):
        m_max = 2 * m if level == 0 else m
        seen = np.zeros(n, dtype=np.bool_)
        _mark_reachable(g, level, entry, seen)
        for i in range(n):
            if levels[i] < level or seen[i] or removed[i]:
                continue
            u = np.int32(i)
            # A beam search on this layer from the entry point meets only reachable nodes.
            dists, ids, _ = _search_layer(x, x[u], entry, _distance(x[u], x[entry], l2),
                                          ef_construction, level, g, l2, visited,
                                          _fresh_mark(visited, marks))
            host = np.int32(-1)
            for c in ids:
                if not removed[c] and _neighbours(g, c, level).shape[0] < m_max:
                    host = c
                    break
            if host < 0:                     # all full: the closest reachable node with room
                d_host = np.float32(np.inf)
                for c in range(n):
                    if (seen[c] and not removed[c] and levels[c] >= level
                            and _neighbours(g, c, level).shape[0] < m_max):
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


# -- deleting: repair the lists that pointed at removed vectors ---------------------------
# A removed vector cannot simply vanish: its neighbours' lists point at it, and the walks
# that used to pass through it lose a route. Marking it deleted (a "tombstone", hnswlib's
# mark_deleted) keeps the routes but wastes a slot in each list, and recall falls as
# tombstones pile up. The repair, as FreshDiskANN's delete consolidation and hnswlib's
# replace_deleted do in spirit: every vector u that linked to a removed vector r takes
# r's (surviving) neighbours as candidates, together with its own surviving neighbours,
# and chooses its new list from them with the same heuristic as at insertion.
@njit(fastmath=True, nogil=True)
def _repair_lists(x, g, nodes, level, removed, m_max, l2):
    """Re-choose the ``level`` lists of ``nodes`` (surviving vectors) that name a removed
    vector. Returns how many lists changed.

    Reads only the lists of removed vectors and writes only those of ``nodes``, so blocks
    of nodes can be repaired in parallel. The heuristic may keep fewer links than the list
    had; the list is topped up to its old length with the nearest candidates left, so a
    repair never thins the graph.
    """
    changed = 0
    for u in nodes:
        old = _neighbours(g, u, level)
        hit = False
        for e in old:
            if removed[e]:
                hit = True
                break
        if not hit:
            continue
        n_old = old.shape[0]
        cand = []
        for e in old:
            if not removed[e]:
                cand.append(e)
            else:
                for w in _neighbours(g, e, level):
                    if not removed[w] and w != u:
                        cand.append(w)
        ids = np.unique(np.array(cand, dtype=np.int32)) if len(cand) > 0 else np.empty(0, np.int32)
        dists = np.empty(ids.shape[0], dtype=np.float32)
        for j in range(ids.shape[0]):
            dists[j] = _distance(x[u], x[ids[j]], l2)
        order = np.argsort(dists, kind="mergesort")     # ties: the lower id first (unique sorts)
        ids, dists = ids[order], dists[order]
        kept = _select_neighbours(x, dists, ids, m_max, l2)
        want = max(min(n_old, ids.shape[0]), kept.shape[0])   # kept <= m_max already
        out = np.empty(want, dtype=np.int32)
        out[:kept.shape[0]] = kept
        n_out = kept.shape[0]
        for c in ids:                                   # top up, nearest first
            if n_out == want:
                break
            if not _contains(kept, c):
                out[n_out] = c
                n_out += 1
        _set_neighbours(g, u, level, out[:n_out])
        changed += 1
    return changed


@njit(nogil=True)
def _contains(arr, value):
    for a in arr:
        if a == value:
            return True
    return False


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

    Beyond the paper (notebook 17): ``remove(ids)`` deletes vectors and repairs the lists
    that pointed at them (or leaves tombstones, ``repair=False``), ``update(ids, x)``
    replaces vectors in place, and ``search_filtered(q, k, allowed)`` filters inside the
    walk (ACORN, ``embedkit.search.graph_filter``). Save/load keeps the removals.

    Example:
        >>> index = HNSWIndex(64, M=32, ef_construction=40)
        >>> index.add(database)
        >>> index.ef_search = 64
        >>> D, I = index.search(queries, 10)
    """

    _format_version = 2      # 2: removed vectors are saved too

    def __init__(self, d: int, M: int = 16, ef_construction: int = 200, metric: str = "l2",
                 seed=0, *, progress: bool = False):
        super().__init__(d, metric)
        self.M = check_int(M, "M", minimum=2)
        self.ef_construction = check_int(ef_construction, "ef_construction", minimum=1)
        self._rng = as_generator(seed)
        self.progress = bool(progress)
        self._ef_search = 16
        self.last_search_ndis = 0  # distances computed by the last search call (all queries)
        self.last_filter_method = None  # what search_filtered(method="auto") last ran
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
        self._removed = np.zeros(0, dtype=np.bool_)       # removed[i]: i was removed
        self._n_removed = 0
        self._n_tombstones = 0  # removed vectors still linked from the graph (repair=False)

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
        self._removed = self._grow(self._removed, n0 + n)
        self._removed[n0:n0 + n] = False
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
        self._insert_nodes(np.arange(start, stop, dtype=np.int32), n=stop)

    def _insert_nodes(self, nodes: np.ndarray, n: int) -> None:
        """Link the nodes ``nodes`` (sorted int32 ids below ``n``, unlinked so far) into the
        graph: their searches in parallel blocks, then the back-links grouped by list."""
        x, levels, g, l2 = self._x, self._levels, self._graph(), self.metric == "l2"
        entry, top = np.int32(self._entry), np.int32(self._max_level)

        def search(rows):                  # (1) a block of new nodes finds its neighbours
            visited = np.zeros(n, dtype=np.int32)          # this block's "visited" stamps
            _find_neighbours(x, nodes[rows[0]:rows[1]], levels, entry, top, g,
                             self.M, self.ef_construction, l2, visited, np.zeros(1, np.int32))

        parallel_map(search, block_ranges(nodes.size, _BUILD_BLOCK))
        # (2) back-links, grouped by the list they change, the groups split over threads.
        keys = _back_links(nodes, levels, top, g, n)
        parts = _split_groups(keys // n, get_num_threads())
        parallel_map(lambda part: _apply_back_links(x, g, keys, part[0], part[1], n,
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
        if self._entry < 0:
            return 0
        visited = np.zeros(self._x.shape[0], dtype=np.int32)
        added = int(_reconnect(self._x, self.ntotal, self._levels, np.int32(self._entry),
                               self._graph(), self.M, self.ef_construction,
                               self.metric == "l2", visited, np.zeros(1, dtype=np.int32),
                               self._removed))
        self.relinked += added
        return added

    # -- deleting and updating ------------------------------------------------------------
    @property
    def n_removed(self) -> int:
        """How many vectors have been removed (their ids are never returned)."""
        return self._n_removed

    @property
    def removed(self) -> np.ndarray:
        """``(ntotal,) bool``: which ids have been removed."""
        return self._removed[: self.ntotal].copy()

    def _check_ids(self, ids, name: str = "ids") -> np.ndarray:
        """``ids`` as sorted unique int32, each a stored, not yet removed vector."""
        arr = np.asarray(ids)
        if arr.ndim == 0:
            arr = arr.reshape(1)
        if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
            raise TypeError(f"{name} must be a 1-D array of integer ids, got {arr.dtype} "
                            f"with shape {arr.shape}")
        arr = arr.astype(np.int64)
        unknown = arr[(arr < 0) | (arr >= self.ntotal)]
        if unknown.size:
            raise KeyError(f"{name} names ids that are not in the index (ids are 0 .. "
                           f"{self.ntotal - 1}): {unknown[:5].tolist()}")
        if np.unique(arr).size != arr.size:
            raise ValueError(f"{name} names some ids twice")
        gone = arr[self._removed[arr]]
        if gone.size:
            raise KeyError(f"{name} names ids that were already removed: {gone[:5].tolist()}")
        return np.sort(arr).astype(np.int32)

    def remove(self, ids, *, repair: bool = True) -> int:
        """Delete the vectors ``ids``: they are never returned by a search again.

        Args:
            ids: ids of stored vectors not removed yet (unknown ids raise ``KeyError``).
            repair: re-choose the neighbour lists that pointed at the removed vectors (see
                ``_repair_lists``), then unlink the removed vectors and link back any
                vector the removal stranded. ``False`` only marks them (a tombstone, as
                hnswlib's ``mark_deleted``): searches walk through them but skip them in
                results; cheaper, but recall decays as tombstones accumulate.
        Returns:
            the number of neighbour lists repaired (0 without repair).

        Ids are not reused: a removed id stays in ``ntotal`` (faiss and hnswlib keep
        labels the same way); ``update`` replaces a vector in place.
        """
        ids = self._check_ids(ids)
        if ids.size == 0:
            return 0
        self._removed[ids] = True
        self._n_removed += int(ids.size)
        if not repair:
            self._n_tombstones += int(ids.size)
            self._choose_entry()
            return 0
        return self._repair()

    def _repair(self) -> int:
        """Repair every list that names a removed vector, then unlink all removed vectors."""
        n, x, g, l2 = self.ntotal, self._x, self._graph(), self.metric == "l2"
        removed, levels = self._removed[:n], self._levels[:n]
        changed = 0
        for level in range(self._max_level, -1, -1):
            nodes = np.flatnonzero(~removed & (levels >= level)).astype(np.int32)
            m_max = 2 * self.M if level == 0 else self.M
            changed += sum(parallel_map(
                lambda r: _repair_lists(x, g, nodes[r[0]:r[1]], level, removed, m_max, l2),
                block_ranges(nodes.size, 256)))
        gone = np.flatnonzero(removed)                    # unlink the removed vectors
        self._count0[gone] = 0
        for node in gone[levels[gone] > 0]:
            start = self._up_offset[node]
            self._count_up[start:start + levels[node]] = 0
        self._n_tombstones = 0
        self._choose_entry()
        self.reconnect()
        return changed

    def _choose_entry(self) -> None:
        """If the entry point was removed: the surviving vector on the highest layer
        (lowest id among ties) becomes the entry point; -1 if none survives."""
        n = self.ntotal
        if self._entry < 0 or not self._removed[self._entry]:
            return
        alive = np.flatnonzero(~self._removed[:n])
        if alive.size == 0:
            self._entry, self._max_level = -1, -1
            return
        top = alive[np.argmax(self._levels[alive])]       # argmax: the first, lowest id
        self._entry, self._max_level = int(top), int(self._levels[top])

    def update(self, ids, x) -> None:
        """Replace the vectors ``ids`` by the rows of ``x: (len(ids), d)``, keeping their ids.

        The old vectors are removed with repair, then the new ones are inserted under the
        same ids (each keeps its layer), exactly as a new vector is inserted.
        """
        ids_in = np.asarray(ids).reshape(-1)
        checked = self._check_ids(ids_in)
        x = self._check_vectors(x, "x")
        if x.shape[0] != ids_in.size:
            raise ValueError(f"x must have one row per id: got {x.shape[0]} rows for "
                             f"{ids_in.size} ids")
        if checked.size == 0:
            return
        order = np.argsort(ids_in.astype(np.int64), kind="stable")
        self.remove(checked)
        self._x[checked] = x[order]
        self._removed[checked] = False
        self._n_removed -= int(checked.size)
        if self._entry < 0:                               # everything was removed: restart
            self._entry, self._max_level = int(checked[0]), int(self._levels[checked[0]])
            checked = checked[1:]
        if checked.size:
            self._insert_nodes(checked, n=self.ntotal)
            top = checked[np.argmax(self._levels[checked])]
            if self._levels[top] > self._max_level:
                self._entry, self._max_level = int(top), int(self._levels[top])
        self.reconnect()

    # -- filtered search (embedkit.search.graph_filter explains the methods) ---------------
    def search_filtered(self, q, k: int, allowed, *, method: str = "auto"):
        """The ``k`` nearest vectors per query among those ``allowed``: ``(D, I)``.

        Args:
            q: ``(nq, d)`` queries.
            k: results per query.
            allowed: ``(ntotal,) bool`` mask (True = may be returned) or an array of ids.
            method: ``"acorn"`` (walk only allowed vectors, with two-hop expansion),
                ``"walk"`` (walk everything, return only allowed vectors: hnswlib's
                filter), ``"exact"`` (scan the allowed vectors) or ``"auto"``: exact when
                at most ``2 * M * ef_search`` vectors pass (a scan then computes no more
                distances than a walk), else acorn when fewer than half pass, else walk
                (measured in notebook 17: walking through failures is the cheaper of
                the two when most vectors pass). ``last_filter_method`` says which ran.
                See ``embedkit.search.graph_filter``.
        Returns:
            ``D, I`` as ``search``; ``I == -1`` where fewer than ``k`` vectors pass.
            Removed vectors never pass. ``last_search_ndis`` counts the distances computed.
        """
        from .graph_filter import filtered_search

        self._check_trained("search")
        q = self._check_vectors(q, "q")
        k = check_int(k, "k", minimum=1)
        if self.ntotal == 0:
            raise ValueError("the HNSWIndex is empty: call index.add(x) before search")
        method = check_choice(method, "method", ("auto", "acorn", "walk", "exact"))
        ok = self._allowed_mask(allowed) & ~self._removed[: self.ntotal]
        if method == "auto":
            n_pass = int(ok.sum())
            if n_pass <= 2 * self.M * max(self.ef_search, k):
                method = "exact"
            else:
                method = "acorn" if 2 * n_pass < self.ntotal - self._n_removed else "walk"
        self.last_filter_method = method
        D, I, ndis = filtered_search(self, q, k, ok, method)
        self.last_search_ndis = ndis
        if self.higher_is_better:
            D = np.where(I >= 0, -D, -np.inf).astype(np.float32)
        return D, I.astype(np.int64)

    def _allowed_mask(self, allowed) -> np.ndarray:
        """``allowed`` (a bool mask or ids) as a ``(ntotal,) bool`` mask."""
        arr = np.asarray(allowed)
        if arr.dtype == np.bool_:
            if arr.shape != (self.ntotal,):
                raise ValueError(f"allowed as a mask must have shape ({self.ntotal},), "
                                 f"got {arr.shape}")
            return arr
        if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
            raise TypeError(f"allowed must be a boolean mask of shape ({self.ntotal},) or a "
                            f"1-D array of integer ids, got dtype {arr.dtype} and shape {arr.shape}")
        if arr.size and (arr.min() < 0 or arr.max() >= self.ntotal):
            raise KeyError(f"allowed names ids outside 0 .. {self.ntotal - 1}")
        mask = np.zeros(self.ntotal, dtype=bool)
        mask[arr] = True
        return mask

    # -- search -------------------------------------------------------------------------------
    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self._entry < 0:                 # every vector was removed
            return self._empty_result(q.shape[0], k)
        if self._n_tombstones:              # removed but still linked: walk through them
            from .graph_filter import filtered_search

            D, I, self.last_search_ndis = filtered_search(
                self, q, k, ~self._removed[: self.ntotal], "walk")
            if self.higher_is_better:
                D = np.where(I >= 0, -D, -np.inf).astype(np.float32)
            return D, I.astype(np.int64)
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
                  "relinked": self.relinked, "unchecked": self._unchecked,
                  "tombstones": self._n_tombstones}
        arrays = {"vectors": self._x[:n], "levels": self._levels[:n],
                  "links0": self._links0[:n], "count0": self._count0[:n],
                  "up_offset": self._up_offset[:n], "links_up": self._links_up[:n_up],
                  "count_up": self._count_up[:n_up], "removed": self._removed[:n]}
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
        if int(a["levels"].sum()) != n_up or (n and (a["count0"].max() > 2 * M
                                                     or a["links0"].max() >= n)):
            raise ValueError("links do not fit the stored vectors and levels")
        removed = np.ascontiguousarray(arrays["removed"])
        if removed.shape != (n,) or removed.dtype != np.bool_:
            raise ValueError(f"array 'removed' must be ({n},) bool, got {removed.shape} {removed.dtype}")
        n_tomb = int(params["tombstones"])
        if not 0 <= n_tomb <= int(removed.sum()):
            raise ValueError(f"tombstones={n_tomb} does not fit the {int(removed.sum())} removed vectors")
        entry, top = int(params["entry"]), int(params["max_level"])
        alive = not removed.all()
        if n and alive and not (0 <= entry < n and not removed[entry]
                                and top == a["levels"][~removed].max()):
            raise ValueError("entry point or top layer out of range (or a removed vector)")
        if (not n or not alive) and (entry, top) != (-1, -1):
            raise ValueError("an index without surviving vectors must have no entry point")
        if n and alive:
            _check_saved_graph(a, n, M, entry, top)
        index._x, index._levels, index._links0 = a["vectors"], a["levels"], a["links0"]
        index._count0, index._up_offset = a["count0"], a["up_offset"]
        index._links_up, index._count_up = a["links_up"], a["count_up"]
        index._n_up, index._ntotal = n_up, n
        index._entry, index._max_level = int(params["entry"]), int(params["max_level"])
        index.relinked, index._unchecked = int(params["relinked"]), int(params["unchecked"])
        index._removed, index._n_removed, index._n_tombstones = removed, int(removed.sum()), n_tomb
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
