"""Filtered search inside a proximity graph: walk-through filtering and ACORN.

A filtered query asks for the ``k`` nearest vectors *that pass a predicate* (``topic ==
"History"``, ``price < 10``). Notebook 20 measured the two classic answers around an index:

* **post-filtering**: ask the index for ``k * overfetch`` neighbours, drop the failures. At
  1% selectivity a query needs ~100 ``k`` neighbours to keep ``k``: recall collapses or the
  overfetch grows to the whole database;
* **pre-filtering**: select the passing ids, then search them exactly. Exact, and cheap when
  few pass, but linear in the number that pass.

Filtering *inside* the graph walk sits between them. Two ways, both here as loops compiled
with numba (called by ``HNSWIndex.search_filtered``):

1. **Walk through failures** (``_search_layer_masked``, hnswlib's ``filter`` and how it
   skips deleted vectors): the walk expands every vector, passing or not, but only passing
   vectors enter the result list; it stops when the closest unexpanded vector is farther
   than the worst of ``ef`` results. Never wrong, but at 1% selectivity it must walk past
   ~100 failing vectors for each passing one: close to a scan of the whole graph.
2. **Walk only passing vectors** (``_search_layer_acorn``, ACORN: Patel et al., SIGMOD
   2024). Expanding only passing vectors computes few distances, but the subgraph of
   passing vectors is sparse: at 1% selectivity a vector with 32 links has 0.32 passing
   neighbours on average, and the walk stalls in a small fragment. ACORN's answer is
   denser neighbour lists. ACORN-gamma stores them (``gamma * M`` links per vector, built
   for the lowest selectivity expected); ACORN-1, used here, builds an ordinary graph and
   makes the lists denser *at search time*: a failing neighbour is not a dead end, its
   own passing neighbours are candidates too (the two-hop expansion), so a vector with
   ``2M`` links offers up to ``(2M)^2`` two-hop candidates. Checking a two-hop candidate
   costs a lookup in the filter mask; only passing vectors cost a distance. As in ACORN,
   the filtered list is truncated to the graph's degree ``2M``: when most neighbours pass,
   no two-hop look-up happens and the walk is an ordinary beam search.

The ACORN walk starts from the passing vectors near the query: those among the results
of an ordinary (unfiltered) beam search from the top of the hierarchy, and among their
one- and two-hop neighbours. Starting from one entry point instead loses recall at 1%
selectivity: the passing vectors two hops apart form fragments, and a walk cannot leave
its fragment (notebook 17 measures both). When no passing vector lies within two hops of
the beam (a filter that keeps almost nothing), the passing vectors are scanned exactly,
as production engines do below a cut-off (Weaviate's ``flatSearchCutoff``, Qdrant's
``full_scan_threshold``).

``HNSWIndex.search_filtered(method="auto")`` chooses per call from the number that pass:
an exact scan when it computes no more distances than a walk would (at most
``2 M ef`` pass), ACORN below half, and the walk through failures above (where the ACORN
walk's seeding beam is wasted work).
"""
from __future__ import annotations

import heapq

import numpy as np

from .._jit import njit
from .._threads import block_ranges, parallel_map
from .hnsw import _QUERY_BLOCK, _distance, _fresh_mark, _greedy_closest, _neighbours, _search_layer

__all__ = ["filtered_search"]

#: method codes for the compiled driver
_ACORN, _WALK, _EXACT = 0, 1, 2


@njit(fastmath=True, nogil=True)
def _pool_insert(dists, ids, done, size, ef, d_e, e):
    """Insert ``(d_e, e)`` into the sorted pool (the worst falls off a full pool).

    Ties in distance go after the entries already there (the lower position wins), so the
    pool's order depends only on the order of insertion. Returns ``(new size, position)``,
    position ``-1`` when ``d_e`` does not beat the worst of a full pool.
    """
    if size == ef and d_e >= dists[size - 1]:
        return size, -1
    pos = size if size < ef else size - 1
    while pos > 0 and dists[pos - 1] > d_e:
        if pos < ef:
            dists[pos], ids[pos], done[pos] = dists[pos - 1], ids[pos - 1], done[pos - 1]
        pos -= 1
    dists[pos], ids[pos], done[pos] = d_e, e, False
    if size < ef:
        size += 1
    return size, pos


