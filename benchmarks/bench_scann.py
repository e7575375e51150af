"""ScaNN (lesson 17): anisotropic PQ against plain PQ, ``ScaNNIndex`` against the ``scann`` package.

Data: GloVe 6B 50d, normalised (``load_glove_angular``, ann-benchmarks' ``glove-angular``
recipe; the ScaNN paper's own benchmark is glove-100-angular), 1,000 held-out queries,
searched by inner product (= cosine on unit vectors); the exact top-10 is the ground
truth. Full run: 100,000 vectors (36 s on 2 cores); ``--quick``: 20,000 (where embedkit's fixed
cost per query weighs more: 0.18x and 0.13x of scann's queries/s at recall 0.9 and 0.95).

Rows:

* **anisotropic vs plain PQ at equal bytes** (the paper's Figure 2 kind of measurement):
  recall@10 of the raw quantized scores ``<q, x_hat>`` over the whole database, no
  partition, no reordering; blocks of 2 dimensions with 16 centroids (ScaNN's
  ``score_ah(2, ...)``, lut16), i.e. 25 one-byte codes per vector for both
  (``ek.ProductQuantizer`` trained by k-means against ``ek.AnisotropicPQ``, T = 0.2).
  Also the same quantity for ``scann``'s brute-force AH (no tree, no reorder).
* **ScaNNIndex vs scann** at equal settings (``n_leaves``, ``leaves_to_search``,
  ``reorder``, T = 0.2, blocks of 2): recall@10 with and without reordering; queries/s
  at recall 0.9 and 0.95 read off each library's own frontier (``qps_at_recall``) over a
  sweep of ``leaves_to_search`` with reorder 100; build seconds (train + add vs
  ``builder(...).build()``).

Threads: embedkit runs on 2 (``ek.set_num_threads(2)``); scann trains on 2
(``set_n_training_threads(2)``) and searches with ``search_batched_parallel``, whose
query pool uses every core of the machine (the benchmark machine has 2); the whole batch
of 1,000 queries per call, best of 3, every compiled loop warmed up first.

A full run writes the rows and the sweep points to
``benchmarks/reference_results/scann.json`` (``--quick`` writes nothing).
"""
from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import numpy as np

import embedkit as ek
from benchmarks.harness import Comparison, qps_at_recall, timed
from embedkit.datasets import load_glove_angular

K = 10
THREADS = 2
T = 0.2
DIMS_PER_BLOCK = 2
TARGETS = (0.9, 0.95)
RESULTS = Path(__file__).resolve().parent / "reference_results"
LEAVES_TO_SEARCH = (1, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128)
REORDER = 100


def _recall(I, gt) -> float:
    return ek.recall_at_k(np.asarray(I, dtype=np.int64), gt, K)


def _raw_scores_recall(quantizer, X, Q, gt) -> float:
    """recall@10 of ``<q, decode(encode(x))>`` over the whole database."""
    x_hat = quantizer.decode(quantizer.encode(X))
    I = ek.top_k(Q, x_hat, K, metric="ip")[1]
    return _recall(I, gt)


def _scann_builder(scann, X, n_leaves, leaves, reorder):
    builder = scann.scann_ops_pybind.builder(X, K, "dot_product")
    if n_leaves:
        builder = builder.tree(num_leaves=n_leaves, num_leaves_to_search=leaves,
                               training_sample_size=X.shape[0])
    builder = builder.score_ah(DIMS_PER_BLOCK, anisotropic_quantization_threshold=T)
    if reorder:
        builder = builder.reorder(reorder)
    return builder.set_n_training_threads(THREADS)


def _sweep(search, Q, gt, values) -> list[list[float]]:
    """``[leaves_to_search, recall, queries/s]`` per value, best of 3; stops at recall 0.999."""
    rows = []
    for value in values:
        seconds, I = timed(lambda: search(Q, value), repeat=3)
        rows.append([value, _recall(I, gt), Q.shape[0] / seconds])
        if rows[-1][1] >= 0.999:
            break
    return rows


