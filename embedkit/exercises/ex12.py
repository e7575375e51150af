"""Checks for ``exercises/12_kmeans_and_ivf.ipynb``: a Lloyd step, k-means++, IVF probing."""
from __future__ import annotations

import numpy as np

from .core import FunctionQuestion, MultiPartQuestion, ValueQuestion

_rng = np.random.default_rng(12)
_X = _rng.standard_normal((200, 5))
_C = _rng.standard_normal((6, 5))
_LINE = np.array([[0.0], [1.0], [2.0], [5.0], [6.0]])
_C256 = _rng.standard_normal((256, 5))


def _sq_dist(X, C):
    X, C = np.asarray(X, np.float64), np.asarray(C, np.float64)
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)


def _lloyd_step_reference(X, C):
    X, C = np.asarray(X, np.float64), np.asarray(C, np.float64)
    assignment = _sq_dist(X, C).argmin(1)
    new = C.copy()
    for j in range(len(C)):
        members = X[assignment == j]
        if len(members):  # an empty cluster keeps its centroid
            new[j] = members.mean(0)
    return new


def _kmeanspp_reference(X, C):
    d2 = _sq_dist(X, C).min(1)
    return d2 / d2.sum()


def _nearest_lists_reference(Q, centroids, nprobe):
    return np.argsort(_sq_dist(Q, centroids), axis=1, kind="stable")[:, :nprobe]


q1 = FunctionQuestion(
    qid="ex12.q1",
    title="Q1 lloyd_step(X, C): one assignment + update",
    name="lloyd_step",
    reference=_lloyd_step_reference,
    cases=[
        ("lloyd_step(5 points on a line, centroids 0 and 4)", (_LINE, np.array([[0.0], [4.0]]))),
        ("lloyd_step(200 points in 5-d, 6 centroids)", (_X, _C)),
        ("lloyd_step(..., with a centroid far from every point)",
         (_X, np.concatenate([_C[:3], [[100.0] * 5]]))),
        ("lloyd_step(points [0, 2, 10] on a line, centroids [1, 3, 50]) (3 keeps 2; 50 is left empty)",
         (np.array([[0.0], [2.0], [10.0]]), np.array([[1.0], [3.0], [50.0]]))),
    ],
    atol=1e-6,
    keep_inputs=True,
    hint_text=[
        """
        1. assignment = index of the nearest centroid for each point: build the (n, k)
           matrix of squared distances (broadcast X[:, None, :] - C[None, :, :]) and argmin.
        2. New centroid j = mean of the points assigned to j.
        """,
        """
        A centroid with no points has no mean: keep its old position (X[empty].mean() is NaN).
        Build the new centroids in a copy: the caller's C must not change.
        """,
    ],
    solution_text="""
        def lloyd_step(X, C):
            d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)   # (n, k)
            assignment = d2.argmin(1)
            new_C = np.array(C, dtype=float)
            for j in range(len(C)):
                members = X[assignment == j]
                if len(members):
                    new_C[j] = members.mean(0)
            return new_C
    """,
)

q2 = FunctionQuestion(
    qid="ex12.q2",
    title="Q2 kmeanspp_probabilities(X, C): the D(x)^2 sampling distribution",
    name="kmeanspp_probabilities",
    reference=_kmeanspp_reference,
    cases=[
        ("kmeanspp_probabilities(5 points on a line, one centroid at 0)", (_LINE, np.array([[0.0]]))),
        ("kmeanspp_probabilities(200 points, 6 chosen centroids)", (_X, _C)),
        ("kmeanspp_probabilities(200 points, 2 chosen centroids that are data points)", (_X, _X[:2])),
        ("kmeanspp_probabilities(5 points on a line, centroids at 0 and 6)", (_LINE, np.array([[0.0], [6.0]]))),
    ],
    atol=1e-8,
    hint_text=[
        """
        D(x)^2 is the squared distance from x to its NEAREST chosen centroid: the min over
        the columns of the (n, k) squared-distance matrix (squared: not the distance itself).
        """,
        """
        Divide by the sum so the result is a probability vector (it sums to 1, and a point
        that is already a centroid gets 0).
        """,
    ],
    solution_text="""
        def kmeanspp_probabilities(X, C):
            d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1).min(1)
            return d2 / d2.sum()
    """,
)

