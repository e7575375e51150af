"""GloVe: global vectors from a weighted least-squares fit to log co-occurrence counts.

Pennington, Socher & Manning (2014) fit, for every *non-zero* cell ``X_ij`` of a
word-context co-occurrence matrix,

    J = sum_ij f(X_ij) * (w_i . c_j + b_i + b~_j - log X_ij) ** 2,
    f(x) = (x / x_max) ** alpha  if x < x_max  else 1,

with two sets of vectors (word ``W: (V, d)`` and context ``C: (V, d)``) and two biases.
``f`` keeps rare, noisy counts from dominating (``f(0) = 0``: empty cells cost nothing,
which is why only the non-zeros are visited) and caps the weight of very frequent pairs.
The final vectors are ``W + C`` (the paper's choice, and GloVe's ``model=2``): the matrix
is symmetric, so the two sets are equally good and their sum is a little better.

What this module shares with the reference C implementation (``glove.c``): counts
weighted by ``1 / distance`` inside a symmetric window (``cooccurrence_matrix(...,
weighting="harmonic")``), uniform initialisation in ``+-0.5 / d`` of vectors and biases,
AdaGrad with accumulators starting at 1, one step per non-zero cell in a fresh random
order each epoch, and the step size convention (the gradient of ``J / 2``). The loop over
cells is compiled with numba. The loss reported per epoch is the paper's ``J`` divided by
the number of non-zeros, accumulated during the pass (``glove.c`` prints half of it).
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._jit import njit
from .._validation import as_generator, as_matrix, check_int, check_not_diverged, check_number
from .cooccurrence import cooccurrence_matrix
from .postprocess import all_but_the_top
from .vocab import Vocabulary, _check_sentences, _is_corpus
from .word2vec import TrainingLog
from .word_vectors import WordVectors

__all__ = ["train_glove", "fit_glove", "glove_weight", "glove_loss_and_grads", "GloVeParameters"]


def glove_weight(x, x_max: float = 100.0, alpha: float = 0.75) -> np.ndarray:
    """GloVe's weighting ``f(x) = min(1, (x / x_max) ** alpha)`` (elementwise, float64).

    ``x`` must be non-negative; ``f(0) = 0``, ``f`` grows as a power below ``x_max`` and is
    flat at 1 above it.
    """
    x_max = check_number(x_max, "x_max", minimum=0.0, strict_minimum=True)
    alpha = check_number(alpha, "alpha", minimum=0.0)
    x = np.asarray(x, dtype=np.float64)
    if x.size and (not np.isfinite(x).all() or x.min() < 0):
        raise ValueError("x must hold finite, non-negative co-occurrence counts")
    return np.minimum(1.0, (x / x_max) ** alpha)


def glove_loss_and_grads(W, C, bw, bc, rows, cols, counts, x_max: float = 100.0,
                         alpha: float = 0.75):
    """The GloVe objective on the cells ``(rows[k], cols[k])`` and its exact gradients.

    Args:
        W, C: ``(V, d)`` word and context vectors.
        bw, bc: ``(V,)`` word and context biases.
        rows, cols: ``(n,)`` integer cell coordinates; counts: ``(n,)`` positive ``X_ij``.
        x_max, alpha: the weighting function's parameters (:func:`glove_weight`).

    Returns:
        ``(loss, dW, dC, dbw, dbc)``: ``loss = sum_k f(x_k) (w_i . c_j + b_i + b~_j -
        log x_k)**2`` (float) and float64 gradients of the same shapes as the parameters
        (a row that appears in several cells gets the sum of their gradients).
    """
    W = as_matrix(W, "W", dtype=np.float64)
    C = as_matrix(C, "C", dtype=np.float64)
    if W.shape != C.shape:
        raise ValueError(f"W and C must have the same shape (V, d), got {W.shape} and {C.shape}")
    V = W.shape[0]
    bw, bc = np.asarray(bw, dtype=np.float64), np.asarray(bc, dtype=np.float64)
    if bw.shape != (V,) or bc.shape != (V,):
        raise ValueError(f"bw and bc must have shape ({V},), got {bw.shape} and {bc.shape}")
    rows, cols, counts = np.asarray(rows), np.asarray(cols), np.asarray(counts, dtype=np.float64)
    if rows.shape != cols.shape or rows.shape != counts.shape or rows.ndim != 1:
        raise ValueError(f"rows, cols and counts must be 1-D of one length, got shapes "
                         f"{rows.shape}, {cols.shape}, {counts.shape}")
    if rows.size and (not np.issubdtype(rows.dtype, np.integer) or not np.issubdtype(cols.dtype, np.integer)
                      or min(rows.min(), cols.min()) < 0 or max(rows.max(), cols.max()) >= V):
        raise ValueError(f"rows and cols must be integer ids in [0, {V - 1}]")
    if counts.size and not (counts > 0).all():
        raise ValueError("counts must be positive (GloVe only visits non-zero cells: log 0 is undefined)")
    fx = glove_weight(counts, x_max, alpha)
    w, c = W[rows], C[cols]
    r = np.einsum("ij,ij->i", w, c) + bw[rows] + bc[cols] - np.log(counts)   # residuals
    g = 2.0 * fx * r                       # d loss / d prediction, per cell
    dW, dC, dbw, dbc = np.zeros_like(W), np.zeros_like(C), np.zeros(V), np.zeros(V)
    np.add.at(dW, rows, g[:, None] * c)    # add.at: repeated rows accumulate
    np.add.at(dC, cols, g[:, None] * w)
    np.add.at(dbw, rows, g)
    np.add.at(dbc, cols, g)
    return float(np.sum(fx * r * r)), dW, dC, dbw, dbc


# No fastmath: the same sums in the same order on every CPU. error_model="numpy": a float
# division by zero gives inf (IEEE) instead of raising; without it numba guards every
# division, which stops LLVM from vectorising the update loop (measured: 2x slower, same bits).
@njit(nogil=True, error_model="numpy")
def _adagrad_epoch(Pw, Pc, rows, cols, log_x, fx, lr):
    """One pass over the cells, in the order given, one AdaGrad step per cell (as glove.c).

    ``Pw, Pc: (V, 2d + 2)`` hold, per row, ``[vector (d) | its AdaGrad sums (d) | bias |
    bias sum]``: a cell touches one row of each, so one row holds everything it reads and
    writes (two cache-line runs per cell instead of eight scattered ones; on 22 M cells at
    d = 100 that is most of the run time, which waits on memory, not arithmetic). The cells
    arrive already shuffled, so ``rows``, ``cols``, ... are read front to back.

    The step uses the gradient of ``J / 2`` (glove.c's convention, so ``lr`` means what
    its ``eta`` means). Returns the sum of ``f * residual**2`` met along the way.
    ``nogil``: several threads run this on disjoint slices of one shuffled epoch and
    update the shared parameters without locks (Hogwild, see :func:`fit_glove`).
    """
    d = (Pw.shape[1] - 2) // 2
    total = 0.0
    for k in range(len(rows)):
        w, c = Pw[rows[k]], Pc[cols[k]]
        r = w[2 * d] + c[2 * d] - log_x[k]
        for t in range(d):
            r += w[t] * c[t]
        total += fx[k] * r * r
        g = fx[k] * r
        for t in range(d):
            gw = g * c[t]             # both gradients from the values before this step
            gc = g * w[t]
            w[t] -= lr * gw / np.sqrt(w[d + t])
            c[t] -= lr * gc / np.sqrt(c[d + t])
            w[d + t] += gw * gw
            c[d + t] += gc * gc
        w[2 * d] -= lr * g / np.sqrt(w[2 * d + 1])
        c[2 * d] -= lr * g / np.sqrt(c[2 * d + 1])
        w[2 * d + 1] += g * g
        c[2 * d + 1] += g * g
    return total


@dataclass
class GloVeParameters:
    """Everything GloVe learned: ``W, C: (V, d)`` float32 and ``bw, bc: (V,)`` float32.

    ``W[i] @ C[j] + bw[i] + bc[j]`` is the model's estimate of ``log X_ij``;
    ``losses[e]`` is the mean of ``f(X_ij) * residual**2`` over the non-zeros in epoch ``e``.
    """

    W: np.ndarray
    C: np.ndarray
    bw: np.ndarray
    bc: np.ndarray
    losses: list

    def predict_log_counts(self, rows, cols) -> np.ndarray:
        """``(n,)`` float64 model estimates of ``log X[rows, cols]``."""
        rows, cols = np.asarray(rows), np.asarray(cols)
        W, C = self.W.astype(np.float64), self.C.astype(np.float64)
        return np.einsum("ij,ij->i", W[rows], C[cols]) + self.bw[rows] + self.bc[cols]


def fit_glove(X, *, dim: int = 100, epochs: int = 15, x_max: float = 10.0, alpha: float = 0.75,
              learning_rate: float = 0.1, seed=0, workers: int = 1,
              progress: bool = True, on_epoch=None) -> GloVeParameters:
    """Fit GloVe to a given co-occurrence matrix ``X: (V, V)`` with AdaGrad.

    Each epoch visits every non-zero cell once, in a fresh random order, and takes one
    AdaGrad step on its four parameter rows (``W[i], C[j], bw[i], bc[j]``). AdaGrad keeps,
    per parameter, the running sum ``G`` of squared gradients (starting at 1, as
    ``glove.c``) and steps ``-learning_rate * g / sqrt(G)``: frequent words, whose rows
    receive many gradients, take ever smaller steps; rare words keep large ones.

    The loop over cells is compiled by numba (``embedkit._jit``; a per-cell loop cannot
    be vectorised across cells without changing the algorithm; within a cell, LLVM
    vectorises the d-long updates). It waits on memory about as much as it computes: on the
    full course corpus (22 M non-zeros at window 10, d = 100) one epoch took 7.4 s on one
    thread (17 s before the update loop was vectorised, 35 s before the rows were packed).

    **Hogwild** (``workers > 1``, what ``glove.c`` does with its threads): the epoch's
    shuffled order is cut into ``workers`` slices and each thread runs the loop over its
    slice, updating the shared parameters without locks. Two threads rarely touch the same
    row at the same moment (a cell writes 2 of ``2V`` rows), and a lost update is one noisy
    step among millions, so the fit is as good as the serial one (Recht et al. 2011). The
    gain is below ``workers``x because the cores share memory bandwidth (measured on a 2-core
    machine: 7.4 s -> 4.7 s per epoch at window 10, 8.7 s -> 6.3 s at window 15, 27 M
    non-zeros). The price: the result then depends on thread timing, so it is reproducible
    only with ``workers=1``.

    Args:
        X: ``(V, V)`` co-occurrence counts (sparse or dense, non-negative).
        dim, epochs, x_max, alpha, learning_rate, seed, workers, progress: as
            :func:`train_glove`.
        on_epoch: optional ``on_epoch(epoch, W + C)``, called after each epoch (1-based)
            with a ``(V, d)`` float32 copy of the current vectors (used to trace a score
            against epochs in one run, as the GloVe sweep does).
    """
    from tqdm.auto import tqdm

    if not sp.issparse(X):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D (V, V) co-occurrence matrix, got shape {X.shape}")
    X = sp.coo_matrix(X, dtype=np.float64)
    if X.shape[0] != X.shape[1]:
        raise ValueError(f"X must be square (V, V), got shape {X.shape}")
    if X.nnz and (not np.isfinite(X.data).all() or X.data.min() < 0):
        raise ValueError("X must hold finite, non-negative counts")
    keep = X.data > 0
    if not keep.any():
        raise ValueError("X has no positive cell: nothing to fit")
    dim = check_int(dim, "dim", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=1)
    x_max = check_number(x_max, "x_max", minimum=0.0, strict_minimum=True)
    alpha = check_number(alpha, "alpha", minimum=0.0)
    learning_rate = check_number(learning_rate, "learning_rate", minimum=0.0, strict_minimum=True)
    workers = check_int(workers, "workers", minimum=1)
    rng = as_generator(seed)

    V = X.shape[0]
    rows, cols = X.row[keep].astype(np.int32), X.col[keep].astype(np.int32)
    log_x = np.log(X.data[keep]).astype(np.float32)
    fx = glove_weight(X.data[keep], x_max, alpha).astype(np.float32)
    init = lambda *shape: (rng.random(shape, dtype=np.float32) - 0.5) / dim
    W, C, bw, bc = init(V, dim), init(V, dim), init(V), init(V)
    # Each row: [vector | AdaGrad sums, starting at 1 | bias | bias sum] (see _adagrad_epoch)
    ones = np.ones((V, dim), np.float32)
    Pw = np.hstack([W, ones, bw[:, None], ones[:, :1]])
    Pc = np.hstack([C, ones, bc[:, None], ones[:, :1]])
    losses = []
    bar = tqdm(total=epochs, unit="epoch", disable=not progress, desc="GloVe")
    lr = np.float32(learning_rate)
    for epoch in range(epochs):
        order = rng.permutation(len(rows))
        cells = rows[order], cols[order], log_x[order], fx[order]   # shuffled copies, read in order
        if workers == 1:
            total = _adagrad_epoch(Pw, Pc, *cells, lr)
        else:                   # Hogwild: one slice of the shuffled epoch per thread
            cuts = np.linspace(0, len(order), workers + 1).astype(np.int64)
            parts = [[a[lo:hi] for a in cells] for lo, hi in zip(cuts[:-1], cuts[1:])]
            with ThreadPoolExecutor(workers) as pool:
                total = sum(pool.map(lambda part: _adagrad_epoch(Pw, Pc, *part, lr), parts))
        check_not_diverged([total, Pw[:, :dim], Pc[:, :dim]], what="the GloVe loss or vectors",
                           lr_name="learning_rate", lr=learning_rate, where=f" in epoch {epoch + 1}")
        losses.append(float(total) / len(rows))
        if on_epoch is not None:
            on_epoch(epoch + 1, Pw[:, :dim] + Pc[:, :dim])
        bar.update(1)
        bar.set_postfix(loss=f"{losses[-1]:.4f}", refresh=False)
    bar.close()
    return GloVeParameters(W=Pw[:, :dim].copy(), C=Pc[:, :dim].copy(), bw=Pw[:, 2 * dim].copy(),
                           bc=Pc[:, 2 * dim].copy(), losses=losses)


def train_glove(sentences, *, dim: int = 100, window: int = 15, min_count: int = 5,
                epochs: int = 15, x_max: float = 10.0, alpha: float = 0.75,
                learning_rate: float = 0.1, remove_components: int | None = 2, seed=0,
                workers: int = 1, progress: bool = True) -> WordVectors:
    """Train GloVe on a corpus: vocabulary, ``1/distance``-weighted counts, AdaGrad fit.

    The defaults are not glove.c's (``x_max=100``, ``learning_rate=0.05``, 25 epochs, tuned
    on billions of tokens): ``benchmarks/bench_glove_sweep.py`` chose them on the course
    corpus (8.5 M tokens), on a validation half of the word-pair benchmarks (notebook 05
    shows the sweep): ``x_max=10`` and ``learning_rate=0.1`` in rounds 1-2, then window 15
    (glove.c's demo setting) and removing the top 2 principal directions of ``W + C``
    (:func:`~embedkit.text.postprocess.all_but_the_top`) in round 3. On small corpora most
    counts are far below 100, so glove.c's ``x_max`` gives almost every cell a tiny weight.

    Args:
        sentences: an embedkit ``Corpus`` or a (re-iterable) iterable of token lists.
        dim: vector dimension ``d``.
        window: symmetric context window (counts weighted by ``1 / distance``, as GloVe).
        min_count: ignore words rarer than this.
        epochs: passes over the non-zero cells.
        x_max, alpha: the weighting function ``f`` (:func:`glove_weight`).
        learning_rate: AdaGrad's initial step size.
        remove_components: post-processing of the vectors ``W + C``: centre them and remove
            this many top principal directions (all-but-the-top, Mu & Viswanath 2018: the
            shared, frequency-driven directions that inflate every cosine); ``None`` keeps
            ``W + C`` as they are (``.glove`` always holds the raw parameters). Use
            ``None`` on toy corpora: with a few topics the top direction *is* the meaning.
        seed: int or ``numpy.random.Generator`` (initialisation and shuffling).
        workers: threads; above 1 they update the vectors without locks (Hogwild, as
            ``glove.c``): faster, but then not bit-reproducible (see :func:`fit_glove`).
        progress: show a tqdm progress bar (one tick per epoch).

    Returns:
        :class:`WordVectors` holding ``W + C`` (post-processed unless
        ``remove_components=None``; words by descending frequency), with
        ``.training_log`` (a :class:`~embedkit.text.word2vec.TrainingLog`: ``loss[e]`` is the
        mean weighted squared error per non-zero after epoch ``e``), ``.glove`` (the
        :class:`GloVeParameters`) and ``.cooccurrence`` (the ``(V, V)`` counts fitted).
    """
    start = time.perf_counter()
    dim = check_int(dim, "dim", minimum=1)
    window = check_int(window, "window", minimum=1)
    min_count = check_int(min_count, "min_count", minimum=1)
    if remove_components is not None:
        remove_components = check_int(remove_components, "remove_components", minimum=0)
        if remove_components >= dim:
            raise ValueError(f"remove_components must be below dim={dim}, got {remove_components}")
    if not _is_corpus(sentences):
        _check_sentences(sentences)
        if iter(sentences) is sentences:
            sentences = list(sentences)     # a one-shot generator: we need two passes
    vocab = Vocabulary.from_sentences(sentences, min_count=min_count)
    X = cooccurrence_matrix(sentences, vocab, window=window, weighting="harmonic")
    if X.nnz == 0:
        raise ValueError("sentences has no two in-vocabulary words in one window: nothing "
                         "to train on (more text, or a lower min_count?)")
    parts = fit_glove(X, dim=dim, epochs=epochs, x_max=x_max, alpha=alpha,
                      learning_rate=learning_rate, seed=seed, workers=workers, progress=progress)
    vectors = parts.W + parts.C
    if remove_components is not None:   # (a vocabulary of V <= D words keeps V - 1 directions)
        vectors = all_but_the_top(vectors, min(remove_components, len(vectors) - 1))
    wv = WordVectors(vocab.words, vectors, counts=vocab.counts)
    log = TrainingLog()
    log.progress = [(e + 1) / epochs for e in range(epochs)]
    log.loss = list(parts.losses)
    log.learning_rate = [learning_rate] * epochs
    log.seconds = time.perf_counter() - start
    log.words = int(vocab.total) * epochs
    log.pairs = int(X.nnz) * epochs
    wv.training_log = log
    wv.glove = parts
    wv.cooccurrence = X.tocsr()
    return wv
