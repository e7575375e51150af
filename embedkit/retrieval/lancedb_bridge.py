"""From ``ek.VectorStore`` to LanceDB and back, and LanceDB searched the faiss way.

LanceDB is an embedded vector database (notebook 20, section 8): a table on disk (or on
object storage) holds the vectors and their metadata as columns, indexes live beside it,
every write makes a new table version. This module moves a learner's work across:

* ``to_lancedb(store, db, name)`` writes a ``VectorStore`` as a table with an ``id``
  column (the store's ids), a ``vector`` column (``fixed_size_list<float32>[d]``) and one
  column per metadata field; ``ids=`` exports a subset (one shard, say), ids kept;
* ``from_lancedb(table, index)`` reads such a table back into a ``VectorStore``;
  vectors, ids and metadata come back exactly (the tests check it);
* ``where_to_sql(where)`` turns the store's filter dict into LanceDB's SQL ``WHERE``;
* ``lancedb_search(table, queries, k, ...)`` returns ``(D, I)`` of shape ``(nq, k)`` like
  every embedkit index (``I == -1`` and ``D == inf`` where fewer than ``k`` rows pass),
  so recall against exact search is computed by the same code for both engines;
* ``lancedb_search_shards(tables, queries, k, ...)`` searches several tables (shards of
  one collection, ids global) and merges the partial top-k lists.

``lancedb`` is imported only inside these functions: the rest of embedkit works without it.
"""
from __future__ import annotations

import math
import numbers
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .._validation import as_matrix, check_choice, check_int
from ..search.index_base import Index, merge_top_k
from .vector_store import VectorStore

__all__ = ["to_lancedb", "from_lancedb", "where_to_sql", "lancedb_search", "lancedb_search_shards",
           "ID_COLUMN", "VECTOR_COLUMN"]

ID_COLUMN = "id"
VECTOR_COLUMN = "vector"
_INT64 = (-(2 ** 63), 2 ** 63 - 1)


def _lancedb():
    try:
        import lancedb
    except ImportError:  # pragma: no cover - lancedb is a pinned dependency of the course
        raise ImportError("the LanceDB bridge needs the `lancedb` package: run `make setup` "
                          "(it installs the course's pinned version)") from None
    return lancedb


# -- VectorStore -> table ------------------------------------------------------------------
def _kind(value) -> type:
    """bool, int, float or str (numpy scalars count as their Python kind)."""
    for kind in (bool, str):
        if isinstance(value, kind):
            return kind
    if isinstance(value, numbers.Integral):
        return int
    if isinstance(value, numbers.Real):
        return float
    return type(value)


def _arrow_type(field: str, values: Sequence):
    """The one Arrow type that holds ``values`` exactly (JSON types only, ``None`` = null).

    Python's ``1`` and ``1.0`` would both become a float64 column and come back as ``1.0``:
    a column mixing ints and floats is refused rather than silently changed.
    """
    import pyarrow as pa

    kinds = {_kind(v) for v in values if v is not None}
    if not kinds:
        return pa.string()                       # all missing: a null column of some type
    if kinds == {bool}:
        return pa.bool_()
    if kinds == {int}:
        lo, hi = min(v for v in values if v is not None), max(v for v in values if v is not None)
        if lo < _INT64[0] or hi > _INT64[1]:
            raise ValueError(f"metadata field {field!r} holds an integer outside int64 "
                             f"({lo if lo < _INT64[0] else hi}); LanceDB stores integers as int64")
        return pa.int64()
    if kinds == {float}:
        return pa.float64()
    if kinds == {str}:
        return pa.string()
    names = ", ".join(sorted(k.__name__ for k in kinds))
    raise TypeError(f"metadata field {field!r} mixes types ({names}); a LanceDB column has one type: "
                    "convert the values first (e.g. every number to float)")


