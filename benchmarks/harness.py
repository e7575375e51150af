"""Side-by-side benchmark plumbing: time embedkit and its reference in one process.

Each ``benchmarks/bench_<topic>.py`` module defines ``run(quick: bool) -> list[Comparison]``;
``python -m benchmarks`` (``make bench``) runs them all and prints one ratio table.
Benchmarks print numbers; they never assert on wall-clock time (tests assert correctness).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable


@dataclass
class Comparison:
    """One measured quantity for embedkit and for the reference, on the same data.

    Attributes:
        case: what was run, with its sizes, e.g. "Flat l2 n=100000 d=128 nq=1000".
        metric: the quantity, e.g. "queries/s", "train s", "recall@10", "bytes/vector".
        ours: embedkit's value.
        theirs: the reference's value.
        reference: the reference implementation, e.g. "faiss IndexFlatL2".
        higher_is_better: direction of the metric (False for times and bytes).
        target: the COURSE.md target for the ratio, if any, e.g. ">= 0.5x".
    """

    case: str
    metric: str
    ours: float
    theirs: float
    reference: str
    higher_is_better: bool = True
    target: str = ""

    @property
    def ratio(self) -> float:
        """ours / theirs (for times: how many times longer embedkit took)."""
        return self.ours / self.theirs if self.theirs else float("inf")


def timed(fn: Callable[[], Any], *, repeat: int = 3, min_seconds: float = 0.0) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls of ``fn`` (and the last result).

    The best of a few runs is the least noisy estimate on a shared 2-core machine.
    """
    best, result = float("inf"), None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
        if min_seconds and best > min_seconds:
            break
    return best, result


@dataclass
class SearchProblem:
    """One synthetic search problem shared by an embedkit index and its reference.

    ``database: (n, d)``, ``queries: (nq, d)``, ``train: (n_train, d)`` float32 (from
    ``embedkit.datasets.make_search_data``), ``gt: (nq, k)`` exact neighbour ids, and
    ``size``, the label every case of the problem carries ("n=... d=... nq=...").
    """

    database: Any
    queries: Any
    train: Any
    gt: Any
    size: str


def search_problem(n: int, nq: int, d: int, n_train: int, *, k: int = 10, seed: int = 0) -> SearchProblem:
    """The synthetic problem of the search benchmarks, with its exact top-``k`` ground truth."""
    from embedkit.datasets import make_search_data

    data = make_search_data(n=n, nq=nq, d=d, n_train=n_train, seed=seed)
    return SearchProblem(data.database, data.queries, data.train, data.ground_truth(k),
                         f"n={n} d={d} nq={nq}")


def queries_per_second(index, queries, k: int = 10, *, repeat: int = 3) -> tuple[float, Any]:
    """``(queries/s, I)`` of ``index.search(queries, k)``, best of ``repeat`` runs."""
    seconds, (_, I) = timed(lambda: index.search(queries, k), repeat=repeat)
    return queries.shape[0] / seconds, I


def nprobe_sweep(ours, theirs, problem: SearchProblem, case: str, reference: str,
                 nprobes=(1, 8, 32), k: int = 10) -> list[Comparison]:
    """queries/s and recall@k of two inverted-file indexes at each ``nprobe``, side by side."""
    from embedkit import recall_at_k

    rows = []
    for nprobe in nprobes:
        ours.nprobe = theirs.nprobe = nprobe
        q_ours, I_ours = queries_per_second(ours, problem.queries, k)
        q_theirs, I_theirs = queries_per_second(theirs, problem.queries, k)
        rows += [
            Comparison(f"{case} nprobe={nprobe}", "queries/s", q_ours, q_theirs, reference, target=">= 0.25x"),
            Comparison(f"{case} nprobe={nprobe}", f"recall@{k}", recall_at_k(I_ours, problem.gt, k),
                       recall_at_k(I_theirs, problem.gt, k), reference, target="+-0.01"),
        ]
    return rows


def _fmt(x: float) -> str:
    if x == 0 or 1e-3 <= abs(x) < 1e6:
        return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"
    return f"{x:.3e}"


def format_table(rows: list[Comparison]) -> str:
    """A fixed-width text table: case | metric | embedkit | reference | ratio | target."""
    header = ("case", "metric", "embedkit", "reference", "value", "ratio", "target")
    body = [
        (r.case, r.metric, _fmt(r.ours), r.reference, _fmt(r.theirs), f"{r.ratio:.2f}x", r.target)
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    out = [line(header), line(["-" * w for w in widths])]
    out += [line(cells) for cells in body]
    return "\n".join(out)


# -- approximate indexes on the recall / speed frontier -----------------------------------
# One implementation, in the package (notebook 18 uses the same functions).
from embedkit.search.tradeoffs import pareto_frontier as frontier  # noqa: E402,F401
from embedkit.search.tradeoffs import qps_at_recall  # noqa: E402,F401

