"""Corrupts saved embedkit files and uses them, in a child process (see test_saved_files.py).

Run as ``python tests/saved_files_worker.py FOLDER FLIPS SEED``: builds one small saved
file of every type in FOLDER, then for each type

* flips FLIPS random bytes (one per trial, seeded, anywhere in the file) and loads+uses it,
* truncates it at 16 lengths and loads it,
* applies the hand-made edits of ``EDITS`` with a recomputed checksum (the structural
  checks must catch them),

and prints one JSON line per type with the outcome counts. Every outcome must be
"error" (a ``SavedFileError`` naming the file) or "identical" (the same results as the
original); anything else is counted as "garbage" or "wrong_error". A crash (segfault)
kills this process, and the parent test reports which type and trial it was on: the
worker prints "START <type>" before each type and flushes.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import embedkit as ek  # noqa: E402
from embedkit._saved_files import SavedFileError, payload_sha256  # noqa: E402
from embedkit.search.index_base import Persistable  # noqa: E402

D = 8
RNG = np.random.default_rng(0)
X = RNG.standard_normal((300, D)).astype(np.float32)
Q = RNG.standard_normal((7, D)).astype(np.float32)


# -- one saved object of each type, with a function that "uses" it --------------------------
def _index(make, train=True):
    idx = make()
    if idx.needs_training and train:
        idx.train(X)
    idx.add(X)
    return idx


def _hnsw_with_removals():
    """An HNSW graph whose file also carries removed vectors (repaired and tombstones)."""
    index = _index(lambda: ek.HNSWIndex(D, M=4, ef_construction=16))
    index.remove(np.arange(100, 140, 4))
    index.remove(np.arange(101, 140, 4), repair=False)
    return index


def _search(obj):
    D_, I = obj.search(Q, 5)
    assert ((I >= -1) & (I < obj.ntotal)).all(), "ids out of range"
    return D_, I


def _codec(obj):
    return obj.encode(X[:20]), obj.decode(obj.encode(X[:20]))


def _builders():
    """name -> (build the object, file name, load, use)."""
    idx = lambda make: (lambda: _index(make), "index.ekidx", Persistable.load, _search)
    words = [f"w{i}" for i in range(50)]
    sent = [" ".join(RNG.choice(words, 5)) for _ in range(10)]
    return {
        "FlatIndex": idx(lambda: ek.FlatIndex(D)),
        "IVFIndex": idx(lambda: ek.IVFIndex(D, 8)),
        "IVFPQIndex": idx(lambda: ek.IVFPQIndex(D, 8, 4, nbits=4)),
        "PQIndex": idx(lambda: ek.PQIndex(D, 4, nbits=4)),
        "HNSWIndex": (_hnsw_with_removals, "index.ekidx", Persistable.load, _search),
        "RPForestIndex": idx(lambda: ek.RPForestIndex(D, 3, 10)),
        "LSHIndex": idx(lambda: ek.LSHIndex(D, 12)),
        "SQIndex": idx(lambda: ek.SQIndex(D, bits=4)),
        "BinaryIndex": idx(lambda: ek.BinaryIndex(D)),
        "ProductQuantizer": (lambda: ek.ProductQuantizer(4, nbits=4).fit(X), "pq.ekidx",
                             ek.ProductQuantizer.load, _codec),
        "OPQ": (lambda: ek.OPQ(4, nbits=4, n_iter=2).fit(X), "opq.ekidx", ek.OPQ.load, _codec),
        "ScalarQuantizer": (lambda: ek.ScalarQuantizer(8).fit(X), "sq.ekidx",
                            ek.ScalarQuantizer.load, _codec),
        "BinaryQuantizer": (lambda: ek.BinaryQuantizer().fit(X), "bq.ekidx",
                            ek.BinaryQuantizer.load, _codec),
        "WordVectors": (lambda: ek.WordVectors(words, RNG.standard_normal((50, D)),
                                               counts=np.arange(50, 0, -1)),
                        "wv.npz", ek.WordVectors.load,
                        lambda wv: (wv.vectors, wv.words, wv.counts, wv.most_similar("w3", topn=5))),
        "SubwordVectors": (lambda: ek.SubwordVectors(
                               words, RNG.standard_normal((50, D)), RNG.standard_normal((len(_BUCKETS), D)),
                               _BUCKETS, min_n=2, max_n=3, bucket=1000, counts=np.arange(50, 0, -1)),
                           "sv.npz", ek.SubwordVectors.load,
                           lambda sv: (sv.vectors, sv.words, sv.ngram_ids, sv["w3x"], sv.most_similar("w1z", topn=5))),
        "SentenceEncoder": (lambda: ek.SentenceEncoder(words, 8), "encoder.npz",
                            ek.SentenceEncoder.load, lambda enc: enc.encode(sent)),
        "VectorStore": (_build_store, "store", ek.VectorStore.load,
                        lambda st: (_search(st.index), st.search(Q, 5, where={"topic": "b"}),
                                    st.metadata(np.arange(len(st))))),
    }


def _subword_buckets():
    from embedkit.text.subword import char_ngrams, ngram_buckets

    grams = [g for i in range(50) for g in char_ngrams(f"w{i}", 2, 3, whole_word=False)]
    return np.unique(ngram_buckets(grams, 1000))


_BUCKETS = _subword_buckets()


def _build_store():
    store = ek.VectorStore(ek.HNSWIndex(D, M=4, ef_construction=16), ["topic", "n"])
    store.add(X, [{"topic": "ab"[i % 2], "n": i} for i in range(len(X))])
    return store


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (tuple, list)):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and all(map(_same, a, b))
    return a == b


# -- the edits made with a recomputed checksum (name -> (type, function on the arrays)) -------
def _set(key, index, value):
    def edit(arrays):
        arrays[key] = arrays[key].copy()
        arrays[key][index] = value
    return edit


def _swap_levels(levels):
    """The levels of a layer-0-only node and of a node on layer 1 swapped (same total)."""
    levels = levels.copy()
    i, j = int(np.flatnonzero(levels == 0)[0]), int(np.flatnonzero(levels == 1)[0])
    levels[i], levels[j] = 1, 0
    return levels


EDITS = {
    "HNSW layer-0 link past n": ("HNSWIndex", _set("links0", (5, 0), 10_000)),
    "HNSW layer-0 link negative": ("HNSWIndex", _set("links0", (5, 0), -7)),
    "HNSW count0 above 2M": ("HNSWIndex", _set("count0", 3, 99)),
    "HNSW upper link past n": ("HNSWIndex", _set("links_up", (0, 0), 10_000)),
    "HNSW up_offset out of place": ("HNSWIndex", _set("up_offset", -1, 10_000)),
    "HNSW top-layer vectors marked removed": ("HNSWIndex", lambda a: a["removed"].__setitem__(
        a["levels"] == a["levels"].max(), True)),
    "HNSW levels of two nodes swapped": ("HNSWIndex", lambda a: a.update(levels=_swap_levels(a["levels"]))),
    "RP-tree leaf id past n": ("RPForestIndex", _set("leaf_ids", 4, 10_000)),
    "RP-tree leaf_start decreasing": ("RPForestIndex", _set("leaf_start", 2, 0)),
    "RP-tree child cycle": ("RPForestIndex", _set("children", (1, 0), 0)),
    "IVF id past n": ("IVFIndex", _set("ids", 3, 10_000)),
    "IVF duplicate id": ("IVFIndex", _set("ids", 3, 0)),
    "IVF offsets decreasing": ("IVFIndex", _set("offsets", 2, 0)),
    "IVF-PQ id past ntotal": ("IVFPQIndex", _set("ids", 3, 10_000)),
    "IVF-PQ code >= ksub": ("IVFPQIndex", _set("codes", (0, 0), 200)),
    "PQIndex code >= ksub": ("PQIndex", _set("codes", (0, 0), 16)),
    "BinaryIndex codes wider": ("BinaryIndex", lambda a: a.update(codes=np.zeros((300, 9), np.uint8))),
    "Flat vectors of another width": ("FlatIndex", lambda a: a.update(vectors=np.zeros((300, 9), np.float32))),
    "LSH codes for fewer vectors": ("LSHIndex", lambda a: a.update(codes=a["codes"][:10])),
    "PQ codebooks of another shape": ("ProductQuantizer",
                                      lambda a: a.update(codebooks=a["codebooks"][:, :8])),
    "WordVectors one word fewer": ("WordVectors", lambda a: a.update(words=a["words"][:-1])),
    "WordVectors negative count": ("WordVectors", _set("counts", 0, -5)),
    "SubwordVectors n-gram bucket past bucket": ("SubwordVectors", _set("ngram_ids", 0, 5000)),
    "SubwordVectors composed vectors edited": ("SubwordVectors", _set("vectors", (0, 0), 7.0)),
    "SentenceEncoder weight of another shape": (
        "SentenceEncoder", lambda a: a.update({"state.proj.weight": np.zeros((3, 3), np.float32)})),
    "SentenceEncoder NaN weight": ("SentenceEncoder", _set("state.proj.weight", (0, 0), np.nan)),
}


def _rewrite(src: Path, dst: Path, edit) -> None:
    """Apply ``edit`` to the arrays of an embedkit .npz and write it with a fresh checksum."""
    with np.load(src, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = json.loads(arrays.pop("__header__").tobytes())
    edit(arrays)
    header["sha256"] = payload_sha256(header["params"], arrays)
    header["arrays"] = sorted(arrays)
    encoded = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(dst, "wb") as fh:
        np.savez(fh, __header__=encoded, **arrays)


# -- outcomes --------------------------------------------------------------------------------
def _try(load, use, path, expected) -> str:
    try:
        obj = load(path)
    except SavedFileError as err:
        return "error" if str(path) in str(err) or path.name in str(err) else "wrong_error"
    except Exception as err:  # noqa: BLE001
        return f"wrong_error:{type(err).__name__}: {err}"[:300]
    try:
        got = use(obj)
    except Exception as err:  # noqa: BLE001 - a loaded file must work
        return f"garbage:{type(err).__name__}: {err}"[:300]
    return "identical" if _same(got, expected) else "garbage"


def main(folder: str, flips: int, seed: int, only: str = "") -> None:
    folder = Path(folder)
    rng = np.random.default_rng(seed)
    for name, (build, fname, load, use) in _builders().items():
        if only and name not in only.split(","):
            continue
        print("START", name, flush=True)
        obj = build()
        original = folder / name / fname
        original.parent.mkdir(parents=True)
        obj.save(original)
        expected = use(load(original))
        assert _same(expected, use(obj))
        trial = folder / name / ("trial" if original.is_file() else "trial_store")
        counts: dict[str, int] = {}
        examples: list[str] = []

        def record(kind: str, outcome: str):
            key = f"{kind}:{outcome.split(':')[0]}"
            counts[key] = counts.get(key, 0) + 1
            if not outcome.startswith(("error", "identical")) and len(examples) < 5:
                examples.append(f"{kind}: {outcome}")

        files = [original] if original.is_file() else sorted(p for p in original.iterdir())
        target = (lambda f: trial) if original.is_file() else (lambda f: trial / f.name)
        for i in range(flips):
            f = files[i % len(files)]
            data = bytearray(f.read_bytes())
            pos = int(rng.integers(len(data)))
            data[pos] ^= int(rng.integers(1, 256))
            if not original.is_file():
                shutil.rmtree(trial, ignore_errors=True)
                shutil.copytree(original, trial)
            target(f).write_bytes(bytes(data))
            record("flip", _try(load, use, trial, expected))
        for f in files:
            size = f.stat().st_size
            for cut in np.unique(np.linspace(0, size - 1, 16).astype(int)):
                if not original.is_file():
                    shutil.rmtree(trial, ignore_errors=True)
                    shutil.copytree(original, trial)
                target(f).write_bytes(f.read_bytes()[:cut])
                record("truncate", _try(load, use, trial, expected))
        for edit_name, (kind, edit) in EDITS.items():
            if kind == name:
                _rewrite(original, trial, edit)
                outcome = _try(load, use, trial, expected)
                record("edit", outcome if outcome != "identical" else "garbage:edit not detected")
        if trial.is_dir():
            shutil.rmtree(trial)
        print(json.dumps({"type": name, "counts": counts, "examples": examples}), flush=True)
    print("DONE", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *(sys.argv[4:5]))
