"""Subword embeddings in the fastText style: a word is the sum of its character n-grams.

Bojanowski et al. (2017) represent a word ``w`` by its own vector *and* the vectors of its
character n-grams: the word is wrapped in boundary markers (``where -> <where>``, so that
the prefix ``<wh`` differs from the ``wh`` inside "nowhere") and every substring of
``min_n..max_n`` characters is an n-gram. Millions of distinct n-grams are hashed
(FNV-1a, 32 bit) into ``bucket`` rows, so the table has a fixed size and collisions are
simply shared rows. The input vector of a word is the mean of its rows; training is
word2vec's skip-gram (or CBOW) with negative sampling on those composed vectors.

The pay-off: any string has n-grams, so **out-of-vocabulary** and misspelt words get a
vector (the mean of their n-gram vectors), and rare words borrow strength from frequent
words that share their pieces ("unhappiness" from "happiness", "kindness", ...).

Details shared with fastText / gensim ``FastText``, so the two can be compared:

* :func:`char_ngrams`: n-grams of ``"<" + word + ">"`` of ``min_n..max_n`` *characters*;
  the whole marked word (``"<where>"``) stands for the word's own vector;
* :func:`ngram_bucket`: fastText's hash, FNV-1a over the UTF-8 bytes, where each byte is
  first sign-extended (fastText casts ``char`` to ``int8`` before ``uint32``; gensim's
  ``ft_hash_bytes`` reproduces this), then ``% bucket``;
* an in-vocabulary word's vector is the mean of its word row and its n-gram rows
  (gensim's ``adjust_vectors``); an unknown word's vector is the mean of its n-gram rows;
* the update of the composed input vector is added *in full* to each of its rows, as in
  fastText and gensim (not divided by the number of rows, which the exact gradient of a
  mean would be).

What differs: only the buckets that some vocabulary word uses are stored (a compact table
instead of ``bucket x d`` floats: 2 M buckets at d=100 would be 800 MB). A bucket that no
training word uses therefore has the **zero** vector here, where fastText and gensim keep
its random initial vector (noise that carries no information). Training reuses
word2vec's batched loop (:mod:`embedkit.text.word2vec`), with the same differences from the
reference implementations as described there.
"""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from .._device import get_device
from .._jit import njit
from .._validation import as_generator, check_int, check_not_diverged, check_number
from .word2vec import _encode, _run_sgns, _safe_batch_size, _Trainer
from .word_vectors import WordVectors

__all__ = ["char_ngrams", "ngram_bucket", "ngram_buckets", "SubwordVectors", "train_subword"]

_FNV_OFFSET, _FNV_PRIME = 2166136261, 16777619


def _check_word(word, name: str = "word") -> str:
    if not isinstance(word, str):
        raise TypeError(f"{name} must be a str, got {type(word).__name__}")
    if not word:
        raise ValueError(f"{name} must be a non-empty string")
    return word


def _check_n(min_n, max_n) -> tuple[int, int]:
    min_n = check_int(min_n, "min_n", minimum=1)
    max_n = check_int(max_n, "max_n", minimum=1)
    if max_n < min_n:
        raise ValueError(f"max_n must be >= min_n, got min_n={min_n}, max_n={max_n}")
    return min_n, max_n


def char_ngrams(word: str, min_n: int = 3, max_n: int = 6, *, whole_word: bool = True) -> list[str]:
    """The character n-grams of ``word`` as fastText defines them.

    ``word`` is wrapped as ``"<" + word + ">"`` and every substring of ``n`` characters,
    ``min_n <= n <= max_n``, is listed (shorter lengths first, then left to right; the
    same list and order as gensim's ``compute_ngrams``). With ``whole_word=True`` the
    marked word itself (``"<where>"``) is appended when it is not already one of the
    n-grams: it stands for the word's own vector, which fastText keeps beside the hashed
    n-grams for in-vocabulary words.

    >>> char_ngrams("where", 3, 3)
    ['<wh', 'whe', 'her', 'ere', 're>', '<where>']
    """
    word = _check_word(word)
    min_n, max_n = _check_n(min_n, max_n)
    marked = f"<{word}>"
    grams = [marked[i:i + n] for n in range(min_n, min(len(marked), max_n) + 1)
             for i in range(len(marked) - n + 1)]
    if whole_word and marked not in grams:
        grams.append(marked)
    return grams


