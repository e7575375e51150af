"""Choosing an index: every family on real embeddings, against faiss and hnswlib (notebook 18).

Two ann-benchmarks-style sets (``embedkit.datasets.ann``): pretrained **GloVe** 6B 50d,
angular (390,000 vectors, 1,000 held-out query words), and **MiniLM sentence vectors** of
the Wikipedia summaries (35,330 x 384, 1,000 held-out sentences). Every library runs on
**2 threads** (``ek.set_num_threads(2)``, ``faiss.omp_set_num_threads(2)``, hnswlib
``num_threads=2``), every compiled loop is warmed up before timing, each search is the
whole batch of 1,000 queries, best of 3.

Approximate indexes are compared on the recall/speed frontier, as ann-benchmarks does:
each library sweeps its knob (``nprobe``, ``ef_search``, ``k_factor``), and queries/s is
read off each library's own frontier at recall@10 = 0.9 and 0.95 (``qps_at_recall``:
interpolated between the two sweep points around the target; "nan" if the sweep never
got there). "best recall" is the highest recall@10 of the sweep. Bytes per vector are
the size of the index saved to a file (``index.save``, ``faiss.write_index``, hnswlib's
``save_index``) divided by ``n``. Families and their references:

* Flat (exact) vs ``IndexFlatIP``;
* IVF (``nlist`` 1024 / 256) vs ``IndexIVFFlat``, nprobe 1-256;
* PQ (m = 25 / 48 bytes) vs ``IndexPQ``: exhaustive, one point; with exact re-ranking
  (``rerank=True`` vs ``IndexRefineFlat``), a ``k_factor`` sweep, for equal recall;
* IVF-PQ (same nlist and m) vs ``IndexIVFPQ``, nprobe sweep, also with re-ranking
  (``k_factor`` 8);
* HNSW (M = 32, ef_construction = 40 for all three) vs ``IndexHNSWFlat`` and hnswlib,
  ef_search 10-512;
* SQ8 vs ``IndexScalarQuantizer`` (QT_8bit), binary codes + rescoring, LSH tables,
  random projection forests: embedkit's frontier (the last two have no faiss
  counterpart with the same algorithm).

Cost as n grows (GloVe, n = 10k, 40k, 160k, 390k): build seconds, bytes per vector and
queries/s at a fixed setting for Flat, IVF (nlist = 4 sqrt(n) rounded, nprobe 16) and
HNSW (ef_search 64).

The curves and tables of a full run are also written to
``benchmarks/reference_results/real_data.json``, which notebook 18 reads for its
full-scale section (``--quick`` writes nothing). The first full run embeds the 36,330
sentences once (4-5 minutes, cached). Full run: about 16 minutes on 2 cores; ``--quick``:
20,000 GloVe vectors only.
"""
from __future__ import annotations

import json
import math
import os
import platform
import time
from pathlib import Path

import faiss
import numpy as np

import embedkit as ek
from benchmarks.harness import Comparison, frontier, qps_at_recall, timed
from embedkit.datasets import embed_sentences, load_glove_angular, load_sentence_vectors

K = 10
THREADS = 2
TARGETS = (0.9, 0.95)
RESULTS = Path(__file__).resolve().parent / "reference_results"
M_HNSW, EFC = 32, 40
EF_SEARCH = (10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
NPROBES = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)
K_FACTORS = (1, 2, 4, 8, 16, 32, 64)


def _search_point(search, queries, gt) -> tuple[float, float]:
    """(recall@10, queries/s) of one setting: best of 3 timed runs of the whole batch."""
    seconds, I = timed(lambda: np.asarray(search(queries)), repeat=3)
    return ek.recall_at_k(np.asarray(I, dtype=np.int64), gt, K), queries.shape[0] / seconds


def _sweep(set_knob, values, search, queries, gt, *, stop_at: float = 0.999) -> list[list[float]]:
    """``[knob, recall, qps]`` for each knob value, stopping once recall reaches ``stop_at``."""
    rows = []
    for value in values:
        set_knob(value)
        recall, qps = _search_point(search, queries, gt)
        rows.append([value, recall, qps])
        if recall >= stop_at:
            break
    return rows


