"""word2vec: skip-gram and CBOW with negative sampling, trained in torch.

The model (Mikolov et al. 2013) has two matrices: input vectors ``W_in: (V, d)`` (the
word vectors we keep) and output vectors ``W_out: (V, d)`` (thrown away after training).
For a centre word ``w`` with a context word ``c`` inside its window and ``K`` noise words
``n_1..n_K`` drawn from the unigram^0.75 distribution, negative sampling maximises

    log sigma(u . v_w) + sum_k log sigma(-u . v_{n_k})

where ``v`` are output vectors and ``u`` is the input side: the context word's vector
``W_in[c]`` for skip-gram (each context word "predicts" the centre; gensim and word2vec.c
orient the pair this way), the mean of the window's vectors for CBOW. Writing
``g = label - sigma(score)`` (label 1 for ``w``, 0 for the noise words), the gradient
ascent step is ``u += lr * sum_j g_j v_j`` and ``v_j += lr * g_j u``: no autograd needed
(notebook 04 derives it and checks it numerically, see :mod:`embedkit.text.sgns_numpy`).

What this trainer shares with word2vec.c / gensim, so the two can be compared on equal
terms: the vocabulary (``min_count``, ids by frequency), subsampling of frequent words
before windows are formed, a *dynamic window* (each centre uses a window of uniform
random size 1..``window``, which weights near words more), noise words equal to the
centre skipped, initialisation (``W_in`` uniform in +-0.5/d, ``W_out`` zero), and the
learning rate decaying linearly from ``alpha`` to ``min_alpha`` over all epochs.

What differs, for speed in a Python-driven loop:

* updates are applied for a **batch** of ``batch_size`` centre words at once
  (``index_add_``), instead of one word pair at a time; the rows a batch touches are
  read before any of its updates land (word2vec.c's threads do the same, less orderly);
* in skip-gram, the ``K`` noise words are drawn **once per centre word and shared by
  all context words of its window** (as in Ji et al. 2016, "Parallelizing word2vec in
  shared and distributed memory"), instead of fresh noise words for every (centre,
  context) pair. Each positive pair still meets K negatives, so the objective is the
  same in expectation; the batch becomes three small matrix products;
* sigmoid and log are computed exactly (word2vec.c uses a table and skips the update
  when a score exceeds +-6).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from .._device import get_device
from .._validation import as_generator, check_int, check_not_diverged, check_number
from .vocab import Vocabulary, _check_sentences, _is_corpus
from .word_vectors import WordVectors

__all__ = ["train_word2vec", "TrainingLog", "context_windows"]


@dataclass
class TrainingLog:
    """What happened during training (attached to the result as ``wv.training_log``).

    ``loss[i]`` is the mean negative-sampling loss per (positive pair + its K negatives)
    over the chunk of the corpus that ended at ``progress[i]`` (fraction of all epochs).
    """

    progress: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    learning_rate: list = field(default_factory=list)
    seconds: float = 0.0
    words: int = 0                  # raw in-vocabulary tokens processed (all epochs)
    pairs: int = 0                  # (centre, context) pairs trained on

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds else 0.0


def context_windows(ids: np.ndarray, sentence: np.ndarray, positions: np.ndarray,
                    reach: int, pad: int) -> np.ndarray:
    """The context words of the centres at ``positions``, ``reach`` words to each side.

    Args:
        ids: ``(n,)`` token ids of a stretch of text.
        sentence: ``(n,)`` sentence number of each token (windows stop at boundaries).
        positions: ``(m,)`` indices of the centre words into ``ids``.
        reach: how far each centre looks to either side.
        pad: the id written where a slot falls outside the sentence (or the text).

    Returns:
        ``(m, 2 * reach)`` int64 ids of the words at offsets ``-reach..-1, 1..reach``.
    """
    n = len(ids)
    ctx = np.empty((len(positions), 2 * reach), dtype=np.int64)
    for col, offset in enumerate([*range(-reach, 0), *range(1, reach + 1)]):
        other = positions + offset
        inside = (other >= 0) & (other < n)
        other = np.clip(other, 0, n - 1)
        inside &= sentence[other] == sentence[positions]
        ctx[:, col] = np.where(inside, ids[other], pad)
    return ctx


class _Trainer:
    """Owns the two matrices and scratch buffers; one ``step`` per batch of centres.

    ``W_in`` has one extra last row, the *pad* row: a zero vector that stands in for
    context slots falling outside a sentence, so that every batch is a dense
    ``(M, 2 * reach)`` block. Its gradient is masked to zero, so it stays zero.
    """

    def __init__(self, W_in, W_out, sg: bool, max_batch: int, max_ctx: int, n_out: int):
        import torch

        self.torch = torch
        self.W_in, self.W_out, self.sg = W_in, W_out, sg
        self.pad = W_in.shape[0] - 1
        d, dev = W_in.shape[1], W_in.device
        # Preallocated scratch: allocating large tensors afresh every batch costs more
        # (page faults) than the arithmetic on a CPU.
        self.U = torch.empty(max_batch * max_ctx, d, device=dev)
        self.V = torch.empty(max_batch * n_out, d, device=dev)
        self.dU = torch.empty(max_batch * max_ctx, d, device=dev)
        self.dV = torch.empty(max_batch * n_out, d, device=dev)
        self.S = torch.empty(max_batch * max_ctx * n_out, device=dev)
        self.sign = torch.ones(n_out, device=dev)
        self.sign[1:] = -1.0

    def gather_inputs(self, ctx):
        """``(M * C, d)`` input vectors of the ids ``ctx: (M, C)`` (a hook: the subword
        model of :mod:`embedkit.text.subword` composes them from character n-grams)."""
        M, C = ctx.shape
        return self.torch.index_select(self.W_in, 0, ctx.view(-1), out=self.U[:M * C])

    def scatter_inputs(self, ctx, dU):
        """Add the updates ``dU: (M * C, d)`` to the input rows of ``ctx: (M, C)``."""
        self.W_in.index_add_(0, ctx.view(-1), dU)

    def step(self, ctx, out, out_weight, lr: float, with_loss: bool):
        """One batch: ``ctx: (M, C)`` context ids (pad where none), ``out: (M, 1 + K)``
        the centre then its noise words, ``out_weight: (M, 1 + K)`` 0 for skipped noise.

        Returns the summed loss (0.0 unless ``with_loss``) and the number of positive pairs.
        """
        torch = self.torch
        M, C = ctx.shape
        K1, d = out.shape[1], self.W_in.shape[1]
        U = self.gather_inputs(ctx).view(M, C, d)
        V = torch.index_select(self.W_out, 0, out.view(-1), out=self.V[:M * K1]).view(M, K1, d)
        valid = (ctx != self.pad).to(U.dtype)                                # (M, C)
        if self.sg:
            # Each context word is an input u, scored against [centre, noise...]: (M, C, K1).
            S = torch.bmm(U, V.transpose(1, 2), out=self.S[:M * C * K1].view(M, C, K1))
            weight = valid[:, :, None] * out_weight[:, None, :]
            n_pairs = int(valid.sum())
        else:
            # CBOW: one input per centre, the mean of its context vectors (pads are zero).
            h = U.sum(1, keepdim=True) / valid.sum(1).clamp_min(1.0)[:, None, None]   # (M, 1, d)
            S = torch.bmm(h, V.transpose(1, 2), out=self.S[:M * K1].view(M, 1, K1))
            weight = out_weight[:, None, :]
            n_pairs = M
        loss = 0.0
        if with_loss:  # -log sigma(s_centre) - sum_k log sigma(-s_noise_k)
            loss = -float((torch.nn.functional.logsigmoid(S * self.sign) * weight).sum())
        # g = (label - sigma(s)) * lr: one step of gradient *ascent* on the log-likelihood.
        G = torch.sigmoid(S).neg_()
        G[:, :, 0] += 1.0
        G.mul_(weight).mul_(lr)
        if self.sg:
            dU = torch.bmm(G, V, out=self.dU[:M * C].view(M, C, d))          # sum_j g_j v_j
            dV = torch.bmm(G.transpose(1, 2), U, out=self.dV[:M * K1].view(M, K1, d))
        else:
            # cbow_mean=1 as in gensim: every context word receives the whole gradient of h.
            dU = torch.bmm(G, V).expand(M, C, d) * valid[:, :, None]
            dV = torch.bmm(G.transpose(1, 2), h, out=self.dV[:M * K1].view(M, K1, d))
        self.scatter_inputs(ctx, dU.reshape(M * C, d))
        self.W_out.index_add_(0, out.view(-1), dV.view(M * K1, d))
        return loss, n_pairs


def _chunks(offsets: np.ndarray, chunk_tokens: int) -> list[tuple[int, int]]:
    """Token ranges ``(start, end)`` of about ``chunk_tokens``, cut at sentence ends."""
    total, cuts = int(offsets[-1]), [0]
    while cuts[-1] < total:
        s = int(np.searchsorted(offsets, cuts[-1] + chunk_tokens, side="left"))
        cuts.append(int(offsets[s]) if s < len(offsets) else total)
    return list(zip(cuts[:-1], cuts[1:]))


def _prepare(raw, sentence, rng, keep_prob, noise, window: int, K: int, pad: int):
    """Training examples of one stretch of text, vectorised in numpy.

    Returns a list of ``(ctx, out, out_weight)`` blocks, one per window reach ``r``:
    ``ctx: (m, 2r)`` context ids (``pad`` outside the sentence), ``out: (m, 1 + K)`` the
    centre and its noise words, ``out_weight: (m, 1 + K)`` 0 where a noise word equals
    the centre (gensim skips those), else 1.
    """
    # 1. Subsample frequent words, then form windows over what is left (as word2vec.c).
    kept = rng.random(len(raw)) < keep_prob[raw]
    ids, sentence = raw[kept].astype(np.int64), sentence[kept]
    # 2. Dynamic window: each centre's reach is uniform in 1..window. Centres with the
    #    same reach go into one block, so a block is a dense (m, 2r) matrix.
    reach = rng.integers(1, window + 1, size=len(ids))
    blocks = []
    for r in range(1, window + 1):
        at = np.flatnonzero(reach == r)
        ctx = context_windows(ids, sentence, at, r, pad)
        has = (ctx != pad).any(axis=1)          # a one-word sentence has no context
        centres, ctx = ids[at[has]], ctx[has]
        # 3. K noise words per centre from the unigram^0.75 table.
        noise_ids = noise[rng.integers(0, len(noise), size=(len(centres), K))].astype(np.int64)
        out = np.concatenate([centres[:, None], noise_ids], axis=1)
        out_weight = np.ones(out.shape, dtype=np.float32)
        out_weight[:, 1:] = noise_ids != centres[:, None]
        blocks.append((ctx, out, out_weight))
    return blocks


def _safe_batch_size(requested: int, vocab: Vocabulary, keep_prob, noise, window: int,
                     K: int, alpha: float) -> int:
    """Largest batch (<= requested) in which no word expects more than ~1/alpha updates.

    A batch applies the *sum* of its updates to a row at once, from values read before
    the batch. For a row hit ``m`` times that is like one step of size ``m * alpha``
    instead of ``m`` small self-correcting ones, and with ``m * alpha`` beyond about 1
    training diverges (the loss explodes to NaN). The most exposed row is the most
    frequent word: as a context word (``window + 1`` slots per centre on average) or as a
    noise word (``K`` draws per centre). Tiny vocabularies are worse still (every row is
    hit and the rows are strongly correlated), so a batch never holds more centres than
    there are words. On the course corpus this allows ~440 centres, on a 16-word toy 16.
    """
    f = vocab.frequencies() * keep_prob
    p_context = f.max() / f.sum()
    p_noise = np.bincount(noise, minlength=len(vocab)).max() / len(noise)
    per_centre = max((window + 1) * p_context, K * p_noise)
    return int(max(1, min(requested, len(vocab), 1.0 / (alpha * per_centre))))


def _encode(sentences, min_count: int, sample: float):
    """Vocabulary, encoded corpus and the two sampling tables (shared with the subword model).

    Returns ``(vocab, ids, offsets, sentence_of, keep_prob, noise)``: see
    :meth:`Vocabulary.encode_sentences`, ``sentence_of: (n,)`` the sentence of each token,
    :meth:`Vocabulary.keep_probabilities` and :meth:`Vocabulary.noise_table`.
    """
    if not _is_corpus(sentences):
        _check_sentences(sentences)
        if iter(sentences) is sentences:
            sentences = list(sentences)  # a one-shot generator: we need two passes
    vocab = Vocabulary.from_sentences(sentences, min_count=min_count)
    ids, offsets = vocab.encode_sentences(sentences)
    lengths = np.diff(offsets)
    if not np.any(lengths >= 2):
        raise ValueError("sentences has no two in-vocabulary words in one sentence: "
                         "nothing to train on (more text, or a lower min_count?)")
    sentence_of = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
    keep_prob = vocab.keep_probabilities(sample)
    noise = vocab.noise_table(size=max(1_000_000, 20 * len(vocab)))
    return vocab, ids, offsets, sentence_of, keep_prob, noise


def _run_sgns(ids, offsets, sentence_of, keep_prob, noise, make_trainer, *, V: int,
              window: int, K: int, epochs: int, alpha: float, min_alpha: float,
              batch_size: int, workers: int, rng, device, progress: bool, desc: str) -> TrainingLog:
    """The training loop shared by word2vec and the subword model (:mod:`embedkit.text.subword`).

    Cuts the encoded corpus (``ids``, ``offsets``) into chunks, prepares each chunk's
    batches (:func:`_prepare`) and feeds them to ``make_trainer()`` (one trainer per
    worker thread), with the learning rate decaying linearly over all epochs. Returns the
    :class:`TrainingLog` (without ``seconds`` and ``words``, which the caller fills in).
    """
    import torch
    from tqdm.auto import tqdm

    total_words = len(ids) * epochs
    jobs = [(a, b) for _ in range(epochs) for a, b in _chunks(offsets, 100_000)]
    log = TrainingLog()
    state = {"next": 0, "done": 0, "batches": 0}
    lock = threading.Lock()

    bar = tqdm(total=total_words, unit="word", unit_scale=True, disable=not progress, desc=desc)

    def work(rng: np.random.Generator) -> None:
        trainer = make_trainer()
        while True:
            with lock:
                if state["next"] == len(jobs):
                    return
                a, b = jobs[state["next"]]
                state["next"] += 1
                start_words = state["done"]
            blocks = _prepare(ids[a:b], sentence_of[a:b], rng, keep_prob, noise, window, K, V)
            n_centres = sum(len(blk[0]) for blk in blocks)
            loss_sum, loss_pairs, pairs, seen = 0.0, 0, 0, 0
            lr = max(min_alpha, alpha - (alpha - min_alpha) * start_words / total_words)
            for block in blocks:
                t_ctx, t_out, t_w = (torch.from_numpy(x).to(device) for x in block)
                for s in range(0, len(t_ctx), batch_size):
                    # Linear decay over all words of all epochs, as word2vec.c and gensim.
                    frac = (start_words + (b - a) * (seen + s) / n_centres) / total_words
                    lr = max(min_alpha, alpha - (alpha - min_alpha) * frac)
                    with_loss = state["batches"] % 8 == 0   # the loss is for plotting: sample it
                    state["batches"] += 1
                    sl = slice(s, s + batch_size)
                    loss, n = trainer.step(t_ctx[sl], t_out[sl], t_w[sl], lr, with_loss)
                    pairs += n
                    if with_loss:
                        loss_sum, loss_pairs = loss_sum + loss, loss_pairs + n
                seen += len(t_ctx)
            with lock:
                state["done"] += b - a
                log.progress.append(state["done"] / total_words)
                log.loss.append(loss_sum / loss_pairs if loss_pairs else float("nan"))
                log.learning_rate.append(lr)
                log.pairs += pairs
                bar.update(b - a)
                bar.set_postfix(loss=f"{log.loss[-1]:.3f}", refresh=False)

    if workers == 1:
        work(rng)
    else:
        threads = [threading.Thread(target=work, args=(r,)) for r in rng.spawn(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    bar.close()
    return log


def train_word2vec(
    sentences,
    *,
    dim: int = 100,
    window: int = 5,
    min_count: int = 5,
    negative: int = 5,
    epochs: int = 5,
    sg: bool = True,
    seed=0,
    progress: bool = True,
    alpha: float = 0.025,
    min_alpha: float = 1e-4,
    sample: float = 1e-3,
    batch_size: int = 256,
    workers: int = 1,
    device=None,
) -> WordVectors:
    """Train word2vec with negative sampling (skip-gram if ``sg`` else CBOW).

    Args:
        sentences: an iterable of token lists (re-iterable, as for gensim), or an
            embedkit ``Corpus`` (fast path: no re-tokenising, no Python loop over tokens).
        dim: vector dimension ``d``.
        window: maximum distance between centre and context word (dynamic window: each
            centre draws its reach uniformly from ``1..window``).
        min_count: ignore words rarer than this.
        negative: noise words ``K`` per positive pair.
        epochs: passes over the corpus.
        sg: skip-gram (True) or CBOW (False).
        seed: int or ``numpy.random.Generator``: initialisation, subsampling, windows and
            noise words all come from it (same seed, same machine, ``workers=1``: same
            vectors).
        progress: show a tqdm progress bar.
        alpha, min_alpha: initial and final learning rate (linear decay, as gensim).
        sample: subsampling threshold ``t`` (0 disables it; see ``Vocabulary.keep_probabilities``).
        batch_size: centre words per update (see the module docstring); an upper bound:
            it is lowered where the most frequent word would get more than ~1/alpha
            summed updates in one batch, which makes training diverge.
        workers: threads training at once on different parts of the corpus, sharing the
            matrices without locks ("Hogwild", as word2vec.c and gensim do). Faster on
            several cores, but no longer bit-for-bit reproducible.
        device: torch device; default CUDA when available, else CPU.

    Returns:
        :class:`WordVectors` (words sorted by frequency, float32 input vectors), with
        ``.training_log`` (:class:`TrainingLog`: loss curve, time, words/s).
    """
    import torch

    dim = check_int(dim, "dim", minimum=1)
    window = check_int(window, "window", minimum=1)
    min_count = check_int(min_count, "min_count", minimum=1)
    negative = check_int(negative, "negative", minimum=1)
    epochs = check_int(epochs, "epochs", minimum=1)
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
    batch_size = _safe_batch_size(batch_size, vocab, keep_prob, noise, window, K, alpha)
    init = (rng.random((V, dim), dtype=np.float32) - 0.5) / dim
    W_in = torch.from_numpy(np.vstack([init, np.zeros((1, dim), np.float32)])).to(device)
    W_out = torch.zeros(V, dim, device=device)
    log = _run_sgns(ids, offsets, sentence_of, keep_prob, noise,
                    lambda: _Trainer(W_in, W_out, bool(sg), batch_size, 2 * window, 1 + K),
                    V=V, window=window, K=K, epochs=epochs, alpha=alpha, min_alpha=min_alpha,
                    batch_size=batch_size, workers=workers, rng=rng, device=device,
                    progress=progress, desc=f"word2vec {'skip-gram' if sg else 'CBOW'}")
    total_words = len(ids) * epochs
    log.words = total_words
    log.seconds = time.perf_counter() - start_time
    check_not_diverged(W_in[:V], what="the word vectors", lr_name="alpha", lr=alpha)
    wv = WordVectors(vocab.words, W_in[:V].cpu().numpy(), counts=vocab.counts)
    wv.training_log = log
    return wv
