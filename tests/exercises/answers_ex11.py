"""Right and wrong answers for ``embedkit.exercises.ex11`` (exact search)."""
import numpy as np


def sq_l2(Q, X, *, clip=True, factor=2.0, root=False):
    Q, X = np.asarray(Q, dtype=float), np.asarray(X, dtype=float)
    sq = (Q ** 2).sum(1)[:, None] - factor * Q @ X.T + (X ** 2).sum(1)[None, :]
    if clip:
        sq = np.maximum(sq, 0.0)
    return np.sqrt(sq) if root else sq


def knn(Q, X, k, *, order="sorted", kth=None):
    D = sq_l2(Q, X)
    if order == "descending":
        return np.argsort(-D, axis=1, kind="stable")[:, :k]
    part = np.argpartition(D, (k - 1) if kth is None else kth, axis=1)[:, :k]
    if order == "partition-only":      # unspecified order, modelled as id order (see answers_ex12)
        return np.sort(part, axis=1)
    return np.take_along_axis(part, np.argsort(np.take_along_axis(D, part, axis=1), axis=1), axis=1)


def recall_at_k(I, gt, k):
    return float(np.mean([len(set(a[:k]) & set(b[:k])) / k for a, b in zip(I, gt)]))


def streaming_knn(Q, chunks, k, *, offsets=True, keep="merge", sort=True, tie="lower"):
    nq = len(Q)
    D_best, I_best = np.zeros((nq, 0)), np.zeros((nq, 0), dtype=np.int64)
    offset = 0
    for chunk in chunks:
        D_c = sq_l2(Q, chunk)
        I_c = np.broadcast_to((offset if offsets else 0) + np.arange(len(chunk)), D_c.shape)
        if keep == "last":
            D_best, I_best = np.zeros((nq, 0)), np.zeros((nq, 0), dtype=np.int64)
        if tie == "lower":
            D_all, I_all = np.hstack([D_best, D_c]), np.hstack([I_best, I_c])
        else:                                       # the new chunk first: ties favour later ids
            D_all, I_all = np.hstack([D_c, D_best]), np.hstack([I_c, I_best])
        if sort:
            order = np.argsort(D_all, axis=1, kind="stable")[:, :k] if tie != "lower" else \
                np.array([np.lexsort((i, d))[:k] for d, i in zip(D_all, I_all)])
        else:                              # the k best, left in id order (never sorted)
            best = np.array([np.lexsort((i, d))[:k] for d, i in zip(D_all, I_all)])
            order = np.take_along_axis(best, np.argsort(np.take_along_axis(I_all, best, axis=1), axis=1), axis=1)
        D_best, I_best = np.take_along_axis(D_all, order, axis=1), np.take_along_axis(I_all, order, axis=1)
        offset += len(chunk)
    return D_best, I_best


def mips_to_l2(X, Q, *, norm="max", root=True, query_extra=False):
    n2 = (X ** 2).sum(axis=1)
    top = n2.max() if norm == "max" else n2.mean()
    extra = np.sqrt(top - n2) if root else top - n2
    q_extra = np.sqrt(np.maximum(top - (Q ** 2).sum(1), 0.0)) if query_extra else np.zeros(len(Q))
    return np.hstack([X, extra[:, None]]), np.hstack([Q, q_extra[:, None]])


ANSWERS = {
    "ex11.q1": {"solution": sq_l2, "mutants": [
        ("not clipped at zero: rounding leaves negative squared distances", lambda Q, X: sq_l2(Q, X, clip=False)),
        ("the factor 2 of the cross term forgotten", lambda Q, X: sq_l2(Q, X, factor=1.0)),
        ("square root taken: L2, not squared L2", lambda Q, X: sq_l2(Q, X, root=True)),
        ("norms broadcast along the wrong axes",
         lambda Q, X: (Q ** 2).sum(1)[None, :] - 2 * Q @ X.T + (X ** 2).sum(1)[:, None]),
        ("float32 arithmetic (cancellation error of hundreds far from the origin)", lambda Q, X: np.maximum(
            (np.float32(Q) ** 2).sum(1)[:, None] - 2 * np.float32(Q) @ np.float32(X).T
            + (np.float32(X) ** 2).sum(1)[None, :], 0)),
    ]},
    "ex11.q2": {"solution": knn, "mutants": [
        ("the k nearest in no particular order (argpartition without the final sort)",
         lambda Q, X, k: knn(Q, X, k, order="partition-only")),
        ("sorted farthest first", lambda Q, X, k: knn(Q, X, k, order="descending")),
        ("k - 1 neighbours (off by one)", lambda Q, X, k: knn(Q, X, k)[:, :k - 1]),
        ("argpartition along the query axis", lambda Q, X, k: np.argpartition(sq_l2(Q, X), k - 1, axis=0)[:k].T),
    ]},
    "ex11.q3": {"solution": {"index_gigabytes": 30.72, "multiply_adds_per_query": 7_680_000_000}, "mutants": [
        ("float64: 8 bytes per component", {"index_gigabytes": 61.44, "multiply_adds_per_query": 7_680_000_000}),
        ("GiB (2^30 bytes) instead of GB", {"index_gigabytes": 30.72e9 / 2 ** 30, "multiply_adds_per_query": 7_680_000_000}),
        ("O(n): one operation per vector", {"index_gigabytes": 30.72, "multiply_adds_per_query": 10_000_000}),
    ]},
    "ex11.q4": {"solution": recall_at_k, "mutants": [
        ("a repeated id counted each time",
         lambda I, gt, k: float(np.mean([sum(i in set(b[:k]) for i in a[:k]) / k for a, b in zip(I, gt)]))),
        ("position by position: order matters", lambda I, gt, k: float(np.mean(I[:, :k] == gt[:, :k]))),
        ("all returned columns instead of the top k",
         lambda I, gt, k: float(np.mean([len(set(a) & set(b[:k])) / k for a, b in zip(I, gt)]))),
    ]},
    "ex11.q5": {"solution": streaming_knn, "mutants": [
        ("local row numbers not turned into global ids", lambda *a: streaming_knn(*a, offsets=False)),
        ("only the last chunk's candidates kept", lambda *a: streaming_knn(*a, keep="last")),
        ("the k best kept but never sorted (argpartition-style merge)", lambda *a: streaming_knn(*a, sort=False)),
        ("ties favour the later chunk's ids", lambda *a: streaming_knn(*a, tie="later")),
    ]},
    "ex11.q6": {"solution": mips_to_l2, "mutants": [
        ("mean squared norm instead of the maximum (sqrt of negatives)", lambda X, Q: mips_to_l2(X, Q, norm="mean")),
        ("M^2 - |x|^2 without the square root", lambda X, Q: mips_to_l2(X, Q, root=False)),
        ("the queries topped up too", lambda X, Q: mips_to_l2(X, Q, query_extra=True)),
        ("vectors normalised instead (cosine, not inner product)",
         lambda X, Q: (np.hstack([X / np.linalg.norm(X, axis=1, keepdims=True), np.zeros((len(X), 1))]),
                       np.hstack([Q, np.zeros((len(Q), 1))]))),
    ]},
}