def _faiss_bytes(index) -> float:
    return ek.saved_size(index) / index.ntotal


def _ours_bytes(index) -> float:
    return ek.saved_size(index) / index.ntotal


def _family(name, ours, theirs, reference, *, build_ours, build_theirs, bytes_ours, bytes_theirs,
            sweep_ours, sweep_theirs, knob) -> dict:
    return {"family": name, "reference": reference, "knob": knob,
            "build_s": [build_ours, build_theirs], "bytes_per_vector": [bytes_ours, bytes_theirs],
            "sweep": {"embedkit": sweep_ours, reference: sweep_theirs}}


def _run_set(label: str, data, nlist: int, m: int, quick: bool) -> list[dict]:
    """Every family on one data set; returns the JSON-ready records."""
    X, Q, gt = data.database, data.queries, data.ground_truth(K)
    n, d = X.shape
    ip = faiss.METRIC_INNER_PRODUCT
    out = []
    search = lambda index: (lambda q: index.search(q, K)[1])

    # -- Flat ------------------------------------------------------------------------
    ours, theirs = ek.FlatIndex(d, "cosine"), faiss.IndexFlatIP(d)
    t_o, _ = timed(lambda: ours.add(X), repeat=1)
    t_t, _ = timed(lambda: theirs.add(X), repeat=1)
    out.append(_family("Flat", ours, theirs, "faiss IndexFlatIP", build_ours=t_o, build_theirs=t_t,
                       bytes_ours=_ours_bytes(ours), bytes_theirs=_faiss_bytes(theirs),
                       sweep_ours=[[0, *_search_point(search(ours), Q, gt)]],
                       sweep_theirs=[[0, *_search_point(search(theirs), Q, gt)]], knob="-"))
    del ours, theirs

    # -- IVF -------------------------------------------------------------------------
    ours = ek.IVFIndex(d, nlist, "cosine", seed=0)
    theirs = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, ip)
    t_o, _ = timed(lambda: (ours.train(X), ours.add(X)), repeat=1)
    t_t, _ = timed(lambda: (theirs.train(X), theirs.add(X)), repeat=1)
    nprobes = [p for p in NPROBES if p <= nlist]
    out.append(_family(f"IVF{nlist}", ours, theirs, "faiss IndexIVFFlat", build_ours=t_o,
                       build_theirs=t_t, bytes_ours=_ours_bytes(ours),
                       bytes_theirs=_faiss_bytes(theirs), knob="nprobe",
                       sweep_ours=_sweep(lambda v: setattr(ours, "nprobe", v), nprobes, search(ours), Q, gt),
                       sweep_theirs=_sweep(lambda v: setattr(theirs, "nprobe", v), nprobes, search(theirs), Q, gt)))
    del ours, theirs

    # -- PQ, exhaustive; then with exact re-ranking (k_factor sweep) -------------------------
    ours, theirs = ek.PQIndex(d, m, 8, "cosine", seed=0), faiss.IndexPQ(d, m, 8, ip)
    t_o, _ = timed(lambda: (ours.train(X), ours.add(X)), repeat=1)
    t_t, _ = timed(lambda: (theirs.train(X), theirs.add(X)), repeat=1)
    out.append(_family(f"PQ{m}", ours, theirs, "faiss IndexPQ", build_ours=t_o, build_theirs=t_t,
                       bytes_ours=_ours_bytes(ours), bytes_theirs=_faiss_bytes(theirs), knob="-",
                       sweep_ours=[[0, *_search_point(search(ours), Q, gt)]],
                       sweep_theirs=[[0, *_search_point(search(theirs), Q, gt)]]))
    # Re-ranking: embedkit keeps the raw vectors in the index (trained again: the same
    # seed gives the same codes); faiss wraps its populated IndexPQ in an IndexRefineFlat
    # that holds the raw vectors.
    ours_rr = ek.PQIndex(d, m, 8, "cosine", rerank=True, seed=0)
    t_rr, _ = timed(lambda: (ours_rr.train(X), ours_rr.add(X)), repeat=1)
    theirs_rr = faiss.IndexRefineFlat(theirs, faiss.swig_ptr(X))
    kfs = [f for f in K_FACTORS if f * K <= n]
    out.append(_family(f"PQ{m},RFlat", ours_rr, theirs_rr, "faiss IndexRefineFlat(IndexPQ)",
                       build_ours=t_rr, build_theirs=t_t, bytes_ours=_ours_bytes(ours_rr),
                       bytes_theirs=_faiss_bytes(theirs_rr), knob="k_factor",
                       sweep_ours=_sweep(lambda v: setattr(ours_rr, "k_factor", v), kfs, search(ours_rr), Q, gt),
                       sweep_theirs=_sweep(lambda v: setattr(theirs_rr, "k_factor", v), kfs, search(theirs_rr), Q, gt)))
    del ours, theirs, ours_rr, theirs_rr

    # -- IVF-PQ, then with re-ranking ---------------------------------------------------
    ours = ek.IVFPQIndex(d, nlist, m, 8, "cosine", seed=0)
    theirs = faiss.IndexIVFPQ(faiss.IndexFlatIP(d), d, nlist, m, 8, ip)
    t_o, _ = timed(lambda: (ours.train(X), ours.add(X)), repeat=1)
    t_t, _ = timed(lambda: (theirs.train(X), theirs.add(X)), repeat=1)
    out.append(_family(f"IVF{nlist},PQ{m}", ours, theirs, "faiss IndexIVFPQ", build_ours=t_o,
                       build_theirs=t_t, bytes_ours=_ours_bytes(ours),
                       bytes_theirs=_faiss_bytes(theirs), knob="nprobe",
                       sweep_ours=_sweep(lambda v: setattr(ours, "nprobe", v), nprobes, search(ours), Q, gt),
                       sweep_theirs=_sweep(lambda v: setattr(theirs, "nprobe", v), nprobes, search(theirs), Q, gt)))
    ours = ek.IVFPQIndex(d, nlist, m, 8, "cosine", rerank=True, k_factor=8, seed=0)
    t_o, _ = timed(lambda: (ours.train(X), ours.add(X)), repeat=1)
    theirs_rr = faiss.IndexRefineFlat(theirs, faiss.swig_ptr(X))
    theirs_rr.k_factor = 8

    def nprobe_rr(v):
        ours.nprobe = v
        faiss.extract_index_ivf(theirs_rr.base_index).nprobe = v

    out.append(_family(f"IVF{nlist},PQ{m},RFlat", ours, theirs_rr, "faiss IndexRefineFlat(IndexIVFPQ)",
                       build_ours=t_o, build_theirs=t_t, bytes_ours=_ours_bytes(ours),
                       bytes_theirs=_faiss_bytes(theirs_rr), knob="nprobe (k_factor 8)",
                       sweep_ours=_sweep(nprobe_rr, nprobes, search(ours), Q, gt),
                       sweep_theirs=_sweep(nprobe_rr, nprobes, search(theirs_rr), Q, gt)))
    del ours, theirs, theirs_rr

    # -- HNSW: embedkit, faiss and hnswlib -------------------------------------------------
    import hnswlib

    ours = ek.HNSWIndex(d, M=M_HNSW, ef_construction=EFC, metric="cosine", seed=0)
    theirs = faiss.IndexHNSWFlat(d, M_HNSW, ip)
    theirs.hnsw.efConstruction = EFC
    lib = hnswlib.Index(space="ip", dim=d)
    lib.init_index(max_elements=n, M=M_HNSW, ef_construction=EFC, random_seed=100)
    t_o, _ = timed(lambda: ours.add(X), repeat=1)
    t_t, _ = timed(lambda: theirs.add(X), repeat=1)
    t_l, _ = timed(lambda: lib.add_items(X, num_threads=THREADS), repeat=1)

    def ef_all(v):
        ours.ef_search = v
        theirs.hnsw.efSearch = v
        lib.set_ef(v)

    record = _family(f"HNSW{M_HNSW}", ours, theirs, "faiss IndexHNSWFlat", build_ours=t_o,
                     build_theirs=t_t, bytes_ours=_ours_bytes(ours),
                     bytes_theirs=_faiss_bytes(theirs), knob="ef_search",
                     sweep_ours=_sweep(ef_all, EF_SEARCH, search(ours), Q, gt),
                     sweep_theirs=_sweep(ef_all, EF_SEARCH, search(theirs), Q, gt))
    record["hnswlib"] = {"build_s": t_l,
                         "bytes_per_vector": ek.saved_size(lib) / n,
                         "sweep": _sweep(ef_all, EF_SEARCH,
                                         lambda q: lib.knn_query(q, K, num_threads=THREADS)[0], Q, gt)}
    out.append(record)
    del ours, theirs, lib

    # -- families without a same-algorithm faiss counterpart: embedkit's frontier -------
    sq, ref = ek.SQIndex(d, 8, "cosine"), faiss.IndexScalarQuantizer(d, faiss.ScalarQuantizer.QT_8bit, ip)
    t_o, _ = timed(lambda: (sq.train(X), sq.add(X)), repeat=1)
    t_t, _ = timed(lambda: (ref.train(X), ref.add(X)), repeat=1)
    out.append(_family("SQ8", sq, ref, "faiss IndexScalarQuantizer", build_ours=t_o, build_theirs=t_t,
                       bytes_ours=_ours_bytes(sq), bytes_theirs=_faiss_bytes(ref), knob="-",
                       sweep_ours=[[0, *_search_point(search(sq), Q, gt)]],
                       sweep_theirs=[[0, *_search_point(search(ref), Q, gt)]]))
    del sq, ref
    singles = []
    binary = ek.BinaryIndex(d, "cosine", store_vectors=True)
    t_o, _ = timed(lambda: (binary.train(X), binary.add(X)), repeat=1)
    singles.append(("binary+rescore", binary, t_o, "rescore", (1, 2, 4, 8, 16, 32, 64),
                    lambda v: setattr(binary, "rescore", v)))
    lsh = ek.LSHIndex(d, nbits=min(16, max(8, int(math.log2(n)) - 4)), ntables=16, seed=0)
    t_o, _ = timed(lambda: lsh.add(X), repeat=1)
    singles.append(("LSH16 tables", lsh, t_o, "nprobe", (1, 2, 4, 8, 16, 32),
                    lambda v: setattr(lsh, "nprobe", v)))
    forest = ek.RPForestIndex(d, n_trees=16, leaf_size=32, metric="cosine", seed=0)
    t_o, _ = timed(lambda: forest.add(X), repeat=1)
    singles.append(("RP forest 16 trees", forest, t_o, "search_k",
                    (500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000),
                    lambda v: setattr(forest, "search_k", v)))
    for name, index, build, knob, values, set_knob in singles:
        out.append({"family": name, "reference": None, "knob": knob, "build_s": [build, None],
                    "bytes_per_vector": [_ours_bytes(index), None],
                    "sweep": {"embedkit": _sweep(set_knob, values, search(index), Q, gt)}})
    for record in out:
        record["set"] = label
    return out