q3 = FunctionQuestion(
    qid="ex12.q3",
    title="Q3 nearest_lists(Q, centroids, nprobe): which lists does IVF scan?",
    name="nearest_lists",
    reference=_nearest_lists_reference,
    cases=[
        ("nearest_lists(query 4.6 on a line, 5 centroids, nprobe=2)",
         (np.array([[4.6]]), _LINE, 2)),
        ("nearest_lists(20 queries, 6 centroids, nprobe=1)", (_X[:20], _C, 1)),
        ("nearest_lists(20 queries, 6 centroids, nprobe=3)", (_X[:20], _C, 3)),
        ("nearest_lists(50 queries, 256 centroids, nprobe=10)", (_X[:50], _C256, 10)),
    ],
    atol=0.5,
    rtol=0.0,
    hint_text=[
        """
        It is a k-nearest-neighbour search among the centroids: squared distances (nq, nlist),
        then the nprobe smallest per row, nearest first.
        """,
        """
        np.argsort(..., axis=1, kind="stable")[:, :nprobe] is fine (nlist is small). If you
        use np.argpartition, sort the nprobe winners afterwards: the order of the probed
        lists matters (the nearest list is scanned first).
        """,
    ],
    solution_text="""
        def nearest_lists(Q, centroids, nprobe):
            d2 = ((Q[:, None, :] - centroids[None, :, :]) ** 2).sum(-1)
            return np.argsort(d2, axis=1)[:, :nprobe]
    """,
)

q4 = ValueQuestion(
    qid="ex12.q4",
    title="Q4 the IVF cost model",
    name="ivf_cost",
    expected={"distances_per_query": 4096 + 16 * 1_000_000 / 4096,
              "speedup_vs_flat": 1_000_000 / (4096 + 16 * 1_000_000 / 4096),
              "discarded_by_the_seed_rule": 2},
    rtol=1e-4,
    hint_text=[
        """
        An IVF query first compares with all nlist centroids, then scans nprobe lists of
        about n / nlist vectors each (balanced lists). Flat search computes n distances.
        """,
        """
        For the last item: the seed notes' rule keeps a point only while its cluster has
        fewer than n / k points. Count the points beyond the capacity in the example.
        """,
    ],
    solution_text="""
        ivf_cost = {"distances_per_query": 4096 + 16 * 1_000_000 / 4096,    # 8,002 (vs 1,000,000)
                    "speedup_vs_flat": 1_000_000 / (4096 + 16 * 1_000_000 / 4096),   # ~125x
                    "discarded_by_the_seed_rule": 2}   # cluster 0 holds 6 > capacity 4
    """,
)



# -- Q5: capacity-constrained assignment, never discarding (an algorithm) --------------------
def _balanced_ref(X, C, capacity):
    D = _sq_dist(X, C)
    n, k = D.shape
    rows, cols = np.unravel_index(np.arange(n * k), (n, k))
    order = np.lexsort((cols, rows, D.ravel()))                  # by distance, then point, then centroid
    assignment, load = np.full(n, -1), np.zeros(k, dtype=int)
    for p in order:
        i, j = rows[p], cols[p]
        if assignment[i] < 0 and load[j] < capacity:
            assignment[i], load[j] = j, load[j] + 1
    return assignment


_r5 = np.random.default_rng(125)
_X5 = np.concatenate([_r5.normal(0.0, 0.3, (30, 2)), _r5.normal(4.0, 0.3, (6, 2))])   # a crowded cluster
_C5 = np.array([[0.0, 0.0], [4.0, 4.0], [0.0, 4.0], [4.0, 0.0]])
q5 = FunctionQuestion(
    qid="ex12.q5",
    title="Q5 balanced_assign(X, C, capacity): every point assigned, no list above capacity",
    name="balanced_assign",
    reference=_balanced_ref,
    cases=[
        ("balanced_assign(points 0, 1, 2, 10 on a line, centroids 0 and 10, capacity 2)",
         (np.array([[0.0], [1.0], [2.0], [10.0]]), np.array([[0.0], [10.0]]), 2)),
        ("balanced_assign(36 points, 30 of them around one centroid, 4 centroids, capacity 9)", (_X5, _C5, 9)),
        ("balanced_assign(200 points in 5-d, 6 centroids, capacity 34)", (_X, _C, 34)),
        ("balanced_assign(200 points, 6 centroids, capacity 200) (no constraint: plain assignment)", (_X, _C, 200)),
    ],
    atol=0, rtol=0,
    keep_inputs=True,
    dtype="integer",
    hint_text=[
        r"""
        The seed notes' rule (first come, first served, the rest discarded) loses vectors:
        an index must store every one. Instead, hand out the assignments greedily by
        DISTANCE over all (point, centroid) pairs: the closest pair in the whole data set is
        served first; a pair is taken if its point is still unassigned and its centroid
        still has room (fewer than `capacity` points).
        """,
        r"""
        Form the n*k squared distances, visit the pairs in increasing distance (ties: lower
        point index, then lower centroid index: np.lexsort((cols, rows, dists))), and skip a
        pair whose point already has a list or whose centroid is full. Every point ends up
        assigned as long as capacity * k >= n. Processing the POINTS in index order (each
        taking its nearest centroid with room) is a different, order-dependent rule.
        """,
        """
        rows, cols = np.unravel_index(np.arange(n * k), (n, k))
        for p in np.lexsort((cols, rows, D.ravel())):
            if assignment[rows[p]] < 0 and load[cols[p]] < capacity: assign and load += 1
        """,
    ],
    solution_text="""
        def balanced_assign(X, C, capacity):
            D = ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)          # (n, k)
            n, k = D.shape
            rows, cols = np.unravel_index(np.arange(n * k), (n, k))
            assignment, load = np.full(n, -1), np.zeros(k, dtype=int)
            for p in np.lexsort((cols, rows, D.ravel())):               # closest pairs first
                i, j = rows[p], cols[p]
                if assignment[i] < 0 and load[j] < capacity:            # point free, list not full
                    assignment[i], load[j] = j, load[j] + 1
            return assignment                                           # never -1 if capacity * k >= n
    """,
)


