"""The one file format of embedkit: self-checking ``.npz`` files, written atomically.

Every object that embedkit saves (indexes and quantizers, word vectors, sentence encoders,
and the parts of a vector store) is written by :func:`save_npz` and read back by
:func:`load_npz`. A file is an ordinary ``.npz`` archive (readable with
``numpy.load(path, allow_pickle=False)``; never pickle, which can run code when loaded)
holding the object's arrays plus one JSON header array, ``__header__``::

    {"format": "embedkit-index",        # what kind of object (a family of classes)
     "class": "HNSWIndex",              # which class rebuilds it
     "version": 1,                      # that class's state layout; bumped when it changes
     "container": 2,                    # this file layout (2: with a checksum)
     "params": {...},                   # scalar settings (JSON)
     "arrays": ["links0", "vectors"],   # the payload arrays' names
     "sha256": "9f2c..."}               # checksum of params and every payload array

Three promises follow from it:

* **Damage is detected.** The checksum covers the parameters and every array's name,
  dtype, shape and bytes, so a flipped bit, a truncated download or a file of another
  kind raises :class:`SavedFileError` (a ``ValueError``) that names the file, says what
  is wrong and how to fix it, instead of a ``BadZipFile``, an ``EOFError`` or a crash.
* **Edits are caught too.** A checksum only proves the bytes are the ones that were
  written; a file edited on purpose and re-checksummed passes it. So each class also
  validates its state structurally on load (graph links inside ``[0, n)``, leaf ids and
  inverted-list ids in range, offsets monotone, codes below ``2**nbits``, widths that
  match), and search can never index past an array.
* **Saves are atomic.** :func:`atomic_write` writes a temporary file in the same folder,
  flushes it to disk (``fsync``) and renames it over the target (``os.replace``), so a
  save that is interrupted (a crash, a full disk, Ctrl-C) leaves the previous file intact.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

__all__ = ["SavedFileError", "CONTAINER_VERSION", "atomic_write", "save_npz", "load_npz",
           "payload_sha256", "file_sha256", "check_index_array", "check_offsets"]

#: the layout of the file itself (1: embedkit before checksums; 2: header with ``sha256``)
CONTAINER_VERSION = 2
_HEADER_KEY = "__header__"


class SavedFileError(ValueError):
    """A saved file cannot be used: missing, foreign, truncated, damaged, edited or too old.

    A subclass of ``ValueError``; the message names the file, what is wrong and the fix.
    """


# -- writing --------------------------------------------------------------------------------
def atomic_write(path, write: Callable[[Any], None]) -> None:
    """Call ``write(fh)`` on a temporary file next to ``path``, then rename it to ``path``.

    The rename (``os.replace``) is atomic on POSIX and Windows: a reader sees either the old
    file or the complete new one, never half of it. The temporary file is flushed to disk
    before the rename (so a power cut cannot leave a renamed but empty file) and removed if
    ``write`` fails.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def payload_sha256(params: dict, arrays: dict[str, np.ndarray]) -> str:
    """sha256 of the canonical JSON of ``params`` and of every array's name, dtype, shape, bytes."""
    h = hashlib.sha256(json.dumps(params, sort_keys=True).encode("utf-8"))
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        h.update(json.dumps([name, arr.dtype.str, list(arr.shape)]).encode("utf-8"))
        h.update(memoryview(arr.reshape(-1)).cast("B") if arr.size else b"")
    return h.hexdigest()


def file_sha256(path) -> str:
    """sha256 of a whole file's bytes (for files that are not ``.npz``, e.g. ``.npy``)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_npz(path, *, format: str, cls: str, version: int, params: dict,
             arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` and a checksummed header to ``path`` (exactly that name), atomically."""
    arrays = {name: np.ascontiguousarray(arr) for name, arr in arrays.items()}
    for name, arr in arrays.items():
        if arr.dtype == object:   # would need pickle; a bug in the caller, not user input
            raise TypeError(f"array {name!r} has dtype object, which cannot be saved without pickle")
    header = {"format": format, "class": cls, "version": version, "container": CONTAINER_VERSION,
              "params": params, "arrays": sorted(arrays),
              "sha256": payload_sha256(params, arrays)}
    encoded = np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    # An open file handle also stops numpy from appending ".npz" to the name.
    atomic_write(path, lambda fh: np.savez(fh, **{_HEADER_KEY: encoded}, **arrays))


