"""Checks for ``exercises/18_choosing_an_index.ipynb``: the Pareto frontier, speed at equal
recall, HNSW's memory bill, the selection guide, factory descriptions and a measured knob.

The references are the lesson's functions (``embedkit.search.tradeoffs``,
``embedkit.search.factory``); Q3's is the expected-value formula that the solution
notebook compares with the size of a saved index.
"""
from __future__ import annotations

import math

import numpy as np

from ..datasets.vectors import make_search_data
from ..search.factory import index_factory
from ..search.flat import FlatIndex
from ..search.hnsw import HNSWIndex
from ..search.ivf import IVFIndex
from ..search.pq_index import IVFPQIndex
from ..search.scalar_quantization import SQIndex
from ..search.tradeoffs import pareto_frontier, qps_at_recall, recommend_index, sweep
from .core import FunctionQuestion, ValueQuestion

# -- Q1: the Pareto frontier ---------------------------------------------------------------
# (recall@10, queries/s) per setting, as a sweep returns them: knob order, not sorted.
IVF_SWEEP = [(0.37, 130_000.0), (0.52, 101_000.0), (0.67, 73_000.0), (0.81, 50_000.0),
             (0.92, 31_000.0), (0.98, 17_600.0)]
# ef_search 10..256: the machine was busy while ef = 20 and 24 ran, so they measured slower
# than ef = 32.
HNSW_SWEEP = [(0.80, 90_000.0), (0.88, 62_000.0), (0.90, 45_000.0), (0.91, 40_000.0),
              (0.93, 55_000.0), (0.965, 38_000.0), (0.985, 24_000.0), (0.995, 12_000.0)]
_TIES = [(0.90, 5_000.0), (0.80, 9_000.0), (0.90, 7_000.0), (0.70, 9_000.0), (0.95, 2_000.0),
         (0.95, 2_000.0), (0.60, 12_000.0)]

q1 = FunctionQuestion(
    qid="ex18.q1",
    title="Q1 pareto_frontier(points)",
    name="pareto_frontier",
    reference=lambda points: pareto_frontier(points),
    cases=[
        ("pareto_frontier(IVF_SWEEP) (every setting is on the frontier)", (IVF_SWEEP,)),
        ("pareto_frontier(HNSW_SWEEP) (two settings slower AND less accurate than another)", (HNSW_SWEEP,)),
        ("pareto_frontier(HNSW_SWEEP + IVF_SWEEP) (two indexes, one frontier)", (HNSW_SWEEP + IVF_SWEEP,)),
        ("pareto_frontier(IVF_SWEEP reversed) (points come in any order)", (IVF_SWEEP[::-1],)),
        ("pareto_frontier(ties: equal recalls, equal speeds, a repeated point)", (_TIES,)),
        ("pareto_frontier([(0.5, 1000.0)]) (one setting)", ([(0.5, 1000.0)],)),
    ],
    atol=0, rtol=0,
    hint_text=[
        """
        A setting is dominated when another one is at least as accurate AND at least as
        fast. Walk from the most accurate setting down: a setting is kept only if it is
        faster than every setting kept so far (all of which are more accurate).
        """,
        """
        Sort by recall, highest first, and among equal recalls fastest first:
        sorted(points, key=lambda p: (-p[0], -p[1])). Keep a running best speed, starting
        at 0; keep a point when its speed is strictly above it, then raise the best.
        The strict test drops a repeated point and a slower point of equal recall.
        """,
        "Reverse the kept list at the end so it is sorted by recall, lowest first.",
    ],
    solution_text="""
        def pareto_frontier(points):
            best, kept = 0.0, []
            for recall, qps in sorted(points, key=lambda p: (-p[0], -p[1])):
                if qps > best:                  # faster than everything more accurate
                    kept.append((recall, qps))
                    best = qps
            return kept[::-1]                   # by recall, lowest first
    """,
)


# -- Q2: queries/s at a target recall ------------------------------------------------------
def _nan_as_text(value):
    """``nan`` becomes the text "nan", so that "no setting reaches the target" can be
    compared (nan equals nothing, itself included)."""
    try:
        return "nan" if math.isnan(float(np.asarray(value, dtype=np.float64).reshape(()))) else value
    except (TypeError, ValueError):
        return value


# The frontier is (0.62, 40k), (0.80, 20k), (0.90, 8k), (0.95, 4k), (0.99, 1k); two settings
# lie under it: (0.85, 5k) and (0.97, 900).
SWEEP = [(0.80, 20_000.0), (0.62, 40_000.0), (0.85, 5_000.0), (0.90, 8_000.0), (0.95, 4_000.0),
         (0.97, 900.0), (0.99, 1_000.0)]

