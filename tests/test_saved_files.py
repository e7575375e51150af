"""The one file format (embedkit._saved_files): damaged, edited, foreign and half-written files.

* Every saved type (9 indexes, 4 quantizers, word and subword vectors, sentence encoder,
  vector store)
  is corrupted in a child process (tests/saved_files_worker.py), so a segfault is a test
  failure rather than the end of the run: 200 seeded single-byte flips anywhere in the
  file, 16 truncations, and hand-made edits with a recomputed checksum. Every outcome
  must be a ``SavedFileError`` naming the file, or results identical to the original.
* A save killed while writing (SIGKILL, and an exception half-way) leaves the previous
  file loadable.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import embedkit as ek
from embedkit._saved_files import (CONTAINER_VERSION, SavedFileError, atomic_write, check_index_array,
                                   check_offsets, load_npz, save_npz)

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "saved_files_worker.py"
FLIPS = 200
TYPES = ("FlatIndex IVFIndex IVFPQIndex PQIndex HNSWIndex RPForestIndex LSHIndex SQIndex "
         "BinaryIndex ProductQuantizer OPQ ScalarQuantizer BinaryQuantizer WordVectors "
         "SubwordVectors SentenceEncoder VectorStore").split()


@pytest.fixture(scope="module")
def corruption_report(tmp_path_factory):
    """Run the worker once for every type; returns {type: counts} (and fails on a crash)."""
    folder = tmp_path_factory.mktemp("corrupt")
    proc = subprocess.run([sys.executable, str(WORKER), str(folder), str(FLIPS), "20"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    lines = proc.stdout.splitlines()
    started = [line.split()[1] for line in lines if line.startswith("START")]
    assert proc.returncode == 0 and lines and lines[-1] == "DONE", (
        f"the corruption worker died (return code {proc.returncode}, a negative code is a "
        f"signal, e.g. -11 = segfault) while on {started[-1:]}:\n{proc.stderr[-3000:]}")
    return {r["type"]: r for r in map(json.loads, (line for line in lines if line.startswith("{")))}


@pytest.mark.parametrize("kind", TYPES)
def test_corrupted_files_give_a_clear_error_or_identical_results(corruption_report, kind, census):
    report = corruption_report[kind]
    counts = report["counts"]
    census("saved files", f"{kind}.load", sum(counts.values()))
    bad = {k: v for k, v in counts.items() if not k.endswith((":error", ":identical"))}
    assert not bad, f"{kind}: {bad}; e.g. {report['examples']}"
    flips = sum(v for k, v in counts.items() if k.startswith("flip:"))
    assert flips == FLIPS and counts.get("truncate:error", 0) >= 16
    # most flips land in checksummed bytes; the rest (zip timestamps, padding) change nothing
    assert counts.get("flip:error", 0) >= FLIPS // 2


def test_every_structural_edit_is_caught(corruption_report):
    """Edits with a recomputed checksum: the class's structural checks must catch each one."""
    from saved_files_worker import EDITS   # noqa: PLC0415 - tests/ is on sys.path under pytest

    per_type: dict[str, int] = {}
    for kind, _ in EDITS.values():
        per_type[kind] = per_type.get(kind, 0) + 1
    for kind, n in per_type.items():
        assert corruption_report[kind]["counts"].get("edit:error", 0) == n, corruption_report[kind]


# -- the container, directly ----------------------------------------------------------------
def _save(path, **arrays):
    save_npz(path, format="embedkit-test", cls="Thing", version=1, params={"a": 1}, arrays=arrays)


