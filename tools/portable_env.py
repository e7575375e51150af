"""Run a command with every library's vector instruction set forced down (``make test-portable``).

The stored notebook outputs are recorded on one CPU; a learner's laptop or the next CI
machine takes other code paths (AVX-512 here, AVX2 or SSE there), so sums reduce in
another order and the last digits move. We cannot borrow other CPUs, but each numeric
library lets us force its own dispatch down to the baseline, which exercises exactly the
same kind of difference on one machine:

    python tools/portable_env.py --report                   # native vs forced-down, per library
    python tools/portable_env.py -- pytest --nbval ...      # show the switches took, then run
    python tools/portable_env.py --level avx2 -- pytest ... # the AVX2 level instead of the baseline

Each switch below is read by the library named; ``--report`` shows that it really changed
the path that library takes (the test ``tests/test_portable_env.py`` asserts it). hnswlib
has no such switch (it picks SSE/AVX/AVX-512 distance kernels by cpuid), so notebook 16's
hnswlib figures are the one thing this cannot force; gensim's loops call BLAS, which is
forced through OpenBLAS.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

# x86-64 switches, by level. "baseline": every library down to the oldest path it ships
# (SSE4.2 / x86-64-v2 or generic), the furthest from a modern CPU's native run; "avx2": the
# path a typical laptop of the last decade takes, a second point in between.
LEVELS = {
    "baseline": {
        "NPY_ENABLE_CPU_FEATURES": "X86_V2",     # numpy: no AVX2 / AVX-512 dispatch (baseline only)
        "OPENBLAS_CORETYPE": "Nehalem",          # OpenBLAS in numpy, scipy and faiss: SSE4.2 kernels
        "ATEN_CPU_CAPABILITY": "default",        # torch's ATen kernels: no AVX2 / AVX-512 vectorisation
        "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",     # MKL inside torch (matmul, linear layers)
        "ONEDNN_MAX_CPU_ISA": "SSE41",           # oneDNN inside torch (used by some layers)
        "FAISS_SIMD_LEVEL": "NONE",              # faiss >= 1.12 (dynamic dispatch): scalar kernels
        "FAISS_OPT_LEVEL": "generic",            # older faiss wheels: load the generic library
        "NUMBA_CPU_NAME": "generic",             # numba: compile for a generic x86-64 (SSE2), not the host
    },
    "avx2": {
        "NPY_ENABLE_CPU_FEATURES": "X86_V3",     # numpy: AVX2/FMA3 dispatch, no AVX-512
        "OPENBLAS_CORETYPE": "Haswell",
        "ATEN_CPU_CAPABILITY": "avx2",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "FAISS_SIMD_LEVEL": "AVX2",
        "FAISS_OPT_LEVEL": "avx2",
        "NUMBA_CPU_NAME": "haswell",
        "NUMBA_CPU_FEATURES": "",                # haswell's own features, not the host's AVX-512
    },
}
PORTABLE_ENV = LEVELS["baseline"]
# MKL obeys MKL_ENABLE_INSTRUCTIONS only on Intel CPUs; on others (AMD) it prints a generic
# banner and picks its own code path, which no switch can force. The portable check then
# still forces numpy, OpenBLAS, ATen, oneDNN, faiss and numba, and MKL shows this:
MKL_NOT_INTEL = "its own path (not an Intel CPU)"
# What each level must show in probe() (tests/test_portable_env.py), on an Intel CPU.
EXPECTED = {
    "baseline": {"numpy dispatch": "baseline only", "OpenBLAS core": "Nehalem", "torch ATen": "DEFAULT",
                 "MKL (torch)": "SSE4.2", "faiss SIMD": "NONE", "numba target": "generic (xmm only)"},
    "avx2": {"numpy dispatch": "X86_V3", "OpenBLAS core": "Haswell", "torch ATen": "AVX2",
             "MKL (torch)": "AVX2", "faiss SIMD": "AVX2", "numba target": "haswell (ymm)"},
}

# Prints, as JSON, which path each library takes in the current environment.
_PROBE = r"""
import json, os, subprocess, sys
MKL_NOT_INTEL = "%s"
import numpy as np, threadpoolctl, scipy.linalg, torch, faiss
from numpy._core._multiarray_umath import __cpu_features__
from numba import njit, config

