"""A forest of random projection trees: the idea behind Spotify's Annoy.

**One tree.** Split the data in two by a random hyperplane, split each half again, and so
on until a node holds at most ``leaf_size`` vectors. A split picks two random vectors
``a, b`` of the node and uses the hyperplane halfway between them (the plain RP tree;
Annoy first refines ``a`` and ``b`` with a short 2-means over sampled vectors), normal
``w = (a - b) / |a - b|`` and offset ``c = -w . (a + b) / 2``: a vector goes right when
its *margin* ``w . x + c`` is positive. The planes adapt to the data (dense regions get
split more often), and a query descends the tree in ``O(depth) = O(log(n / leaf_size))``
dot products to one leaf, whose vectors are its candidates.

**Why a forest.** A true neighbour that lies just across one of the ~``log2(n)`` planes
on the way down ends up in another leaf and is missed. Trees grown with independent
random planes make independent mistakes, so the union of the query's leaves over
``n_trees`` trees misses a neighbour only if *every* tree cut it off.

**Priority search.** Instead of one leaf per tree, Annoy keeps one priority queue over all
trees: a node's priority is the smallest margin ``|w . q + c|`` met on the path to it (how
close the query came to being sent the other way). Popping the highest priority first
visits the query's own leaves, then the leaves "just across" the planes it nearly
crossed, until ``search_k`` candidates are collected; those are ranked by their exact
distance. ``search_k`` is the recall/speed knob; ``n_trees`` trades memory and build time
for recall.

Storage. Internal nodes of all trees are rows of ``normals (n_nodes, d)``, ``offsets``
and ``children (n_nodes, 2)``; a child ``>= 0`` is an internal node, ``-1 - j`` is leaf
``j``, whose ids are ``leaf_ids[leaf_start[j]:leaf_start[j + 1]]``. The priority search
is a loop over that structure, compiled with numba like the HNSW loops.
"""
from __future__ import annotations

import heapq

import numpy as np
from tqdm.auto import tqdm

from .._jit import njit
from .._threads import block_ranges, parallel_map
from .._rng import rng_from_state, rng_state
from .._validation import as_generator, check_int
from .index_base import Index

__all__ = ["RPForestIndex"]

#: queries per block of a search (blocks are searched in parallel)
_QUERY_BLOCK = 64


@njit(fastmath=True, nogil=True)
def _forest_search(x, queries, k, search_k, roots, normals, offsets, children, leaf_start,
                   leaf_ids, l2, D, I):
    """Annoy's priority search for each query, then exact ranking of the candidates.

    Writes the best ``k`` (smaller-is-better distances) into ``D, I``; returns the total
    number of candidates scored.
    """
    seen = np.full(x.shape[0], -1, dtype=np.int32)  # seen[v] == i: already a candidate of query i
    n_scored = 0
    for i in range(queries.shape[0]):
        q = queries[i]
        heap = [(-np.inf, roots[0])]                 # max-heap on priority (stored negated)
        for t in range(1, roots.shape[0]):
            heapq.heappush(heap, (-np.inf, roots[t]))
        best = [(np.float32(0.0), np.int32(0)) for _ in range(0)]  # empty max-heap: k best
        n_cand = 0
        while len(heap) > 0 and n_cand < search_k:
            neg_priority, node = heapq.heappop(heap)
            if node >= 0:                            # internal: both sides, nearest first
                margin = offsets[node]
                for j in range(q.shape[0]):
                    margin += normals[node, j] * q[j]
                heapq.heappush(heap, (max(neg_priority, -margin), children[node, 1]))
                heapq.heappush(heap, (max(neg_priority, margin), children[node, 0]))
                continue
            leaf = -1 - node
            for v in leaf_ids[leaf_start[leaf]:leaf_start[leaf + 1]]:
                if seen[v] == i:
                    continue
                seen[v] = i
                n_cand += 1
                dist = np.float32(0.0)
                if l2:
                    for j in range(q.shape[0]):
                        diff = q[j] - x[v, j]
                        dist += diff * diff
                else:
                    for j in range(q.shape[0]):
                        dist -= q[j] * x[v, j]
                if len(best) < k:                    # (distances negated: worst on top)
                    heapq.heappush(best, (-dist, v))
                elif dist < -best[0][0]:
                    heapq.heapreplace(best, (-dist, v))
        n_scored += n_cand
        for j in range(len(best) - 1, -1, -1):  # popping a max-heap: worst first
            neg_d, v = heapq.heappop(best)
            D[i, j], I[i, j] = -neg_d, v
    return n_scored