def ngram_buckets(ngrams: Sequence[str], bucket: int = 2_000_000) -> np.ndarray:
    """``(n,)`` int64 bucket of each n-gram: fastText's FNV-1a hash ``% bucket``.

    Vectorised over the n-grams: one pass per byte position instead of a Python loop per
    byte (the vocabulary of a corpus has about a million n-grams to hash).
    """
    bucket = check_int(bucket, "bucket", minimum=1)
    if isinstance(ngrams, str):
        raise TypeError("ngrams must be a list of str; for one n-gram use ngram_bucket(ngram)")
    encoded = [_check_word(g, "each n-gram").encode("utf-8") for g in ngrams]
    if not encoded:
        return np.zeros(0, dtype=np.int64)
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    flat = np.frombuffer(b"".join(encoded), dtype=np.int8)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    h = np.full(len(encoded), _FNV_OFFSET, dtype=np.uint64)
    for k in range(int(lengths.max())):
        live = lengths > k
        # fastText: h ^= uint32_t(int8_t(byte)): bytes >= 0x80 are sign-extended, so
        # non-ASCII characters hash differently from a textbook FNV-1a.
        byte = flat[starts[live] + k].astype(np.int64).astype(np.uint64) & np.uint64(0xFFFFFFFF)
        h[live] = ((h[live] ^ byte) * np.uint64(_FNV_PRIME)) & np.uint64(0xFFFFFFFF)
    return (h % np.uint64(bucket)).astype(np.int64)


def ngram_bucket(ngram: str, bucket: int = 2_000_000) -> int:
    """The bucket of one n-gram: FNV-1a (32 bit, fastText's variant) ``% bucket``."""
    return int(ngram_buckets([_check_word(ngram, "ngram")], bucket)[0])