# -- Q6: choosing nlist and nprobe together (an experiment) ---------------------------------
NLISTS = (16, 64, 256)
TARGET = 0.9


def experiment_data():
    """The data set of Q6 (also imported by the notebook)."""
    from ..datasets import make_search_data

    return make_search_data(n=10_000, nq=100, d=16, seed=12)


def _sweep():
    from ..search.ivf import IVFIndex
    from ..search.metrics import recall_at_k

    data = experiment_data()
    gt = data.ground_truth(10)
    best, cost = {}, {}
    for nlist in NLISTS:
        index = IVFIndex(data.d, nlist, seed=0)
        index.train(data.train)
        index.add(data.database)
        nprobe = 1
        while True:
            index.nprobe = nprobe
            if recall_at_k(index.search(data.queries, 10)[1], gt, 10) >= TARGET or nprobe >= nlist:
                break
            nprobe *= 2
        best[nlist] = nprobe
        cost[nlist] = nlist + float(index.list_sizes[index.probed_lists(data.queries, nprobe)].sum(1).mean())
    return best, cost


_SWEEP: dict = {}


def _sweep_result(i):
    if not _SWEEP:
        _SWEEP["result"] = _sweep()
    return _SWEEP["result"][i]


q6 = MultiPartQuestion(
    "ex12.q6", "Q6 nlist and nprobe together: the cheapest way to reach recall@10 = 0.9",
    a=ValueQuestion(
        qid="ex12.q6.a", title="Q6a best_nprobe: the smallest power-of-two nprobe with recall@10 >= 0.9",
        name="best_nprobe", expected_fn=lambda: _sweep_result(0), atol=0, rtol=0,
        hint_text=[
            """
            For each nlist: build ek.IVFIndex(d, nlist, seed=0), train it on data.train, add
            data.database; then try nprobe = 1, 2, 4, ... and stop at the first whose
            recall@10 (ek.recall_at_k against data.ground_truth(10)) is at least 0.9.
            """,
            "The answer is a dict {16: nprobe, 64: nprobe, 256: nprobe}.",
        ],
        solution_text="""
            best_nprobe, distances_per_query = {}, {}
            for nlist in (16, 64, 256):
                index = ek.IVFIndex(data.d, nlist, seed=0)
                index.train(data.train); index.add(data.database)
                nprobe = 1
                while True:
                    index.nprobe = nprobe
                    if ek.recall_at_k(index.search(data.queries, 10)[1], gt, 10) >= 0.9:
                        break
                    nprobe *= 2
                best_nprobe[nlist] = nprobe
                probed = index.probed_lists(data.queries, nprobe)
                distances_per_query[nlist] = nlist + index.list_sizes[probed].sum(1).mean()
        """),
    b=ValueQuestion(
        qid="ex12.q6.b", title="Q6b distances_per_query at that nprobe (centroids + vectors scanned)",
        name="distances_per_query", expected_fn=lambda: _sweep_result(1), atol=1e-6, rtol=1e-6,
        hint_text=[
            """
            One query computes a distance to every one of the nlist centroids, then to every
            vector of the nprobe lists it opens. Measure the second part, do not assume
            balanced lists: index.probed_lists(queries, nprobe) gives each query's lists and
            index.list_sizes their lengths.
            """,
            "nlist + index.list_sizes[index.probed_lists(data.queries, nprobe)].sum(axis=1).mean()",
        ],
        solution_text="""
            # see Q6a: distances_per_query[nlist] = nlist + list_sizes[probed].sum(1).mean()
        """),
)

QUESTIONS = [q1, q2, q3, q4, q5, q6]
