"""Search I: embedkit's Flat, IVF, SQ and binary indexes vs faiss on the same data.

One synthetic search problem (``embedkit.datasets.make_search_data``: an overlapping,
anisotropic Gaussian mixture with a decaying spectrum; queries are fresh draws), one
exact ground truth, then each embedkit index and its faiss counterpart are built from
the same training vectors and searched with the same queries:

* ``FlatIndex`` vs ``IndexFlatL2``: queries/s, recall@10 (both exact);
* ``IVFIndex`` vs ``IndexIVFFlat`` (nlist=1024 at full size) at nprobe 1, 8, 32:
  train time, queries/s, recall@10. Each side trains its own k-means, so recall can
  differ by the clustering's own randomness (about +-0.01; faiss with two seeds differs
  by as much);
* ``SQIndex`` (8 and 4 bits) vs ``IndexScalarQuantizer`` (QT_8bit / QT_4bit);
* ``BinaryIndex`` Hamming search vs ``IndexBinaryFlat`` on identical codes.

Bytes per vector are what each index stores per vector (faiss: ``code_size``; IVF adds
its 8-byte id). Full size takes about two minutes on 2 cores; ``--quick`` seconds.
"""
from __future__ import annotations

import faiss

from benchmarks.harness import Comparison, nprobe_sweep, queries_per_second, search_problem, timed
from embedkit import BinaryIndex, FlatIndex, IVFIndex, SQIndex, recall_at_k

K = 10


def run(quick: bool = False) -> list[Comparison]:
    if quick:
        n, nq, d, nlist, n_train = 20_000, 200, 64, 128, 20_000
    else:
        n, nq, d, nlist, n_train = 200_000, 1_000, 64, 1024, 100_000
    problem = search_problem(n, nq, d, n_train, k=K)
    X, Q, T, gt, size = problem.database, problem.queries, problem.train, problem.gt, problem.size
    rows: list[Comparison] = []

    # -- exact search --------------------------------------------------------------------
    ours, theirs = FlatIndex(d, "l2"), faiss.IndexFlatL2(d)
    ours.add(X)
    theirs.add(X)
    case = f"Flat l2 {size}"
    q_ours, I_ours = queries_per_second(ours, Q, K)
    q_theirs, I_theirs = queries_per_second(theirs, Q, K)
    rows += [
        Comparison(case, "queries/s", q_ours, q_theirs, "faiss IndexFlatL2", target=">= 0.5x"),
        Comparison(case, "recall@10", recall_at_k(I_ours, gt, K), recall_at_k(I_theirs, gt, K),
                   "faiss IndexFlatL2"),
        Comparison(case, "bytes/vector", ours.code_size, theirs.code_size, "faiss IndexFlatL2",
                   higher_is_better=False),
    ]
    del ours, theirs

    # -- IVF -----------------------------------------------------------------------------
    ours = IVFIndex(d, nlist, seed=0)
    theirs = faiss.IndexIVFFlat(faiss.IndexFlatL2(d), d, nlist)
    t_ours, _ = timed(lambda: ours.train(T), repeat=1)
    t_theirs, _ = timed(lambda: theirs.train(T), repeat=1)
    ours.add(X)
    theirs.add(X)
    case = f"IVF nlist={nlist} {size}"
    rows.append(Comparison(case, "train s", t_ours, t_theirs, "faiss IndexIVFFlat",
                           higher_is_better=False))
    rows += nprobe_sweep(ours, theirs, problem, f"IVF nlist={nlist}", "faiss IndexIVFFlat", k=K)
    rows.append(Comparison(f"IVF nlist={nlist}", "bytes/vector", ours.code_size,
                           theirs.code_size + 8, "faiss IndexIVFFlat", higher_is_better=False))
    del ours, theirs

    # -- scalar quantization -------------------------------------------------------------
    for bits, qtype in ((8, faiss.ScalarQuantizer.QT_8bit), (4, faiss.ScalarQuantizer.QT_4bit)):
        ours, theirs = SQIndex(d, bits=bits), faiss.IndexScalarQuantizer(d, qtype)
        t_ours, _ = timed(lambda: ours.train(T), repeat=1)
        t_theirs, _ = timed(lambda: theirs.train(T), repeat=1)
        ours.add(X)
        theirs.add(X)
        case = f"SQ{bits} {size}"
        q_ours, I_ours = queries_per_second(ours, Q, K, repeat=2)
        q_theirs, I_theirs = queries_per_second(theirs, Q, K, repeat=2)
        ref = f"faiss IndexScalarQuantizer QT_{bits}bit"
        rows += [
            Comparison(case, "train s", t_ours, t_theirs, ref, higher_is_better=False),
            Comparison(case, "queries/s", q_ours, q_theirs, ref),
            Comparison(case, "recall@10", recall_at_k(I_ours, gt, K), recall_at_k(I_theirs, gt, K), ref),
            Comparison(case, "bytes/vector", ours.code_size, theirs.code_size, ref,
                       higher_is_better=False),
        ]
        del ours, theirs

    # -- binary codes: the same codes, Hamming search ------------------------------------
    ours = BinaryIndex(d)
    t_ours, _ = timed(lambda: ours.train(T), repeat=1)
    ours.add(X)
    theirs = faiss.IndexBinaryFlat(d)
    theirs.add(ours.codes)
    q_codes = ours.bq.encode(Q)
    case = f"binary Hamming {size}"
    q_ours, I_ours = queries_per_second(ours, Q, K, repeat=2)
    seconds, (_, I_theirs) = timed(lambda: theirs.search(q_codes, K), repeat=2)
    ref = "faiss IndexBinaryFlat"
    rows += [
        Comparison(case, "queries/s", q_ours, nq / seconds, ref),
        Comparison(case, "recall@10", recall_at_k(I_ours, gt, K), recall_at_k(I_theirs, gt, K), ref),
        Comparison(case, "bytes/vector", ours.code_size, theirs.code_size, ref, higher_is_better=False),
    ]
    return rows