@njit(fastmath=True)
def _sum(x):
    total = 0.0
    for v in x:
        total += v
    return total
_sum(np.ones(64))
asm = _sum.inspect_asm(_sum.signatures[0])
mkl = subprocess.run([sys.executable, "-c", "import torch; torch.ones(64, 64) @ torch.ones(64, 64)"],
                     env={**os.environ, "MKL_VERBOSE": "1"}, capture_output=True, text=True).stdout
banner = next((line for line in mkl.splitlines() if "architecture" in line), "")
mkl_isa = next((isa for key, isa in (("AVX-512", "AVX-512"), ("AVX2", "AVX2"), ("SSE4.2", "SSE4.2"))
                if key in banner), banner or "unknown")
if "Intel(R) Architecture processors" in banner:   # MKL on a non-Intel CPU: its own choice
    mkl_isa = MKL_NOT_INTEL
print(json.dumps({
    "numpy dispatch": " ".join(k for k in ("X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR")
                               if __cpu_features__.get(k)) or "baseline only",
    "OpenBLAS core": " ".join(sorted({i.get("architecture", "?") for i in threadpoolctl.threadpool_info()
                                      if i["internal_api"] == "openblas"})),
    "torch ATen": torch.backends.cpu.get_cpu_capability(),
    "MKL (torch)": mkl_isa,
    "faiss SIMD": faiss.SIMDConfig.get_level_name() if hasattr(faiss, "SIMDConfig") else "n/a",
    "numba target": (config.CPU_NAME or "host") + (" (zmm)" if "zmm" in asm else " (ymm)" if "ymm" in asm
                                                  else " (xmm only)"),
}))
"""


_PROBE = _PROBE % MKL_NOT_INTEL


def probe(env: dict[str, str] | None = None) -> dict[str, str]:
    """Which code path each library takes under ``env`` (added to the current environment)."""
    out = subprocess.run([sys.executable, "-c", _PROBE], env={**os.environ, **(env or {})},
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def report(level: str = "baseline") -> str:
    native, forced = probe(), probe(LEVELS[level])
    width, col = max(map(len, native)), max(map(len, native.values()))
    lines = [f"{'library':{width}s}  {'native':{col}s}  forced down to {level}"]
    lines += [f"{k:{width}s}  {native[k]:{col}s}  {forced[k]}" for k in native]
    return "\n".join(lines)


def expected(level: str) -> dict[str, str]:
    """What ``probe(LEVELS[level])`` must show on this CPU (MKL: see ``MKL_NOT_INTEL``)."""
    want = dict(EXPECTED[level])
    if not _cpu_is_intel():
        want["MKL (torch)"] = MKL_NOT_INTEL
    return want


def _cpu_is_intel() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("vendor_id") and "GenuineIntel" in line for line in f)
    except OSError:
        return True        # no /proc: assume the switch works (macOS on Intel, Windows)


def _cpu_has_avx2() -> bool:
    from numpy._core._multiarray_umath import __cpu_features__
    return bool(__cpu_features__.get("AVX2"))


def main(argv: list[str]) -> int:
    level = "baseline"
    if argv[:1] == ["--level"] and len(argv) > 1:
        level, argv = argv[1], argv[2:]
    if level not in LEVELS:
        print(f"portable_env: --level must be one of {sorted(LEVELS)}, got {level!r}", file=sys.stderr)
        return 2
    env = LEVELS[level]
    if platform.machine().lower() not in ("x86_64", "amd64"):
        print(f"portable_env: the switches are for x86-64; this is {platform.machine()}. "
              "Running the command with only the architecture-neutral switches.", file=sys.stderr)
        env = {"ATEN_CPU_CAPABILITY": "default", "FAISS_SIMD_LEVEL": "NONE", "NUMBA_CPU_NAME": "generic"}
    elif level == "avx2" and not _cpu_has_avx2():
        print("portable_env: this CPU has no AVX2, so the avx2 level cannot run here; "
              "nothing to do (the baseline level covers it).", file=sys.stderr)
        return 0
    if argv[:1] == ["--report"]:
        print(report(level))
        return 0
    if argv[:1] != ["--"] or len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    if env is LEVELS[level]:
        print("instruction sets forced down for this run:\n" + report(level), flush=True)
    return subprocess.run(argv[1:], env={**os.environ, **env}).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