q2 = FunctionQuestion(
    qid="ex18.q2",
    title="Q2 qps_at_recall(points, target)",
    name="qps_at_recall",
    reference=lambda points, target: _nan_as_text(qps_at_recall(points, target)),
    cases=[
        ("qps_at_recall(SWEEP, 0.90) (a frontier point)", (SWEEP, 0.90)),
        ("qps_at_recall(SWEEP, 0.93) (between two frontier points)", (SWEEP, 0.93)),
        ("qps_at_recall(SWEEP, 0.87) (a dominated setting lies near)", (SWEEP, 0.87)),
        ("qps_at_recall(SWEEP, 0.98)", (SWEEP, 0.98)),
        ("qps_at_recall(SWEEP, 0.5) (even the fastest setting reaches it)", (SWEEP, 0.5)),
        ("qps_at_recall(SWEEP, 0.995) (no setting reaches it)", (SWEEP, 0.995)),
    ],
    atol=1e-6, rtol=1e-6,
    prepare=_nan_as_text,
    hint_text=[
        """
        Work on the frontier (Q1), not on the raw points: a dominated setting is never the
        one you would run. If its first (fastest) point already reaches the target, return
        that speed; if its last point does not, return float("nan").
        """,
        """
        Otherwise find the two neighbouring frontier points (r0, q0), (r1, q1) with
        r0 <= target <= r1 and interpolate log(qps), not qps, linearly in recall:
        t = (target - r0) / (r1 - r0); qps = exp(log q0 + t (log q1 - log q0)).
        """,
    ],
    solution_text="""
        def qps_at_recall(points, target):
            front = pareto_frontier(points)
            if front[0][0] >= target:                   # the fastest setting is enough
                return front[0][1]
            for (r0, q0), (r1, q1) in zip(front, front[1:]):
                if r0 <= target <= r1:
                    t = (target - r0) / (r1 - r0)
                    return math.exp(math.log(q0) + t * (math.log(q1) - math.log(q0)))
            return float("nan")                         # never reached
    """,
)


# -- Q3: what an HNSW index costs per vector -----------------------------------------------
def _hnsw_bytes_ref(d, M):
    # float32 vector + level, layer-0 count and upper-layer offset (int32 each) + 2M int32
    # layer-0 slots; a node on layers 1..L adds L rows of M int32 slots and a count, and
    # E[L] = sum over l >= 1 of P(level >= l) = sum M^-l = 1 / (M - 1).
    return 4 * d + 3 * 4 + 2 * M * 4 + (M * 4 + 4) / (M - 1)


q3 = FunctionQuestion(
    qid="ex18.q3",
    title="Q3 hnsw_bytes_per_vector(d, M): where '4 d + 270' comes from",
    name="hnsw_bytes_per_vector",
    reference=_hnsw_bytes_ref,
    cases=[
        ("hnsw_bytes_per_vector(50, 32) (GloVe-50, HNSW32)", (50, 32)),
        ("hnsw_bytes_per_vector(768, 16)", (768, 16)),
        ("hnsw_bytes_per_vector(16, 2) (M = 2: half the nodes reach layer 1)", (16, 2)),
        ("hnsw_bytes_per_vector(128, 5)", (128, 5)),
    ],
    atol=1e-6, rtol=1e-9,
    hint_text=[
        """
        Per vector: the float32 vector (4 d), three int32 numbers (its level, how many
        layer-0 links it has, where its upper-layer rows start: 12 bytes) and 2 M int32
        layer-0 link slots. A vector whose top layer is L also owns L upper-layer rows of
        M int32 slots plus an int32 count each.
        """,
        """
        You need the expected number of upper-layer rows per vector, E[L]. From lesson 16,
        P(level >= l) = M^(-l), and E[L] = sum over l >= 1 of P(L >= l) (a sum of tails).
        The geometric series gives 1 / (M - 1), not 1 / M.
        """,
        "4 * d + 12 + 8 * M + (4 * M + 4) / (M - 1)",
    ],
    solution_text="""
        def hnsw_bytes_per_vector(d, M):
            vector_and_layer0 = 4 * d + 3 * 4 + 2 * M * 4      # vector, 3 int32, 2M links
            upper_rows = 1 / (M - 1)                            # E[level] = sum M^-l, l >= 1
            return vector_and_layer0 + upper_rows * (M * 4 + 4)  # M links + a count per row
    """,
)


