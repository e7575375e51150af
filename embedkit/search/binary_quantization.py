"""Binary quantization: one bit per dimension, compared by Hamming distance.

Each component keeps only its sign relative to a per-dimension threshold ``t_j``:
``bit_j = 1 if x_j > t_j else 0``. Eight bits pack into a byte, so a ``d``-dimensional
float32 vector (``4 d`` bytes) becomes ``d / 8`` bytes: 32x smaller. Two codes are
compared by the **Hamming distance**, the number of differing bits,
``popcount(a XOR b)``, a couple of machine instructions per 64 dimensions.

For centred data the Hamming distance tracks the angle between vectors: for random
directions, ``P(bit differs) = angle / pi`` (the idea behind random-hyperplane LSH,
notebook 15, here with the coordinate axes as the hyperplanes). That is why the
threshold matters: with ``threshold="zero"`` on data whose mean is far from the origin,
most vectors share most bits and Hamming distances say little; ``threshold="mean"``
(the default) centres each dimension first.

Binary codes lose a lot of information, so the standard recipe is **rescoring**: take the
best ``rescore * k`` candidates by Hamming distance, then re-rank just those by the exact
float distance (the float vectors can live on disk; only a few are read per query).
"""
from __future__ import annotations

import numpy as np

from .._threads import block_ranges, parallel_map
from .._validation import _to_array, as_matrix, check_choice, check_int
from ..similarity import _BLOCK_ELEMENTS, _select_top_k
from .index_base import Index, NotTrainedError, Persistable, merge_top_k

__all__ = ["BinaryQuantizer", "BinaryIndex", "hamming_distances"]

#: queries per block of a search (blocks are searched in parallel)
_QUERY_BLOCK = 256


def _as_words(codes: np.ndarray) -> np.ndarray:
    """``(n, nbytes)`` uint8 -> ``(n, ceil(nbytes / 8))`` uint64 (zero-padded): 64 bits per op."""
    pad = (-codes.shape[1]) % 8
    if pad:
        codes = np.concatenate([codes, np.zeros((codes.shape[0], pad), np.uint8)], axis=1)
    return np.ascontiguousarray(codes).view(np.uint64)