def _growth(data_for_n, sizes) -> list[dict]:
    """Build seconds, bytes/vector and queries/s at a fixed setting as n grows."""
    rows = []
    for n in sizes:
        data = data_for_n(n)
        X, Q, gt = data.database, data.queries, data.ground_truth(K)
        d = X.shape[1]
        nlist = int(4 * math.sqrt(n) / 64 + 0.5) * 64
        for name, make, knob in (
                ("Flat", lambda: ek.FlatIndex(d, "cosine"), None),
                (f"IVF{nlist} nprobe 16", lambda: ek.IVFIndex(d, nlist, "cosine", seed=0), ("nprobe", 16)),
                (f"HNSW{M_HNSW} ef_search 64", lambda: ek.HNSWIndex(d, M_HNSW, EFC, "cosine", seed=0),
                 ("ef_search", 64))):
            index = make()
            build, _ = timed(lambda: (index.needs_training and index.train(X), index.add(X)), repeat=1)
            if knob:
                setattr(index, *knob)
            recall, qps = _search_point(lambda q: index.search(q, K)[1], Q, gt)
            rows.append({"n": n, "index": name.split()[0], "setting": name, "build_s": build,
                         "bytes_per_vector": _ours_bytes(index), "qps": qps, "recall": recall})
    return rows


