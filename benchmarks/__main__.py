"""Run every ``benchmarks/bench_*.py`` and print one ratio table.

    python -m benchmarks              # everything (several minutes on 2 cores)
    python -m benchmarks --quick      # smaller data, a smoke run
    python -m benchmarks --only flat  # modules whose name contains "flat"
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import platform
import sys
import time

import benchmarks
from benchmarks.harness import format_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small data, for a smoke run")
    parser.add_argument("--only", default="", help="run only modules whose name contains this")
    args = parser.parse_args(argv)
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    names = [n for n in names if args.only in n]
    if not names:
        print("no benchmark modules matched", file=sys.stderr)
        return 1
    print(f"embedkit benchmarks on {platform.machine()} with {platform.python_version()}; "
          f"quick={args.quick}\n")
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        start = time.perf_counter()
        rows = module.run(quick=args.quick)
        print(f"== {name} ({time.perf_counter() - start:.0f} s)")
        print(format_table(rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
