"""Brute-force top-k: ``embedkit.top_k`` vs faiss ``knn`` on the same matrices."""
from __future__ import annotations

import faiss
import numpy as np

from benchmarks.harness import Comparison, timed
from embedkit import top_k


def run(quick: bool = False) -> list[Comparison]:
    n, nq, d, k = (20_000, 200, 100, 10) if quick else (100_000, 1_000, 100, 10)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d), dtype=np.float32)
    Q = rng.standard_normal((nq, d), dtype=np.float32)
    ours_s, (_, I) = timed(lambda: top_k(Q, X, k, metric="sqeuclidean"))
    theirs_s, (_, I_ref) = timed(lambda: faiss.knn(Q, X, k))
    case = f"top_k sqeuclidean n={n} d={d} nq={nq} k={k}"
    agree = float((np.sort(I, 1) == np.sort(I_ref, 1)).mean())
    return [
        Comparison(case, "queries/s", nq / ours_s, nq / theirs_s, "faiss.knn"),
        Comparison(case, "id agreement", agree, 1.0, "faiss.knn"),
    ]
