"""Count-based embeddings: co-occurrence counts -> PPMI -> truncated SVD (LSA-style).

The distributional hypothesis ("a word is characterised by the company it keeps") taken
literally: count how often each word appears near each other word, reweight the counts
so that informative co-occurrences stand out (positive pointwise mutual information), and
compress each word's long sparse row of the matrix into a short dense vector (truncated
SVD). With tuned settings this matches word2vec on similarity benchmarks (Levy, Goldberg
& Dagan 2015), which notebook 03 measures on the course corpus.

Shapes: ``V`` words in a :class:`~embedkit.text.vocab.Vocabulary`; matrices are
``scipy.sparse.csr_matrix`` of shape ``(V, V)``, row = word, column = context word.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._validation import _to_array, as_generator, check_choice, check_int, check_number
from .vocab import Vocabulary

__all__ = ["cooccurrence_matrix", "ppmi", "svd_embeddings", "WEIGHTINGS"]

WEIGHTINGS = ("uniform", "harmonic", "linear")


def _offset_weight(k: int, window: int, weighting: str) -> float:
    """Weight of a context word ``k`` positions away.

    uniform: 1 (a plain count); harmonic: 1/k (GloVe's choice); linear:
    ``(window - k + 1) / window``, which is what word2vec's dynamic window amounts to on
    average (offset k is inside a window of uniform random size 1..window with that
    probability).
    """
    if weighting == "uniform":
        return 1.0
    if weighting == "harmonic":
        return 1.0 / k
    return (window - k + 1) / window


def cooccurrence_matrix(sentences, vocab: Vocabulary, *, window: int = 5,
                        weighting: str = "uniform", chunk_tokens: int = 500_000) -> sp.csr_matrix:
    """Symmetric word-context co-occurrence counts within ``window`` words.

    ``X[i, j]`` is the (weighted) number of times word ``j`` occurs at most ``window``
    positions to the left or right of word ``i`` inside the same sentence. Tokens outside
    ``vocab`` are dropped before counting (so windows close over them, as in word2vec).

    Vectorised: for each offset ``k = 1..window`` the pairs ``(ids[t], ids[t + k])`` of a
    whole chunk of the token stream are formed at once, and scipy sums duplicates.

    Args:
        sentences: an iterable of token lists, or an embedkit ``Corpus``.
        vocab: the :class:`Vocabulary` that fixes rows/columns.
        window: maximum distance (>= 1).
        weighting: ``"uniform"``, ``"harmonic"`` (1/k) or ``"linear"`` (see above).
        chunk_tokens: tokens per chunk (bounds the memory of the pair arrays).

    Returns:
        ``(V, V)`` float64 ``csr_matrix``, symmetric, zero diagonal unless a word occurs
        twice within a window.
    """
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab must be an embedkit Vocabulary, got {type(vocab).__name__}")
    window = check_int(window, "window", minimum=1)
    check_choice(weighting, "weighting", WEIGHTINGS)
    chunk_tokens = check_int(chunk_tokens, "chunk_tokens", minimum=1)
    ids, offsets = vocab.encode_sentences(sentences)
    if len(ids) == 0:
        raise ValueError("sentences contains no in-vocabulary token; nothing to count")
    sentence = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    V, n = len(vocab), len(ids)
    total = sp.csr_matrix((V, V), dtype=np.float64)
    for start in range(0, n, chunk_tokens):
        rows, cols, vals = [], [], []
        for k in range(1, window + 1):
            left = np.arange(start, min(start + chunk_tokens, n - k))   # pairs (t, t + k)
            same = sentence[left] == sentence[left + k]
            a, b = ids[left[same]], ids[left[same] + k]
            w = _offset_weight(k, window, weighting)
            rows += [a, b]                 # both directions: the matrix is symmetric
            cols += [b, a]
            vals.append(np.full(2 * len(a), w))
        if rows:
            block = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                  shape=(V, V))
            total = total + block.tocsr()  # tocsr() sums duplicate (row, col) entries
    total.sum_duplicates()
    return total


def _as_counts(X, name: str = "X") -> sp.csr_matrix:
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float64)
    else:
        arr = _to_array(X, name, np.float64)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be a 2-D (V, V) count matrix, got shape {arr.shape}")
        X = sp.csr_matrix(arr)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {X.shape}")
    if X.nnz and (not np.isfinite(X.data).all() or X.data.min() < 0):
        raise ValueError(f"{name} must hold finite, non-negative counts")
    return X


def ppmi(X, *, alpha: float = 1.0, shift: float = 1.0) -> sp.csr_matrix:
    """Positive pointwise mutual information of a count matrix.

    .. math::

        \\mathrm{PMI}(w, c) = \\log \\frac{P(w, c)}{P(w)\\,P_\\alpha(c)}, \\qquad
        \\mathrm{PPMI}(w, c) = \\max\\big(\\mathrm{PMI}(w, c) - \\log s,\\ 0\\big)

    with ``P(w, c) = X[w, c] / sum(X)``, ``P(w)`` the row sums over ``sum(X)`` and the
    *smoothed* context distribution ``P_alpha(c) = colsum(c)**alpha / sum(colsum**alpha)``.
    ``alpha=0.75`` (Levy et al. 2015) is the same flattening as word2vec's noise
    distribution and stops rare contexts from getting huge PMI; ``shift=s`` subtracts
    ``log s`` (SGNS with ``s`` negative samples implicitly factorises PMI - log s).
    Cells with ``X = 0`` have PMI = -inf and so PPMI = 0: the result stays sparse.

    Args:
        X: ``(V, C)`` non-negative counts, dense or sparse.
        alpha: context-distribution smoothing exponent in (0, 1].
        shift: ``s >= 1``.

    Returns:
        ``(V, C)`` float64 ``csr_matrix`` with only the positive entries stored.
    """
    X = _as_counts(X)
    alpha = check_number(alpha, "alpha", minimum=0.0, maximum=1.0, strict_minimum=True)
    shift = check_number(shift, "shift", minimum=1.0)
    total = X.sum()
    if total <= 0:
        raise ValueError("X has no counts (all zeros)")
    row = np.asarray(X.sum(axis=1)).ravel()
    col = np.asarray(X.sum(axis=0)).ravel()
    col_smoothed = col ** alpha
    p_context = col_smoothed / col_smoothed.sum()
    coo = X.tocoo()
    keep = coo.data > 0
    r, c, x = coo.row[keep], coo.col[keep], coo.data[keep]
    # log P(w,c) - log P(w) - log P_alpha(c), computed on the stored cells only.
    pmi = np.log(x) - np.log(total) - np.log(row[r] / total) - np.log(p_context[c]) - np.log(shift)
    positive = pmi > 0
    out = sp.csr_matrix((pmi[positive], (r[positive], c[positive])), shape=X.shape)
    out.sort_indices()
    return out


def svd_embeddings(M, dim: int = 100, *, power: float = 0.5, seed=0,
                   return_singular_values: bool = False):
    """Dense word vectors from the top ``dim`` singular triplets of ``M`` (LSA).

    With ``M ~= U_k S_k V_k^T`` (the best rank-``k`` approximation), the word vectors are
    the rows of ``U_k S_k**power``. ``power=1`` keeps the geometry of ``M``'s rows; Levy
    et al. (2015) found ``0.5`` or ``0`` better for similarity tasks.

    Uses ``scipy.sparse.linalg.svds`` (ARPACK, a few matrix-vector products per vector
    instead of a dense O(V^3) decomposition). Singular vectors are only defined up to
    sign: each component is flipped so that its largest-magnitude entry is positive, so
    the result is reproducible.

    Args:
        M: ``(V, C)`` matrix (typically ``ppmi(X)``), sparse or dense.
        dim: number of components, ``1 <= dim < min(V, C)``.
        power: exponent applied to the singular values.
        seed: int or Generator for ARPACK's starting vector.
        return_singular_values: also return the ``dim`` singular values (descending).

    Returns:
        ``(V, dim)`` float32, components ordered by decreasing singular value (and the
        ``(dim,)`` float64 singular values if asked).
    """
    from scipy.sparse.linalg import svds

    M = sp.csr_matrix(M, dtype=np.float64) if sp.issparse(M) else _as_dense(M)
    dim = check_int(dim, "dim", minimum=1)
    if dim >= min(M.shape):
        raise ValueError(f"dim must be < min(M.shape) = {min(M.shape)} for a truncated SVD, got {dim}")
    power = check_number(power, "power", minimum=0.0)
    rng = as_generator(seed)
    v0 = rng.uniform(-1.0, 1.0, size=min(M.shape))
    U, S, _ = svds(M, k=dim, v0=v0)
    order = np.argsort(-S)                       # svds returns ascending singular values
    U, S = U[:, order], S[order]
    signs = np.sign(U[np.abs(U).argmax(axis=0), np.arange(dim)])
    signs[signs == 0] = 1.0
    vectors = np.ascontiguousarray(U * signs * S ** power, dtype=np.float32)
    return (vectors, S) if return_singular_values else vectors


def _as_dense(M) -> np.ndarray:
    arr = _to_array(M, "M", np.float64)
    if arr.ndim != 2 or 0 in arr.shape:
        raise ValueError(f"M must be a non-empty 2-D matrix, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("M contains NaN or infinity")
    return arr