def _rows(records) -> list[Comparison]:
    """The ratio table: queries/s at equal recall, best recall, build time, bytes/vector."""
    rows = []
    for rec in records:
        ref = rec["reference"]
        if ref is None:
            continue
        case = f"{rec['set']} {rec['family']}"
        ours, theirs = rec["sweep"]["embedkit"], rec["sweep"][ref]
        pts = lambda sweep: [(r, q) for _, r, q in sweep]
        if len(ours) == 1:   # one setting: compare directly
            rows.append(Comparison(case, "queries/s", ours[0][2], theirs[0][2], ref, target=">= 0.5x"))
        else:
            for target in TARGETS:
                rows.append(Comparison(case, f"queries/s at recall {target}",
                                       qps_at_recall(pts(ours), target), qps_at_recall(pts(theirs), target),
                                       ref, target=">= 0.5x"))
        rows.append(Comparison(case, "best recall@10", max(r for _, r, _ in ours),
                               max(r for _, r, _ in theirs), ref, target="within 0.01"))
        rows.append(Comparison(case, "build s", rec["build_s"][0], rec["build_s"][1], ref,
                               higher_is_better=False, target="<= 2x"))
        rows.append(Comparison(case, "bytes/vector (saved file)", rec["bytes_per_vector"][0],
                               rec["bytes_per_vector"][1], ref, higher_is_better=False))
        if "hnswlib" in rec:
            lib = rec["hnswlib"]
            for target in TARGETS:
                rows.append(Comparison(case, f"queries/s at recall {target}",
                                       qps_at_recall(pts(ours), target), qps_at_recall(pts(lib["sweep"]), target),
                                       "hnswlib"))
            rows.append(Comparison(case, "build s", rec["build_s"][0], lib["build_s"], "hnswlib",
                                   higher_is_better=False))
    return rows