class SubwordVectors(WordVectors):
    """Word vectors that also cover unseen words, through hashed character n-grams.

    Args:
        words: ``V`` vocabulary words (most frequent first).
        word_vectors: ``(V, d)`` each word's own row (fastText's word-id row).
        ngram_vectors: ``(m, d)`` the trained n-gram rows ...
        ngram_ids: ``(m,)`` ... and the bucket each belongs to (distinct); any other
            bucket has the zero vector.
        min_n, max_n, bucket: how words are cut and hashed (as in training).
        counts: optional ``(V,)`` corpus counts.

    ``sv["word"]`` for a vocabulary word is the mean of its own row and its n-gram rows
    (also stored, as the rows of ``sv.vectors``, so neighbour search and evaluation work
    as for :class:`WordVectors`); for any other string it is the mean of its n-gram
    vectors (``KeyError`` when none of its n-grams was seen in training).

    ``"x" in sv`` is True only for **vocabulary** words (the :class:`WordVectors`
    meaning, which evaluation relies on; gensim's ``FastTextKeyedVectors`` answers True
    for every string). :meth:`has_vector` says whether a vector can be built.
    ``most_similar`` and ``similarity`` accept unknown words too; neighbours are always
    vocabulary words. ``save`` keeps everything (``SubwordVectors.load`` rebuilds it,
    ``WordVectors.load`` gives the composed vocabulary vectors only); ``to_gensim`` keeps
    only the composed vocabulary vectors.
    """

    def __init__(self, words, word_vectors, ngram_vectors, ngram_ids, *, min_n: int = 3,
                 max_n: int = 6, bucket: int = 2_000_000, counts=None):
        from .._validation import as_matrix

        self.min_n, self.max_n = _check_n(min_n, max_n)
        self.bucket = check_int(bucket, "bucket", minimum=1)
        word_vectors = as_matrix(word_vectors, "word_vectors")
        ngram_vectors = as_matrix(ngram_vectors, "ngram_vectors", d=word_vectors.shape[1],
                                  allow_empty=True)
        ngram_ids = np.asarray(ngram_ids, dtype=np.int64)
        if ngram_ids.shape != (len(ngram_vectors),):
            raise ValueError(f"ngram_ids must have shape ({len(ngram_vectors)},), got {ngram_ids.shape}")
        order = np.argsort(ngram_ids, kind="stable")
        self.ngram_ids, self.ngram_vectors = ngram_ids[order], ngram_vectors[order]
        if len(np.unique(self.ngram_ids)) != len(self.ngram_ids):
            raise ValueError("ngram_ids must be distinct buckets")
        self.word_vectors = word_vectors
        words = list(words)
        if len(words) != len(word_vectors):
            raise ValueError(f"words and word_vectors must have the same length, got {len(words)} "
                             f"and {word_vectors.shape}")
        # Compose all vocabulary words at once: hash every n-gram in one call.
        grams = [char_ngrams(_check_word(w, "each word"), self.min_n, self.max_n, whole_word=False)
                 for w in words]
        lengths = np.array([len(g) for g in grams], dtype=np.int64)
        rows, found = self._rows_of(ngram_buckets([g for gs in grams for g in gs], self.bucket))
        composed = word_vectors.copy()
        np.add.at(composed, np.repeat(np.arange(len(words)), lengths)[found], self.ngram_vectors[rows[found]])
        composed /= (1.0 + lengths[:, None]).astype(np.float32)
        super().__init__(words, composed, counts=counts)

    def _get_state(self) -> tuple[dict, dict]:
        params, arrays = super()._get_state()
        params.update(min_n=self.min_n, max_n=self.max_n, bucket=self.bucket)
        arrays.update(word_vectors=self.word_vectors, ngram_vectors=self.ngram_vectors,
                      ngram_ids=self.ngram_ids)
        return params, arrays

    @classmethod
    def _from_state(cls, params: dict, arrays: dict) -> "SubwordVectors":
        """Rebuild from :meth:`_get_state`'s output (called by ``load``, which wraps errors)."""
        from .._saved_files import check_index_array

        check_index_array(arrays["ngram_ids"], "ngram_ids", params["bucket"])
        sv = cls(arrays["words"].tolist(), arrays["word_vectors"], arrays["ngram_vectors"],
                 arrays["ngram_ids"], min_n=params["min_n"], max_n=params["max_n"],
                 bucket=params["bucket"], counts=arrays.get("counts"))
        if not np.array_equal(sv.vectors, arrays["vectors"]):
            raise ValueError("the composed vectors do not match the stored ones")
        return sv

    def __repr__(self) -> str:
        return (f"SubwordVectors({len(self):,} words + {len(self.ngram_ids):,} n-gram rows, "
                f"d={self.vector_size}, n={self.min_n}..{self.max_n}, bucket={self.bucket:,})")

    def _ngram_vectors_of(self, word: str) -> np.ndarray:
        """``(k, d)`` the vectors of the ``k`` n-grams of ``word`` (zero for unseen buckets)."""
        grams = char_ngrams(word, self.min_n, self.max_n, whole_word=False)
        pos, found = self._rows_of(ngram_buckets(grams, self.bucket))
        out = np.zeros((len(pos), self.vector_size), dtype=np.float32)
        out[found] = self.ngram_vectors[pos[found]]
        return out

    def _rows_of(self, buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of ``ngram_vectors`` holding ``buckets`` and whether each was trained."""
        if len(self.ngram_ids) == 0:
            return np.zeros(len(buckets), np.int64), np.zeros(len(buckets), bool)
        pos = np.minimum(np.searchsorted(self.ngram_ids, buckets), len(self.ngram_ids) - 1)
        return pos, self.ngram_ids[pos] == buckets

    def has_vector(self, word: str) -> bool:
        """True for vocabulary words and for strings with at least one trained n-gram."""
        if word in self.index:
            return True
        return isinstance(word, str) and bool(word) and bool(self._ngram_vectors_of(word).any())

    def get_vector(self, word: str) -> np.ndarray:
        """``(d,)`` float32 vector of any word (see the class docstring)."""
        if word in self.index:
            return self.vectors[self.index[word]].copy()
        _check_word(word)
        grams = self._ngram_vectors_of(word)
        if not grams.any():
            raise KeyError(f"word {word!r} is not in the vocabulary and none of its character "
                           f"n-grams ({self.min_n}..{self.max_n}) was seen in training")
        return grams.mean(0)

    def __getitem__(self, word):
        if isinstance(word, (list, tuple)):
            return np.stack([self.get_vector(w) for w in word])
        return self.get_vector(word)

    def similarity(self, w1: str, w2: str) -> float:
        a, b = self.get_vector(w1), self.get_vector(w2)
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    def _query(self, positive, negative):
        """As :meth:`WordVectors._query`, but unknown words get their n-gram vector."""
        positive = [positive] if isinstance(positive, str) else list(positive or [])
        negative = [negative] if isinstance(negative, str) else list(negative or [])
        if not positive and not negative:
            raise ValueError("most_similar needs at least one word in positive or negative")
        vecs = np.stack([self.get_vector(w) for w in positive + negative])
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        weights = np.array([1.0] * len(positive) + [-1.0] * len(negative), dtype=np.float32)
        mean = weights @ vecs / len(vecs)
        norm = np.linalg.norm(mean)
        rows = [self.index[w] for w in positive + negative if w in self.index]
        return (mean / norm if norm > 0 else mean), rows


@njit(nogil=True)   # no fastmath: the same sums in the same order on every CPU
def _compose_inputs(ctx, pad, row_start, rows, W, slot_of, uniq, inv, composed, U):
    """CPU batch step, part 1: the composed input vector of every context slot.

    ``ctx: (n,)`` word ids (``pad`` where a slot is empty); word ``w``'s rows are
    ``rows[row_start[w]:row_start[w + 1]]`` (its own row, then its n-gram rows) and its
    input vector is their mean. Each *distinct* word of the batch is composed once, into
    ``composed[k]`` (frequent words fill many slots): ``slot_of: (V + 1,)`` is -1 except
    for the words met so far, which map to their position ``k`` in ``uniq``. Writes
    ``U[s]`` (zero for ``pad``) and ``inv[s]`` (``k``, or -1 for ``pad``); returns the
    number of distinct words. :func:`_scatter_inputs` resets ``slot_of``.
    """
    d = W.shape[1]
    n_uniq = 0
    for s in range(len(ctx)):
        w = ctx[s]
        if w == pad:
            inv[s] = -1
            U[s, :] = 0.0
            continue
        k = slot_of[w]
        if k < 0:                      # first time in this batch: compose it
            k = n_uniq
            n_uniq += 1
            slot_of[w], uniq[k] = k, w
            a, b = row_start[w], row_start[w + 1]
            composed[k, :] = 0.0
            for j in range(a, b):
                r = rows[j]
                for t in range(d):
                    composed[k, t] += W[r, t]
            scale = np.float32(1.0) / np.float32(b - a)
            for t in range(d):
                composed[k, t] *= scale
        inv[s] = k
        U[s, :] = composed[k, :]
    return n_uniq


@njit(nogil=True)
def _scatter_inputs(inv, dU, n_uniq, uniq, row_start, rows, W, sums, slot_of):
    """CPU batch step, part 2: add each distinct word's summed update to all its rows.

    ``dU: (n, d)`` updates of the slots (``inv`` from :func:`_compose_inputs`). The update
    of a word is added *in full* to its own row and to each n-gram row, as fastText and
    gensim do. ``sums: (>= n_uniq, d)`` is scratch (the composed vectors are no longer
    needed: the step has used them). Resets ``slot_of`` for the next batch.
    """
    d = W.shape[1]
    sums[:n_uniq, :] = 0.0
    for s in range(len(inv)):
        k = inv[s]
        if k >= 0:
            for t in range(d):
                sums[k, t] += dU[s, t]
    for k in range(n_uniq):
        w = uniq[k]
        for j in range(row_start[w], row_start[w + 1]):
            r = rows[j]
            for t in range(d):
                W[r, t] += sums[k, t]
        slot_of[w] = -1


class _SubwordTrainer(_Trainer):
    """word2vec's batch step with composed inputs: the input vector of word ``i`` is the
    mean of its own row and its n-gram rows, ``rows[row_start[i]:row_start[i + 1]]``.

    On a CPU the composition and the scatter of the updates are two compiled loops
    (:func:`_compose_inputs`, :func:`_scatter_inputs`) that release the GIL, so worker
    threads run them in parallel; elsewhere (CUDA) they are torch's ``embedding_bag`` and
    ``index_add_`` over a padded ``(V + 1, L)`` table of row ids.
    """

    def __init__(self, W_in, W_out, sg, max_batch, max_ctx, n_out, row_start, rows, pad: int,
                 compiled=None):
        super().__init__(W_in, W_out, sg, max_batch, max_ctx, n_out)
        self.pad, self.row_start, self.rows = pad, row_start, rows
        n, d = max_batch * max_ctx, W_in.shape[1]
        # compiled=None: the numba loops on a CPU (the tests also run the torch path there)
        self.on_cpu = W_in.device.type == "cpu" if compiled is None else bool(compiled)
        if self.on_cpu:
            self._W = W_in.numpy()                      # shares memory with the tensor
            self._slot_of = np.full(pad + 1, -1, dtype=np.int64)
            self._uniq = np.empty(n, dtype=np.int64)
            self._inv = np.empty(n, dtype=np.int64)
            self._sums = np.empty((n, d), dtype=np.float32)
        else:
            torch = self.torch
            counts = np.diff(row_start)
            L, zero_row = int(counts.max()), W_in.shape[0] - 1
            # SUB[i]: word i's row ids padded with the zero row; SW[i]: 1 / (number of rows)
            # where valid, else 0. Row ``pad`` (the empty context slot) has no rows.
            SUB = np.full((pad + 1, L), zero_row, dtype=np.int64)
            SW = np.zeros((pad + 1, L), dtype=np.float32)
            word = np.repeat(np.arange(pad), counts)
            col = np.arange(len(rows)) - np.repeat(row_start[:-1], counts)
            SUB[word, col], SW[word, col] = rows, (1.0 / counts)[word]
            self.SUB, self.SW = torch.from_numpy(SUB).to(W_in.device), torch.from_numpy(SW).to(W_in.device)

    def gather_inputs(self, ctx):
        n = ctx.numel()
        if self.on_cpu:
            self._n_uniq = _compose_inputs(ctx.numpy().ravel(), self.pad, self.row_start, self.rows,
                                           self._W, self._slot_of, self._uniq, self._inv,
                                           self._sums, self.U[:n].numpy())
            return self.U[:n]
        # Compose each distinct word of the batch once (frequent words fill many slots).
        self._uniq_t, self._inv_t = self.torch.unique(ctx.view(-1), return_inverse=True)
        composed = self.torch.nn.functional.embedding_bag(
            self.SUB[self._uniq_t], self.W_in, mode="sum", per_sample_weights=self.SW[self._uniq_t])
        return composed[self._inv_t]

    def scatter_inputs(self, ctx, dU):
        if self.on_cpu:
            _scatter_inputs(self._inv[:ctx.numel()], np.ascontiguousarray(dU.numpy()), self._n_uniq,
                            self._uniq, self.row_start, self.rows, self._W, self._sums, self._slot_of)
            return
        torch, uniq = self.torch, self._uniq_t
        # Sum the updates of each distinct word, then add that sum *in full* to each of its
        # rows (fastText/gensim do the same); padding slots carry weight 0.
        per_word = torch.zeros(len(uniq), dU.shape[1], device=dU.device).index_add_(0, self._inv_t, dU)
        word, col = (self.SW[uniq] > 0).nonzero(as_tuple=True)
        self.W_in.index_add_(0, self.SUB[uniq[word], col], per_word[word])


def train_subword(
    sentences,
    *,
    dim: int = 100,
    window: int = 5,
    min_count: int = 5,
    negative: int = 5,
    epochs: int = 5,
    min_n: int = 3,
    max_n: int = 6,
    bucket: int = 2_000_000,
    sg: bool = True,
    seed=0,
    progress: bool = True,
    alpha: float = 0.025,
    min_alpha: float = 1e-4,
    sample: float = 1e-3,
    batch_size: int = 256,
    workers: int = 1,
    device=None,
) -> SubwordVectors:
    """Train fastText-style subword vectors (skip-gram or CBOW with negative sampling).

    Args:
        sentences, dim, window, min_count, negative, epochs, sg, seed, progress, alpha,
            min_alpha, sample, batch_size, workers, device: as
            :func:`~embedkit.text.word2vec.train_word2vec` (the defaults are gensim
            ``FastText``'s).
        min_n, max_n: n-gram lengths in characters (``max_n=0`` is not supported: that
            is plain word2vec, use ``train_word2vec``).
        bucket: number of hash buckets for the n-grams.

    Returns:
        :class:`SubwordVectors` with ``.training_log`` (a
        :class:`~embedkit.text.word2vec.TrainingLog`).
    """
    import torch

    dim = check_int(dim, "dim", minimum=1)
    window = check_int(window, "window", minimum=1)
    min_count = check_int(min_count, "min_count", minimum=1)
    negative = check_int(negative, "negative", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=1)
    min_n, max_n = _check_n(min_n, max_n)
    bucket = check_int(bucket, "bucket", minimum=1)
    if not isinstance(sg, (bool, np.bool_)) and sg not in (0, 1):
        raise TypeError(f"sg must be True (skip-gram) or False (CBOW), got {sg!r}")
    alpha = check_number(alpha, "alpha", minimum=0.0, strict_minimum=True)
    min_alpha = check_number(min_alpha, "min_alpha", minimum=0.0, maximum=alpha)
    sample = check_number(sample, "sample", minimum=0.0)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    workers = check_int(workers, "workers", minimum=1)
    rng = as_generator(seed)
    device = get_device(device)

    start_time = time.perf_counter()
    vocab, ids, offsets, sentence_of, keep_prob, noise = _encode(sentences, min_count, sample)
    V, K = len(vocab), negative
    # Hash every vocabulary word's n-grams once; keep only the buckets in use.
    grams = [char_ngrams(w, min_n, max_n, whole_word=False) for w in vocab.words]
    lengths = np.array([len(g) for g in grams], dtype=np.int64)
    used, compact = np.unique(ngram_buckets([g for gs in grams for g in gs], bucket),
                              return_inverse=True)
    m = len(used)
    # Word i's rows: its own row i, then its n-gram rows V + (compact bucket id), stored
    # one word after another (``rows[row_start[i]:row_start[i + 1]]``).
    row_start = np.concatenate([[0], np.cumsum(lengths + 1)]).astype(np.int64)
    rows = np.empty(row_start[-1], dtype=np.int64)
    rows[row_start[:-1]] = np.arange(V)
    word_of = np.repeat(np.arange(V), lengths)
    slot = np.arange(len(word_of)) - np.repeat(np.cumsum(lengths) - lengths, lengths) + 1
    rows[row_start[word_of] + slot] = V + compact.ravel()

    # A frequent n-gram ("ing>", "<th") is updated by every word containing it: cap the
    # batch so that no row expects more than ~1/alpha summed updates per batch.
    batch_size = _safe_batch_size(batch_size, vocab, keep_prob, noise, window, K, alpha)
    f = vocab.frequencies() * keep_prob
    share = f / f.sum()
    ngram_share = np.bincount(compact.ravel(), weights=share[word_of], minlength=m).max() if m else 0.0
    if ngram_share > 0:
        batch_size = int(max(1, min(batch_size, 1.0 / (alpha * (window + 1) * ngram_share))))

    init = (rng.random((V + m, dim), dtype=np.float32) - 0.5) / dim
    W_in = torch.from_numpy(np.vstack([init, np.zeros((1, dim), np.float32)])).to(device)
    W_out = torch.zeros(V, dim, device=device)
    log = _run_sgns(ids, offsets, sentence_of, keep_prob, noise,
                    lambda: _SubwordTrainer(W_in, W_out, bool(sg), batch_size, 2 * window, 1 + K,
                                            row_start, rows, V),
                    V=V, window=window, K=K, epochs=epochs, alpha=alpha, min_alpha=min_alpha,
                    batch_size=batch_size, workers=workers, rng=rng, device=device,
                    progress=progress, desc=f"subword {'skip-gram' if sg else 'CBOW'}")
    log.words = len(ids) * epochs
    log.seconds = time.perf_counter() - start_time
    check_not_diverged(W_in, what="the word and n-gram vectors", lr_name="alpha", lr=alpha)
    table = W_in.cpu().numpy()
    sv = SubwordVectors(vocab.words, table[:V], table[V:V + m], used, min_n=min_n, max_n=max_n,
                        bucket=bucket, counts=vocab.counts)
    sv.training_log = log
    return sv
