"""Scalar quantization: store each component in 8 or 4 bits instead of 32.

Per dimension ``j``, ``fit`` records the range ``[min_j, max_j]`` of the training data and
cuts it into ``L - 1`` equal steps, ``L = 2 ** bits`` levels (256 or 16):

    step_j = (max_j - min_j) / (L - 1)
    code   = round((x_j - min_j) / step_j)        an integer in 0 .. L-1
    x_hat  = min_j + code * step_j

Rounding to the nearest level means ``|x_j - x_hat_j| <= step_j / 2`` for every value
inside the training range (values outside are clipped to the nearest end). This is
faiss's ``QT_8bit`` / ``QT_4bit`` (per-dimension ranges; faiss reconstructs at bin
centres instead, with the same bound). Memory: 8 bits is 4x smaller than float32, 4 bits
8x (two codes share a byte).

``SQIndex`` searches the codes directly: for ``x_hat = min + step * code`` the inner product
``q . x_hat = q . min + (q * step) . code`` is one matrix product with the *integer*
codes, so the database is never decoded as a whole (it is converted block by block).
"""
from __future__ import annotations

import numpy as np

from .._threads import block_ranges, parallel_map
from .._validation import as_matrix, check_int, check_number
from ..similarity import _BLOCK_ELEMENTS, _select_top_k
from .index_base import Index, NotTrainedError, Persistable, merge_top_k

__all__ = ["ScalarQuantizer", "SQIndex"]

#: queries per block of a search (blocks are searched in parallel)
_QUERY_BLOCK = 256


class ScalarQuantizer(Persistable):
    """Uniform per-dimension quantizer to 8 or 4 bits (scikit-learn style).

    Args:
        bits: 8 (codes ``(n, d)`` uint8) or 4 (codes ``(n, ceil(d / 2))`` uint8, two
            4-bit codes per byte: even dimension in the low nibble, odd in the high).
        clip_quantile: 0 (default) takes each dimension's range from its min and max, as
            faiss's default does. ``q > 0`` uses the ``q`` and ``1 - q`` quantiles instead
            (faiss ``RS_quantiles``): a few outliers then no longer stretch the range and
            waste levels; values beyond it are clipped. The step/2 error bound holds for
            values inside the range.

    Attributes (after ``fit``):
        vmin_: ``(d,)`` float32 per-dimension minimum of the training data.
        step_: ``(d,)`` float32 per-dimension step (0 for a constant dimension).
        d_: dimension; code_size: bytes per encoded vector.

    Example:
        >>> sq = ScalarQuantizer(bits=8).fit(train)
        >>> codes = sq.encode(x)            # (n, d) uint8
        >>> x_hat = sq.decode(codes)        # (n, d) float32, |x - x_hat| <= step_ / 2
    """

    _format_version = 1

    def __init__(self, bits: int = 8, *, clip_quantile: float = 0.0):
        self.bits = check_int(bits, "bits")
        if self.bits not in (4, 8):
            raise ValueError(f"bits must be 8 or 4, got {self.bits}")
        self.clip_quantile = check_number(clip_quantile, "clip_quantile", minimum=0.0, maximum=0.49)
        self.vmin_: np.ndarray | None = None
        self.step_: np.ndarray | None = None
        self.d_: int | None = None

    @property
    def levels(self) -> int:
        """Number of distinct codes per component: ``2 ** bits``."""
        return 1 << self.bits

    @property
    def code_size(self) -> int:
        """Bytes per encoded vector."""
        self._check_fitted()
        return self.d_ if self.bits == 8 else (self.d_ + 1) // 2

    def __repr__(self) -> str:
        return f"ScalarQuantizer(bits={self.bits})" + ("" if self.d_ is None else f" fitted, d={self.d_}")

    def _check_fitted(self) -> None:
        if self.vmin_ is None:
            raise NotTrainedError("ScalarQuantizer is not fitted: call fit(x) first")

    def fit(self, x) -> "ScalarQuantizer":
        """Learn the per-dimension range of ``x: (n, d)``; returns ``self``."""
        x = as_matrix(x, "x")
        self.d_ = x.shape[1]
        if self.clip_quantile:
            lo, hi = np.quantile(x, [self.clip_quantile, 1.0 - self.clip_quantile], axis=0)
        else:
            lo, hi = x.min(axis=0), x.max(axis=0)
        self.vmin_ = lo.astype(np.float32)
        self.step_ = ((hi - lo) / (self.levels - 1)).astype(np.float32)
        return self

    def encode(self, x) -> np.ndarray:
        """``x: (n, d)`` -> uint8 codes ``(n, code_size)``."""
        self._check_fitted()
        x = as_matrix(x, "x", d=self.d_, allow_empty=True)
        # A constant dimension has step 0: divide by 1 instead, every code is then 0.
        inv_step = 1.0 / np.where(self.step_ > 0, self.step_, 1.0)
        codes = np.rint((x - self.vmin_) * inv_step)
        codes = np.clip(codes, 0, self.levels - 1).astype(np.uint8)
        return codes if self.bits == 8 else _pack_nibbles(codes)

    def decode(self, codes) -> np.ndarray:
        """uint8 codes ``(n, code_size)`` -> float32 reconstructions ``(n, d)``."""
        codes = self._check_codes(codes)
        return self._decode_unpacked(self._unpack(codes))

    def _check_codes(self, codes) -> np.ndarray:
        self._check_fitted()
        codes = np.asarray(codes)
        if codes.dtype != np.uint8:
            raise TypeError(f"codes must be uint8 (from encode), got dtype {codes.dtype}")
        if codes.ndim != 2 or codes.shape[1] != self.code_size:
            raise ValueError(f"codes must have shape (n, {self.code_size}), got {codes.shape}")
        return codes

    def _unpack(self, codes: np.ndarray) -> np.ndarray:
        return codes if self.bits == 8 else _unpack_nibbles(codes, self.d_)

    def _decode_unpacked(self, codes: np.ndarray) -> np.ndarray:
        return (self.vmin_ + codes.astype(np.float32) * self.step_).astype(np.float32)

    def _get_state(self):
        self._check_fitted()
        return {"bits": self.bits, "clip_quantile": self.clip_quantile}, {"vmin": self.vmin_, "step": self.step_}

    @classmethod
    def _from_state(cls, params, arrays):
        sq = cls(params["bits"], clip_quantile=params.get("clip_quantile", 0.0))
        sq.vmin_ = np.asarray(arrays["vmin"], dtype=np.float32)
        sq.step_ = np.asarray(arrays["step"], dtype=np.float32)
        if sq.vmin_.ndim != 1 or sq.vmin_.shape != sq.step_.shape:
            raise ValueError("vmin and step must be two vectors of the same length")
        sq.d_ = sq.vmin_.shape[0]
        return sq


