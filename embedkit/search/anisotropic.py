"""Anisotropic vector quantization and the ScaNN index: quantize for inner products (lesson 17).

Product quantization (``pq.py``) picks codes and codebooks that minimise the squared
reconstruction error ``|x - x_hat|^2``. For maximum-inner-product search (MIPS) that is the
wrong target. The search only cares about the scores ``<q, x_hat>`` of the few datapoints
that are *near the top* for a query, and for those the query points roughly along ``x``.
Split the residual ``r = x - x_hat`` into a part along ``x`` and a part orthogonal to it::

    r_par  = (<r, x> / |x|^2) x            r_orth = r - r_par

A query with ``<q, x> >= T`` (one that may rank ``x`` near the top) sees the error
``<q, r>``, and ``r_par`` enters it with the large factor ``<q, x>``, whereas ``r_orth``
is seen only through the query's small component orthogonal to ``x``. Guo et al. (2020,
"Accelerating Large-Scale Inference with Anisotropic Vector Quantization", ICML) average
the squared score error over such queries and obtain the *score-aware loss*

    l(x, x_hat) = h_par |r_par|^2 + h_orth |r_orth|^2 ,    eta = h_par / h_orth >= 1 usually,

so parallel error is penalised ``eta`` times more than orthogonal error. We normalise
``h_orth = 1`` (a common factor changes no argmin): ``l = eta |r_par|^2 + |r_orth|^2``, which
is the squared error for ``eta = 1``.

The weight ``eta``. The paper's Theorem 3.3 gives ``h_par`` and ``h_orth`` as integrals over
the angle between ``q`` and ``x`` for a query distribution uniform on the sphere and the
weight ``w(t) = 1[t >= T]``; Theorem 3.4 gives their ratio for large ``d``::

    eta = (d - 1) * (T / |x|)^2 / (1 - (T / |x|)^2)

This closed form is the one ScaNN's code uses (``ComputeParallelCostMultiplier(threshold,
squared_norm, dims)`` in ``scann/utils/noise_shaping_utils.h``, with the norm of the
*original* datapoint, also when a residual is quantized), so this module uses it too: the
same ``T`` then gives the same weights as ``scann``'s ``anisotropic_quantization_threshold``.
For unit vectors (cosine, GloVe-angular) ``eta = (d - 1) T^2 / (1 - T^2)``: 4.1 for ``T = 0.2``
and ``d = 100``, 2.0 at ``d = 50``. (The integrals of Theorem 3.3 themselves give a larger
ratio at small ``d``, 5.95 and 3.76: ``anisotropic_eta(T, d, exact=True)``; the two agree
as ``d`` grows. We keep ScaNN's form so that our ``T`` means what ``scann``'s does.) Note that ``T -> 0`` gives ``eta -> 0`` (only
orthogonal error counts), not plain PQ: plain PQ is ``eta = 1``, i.e. ``T = 1 / sqrt(d)``.

Training (``AnisotropicPQ.fit``), as the paper's Algorithm 1: start from plain PQ (k-means
in every sub-space), then alternate

(a) **assignment**. The loss no longer splits over sub-spaces: ``<r, x>`` sums over all of
    them. So the ``m`` sub-codes of a vector are chosen by *coordinate descent*: with the
    other sub-codes fixed, give block ``j`` the centroid of least total loss (all ``K``
    tried), block after block, sweep after sweep until no code changes (at most
    ``sweeps`` sweeps). Each step can only lower the loss. ScaNN encodes the same way
    (from the nearest-centroid codes, at most 10 rounds).
(b) **codebook update**. With the codes fixed, ``x_hat_i = B_i c`` is linear in the vector
    ``c`` of all ``m K (d/m) = K d`` codebook numbers (``B_i`` picks vector ``i``'s centroids),
    and the loss is the quadratic form ``sum_i (x_i - B_i c)^T W_i (x_i - B_i c)`` with
    ``W_i = I + (eta_i - 1) x_i x_i^T / |x_i|^2``. Its minimum solves the normal equations
    ``(sum_i B_i^T W_i B_i) c = sum_i B_i^T W_i x_i``: one symmetric positive-definite
    system of size ``K d`` (800 for ``d = 50``, ``K = 16``), solved *jointly* for all
    codebooks, exactly. Unlike k-means, the centroids of different blocks are coupled.

Both steps minimise the same loss exactly over their variables, so the training loss
never increases (``loss_history_``; the tests check it).

Residuals. An index that first partitions the data (``ScaNNIndex``, IVF) quantizes the
residual ``x - c_leaf``; the reconstruction is ``c_leaf + r_hat``, so the error is still
``x - x_hat`` and the loss is still measured along the *original* ``x``: pass the leaf
centroids as ``centers`` to ``fit`` and ``encode``.

**The index** (``ScaNNIndex``): ScaNN's default pipeline, partition -> anisotropic PQ
scores -> exact reorder. ScaNN (Guo et al. 2020, ``scann`` on PyPI) answers maximum-inner-product queries in
three stages, which this index reproduces with embedkit's parts:

1. **Partition** (``tree(num_leaves, num_leaves_to_search)``): k-means on a sample of the
   database (``ek.kmeans``, random seeding and 12 iterations as ScaNN's defaults) into
   ``n_leaves`` leaves; a datapoint joins its nearest leaf (squared L2, as ScaNN's
   ``partitioning_distance``); a query opens the ``leaves_to_search`` leaves of largest
   inner product with their centroid (ScaNN's query tokenization by dot product). The
   leaves are inverted lists (``InvertedListsMixin`` of ``ivf.py``).
2. **Score** (``score_ah(2, anisotropic_quantization_threshold=0.2)``): every datapoint is
   stored as anisotropic PQ codes (``AnisotropicPQ``: blocks of ``dims_per_block``
   dimensions, ``2 ** nbits`` centroids each) of its **residual** ``x - c_leaf``. ScaNN does
   the same by default for dot product with a tree (its builder sets
   ``residual_quantization`` whenever a tree partitions dot-product data): residuals are
   smaller than the vectors, so the same 16 centroids a block describe them more finely,
   and the score stays cheap, ``<q, x_hat> = <q, c_leaf> + sum_j T[j, code_j]``: the
   first term comes with the leaf search, the second from one look-up table per query
   ``T[j, k] = <q_j, C_j[k]>`` shared by all leaves (asymmetric distance: the query is
   never quantized). The anisotropic loss is measured along the original ``x``, as in
   ScaNN. With 4-bit codes, two blocks share a byte and a 256-entry table, so a code
   of ``m`` blocks costs ``m / 2`` look-ups (``_scan_pairs``: measured 2x faster than
   IVF-PQ's loop ``pq_index._scan_lists``, which other ``nbits`` use, 0.075 s against
   0.151 s for 1,000 queries, 16 of 150 leaves of 20,000 GloVe vectors, one thread;
   scoring a leaf four pairs at a time gained 1.27x more).
3. **Reorder** (``reorder(R)``): the best ``reorder`` candidates by the approximate score
   are re-scored with exact inner products against the stored float32 vectors, and the
   top ``k`` of those are returned (ties: lower id first). ``reorder=0`` returns the
   approximate scores.

Queries are processed in fixed blocks in parallel (``ek.set_num_threads``); each query's
result depends only on itself, so any thread count gives identical output.

What differs from ScaNN's C++: ScaNN quantizes the look-up tables to int8 and scans 16
codes at a time with SIMD shuffles (``lut16``), which makes its scan several times faster;
embedkit's tables stay float32 (slightly more accurate scores, slower scan).
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from .._jit import njit
from .._threads import block_ranges, parallel_map
from .._validation import as_generator, as_matrix, check_int, check_number
from ..similarity import _BLOCK_ELEMENTS, _select_top_k
from .index_base import Index, NotTrainedError, Persistable
from .ivf import InvertedListsMixin
from .kmeans import assign_nearest, kmeans
from .pq import ProductQuantizer, _adc_table
from .pq_index import _scan_lists

__all__ = ["AnisotropicPQ", "ScaNNIndex", "anisotropic_eta", "anisotropic_loss", "residual_components"]

#: rows per block of the parallel encoder (results do not depend on the cut)
_ENCODE_BLOCK = 2048
#: the joint codebook system has (K d)^2 float64 entries; above this size (512 MB) refuse
_MAX_JOINT = 8192


# -- the loss --------------------------------------------------------------------------------
def anisotropic_eta(T, d, norm=1.0, *, exact: bool = False) -> float:
    """``eta = h_par / h_orth = (d - 1) t^2 / (1 - t^2)`` with ``t = T / norm``.

    The large-``d`` form of Guo et al.'s Theorem 3.4, as ScaNN computes it
    (``ComputeParallelCostMultiplier``): the weight of parallel over orthogonal
    quantization error for a datapoint of norm ``norm``, when queries that score it at
    least ``T`` matter.

    With ``exact=True``, the ratio of Theorem 3.3's integrals instead, for queries uniform
    on the unit sphere: with ``c = cos(q, x)``, whose density is proportional to
    ``(1 - c^2)^((d-3)/2)``, ``h_par = E[c^2 | c >= t]`` and ``h_orth = E[1 - c^2 | c >= t] /
    (d - 1)``. The closed form is its limit for large ``d`` and is smaller at small ``d``
    (at ``T = 0.2``: 2.04 against 3.76 for ``d = 50``, 4.13 against 5.95 for ``d = 100``).

    Args:
        T: the inner-product threshold, ``0 < T < norm`` (0.2 is ScaNN's usual value).
        d: the full vector dimension, ``>= 2``.
        norm: the datapoint's L2 norm (1 for unit vectors).
        exact: integrate Theorem 3.3 numerically instead of the closed form.
    """
    norm = check_number(norm, "norm", minimum=0.0, strict_minimum=True)
    T = check_number(T, "T", minimum=0.0, strict_minimum=True)
    if T >= norm:
        raise ValueError(f"T must be below the datapoint norm {norm} (T is an inner-product "
                         f"threshold; for unit vectors 0 < T < 1), got T={T}")
    d = check_int(d, "d", minimum=2)
    t = T / norm
    if not exact:
        return (d - 1) * t * t / (1.0 - t * t)
    from scipy.integrate import quad

    # density of c relative to its value at t (no underflow for large d)
    log_t = np.log1p(-t * t)
    density = lambda c: np.exp(0.5 * (d - 3) * (np.log1p(-c * c) - log_t))
    par = quad(lambda c: c * c * density(c), t, 1.0)[0]
    orth = quad(lambda c: (1.0 - c * c) * density(c), t, 1.0)[0]
    return (d - 1) * par / orth


def residual_components(x, x_hat) -> tuple[np.ndarray, np.ndarray]:
    """``(|r_par|^2, |r_orth|^2)`` per row, ``r = x - x_hat`` split along ``x``; float64 ``(n,)``.

    Zero rows of ``x`` have no direction: all their error counts as orthogonal.
    """
    x = as_matrix(x, "x", dtype=np.float64, allow_empty=True)
    x_hat = as_matrix(x_hat, "x_hat", d=x.shape[1], dtype=np.float64, allow_empty=True)
    if x_hat.shape[0] != x.shape[0]:
        raise ValueError(f"x_hat must have the shape of x {x.shape}, got {x_hat.shape}")
    r = x - x_hat
    sq = np.einsum("ij,ij->i", x, x)
    dot = np.einsum("ij,ij->i", r, x)
    par = np.divide(dot * dot, sq, out=np.zeros_like(sq), where=sq > 0)
    total = np.einsum("ij,ij->i", r, r)
    return par, np.maximum(total - par, 0.0)


def anisotropic_loss(x, x_hat, eta) -> np.ndarray:
    """Score-aware loss ``eta |r_par|^2 + |r_orth|^2`` of every row; ``(n,)`` float64.

    Args:
        x: ``(n, d)`` datapoints; x_hat: ``(n, d)`` their reconstructions.
        eta: ``>= 0``, one number or one per row ``(n,)`` (``eta = 1``: squared error).
    """
    par, orth = residual_components(x, x_hat)
    eta = np.asarray(eta, dtype=np.float64)
    if eta.ndim not in (0, 1) or (eta.ndim == 1 and eta.shape != par.shape):
        raise ValueError(f"eta must be a number or have shape ({par.shape[0]},), got shape {eta.shape}")
    if not np.isfinite(eta).all() or (eta < 0).any():
        raise ValueError("eta must be finite and >= 0")
    return eta * par + orth


# -- the kernels (inputs already validated) ----------------------------------------------------
@njit(fastmath=True, nogil=True)
def _coordinate_descent(R, X, w, C, codes, init, max_sweeps):
    """Choose each row's ``m`` sub-codes by coordinate descent on the anisotropic loss.

    ``R: (n, d)`` the vectors to quantize (``x`` or ``x - center``), ``X: (n, d)`` the
    original datapoints, ``w: (n,)`` the weight ``(eta - 1) / |x|^2``, so that the loss of
    the error ``e = R - r_hat`` is ``|e|^2 + w <e, x>^2``. ``C: (m, K, d/m)``;
    ``codes: (n, m)`` uint8 is updated in place; with ``init`` it first receives the
    nearest centroid of every block (plain PQ). Sums are float64.
    """
    n, d = R.shape
    m, K, ds = C.shape
    e = np.empty(d)
    for i in range(n):
        if init:
            for j in range(m):
                best, best_d = 0, np.inf
                for k in range(K):
                    s = 0.0
                    for t in range(ds):
                        u = R[i, j * ds + t] - C[j, k, t]
                        s += u * u
                    if s < best_d:
                        best, best_d = k, s
                codes[i, j] = best
        sq = 0.0
        dot = 0.0
        for j in range(m):
            c = codes[i, j]
            for t in range(ds):
                u = R[i, j * ds + t] - C[j, c, t]
                e[j * ds + t] = u
                sq += u * u
                dot += u * X[i, j * ds + t]
        wi = w[i]
        for _ in range(max_sweeps):
            changed = False
            for j in range(m):
                bsq = 0.0
                bdot = 0.0
                for t in range(ds):
                    u = e[j * ds + t]
                    bsq += u * u
                    bdot += u * X[i, j * ds + t]
                osq = sq - bsq          # the other blocks' share of |e|^2 and <e, x>
                odot = dot - bdot
                cur = codes[i, j]
                best, best_loss = cur, sq + wi * dot * dot
                best_sq, best_dot = bsq, bdot
                for k in range(K):
                    if k == cur:
                        continue
                    ksq = 0.0
                    kdot = 0.0
                    for t in range(ds):
                        u = R[i, j * ds + t] - C[j, k, t]
                        ksq += u * u
                        kdot += u * X[i, j * ds + t]
                    p = odot + kdot
                    loss = osq + ksq + wi * p * p
                    if loss < best_loss:
                        best, best_loss, best_sq, best_dot = k, loss, ksq, kdot
                if best != cur:
                    codes[i, j] = best
                    for t in range(ds):
                        e[j * ds + t] = R[i, j * ds + t] - C[j, best, t]
                    sq = osq + best_sq
                    dot = odot + best_dot
                    changed = True
            if not changed:
                break


@njit(fastmath=True, nogil=True)
def _pair_block(xj, xl, cj, cl, w, acc):
    """One block of the rank-one part of the normal equations: blocks ``j`` and ``l``.

    ``acc[a, s, b, t] += w_i x_ij[s] x_il[t]`` for every row ``i`` whose block ``j`` has
    code ``a`` and block ``l`` code ``b``. ``xj, xl: (n, ds)`` the two blocks of every row
    (contiguous, so the rows stream through the cache), ``cj, cl: (n,)`` their codes,
    ``acc: (K, ds, K, ds)`` float64, small enough to stay in the L1 cache. Rows are
    added in order: the sum does not depend on any thread count.
    """
    n, ds = xj.shape
    for i in range(n):
        a = cj[i]
        b = cl[i]
        wi = w[i]
        for s in range(ds):
            v = wi * xj[i, s]
            for t in range(ds):
                acc[a, s, b, t] += v * xl[i, t]


def _encode_rows(R, X, w, C, codes, init, sweeps) -> None:
    """``_coordinate_descent`` over blocks of rows in parallel (rows are independent)."""
    def run(rows):
        lo, hi = rows
        _coordinate_descent(R[lo:hi], X[lo:hi], w[lo:hi], C, codes[lo:hi], init, sweeps)

    parallel_map(run, block_ranges(R.shape[0], _ENCODE_BLOCK))


def _solve_codebooks(R, X, w, codes, C_old) -> np.ndarray:
    """The codebooks minimising the loss for fixed codes (the normal equations, jointly).

    Unknown number ``(j K + k) ds + t`` is component ``t`` of centroid ``k`` of block
    ``j``. ``A = sum_i B_i^T B_i + w_i (B_i^T x_i)(B_i^T x_i)^T``: the first part is
    diagonal (how many rows use each centroid), the second couples every pair of blocks
    ``(j, l)`` and is summed pair by pair (``_pair_block``): the pairs run in parallel,
    each over the rows in order into its own small array, so the sums do not depend on
    the thread count (adding each row's ``d x d`` outer product into the whole matrix
    instead was single-threaded and slightly slower: 0.40 s against 0.36 s for the whole
    update, 50,000 rows, ``d = 50``, one thread). ``b = sum_i B_i^T (R_i + w_i <x_i, R_i> x_i)``.
    """
    m, K, ds = C_old.shape
    n = X.shape[0]
    size = K * m * ds
    Xb = np.ascontiguousarray(X.reshape(n, m, ds).transpose(1, 0, 2))      # (m, n, ds)
    codes_t = np.ascontiguousarray(codes.T)
    A = np.zeros((size, size))

    def pair(jl):
        j, l = jl
        acc = np.zeros((K, ds, K, ds))
        _pair_block(Xb[j], Xb[l], codes_t[j], codes_t[l], w, acc)
        A[j * K * ds:(j + 1) * K * ds, l * K * ds:(l + 1) * K * ds] = acc.reshape(K * ds, K * ds)

    parallel_map(pair, [(j, l) for j in range(m) for l in range(j, m)])
    A = np.triu(A) + np.triu(A, 1).T            # only the upper block triangle was summed
    unknown = (((np.arange(m) * K + codes) * ds)[:, :, None] + np.arange(ds)).ravel()
    A[np.diag_indices(size)] += np.bincount(unknown, minlength=size)
    xr = np.einsum("ij,ij->i", X, R)
    b = np.bincount(unknown, weights=(R + (w * xr)[:, None] * X).ravel(), minlength=size)
    # A centroid no row uses has an all-zero row and column: keep it where it was.
    unused = np.flatnonzero(np.diag(A) == 0)
    A[unused, unused] = 1.0
    b[unused] = C_old.reshape(-1)[unused]
    try:
        c = scipy.linalg.solve(A, b, assume_a="pos", check_finite=False)
    except np.linalg.LinAlgError:                # numerically semi-definite: least squares
        c = scipy.linalg.lstsq(A, b, check_finite=False)[0]
    return c.reshape(m, K, ds)


# -- the quantizer -----------------------------------------------------------------------------
class AnisotropicPQ(Persistable):
    """Product quantizer trained and encoded with ScaNN's anisotropic (score-aware) loss.

    The API of ``ProductQuantizer`` (``fit``, ``encode``, ``decode``, ``codebooks_``, uint8
    codes, ``save``/``load``), with the loss of this module in place of squared error.

    Args:
        d: vector dimension (``eta`` depends on it).
        m: sub-vectors (bytes per code); must divide ``d``. ScaNN's ``score_ah(2, ...)``
            is ``m = d / 2``: blocks of 2 dimensions.
        nbits: bits per sub-code, 1 to 8 (ScaNN's ``lut16`` is 4: 16 centroids a block).
        T: the inner-product threshold of the loss, ``0 < T < |x|`` (ScaNN's
            ``anisotropic_quantization_threshold``; 0.2 is its usual value). Each row
            gets ``eta = anisotropic_eta(T, d, |x|)``.
        eta: instead of ``T``, one fixed ``eta > 0`` for every row (``eta=1``: plain PQ's
            loss).
        n_iter: alternations of codebook update and assignment after the k-means start
            (ScaNN's ``training_iterations``, default 10).
        sweeps: at most this many coordinate-descent sweeps per assignment (ScaNN: 10).
        training_sample_size: ``fit`` uses a random sample of at most this many rows
            (ScaNN's default 100,000).
        pq_iter: k-means iterations of the plain-PQ start.
        seed: int or ``np.random.Generator``.

    Attributes (after ``fit``):
        codebooks_: ``(m, K, d / m)`` float32.
        loss_history_: the mean anisotropic loss of the training sample after the k-means
            start's assignment, then after every codebook update and every assignment
            (non-increasing).

    Example:
        >>> apq = AnisotropicPQ(100, m=50, nbits=4, T=0.2).fit(train)   # unit vectors
        >>> codes = apq.encode(x)                 # (n, 50) uint8
        >>> scores = queries @ apq.decode(codes).T
    """

    _format_version = 1

    def __init__(self, d: int, m: int, nbits: int = 4, *, T: float | None = 0.2, eta: float | None = None,
                 n_iter: int = 10, sweeps: int = 10, training_sample_size: int = 100_000,
                 pq_iter: int = 10, seed=0):
        self.d = check_int(d, "d", minimum=2)
        self.m = check_int(m, "m", minimum=1)
        if self.d % self.m:
            divisors = [v for v in range(1, min(self.d, 64) + 1) if self.d % v == 0]
            raise ValueError(f"m={m} must divide d={d}: each vector is cut into m blocks of "
                             f"d/m dimensions; choose m among {', '.join(map(str, divisors))}, ...")
        self.nbits = check_int(nbits, "nbits", minimum=1, maximum=8)
        if eta is not None:
            self.eta = check_number(eta, "eta", minimum=0.0, strict_minimum=True)
            self.T = None
        else:
            if T is None:
                raise ValueError("give either T (the inner-product threshold) or eta")
            self.T = check_number(T, "T", minimum=0.0, strict_minimum=True)
            if self.T >= 1.0:
                raise ValueError(f"T must be in (0, 1): an inner-product threshold for unit "
                                 f"vectors (0.2 is ScaNN's usual value), got T={self.T}")
            self.eta = None
        self.n_iter = check_int(n_iter, "n_iter", minimum=0)
        self.sweeps = check_int(sweeps, "sweeps", minimum=1)
        self.training_sample_size = check_int(training_sample_size, "training_sample_size", minimum=1)
        self.pq_iter = check_int(pq_iter, "pq_iter", minimum=0)
        as_generator(seed)
        self.seed = seed
        if self.ksub * self.d > _MAX_JOINT:
            raise ValueError(f"2**nbits * d = {self.ksub * self.d} codebook numbers: the joint "
                             f"codebook system (its square, in float64) would exceed "
                             f"{_MAX_JOINT}^2 entries; use fewer bits or reduce d")
        self.codebooks_: np.ndarray | None = None
        self.loss_history_: list[float] = []

    @property
    def ksub(self) -> int:
        """Centroids per block: ``2 ** nbits``."""
        return 1 << self.nbits

    @property
    def dsub(self) -> int:
        """Dimensions per block: ``d / m``."""
        return self.d // self.m

    @property
    def d_(self) -> int | None:
        """``d`` once fitted (as ``ProductQuantizer.d_``), else None."""
        return None if self.codebooks_ is None else self.d

    @property
    def code_size(self) -> int:
        """Bytes per code: ``m`` (one uint8 per block)."""
        return self.m

    def __repr__(self) -> str:
        weight = f"T={self.T}" if self.eta is None else f"eta={self.eta}"
        fitted = " fitted" if self.codebooks_ is not None else ""
        return f"AnisotropicPQ(d={self.d}, m={self.m}, nbits={self.nbits}, {weight}){fitted}"

    def _check_fitted(self) -> None:
        if self.codebooks_ is None:
            raise NotTrainedError("AnisotropicPQ is not fitted: call fit(x) first")

    def row_eta(self, x) -> np.ndarray:
        """``(n,)`` float64: the ``eta`` each row of ``x: (n, d)`` is weighted with."""
        x = as_matrix(x, "x", d=self.d, allow_empty=True)
        sq = np.einsum("ij,ij->i", x, x, dtype=np.float64)
        return self._eta_and_weight(sq, "x")[0]

    def _eta_and_weight(self, sq: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Per-row ``eta`` and the kernels' weight ``(eta - 1) / |x|^2`` (0 for zero rows)."""
        if self.eta is not None:
            eta = np.full(sq.shape, self.eta)
        else:
            low = np.flatnonzero((sq > 0) & (sq <= self.T ** 2))
            if low.size:
                i = low[0]
                raise ValueError(f"{name} row {i} has norm {np.sqrt(sq[i]):.4g} <= T={self.T}: "
                                 "the anisotropic weight needs |x| > T (normalise the vectors, "
                                 "lower T, or pass a fixed eta)")
            t2 = np.divide(self.T ** 2, sq, out=np.zeros_like(sq), where=sq > 0)
            eta = np.where(sq > 0, (self.d - 1) * t2 / np.where(sq > 0, 1.0 - t2, 1.0), 1.0)
        w = np.divide(eta - 1.0, sq, out=np.zeros_like(sq), where=sq > 0)
        return eta, w

    def _prepare(self, x, centers, name="x"):
        """Validated ``(R, X, eta, w)``: the vectors to quantize, the datapoints, weights."""
        X = as_matrix(x, name, d=self.d, allow_empty=True)
        if centers is None:
            R = X
        else:
            centers = as_matrix(centers, "centers", d=self.d, allow_empty=True)
            if centers.shape[0] != X.shape[0]:
                raise ValueError(f"centers must have one row per row of {name} "
                                 f"({X.shape[0]}), got shape {centers.shape}")
            R = np.ascontiguousarray(X - centers, dtype=np.float32)
        sq = np.einsum("ij,ij->i", X, X, dtype=np.float64)
        eta, w = self._eta_and_weight(sq, name)
        return R, X, eta, w

    # -- training --------------------------------------------------------------------------
    def fit(self, x, *, centers=None) -> "AnisotropicPQ":
        """Train the codebooks on ``x: (n, d)``, ``n >= 2 ** nbits``.

        Args:
            x: the datapoints (their direction defines "parallel").
            centers: optional ``(n, d)``: quantize the residuals ``x - centers`` (each
                row's partition centroid); the loss is still that of ``x`` and
                ``centers + decode(code)``.
        Returns:
            ``self``.
        """
        R, X, eta, w = self._prepare(x, centers)
        n = X.shape[0]
        if n < self.ksub:
            raise ValueError(f"x has {n} vectors, fewer than the 2**nbits={self.ksub} centroids "
                             "of each block; train with more vectors or lower nbits")
        rng = as_generator(self.seed)
        pq_rng, sample_rng = rng.spawn(2)
        if n > self.training_sample_size:
            keep = np.sort(sample_rng.choice(n, size=self.training_sample_size, replace=False))
            R, X, eta, w = R[keep], X[keep], eta[keep], w[keep]
        R64, X64 = R.astype(np.float64), X.astype(np.float64)
        # The start: plain PQ (k-means in every block) on the vectors to quantize.
        pq = ProductQuantizer(self.m, self.nbits, pq_rng, n_iter=self.pq_iter).fit(R)
        C = pq.codebooks_.astype(np.float64)
        codes = np.zeros((R.shape[0], self.m), dtype=np.uint8)
        _encode_rows(R64, X64, w, C, codes, True, self.sweeps)
        history = [self._mean_loss(R64, X64, w, C, codes)]
        for _ in range(self.n_iter):
            C = _solve_codebooks(R64, X64, w, codes, C)
            history.append(self._mean_loss(R64, X64, w, C, codes))
            previous = codes.copy()
            _encode_rows(R64, X64, w, C, codes, False, self.sweeps)
            history.append(self._mean_loss(R64, X64, w, C, codes))
            if np.array_equal(previous, codes):        # converged: the next solve changes nothing
                break
        self.codebooks_ = C.astype(np.float32)
        self.loss_history_ = history
        return self

    train = fit

    @staticmethod
    def _mean_loss(R, X, w, C, codes) -> float:
        """Mean of ``|e|^2 + w <e, x>^2``, ``e = R - r_hat`` (= eta |e_par|^2 + |e_orth|^2)."""
        m = C.shape[0]
        e = R - C[np.arange(m), codes].reshape(R.shape)
        dot = np.einsum("ij,ij->i", e, X)
        return float(np.mean(np.einsum("ij,ij->i", e, e) + w * dot * dot))

    # -- codes -----------------------------------------------------------------------------
    def encode(self, x, *, centers=None) -> np.ndarray:
        """``x: (n, d)`` -> ``(n, m)`` uint8 codes of least anisotropic loss.

        Starts from the nearest centroid of every block, then coordinate descent (at
        most ``sweeps`` sweeps), as ScaNN. ``centers``: as in ``fit`` (codes of
        ``x - centers``).
        """
        self._check_fitted()
        R, X, _, w = self._prepare(x, centers)
        codes = np.zeros((X.shape[0], self.m), dtype=np.uint8)
        _encode_rows(R, X, w, self.codebooks_, codes, True, self.sweeps)
        return codes

    def decode(self, codes) -> np.ndarray:
        """``(n, m)`` codes -> ``(n, d)`` float32 reconstructions (add ``centers`` if used)."""
        codes = self.check_codes(codes)
        out = self.codebooks_[np.arange(self.m), codes]
        return np.ascontiguousarray(out.reshape(codes.shape[0], self.d), dtype=np.float32)

    def loss(self, x, codes, *, centers=None) -> np.ndarray:
        """``(n,)`` float64 anisotropic loss of ``x`` against ``centers + decode(codes)``."""
        x = as_matrix(x, "x", d=self.d, allow_empty=True)
        x_hat = self.decode(codes)
        if centers is not None:
            x_hat = x_hat + as_matrix(centers, "centers", d=self.d, allow_empty=True)
        return anisotropic_loss(x, x_hat, self.row_eta(x))

    # The same checks as ProductQuantizer's: integer (n, m) codes below 2 ** nbits, as uint8.
    check_codes = ProductQuantizer.check_codes

    # -- persistence -------------------------------------------------------------------------
    def _get_state(self):
        self._check_fitted()
        params = {"d": self.d, "m": self.m, "nbits": self.nbits, "T": self.T, "eta": self.eta,
                  "n_iter": self.n_iter, "sweeps": self.sweeps,
                  "training_sample_size": self.training_sample_size, "pq_iter": self.pq_iter,
                  "seed": self.seed if isinstance(self.seed, int) else None}
        return params, {"codebooks": self.codebooks_,
                        "loss_history": np.asarray(self.loss_history_, dtype=np.float64)}

    @classmethod
    def _from_state(cls, params, arrays):
        apq = cls(params["d"], params["m"], params["nbits"], T=params["T"], eta=params["eta"],
                  n_iter=params["n_iter"], sweeps=params["sweeps"],
                  training_sample_size=params["training_sample_size"],
                  pq_iter=params["pq_iter"], seed=params["seed"])
        apq._set_codebooks(arrays["codebooks"])
        apq.loss_history_ = [float(v) for v in arrays.get("loss_history", [])]
        return apq

    def _set_codebooks(self, codebooks) -> None:
        C = np.ascontiguousarray(codebooks, dtype=np.float32)
        if C.shape != (self.m, self.ksub, self.dsub):
            raise ValueError(f"codebooks must have shape (m, 2**nbits, d/m) = "
                             f"{(self.m, self.ksub, self.dsub)}, got {C.shape}")
        if not np.isfinite(C).all():
            raise ValueError("codebooks contain NaN or infinity")
        self.codebooks_ = C


# -- the index ---------------------------------------------------------------------------------
#: queries per block of a search (blocks run in parallel; the cut never changes a result)
_QUERY_BLOCK = 32


@njit(fastmath=True, nogil=True)
def _scan_pairs(tables, base, lists, offsets, packed_t, D, I):
    """Scan the probed leaves of each query with *paired* tables; keep its ``kk`` smallest.

    With 4-bit codes, two neighbouring blocks fit in one byte ``16 a + b``, and one table
    of 256 sums ``T[j, a] + T[j + 1, b]`` replaces two look-ups by one (faiss and ScaNN
    pair 4-bit codes the same way). ``tables: (b, P, 256)`` such paired tables of ``b``
    queries (smaller is better), ``base: (b, nprobe)`` the per-leaf term, ``packed_t:
    (P, n)`` the paired codes, *block-major* (row ``j`` holds pair ``j`` of every stored
    vector, grouped by leaf). A leaf is scored four pairs at a time into a small buffer:
    the inner loop over the leaf's rows has independent iterations and reads contiguous
    rows of codes, so the CPU overlaps many look-ups (measured 1.27x faster than summing
    each vector's pairs in turn, four vectors at a time: 0.044 s against 0.056 s for
    1,000 queries, 24 of 224 leaves of 50,000 GloVe vectors, one thread). ``D, I: (b, kk)`` arrive as
    ``+inf`` / ``-1`` and receive each query's best ``kk`` scores and storage rows, as a
    heap (``_insert``); a query's leaves are read in probe order and rows in order, so
    its candidates depend on nothing else.
    """
    b, P = tables.shape[0], tables.shape[1]
    longest = 0
    for lst in range(offsets.shape[0] - 1):
        longest = max(longest, offsets[lst + 1] - offsets[lst])
    buf = np.empty(longest, dtype=np.float32)
    for i in range(b):
        t = tables[i]
        for p in range(lists.shape[1]):
            lst = lists[i, p]
            lo, hi = offsets[lst], offsets[lst + 1]
            n = hi - lo
            s0 = base[i, p]
            for r in range(n):
                buf[r] = s0
            j = 0
            while j + 4 <= P:             # four pairs a pass: a quarter of the buffer traffic
                ta, tb, tc, td = t[j], t[j + 1], t[j + 2], t[j + 3]
                ca, cb = packed_t[j, lo:hi], packed_t[j + 1, lo:hi]
                cc, cd = packed_t[j + 2, lo:hi], packed_t[j + 3, lo:hi]
                for r in range(n):
                    buf[r] += (ta[ca[r]] + tb[cb[r]]) + (tc[cc[r]] + td[cd[r]])
                j += 4
            while j < P:
                tj = t[j]
                codes = packed_t[j, lo:hi]
                for r in range(n):
                    buf[r] += tj[codes[r]]
                j += 1
            for r in range(n):
                if buf[r] < D[i, 0]:
                    _insert(D, I, i, buf[r], lo + r)


@njit(fastmath=True, nogil=True)
def _insert(D, I, i, s, r):
    """Offer score ``s`` of row ``r`` to query ``i``'s candidates, a max-heap on ``D[i]``.

    The root ``D[i, 0]`` is the worst of the ``kk`` kept; a better score replaces it and
    sinks to its place: ``log kk`` steps instead of the ``kk / 2`` shifts of a sorted
    list (measured: the sorted list's shifts took a third of the scan with
    ``reorder=100``). ``_finish`` orders the survivors.
    """
    k = D.shape[1]
    if not s < D[i, 0]:
        return
    pos = 0
    while True:
        c = 2 * pos + 1
        if c >= k:
            break
        if c + 1 < k and D[i, c + 1] > D[i, c]:
            c += 1
        if D[i, c] > s:
            D[i, pos], I[i, pos] = D[i, c], I[i, c]
            pos = c
        else:
            break
    D[i, pos], I[i, pos] = s, r


@njit(fastmath=True, nogil=True)
def _finish(q, D, rows, ids, vectors, exact, out_D, out_I):
    """Each query's final top-k from its candidates, best score first, ties by lower id.

    ``D, rows: (b, kk)``: the scan's candidates (smaller is better, ``-1`` = none);
    ``ids`` maps storage rows to ids. With ``exact``, every candidate is re-scored by
    its exact inner product with the query (ScaNN's reordering, ``vectors`` in id
    order); otherwise its approximate score ``-D`` is kept. ``out_D, out_I: (b, k)``
    arrive as ``-inf`` / ``-1``.
    """
    b, kk = rows.shape
    k = out_D.shape[1]
    d = q.shape[1]
    for i in range(b):
        for c in range(kk):
            r = rows[i, c]
            if r < 0:
                continue
            x = ids[r]
            if exact:
                s = np.float32(0.0)
                for t in range(d):
                    s += q[i, t] * vectors[x, t]
            else:
                s = -D[i, c]
            last = out_I[i, k - 1]
            if s > out_D[i, k - 1] or (s == out_D[i, k - 1] and (last < 0 or x < last)):
                pos = k - 1
                while pos > 0 and (out_D[i, pos - 1] < s or
                                   (out_D[i, pos - 1] == s and out_I[i, pos - 1] > x)):
                    out_D[i, pos], out_I[i, pos] = out_D[i, pos - 1], out_I[i, pos - 1]
                    pos -= 1
                out_D[i, pos], out_I[i, pos] = s, x


def _pair_codes(codes: np.ndarray) -> np.ndarray:
    """``(n, m)`` 4-bit codes -> ``(ceil(m / 2), n)`` bytes ``16 c_2j + c_2j+1``, block-major
    (odd ``m``: the last pair's second half is 0, and its table row adds 0)."""
    n, m = codes.shape
    padded = np.zeros((n, m + m % 2), dtype=np.uint8)
    padded[:, :m] = codes
    return np.ascontiguousarray((padded[:, 0::2] * 16 + padded[:, 1::2]).T)


def _pair_tables(tables: np.ndarray) -> np.ndarray:
    """``(b, m, 16)`` tables -> ``(b, ceil(m / 2), 256)``: ``T[2j, a] + T[2j+1, c]`` at ``16 a + c``."""
    b, m, K = tables.shape
    padded = np.zeros((b, m + m % 2, K), dtype=np.float32)
    padded[:, :m] = tables
    pairs = padded[:, 0::2, :, None] + padded[:, 1::2, None, :]          # (b, P, 16, 16)
    return np.ascontiguousarray(pairs.reshape(b, -1, K * K))


class ScaNNIndex(InvertedListsMixin, Index):
    """ScaNN: k-means leaves, anisotropic PQ scores of residuals, exact reordering.

    Args:
        d: dimension, a multiple of ``dims_per_block``.
        n_leaves: k-means partitions (ScaNN's ``num_leaves``; about ``sqrt(n)``).
        leaves_to_search: leaves a query opens (``num_leaves_to_search``); can be changed.
        dims_per_block: dimensions per PQ block (ScaNN's ``score_ah(2, ...)``: 2), so
            ``m = d / dims_per_block`` code bytes per vector.
        nbits: bits per block code (4: ScaNN's ``lut16``, 16 centroids a block).
        T: ``anisotropic_quantization_threshold`` (0.2); or ``eta`` fixed instead.
        reorder: candidates re-scored exactly (``reorder(R)``); 0 turns reordering off.
            Can be changed after building.
        metric: ``"ip"`` (maximum inner product) or ``"cosine"`` (vectors normalised).
        tree_iter: k-means iterations of the partition (ScaNN's default 12).
        n_iter: anisotropic PQ training iterations (ScaNN's ``training_iterations``, 10).
        training_sample_size: rows used to train both stages (ScaNN's default 100,000).
        seed: int or ``np.random.Generator``.

    Example:
        >>> index = ScaNNIndex(100, n_leaves=1000, leaves_to_search=50, reorder=100)
        >>> index.train(database); index.add(database)
        >>> D, I = index.search(queries, 10)
    """

    metrics = ("ip", "cosine")
    needs_training = True
    _format_version = 1

    def __init__(self, d: int, n_leaves: int, leaves_to_search: int = 1, *, dims_per_block: int = 2,
                 nbits: int = 4, T: float | None = 0.2, eta: float | None = None, reorder: int = 100,
                 metric: str = "ip", tree_iter: int = 12, n_iter: int = 10,
                 training_sample_size: int = 100_000, seed=0):
        super().__init__(d, metric)
        self.nlist = check_int(n_leaves, "n_leaves", minimum=1)
        self.dims_per_block = check_int(dims_per_block, "dims_per_block", minimum=1)
        if self.d % self.dims_per_block:
            raise ValueError(f"dims_per_block={dims_per_block} must divide d={d}: vectors are cut "
                             f"into blocks of dims_per_block dimensions")
        self._nprobe = check_int(leaves_to_search, "leaves_to_search", minimum=1, maximum=self.nlist)
        self.reorder = reorder
        self.tree_iter = check_int(tree_iter, "tree_iter", minimum=0)
        self.training_sample_size = check_int(training_sample_size, "training_sample_size", minimum=1)
        self.seed = seed
        as_generator(seed)
        self.apq = AnisotropicPQ(self.d, self.d // self.dims_per_block, nbits, T=T, eta=eta,
                                 n_iter=n_iter, training_sample_size=training_sample_size, seed=0)
        self._centroids: np.ndarray | None = None
        self._codes = np.empty((0, self.apq.m), dtype=np.uint8)
        self._ids = np.empty(0, dtype=np.int64)
        self._offsets = np.zeros(self.nlist + 1, dtype=np.int64)
        self._vectors = np.empty((0, self.d), dtype=np.float32)      # id order, for reordering
        self._packed: np.ndarray | None = None                       # codes paired for the scan

    # -- knobs and introspection ------------------------------------------------------------
    @property
    def n_leaves(self) -> int:
        """Number of leaves (partitions)."""
        return self.nlist

    @property
    def leaves_to_search(self) -> int:
        """Leaves a query opens, ``1 .. n_leaves`` (the ``nprobe`` of IVF)."""
        return self.nprobe

    @leaves_to_search.setter
    def leaves_to_search(self, value) -> None:
        self._nprobe = check_int(value, "leaves_to_search", minimum=1, maximum=self.nlist)

    @property
    def reorder(self) -> int:
        """Candidates re-scored exactly per query (0: none, return approximate scores)."""
        return self._reorder

    @reorder.setter
    def reorder(self, value) -> None:
        self._reorder = check_int(value, "reorder", minimum=0)

    @property
    def is_trained(self) -> bool:
        return self._centroids is not None and self.apq.codebooks_ is not None

    @property
    def code_size(self) -> int:
        """Bytes stored per vector: ``m`` code bytes, an int64 id and the float32 vector
        kept for reordering."""
        return self.apq.m + 8 + 4 * self.d

    def __repr__(self) -> str:
        return (f"ScaNNIndex(d={self.d}, n_leaves={self.nlist}, leaves_to_search={self.nprobe}, "
                f"dims_per_block={self.dims_per_block}, nbits={self.apq.nbits}, "
                f"reorder={self.reorder}, metric={self.metric!r}, ntotal={self.ntotal})")

    # -- training ---------------------------------------------------------------------------
    def train(self, x) -> None:
        """Partition a sample of ``x: (n, d)`` by k-means, then fit anisotropic PQ on the
        residuals of that sample to their leaf centroids."""
        x = self._check_vectors(x, "x")
        if self.ntotal:
            raise ValueError("the index already holds codes made with the old quantizers; "
                             "build a new ScaNNIndex instead of retraining this one")
        if x.shape[0] < max(self.nlist, self.apq.ksub):
            raise ValueError(f"x has {x.shape[0]} vectors; training needs at least n_leaves="
                             f"{self.nlist} and 2**nbits={self.apq.ksub}")
        tree_rng, pq_rng, sample_rng = as_generator(self.seed).spawn(3)
        if x.shape[0] > self.training_sample_size:
            x = x[np.sort(sample_rng.choice(x.shape[0], size=self.training_sample_size, replace=False))]
        centroids, _ = kmeans(x, self.nlist, n_iter=self.tree_iter, seed=tree_rng, init="random")
        leaves = assign_nearest(x, centroids)[0]
        self.apq.seed = pq_rng
        self.apq.fit(x, centers=centroids[leaves])
        self._centroids = centroids

    def _probe(self, x: np.ndarray, nprobe: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``nprobe`` leaves of largest ``<x, c>`` per row, and those inner products
        (ScaNN tokenizes queries by the search's own measure, the dot product)."""
        C = self._centroids
        coarse = np.empty((x.shape[0], nprobe), dtype=np.float32)
        lists = np.empty((x.shape[0], nprobe), dtype=np.int64)
        rows = max(1, _BLOCK_ELEMENTS // self.nlist)
        for start in range(0, x.shape[0], rows):
            coarse[start:start + rows], lists[start:start + rows] = _select_top_k(
                np.ascontiguousarray(x[start:start + rows] @ C.T), nprobe, largest=True)
        return coarse, lists

    # -- adding -----------------------------------------------------------------------------
    def _add(self, x: np.ndarray) -> None:
        leaves = assign_nearest(x, self._centroids)[0]             # nearest leaf, squared L2
        codes = self.apq.encode(x, centers=self._centroids[leaves])
        ids = np.arange(self.ntotal, self.ntotal + x.shape[0])
        # Storage grouped by leaf; a stable sort keeps insertion order inside a leaf.
        all_leaves = np.concatenate([np.repeat(np.arange(self.nlist), self.list_sizes), leaves])
        order = np.argsort(all_leaves, kind="stable")
        self._codes = np.ascontiguousarray(np.concatenate([self._codes, codes])[order])
        self._ids = np.concatenate([self._ids, ids])[order]
        self._offsets = np.concatenate([[0], np.cumsum(np.bincount(all_leaves, minlength=self.nlist))])
        self._vectors = np.concatenate([self._vectors, x])
        self._packed = None

    # -- search -----------------------------------------------------------------------------
    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        kk = min(self.ntotal, max(k, self.reorder)) if self.reorder else k
        D = np.full((q.shape[0], kk), np.inf, dtype=np.float32)
        rows = np.full((q.shape[0], kk), -1, dtype=np.int64)
        no_extra = np.zeros(self.ntotal, dtype=np.float32)
        packed = self._paired_codes()
        out_D, out_I = self._empty_result(q.shape[0], k)

        def search_block(block):
            lo, hi = block
            coarse, lists = self._probe(q[lo:hi], self.nprobe)
            # Smaller is better in the scan: -<q, c_leaf> - sum_j <q_j, C_j[code_j]>.
            tables = -_adc_table(q[lo:hi], self.apq.codebooks_, "ip")
            if packed is not None:
                _scan_pairs(_pair_tables(tables), np.ascontiguousarray(-coarse), lists,
                            self._offsets, packed, D[lo:hi], rows[lo:hi])
            else:
                _scan_lists(np.ascontiguousarray(tables), np.ascontiguousarray(-coarse), lists,
                            self._offsets, self._codes, no_extra, D[lo:hi], rows[lo:hi])
            _finish(q[lo:hi], D[lo:hi], rows[lo:hi], self._ids, self._vectors, self.reorder > 0,
                    out_D[lo:hi], out_I[lo:hi])

        parallel_map(search_block, block_ranges(q.shape[0], _QUERY_BLOCK))
        return out_D, out_I

    def _paired_codes(self) -> np.ndarray | None:
        """The stored codes two blocks to a byte (4-bit codes only), made on first search."""
        if self.apq.nbits != 4:
            return None
        if self._packed is None or self._packed.shape[1] != self.ntotal:
            self._packed = _pair_codes(self._codes)
        return self._packed

    # -- persistence ------------------------------------------------------------------------
    def _get_state(self):
        apq = self.apq
        params = {"d": self.d, "n_leaves": self.nlist, "leaves_to_search": self.nprobe,
                  "dims_per_block": self.dims_per_block, "nbits": apq.nbits, "T": apq.T,
                  "eta": apq.eta, "reorder": self.reorder, "metric": self.metric,
                  "tree_iter": self.tree_iter, "n_iter": apq.n_iter,
                  "training_sample_size": self.training_sample_size,
                  "seed": self.seed if isinstance(self.seed, int) else None,
                  "trained": self.is_trained}
        arrays = {"codes": self._codes, "ids": self._ids, "offsets": self._offsets,
                  "vectors": self._vectors}
        if self.is_trained:
            arrays.update(centroids=self._centroids, codebooks=apq.codebooks_)
        return params, arrays

    @classmethod
    def _from_state(cls, params, arrays):
        index = cls(params["d"], params["n_leaves"], params["leaves_to_search"],
                    dims_per_block=params["dims_per_block"], nbits=params["nbits"], T=params["T"],
                    eta=params["eta"], reorder=params["reorder"], metric=params["metric"],
                    tree_iter=params["tree_iter"], n_iter=params["n_iter"],
                    training_sample_size=params["training_sample_size"], seed=params["seed"])
        if not params["trained"]:
            return index
        from .._saved_files import check_index_array, check_offsets

        centroids = as_matrix(arrays["centroids"], "centroids", d=index.d)
        if centroids.shape[0] != index.nlist:
            raise ValueError(f"centroids have shape {centroids.shape}, expected ({index.nlist}, {index.d})")
        index.apq._set_codebooks(arrays["codebooks"])
        codes = index.apq.check_codes(arrays["codes"])
        n = codes.shape[0]
        ids = np.asarray(arrays["ids"])
        offsets = np.asarray(arrays["offsets"])
        vectors = as_matrix(arrays["vectors"], "vectors", d=index.d, allow_empty=True)
        if ids.shape != (n,) or offsets.shape != (index.nlist + 1,) or vectors.shape[0] != n:
            raise ValueError(f"{n} codes, {ids.shape} ids, {offsets.shape} offsets and "
                             f"{vectors.shape[0]} vectors do not fit together")
        check_index_array(ids, "ids", n, unique=True)
        check_offsets(offsets.astype(np.int64), "offsets", n)
        index._centroids = centroids
        index._codes, index._ids = codes, ids.astype(np.int64)
        index._offsets, index._vectors = offsets.astype(np.int64), vectors
        index._ntotal = n
        return index
