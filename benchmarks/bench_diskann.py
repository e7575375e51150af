"""Vamana and DiskANN (lesson 17) against diskannpy, the authors' library, on GloVe vectors.

Data: pretrained GloVe 6B 50d, angular (``embedkit.datasets.load_glove_angular``):
100,000 unit-length vectors and 1,000 held-out query words (``--quick``: 20,000 and 200),
ground truth from the data set's cached exact top-k. The vectors are unit length, so
embedkit runs ``metric="cosine"`` and diskannpy ``"l2"``: the same order of neighbours.
Both libraries run on **2 threads** (``ek.set_num_threads(2)``, diskannpy
``num_threads=2``); every compiled loop is warmed up before timing; each search is the
whole batch, best of 3.

* **Vamana vs diskannpy's memory index** (``build_memory_index`` / ``StaticMemoryIndex``),
  both built with R = 32, L = 64, alpha = 1.2: recall@10 at equal search complexity
  (``search_L`` = diskannpy's ``complexity``), queries/s at recall 0.9 and 0.95 read off
  each library's sweep of that knob (``qps_at_recall``), build seconds.
* **DiskANN vs diskannpy's disk index** (``build_disk_index`` / ``StaticDiskIndex``), same
  graph settings, the same PQ code size in RAM (``pq_m`` bytes; diskannpy's code size
  follows from its ``search_memory_maximum``, set to give exactly ``pq_m`` bytes, checked
  from its ``ann_pq_compressed.bin``), beam width 2, no cached nodes: queries/s at equal
  recall, RAM and disk bytes per vector, records read per query (embedkit's count;
  diskannpy's Python API does not report its reads: nan), build seconds.

Caveat on disk speed: diskannpy reads its sectors with direct I/O (``O_DIRECT``, past
the page cache), so each of its reads waits for the device; embedkit maps the file and,
on this data, finds it in the page cache. Its queries/s is the algorithm's CPU cost,
diskannpy's the cost of a real SSD search: compare reads per query, not speed, here.

A full run writes the numbers and the sweep points (for a recall/speed plot) to
``benchmarks/reference_results/diskann.json``; ``--quick`` writes nothing. Full run:
about 4 minutes on 2 cores (186 s measured, plus loading).
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

import embedkit as ek
from benchmarks.harness import Comparison, qps_at_recall, timed
from embedkit._saved_files import atomic_write
from embedkit.datasets import load_glove_angular

K = 10
THREADS = 2
TARGETS = (0.9, 0.95)
R, L, ALPHA, PQ_M, BEAM = 32, 64, 1.2, 10, 2
EQUAL = (10, 20, 40)                                   # complexities compared point by point
SWEEP = (10, 12, 16, 20, 24, 32, 40, 48, 64, 96, 128, 192)
RESULTS = Path(__file__).resolve().parent / "reference_results"


@contextlib.contextmanager
def _quiet():
    """Silence diskannpy's C++ logging (it writes straight to file descriptors 1 and 2)."""
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _sweep(search, queries, gt, repeat: int = 3) -> list[list[float]]:
    """``[complexity, recall@10, queries/s]`` for each complexity of ``SWEEP`` (every
    complexity of ``EQUAL``, then on until recall reaches 0.995)."""
    rows = []
    for c in SWEEP:
        seconds, I = timed(lambda: np.asarray(search(queries, c)), repeat=repeat)
        rows.append([c, ek.recall_at_k(I.astype(np.int64), gt, K), queries.shape[0] / seconds])
        if c >= max(EQUAL) and rows[-1][1] >= 0.995:
            break
    return rows


def _warm_up() -> None:
    x = np.random.default_rng(0).standard_normal((600, 8)).astype(np.float32)
    for index in (ek.VamanaIndex(8, R=4, L=8), ek.DiskANNIndex(8, R=4, L=8, pq_m=2)):
        index.add(x)
        index.search(x[:20], 5)        # compile (or load from numba's cache) before timing


def _memory(X, Q, gt, folder) -> dict:
    import diskannpy

    ours = ek.VamanaIndex(X.shape[1], R=R, L=L, alpha=ALPHA, metric="cosine")
    build_ours, _ = timed(lambda: ours.add(X), repeat=1)
    with _quiet():
        build_theirs, _ = timed(lambda: diskannpy.build_memory_index(
            X, distance_metric="l2", index_directory=folder, complexity=L, graph_degree=R,
            alpha=ALPHA, num_threads=THREADS), repeat=1)
        theirs = diskannpy.StaticMemoryIndex(folder, num_threads=THREADS,
                                             initial_search_complexity=max(SWEEP))

    def search_ours(q, c):
        ours.search_L = c
        return ours.search(q, K)[1]

    search_theirs = lambda q, c: theirs.batch_search(q, K, c, THREADS).identifiers
    sweep_ours, sweep_theirs = _sweep(search_ours, Q, gt), _sweep(search_theirs, Q, gt)
    return {"build_s": [build_ours, build_theirs], "bytes_per_vector": ours.memory_bytes / ours.ntotal,
            "mean_degree": float(ours.degrees.mean()),
            "sweep": {"embedkit": sweep_ours, "diskannpy": sweep_theirs}}


