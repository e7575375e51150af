"""A vector store: an index plus the metadata of every vector, with filtered search.

What a vector database adds to an ANN index, in one small class (notebook 20, the capstone):

* **metadata** per vector (``{"title": ..., "topic": ...}``), returned with the hits;
* **filtered search** (``where={"topic": "History"}``), the hard part. Three strategies:

  - *post-filter*: ask the ANN index for ``k * overfetch`` neighbours and drop those that
    fail the filter. Cheap when most vectors pass, but a selective filter leaves fewer
    than ``k`` hits, so the store retries with a larger ``k`` until it has enough (or
    has looked at everything the index returns);
  - *pre-filter*: select the passing ids first and search only them, exactly (a flat
    scan over the subset). Exact and cheap when few vectors pass; as slow as brute force
    when many do;
  - *in-graph* (``"graph"``, only for an ``HNSWIndex``): the graph walk itself visits
    only passing vectors, with ACORN's two-hop expansion (``HNSWIndex.search_filtered``,
    ``embedkit.search.graph_filter``, notebook 17). High recall at any selectivity, at
    a cost that follows the number of vectors walked rather than the store's size.

  ``strategy="auto"`` picks pre-filtering when the filter keeps at most
  ``prefilter_fraction`` of the store (production engines make the same choice from
  the same statistic, e.g. Qdrant's cardinality estimate, Milvus's bitsets), otherwise
  in-graph filtering when the index is an HNSW graph, otherwise post-filtering;
* **persistence** of all of it: ``save(folder)`` / ``VectorStore.load(folder)`` round-trip
  the index, the raw vectors and the metadata exactly.

The store keeps its own float32 copy of the vectors (for pre-filtering and for exact
rescoring); an engine that must save memory would keep them on disk instead.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .._saved_files import SavedFileError, atomic_write, file_sha256
from .._validation import as_matrix, check_choice, check_int, check_number
from ..search.flat import FlatIndex
from ..search.hnsw import HNSWIndex
from ..search.index_base import Index, Persistable

__all__ = ["VectorStore"]

_FORMAT = "embedkit-vector-store"
_VERSION = 1


class VectorStore:
    """An embedkit index with a metadata row per vector and filtered search.

    Args:
        index: an empty embedkit index (``FlatIndex``, ``HNSWIndex``, ``IVFIndex``, ...),
            already trained if it needs training.
        fields: the metadata field names every row must have (e.g. ``["title", "topic"]``).
            Values must be JSON types (str, int, float, bool, None).
        prefilter_fraction: ``strategy="auto"`` pre-filters when at most this fraction of
            the vectors pass the filter.
    """

    def __init__(self, index: Index, fields: Sequence[str], *, prefilter_fraction: float = 0.05):
        if not isinstance(index, Index):
            raise TypeError(f"index must be an embedkit index (e.g. FlatIndex, HNSWIndex), got {type(index).__name__}")
        if index.ntotal:
            raise ValueError(f"index must be empty: the store adds vectors and their metadata together "
                             f"(got an index with ntotal={index.ntotal})")
        if isinstance(fields, str) or not hasattr(fields, "__iter__") \
                or not all(isinstance(f, str) for f in fields) or not fields:
            raise TypeError(f"fields must be a non-empty list of str, got {fields!r}")
        self.index = index
        self.fields = list(fields)
        self.prefilter_fraction = check_number(prefilter_fraction, "prefilter_fraction", minimum=0.0, maximum=1.0)
        self._vectors = np.zeros((0, index.d), dtype=np.float32)
        self._columns: dict[str, list] = {f: [] for f in self.fields}
        self.last_strategy: str | None = None      # what the last search did, for inspection

    # -- adding ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._vectors)

    @property
    def d(self) -> int:
        return self.index.d

    def __repr__(self) -> str:
        return f"VectorStore({len(self):,} vectors, d={self.d}, fields={self.fields}, index={self.index!r})"

    def add(self, vectors, metadata: Sequence[Mapping[str, Any]] | Mapping[str, Sequence]) -> np.ndarray:
        """Add ``vectors`` ``(n, d)`` with one metadata row each; returns their ids ``(n,)``.

        ``metadata`` is a list of ``n`` dicts, or a dict of ``n``-long columns.
        """
        x = as_matrix(vectors, "vectors")
        if x.shape[1] != self.d:
            raise ValueError(f"vectors must have d={self.d} columns, got shape {x.shape}")
        rows = self._as_columns(metadata, len(x))
        start = len(self)
        self.index.add(x)
        self._vectors = np.vstack([self._vectors, x])
        for f in self.fields:
            self._columns[f].extend(rows[f])
        return np.arange(start, start + len(x), dtype=np.int64)

    def _as_columns(self, metadata, n: int) -> dict[str, list]:
        if isinstance(metadata, Mapping):
            missing = [f for f in self.fields if f not in metadata]
            if missing:
                raise KeyError(f"metadata is missing the field(s) {missing}; the store's fields are {self.fields}")
            columns = {f: list(metadata[f]) for f in self.fields}
        elif isinstance(metadata, Sequence) and not isinstance(metadata, str):
            for i, row in enumerate(metadata):
                if not isinstance(row, Mapping):
                    raise TypeError(f"metadata[{i}] must be a dict, got {type(row).__name__}")
                missing = [f for f in self.fields if f not in row]
                if missing:
                    raise KeyError(f"metadata[{i}] is missing the field(s) {missing}; the store's fields are {self.fields}")
            columns = {f: [row[f] for row in metadata] for f in self.fields}
        else:
            raise TypeError(f"metadata must be a list of dicts or a dict of columns, got {type(metadata).__name__}")
        for f, values in columns.items():
            if len(values) != n:
                raise ValueError(f"metadata field {f!r} has {len(values)} values for {n} vectors")
            bad = next((v for v in values if not isinstance(v, (str, int, float, bool, type(None)))), None)
            if bad is not None:
                raise TypeError(f"metadata field {f!r} must hold str/int/float/bool/None values, got {type(bad).__name__}")
        return columns

    # -- reading -----------------------------------------------------------------------
    def metadata(self, ids) -> list[dict | None]:
        """The metadata rows of ``ids`` (``None`` for the ``-1`` padding id)."""
        out = []
        for i in np.asarray(ids, dtype=np.int64).ravel():
            if i == -1:
                out.append(None)
            elif not 0 <= i < len(self):
                raise IndexError(f"id {i} is not in the store (0 .. {len(self) - 1})")
            else:
                out.append({f: self._columns[f][i] for f in self.fields})
        return out

    def mask(self, where: Mapping[str, Any]) -> np.ndarray:
        """Boolean ``(n,)``: which vectors pass ``where``.

        ``where`` maps a field to a value (equality) or to a list/tuple/set of values
        (membership); all conditions must hold.
        """
        if not isinstance(where, Mapping) or not where:
            raise TypeError(f"where must be a non-empty dict like {{'topic': 'History'}}, got {where!r}")
        keep = np.ones(len(self), dtype=bool)
        for field, wanted in where.items():
            if field not in self._columns:
                raise KeyError(f"where uses the unknown field {field!r}; the store's fields are {self.fields}")
            allowed = set(wanted) if isinstance(wanted, (list, tuple, set, frozenset)) else {wanted}
            keep &= np.fromiter((v in allowed for v in self._columns[field]), dtype=bool, count=len(self))
        return keep

    # -- searching ---------------------------------------------------------------------
    def search(self, queries, k: int, *, where: Mapping[str, Any] | None = None,
               strategy: str = "auto", overfetch: int = 4) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best vectors per query that pass ``where``: ``(D, I)``, each ``(nq, k)``.

        ``D`` follows the index's metric (squared L2 ascending, or similarity descending);
        ``I == -1`` where fewer than ``k`` vectors pass. ``strategy``: ``"auto"``,
        ``"pre"`` (exact search over the passing vectors), ``"post"`` (ANN search, then
        filter, with ``overfetch`` and retries) or ``"graph"`` (filter inside the HNSW
        walk; the index's ``ef_search`` sets its beam).
        """
        check_choice(strategy, "strategy", ("auto", "pre", "post", "graph"))
        if strategy == "graph" and not isinstance(self.index, HNSWIndex):
            raise ValueError(f"strategy='graph' filters inside an HNSW graph walk; this store's "
                             f"index is a {type(self.index).__name__}: use 'pre', 'post' or 'auto'")
        overfetch = check_int(overfetch, "overfetch", minimum=1)
        k = check_int(k, "k", minimum=1)
        q = as_matrix(queries, "queries")
        if q.shape[1] != self.d:
            raise ValueError(f"queries must have d={self.d} columns, got shape {q.shape}")
        keep = np.ones(len(self), dtype=bool) if where is None else self.mask(where)
        n_pass = int(keep.sum())
        if where is None:
            strategy = "none"
        if strategy == "auto":
            if n_pass <= self.prefilter_fraction * len(self):
                strategy = "pre"
            else:
                strategy = "graph" if isinstance(self.index, HNSWIndex) else "post"
        self.last_strategy = strategy
        if n_pass == 0:
            return self._pad(np.zeros((len(q), 0), np.float32), np.zeros((len(q), 0), np.int64), k)
        if strategy == "none":
            return self._pad(*self.index.search(q, min(k, len(self))), k)
        if strategy == "pre":
            return self._prefilter(q, k, keep)
        if strategy == "graph":
            return self.index.search_filtered(q, k, keep)   # pads with -1 itself
        return self._postfilter(q, k, keep, overfetch)

    def _prefilter(self, q, k, keep):
        ids = np.flatnonzero(keep)
        exact = FlatIndex(self.d, metric=self.index.metric)   # same metric and D convention as the index
        exact.add(self._vectors[ids])
        D, local = exact.search(q, min(k, len(ids)))
        return self._pad(D, ids[local], k)

    def _postfilter(self, q, k, keep, overfetch):
        D_out = np.empty((len(q), k), np.float32)
        I_out = np.empty((len(q), k), np.int64)
        for row in range(len(q)):          # each query retries on its own: filters hit queries unevenly
            fetch = min(k * overfetch, len(self))
            while True:
                D, I = self.index.search(q[row:row + 1], fetch)
                hit = (I[0] >= 0) & keep[np.maximum(I[0], 0)]
                if hit.sum() >= k or fetch >= len(self):
                    break
                fetch = min(fetch * 4, len(self))
            d, i = self._pad(D[:, hit][:, :k], I[:, hit][:, :k], k)
            D_out[row], I_out[row] = d[0], i[0]
        return D_out, I_out

    def _pad(self, D, I, k):
        if D.shape[1] >= k:
            return D[:, :k], I[:, :k]
        fill = -np.inf if self.index.higher_is_better else np.inf
        D = np.hstack([D, np.full((len(D), k - D.shape[1]), fill, np.float32)])
        I = np.hstack([I, np.full((len(I), k - I.shape[1]), -1, np.int64)])
        return D, I

    # -- persistence -------------------------------------------------------------------
    def save(self, folder) -> None:
        """Write ``folder/index.ekidx``, ``folder/vectors.npy`` and ``folder/store.json``.

        ``store.json`` records the sha256 of the two other files and of itself, so a folder
        that mixes two saves, or a damaged file, is caught on load. All three are written
        to temporary files first and renamed into place only once all are complete
        (``store.json`` last), so a save interrupted while writing leaves the previous
        store loadable (see :mod:`embedkit._saved_files`).
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        staged = {name: folder / f".{name}.{os.getpid()}.tmp" for name in _FILES}
        try:
            self.index.save(staged["index.ekidx"])
            atomic_write(staged["vectors.npy"], lambda fh: np.save(fh, self._vectors, allow_pickle=False))
            manifest = {"format": _FORMAT, "version": _VERSION, "fields": self.fields,
                        "prefilter_fraction": self.prefilter_fraction, "n": len(self),
                        "columns": self._columns,
                        "files": {name: file_sha256(staged[name]) for name in _FILES[:2]}}
            manifest["sha256"] = _manifest_sha256(manifest)
            atomic_write(staged["store.json"],
                         lambda fh: fh.write(json.dumps(manifest, ensure_ascii=False).encode("utf-8")))
            for name in _FILES:                      # store.json, the commit point, last
                os.replace(staged[name], folder / name)
        finally:
            for tmp in staged.values():
                tmp.unlink(missing_ok=True)

    @classmethod
    def load(cls, folder) -> "VectorStore":
        """Read what :meth:`save` wrote; ``SavedFileError`` (a ``ValueError``) naming the
        folder if it is not a store, is damaged, or mixes files of two saves."""
        folder = Path(folder)
        shown = repr(str(folder))
        try:
            manifest = json.loads((folder / "store.json").read_bytes().decode("utf-8"))
        except FileNotFoundError:
            raise SavedFileError(f"{shown} is not a saved VectorStore (no store.json)") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise SavedFileError(f"{str(folder / 'store.json')!r} is damaged ({exc}); save the "
                                 "store again") from None
        if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT \
                or manifest.get("version") != _VERSION:
            got = manifest if not isinstance(manifest, dict) else manifest.get("format")
            raise SavedFileError(f"{shown} holds format {got!r} v"
                                 f"{manifest.get('version') if isinstance(manifest, dict) else None}, "
                                 f"expected {_FORMAT!r} v{_VERSION}; save the store again")
        if manifest.get("sha256") != _manifest_sha256(manifest):
            raise SavedFileError(f"{str(folder / 'store.json')!r} is damaged: its checksum does not "
                                 "match its contents; save the store again")
        for name in _FILES[:2]:
            if not (folder / name).is_file():
                raise SavedFileError(f"{shown} is incomplete: {name} is missing; save the store again")
            if file_sha256(folder / name) != manifest["files"][name]:
                raise SavedFileError(
                    f"{str(folder / name)!r} does not match store.json (damaged, or the folder "
                    "mixes files of two saves); save the store again")
        index = Persistable.load(folder / "index.ekidx")
        try:
            vectors = np.load(folder / "vectors.npy", allow_pickle=False)
            n, fields, columns = manifest["n"], manifest["fields"], manifest["columns"]
            vectors = as_matrix(vectors, "vectors", d=index.d, allow_empty=True)
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields) \
                    or not isinstance(columns, dict) or sorted(columns) != sorted(fields):
                raise ValueError("fields and metadata columns do not match")
            if index.ntotal != n or len(vectors) != n or any(len(c) != n for c in columns.values()):
                raise ValueError(f"index {index.ntotal}, vectors {len(vectors)}, metadata {n} rows")
            prefilter_fraction = check_number(manifest["prefilter_fraction"], "prefilter_fraction",
                                              minimum=0.0, maximum=1.0)
        except (KeyError, TypeError, ValueError) as exc:
            raise SavedFileError(f"{shown} is inconsistent ({exc}); save the store again") from None
        store = cls.__new__(cls)
        store.index = index
        store.fields = list(fields)
        store.prefilter_fraction = prefilter_fraction
        store._vectors = vectors
        store._columns = {f: list(columns[f]) for f in store.fields}
        store.last_strategy = None
        return store


_FILES = ("index.ekidx", "vectors.npy", "store.json")


def _manifest_sha256(manifest: dict) -> str:
    """sha256 of the manifest's canonical JSON, without its own ``sha256`` entry."""
    body = {k: v for k, v in manifest.items() if k != "sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