def run(quick: bool = False) -> list[Comparison]:
    ek.set_num_threads(THREADS)
    faiss.omp_set_num_threads(THREADS)
    warm = np.random.default_rng(0).standard_normal((2_000, 8)).astype(np.float32)
    for index in (ek.HNSWIndex(8, M=4), ek.RPForestIndex(8), ek.IVFPQIndex(8, 4, 2), ek.PQIndex(8, 2)):
        if index.needs_training:
            index.train(warm)
        index.add(warm)
        index.search(warm[:50], 5)          # compile (or load from numba's cache) before timing
    started = time.perf_counter()
    if quick:
        glove, sentences, sizes = load_glove_angular(20_000), None, (5_000, 20_000)
    else:
        glove, sizes = load_glove_angular(), (10_000, 40_000, 160_000, 390_000)
        embed_sentences(None, progress=True)               # once: 4-5 minutes, then cached
        sentences = load_sentence_vectors()
    records = _run_set("GloVe-50 angular", glove, 1024 if not quick else 128, 25, quick)
    if sentences is not None:
        records += _run_set("MiniLM sentences", sentences, 256, 48, quick)
    growth = _growth(lambda n: load_glove_angular(n), sizes)
    if quick:                         # a smoke run: the recorded results stay as they are
        return _rows(records)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "real_data.json"
    meta = {"threads": THREADS, "k": K, "machine": platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "faiss": faiss.__version__, "quick": quick,
            "seconds": round(time.perf_counter() - started),
            "command": "flock -x /tmp/embedkit-cpu.lock make bench (or python -m benchmarks --only real_data)",
            "sets": {"GloVe-50 angular": list(glove.database.shape) + [glove.queries.shape[0]]}}
    if sentences is not None:
        meta["sets"]["MiniLM sentences"] = list(sentences.database.shape) + [sentences.queries.shape[0]]
    path.write_text(json.dumps({"meta": meta, "families": records, "growth": growth}, indent=1))
    return _rows(records)
