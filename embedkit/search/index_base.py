"""What every embedkit index shares: input checks, ``ntotal``, ``-1`` padding, save/load.

An index in embedkit follows faiss::

    index = SomeIndex(d, ...)
    index.train(x)            # only where the index learns something (IVF, SQ, ...)
    index.add(x)              # x: (n, d) float32; ids are 0 .. ntotal-1 in insertion order
    D, I = index.search(q, k) # D: (nq, k) float32, I: (nq, k) int64, best first

``I == -1`` marks "fewer than k results" (an IVF probe that found too few vectors, say);
the matching ``D`` entry is ``+inf`` for distances and ``-inf`` for similarities, so the
padding sorts last either way.

Persistence. ``index.save(path)`` writes one ``.npz``-format file (a zip of ``.npy``
arrays, readable with ``numpy.load(..., allow_pickle=False)``): never pickle, because
unpickling a file can run arbitrary code and breaks when classes change. A JSON header
array names the format, the class and its version, and carries the scalar parameters;
the other arrays are the index's state. The header also holds a sha256 checksum of the
state, and saves are atomic (see :mod:`embedkit._saved_files`, the one file format of
embedkit). ``SomeIndex.load(path)`` checks all of that, then each class validates the
structure of its state (graph links, leaf ids, list offsets in range), and raises
``SavedFileError`` (a ``ValueError``) naming the path for a truncated, damaged, edited
or foreign file: never a crash in a later search.
``Persistable.load(path)`` (on the base class) returns whichever class the file holds.

Subclasses implement ``_get_state() -> (params, arrays)`` and the classmethod
``_from_state(params, arrays)``; search-type indexes also implement ``_add`` and
``_search`` on inputs that the base class has already validated.
"""
from __future__ import annotations

import os
from typing import Any, ClassVar

import numpy as np

from .._saved_files import SavedFileError, load_npz, save_npz
from .._validation import as_matrix, check_choice, check_int, check_k

__all__ = ["Persistable", "Index", "NotTrainedError", "SavedFileError", "merge_top_k", "METRICS",
           "FORMAT_NAME"]

FORMAT_NAME = "embedkit-index"
METRICS = ("l2", "ip", "cosine")


class NotTrainedError(ValueError):
    """An index or quantizer was used before ``train`` / ``fit``.

    A subclass of ``ValueError``, like scikit-learn's ``NotFittedError``.
    """


class Persistable:
    """Versioned, pickle-free save/load shared by indexes and quantizers.

    Subclasses set ``_format_version`` (bump it when the stored state changes shape) and
    implement ``_get_state`` / ``_from_state``. Every concrete subclass is registered by
    name so that ``Persistable.load`` can rebuild whatever a file holds.
    """

    _format_version: ClassVar[int] = 1
    _registry: ClassVar[dict[str, type]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        Persistable._registry[cls.__name__] = cls

    # -- to implement ---------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-serialisable scalar parameters and the named arrays of the state."""
        raise NotImplementedError

    @classmethod
    def _from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]):
        """Rebuild an object from what ``_get_state`` returned."""
        raise NotImplementedError

    # -- public ---------------------------------------------------------------------
    def save(self, path) -> None:
        """Write the object to ``path`` (exactly that name; no suffix is appended).

        Atomic and checksummed (see :mod:`embedkit._saved_files`): an interrupted save
        leaves the previous file at ``path`` intact.
        """
        params, arrays = self._get_state()
        save_npz(path, format=FORMAT_NAME, cls=type(self).__name__,
                 version=self._format_version, params=params, arrays=arrays)

    @classmethod
    def load(cls, path):
        """Read an object written by ``save``.

        Called on a concrete class (``FlatIndex.load(p)``) it insists the file holds that
        class; called on ``Persistable`` or ``Index`` it returns whatever the file holds.

        Raises:
            FileNotFoundError: no such file.
            SavedFileError: (a ``ValueError``) the file is truncated, damaged (checksum),
                not an embedkit file, holds a different class, was written by an
                incompatible format version, or holds a state that does not fit together
                (links, ids or offsets out of range, widths that do not match).
        """
        header, arrays = load_npz(path, format=FORMAT_NAME, what="embedkit index")
        shown = repr(os.fspath(path))
        name = header.get("class")
        target = Persistable._registry.get(name) if isinstance(name, str) else None
        if target is None:
            raise SavedFileError(f"{shown} holds an unknown class {name!r}; it was written by "
                                 "another embedkit version")
        if not issubclass(target, cls):
            raise SavedFileError(f"{shown} holds {name}, not {cls.__name__}; "
                                 f"load it with {name}.load(path)")
        if header.get("version") != target._format_version:
            raise SavedFileError(f"{shown} was written with {name} format version "
                                 f"{header.get('version')}, this embedkit reads version "
                                 f"{target._format_version}; rebuild the index and save it again")
        try:
            return target._from_state(header["params"], arrays)
        except MemoryError:
            raise
        except Exception as err:  # noqa: BLE001 - any inconsistency in the state is the file's fault
            raise SavedFileError(f"{shown} holds an inconsistent {name} ({err}); the file was "
                                 "edited or written by a buggy version: rebuild the index "
                                 "and save it again") from None


