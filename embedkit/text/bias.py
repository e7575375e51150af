"""Bias in word vectors: a gender direction, the WEAT test, hard debiasing.

    g = gender_direction(wv, [("he", "she"), ("man", "woman"), ...])   # (d,) unit vector
    project(wv, ["nurse", "engineer"], g)           # (2,) cosines with g
    d, p = weat_test(wv, X, Y, A, B, seed=0)        # effect size, permutation p-value
    wv_fair = hard_debias(wv, g, neutral_words, equalize_pairs)

Everything works on unit-normalised word vectors (as Bolukbasi et al., 2016, and Caliskan
et al., 2017, do), so that only directions matter and frequent words with long vectors
do not dominate.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .._validation import as_generator, as_vector, check_choice, check_int, check_word_vectors
from ..similarity import _normalize_rows

__all__ = ["gender_direction", "project", "weat_effect_size", "weat_test", "hard_debias"]


def _check_pairs(wv, pairs, name: str, *, skip_missing: bool) -> list[tuple[str, str]]:
    check_word_vectors(wv)
    if isinstance(pairs, str) or not hasattr(pairs, "__iter__"):
        raise TypeError(f"{name} must be a list of (word, word) pairs, got {type(pairs).__name__}")
    bad = [p for p in pairs if isinstance(p, str) or not isinstance(p, (tuple, list))]
    if bad:
        raise ValueError(f"{name} must hold (word, word) pairs of strings; got {bad[0]!r}")
    pairs = [tuple(p) for p in pairs]
    bad = [p for p in pairs if len(p) != 2 or not all(isinstance(w, str) for w in p)]
    if bad:
        raise ValueError(f"{name} must hold (word, word) pairs of strings; got {bad[0]!r}")
    if skip_missing:
        return [p for p in pairs if p[0] in wv and p[1] in wv]
    for a, b in pairs:
        wv.get_index(a), wv.get_index(b)      # KeyError naming the unknown word
    return pairs


def gender_direction(wv, pairs: Sequence[tuple[str, str]], method: str = "pca") -> np.ndarray:
    """A unit ``(d,)`` float32 direction that separates the first word of each pair
    (e.g. "he") from the second ("she").

    Args:
        wv: :class:`~embedkit.WordVectors`.
        pairs: definitional pairs ``[("he", "she"), ("man", "woman"), ...]``; every word
            must be in ``wv``.
        method: ``"mean"``: the normalised mean of the differences ``u_a - u_b``;
            ``"pca"`` (Bolukbasi et al.): centre each pair on its own mean and take the
            first principal axis of all the centred vectors, which ignores what the pair
            words share (topic, frequency) and keeps what separates them.

    The sign is fixed so that the first words of the pairs project positively.
    """
    check_choice(method, "method", ("pca", "mean"))
    pairs = _check_pairs(wv, pairs, "pairs", skip_missing=False)
    if not pairs:
        raise ValueError("pairs must hold at least one (word, word) pair")
    U = wv.unit_vectors.astype(np.float64)
    A = U[[wv.index[a] for a, _ in pairs]]
    B = U[[wv.index[b] for _, b in pairs]]
    diff_mean = (A - B).mean(axis=0)
    if method == "mean":
        direction = diff_mean
    else:
        centre = (A + B) / 2
        stacked = np.vstack([A - centre, B - centre])    # already centred pair by pair
        direction = np.linalg.svd(stacked, full_matrices=False)[2][0]
        if direction @ diff_mean < 0:                     # SVD's sign is arbitrary
            direction = -direction
    norm = np.linalg.norm(direction)
    if norm == 0:
        raise ValueError("the pairs do not define a direction (all differences are zero)")
    return (direction / norm).astype(np.float32)


def project(wv, words: Sequence[str], direction) -> np.ndarray:
    """``(n,)`` float32 cosines of each word's vector with ``direction: (d,)``: its signed
    position along the direction (positive: towards the first words of the pairs)."""
    direction = as_vector(direction, "direction", d=check_word_vectors(wv).vector_size)
    norm = np.linalg.norm(direction)
    if norm == 0:
        raise ValueError("direction must be a nonzero vector")
    words = [words] if isinstance(words, str) else list(words)
    rows = [wv.get_index(w) for w in words]
    return (wv.unit_vectors[rows] @ (direction / norm)).astype(np.float32)


def _weat_rows(wv, sets: dict) -> dict:
    out = {}
    for name, words in sets.items():
        if isinstance(words, str) or not hasattr(words, "__iter__"):
            raise TypeError(f"{name} must be a list of words, got {type(words).__name__}")
        words = list(words)
        if not words:
            raise ValueError(f"{name} must hold at least one word, got an empty list")
        out[name] = wv.unit_vectors[[wv.get_index(w) for w in words]].astype(np.float64)
    return out


def _association(W: np.ndarray, A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """s(w, A, B) = mean_a cos(w, a) - mean_b cos(w, b) for every row w of W (unit rows)."""
    return (W @ A.T).mean(axis=1) - (W @ B.T).mean(axis=1)


def weat_effect_size(wv, X, Y, A, B) -> float:
    """WEAT effect size (Caliskan et al., 2017): how much more the targets ``X`` than the
    targets ``Y`` associate with attributes ``A`` rather than ``B``, in standard deviations:

    ``d = (mean_{x in X} s(x, A, B) - mean_{y in Y} s(y, A, B)) / std_{w in X u Y} s(w, A, B)``

    with ``s(w, A, B) = mean_a cos(w, a) - mean_b cos(w, b)`` and the sample standard
    deviation (``ddof=1``). Ranges over about ``[-2, 2]``; ``|d| > 0.8`` is "large".
    Every word must be in ``wv`` (``KeyError`` otherwise).
    """
    s = _weat_rows(wv, {"X": X, "Y": Y, "A": A, "B": B})
    sx, sy = _association(s["X"], s["A"], s["B"]), _association(s["Y"], s["A"], s["B"])
    both = np.concatenate([sx, sy])
    if len(both) < 2 or both.std(ddof=1) == 0:
        raise ValueError("the effect size is undefined: X and Y together need at least two "
                         "words with different associations")
    return float((sx.mean() - sy.mean()) / both.std(ddof=1))


def weat_test(wv, X, Y, A, B, n_permutations: int = 10_000, seed=0) -> tuple[float, float]:
    """WEAT effect size and its one-sided permutation p-value.

    The test statistic is ``sum_x s(x, A, B) - sum_y s(y, A, B)``. Under the null
    hypothesis (no difference between the targets), any split of ``X u Y`` into groups of
    the sizes of ``X`` and ``Y`` is as likely as the observed one; the p-value is the
    share of ``n_permutations`` random splits whose statistic is at least the observed
    one, ``(count + 1) / (n_permutations + 1)`` (so never exactly 0).

    Returns:
        ``(effect_size, p_value)``, two floats.
    """
    n_permutations = check_int(n_permutations, "n_permutations", minimum=1)
    rng = as_generator(seed)
    effect = weat_effect_size(wv, X, Y, A, B)
    s = _weat_rows(wv, {"X": X, "Y": Y, "A": A, "B": B})
    scores = _association(np.vstack([s["X"], s["Y"]]), s["A"], s["B"])
    nx = len(s["X"])
    observed = scores[:nx].sum() - scores[nx:].sum()
    # one random permutation per row; the first nx entries form the new "X"
    perms = rng.permuted(np.tile(np.arange(len(scores)), (n_permutations, 1)), axis=1)
    in_x = scores[perms[:, :nx]].sum(axis=1)
    stats = in_x - (scores.sum() - in_x)
    count = int(np.sum(stats >= observed - 1e-12))   # ties count as "at least as extreme"
    return effect, (count + 1) / (n_permutations + 1)


def hard_debias(wv, direction, neutral_words: Sequence[str],
                equalize_pairs: Sequence[tuple[str, str]] = ()):
    """Hard debiasing (Bolukbasi et al., 2016): neutralise, then equalise.

    1. **Neutralise**: every word in ``neutral_words`` (e.g. occupations) loses its
       component along ``direction``: ``w <- w - (w . g) g``, then unit length again.
    2. **Equalise**: each pair ``(a, b)`` (e.g. ("grandfather", "grandmother")) is moved
       to be symmetric about the neutral subspace: both get the same neutral part
       ``nu = mu - (mu . g) g`` (``mu`` the pair's mean) and opposite components
       ``+-sqrt(1 - |nu|^2)`` along ``g``, so every neutral word is equally far from both.

    Words of either list missing from ``wv`` are skipped (long word lists rarely fit a
    vocabulary exactly). It removes the bias *measured along g*; Gonen & Goldberg (2019)
    show that much of it stays recoverable from the neighbourhoods (notebook 07).

    Returns:
        a new :class:`~embedkit.WordVectors` with the same words, **all** rows unit
        length (the input is not modified).
    """
    from .word_vectors import WordVectors

    g = as_vector(direction, "direction", d=check_word_vectors(wv).vector_size).astype(np.float64)
    if np.linalg.norm(g) == 0:
        raise ValueError("direction must be a nonzero vector")
    g /= np.linalg.norm(g)
    if isinstance(neutral_words, str):
        raise TypeError("neutral_words must be a list of words, got a string")
    pairs = _check_pairs(wv, equalize_pairs, "equalize_pairs", skip_missing=True)
    E = wv.unit_vectors.astype(np.float64)           # a copy: the input stays as it was
    rows = np.array(sorted({wv.index[w] for w in neutral_words if w in wv}), dtype=np.int64)
    if len(rows):
        E[rows] -= np.outer(E[rows] @ g, g)
        E[rows] = _normalize_rows(E[rows])
    for a, b in pairs:
        ia, ib = wv.index[a], wv.index[b]
        mu = (E[ia] + E[ib]) / 2
        nu = mu - (mu @ g) * g
        z = np.sqrt(max(1.0 - nu @ nu, 0.0))
        if (E[ia] - E[ib]) @ g < 0:                  # keep each word on its own side
            z = -z
        E[ia], E[ib] = nu + z * g, nu - z * g
    return WordVectors(wv.words, E.astype(np.float32), counts=wv.counts)