def _pack_nibbles(codes: np.ndarray) -> np.ndarray:
    """``(n, d)`` codes in 0..15 -> ``(n, ceil(d/2))`` bytes, low nibble = even column."""
    if codes.shape[1] % 2:
        codes = np.concatenate([codes, np.zeros((codes.shape[0], 1), np.uint8)], axis=1)
    return np.ascontiguousarray(codes[:, 0::2] | (codes[:, 1::2] << 4))


def _unpack_nibbles(packed: np.ndarray, d: int) -> np.ndarray:
    out = np.empty((packed.shape[0], 2 * packed.shape[1]), dtype=np.uint8)
    out[:, 0::2] = packed & 0x0F
    out[:, 1::2] = packed >> 4
    return out[:, :d]


class SQIndex(Index):
    """Exhaustive search over scalar-quantized vectors (faiss ``IndexScalarQuantizer``).

    Queries stay float32; only the database is compressed (*asymmetric* distances), so
    the error comes from one side only. Besides the codes, the index caches one float32
    per vector, ``|x_hat|^2`` (faiss recomputes it while decoding).

    Args:
        d: dimension; bits: 8 or 4; metric: ``"l2"``, ``"ip"`` or ``"cosine"``
            (as ``FlatIndex``; scores are between the query and the reconstructed
            vectors, and under cosine the reconstruction is re-normalised).
        clip_quantile: passed to ``ScalarQuantizer`` (0 = min/max ranges).
    """

    needs_training = True
    _format_version = 1

    def __init__(self, d: int, bits: int = 8, metric: str = "l2", *, clip_quantile: float = 0.0):
        super().__init__(d, metric)
        self.sq = ScalarQuantizer(bits, clip_quantile=clip_quantile)
        self._codes = np.empty((0, 0), dtype=np.uint8)
        self._sq_norms = np.empty(0, dtype=np.float32)

    @property
    def is_trained(self) -> bool:
        return self.sq.vmin_ is not None

    @property
    def code_size(self) -> int:
        """Bytes stored per vector: ``d`` (8 bits) or ``ceil(d / 2)`` (4 bits)."""
        return self.d if self.sq.bits == 8 else (self.d + 1) // 2

    def __repr__(self) -> str:
        return f"SQIndex(d={self.d}, bits={self.sq.bits}, metric={self.metric!r}, ntotal={self.ntotal})"

    def train(self, x) -> None:
        """Fit the per-dimension ranges on ``x: (n, d)`` (only while the index is empty)."""
        x = self._check_vectors(x, "x")
        if self.ntotal:
            raise ValueError("the index already holds codes made with the old ranges; "
                             "train a new SQIndex instead of retraining this one")
        self.sq.fit(x)

    def _add(self, x: np.ndarray) -> None:
        codes = self.sq.encode(x)
        x_hat = self.sq.decode(codes)
        self._codes = np.concatenate([self._codes, codes]) if self._ntotal else codes
        self._sq_norms = np.concatenate([self._sq_norms, np.einsum("ij,ij->i", x_hat, x_hat)])

    def _search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        largest = self.higher_is_better
        D, I = self._empty_result(q.shape[0], k)
        # q . x_hat = q . vmin + (q * step) . code: a product with the raw integer codes.
        q_offset = q @ self.sq.vmin_                               # (nq,)
        q_scaled = np.ascontiguousarray(q * self.sq.step_)         # (nq, d)
        db_rows = max(1, _BLOCK_ELEMENTS // max(_QUERY_BLOCK, self.d))

        def search_block(block):         # one block of queries against every code
            qs, qe = block
            qq, off = q_scaled[qs:qe], q_offset[qs:qe, None]
            best_D = best_I = None
            for start in range(0, self._ntotal, db_rows):
                codes = self.sq._unpack(self._codes[start:start + db_rows]).astype(np.float32)
                scores = qq @ codes.T
                scores += off
                if not largest:  # rank by |x_hat|^2 - 2 q.x_hat
                    scores *= -2.0
                    scores += self._sq_norms[start:start + db_rows]
                elif self.metric == "cosine":
                    # x_hat is only approximately unit length: divide by its norm so D is
                    # the cosine of the query and the reconstruction.
                    scores /= np.sqrt(np.maximum(self._sq_norms[start:start + db_rows], 1e-30))
                kk = min(k, scores.shape[1])
                bd, bi = _select_top_k(scores, kk, largest)
                bi += start
                best_D, best_I = (bd, bi) if best_D is None else merge_top_k(
                    best_D, best_I, bd, bi, k, largest)
            if not largest:
                best_D = np.maximum(best_D + np.einsum("ij,ij->i", q[qs:qe], q[qs:qe])[:, None], 0.0)
            D[qs:qe], I[qs:qe] = best_D, best_I

        parallel_map(search_block, block_ranges(q.shape[0], _QUERY_BLOCK))
        return D, I

    def _get_state(self):
        params = {"d": self.d, "bits": self.sq.bits, "metric": self.metric,
                  "clip_quantile": self.sq.clip_quantile, "trained": self.is_trained}
        arrays = {"codes": self._codes}
        if self.is_trained:
            arrays.update(vmin=self.sq.vmin_, step=self.sq.step_)
        return params, arrays

    @classmethod
    def _from_state(cls, params, arrays):
        index = cls(params["d"], params["bits"], params["metric"], clip_quantile=params["clip_quantile"])
        if params["trained"]:
            index.sq = ScalarQuantizer._from_state(
                {"bits": params["bits"], "clip_quantile": params["clip_quantile"]}, arrays)
            codes = np.asarray(arrays["codes"], dtype=np.uint8)
            if codes.shape[0]:
                if codes.ndim != 2 or codes.shape[1] != index.code_size:
                    raise ValueError(f"codes have shape {codes.shape}, expected (n, {index.code_size})")
                index._codes = np.ascontiguousarray(codes)
                x_hat = index.sq.decode(codes)
                index._sq_norms = np.einsum("ij,ij->i", x_hat, x_hat)
                index._ntotal = codes.shape[0]
        return index
