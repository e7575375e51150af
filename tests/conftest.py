"""Unit-test setup: a reproducible Hypothesis profile and the bad-input census.

* Hypothesis runs derandomized (the same examples on every run and machine, so CI is
  reproducible) and without its example database (nothing is written into the tree).
* Tests that feed generated bad input to a public entry point call the ``bad_input``
  fixture; at the end of the run a table counts those cases by part and entry point
  (the census issue #20 asks for). With pytest-xdist each worker writes its counts to a
  temporary folder and the controller adds them up.
"""
from __future__ import annotations

import collections
import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("embedkit", derandomize=True, database=None, deadline=None,
                          print_blob=False,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.function_scoped_fixture])
settings.load_profile("embedkit")

_COUNTS: collections.Counter = collections.Counter()
_ACCEPTED = (ValueError, TypeError, KeyError)


@pytest.fixture
def bad_input():
    """``with bad_input(part, api, argument):`` must raise ValueError/TypeError/KeyError
    whose message names ``argument``; each use is counted in the census."""

    @contextlib.contextmanager
    def expect(part: str, api: str, argument: str):
        _COUNTS[(part, api)] += 1
        try:
            yield
        except _ACCEPTED as err:
            message = str(err)
            assert argument in message, f"{api}: the error does not name {argument!r}: {message}"
        else:
            raise AssertionError(f"{api}: bad {argument} was accepted silently")

    return expect


@pytest.fixture
def bad_answer(capsys):
    """``with bad_answer(part, api):`` must not raise (exercise checkers answer with a
    verdict, whatever they are given); each use is counted in the census."""

    @contextlib.contextmanager
    def expect(part: str, api: str):
        _COUNTS[(part, api)] += 1
        yield
        capsys.readouterr()            # the printed verdicts

    return expect


@pytest.fixture
def census():
    """``census(part, api, n)``: add ``n`` cases checked elsewhere (e.g. in a child process)."""
    def add(part: str, api: str, n: int) -> None:
        _COUNTS[(part, api)] += n
    return add


def _census_dir(config) -> Path | None:
    folder = getattr(config, "workerinput", {}).get("embedkit_census") or getattr(config, "_embedkit_census", None)
    return Path(folder) if folder else None


def pytest_configure(config):
    if not hasattr(config, "workerinput"):
        config._embedkit_census = tempfile.mkdtemp(prefix="embedkit-census-")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):   # pytest-xdist: tell each worker where to write its counts
    node.workerinput["embedkit_census"] = node.config._embedkit_census


def pytest_sessionfinish(session):
    folder = _census_dir(session.config)
    if folder and _COUNTS:
        name = getattr(session.config, "workerinput", {}).get("workerid", "main")
        rows = [[part, api, n] for (part, api), n in _COUNTS.items()]
        (folder / f"{name}-{os.getpid()}.json").write_text(json.dumps(rows))


def pytest_terminal_summary(terminalreporter, config):
    folder = _census_dir(config)
    if folder is None or hasattr(config, "workerinput") or not folder.exists():
        return
    totals: collections.Counter = collections.Counter()
    for path in folder.glob("*.json"):
        for part, api, n in json.loads(path.read_text()):
            totals[(part, api)] += n
    shutil.rmtree(folder, ignore_errors=True)
    if not totals:
        return
    write = terminalreporter.write_line
    by_part: collections.Counter = collections.Counter()
    for (part, _), n in totals.items():
        by_part[part] += n
    write("")
    write(f"bad-input census: {sum(totals.values())} generated bad inputs. Each is an assertion "
          "(a crash or a silently accepted input fails its test): a ValueError/TypeError/KeyError "
          "naming the argument; for saved files a SavedFileError or identical results; for "
          "exercise checkers a verdict, never an exception")
    write(f"  {'part':<12} {'cases':>6}  entry points")
    for part, n in sorted(by_part.items()):
        apis = sorted(((api, c) for (p, api), c in totals.items() if p == part))
        write(f"  {part:<12} {n:>6}  {len(apis)}: " + ", ".join(f"{api} {c}" for api, c in apis))
