"""Checks for ``exercises/11_exact_search.ipynb``: brute-force kNN, its cost, recall@k."""
from __future__ import annotations

import numpy as np

from ..search.flat import FlatIndex
from ..search.metrics import recall_at_k
from .core import FunctionQuestion, ValueQuestion

_rng = np.random.default_rng(11)
_X = _rng.standard_normal((300, 12))
_Q = _rng.standard_normal((7, 12))
_LINE = np.array([[0.0], [3.0], [1.0], [10.0], [-2.0]])
# Near-duplicates far from the origin: |q|^2 - 2 q.x + |x|^2 cancels catastrophically. The
# true distances of the 200 pairs are ~1e-10 and the rounding error ~1e-6, so about half of
# them come out negative on any machine unless the result is clipped at zero.
_r1 = np.random.default_rng(111)
_FAR = 1e4 + 1e3 * _r1.standard_normal((200, 64))
_FAR_Q = _FAR + 1e-6 * _r1.standard_normal((200, 64))


def _sq_l2_reference(Q, X):
    Q, X = np.asarray(Q, np.float64), np.asarray(X, np.float64)
    return ((Q[:, None, :] - X[None, :, :]) ** 2).sum(-1)


def _knn_reference(Q, X, k):
    index = FlatIndex(np.asarray(X).shape[1])
    index.add(np.asarray(X, dtype=np.float64))
    return index.search(np.asarray(Q, dtype=np.float64), k)[1]


q1 = FunctionQuestion(
    qid="ex11.q1",
    title="Q1 squared_l2_matrix(Q, X) with one matrix product",
    name="squared_l2_matrix",
    reference=_sq_l2_reference,
    cases=[
        ("squared_l2_matrix(points on a line, themselves)", (_LINE, _LINE)),
        ("squared_l2_matrix(Q, X) for 7 queries and 300 vectors in 12-d", (_Q, _X)),
        ("squared_l2_matrix(200 queries within 1e-5 of 200 vectors near 1e4: exact answers near 0)", (_FAR_Q, _FAR)),
    ],
    atol=1e-4,
    rtol=1e-6,
    keep_inputs=True,
    validate=lambda got, args: None if np.min(got) >= 0 else
    f"a squared distance came out negative ({np.min(got):.3g}): rounding in |q|^2 - 2 q.x + |x|^2, clip at 0",
    hint_text=[
        """
        |q - x|^2 = |q|^2 - 2 q.x + |x|^2. The middle term for all pairs is Q @ X.T, an
        (nq, n) matrix; (Q ** 2).sum(1) is (nq,) and (X ** 2).sum(1) is (n,). Reshape them
        to (nq, 1) and (1, n) so that broadcasting adds them to every entry.
        """,
        """
        For vectors far from the origin the three terms are huge and nearly cancel: an exact
        duplicate can come out as -1e-7. A squared distance is never negative: np.maximum(.., 0).
        """,
    ],
    solution_text="""
        def squared_l2_matrix(Q, X):
            Q, X = np.asarray(Q, dtype=float), np.asarray(X, dtype=float)
            sq = (Q ** 2).sum(1)[:, None] - 2 * Q @ X.T + (X ** 2).sum(1)[None, :]
            return np.maximum(sq, 0.0)   # rounding can dip a hair below zero
    """,
)

q2 = FunctionQuestion(
    qid="ex11.q2",
    title="Q2 knn(Q, X, k): ids of the k nearest, nearest first",
    name="knn",
    reference=_knn_reference,
    cases=[
        ("knn(0 and 9 on a line, 5 points, k=2)", (np.array([[0.2], [9.0]]), _LINE, 2)),
        ("knn(Q, X, k=1)", (_Q, _X, 1)),
        ("knn(Q, X, k=10)", (_Q, _X, 10)),
        ("knn(Q, X, k=300) (every vector)", (_Q, _X, 300)),
    ],
    atol=0.5,
    rtol=0.0,
    keep_inputs=True,
    hint_text=[
        """
        Compute the (nq, n) distance matrix (Q1). np.argpartition(D, k - 1, axis=1)[:, :k]
        gives the k smallest of each row in O(n) time, but in no particular order.
        """,
        """
        Sort just those k by their distance (np.take_along_axis, then np.argsort) so that
        the nearest comes first. (k = n must work too.)
        """,
    ],
    solution_text="""
        def knn(Q, X, k):
            D = squared_l2_matrix(Q, X)                              # (nq, n)
            part = np.argpartition(D, k - 1, axis=1)[:, :k]          # k smallest, unordered
            order = np.argsort(np.take_along_axis(D, part, axis=1), axis=1)
            return np.take_along_axis(part, order, axis=1)           # nearest first
    """,
)

