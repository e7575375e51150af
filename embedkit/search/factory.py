"""``index_factory``: build an index from a short description, as ``faiss.index_factory``.

faiss names composite indexes by their parts, comma-separated, coarsest first:
``"IVF1024,PQ16"`` is an inverted file with 1,024 lists whose vectors are stored as
16-byte PQ codes; ``"OPQ16,IVF256,PQ16"`` rotates the vectors with OPQ before that.
The same strings build the matching embedkit classes, so one line names an experiment:

==========================  =====================================================
description                 index
==========================  =====================================================
``Flat``                    ``FlatIndex(d)``: exact search
``IVF256`` / ``IVF256,Flat``  ``IVFIndex(d, nlist=256)``
``PQ16`` / ``PQ16x8``       ``PQIndex(d, m=16, nbits=8)``
``OPQ16,PQ16``              ``PQIndex(d, 16, opq=True)``
``IVF256,PQ16``             ``IVFPQIndex(d, nlist=256, m=16)``
``OPQ16,IVF256,PQ16``       ``IVFPQIndex(d, 256, 16, opq=True)``
``HNSW32`` / ``HNSW32,Flat``  ``HNSWIndex(d, M=32)``
``SQ8`` / ``SQ4``           ``SQIndex(d, bits=8)`` / ``bits=4``
``...,RFlat``               after a PQ index: keep the raw vectors and re-rank exactly
                            (``rerank=True``; faiss's ``IndexRefineFlat``)
==========================  =====================================================

Keyword arguments go to the class (``seed``, ``ef_construction``, ``k_factor``...): the
defaults are embedkit's (``HNSWIndex`` builds with ``ef_construction=200``; faiss's
factory uses 40). ``OPQm_D`` (faiss's OPQ with an output dimension) is accepted only
with ``D == d``: embedkit's OPQ rotates, it does not reduce the dimension.
"""
from __future__ import annotations

import re

from .._validation import check_int
from .flat import FlatIndex
from .hnsw import HNSWIndex
from .index_base import Index
from .ivf import IVFIndex
from .pq_index import IVFPQIndex, PQIndex
from .scalar_quantization import SQIndex

__all__ = ["index_factory"]

_FORMS = ('"Flat", "IVF<nlist>[,Flat]", "PQ<m>[x<nbits>]", "OPQ<m>,PQ<m>", '
          '"IVF<nlist>,PQ<m>[x<nbits>]", "OPQ<m>,IVF<nlist>,PQ<m>", "HNSW<M>[,Flat]", '
          '"SQ8", "SQ4", each PQ form optionally followed by ",RFlat"')


def _pq(part: str) -> tuple[int, int] | None:
    """``"PQ16"`` -> ``(16, 8)``, ``"PQ16x4"`` -> ``(16, 4)``; ``None`` if not a PQ part."""
    match = re.fullmatch(r"PQ(\d+)(?:x(\d+))?", part)
    return None if match is None else (int(match[1]), int(match[2] or 8))


def index_factory(d: int, description: str, metric: str = "l2", **kwargs) -> Index:
    """An untrained index from a faiss-style description (see the module's table).

    Args:
        d: vector dimension.
        description: e.g. ``"IVF256,PQ16"``, ``"HNSW32"``, ``"OPQ16,IVF256,PQ16"``, ``"Flat"``.
        metric: ``"l2"``, ``"ip"`` or ``"cosine"``, passed to the index.
        **kwargs: further arguments of the index's class (``seed=``, ``ef_construction=``...).
    Returns:
        the index, exactly as the equivalent explicit constructor call builds it.

    Example:
        >>> index = index_factory(50, "IVF1024,PQ10", metric="cosine")
        >>> index.train(x); index.add(x); index.nprobe = 16
    """
    d = check_int(d, "d", minimum=1)
    if not isinstance(description, str):
        raise TypeError(f"description must be a string such as 'IVF256,PQ16', got "
                        f"{type(description).__name__}")
    parts = [p.strip() for p in description.split(",")]
    rerank = bool(parts) and parts[-1] == "RFlat"
    if rerank:
        parts = parts[:-1]
    opq_m = None
    if parts and (match := re.fullmatch(r"OPQ(\d+)(?:_(\d+))?", parts[0])):
        opq_m = int(match[1])
        if match[2] is not None and int(match[2]) != d:
            raise ValueError(f"{description!r}: OPQ{opq_m}_{match[2]} reduces the dimension to "
                             f"{match[2]}; embedkit's OPQ only rotates (use OPQ{opq_m} or "
                             f"OPQ{opq_m}_{d})")
        parts = parts[1:]

    def fail(why: str):
        return ValueError(f"cannot build an index from {description!r}: {why}; "
                          f"supported forms: {_FORMS}")

    ivf = re.fullmatch(r"IVF(\d+)", parts[0]) if parts else None
    pq = _pq(parts[-1]) if parts else None
    index: Index
    if pq is not None and len(parts) == 1:                       # PQm, OPQm,PQm
        index = PQIndex(d, pq[0], pq[1], metric, opq=opq_m is not None, rerank=rerank, **kwargs)
    elif pq is not None and len(parts) == 2 and ivf:             # IVFn,PQm, OPQm,IVFn,PQm
        index = IVFPQIndex(d, int(ivf[1]), pq[0], pq[1], metric, opq=opq_m is not None,
                           rerank=rerank, **kwargs)
    elif opq_m is not None or rerank:
        raise fail("OPQ and RFlat go with a PQ index")
    elif parts == ["Flat"]:
        index = FlatIndex(d, metric, **kwargs)
    elif ivf and (len(parts) == 1 or parts[1:] == ["Flat"]):
        index = IVFIndex(d, int(ivf[1]), metric, **kwargs)
    elif parts and (hnsw := re.fullmatch(r"HNSW(\d+)", parts[0])) and parts[1:] in ([], ["Flat"]):
        index = HNSWIndex(d, int(hnsw[1]), metric=metric, **kwargs)
    elif len(parts) == 1 and parts[0] in ("SQ8", "SQ4"):
        index = SQIndex(d, int(parts[0][2]), metric, **kwargs)
    else:
        raise fail("unknown or misplaced part")
    if opq_m is not None and opq_m != index.m:
        raise ValueError(f"{description!r}: OPQ{opq_m} must match the PQ's m={index.m} "
                         f"(embedkit's OPQ learns its rotation for that PQ)")
    return index