class RPForestIndex(Index):
    """A forest of random projection trees with Annoy's priority search.

    Args:
        d: vector dimension.
        n_trees: number of trees; more trees, higher recall, more memory and build time.
        leaf_size: a node with at most this many vectors becomes a leaf.
        metric: ``"l2"`` (squared distance, ascending) or ``"cosine"`` (descending; split
            planes then pass through the origin, as Annoy's "angular" metric).
        seed: int or ``np.random.Generator`` for the split points.
        progress: show a progress bar while building the trees.

    Attributes:
        search_k: candidates to collect per query before ranking them exactly (default
            ``None``: ``n_trees * leaf_size``, about one leaf per tree). Effectively at
            least ``k``.

    ``add`` rebuilds every tree over all stored vectors (as Annoy, which builds once after
    all items are added): cheap for the sizes of the course, ``O(n_trees n log n)``.

    Example:
        >>> index = RPForestIndex(64, n_trees=20)
        >>> index.add(database)
        >>> index.search_k = 2_000
        >>> D, I = index.search(queries, 10)
    """

    metrics = ("l2", "cosine")
    _format_version = 1

    def __init__(self, d: int, n_trees: int = 10, leaf_size: int = 32, metric: str = "l2",
                 seed=0, *, progress: bool = False):
        super().__init__(d, metric)
        self.n_trees = check_int(n_trees, "n_trees", minimum=1)
        self.leaf_size = check_int(leaf_size, "leaf_size", minimum=1)
        self._rng = as_generator(seed)
        self.progress = bool(progress)
        self._search_k: int | None = None
        self.last_search_ncand = 0  # candidates scored by the last search call (all queries)
        self._x = np.empty((0, self.d), dtype=np.float32)
        self._clear_trees()

    def _clear_trees(self) -> None:
        self._roots = np.empty(0, dtype=np.int32)
        self._normals = np.empty((0, self.d), dtype=np.float32)
        self._offsets = np.empty(0, dtype=np.float32)
        self._children = np.empty((0, 2), dtype=np.int32)
        self._leaf_start = np.zeros(1, dtype=np.int64)
        self._leaf_ids = np.empty(0, dtype=np.int32)

    # -- knobs and introspection ---------------------------------------------------------
    @property
    def search_k(self) -> int:
        """Candidates collected per query (``n_trees * leaf_size`` unless set)."""
        return self.n_trees * self.leaf_size if self._search_k is None else self._search_k

    @search_k.setter
    def search_k(self, value) -> None:
        self._search_k = None if value is None else check_int(value, "search_k", minimum=1)

    @property
    def n_nodes(self) -> int:
        """Internal (splitting) nodes over all trees."""
        return self._normals.shape[0]

    @property
    def n_leaves(self) -> int:
        return self._leaf_start.shape[0] - 1

    @property
    def memory_bytes(self) -> int:
        """Bytes of vectors, split planes, child pointers and leaf lists."""
        return int(self._x.nbytes + self._normals.nbytes + self._offsets.nbytes
                   + self._children.nbytes + self._leaf_start.nbytes + self._leaf_ids.nbytes
                   + self._roots.nbytes)

    def splits(self, tree: int = 0) -> list[tuple[np.ndarray, float, int]]:
        """The split planes of one tree as ``(normal, offset, depth)``, breadth-first."""
        tree = check_int(tree, "tree", minimum=0, maximum=self.n_trees - 1)
        if self.ntotal == 0:
            return []
        out, frontier = [], [(int(self._roots[tree]), 0)]
        while frontier:
            node, depth = frontier.pop(0)
            if node >= 0:
                out.append((self._normals[node].copy(), float(self._offsets[node]), depth))
                frontier += [(int(c), depth + 1) for c in self._children[node]]
        return out

    def leaf_of(self, x, tree: int = 0) -> np.ndarray:
        """``(n,) int64``: the leaf each row of ``x`` descends to in one tree."""
        tree = check_int(tree, "tree", minimum=0, maximum=self.n_trees - 1)
        x = self._check_vectors(x, "x")
        if self.ntotal == 0:
            raise ValueError("the RPForestIndex is empty: add vectors first")
        node = np.full(x.shape[0], self._roots[tree], dtype=np.int64)
        while (node >= 0).any():  # all rows descend one level per step, vectorised
            inner = np.flatnonzero(node >= 0)
            at = node[inner]
            margin = np.einsum("ij,ij->i", x[inner], self._normals[at]) + self._offsets[at]
            node[inner] = self._children[node[inner], (margin > 0).astype(np.int64)]
        return -1 - node

    def __repr__(self) -> str:
        return (f"RPForestIndex(d={self.d}, n_trees={self.n_trees}, leaf_size={self.leaf_size}, "
                f"metric={self.metric!r}, search_k={self.search_k}, ntotal={self.ntotal})")

    # -- building -------------------------------------------------------------------------
    def _split(self, ids: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        """A hyperplane halfway between two random vectors of ``ids``; ``(w, c, goes_right)``."""
        x = self._x
        for _ in range(3):  # duplicates can put everything on one side: retry, then give up
            i, j = self._rng.integers(0, ids.size), self._rng.integers(0, ids.size - 1)
            a, b = x[ids[i]], x[ids[j + (j >= i)]]            # two distinct members
            w = a - b
            norm = float(np.linalg.norm(w))
            if norm == 0.0:
                continue
            w /= norm
            c = 0.0 if self.metric == "cosine" else -float(w @ (a + b)) / 2.0
            right = x[ids] @ w + c > 0
            if 0 < right.sum() < ids.size:
                return w, c, right
        # No useful plane (e.g. identical vectors): split at random; margin 0 for queries.
        right = np.zeros(ids.size, dtype=bool)
        right[self._rng.permutation(ids.size)[: ids.size // 2]] = True
        return np.zeros(self.d, dtype=np.float32), 0.0, right

    def _build(self) -> None:
        self._clear_trees()
        normals, offsets, children, leaves = [], [], [], []

        def grow(ids: np.ndarray) -> int:
            """Build the subtree over ``ids``; return its encoded node (>= 0 or -1 - leaf)."""
            if ids.size <= self.leaf_size:
                leaves.append(ids)
                return -len(leaves)
            w, c, right = self._split(ids)
            node = len(normals)
            normals.append(w)
            offsets.append(c)
            children.append([0, 0])
            # Recursion depth is the tree depth, ~log2(n / leaf_size): a few dozen at most.
            children[node][0] = grow(ids[~right])
            children[node][1] = grow(ids[right])
            return node

        all_ids = np.arange(self._x.shape[0], dtype=np.int32)
        roots = [grow(all_ids) for _ in tqdm(range(self.n_trees), desc="RP trees",
                                             disable=not self.progress)]
        self._roots = np.asarray(roots, dtype=np.int32)
        self._normals = np.asarray(normals, dtype=np.float32).reshape(-1, self.d)
        self._offsets = np.asarray(offsets, dtype=np.float32)
        self._children = np.asarray(children, dtype=np.int32).reshape(-1, 2)
        sizes = [leaf.size for leaf in leaves]
        self._leaf_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._leaf_ids = np.concatenate(leaves).astype(np.int32)

    def _add(self, x: np.ndarray) -> None:
        self._x = np.concatenate([self._x, x]) if self.ntotal else x.copy()
        self._build()

    # -- search ---------------------------------------------------------------------------------
    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        D = np.full((q.shape[0], k), np.inf, dtype=np.float32)
        I = np.full((q.shape[0], k), -1, dtype=np.int32)

        def search_block(block):          # blocks of queries in parallel, each independent
            lo, hi = block
            return _forest_search(
                self._x, q[lo:hi], k, max(self.search_k, k), self._roots, self._normals,
                self._offsets, self._children, self._leaf_start, self._leaf_ids,
                self.metric == "l2", D[lo:hi], I[lo:hi])

        self.last_search_ncand = int(sum(parallel_map(search_block, block_ranges(q.shape[0], _QUERY_BLOCK))))
        if self.higher_is_better:
            D = np.where(I >= 0, -D, -np.inf).astype(np.float32)
        return D, I.astype(np.int64)

    # -- persistence --------------------------------------------------------------------------------
    def _get_state(self):
        params = {"d": self.d, "n_trees": self.n_trees, "leaf_size": self.leaf_size,
                  "metric": self.metric, "search_k": self._search_k,
                  "rng": rng_state(self._rng)}
        arrays = {"vectors": self._x, "roots": self._roots, "normals": self._normals,
                  "offsets": self._offsets, "children": self._children,
                  "leaf_start": self._leaf_start, "leaf_ids": self._leaf_ids}
        return params, arrays

    @classmethod
    def _from_state(cls, params, arrays):
        index = cls(params["d"], params["n_trees"], params["leaf_size"], params["metric"],
                    seed=rng_from_state(params["rng"]))
        index.search_k = params["search_k"]
        a = {key: np.ascontiguousarray(arrays[key]) for key in
             ("vectors", "roots", "normals", "offsets", "children", "leaf_start", "leaf_ids")}
        n, n_nodes = a["vectors"].shape[0], a["normals"].shape[0]
        n_leaves = a["leaf_start"].shape[0] - 1
        expected = {"vectors": ((n, index.d), np.float32),
                    "roots": ((index.n_trees if n else 0,), np.int32),
                    "normals": ((n_nodes, index.d), np.float32),
                    "offsets": ((n_nodes,), np.float32),
                    "children": ((n_nodes, 2), np.int32),
                    "leaf_start": ((n_leaves + 1,), np.int64),
                    "leaf_ids": ((n * index.n_trees,), np.int32)}
        for key, (shape, dtype) in expected.items():
            if a[key].shape != shape or a[key].dtype != dtype:
                raise ValueError(f"array {key!r} has shape {a[key].shape} and dtype "
                                 f"{a[key].dtype}, expected {shape} and {np.dtype(dtype)}")
        links = np.concatenate([a["roots"], a["children"].ravel()])
        if links.size and (links.max() >= n_nodes or links.min() < -n_leaves):
            raise ValueError("tree links point outside the stored nodes and leaves")
        # a child is always created after its parent, so internal links point forward:
        # this also rules out cycles, which would make the priority search loop forever
        inner = a["children"] >= 0
        if (a["children"] <= np.arange(n_nodes)[:, None])[inner].any():
            raise ValueError("tree links must point from a node to a later node (a cycle?)")
        from .._saved_files import check_index_array, check_offsets

        check_offsets(a["leaf_start"], "leaf_start", a["leaf_ids"].shape[0])
        check_index_array(a["leaf_ids"], "leaf_ids", n)
        index._x, index._roots, index._normals = a["vectors"], a["roots"], a["normals"]
        index._offsets, index._children = a["offsets"], a["children"]
        index._leaf_start, index._leaf_ids = a["leaf_start"], a["leaf_ids"]
        index._ntotal = n
        return index