# -- reading --------------------------------------------------------------------------------
def load_npz(path, *, format: str, what: str, saved_by: str = "") -> tuple[dict, dict[str, np.ndarray]]:
    """Read and verify a file written by :func:`save_npz`; returns ``(header, arrays)``.

    Checks, in order: the file exists, is a readable archive, has an embedkit header of
    ``format`` (``what`` names it in messages, e.g. ``"embedkit index"``), was written with
    the current container layout, holds every array its header lists, and matches its
    checksum. ``saved_by`` (e.g. ``"SentenceEncoder.save"``) is named when the header is not
    the expected one. The caller then checks the class, its version and the state's structure.

    Raises:
        FileNotFoundError: no such file.
        SavedFileError: anything else that is wrong with it.
    """
    shown = repr(os.fspath(path))
    if not os.path.isfile(path):
        if os.path.exists(path):
            raise SavedFileError(f"{shown} is a folder, not a file; pass the path of the saved file")
        raise FileNotFoundError(f"no such file: {shown}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            # Read everything now: NpzFile is lazy, and a damaged member must fail here.
            arrays = {key: npz[key] for key in npz.files}
    except MemoryError:
        raise
    except Exception as err:  # noqa: BLE001 - zipfile/numpy raise many types on damaged input
        raise SavedFileError(
            f"{shown} is not a readable {what} file: it is truncated or corrupted, or not an "
            f"embedkit file ({type(err).__name__}: {err}); save the object again or restore "
            "the file from a copy"
        ) from None
    header_bytes = arrays.pop(_HEADER_KEY, None)
    header = None
    if isinstance(header_bytes, np.ndarray) and header_bytes.dtype == np.uint8 and header_bytes.ndim == 1:
        try:
            header = json.loads(header_bytes.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            header = None
    if not isinstance(header, dict) or header.get("format") != format:
        found = header.get("format") if isinstance(header, dict) else None
        extra = f" (it holds {found!r})" if isinstance(found, str) else ""
        by = f" (a file written by {saved_by})" if saved_by else ""
        raise SavedFileError(f"{shown} is not an {what} file{by}: no {format!r} header{extra}; "
                             "load it with the class that saved it")
    if header.get("container") != CONTAINER_VERSION:
        raise SavedFileError(
            f"{shown} was written by an older embedkit (file layout "
            f"{header.get('container', 1)!r}, without a checksum); this embedkit reads layout "
            f"{CONTAINER_VERSION}: rebuild the object and save it again")
    names = header.get("arrays")
    params = header.get("params")
    if not isinstance(names, list) or not isinstance(params, dict) \
            or not isinstance(header.get("sha256"), str):
        raise SavedFileError(f"{shown} has a malformed header; save the object again")
    missing = sorted(set(map(str, names)) - set(arrays))
    extra = sorted(set(arrays) - set(map(str, names)))
    if missing or extra:
        raise SavedFileError(f"{shown} is incomplete or mixed: missing arrays {missing}, "
                             f"unexpected arrays {extra}; save the object again")
    if payload_sha256(params, arrays) != header["sha256"]:
        raise SavedFileError(
            f"{shown} is damaged: its checksum (sha256) does not match its contents, so some "
            "bytes changed after it was saved; save the object again or restore the file "
            "from a copy")
    return header, arrays


# -- structural checks shared by the classes' loaders ----------------------------------------
def check_index_array(arr: np.ndarray, name: str, high: int, *, allow_minus_one: bool = False,
                      unique: bool = False) -> None:
    """Every entry of the integer array ``arr`` is in ``[0, high)`` (or ``-1`` if allowed);
    with ``unique``, no id appears twice."""
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    if arr.size == 0:
        return
    low = -1 if allow_minus_one else 0
    lo, hi = int(arr.min()), int(arr.max())
    if lo < low or hi >= high:
        padding = " (or -1 for an empty slot)" if allow_minus_one else ""
        raise ValueError(f"{name} must hold ids in [0, {high}){padding}, found values "
                         f"from {lo} to {hi}")
    if unique and np.unique(arr).size != arr.size:
        raise ValueError(f"{name} must hold each id once, found duplicates")


def check_offsets(offsets: np.ndarray, name: str, n: int) -> None:
    """``offsets`` starts at 0, never decreases and ends at ``n`` (a CSR-style row pointer)."""
    if offsets.ndim != 1 or offsets.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {offsets.shape}")
    if int(offsets[0]) != 0 or int(offsets[-1]) != n or (np.diff(offsets) < 0).any():
        raise ValueError(f"{name} must rise monotonically from 0 to {n}, got "
                         f"{offsets[0]} .. {offsets[-1]} (decreasing somewhere: "
                         f"{bool((np.diff(offsets) < 0).any())})")