q3 = ValueQuestion(
    qid="ex11.q3",
    title="Q3 the cost of exact search at scale",
    name="cost",
    expected={"index_gigabytes": 10_000_000 * 768 * 4 / 1e9,
              "multiply_adds_per_query": 10_000_000 * 768},
    rtol=1e-6,
    hint_text=[
        """
        A flat index stores every vector as float32: 4 bytes per component. Use 1 GB = 1e9 bytes.
        """,
        "One query is compared with all n vectors, d multiply-adds each: O(n d), not O(n).",
    ],
    solution_text="""
        cost = {"index_gigabytes": 10_000_000 * 768 * 4 / 1e9,      # 30.72 GB
                "multiply_adds_per_query": 10_000_000 * 768}        # 7.68e9: O(n * d)
    """,
)

_I_demo = np.array([[4, 8, 15, 16, 23], [42, 4, 8, 1, 2], [7, 7, 7, 7, 7]])
_gt_demo = np.array([[4, 15, 99, 23, 8], [1, 2, 3, 4, 5], [0, 1, 2, 3, 7]])
_I_rand = _rng.integers(0, 40, (50, 10))
_gt_rand = np.argsort(_rng.random((50, 40)), axis=1)[:, :10]

q4 = FunctionQuestion(
    qid="ex11.q4",
    title="Q4 recall_at_k(I, gt, k)",
    name="recall_at_k",
    reference=recall_at_k,
    cases=[
        ("recall_at_k(three hand-made rows, k=5)", (_I_demo, _gt_demo, 5)),
        ("recall_at_k(three hand-made rows, k=2)", (_I_demo, _gt_demo, 2)),
        ("recall_at_k(50 random rows, k=10)", (_I_rand, _gt_rand, 10)),
    ],
    atol=1e-9,
    hint_text=[
        """
        For each query, count how many of the true top-k ids gt[q, :k] appear anywhere in the
        returned top-k I[q, :k] (order does not matter), divide by k, then average over
        queries.
        """,
        """
        A repeated id in I counts once: Python sets work (len(set(a) & set(b))); so does
        (gt[:, :k, None] == I[:, None, :k]).any(2).sum(1). Position-by-position equality
        would wrongly make order matter.
        """,
    ],
    solution_text="""
        def recall_at_k(I, gt, k):
            hits = [len(set(row_i[:k]) & set(row_gt[:k])) / k for row_i, row_gt in zip(I, gt)]
            return float(np.mean(hits))
    """,
)



# -- Q5: a database that does not fit in memory at once: search it chunk by chunk ------------
def _stream_ref(Q, chunks, k):
    X = np.concatenate([np.asarray(c, dtype=np.float64) for c in chunks])
    D = _sq_l2_reference(Q, X)
    order = np.array([np.lexsort((np.arange(len(X)), row))[:k] for row in D])
    return np.take_along_axis(D, order, axis=1), order