def test_round_trip_and_header(tmp_path):
    path = tmp_path / "thing.bin"
    _save(path, x=np.arange(6, dtype=np.float32).reshape(2, 3), w=np.array(["a", "bé"]))
    header, arrays = load_npz(path, format="embedkit-test", what="embedkit test")
    assert header["class"] == "Thing" and header["container"] == CONTAINER_VERSION
    assert arrays["x"].shape == (2, 3) and arrays["w"].tolist() == ["a", "bé"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thing.bin"]   # no temp files left
    with np.load(path, allow_pickle=False) as npz:                        # plain numpy reads it
        assert set(npz.files) == {"__header__", "x", "w"}


@pytest.mark.parametrize("content, match", [
    (b"", "not a readable"),
    (b"hello world", "not a readable"),
    (b"PK\x03\x04" + b"\x00" * 40, "not a readable"),
])
def test_foreign_and_empty_files(tmp_path, content, match):
    path = tmp_path / "f.npz"
    path.write_bytes(content)
    with pytest.raises(SavedFileError, match=match) as err:
        load_npz(path, format="embedkit-test", what="embedkit test")
    assert str(path) in str(err.value) and "save" in str(err.value)


def test_other_npz_older_layout_and_other_kind(tmp_path):
    np.savez(tmp_path / "plain.npz", x=np.ones(3))
    with pytest.raises(SavedFileError, match="no 'embedkit-test' header"):
        load_npz(tmp_path / "plain.npz", format="embedkit-test", what="embedkit test")
    _save(tmp_path / "t.npz", x=np.ones(3))
    with pytest.raises(SavedFileError, match="holds 'embedkit-test'"):
        load_npz(tmp_path / "t.npz", format="embedkit-index", what="embedkit index")
    # a file of the first layout (no checksum): a clear "save it again"
    header = {"format": "embedkit-index", "class": "FlatIndex", "version": 1,
              "params": {"d": 3, "metric": "l2"}, "arrays": ["vectors"]}
    with open(tmp_path / "old.ekidx", "wb") as fh:
        np.savez(fh, __header__=np.frombuffer(json.dumps(header).encode(), np.uint8),
                 vectors=np.ones((2, 3), np.float32))
    with pytest.raises(SavedFileError, match="older embedkit .* save it again"):
        ek.FlatIndex.load(tmp_path / "old.ekidx")
    with pytest.raises(FileNotFoundError, match="no such file"):
        ek.FlatIndex.load(tmp_path / "missing.ekidx")
    with pytest.raises(SavedFileError, match="is a folder"):
        ek.FlatIndex.load(tmp_path)


def test_wrong_class_and_version(tmp_path):
    index = ek.FlatIndex(3)
    index.add(np.ones((2, 3), np.float32))
    index.save(tmp_path / "f.ekidx")
    with pytest.raises(SavedFileError, match="holds FlatIndex, not HNSWIndex"):
        ek.HNSWIndex.load(tmp_path / "f.ekidx")
    with pytest.raises(SavedFileError, match="not an embedkit word-vectors file"):
        ek.WordVectors.load(tmp_path / "f.ekidx")
    with pytest.raises(SavedFileError, match="not an embedkit sentence-encoder file"):
        ek.SentenceEncoder.load(tmp_path / "f.ekidx")


def test_structural_helpers():
    check_index_array(np.array([0, 4, -1]), "links", 5, allow_minus_one=True)
    with pytest.raises(ValueError, match=r"links must hold ids in \[0, 5\).*from -1 to 4"):
        check_index_array(np.array([0, 4, -1]), "links", 5)
    with pytest.raises(ValueError, match="duplicates"):
        check_index_array(np.array([0, 0]), "ids", 5, unique=True)
    check_offsets(np.array([0, 2, 2, 5]), "offsets", 5)
    for bad in ([1, 2, 5], [0, 3, 2, 5], [0, 2, 4]):
        with pytest.raises(ValueError, match="offsets must rise monotonically from 0 to 5"):
            check_offsets(np.array(bad), "offsets", 5)


# -- interrupted saves -----------------------------------------------------------------------
def test_a_save_that_fails_half_way_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "i.ekidx"
    old = ek.FlatIndex(4)
    old.add(np.eye(4, dtype=np.float32))
    old.save(path)
    before = path.read_bytes()

    def half_then_fail(fh, *args, **kwargs):
        fh.write(b"PK\x03\x04 half of a file")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez", half_then_fail)
    new = ek.FlatIndex(4)
    new.add(np.ones((9, 4), np.float32))
    with pytest.raises(OSError, match="No space left"):
        new.save(path)
    assert path.read_bytes() == before and ek.FlatIndex.load(path).ntotal == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["i.ekidx"]   # the temp file is gone
    with pytest.raises(OSError):
        atomic_write(tmp_path / "new.bin", lambda fh: half_then_fail(fh))
    assert not (tmp_path / "new.bin").exists()


_KILLED_SAVE = textwrap.dedent("""
    import os, sys, time
    import numpy as np
    sys.path.insert(0, {root!r})
    import embedkit as ek
    import embedkit._saved_files as sf
    kind, path, point = sys.argv[1], sys.argv[2], sys.argv[3]
    x = np.random.default_rng(1).standard_normal((20000, 64)).astype(np.float32)

    def stop_here():
        print("STOPPED", flush=True)
        time.sleep(60)                 # the parent kills us now

    if point == "before-rename":       # the whole new file is written, not yet renamed
        sf.os.fsync = lambda fd: stop_here()
    else:                              # "mid-write": after the first megabyte of the new file
        real_fdopen = sf.os.fdopen

        class HalfWritten:
            def __init__(self, fh):
                self.fh, self.written = fh, 0
            def write(self, data):
                n = self.fh.write(data)
                self.written += len(data)
                if self.written > 1 << 20:
                    self.fh.flush()
                    stop_here()
                return n
            def __getattr__(self, name):
                return getattr(self.fh, name)
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                return self.fh.__exit__(*exc)

        sf.os.fdopen = lambda *a, **k: HalfWritten(real_fdopen(*a, **k))
    if kind == "index":
        index = ek.FlatIndex(64)
        index.add(x)
        index.save(path)
    elif kind == "store":
        store = ek.VectorStore(ek.FlatIndex(64), ["n"])
        store.add(x, [{{"n": i}} for i in range(len(x))])
        store.save(path)
    else:
        ek.WordVectors([f"w{{i}}" for i in range(len(x))], x).save(path)
""")


@pytest.mark.parametrize("point", ["mid-write", "before-rename"])
@pytest.mark.parametrize("kind", ["index", "store", "word_vectors"])
def test_a_save_killed_mid_write_leaves_the_previous_file_loadable(tmp_path, kind, point):
    """SIGKILL a process while it saves 5 MB over an existing file: after its first
    megabyte, or with the new file complete but not yet renamed into place."""
    path = tmp_path / ("store" if kind == "store" else "saved.npz")
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    if kind == "index":
        old = ek.FlatIndex(4)
        old.add(x)
    elif kind == "store":
        old = ek.VectorStore(ek.FlatIndex(4), ["n"])
        old.add(x, [{"n": i} for i in range(3)])
    else:
        old = ek.WordVectors(["a", "b", "c"], x)
    old.save(path)
    script = tmp_path / "killed_save.py"
    script.write_text(_KILLED_SAVE.format(root=str(ROOT)))
    proc = subprocess.Popen([sys.executable, str(script), kind, str(path), point],
                            stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert proc.stdout.readline().strip() == "STOPPED"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    if kind == "index":
        assert np.array_equal(ek.FlatIndex.load(path).search(x, 1)[1], old.search(x, 1)[1])
    elif kind == "store":
        back = ek.VectorStore.load(path)
        assert len(back) == 3 and back.metadata([2]) == old.metadata([2])
    else:
        back = ek.WordVectors.load(path)
        assert back.words == ["a", "b", "c"] and np.array_equal(back.vectors, x)
