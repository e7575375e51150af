"""Saving and restoring a ``numpy.random.Generator``, so a reloaded index draws on.

An index that keeps drawing random numbers after ``load`` (HNSW levels for new vectors,
random split points) must continue from the exact state it was saved in: then "save,
load, add" gives the same index as "add" without the round trip. The state of numpy's
bit generators is a small dict of integers, stored in the JSON header of the index file.
"""
from __future__ import annotations

import numpy as np

__all__ = ["rng_state", "rng_from_state"]

_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")


def rng_state(rng: np.random.Generator) -> dict:
    """The JSON-serialisable state of ``rng`` (Python ints of any size are fine in JSON)."""
    return rng.bit_generator.state


def rng_from_state(state: dict) -> np.random.Generator:
    """A new Generator in exactly the saved ``state``; ``ValueError`` if it is not one."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise ValueError(f"unknown random bit generator {name!r}")
    rng = np.random.Generator(getattr(np.random, name)())
    rng.bit_generator.state = state
    return rng
