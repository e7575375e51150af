"""Right and wrong answers for ``embedkit.exercises.ex12`` (k-means and IVF)."""
import numpy as np
from deferred import Deferred

from embedkit.exercises import ex12


def _d2(X, C):
    return ((X[:, None, :] - C[None, :, :]) ** 2).sum(-1)


def lloyd_step(X, C, *, empty="keep", stat="mean", pick="argmin", in_place=False):
    a = _d2(X, C).argmin(1) if pick == "argmin" else _d2(X, C).argmax(1)
    new = C if in_place else np.array(C, dtype=float)
    for j in range(len(C)):
        members = X[a == j]
        if len(members) or empty == "nan":
            new[j] = members.mean(0) if stat == "mean" else np.median(members, axis=0)
        elif empty == "zero":
            new[j] = 0.0
    return new


def kmeanspp(X, C, *, square=True, nearest=True, normalise=True):
    d2 = _d2(X, C)
    d = d2.min(1) if nearest else d2[:, 0]
    d = d if square else np.sqrt(d)
    return d / d.sum() if normalise else d


def nearest_lists(Q, C, nprobe, *, sort=True):
    d2 = _d2(Q, C)
    top = np.argsort(d2, axis=1, kind="stable")[:, :nprobe]
    # argpartition's order is unspecified (numpy happens to sort small cases on some CPUs):
    # the mistake "right lists, any order" is modelled by id order, on every machine
    return top if sort else np.sort(top, axis=1)


def balanced_assign(X, C, capacity, *, rule="pairs", discard=False, slack=0):
    D = _d2(X, C)
    n, k = D.shape
    assignment, load = np.full(n, -1), np.zeros(k, dtype=int)
    if rule == "points":                       # each point in index order takes its nearest free list
        for i in range(n):
            for j in np.argsort(D[i], kind="stable"):
                if load[j] < capacity:
                    assignment[i], load[j] = j, load[j] + 1
                    break
        return assignment
    if discard:                                # the seed notes: nearest list or nothing
        for i in np.argsort(D.min(1), kind="stable"):
            j = D[i].argmin()
            if load[j] < capacity:
                assignment[i], load[j] = j, load[j] + 1
        return assignment
    rows, cols = np.unravel_index(np.arange(n * k), (n, k))
    for p in np.lexsort((cols, rows, D.ravel())):
        i, j = rows[p], cols[p]
        if assignment[i] < 0 and load[j] < capacity + slack:
            assignment[i], load[j] = j, load[j] + 1
    return assignment


ANSWERS = {
    "ex12.q1": {"solution": lloyd_step, "mutants": [
        ("an empty cluster's centroid becomes nan", lambda X, C: lloyd_step(X, C, empty="nan")),
        ("an empty cluster's centroid moved to the origin", lambda X, C: lloyd_step(X, C, empty="zero")),
        ("median instead of mean", lambda X, C: lloyd_step(X, C, stat="median")),
        ("assigned to the farthest centroid", lambda X, C: lloyd_step(X, C, pick="argmax")),
        ("updates the caller's centroids in place", lambda X, C: lloyd_step(X, C, in_place=True)),
    ]},
    "ex12.q2": {"solution": kmeanspp, "mutants": [
        ("D(x), not squared", lambda X, C: kmeanspp(X, C, square=False)),
        ("distance to the first centroid, not the nearest", lambda X, C: kmeanspp(X, C, nearest=False)),
        ("not normalised to sum to 1", lambda X, C: kmeanspp(X, C, normalise=False)),
    ]},
    "ex12.q3": {"solution": nearest_lists, "mutants": [
        ("the right lists in no particular order (argpartition without the final sort)",
         lambda Q, C, p: nearest_lists(Q, C, p, sort=False)),
        ("farthest lists first", lambda Q, C, p: np.argsort(-_d2(Q, C), axis=1, kind="stable")[:, :p]),
        ("nprobe - 1 lists", lambda Q, C, p: nearest_lists(Q, C, p)[:, :max(p - 1, 0)]),
    ]},
    "ex12.q4": {"solution": {"distances_per_query": 4096 + 16 * 1_000_000 / 4096,
                             "speedup_vs_flat": 1_000_000 / (4096 + 16 * 1_000_000 / 4096),
                             "discarded_by_the_seed_rule": 2}, "mutants": [
        ("centroid comparisons forgotten", {"distances_per_query": 16 * 1_000_000 / 4096,
                                            "speedup_vs_flat": 4096 / 16, "discarded_by_the_seed_rule": 2}),
        ("one list scanned, not nprobe", {"distances_per_query": 4096 + 1_000_000 / 4096,
                                          "speedup_vs_flat": 1_000_000 / (4096 + 1_000_000 / 4096),
                                          "discarded_by_the_seed_rule": 2}),
        ("nothing discarded", {"distances_per_query": 4096 + 16 * 1_000_000 / 4096,
                               "speedup_vs_flat": 1_000_000 / (4096 + 16 * 1_000_000 / 4096),
                               "discarded_by_the_seed_rule": 0}),
    ]},
    "ex12.q5": {"solution": balanced_assign, "mutants": [
        ("points served in index order, not closest pairs first",
         lambda X, C, c: balanced_assign(X, C, c, rule="points")),
        ("the seed notes' rule: a point whose nearest list is full is discarded (-1)",
         lambda X, C, c: balanced_assign(X, C, c, discard=True)),
        ("capacity off by one (lists may take capacity + 1)", lambda X, C, c: balanced_assign(X, C, c, slack=1)),
        ("capacity ignored: plain nearest-centroid assignment", lambda X, C, c: _d2(X, C).argmin(1)),
    ]},
}


# Q6 is an experiment: its answers come from the sweep (a few seconds), run when a test needs it.
def _best():
    return ex12._sweep_result(0)


def _cost():
    return ex12._sweep_result(1)


ANSWERS["ex12.q6.a"] = {"solution": Deferred(lambda: dict(_best())), "mutants": [
    ("the last nprobe below the target (one step too early)",
     Deferred(lambda: {nl: max(1, p // 2) for nl, p in _best().items()})),
    ("the nprobe that reaches recall 1.0", Deferred(lambda: {nl: 2 * p for nl, p in _best().items()})),
    ("nprobe = nlist / 16 everywhere (a rule of thumb, not measured)",
     Deferred(lambda: {nl: max(1, nl // 16) for nl in _best()})),
]}
ANSWERS["ex12.q6.b"] = {"solution": Deferred(lambda: dict(_cost())), "mutants": [
    ("vectors scanned only, the nlist centroid distances forgotten",
     Deferred(lambda: {nl: c - nl for nl, c in _cost().items()})),
    ("balanced lists assumed: nlist + nprobe * n / nlist",
     Deferred(lambda: {nl: nl + _best()[nl] * 10_000 / nl for nl in _best()})),
    ("cost at nprobe = 1", Deferred(lambda: {nl: c / _best()[nl] for nl, c in _cost().items()})),
]}