_r5 = np.random.default_rng(115)
_CH = [_r5.standard_normal((n, 8)) for n in (120, 3, 250, 64)]
_CH[3][:5] = _CH[0][:5]                               # duplicates across chunks: ties
_QS = np.concatenate([_CH[0][:3], _r5.standard_normal((5, 8))])
q5 = FunctionQuestion(
    qid="ex11.q5",
    title="Q5 streaming_knn(Q, chunks, k): exact k-NN over a database read chunk by chunk",
    name="streaming_knn",
    reference=_stream_ref,
    cases=[
        ("streaming_knn(8 queries, chunks of 120, 3, 250, 64 rows with duplicates, k=10)", (_QS, _CH, 10)),
        ("streaming_knn(the same, k=1)", (_QS, _CH, 1)),
        ("streaming_knn(one point on a line, chunks [[5], [1], [3, 0]]..., k=3)",
         (np.array([[2.0]]), [np.array([[5.0], [1.0]]), np.array([[3.0], [0.0]]), np.array([[2.5]])], 3)),
        ("streaming_knn(the same 8 queries, one chunk, k=20)", (_QS, [np.concatenate(_CH)], 20)),
    ],
    atol=1e-8, rtol=1e-8,
    keep_inputs=True,
    hint_text=[
        """
        Keep a running best list per query: (D_best, I_best) of shape (nq, <= k). For each
        chunk, compute its squared distances (Q1), turn its local row numbers into global ids
        (add the number of rows seen before it), merge them with the running best, and keep
        the k smallest. Return (D, I), nearest first.
        """,
        """
        Merge = concatenate the running best and the chunk's candidates along axis 1, then
        select the k smallest AND sort them. Ties (equal distances, e.g. duplicate vectors)
        must keep the lower global id first: sort with np.lexsort((ids, distances)) per row,
        or a stable sort of (ids-ordered) candidates by distance. A chunk may have fewer
        rows than k.
        """,
        """
        for chunk: D_c = squared_l2_matrix(Q, chunk); I_c = offset + np.arange(len(chunk)) (broadcast)
        D_all = np.hstack([D_best, D_c]); I_all = np.hstack([I_best, I_c])
        order = lexsort per row by (I_all, D_all)[:k]; offset += len(chunk)
        """,
    ],
    solution_text="""
        def streaming_knn(Q, chunks, k):
            nq = len(Q)
            D_best, I_best = np.zeros((nq, 0)), np.zeros((nq, 0), dtype=np.int64)
            offset = 0
            for chunk in chunks:
                D_c = squared_l2_matrix(Q, chunk)                             # (nq, len(chunk))
                I_c = np.broadcast_to(offset + np.arange(len(chunk)), D_c.shape)   # global ids
                D_all, I_all = np.hstack([D_best, D_c]), np.hstack([I_best, I_c])
                order = np.array([np.lexsort((i, d))[:k] for d, i in zip(D_all, I_all)])
                D_best = np.take_along_axis(D_all, order, axis=1)             # sorted; ties: lower id
                I_best = np.take_along_axis(I_all, order, axis=1)
                offset += len(chunk)
            return D_best, I_best
    """,
)


# -- Q6: maximum inner product search as nearest-neighbour search (a derivation) -----------
def _mips_ref(X, Q):
    X, Q = np.asarray(X, dtype=np.float64), np.asarray(Q, dtype=np.float64)
    norms2 = (X ** 2).sum(axis=1)
    extra = np.sqrt(np.maximum(norms2.max() - norms2, 0.0))
    return np.hstack([X, extra[:, None]]), np.hstack([Q, np.zeros((len(Q), 1))])


_X6 = _r5.standard_normal((200, 6)) * _r5.uniform(0.2, 5.0, (200, 1))      # very different norms
q6 = FunctionQuestion(
    qid="ex11.q6",
    title="Q6 mips_to_l2(X, Q): augment the vectors so that L2 search answers inner-product search",
    name="mips_to_l2",
    reference=_mips_ref,
    cases=[
        ("mips_to_l2([[3, 4], [1, 0], [0, 2]], [[1, 1]])",
         (np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 2.0]]), np.array([[1.0, 1.0]]))),
        ("mips_to_l2(200 vectors with norms from 0.2 to 5 times, 7 queries)", (_X6, _r5.standard_normal((7, 6)))),
        ("mips_to_l2(vectors that all have the same norm)", (np.eye(4), np.ones((2, 4)))),
    ],
    atol=1e-9, rtol=1e-9,
    keep_inputs=True,
    hint_text=[
        r"""
        |q - x|^2 = |q|^2 - 2 q.x + |x|^2: for a fixed query, L2 ranks by q.x only if |x|^2
        is the same for every x. Make it so: append one coordinate to every database vector
        that tops its squared norm up to a common value, and append 0 to the queries (so the
        extra coordinate adds nothing to q.x).
        """,
        r"""
        With M^2 = the largest |x|^2, the extra coordinate is sqrt(M^2 - |x|^2) (always real,
        0 for the longest vector). Then |x'|^2 = M^2 for all x, |q'|^2 = |q|^2, q'.x' = q.x,
        and |q' - x'|^2 = |q|^2 + M^2 - 2 q.x.
        """,
        """
        n2 = (X ** 2).sum(1); extra = np.sqrt(n2.max() - n2)
        return np.hstack([X, extra[:, None]]), np.hstack([Q, np.zeros((len(Q), 1))])
        """,
    ],
    solution_text="""
        def mips_to_l2(X, Q):
            norms2 = (X ** 2).sum(axis=1)
            extra = np.sqrt(norms2.max() - norms2)                 # tops every |x|^2 up to M^2
            return np.hstack([X, extra[:, None]]), np.hstack([Q, np.zeros((len(Q), 1))])
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5, q6]