# -- Q4: the selection guide ---------------------------------------------------------------
q4 = FunctionQuestion(
    qid="ex18.q4",
    title="Q4 choose_index(n, d, bytes_per_vector, updates, filtered)",
    name="choose_index",
    reference=lambda n, d, budget, updates, filtered: recommend_index(
        n, d, bytes_per_vector=budget, updates=updates, filtered=filtered)[0],
    cases=[
        ("choose_index(20_000, 384, None, False, False)", (20_000, 384, None, False, False)),
        ("choose_index(50_000, 128, None, True, True) (still small)", (50_000, 128, None, True, True)),
        ("choose_index(1_000_000, 768, None, False, False)", (1_000_000, 768, None, False, False)),
        ("choose_index(1_000_000, 768, None, False, True) (filtered queries)", (1_000_000, 768, None, False, True)),
        ("choose_index(390_000, 50, None, True, False) (frequent deletes)", (390_000, 50, None, True, False)),
        ("choose_index(1_000_000, 96, 400, False, False) (vectors fit, links do not)",
         (1_000_000, 96, 400, False, False)),
        ("choose_index(1_000_000, 96, 654, False, False) (exactly 4 d + 270)", (1_000_000, 96, 654, False, False)),
        ("choose_index(1_000_000, 96, 390, False, False) (4 d fits, 4 d + 8 does not)",
         (1_000_000, 96, 390, False, False)),
        ("choose_index(1_000_000, 768, 800, False, True) (memory before filters)", (1_000_000, 768, 800, False, True)),
        ("choose_index(140_000, 384, 100, False, False) (nlist: 4 sqrt(n) = 1497)", (140_000, 384, 100, False, False)),
        ("choose_index(20_000, 768, 72, False, False) (small n, but the vectors do not fit)",
         (20_000, 768, 72, False, False)),
        ("choose_index(1_000_000, 50, 30, False, False) (m must divide d)", (1_000_000, 50, 30, False, False)),
        ("choose_index(5, 64, 20, False, False) (tiny n: at least 16 lists)", (5, 64, 20, False, False)),
    ],
    atol=0, rtol=0,
    hint_text=[
        """
        Test the rules in this order and return at the first that applies: (1) small n
        whose vectors fit: "Flat"; (2) the raw vectors plus an 8-byte id do not fit:
        compress ("SQ8", else "IVF<nlist>,PQ<m>"); (3) filters or deletes: "IVF<nlist>";
        (4) room for HNSW's links: "HNSW32"; (5) "IVF<nlist>". No budget (None) means
        unlimited memory: math.inf compares with every number.
        """,
        """
        nlist = max(16, 2 ** round(math.log2(4 * math.sqrt(n)))): the nearest power of two
        on a log scale (1,497 is closer to 1,024 than to 2,048, but log2(1497) = 10.55
        rounds to 11). m = the largest divisor of d that is at most budget - 8.
        """,
        """
        budget = math.inf if bytes_per_vector is None else bytes_per_vector
        if n <= 50_000 and budget >= 4 * d: return "Flat"
        if budget < 4 * d + 8: return "SQ8" if budget >= d + 8 else f"IVF{nlist},PQ{m}"
        if filtered or updates: return f"IVF{nlist}"
        return "HNSW32" if budget >= 4 * d + 270 else f"IVF{nlist}"
        """,
    ],
    solution_text="""
        def choose_index(n, d, bytes_per_vector=None, updates=False, filtered=False):
            budget = math.inf if bytes_per_vector is None else bytes_per_vector
            nlist = max(16, 2 ** round(math.log2(4 * math.sqrt(n))))
            if n <= 50_000 and budget >= 4 * d:
                return "Flat"                               # exact search is fast enough
            if budget < 4 * d + 8:                          # float32 vectors + id do not fit
                if budget >= d + 8:
                    return "SQ8"
                m = max(m for m in range(1, d + 1) if d % m == 0 and m <= budget - 8)
                return f"IVF{nlist},PQ{m}"
            if filtered or updates:
                return f"IVF{nlist}"                        # lists take filters and deletes
            if budget >= 4 * d + 270:
                return "HNSW32"                             # vectors + links fit
            return f"IVF{nlist}"
    """,
)


# -- Q5: factory descriptions --------------------------------------------------------------
def _settings(index) -> dict:
    """An index's class and constructor settings (what ``save`` writes before training)."""
    return {"class": type(index).__name__, **index._get_state()[0]}