class Index(Persistable):
    """Base class of the search indexes: ``d``, ``metric``, ``ntotal``, checks, padding.

    Args:
        d: vector dimension.
        metric: ``"l2"`` (squared Euclidean distance, ascending, as faiss), ``"ip"``
            (inner product, descending) or ``"cosine"`` (inner product of L2-normalised
            vectors, descending). Subclasses may restrict the choice.
    """

    #: metrics a subclass supports (override to restrict)
    metrics: ClassVar[tuple[str, ...]] = METRICS
    #: whether ``train`` must be called before ``add`` / ``search``
    needs_training: ClassVar[bool] = False

    def __init__(self, d: int, metric: str = "l2"):
        self.d = check_int(d, "d", minimum=1)
        self.metric = check_choice(metric, "metric", self.metrics)
        self._ntotal = 0

    # -- properties -------------------------------------------------------------------
    @property
    def ntotal(self) -> int:
        """Number of vectors added so far."""
        return self._ntotal

    @property
    def is_trained(self) -> bool:
        """True once ``train`` has run (always True for indexes that learn nothing)."""
        return True

    @property
    def higher_is_better(self) -> bool:
        """True for similarities (ip, cosine), False for distances (l2, hamming)."""
        return self.metric != "l2"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(d={self.d}, metric={self.metric!r}, ntotal={self.ntotal})"

    # -- validation helpers (subclasses call these once, at the boundary) -------------
    def _check_trained(self, action: str) -> None:
        if not self.is_trained:
            raise NotTrainedError(
                f"{type(self).__name__} is not trained: call index.train(x) with "
                f"representative vectors before {action}"
            )

    def _check_vectors(self, x, name: str = "x") -> np.ndarray:
        """``x`` as C-contiguous float32 ``(n, d)``, finite; L2-normalised for cosine."""
        x = as_matrix(x, name, d=self.d)
        if self.metric == "cosine":
            norms = np.linalg.norm(x, axis=1, keepdims=True)
            norms[norms == 0] = 1.0  # zero vectors stay zero (cosine 0 with everything)
            x = np.ascontiguousarray(x / norms, dtype=np.float32)
        return x

    def _check_k(self, k) -> int:
        if self.ntotal == 0:
            raise ValueError(f"the {type(self).__name__} is empty: call index.add(x) before search")
        return check_k(k, self.ntotal, what="vectors in the index")

    def _empty_result(self, nq: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(D, I)`` filled with the padding: ``I = -1`` and the worst possible ``D``."""
        fill = -np.inf if self.higher_is_better else np.inf
        return np.full((nq, k), fill, dtype=np.float32), np.full((nq, k), -1, dtype=np.int64)

    # -- the faiss-like API -----------------------------------------------------------
    def train(self, x) -> None:
        """Learn the index's parameters from ``x: (n, d)`` (no-op unless overridden)."""
        self._check_vectors(x, "x")

    def add(self, x) -> None:
        """Append ``x: (n, d)``; the new vectors get ids ``ntotal .. ntotal + n - 1``."""
        self._check_trained("add")
        x = self._check_vectors(x, "x")
        self._add(x)
        self._ntotal += x.shape[0]

    def search(self, q, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best stored vectors for each query.

        Args:
            q: ``(nq, d)`` queries.
            k: results per query, ``1 <= k <= ntotal``.
        Returns:
            ``D: (nq, k) float32`` distances or similarities, best first, and
            ``I: (nq, k) int64`` ids; ``I == -1`` where fewer than ``k`` were found.
        """
        self._check_trained("search")
        q = self._check_vectors(q, "q")
        k = self._check_k(k)
        return self._search(q, k)

    def _add(self, x: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError


def merge_top_k(D1: np.ndarray, I1: np.ndarray, D2: np.ndarray, I2: np.ndarray, k: int,
                largest: bool) -> tuple[np.ndarray, np.ndarray]:
    """Merge two partial results ``(nq, k1)`` and ``(nq, k2)`` into the best ``k`` per row.

    Used by indexes that scan the database in blocks (one block's winners at a time), so
    memory stays bounded whatever ``ntotal`` is. Ties keep the lower id first.
    """
    from ..similarity import _select_top_k

    D = np.concatenate([D1, D2], axis=1)
    I = np.concatenate([I1, I2], axis=1)
    k = min(k, D.shape[1])
    best, cols = _select_top_k(D, k, largest)
    return best, np.take_along_axis(I, cols, axis=1)
