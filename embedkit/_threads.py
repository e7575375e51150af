"""How many threads embedkit's batch searches and parallel builds use.

faiss runs every batch search on all cores (OpenMP, ``faiss.omp_set_num_threads``), and
so does embedkit, with one setting for the whole package::

    import embedkit as ek
    ek.set_num_threads(2)     # every index's search (and HNSW / k-means builds) on 2 threads
    ek.get_num_threads()      # -> 2

The default is the ``OMP_NUM_THREADS`` environment variable when it is set (as faiss's
default), else the number of cores this process may run on. The course's notebooks run
with ``OMP_NUM_THREADS=1``, so they default to one thread.

How the work is split. A batch of queries is cut into **blocks of fixed size**, and the
blocks are handed to a pool of threads (``parallel_map``). Either the cut depends only on
the data, never on the thread count, or (IVF, whose blocks share list reads) a query's
result does not depend on the block it is in; every block is computed by the same code
on its own queries, so a search on 8 threads returns exactly the ids and distances of a
search on one thread (the tests check it). Threads run in parallel because the work inside a block
is done by code that releases Python's global interpreter lock: numpy and BLAS, torch's
top-k, and the numba loops compiled with ``nogil=True``.

Nested parallelism. A block's matrix product would itself use a multi-threaded BLAS, and
with both embedkit and BLAS starting a thread per core the cores are oversubscribed
(OpenBLAS's threads spin while they wait: measured 2.6x slower for IVF-PQ searches at
d = 384 on 2 cores). So while the pool runs, BLAS is limited to one thread per worker
(``threadpoolctl``, the library scikit-learn uses for the same purpose); single-threaded
calls leave BLAS's own threads alone.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Callable, Iterable, TypeVar

from ._validation import check_int

__all__ = ["set_num_threads", "get_num_threads", "parallel_map", "block_ranges"]

T = TypeVar("T")
R = TypeVar("R")

_num_threads: int | None = None        # None: not set yet, use the default
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_lock = threading.Lock()
_worker = threading.local()            # .busy is True inside a pool thread
_blas = None                           # threadpoolctl's controller, found on first use


def _default_threads() -> int:
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))   # the cores this process may use
    except AttributeError:                            # not on Linux
        return max(1, os.cpu_count() or 1)


def get_num_threads() -> int:
    """Threads used by batch searches and parallel builds (``>= 1``)."""
    return _default_threads() if _num_threads is None else _num_threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for every batch search and parallel build (faiss's
    ``omp_set_num_threads``). Results do not depend on ``n``; only the speed does."""
    global _num_threads
    _num_threads = check_int(n, "n", minimum=1)


def _executor(workers: int) -> ThreadPoolExecutor:
    """A shared pool with at least ``workers`` threads (grown on demand, never shrunk)."""
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < workers:
            old = _pool
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embedkit")
            _pool_size = workers
            if old is not None:
                old.shutdown(wait=False)
        return _pool


def block_ranges(n: int, block: int) -> list[tuple[int, int]]:
    """``[(0, block), (block, 2 block), ..., (.., n)]``: a fixed cut of ``range(n)``."""
    return [(start, min(start + block, n)) for start in range(0, n, block)]


def parallel_map(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[fn(item) for item in items]``, computed on ``get_num_threads()`` threads.

    Results come back in the order of ``items``. With one thread, or one item, nothing
    is handed to the pool: the loop runs right here, so single-threaded runs pay nothing.
    A ``parallel_map`` called from inside another one (k-means inside the parallel
    training of PQ's sub-quantizers, say) also runs inline: the outer one already keeps
    every thread busy, and waiting on the same pool from inside it could deadlock.
    """
    items = list(items)
    workers = min(get_num_threads(), len(items))
    if workers <= 1 or getattr(_worker, "busy", False):
        return [fn(item) for item in items]

    def run(item):
        _worker.busy = True
        try:
            return fn(item)
        finally:
            _worker.busy = False

    with _one_blas_thread():
        return list(_executor(workers).map(run, items))


def _one_blas_thread():
    """A context in which BLAS runs on one thread (the pool's workers are the parallelism)."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
            _blas = ThreadpoolController()
        except ImportError:                # not installed: leave BLAS as it is
            _blas = False
    if not _blas or all(info.get("num_threads", 1) <= 1 for info in _blas.info()
                        if info.get("user_api") == "blas"):
        return nullcontext()
    return _blas.limit(limits=1, user_api="blas")
