"""Input validation shared by every public entry point of embedkit.

Public functions validate their inputs once, at the boundary, with these helpers, so a
learner who passes the wrong thing reads a sentence that names the argument, says what
was expected, what was given and (where there is one) the fix, instead of a numpy
broadcasting traceback from three calls deep. Internal code then trusts its inputs.

Conventions (the same as faiss and scikit-learn): float input becomes C-contiguous
float32 exactly once; vectors are rows of an ``(n, d)`` matrix.
"""
from __future__ import annotations

import numbers
from typing import Iterable

import numpy as np

__all__ = [
    "as_matrix",
    "as_vector",
    "check_same_dim",
    "check_k",
    "check_choice",
    "check_int",
    "check_number",
    "as_generator",
    "check_words",
    "check_counts",
    "check_finite",
    "check_bool_mask",
    "TrainingDivergedError",
    "check_not_diverged",
    "check_word_vectors",
]


def _describe(x) -> str:
    """A short description of what the user gave, for error messages."""
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    if isinstance(x, str):
        return f"the string {x!r}" if len(x) < 40 else "a string"
    return f"{type(x).__name__} {x!r}" if isinstance(x, numbers.Number) else type(x).__name__


def _to_array(x, name: str, dtype) -> np.ndarray:
    """np.asarray with readable errors for strings, ragged lists and non-numeric data."""
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be a numeric array, got {_describe(x)}")
    if x is None:
        raise TypeError(f"{name} must be a numeric array, got None")
    try:
        arr = np.asarray(x)
    except ValueError as err:  # ragged nested lists
        raise ValueError(
            f"{name} must be a rectangular numeric array; could not convert it ({err})"
        ) from None
    if arr.dtype == object:
        raise ValueError(
            f"{name} must be a rectangular numeric array, got an object array of shape "
            f"{arr.shape} (ragged rows, or mixed types?)"
        )
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real-valued, got dtype {arr.dtype}")
    if dtype is not None:
        src = arr
        with np.errstate(over="ignore"):
            arr = np.ascontiguousarray(src, dtype=dtype)
        # float64 -> float32 turns values beyond +-3.4e38 into inf: say so, rather than
        # let the finite check report an infinity the user never passed
        if src.dtype.kind == "f" and arr.dtype.kind == "f" and arr.dtype.itemsize < src.dtype.itemsize:
            overflow = ~np.isfinite(arr)
            if overflow.any() and np.any(overflow & np.isfinite(src)):
                raise ValueError(f"{name} has values too large for {arr.dtype} (beyond "
                                 f"+-{np.finfo(arr.dtype).max:.3g}); rescale the data first")
    return arr


def _check_finite(arr: np.ndarray, name: str) -> None:
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        where = tuple(int(i) for i in bad)
        raise ValueError(
            f"{name} contains NaN or infinity (first at index {where}); "
            "clean or impute the data first"
        )


def as_matrix(
    x,
    name: str = "x",
    *,
    d: int | None = None,
    dtype=np.float32,
    allow_empty: bool = False,
    finite: bool = True,
) -> np.ndarray:
    """Validate a batch of vectors and return it as a C-contiguous ``(n, d)`` array.

    Args:
        x: array-like of shape ``(n, d)``.
        name: the argument's name, used in error messages.
        d: the required number of columns, if known (e.g. an index's dimension).
        dtype: target dtype (float32 by default); ``None`` keeps the input's dtype.
        allow_empty: whether ``n == 0`` is acceptable.
        finite: reject NaN and infinity.
    """
    arr = _to_array(x, name, dtype)
    if arr.ndim != 2:
        hint = f"; for one vector pass {name}[None, :]" if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (n, d), got shape {arr.shape}{hint}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column, got shape {arr.shape}")
    if arr.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} must contain at least one vector, got shape {arr.shape}")
    if d is not None and arr.shape[1] != d:
        raise ValueError(
            f"{name} must have d={d} columns, got shape {arr.shape} (d={arr.shape[1]})"
        )
    if finite:
        _check_finite(arr, name)
    return arr


