"""The one environment in which notebooks are executed, for regeneration and for tests.

Fixed thread counts make BLAS/torch reductions run in the same order everywhere, and a
fixed hash seed makes set/dict iteration of strings repeatable; MPLBACKEND keeps plots
inline and headless.
"""
NOTEBOOK_ENV = {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}