def to_lancedb(store: VectorStore, db, name: str, *, ids=None, mode: str = "create"):
    """Write ``store`` (or the rows ``ids`` of it) as the LanceDB table ``name``.

    Args:
        store: the ``VectorStore`` to export.
        db: a LanceDB connection (``lancedb.connect(...)``) or a path / URI to connect to
            (a folder, ``s3://bucket/prefix``, ...).
        name: the table's name.
        ids: ``(m,)`` int, optional: export only these rows (their ids are kept, so the
            shards of one store keep global ids). Default: every row, in id order.
        mode: ``"create"`` (fail if the table exists) or ``"overwrite"``.

    Returns:
        The LanceDB table: columns ``id`` (int64), ``vector``
        (``fixed_size_list<float32>[d]``), then the store's fields in order. No vector
        index is built: choose one with ``table.create_index(...)``.
    """
    import pyarrow as pa

    if not isinstance(store, VectorStore):
        raise TypeError(f"store must be an embedkit VectorStore, got {type(store).__name__}")
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    check_choice(mode, "mode", ("create", "overwrite"))
    reserved = [f for f in store.fields if f in (ID_COLUMN, VECTOR_COLUMN) or f.startswith("_")]
    if reserved:
        raise ValueError(f"the store's field(s) {reserved} clash with the table's own columns "
                         f"({ID_COLUMN!r}, {VECTOR_COLUMN!r}, and names starting with '_', which "
                         "LanceDB uses for _distance, _score, _rowid): rename them before exporting")
    if len(store) == 0:
        raise ValueError("store is empty: LanceDB needs at least one row to create a table")
    if ids is None:
        rows = np.arange(len(store), dtype=np.int64)
    else:
        rows = np.asarray(ids)
        if rows.ndim != 1 or rows.size == 0 or not np.issubdtype(rows.dtype, np.integer):
            raise ValueError(f"ids must be a non-empty 1-D array of ints, got {rows.dtype} array of shape {rows.shape}")
        rows = rows.astype(np.int64)
        if rows.min() < 0 or rows.max() >= len(store) or len(np.unique(rows)) != len(rows):
            raise ValueError(f"ids must be distinct ids of the store (0 .. {len(store) - 1}), "
                             f"got values from {rows.min()} to {rows.max()} ({len(rows) - len(np.unique(rows))} repeated)")
    # The store's own columns and float32 copy of the vectors (same package: no public copy needed).
    vectors = store._vectors[rows]
    columns = {ID_COLUMN: pa.array(rows, pa.int64()),
               VECTOR_COLUMN: pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel(), pa.float32()), store.d)}
    for f in store.fields:
        values = [store._columns[f][i] for i in rows]
        columns[f] = pa.array(values, _arrow_type(f, store._columns[f]))
    if not hasattr(db, "create_table"):
        db = _lancedb().connect(str(db) if isinstance(db, Path) else db)
    return db.create_table(name, pa.table(columns), mode=mode)


# -- table -> VectorStore ------------------------------------------------------------------
def from_lancedb(table, index: Index, *, prefilter_fraction: float = 0.05) -> VectorStore:
    """Read a table written by :func:`to_lancedb` (or shaped like one) into a ``VectorStore``.

    Args:
        table: a LanceDB table with an int ``id`` column holding ``0 .. n-1`` (in any row
            order), a ``vector`` column of fixed-size float lists, and metadata columns
            of JSON types (str, int, float, bool, with nulls).
        index: an empty embedkit index of the table's dimension; trained on the table's
            vectors here if it needs training and is not trained yet.
        prefilter_fraction: as in ``VectorStore``.

    Returns:
        A ``VectorStore`` whose row ``i`` is the table's row with ``id == i``; its fields are
        the metadata columns in table order.
    """
    import pyarrow as pa

    if not hasattr(table, "to_arrow") or not hasattr(table, "schema"):
        raise TypeError(f"table must be a LanceDB table (db.open_table(name)), got {type(table).__name__}")
    data = table.to_arrow()
    for col in (ID_COLUMN, VECTOR_COLUMN):
        if col not in data.column_names:
            raise ValueError(f"table has no {col!r} column (columns: {data.column_names}); "
                             "export stores with to_lancedb, which writes both")
    vec_type = data.schema.field(VECTOR_COLUMN).type
    if not pa.types.is_fixed_size_list(vec_type) or not pa.types.is_floating(vec_type.value_type):
        raise TypeError(f"column {VECTOR_COLUMN!r} must hold fixed-size lists of floats, got {vec_type}")
    if not pa.types.is_integer(data.schema.field(ID_COLUMN).type):
        raise TypeError(f"column {ID_COLUMN!r} must hold integers, got {data.schema.field(ID_COLUMN).type}")
    if not isinstance(index, Index):
        raise TypeError(f"index must be an embedkit index (e.g. FlatIndex, HNSWIndex), got {type(index).__name__}")
    if index.d != vec_type.list_size:
        raise ValueError(f"index has d={index.d} but the table's vectors have d={vec_type.list_size}")
    ids = data[ID_COLUMN].to_numpy()
    n = len(ids)
    order = np.argsort(ids, kind="stable")
    if n == 0 or not np.array_equal(ids[order], np.arange(n)):
        raise ValueError(f"the table's ids must be exactly 0 .. n-1 (a VectorStore numbers its rows); "
                         f"got {n} rows with ids from {ids.min() if n else None} to {ids.max() if n else None}"
                         " (rows deleted, or a shard of a larger store?)")
    vectors = data[VECTOR_COLUMN].combine_chunks()
    if vectors.null_count:
        raise ValueError(f"column {VECTOR_COLUMN!r} has {vectors.null_count} missing vectors")
    # flatten() honours the array's offset, unlike .values.
    x = vectors.flatten().to_numpy(zero_copy_only=False).reshape(n, vec_type.list_size)
    x = np.ascontiguousarray(x[order], dtype=np.float32)
    fields = [f for f in data.column_names if f not in (ID_COLUMN, VECTOR_COLUMN) and not f.startswith("_")]
    metadata = {}
    for f in fields:
        t = data.schema.field(f).type
        if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
                or pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t)):
            raise TypeError(f"column {f!r} has type {t}; a VectorStore keeps str/int/float/bool/None values")
        values = data[f].to_pylist()
        metadata[f] = [values[i] for i in order]
    if getattr(index, "needs_training", False) and not index.is_trained:
        index.train(x)
    store = VectorStore(index, fields, prefilter_fraction=prefilter_fraction)
    store.add(x, metadata)
    return store