def as_vector(
    x, name: str = "x", *, d: int | None = None, dtype=np.float32, finite: bool = True
) -> np.ndarray:
    """Validate a single vector and return it as a contiguous ``(d,)`` array."""
    arr = _to_array(x, name, dtype)
    if arr.ndim != 1:
        hint = f"; for a single row pass {name}[0]" if arr.ndim == 2 and arr.shape[0] == 1 else ""
        raise ValueError(f"{name} must be 1-D (d,), got shape {arr.shape}{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if d is not None and arr.shape[0] != d:
        raise ValueError(f"{name} must have length d={d}, got length {arr.shape[0]}")
    if finite:
        _check_finite(arr, name)
    return arr


def check_same_dim(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Both vectors (or both batches) must share the last dimension ``d``."""
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same dimension d, got "
            f"{name_a}.shape={a.shape} and {name_b}.shape={b.shape}"
        )


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (bools excluded) within ``[minimum, maximum]``; returns it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_number(
    value, name: str, *, minimum: float | None = None, maximum: float | None = None,
    strict_minimum: bool = False,
) -> float:
    """A finite real number within bounds; returns it as ``float``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {_describe(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if strict_minimum and value <= minimum:
            raise ValueError(f"{name} must be > {minimum}, got {value}")
        if value < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_k(k, n: int, *, name: str = "k", what: str = "vectors") -> int:
    """``1 <= k <= n``: you cannot ask for more neighbours than there are ``what``."""
    k = check_int(k, name)
    if k <= 0:
        raise ValueError(f"{name} must be a positive integer, got {k}")
    if k > n:
        raise ValueError(f"{name}={k} is larger than the number of {what} ({n}); use {name} <= {n}")
    return k


def check_choice(value, name: str, choices: Iterable[str]) -> str:
    """One of a fixed set of strings (e.g. a metric name)."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def as_generator(seed) -> np.random.Generator:
    """A local ``numpy.random.Generator`` from an int seed, ``None`` or a Generator.

    The library never touches global random state: the same seed gives the same result.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        if seed is not None and seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be an int, None or numpy.random.Generator, got {_describe(seed)}")


# -- words, counts, tensors, masks, training ----------------------------------------------
def check_words(words, name: str = "words", *, allow_empty: bool = False) -> list:
    """A list of str tokens (a str itself, None, numbers or nested lists are refused)."""
    if isinstance(words, (str, bytes)):
        raise TypeError(f"{name} must be a list of str, got {_describe(words)}; "
                        f"for one word pass [{name}]")
    if words is None or not hasattr(words, "__iter__") or isinstance(words, dict):
        raise TypeError(f"{name} must be a list of str, got {_describe(words)}")
    words = list(words)
    for i, w in enumerate(words):
        if not isinstance(w, str):
            raise TypeError(f"{name} must hold only str, got {_describe(w)} at position {i}")
    if not words and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    return words


def check_counts(counts, name: str = "counts", *, n: int | None = None,
                 positive: bool = False) -> np.ndarray:
    """Whole, non-negative (or positive) counts as int64 ``(n,)``; floats must be whole."""
    arr = _to_array(counts, name, None)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one count per word), got shape {arr.shape}")
    if arr.dtype == np.bool_:
        raise TypeError(f"{name} must hold whole numbers, got booleans")
    if not np.issubdtype(arr.dtype, np.integer):
        _check_finite(arr, name)
        frac = arr != np.round(arr)
        if frac.any():
            raise ValueError(f"{name} must hold whole numbers (how often each word occurs), "
                             f"got {arr[frac][0].item()!r} at index {int(np.flatnonzero(frac)[0])}; "
                             "round the counts first")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have one count per word ({n}), got {arr.shape[0]}")
    low = 1 if positive else 0
    if arr.size and arr.min() < low:
        raise ValueError(f"{name} must be {'positive' if positive else 'non-negative'}, "
                         f"got {arr.min().item()!r} at index {int(np.argmin(arr))}")
    return arr.astype(np.int64)


def check_finite(x, name: str) -> None:
    """Raise ``ValueError`` if the float array or torch tensor ``x`` holds NaN or infinity."""
    if isinstance(x, np.ndarray):
        _check_finite(x, name)
        return
    if hasattr(x, "is_floating_point") and x.is_floating_point():   # a torch tensor
        import torch

        with torch.no_grad():
            if not bool(torch.isfinite(x).all()):
                where = tuple(int(i) for i in torch.nonzero(~torch.isfinite(x))[0])
                raise ValueError(f"{name} contains NaN or infinity (first at index {where}); "
                                 "check the model's inputs and weights (a diverged training run?)")


def check_bool_mask(mask, name: str = "mask", *, allow_float: bool = False):
    """A boolean mask (True = keep). Integer 0/1 masks are refused: they are easily *added*
    to scores by mistake, which shifts them by 1 instead of masking."""
    dtype = getattr(mask, "dtype", None)
    if dtype is None:
        raise TypeError(f"{name} must be a boolean array or tensor, got {_describe(mask)}")
    is_bool = str(dtype) in ("bool", "torch.bool")
    is_float = "float" in str(dtype)
    if is_bool or (allow_float and is_float):
        return mask
    expected = "boolean (True = attend) or an additive float mask (0 / -inf)" if allow_float \
        else "boolean (True = real token)"
    raise TypeError(f"{name} must be {expected}, got dtype {dtype}; for a 0/1 integer mask "
                    f"pass {name}.bool() (torch) or {name}.astype(bool) (numpy)")


def check_word_vectors(wv, name: str = "wv"):
    """Word vectors with gensim's basics (``index``, ``vectors``), e.g. ``WordVectors``."""
    if not (hasattr(wv, "index") and hasattr(wv, "vectors")):
        raise TypeError(f"{name} must be word vectors (e.g. embedkit.WordVectors, or "
                        f"WordVectors.from_gensim(kv)), got {_describe(wv)}")
    return wv


class TrainingDivergedError(FloatingPointError, ValueError):
    """Training produced NaN or infinity: the learning rate is too large for the data.

    A ``FloatingPointError`` and a ``ValueError``; the message names the learning rate.
    """


def check_not_diverged(values, *, what: str, lr_name: str, lr: float, where: str = "") -> None:
    """Raise :class:`TrainingDivergedError` if ``values`` (arrays/tensors/floats) are not all finite."""
    for v in values if isinstance(values, (list, tuple)) else [values]:
        if hasattr(v, "is_floating_point"):
            import torch

            ok = bool(torch.isfinite(v).all())
        else:
            ok = bool(np.isfinite(np.asarray(v, dtype=np.float64)).all())
        if not ok:
            raise TrainingDivergedError(
                f"training diverged: {what} became NaN or infinite{where}. The learning rate "
                f"{lr_name}={lr:g} is too large for this data; train again with a smaller "
                f"{lr_name} (e.g. {lr_name}={lr / 10:g})")