@njit(fastmath=True, nogil=True)
def _search_layer_masked(x, q, ep, d_ep, ef, g, l2, visited, mark, ok):
    """Beam search on layer 0 that walks through every vector but returns only ``ok`` ones.

    hnswlib's algorithm with a filter: a frontier heap of every vector reached, and a
    sorted list of the ``ef`` best *passing* vectors. A reached vector joins the frontier
    while the result list is not full or it beats the list's worst; the walk stops when
    the frontier's closest vector is worse than the list's worst (list full) or the
    frontier is empty. Returns ``(distances, ids, n_distances)``, closest first.
    """
    dists = np.empty(ef, dtype=np.float32)
    ids = np.empty(ef, dtype=np.int32)
    done = np.zeros(ef, dtype=np.bool_)          # unused here; the pool helper wants it
    size = 0
    if ok[ep]:
        size, _ = _pool_insert(dists, ids, done, size, ef, d_ep, ep)
    frontier = [(d_ep, ep)]
    visited[ep] = mark
    n_dist = 0
    while len(frontier) > 0:
        d_c, c = heapq.heappop(frontier)
        if size == ef and d_c > dists[size - 1]:
            break
        for e in _neighbours(g, c, 0):
            if visited[e] == mark:
                continue
            visited[e] = mark
            d_e = _distance(q, x[e], l2)
            n_dist += 1
            if size < ef or d_e < dists[size - 1]:
                heapq.heappush(frontier, (d_e, e))
                if ok[e]:
                    size, _ = _pool_insert(dists, ids, done, size, ef, d_e, e)
    return dists[:size], ids[:size], n_dist


@njit(fastmath=True, nogil=True)
def _consider(x, q, e, l2, visited, mark, dists, ids, done, size, ef):
    """Compute ``e``'s distance once and offer it to the pool; returns (size, pos, 1 or 0)."""
    if visited[e] == mark:
        return size, -1, 0
    visited[e] = mark
    size, pos = _pool_insert(dists, ids, done, size, ef, _distance(q, x[e], l2), e)
    return size, pos, 1


@njit(fastmath=True, nogil=True)
def _search_layer_acorn(x, q, seeds, ef, g, l2, visited, mark, ok, two_hop_seen, cap):
    """Beam search on layer 0 that expands only passing vectors (ACORN-1).

    ``seeds``: passing vectors to start from. A vector's candidates are its passing
    layer-0 neighbours, then, through each *failing* neighbour, that neighbour's passing
    neighbours (the two-hop step), at most ``cap`` in all (ACORN truncates the filtered
    list to the graph's degree: when most neighbours pass, no two-hop look-up is needed,
    and the walk costs what an unfiltered one does). ``two_hop_seen`` stamps the failing
    vectors already looked through, so each is opened once per search.
    Returns ``(distances, ids, n_distances)``, closest first; every id passes.
    """
    dists = np.empty(ef, dtype=np.float32)
    ids = np.empty(ef, dtype=np.int32)
    done = np.zeros(ef, dtype=np.bool_)
    size = 0
    n_dist = 0
    for s in seeds:
        size, _, nd = _consider(x, q, s, l2, visited, mark, dists, ids, done, size, ef)
        n_dist += nd
    nxt = 0
    while nxt < size:
        done[nxt] = True
        c = ids[nxt]
        best_new = size
        taken = 0                                   # passing candidates offered so far
        for e in _neighbours(g, c, 0):
            if ok[e]:
                taken += 1
                size, pos, nd = _consider(x, q, e, l2, visited, mark, dists, ids, done, size, ef)
                n_dist += nd
                if pos >= 0:
                    best_new = min(best_new, pos)
        for e in _neighbours(g, c, 0):
            if taken >= cap:
                break
            if ok[e] or two_hop_seen[e] == mark:
                continue
            two_hop_seen[e] = mark                  # look through a failing neighbour once
            for w in _neighbours(g, e, 0):
                if taken >= cap:
                    break
                if ok[w]:
                    taken += 1
                    size, pos, nd = _consider(x, q, w, l2, visited, mark, dists, ids, done,
                                              size, ef)
                    n_dist += nd
                    if pos >= 0:
                        best_new = min(best_new, pos)
        nxt = min(nxt + 1, best_new)
        while nxt < size and done[nxt]:
            nxt += 1
    return dists[:size], ids[:size], n_dist


@njit(fastmath=True, nogil=True)
def _exact_scan(x, q, ok_ids, size_wanted, l2):
    """The ``size_wanted`` nearest of ``ok_ids`` (a scan; ties by the lower id)."""
    dists = np.empty(size_wanted, dtype=np.float32)
    ids = np.empty(size_wanted, dtype=np.int32)
    done = np.zeros(size_wanted, dtype=np.bool_)
    size = 0
    for e in ok_ids:                              # ok_ids ascend: equal distances keep id order
        size, _ = _pool_insert(dists, ids, done, size, size_wanted, _distance(q, x[e], l2), e)
    return dists[:size], ids[:size], ok_ids.shape[0]