def _hamming_words(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(na, w)`` x ``(nb, w)`` uint64 -> ``(na, nb)`` Hamming distances (uint8 or int32)."""
    # Up to 192 bits the count fits in a byte: a 4x smaller table, and faster top-k.
    dtype = np.uint8 if a.shape[1] * 64 <= 255 else np.int32
    dist = np.bitwise_count(a[:, 0:1] ^ b[None, :, 0]).astype(dtype, copy=False)
    for w in range(1, a.shape[1]):  # loop over 64-bit words: d / 64 of them, few
        dist += np.bitwise_count(a[:, w:w + 1] ^ b[None, :, w])
    return dist


def hamming_distances(a_codes, b_codes) -> np.ndarray:
    """All-pairs Hamming distances between packed binary codes.

    Args:
        a_codes: ``(na, nbytes)`` uint8, e.g. from ``BinaryQuantizer.encode``.
        b_codes: ``(nb, nbytes)`` uint8.
    Returns:
        ``(na, nb)`` int32: number of differing bits of each pair.
    """
    a = _check_packed(a_codes, "a_codes")
    b = _check_packed(b_codes, "b_codes")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a_codes and b_codes must have the same number of bytes, got "
                         f"{a.shape[1]} and {b.shape[1]}")
    return _hamming_words(_as_words(a), _as_words(b)).astype(np.int32, copy=False)


def _check_packed(codes, name: str, nbytes: int | None = None) -> np.ndarray:
    codes = _to_array(codes, name, None)
    if codes.dtype != np.uint8:
        raise TypeError(f"{name} must be uint8 packed bits (np.packbits), got dtype {codes.dtype}")
    if codes.ndim != 2 or (nbytes is not None and codes.shape[1] != nbytes):
        want = f"(n, {nbytes})" if nbytes is not None else "(n, nbytes)"
        raise ValueError(f"{name} must have shape {want}, got {codes.shape}")
    return codes


class BinaryQuantizer(Persistable):
    """Sign-bit quantizer: ``(n, d)`` floats -> ``(n, ceil(d / 8))`` packed uint8 codes.

    Args:
        threshold: ``"mean"`` (default: bit = component above the training mean) or
            ``"zero"`` (bit = sign of the raw component; right for already centred data).

    Attributes (after ``fit``):
        threshold_: ``(d,)`` float32 thresholds. scale_: ``(d,)`` float32, the mean
        ``|x_j - t_j|``, used by ``decode``. d_: dimension; code_size: bytes per vector.
    """

    _format_version = 1

    def __init__(self, threshold: str = "mean"):
        self.threshold = check_choice(threshold, "threshold", ("mean", "zero"))
        self.threshold_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self.d_: int | None = None

    @property
    def code_size(self) -> int:
        """Bytes per encoded vector: ``ceil(d / 8)``."""
        self._check_fitted()
        return (self.d_ + 7) // 8

    def __repr__(self) -> str:
        return f"BinaryQuantizer(threshold={self.threshold!r})" + ("" if self.d_ is None else f" fitted, d={self.d_}")

    def _check_fitted(self) -> None:
        if self.threshold_ is None:
            raise NotTrainedError("BinaryQuantizer is not fitted: call fit(x) first")

    def fit(self, x) -> "BinaryQuantizer":
        """Learn thresholds (and decode scales) from ``x: (n, d)``; returns ``self``."""
        x = as_matrix(x, "x")
        self.d_ = x.shape[1]
        self.threshold_ = x.mean(axis=0) if self.threshold == "mean" else np.zeros(self.d_, np.float32)
        # decode() maps bit b to t + s * (2b - 1); s = mean |x - t| is the L2-best s for
        # reconstructing x from its sign alone.
        self.scale_ = np.abs(x - self.threshold_).mean(axis=0).astype(np.float32)
        return self

    def encode(self, x) -> np.ndarray:
        """``x: (n, d)`` -> packed bits ``(n, ceil(d / 8))`` uint8 (first dimension = MSB)."""
        self._check_fitted()
        x = as_matrix(x, "x", d=self.d_, allow_empty=True)
        return np.packbits(x > self.threshold_, axis=1)

    def decode(self, codes) -> np.ndarray:
        """Packed bits ``(n, code_size)`` -> ``(n, d)`` float32, ``t + s * (+1 or -1)``."""
        self._check_fitted()
        codes = _check_packed(codes, "codes", self.code_size)
        signs = np.unpackbits(codes, axis=1, count=self.d_).astype(np.float32) * 2.0 - 1.0
        return (self.threshold_ + self.scale_ * signs).astype(np.float32)

    def _get_state(self):
        self._check_fitted()
        return {"threshold": self.threshold}, {"threshold_": self.threshold_, "scale_": self.scale_}

    @classmethod
    def _from_state(cls, params, arrays):
        bq = cls(params["threshold"])
        bq.threshold_ = np.asarray(arrays["threshold_"], dtype=np.float32)
        bq.scale_ = np.asarray(arrays["scale_"], dtype=np.float32)
        if bq.threshold_.ndim != 1 or bq.threshold_.shape != bq.scale_.shape:
            raise ValueError("threshold_ and scale_ must be two vectors of the same length")
        bq.d_ = bq.threshold_.shape[0]
        return bq


class BinaryIndex(Index):
    """Exhaustive Hamming search over binary codes, with optional float rescoring.

    Args:
        d: dimension of the float vectors.
        metric: the float metric used when rescoring (``"l2"``, ``"ip"``, ``"cosine"``).
        threshold: passed to ``BinaryQuantizer``.
        store_vectors: also keep the float32 vectors (``4 d`` more bytes per vector),
            which rescoring needs. In production they would sit on disk or in a
            memory-mapped file, read only for the few candidates of each query.

    Attributes:
        rescore: 0 (default) returns the Hamming ranking, ``D`` = number of differing
            bits. ``r >= 1`` takes the best ``r * k`` candidates by Hamming distance and
            re-ranks them by the exact float ``metric``; ``D`` is then that metric.
    """

    needs_training = True
    _format_version = 1

    def __init__(self, d: int, metric: str = "l2", *, threshold: str = "mean",
                 store_vectors: bool = False):
        super().__init__(d, metric)
        self.bq = BinaryQuantizer(threshold)
        self.store_vectors = bool(store_vectors)
        self._rescore = 0
        self._words = np.empty((0, (self.d + 63) // 64), dtype=np.uint64)
        self._codes = np.empty((0, (self.d + 7) // 8), dtype=np.uint8)
        self._vectors = np.empty((0, self.d), dtype=np.float32)

    @property
    def rescore(self) -> int:
        """Rescoring factor: 0 = off, r = re-rank the best ``r * k`` by float distance."""
        return self._rescore

    @rescore.setter
    def rescore(self, value) -> None:
        value = check_int(value, "rescore", minimum=0)
        if value and not self.store_vectors:
            raise ValueError("rescoring needs the float vectors: create the index with "
                             "BinaryIndex(d, store_vectors=True)")
        self._rescore = value

    @property
    def is_trained(self) -> bool:
        return self.bq.threshold_ is not None

    @property
    def higher_is_better(self) -> bool:
        # Hamming distances (no rescoring) are lower-is-better whatever the float metric.
        return self._rescore > 0 and self.metric != "l2"

    @property
    def code_size(self) -> int:
        """Bytes of binary code per vector, ``ceil(d / 8)`` (float vectors not counted)."""
        return (self.d + 7) // 8

    @property
    def codes(self) -> np.ndarray:
        """The stored ``(ntotal, code_size)`` uint8 codes (a copy)."""
        return self._codes.copy()

    def __repr__(self) -> str:
        return (f"BinaryIndex(d={self.d}, metric={self.metric!r}, rescore={self.rescore}, "
                f"ntotal={self.ntotal})")

    def train(self, x) -> None:
        """Fit the thresholds on ``x: (n, d)`` (only while the index is empty)."""
        x = self._check_vectors(x, "x")
        if self.ntotal:
            raise ValueError("the index already holds codes made with the old thresholds; "
                             "build a new BinaryIndex instead of retraining this one")
        self.bq.fit(x)

    def _add(self, x: np.ndarray) -> None:
        codes = self.bq.encode(x)
        self._codes = np.concatenate([self._codes, codes])
        self._words = np.concatenate([self._words, _as_words(codes)])
        if self.store_vectors:
            self._vectors = np.concatenate([self._vectors, x])

    def _hamming_top_k(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        qw = _as_words(self.bq.encode(q))
        D = np.empty((q.shape[0], k), dtype=np.float32)
        I = np.empty((q.shape[0], k), dtype=np.int64)
        db_rows = max(1, _BLOCK_ELEMENTS // _QUERY_BLOCK)

        def search_block(block):
            qs, qe = block
            best_D = best_I = None
            for start in range(0, self._ntotal, db_rows):
                dist = _hamming_words(qw[qs:qe], self._words[start:start + db_rows])
                bd, bi = _select_top_k(dist, min(k, dist.shape[1]), largest=False)
                bd, bi = bd.astype(np.float32), bi + start
                best_D, best_I = (bd, bi) if best_D is None else merge_top_k(
                    best_D, best_I, bd, bi, k, largest=False)
            D[qs:qe], I[qs:qe] = best_D, best_I

        parallel_map(search_block, block_ranges(q.shape[0], _QUERY_BLOCK))
        return D, I

    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if not self._rescore:
            return self._hamming_top_k(q, k)
        n_cand = min(self._ntotal, self._rescore * k)
        _, cand = self._hamming_top_k(q, n_cand)                     # (nq, n_cand)
        largest = self.metric != "l2"
        D, I = self._empty_result(q.shape[0], k)
        rows = max(1, min(_QUERY_BLOCK, _BLOCK_ELEMENTS // (n_cand * self.d)))

        def rescore_block(block):
            start, stop = block
            qq, cc = q[start:stop], cand[start:stop]
            # Exact float scores for the candidates only: gather (b, n_cand, d) vectors.
            xc = self._vectors[cc]
            scores = np.einsum("bcd,bd->bc", xc, qq)
            if not largest:
                scores *= -2.0
                scores += np.einsum("bcd,bcd->bc", xc, xc) + np.einsum("bd,bd->b", qq, qq)[:, None]
                np.maximum(scores, 0.0, out=scores)
            best, cols = _select_top_k(np.ascontiguousarray(scores, dtype=np.float32), k, largest)
            D[start:stop], I[start:stop] = best, np.take_along_axis(cc, cols, axis=1)

        parallel_map(rescore_block, block_ranges(q.shape[0], rows))
        return D, I

    def _get_state(self):
        params = {"d": self.d, "metric": self.metric, "threshold": self.bq.threshold,
                  "store_vectors": self.store_vectors, "rescore": self._rescore,
                  "trained": self.is_trained}
        arrays = {"codes": self._codes, "vectors": self._vectors}
        if self.is_trained:
            arrays.update(threshold_=self.bq.threshold_, scale_=self.bq.scale_)
        return params, arrays

    @classmethod
    def _from_state(cls, params, arrays):
        index = cls(params["d"], params["metric"], threshold=params["threshold"],
                    store_vectors=params["store_vectors"])
        if params["trained"]:
            index.bq = BinaryQuantizer._from_state({"threshold": params["threshold"]}, arrays)
            codes = _check_packed(arrays["codes"], "codes", index.code_size)
            vectors = np.ascontiguousarray(arrays["vectors"], dtype=np.float32)
            if index.store_vectors and vectors.shape != (codes.shape[0], index.d):
                raise ValueError(f"stored vectors have shape {vectors.shape}, expected "
                                 f"({codes.shape[0]}, {index.d})")
            index._codes, index._words = codes, _as_words(codes)
            index._vectors = vectors if index.store_vectors else index._vectors
            index._ntotal = codes.shape[0]
        index.rescore = params["rescore"]
        return index