def run(quick: bool = False) -> list[Comparison]:
    import scann

    ek.set_num_threads(THREADS)
    n = 20_000 if quick else 100_000
    data = load_glove_angular(n=n)
    X, Q, gt = data.database, data.queries, data.ground_truth(K)
    d = X.shape[1]
    m = d // DIMS_PER_BLOCK
    n_leaves = round(n ** 0.5)                 # about sqrt(n) leaves, as ScaNN's docs advise
    case = f"GloVe-50 n={n} nq={Q.shape[0]}"
    rows: list[Comparison] = []
    record: dict = {}

    warm = ek.ScaNNIndex(d, 4, 1, reorder=REORDER)           # compile every loop before timing
    warm.train(X[:1000]), warm.add(X[:1000]), warm.search(Q[:8], K)

    # -- anisotropic vs plain PQ, equal bytes, raw quantized scores ------------------------------
    pq = ek.ProductQuantizer(m, nbits=4, seed=0).fit(X)
    apq = ek.AnisotropicPQ(d, m, nbits=4, T=T, seed=0).fit(X)
    r_pq, r_apq = _raw_scores_recall(pq, X, Q, gt), _raw_scores_recall(apq, X, Q, gt)
    ah = _scann_builder(scann, X, 0, 0, 0).build()
    r_scann_ah = _recall(ah.search_batched_parallel(Q)[0], gt)
    label = f"{case} {m} blocks x 4 bits, no reorder"
    rows += [Comparison(f"{label} (raw scores)", "recall@10", r_apq, r_pq,
                        "embedkit ProductQuantizer (k-means)", target="> plain PQ"),
             Comparison(f"{label} (brute-force AH)", "recall@10", r_apq, r_scann_ah,
                        "scann score_ah(2, T=0.2)", target="+-0.01")]
    record["pq_equal_bytes"] = {"bytes_per_vector": m, "recall_anisotropic": r_apq,
                                "recall_plain_pq": r_pq, "recall_scann_ah_brute_force": r_scann_ah,
                                "loss_history": apq.loss_history_}
    del ah

    # -- ScaNNIndex vs scann ------------------------------------------------------------------
    ours = ek.ScaNNIndex(d, n_leaves, 1, dims_per_block=DIMS_PER_BLOCK, nbits=4, T=T,
                         reorder=REORDER, seed=0)
    build_ours, _ = timed(lambda: (ours.train(X), ours.add(X)), repeat=1)
    build_theirs, theirs = timed(lambda: _scann_builder(scann, X, n_leaves, 1, REORDER).build(), repeat=1)
    ours.search(Q[:64], K)                                   # compile the loops before timing

    def search_ours(q, leaves, reorder=REORDER):
        ours.leaves_to_search, ours.reorder = leaves, reorder
        return ours.search(q, K)[1]

    def search_theirs(q, leaves, reorder=REORDER):
        return theirs.search_batched_parallel(q, leaves_to_search=leaves,
                                              pre_reorder_num_neighbors=reorder)[0]

    search_theirs(Q[:64], 1)
    setting = 16 if quick else 24
    for reorder in (0, REORDER):
        # scann reorders only if built with reorder(); at reorder 0 pass k candidates
        r_o = _recall(search_ours(Q, setting, reorder), gt)
        r_t = _recall(search_theirs(Q, setting, reorder or K), gt)
        rows.append(Comparison(f"{case} leaves={n_leaves} search={setting} reorder={reorder}",
                               "recall@10", r_o, r_t, "scann", target="+-0.01"))
        record[f"recall_reorder_{reorder}"] = {"leaves_to_search": setting, "ours": r_o, "scann": r_t}
    sweep_ours = _sweep(search_ours, Q, gt, LEAVES_TO_SEARCH)
    sweep_theirs = _sweep(search_theirs, Q, gt, LEAVES_TO_SEARCH)
    for target in TARGETS:
        q_o = qps_at_recall([(r, q) for _, r, q in sweep_ours], target)
        q_t = qps_at_recall([(r, q) for _, r, q in sweep_theirs], target)
        rows.append(Comparison(f"{case} leaves={n_leaves} reorder={REORDER} at recall {target}",
                               "queries/s", q_o, q_t, "scann", target=">= 0.25x"))
    rows.append(Comparison(f"{case} leaves={n_leaves}", "build s", build_ours, build_theirs, "scann",
                           higher_is_better=False))
    record["index"] = {"n_leaves": n_leaves, "reorder": REORDER, "build_s": [build_ours, build_theirs],
                       "sweep": {"knob": "leaves_to_search", "embedkit": sweep_ours, "scann": sweep_theirs}}

    if not quick:
        RESULTS.mkdir(exist_ok=True)
        meta = {"threads": THREADS, "k": K, "T": T, "dims_per_block": DIMS_PER_BLOCK, "n": n,
                "nq": int(Q.shape[0]), "machine": platform.machine(), "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "scann": getattr(scann, "__version__", "unknown")}
        table = [{"case": r.case, "metric": r.metric, "embedkit": r.ours, "reference": r.reference,
                  "value": r.theirs, "target": r.target} for r in rows]
        (RESULTS / "scann.json").write_text(json.dumps({"meta": meta, "rows": table, **record}, indent=1))
    return rows