@njit(fastmath=True, nogil=True)
def _filtered_many(x, queries, k, ef, entry, max_level, g, l2, ok, ok_ids, method,
                   visited, two_hop_seen, marks, D, I):
    """Filtered k-NN for each row of ``queries`` (method: ``_ACORN``, ``_WALK``, ``_EXACT``).

    Writes into ``D, I``; returns the number of distances computed.
    """
    n_dist = 0
    width = max(ef, k)
    for i in range(queries.shape[0]):
        q = queries[i]
        if method == _EXACT:
            dists, ids, n = _exact_scan(x, q, ok_ids, k, l2)
        else:
            ep = entry
            d_ep = _distance(q, x[ep], l2)
            n = 1
            for lc in range(max_level, 0, -1):        # the upper layers ignore the filter
                ep, d_ep, nd = _greedy_closest(x, q, ep, d_ep, lc, g, l2)
                n += nd
            if method == _WALK:
                dists, ids, nd = _search_layer_masked(x, q, ep, d_ep, width, g, l2, visited,
                                                      _fresh_mark(visited, marks), ok)
                n += nd
            else:
                # Seeds: the passing vectors among an unfiltered beam's results, widened
                # to their neighbours, then to two hops, until there are ``width`` of them;
                # none at all (a very selective filter): scan the passing vectors.
                d0, i0, nd = _search_layer(x, q, ep, d_ep, width, 0, g, l2, visited,
                                           _fresh_mark(visited, marks))
                n += nd
                seeds = []
                seen = _fresh_mark(visited, marks)      # stamps: each vector offered once
                for c in i0:
                    if ok[c]:
                        seeds.append(c)
                        two_hop_seen[c] = seen
                for hops in range(2):
                    if len(seeds) >= width:
                        break
                    for c in i0:
                        for e in _neighbours(g, c, 0):
                            if hops == 0:
                                if ok[e] and two_hop_seen[e] != seen:
                                    two_hop_seen[e] = seen
                                    seeds.append(e)
                            elif not ok[e]:
                                for w in _neighbours(g, e, 0):
                                    if ok[w] and two_hop_seen[w] != seen:
                                        two_hop_seen[w] = seen
                                        seeds.append(w)
                if len(seeds) == 0:
                    dists, ids, nd = _exact_scan(x, q, ok_ids, width, l2)
                else:
                    dists, ids, nd = _search_layer_acorn(
                        x, q, np.array(seeds, dtype=np.int32), width, g, l2, visited,
                        _fresh_mark(visited, marks), ok, two_hop_seen,
                        g[0].shape[1])
                n += nd
        n_dist += n
        n_found = min(k, ids.shape[0])
        D[i, :n_found] = dists[:n_found]
        I[i, :n_found] = ids[:n_found]
    return n_dist


def filtered_search(index, q: np.ndarray, k: int, ok: np.ndarray, method: str):
    """Run ``index``'s (an ``HNSWIndex``) filtered search; ``ok``: ``(ntotal,) bool``.

    Returns ``D`` (internal distances: squared L2 or minus the inner product), ``I``
    (int32, -1 where fewer than ``k`` pass) and the number of distances computed. Query
    blocks run in parallel; each has its own visit stamps, so results do not depend on
    the thread count.
    """
    nq = q.shape[0]
    D = np.full((nq, k), np.inf, dtype=np.float32)
    I = np.full((nq, k), -1, dtype=np.int32)
    ok_ids = np.flatnonzero(ok).astype(np.int32)
    if ok_ids.size == 0 or index._entry < 0:
        return D, I, 0
    code = {"acorn": _ACORN, "walk": _WALK, "exact": _EXACT}[method]
    x, g, l2 = index._x, index._graph(), index.metric == "l2"
    ok = np.ascontiguousarray(ok, dtype=np.bool_)
    if ok.shape[0] < x.shape[0]:                   # x has spare capacity rows: never ok
        ok = np.concatenate([ok, np.zeros(x.shape[0] - ok.shape[0], dtype=np.bool_)])

    def search_block(rows):
        lo, hi = rows
        visited = np.zeros(x.shape[0], dtype=np.int32)
        two_hop_seen = np.zeros(x.shape[0], dtype=np.int32)
        return _filtered_many(x, q[lo:hi], k, index.ef_search, np.int32(index._entry),
                              np.int32(index._max_level), g, l2, ok, ok_ids, code, visited,
                              two_hop_seen, np.zeros(1, dtype=np.int32), D[lo:hi], I[lo:hi])

    ndis = int(sum(parallel_map(search_block, block_ranges(nq, _QUERY_BLOCK))))
    return D, I, ndis
