"""Search II: embedkit's PQIndex, IVFPQIndex and OPQ vs faiss on the same data.

One synthetic problem (``embedkit.datasets.make_search_data``: overlapping anisotropic
Gaussian mixture, 100k x 128 database, 1,000 fresh queries, a separate 50k training set),
one exact ground truth; each pair is trained on the same training vectors:

* ``PQIndex(m=16, nbits=8)`` vs ``IndexPQ(128, 16, 8)``: train time, queries/s,
  recall@10, bytes/vector. embedkit runs 10 k-means iterations per sub-quantizer, faiss
  its default 25: on this data both reach the same recall (see ``ProductQuantizer``),
  and a second faiss row at 10 iterations shows the like-for-like training time;
* ``IVFPQIndex(nlist=1024, m=16)`` vs ``IndexIVFPQ`` at nprobe 1, 8 and 32;
* ``PQIndex(opq=True)`` vs ``IndexPreTransform(OPQMatrix, IndexPQ)`` with the same
  number of alternating rounds (faiss's default of 50 rounds alone takes minutes here).

Each side seeds its k-means differently, so recall differs by the clustering's own
randomness (about +-0.005 here; faiss against itself with three seeds: 0.426-0.430).
Bytes per vector: PQ ``m``; IVF-PQ ``m`` + 8-byte id (+ embedkit's 4-byte norm term;
faiss keeps an (nlist, m, 256) float table instead, 16 MB here).
"""
from __future__ import annotations

import faiss

from benchmarks.harness import Comparison, nprobe_sweep, queries_per_second, search_problem, timed
from embedkit import IVFPQIndex, PQIndex, recall_at_k

K = 10


def run(quick: bool = False) -> list[Comparison]:
    if quick:
        n, nq, d, m, nlist, n_train, opq_rounds = 20_000, 200, 64, 8, 128, 20_000, 3
    else:
        n, nq, d, m, nlist, n_train, opq_rounds = 100_000, 1_000, 128, 16, 1024, 50_000, 10
    problem = search_problem(n, nq, d, n_train, k=K)
    X, Q, T, gt, size = problem.database, problem.queries, problem.train, problem.gt, problem.size
    rows: list[Comparison] = []

    # -- PQ --------------------------------------------------------------------------------
    ours = PQIndex(d, m, 8, seed=0)
    theirs = faiss.IndexPQ(d, m, 8)
    t_ours, _ = timed(lambda: ours.train(T), repeat=1)
    t_theirs, _ = timed(lambda: theirs.train(T), repeat=1)
    faiss10 = faiss.IndexPQ(d, m, 8)
    faiss10.pq.cp.niter = 10
    t_faiss10, _ = timed(lambda: faiss10.train(T), repeat=1)
    ours.add(X)
    theirs.add(X)
    case = f"PQ m={m} nbits=8 {size}"
    ref = "faiss IndexPQ"
    q_ours, I_ours = queries_per_second(ours, Q, K)
    q_theirs, I_theirs = queries_per_second(theirs, Q, K)
    rows += [
        Comparison(case, "train s (faiss niter=25)", t_ours, t_theirs, ref,
                   higher_is_better=False, target="<= 2x"),
        Comparison(case, "train s (both 10 iter)", t_ours, t_faiss10, ref, higher_is_better=False),
        Comparison(case, "queries/s", q_ours, q_theirs, ref, target=">= 0.25x"),
        Comparison(case, "recall@10", recall_at_k(I_ours, gt, K), recall_at_k(I_theirs, gt, K),
                   ref, target="+-0.01"),
        Comparison(case, "bytes/vector", ours.code_size, theirs.code_size, ref, higher_is_better=False),
    ]
    del ours, theirs, faiss10

    # -- IVF-PQ ----------------------------------------------------------------------------
    ours = IVFPQIndex(d, nlist, m, 8, seed=0)
    theirs = faiss.IndexIVFPQ(faiss.IndexFlatL2(d), d, nlist, m, 8)
    t_ours, _ = timed(lambda: ours.train(T), repeat=1)
    t_theirs, _ = timed(lambda: theirs.train(T), repeat=1)
    ours.add(X)
    theirs.add(X)
    ref = "faiss IndexIVFPQ"
    case = f"IVFPQ nlist={nlist} m={m} {size}"
    rows.append(Comparison(case, "train s", t_ours, t_theirs, ref, higher_is_better=False))
    rows += nprobe_sweep(ours, theirs, problem, f"IVFPQ nlist={nlist} m={m}", ref, k=K)
    rows.append(Comparison(f"IVFPQ nlist={nlist} m={m}", "bytes/vector", ours.code_size,
                           theirs.code_size + 8, ref, higher_is_better=False))
    del ours, theirs

    # -- OPQ + PQ ----------------------------------------------------------------------------
    ours = PQIndex(d, m, 8, opq=True, opq_iter=opq_rounds, seed=0)
    opq = faiss.OPQMatrix(d, m)
    opq.niter = opq_rounds
    theirs = faiss.IndexPreTransform(opq, faiss.IndexPQ(d, m, 8))
    t_ours, _ = timed(lambda: ours.train(T), repeat=1)
    t_theirs, _ = timed(lambda: theirs.train(T), repeat=1)
    ours.add(X)
    theirs.add(X)
    ref = "faiss OPQMatrix+IndexPQ"
    case = f"OPQ+PQ m={m} rounds={opq_rounds} {size}"
    q_ours, I_ours = queries_per_second(ours, Q, K, repeat=2)
    q_theirs, I_theirs = queries_per_second(theirs, Q, K, repeat=2)
    rows += [
        Comparison(case, "train s", t_ours, t_theirs, ref, higher_is_better=False),
        Comparison(case, "queries/s", q_ours, q_theirs, ref),
        Comparison(case, "recall@10", recall_at_k(I_ours, gt, K), recall_at_k(I_theirs, gt, K), ref),
    ]
    return rows