# -- filters -------------------------------------------------------------------------------
def _sql_literal(field: str, value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        if not math.isfinite(value):
            raise ValueError(f"where[{field!r}] holds {value}, which SQL cannot compare")
        return repr(float(value))
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"       # SQL escapes a quote by doubling it
    raise TypeError(f"where[{field!r}] must hold str/int/float/bool/None values, got {type(value).__name__}")


def where_to_sql(where: Mapping[str, Any]) -> str:
    """``VectorStore``'s filter dict as a LanceDB SQL ``WHERE`` clause.

    ``{"topic": "History"}`` -> ``"`topic` = 'History'"``; a list/tuple/set of values means
    membership (``IN``); ``None`` means missing (``IS NULL``); conditions are joined by
    ``AND``, as ``VectorStore.mask`` does. Column names are quoted with backticks, string
    values with single quotes (doubled inside).
    """
    if not isinstance(where, Mapping) or not where:
        raise TypeError(f"where must be a non-empty dict like {{'topic': 'History'}}, got {where!r}")
    clauses = []
    for field, wanted in where.items():
        if not isinstance(field, str) or "`" in field:
            raise ValueError(f"where's field names must be str without backticks, got {field!r}")
        column = f"`{field}`"
        values = list(wanted) if isinstance(wanted, (list, tuple, set, frozenset)) else [wanted]
        present = [v for v in values if v is not None]
        if isinstance(wanted, (set, frozenset)):      # a stable clause for a set of values
            present = sorted(present, key=lambda v: (type(v).__name__, v))
        parts = []
        if present:
            literals = [_sql_literal(field, v) for v in present]
            parts.append(f"{column} = {literals[0]}" if len(literals) == 1
                         else f"{column} IN ({', '.join(literals)})")
        if len(present) < len(values):
            parts.append(f"{column} IS NULL")
        clauses.append("FALSE" if not parts else parts[0] if len(parts) == 1 else f"({' OR '.join(parts)})")
    return " AND ".join(clauses)


# -- search --------------------------------------------------------------------------------
def _table_dim(table) -> int:
    import pyarrow as pa

    t = table.schema.field(VECTOR_COLUMN).type
    if not pa.types.is_fixed_size_list(t):
        raise TypeError(f"column {VECTOR_COLUMN!r} must hold fixed-size lists, got {t}")
    return t.list_size


def lancedb_search(table, queries, k: int, *, where=None, prefilter: bool = True,
                   metric: str = "l2", nprobes: int | None = None, max_nprobes: int | None = None,
                   refine_factor: int | None = None, ef: int | None = None,
                   fast_search: bool = False, exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows per query: ``(D, I)``, each ``(nq, k)``, like an embedkit index.

    Args:
        table: a LanceDB table with ``id`` and ``vector`` columns.
        queries: ``(nq, d)`` float32; sent to LanceDB in one call (one query plan).
        k: results per query.
        where: a ``VectorStore``-style dict (translated by :func:`where_to_sql`) or a SQL
            string (``"words >= 150"``).
        prefilter: filter before the vector search (``True``, LanceDB's default) or after
            it (``False``: the top ``k`` first, then the filter, so fewer than ``k`` may pass).
        metric: ``"l2"`` (squared distances), ``"cosine"`` (``1 - cos``) or ``"dot"``
            (``1 - x.q``); must match the index's metric for the index to be used.
        nprobes: IVF partitions searched per query (sets LanceDB's minimum and maximum).
        max_nprobes: after ``nprobes``, more partitions are searched while fewer than ``k``
            rows pass the filter, up to this many (``0``: no limit).
        refine_factor: re-rank ``k * refine_factor`` candidates with the full vectors.
        ef: the HNSW search list size, for HNSW-based indexes.
        fast_search: search the index only, skipping rows added since it was built.
        exact: skip the index: a flat scan, the ground truth.

    Returns:
        ``D: (nq, k) float32`` LanceDB's ``_distance`` (smaller is better), ``+inf`` in
        padding; ``I: (nq, k) int64`` the rows' ``id``, ``-1`` in padding.
    """
    if not hasattr(table, "search"):
        raise TypeError(f"table must be a LanceDB table, got {type(table).__name__}")
    q = as_matrix(queries, "queries", d=_table_dim(table))
    k = check_int(k, "k", minimum=1)
    check_choice(metric, "metric", ("l2", "cosine", "dot"))
    builder = table.search(list(q), vector_column_name=VECTOR_COLUMN).distance_type(metric).limit(k)
    # Naming _distance keeps it in the output without LanceDB's auto-projection warning.
    builder = builder.select([ID_COLUMN, "_distance"])
    if where is not None:
        builder = builder.where(where if isinstance(where, str) else where_to_sql(where), prefilter=bool(prefilter))
    if nprobes is not None:
        builder = builder.nprobes(check_int(nprobes, "nprobes", minimum=1))
    if max_nprobes is not None:
        builder = builder.maximum_nprobes(check_int(max_nprobes, "max_nprobes", minimum=0))
    if refine_factor is not None:
        builder = builder.refine_factor(check_int(refine_factor, "refine_factor", minimum=1))
    if ef is not None:
        builder = builder.ef(check_int(ef, "ef", minimum=1))
    if fast_search:
        builder = builder.fast_search()
    if exact:
        builder = builder.bypass_vector_index()
    result = builder.to_arrow()
    ids = result[ID_COLUMN].to_numpy().astype(np.int64)
    dist = result["_distance"].to_numpy().astype(np.float32)
    which = (result["query_index"].to_numpy().astype(np.int64) if "query_index" in result.column_names
             else np.zeros(len(ids), np.int64))                 # one query: no query_index column
    # Rows arrive best first within each query; a stable sort by query keeps that order.
    order = np.argsort(which, kind="stable")
    which, ids, dist = which[order], ids[order], dist[order]
    starts = np.searchsorted(which, np.arange(len(q)))
    rank = np.arange(len(which)) - starts[which]
    D = np.full((len(q), k), np.inf, np.float32)
    I = np.full((len(q), k), -1, np.int64)
    D[which, rank], I[which, rank] = dist, ids
    return D, I


def lancedb_search_shards(tables: Sequence, queries, k: int, **search_kwargs) -> tuple[np.ndarray, np.ndarray]:
    """Search every shard (a table holding part of the collection, global ids) and merge.

    Each shard returns its own top ``k``; the global top ``k`` is among their union, so for
    exact search the merge is lossless (equal to searching one table of all the rows).
    ``search_kwargs`` go to :func:`lancedb_search`; returns ``(D, I)`` as it does.
    """
    if isinstance(tables, (str, bytes)) or not isinstance(tables, Sequence) or not tables:
        raise TypeError(f"tables must be a non-empty list of LanceDB tables, got {type(tables).__name__}")
    D, I = lancedb_search(tables[0], queries, k, **search_kwargs)
    for table in tables[1:]:
        D_s, I_s = lancedb_search(table, queries, k, **search_kwargs)
        D, I = merge_top_k(D, I, D_s, I_s, k, largest=False)
    return D, I
