"""embedkit._threads: the thread setting and the order-preserving parallel map."""
import threading

import pytest

import embedkit as ek
from embedkit import _threads


@pytest.fixture(autouse=True)
def restore():
    before = _threads._num_threads
    yield
    _threads._num_threads = before


def test_default_follows_omp_num_threads(monkeypatch):
    _threads._num_threads = None
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert ek.get_num_threads() == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert ek.get_num_threads() >= 1       # the cores this process may use


def test_set_and_get():
    ek.set_num_threads(2)
    assert ek.get_num_threads() == 2


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-1, ValueError), (1.5, TypeError), ("2", TypeError)])
def test_bad_thread_counts(bad, exc):
    with pytest.raises(exc, match="n must be"):
        ek.set_num_threads(bad)


def test_parallel_map_keeps_order_and_uses_threads():
    ek.set_num_threads(4)
    seen = set()
    barrier = threading.Barrier(2, timeout=10)

    def work(i):
        if i < 2:
            barrier.wait()           # two items must run at the same time, or this times out
        seen.add(threading.current_thread().name)
        return i * i

    assert _threads.parallel_map(work, range(20)) == [i * i for i in range(20)]
    assert len(seen) >= 2


def test_one_thread_runs_inline():
    ek.set_num_threads(1)
    names = _threads.parallel_map(lambda _: threading.current_thread().name, range(5))
    assert set(names) == {threading.current_thread().name}


def test_nested_calls_run_inline_without_deadlock():
    ek.set_num_threads(2)
    inner = lambda i: sum(_threads.parallel_map(lambda j: i * j, range(50)))
    assert _threads.parallel_map(inner, range(8)) == [i * sum(range(50)) for i in range(8)]


def test_block_ranges():
    assert _threads.block_ranges(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert _threads.block_ranges(0, 4) == []