class _Builds:
    """Equal to a description that ``index_factory`` turns into exactly ``explicit``: the
    same class and settings, so "IVF256" and "IVF256,Flat" both count."""

    def __init__(self, explicit, description: str):
        self.explicit, self.description = explicit, description

    def __eq__(self, got) -> bool:
        if not isinstance(got, str):
            return False
        try:
            built = index_factory(self.explicit.d, got, self.explicit.metric)
        except Exception:                # not a description index_factory can build
            return False
        return _settings(built) == _settings(self.explicit)

    __hash__ = None

    def __repr__(self) -> str:
        return f"{self.description!r} (or an equivalent description)"


q5 = ValueQuestion(
    qid="ex18.q5",
    title="Q5 factory descriptions",
    name="descriptions",
    expected={
        "a": _Builds(IVFPQIndex(50, 256, 10, metric="cosine", rerank=True), "IVF256,PQ10,RFlat"),
        "b": _Builds(HNSWIndex(384, M=16), "HNSW16"),
        "c": _Builds(IVFPQIndex(128, 1024, 32, nbits=4, opq=True), "OPQ32,IVF1024,PQ32x4"),
        "d": _Builds(SQIndex(768, 8, "ip"), "SQ8"),
        "e": _Builds(IVFIndex(96, 4096), "IVF4096"),
        "f": _Builds(FlatIndex(96), "Flat"),
    },
    hint_text=[
        """
        Parts go coarsest first, separated by commas: a rotation ("OPQ<m>"), then the
        coarse quantizer ("IVF<nlist>"), then how each vector is stored ("PQ<m>",
        "PQ<m>x<bits>", "SQ8", "Flat"), then ",RFlat" for exact re-ranking. A graph is
        "HNSW<M>". The metric is not part of the text: it is index_factory's argument.
        """,
        """
        PQ<m> means m sub-vectors, one code each: with 8-bit codes that is m bytes, with
        4-bit codes (PQ<m>x4) m / 2 bytes. HNSW<M> counts the links on the upper layers
        (layer 0 gets 2 M). An OPQ rotation is named after the PQ it serves (OPQ<m>).
        """,
    ],
    solution_text="""
        descriptions = {"a": "IVF256,PQ10,RFlat",      # 10 bytes = 10 sub-vectors of 8 bits
                        "b": "HNSW16",                 # M = 16 (layer 0 gets 32)
                        "c": "OPQ32,IVF1024,PQ32x4",   # 16 bytes = 32 sub-vectors of 4 bits
                        "d": "SQ8",                    # the metric goes to index_factory
                        "e": "IVF4096",                # or "IVF4096,Flat"
                        "f": "Flat"}
        # check: ek.index_factory(50, descriptions["a"], "cosine") builds the index of a.
    """,
)


# -- Q6: measure the knob that reaches a recall target -------------------------------------
NPROBES = (1, 2, 4, 8, 16, 32, 64)


def q6_data():
    """The tiny synthetic set of Q6: 4,000 vectors of d = 32, 100 queries."""
    return make_search_data(n=4_000, nq=100, d=32, seed=26)


def _smallest_nprobe():
    data = q6_data()
    index = IVFIndex(data.d, 64, seed=0)
    index.train(data.database)
    index.add(data.database)
    rows = sweep(index, "nprobe", NPROBES, data.queries, data.ground_truth(10), k=10, repeat=1)
    return {"nprobe": next(v for v, recall, _ in rows if recall >= 0.95), "recalls": [r for _, r, _ in rows]}


q6 = ValueQuestion(
    qid="ex18.q6",
    title="Q6 the nprobe that reaches recall@10 = 0.95",
    name="measured",
    expected_fn=_smallest_nprobe,
    atol=1e-9, rtol=0.0,
    hint_text=[
        """
        data = q6_data(); index = ek.IVFIndex(data.d, 64, seed=0); train and add
        data.database. ek.sweep(index, "nprobe", NPROBES, data.queries,
        data.ground_truth(10), k=10) returns (nprobe, recall, queries/s) rows.
        """,
        """
        "recalls" is the list of the sweep's recalls, in NPROBES order; "nprobe" the first
        value whose recall is >= 0.95: next(v for v, recall, _ in rows if recall >= 0.95).
        Recall involves no timing, so it is the same on every run.
        """,
    ],
    solution_text="""
        data = q6_data()
        index = ek.IVFIndex(data.d, 64, seed=0)
        index.train(data.database)
        index.add(data.database)
        rows = ek.sweep(index, "nprobe", NPROBES, data.queries, data.ground_truth(10), k=10)
        measured = {"nprobe": next(v for v, recall, _ in rows if recall >= 0.95),
                    "recalls": [recall for _, recall, _ in rows]}
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5, q6]