def _disk(X, Q, gt, folder) -> dict:
    import diskannpy

    n = X.shape[0]
    ours = ek.DiskANNIndex(X.shape[1], R=R, L=L, alpha=ALPHA, pq_m=PQ_M, metric="cosine")
    build_ours, _ = timed(lambda: (ours.add(X), ours.write(os.path.join(folder, "ek.diskann"))),
                          repeat=1)
    ours = ek.DiskANNIndex.open(os.path.join(folder, "ek.diskann"))
    ours.beam_width = BEAM
    theirs_dir = os.path.join(folder, "diskannpy")
    os.mkdir(theirs_dir)
    with _quiet():
        # diskannpy's PQ bytes per vector = floor(search_memory_maximum in bytes / n)
        build_theirs, _ = timed(lambda: diskannpy.build_disk_index(
            X, "l2", theirs_dir, complexity=L, graph_degree=R,
            search_memory_maximum=(PQ_M + 0.5) * n / 2**30, build_memory_maximum=4.0,
            num_threads=THREADS), repeat=1)
        theirs = diskannpy.StaticDiskIndex(theirs_dir, num_threads=THREADS, num_nodes_to_cache=0)
    their_pq = (os.path.getsize(os.path.join(theirs_dir, "ann_pq_compressed.bin")) - 8) / n
    their_disk = os.path.getsize(os.path.join(theirs_dir, "ann_disk.index")) / n

    reads = {}

    def search_ours(q, c):
        ours.search_L = c
        I = ours.search(q, K)[1]
        reads[c] = [float(ours.last_search_reads.mean()), float(ours.last_search_rounds.mean())]
        return I

    with _quiet():      # diskannpy logs every disk search
        search_theirs = lambda q, c: theirs.batch_search(q, K, c, THREADS, BEAM).identifiers
        sweep_theirs = _sweep(search_theirs, Q, gt, repeat=1)   # waits on the device: steady
    sweep_ours = _sweep(search_ours, Q, gt)
    return {"build_s": [build_ours, build_theirs],
            "ram_bytes_per_vector": [ours.ram_bytes_per_vector, their_pq],
            "disk_bytes_per_vector": [ours.disk_bytes_per_vector, their_disk],
            "reads_rounds_per_query": {str(c): v for c, v in reads.items()},
            "sweep": {"embedkit": sweep_ours, "diskannpy": sweep_theirs}}


def _rows(case: str, memory: dict, disk: dict) -> list[Comparison]:
    pts = lambda sweep: [(r, q) for _, r, q in sweep]
    at = lambda sweep, c: next(r for cc, r, _ in sweep if cc == c)
    rows = []
    for label, rec, ref in ((f"Vamana {case}", memory, "diskannpy memory"),
                            (f"DiskANN {case}", disk, "diskannpy disk")):
        ours, theirs = rec["sweep"]["embedkit"], rec["sweep"]["diskannpy"]
        for c in EQUAL:
            rows.append(Comparison(f"{label} L_search={c}", "recall@10", at(ours, c), at(theirs, c),
                                   ref, target="within 0.01"))
        for target in TARGETS:
            rows.append(Comparison(label, f"queries/s at recall {target}",
                                   qps_at_recall(pts(ours), target),
                                   qps_at_recall(pts(theirs), target), ref, target=">= 0.25x"))
        rows.append(Comparison(label, "build s", rec["build_s"][0], rec["build_s"][1], ref,
                               higher_is_better=False))
    rows.append(Comparison(f"DiskANN {case}", "RAM bytes/vector", disk["ram_bytes_per_vector"][0],
                           disk["ram_bytes_per_vector"][1], "diskannpy disk", higher_is_better=False))
    rows.append(Comparison(f"DiskANN {case}", "disk bytes/vector", disk["disk_bytes_per_vector"][0],
                           disk["disk_bytes_per_vector"][1], "diskannpy disk", higher_is_better=False))
    for c in EQUAL:
        rows.append(Comparison(f"DiskANN {case} L_search={c} W={BEAM}", "reads/query",
                               disk["reads_rounds_per_query"][str(c)][0], float("nan"),
                               "diskannpy disk (not reported)", higher_is_better=False))
    return rows


def run(quick: bool = False) -> list[Comparison]:
    ek.set_num_threads(THREADS)
    _warm_up()
    started = time.perf_counter()
    n, nq = (20_000, 200) if quick else (100_000, 1_000)
    data = load_glove_angular(n, nq)
    X, Q, gt = data.database, data.queries, data.ground_truth(K)
    with tempfile.TemporaryDirectory() as folder:
        os.mkdir(os.path.join(folder, "memory"))
        memory = _memory(X, Q, gt, os.path.join(folder, "memory"))
        disk = _disk(X, Q, gt, folder)
    case = f"GloVe-50 n={n} nq={nq}"
    rows = _rows(case, memory, disk)
    if quick:                         # a smoke run: the recorded results stay as they are
        return rows
    import diskannpy  # noqa: F401  (its version is not exposed; pip's metadata has it)
    from importlib.metadata import version

    meta = {"threads": THREADS, "k": K, "machine": platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "diskannpy": version("diskannpy"),
            "data": case, "R": R, "L": L, "alpha": ALPHA, "pq_m": PQ_M, "beam_width": BEAM,
            "seconds": round(time.perf_counter() - started),
            "command": "flock -x /tmp/embedkit-cpu.lock env OMP_NUM_THREADS=1 "
                       "python -m benchmarks --only diskann"}
    record = {"meta": meta, "vamana_vs_memory_index": memory, "diskann_vs_disk_index": disk,
              "rows": [{"case": r.case, "metric": r.metric, "embedkit": r.ours,
                        "reference": r.reference, "value": r.theirs, "target": r.target}
                       for r in rows]}
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(record, indent=1, allow_nan=True)
    atomic_write(RESULTS / "diskann.json", lambda fh: fh.write(text.encode("utf-8")))
    return rows
