"""A tiny BERT-like transformer encoder, trained by masked-language modelling (MLM).

The recipe of BERT (Devlin et al., 2019) at laptop scale:

* :class:`MLMVocab` adds the special tokens ``[PAD]`` (0), ``[UNK]`` (1) and ``[MASK]`` (2)
  in front of an :class:`embedkit.Vocabulary` (word ``i`` gets id ``i + 3``); the
  Vocabulary itself is untouched;
* :func:`mask_tokens` picks ~15% of the tokens as prediction targets and, of those,
  replaces 80% by ``[MASK]``, 10% by a random word and leaves 10% unchanged (so the model
  cannot learn that only ``[MASK]`` positions matter);
* :class:`TransformerEncoder` is token + position embeddings followed by pre-LN blocks
  (``x + attention(LN(x))``, ``x + MLP(LN(x))``); the MLM head reuses the token embedding
  matrix (tied weights);
* :func:`train_mlm` trains it with :func:`embedkit.neural.training.fit`; :func:`evaluate_mlm`
  measures top-k accuracy on masked tokens against the unigram baseline;
* :func:`contextual_vectors` returns one vector per token of each sentence: the
  contextual embeddings.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .._validation import as_generator, check_choice, check_int, check_number
from ..text.tokenizer import tokenize
from ..text.vocab import Vocabulary
from .attention import MultiHeadSelfAttention, sinusoidal_positions
from .training import TrainingHistory, fit, seeded

__all__ = ["MLMVocab", "mask_tokens", "TransformerEncoder", "train_mlm", "evaluate_mlm",
           "contextual_vectors", "IGNORE_INDEX"]

IGNORE_INDEX = -100  # label of positions that are not predicted (torch's cross_entropy default)


class MLMVocab:
    """An :class:`~embedkit.Vocabulary` with ``[PAD]``, ``[UNK]``, ``[MASK]`` in front.

    Ids: ``0 = [PAD]``, ``1 = [UNK]``, ``2 = [MASK]``, then word ``w`` has id
    ``vocab[w] + 3``. Unknown words map to ``[UNK]`` instead of being dropped: a sentence
    must keep its length and order for a transformer.
    """

    PAD, UNK, MASK = "[PAD]", "[UNK]", "[MASK]"
    specials = (PAD, UNK, MASK)
    pad_id, unk_id, mask_id = 0, 1, 2
    n_special = 3

    def __init__(self, vocab: Vocabulary):
        if not isinstance(vocab, Vocabulary):
            raise TypeError(f"vocab must be an embedkit.Vocabulary, got {type(vocab).__name__}")
        self.vocab = vocab
        self.words = list(self.specials) + vocab.words

    @classmethod
    def from_sentences(cls, sentences, *, min_count: int = 1, max_size: int | None = None) -> "MLMVocab":
        """Build from a Corpus or token lists; ``max_size`` counts words, not specials."""
        return cls(Vocabulary.from_sentences(sentences, min_count=min_count, max_size=max_size))

    def __len__(self) -> int:
        return len(self.vocab) + self.n_special

    def __repr__(self) -> str:
        return f"MLMVocab({len(self.vocab):,} words + {self.n_special} special tokens)"

    def __getitem__(self, word: str) -> int:
        if word in self.specials:
            return self.specials.index(word)
        return self.vocab[word] + self.n_special

    def __contains__(self, word) -> bool:
        return word in self.specials or word in self.vocab

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        """Token list (or a str, tokenised with :func:`embedkit.tokenize`) -> ``(n,)`` int64."""
        if isinstance(tokens, str):
            tokens = tokenize(tokens)
        get = self.vocab.index.get
        return np.array([self.unk_id if (i := get(t)) is None else i + self.n_special for t in tokens],
                        dtype=np.int64)

    def decode(self, ids) -> list[str]:
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
            raise ValueError(f"ids must be a 1-D integer array, got shape {ids.shape} dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"ids must lie in [0, {len(self) - 1}], got values in [{ids.min()}, {ids.max()}]")
        return [self.words[i] for i in ids.tolist()]

    def encode_stream(self, sentences) -> np.ndarray:
        """All sentences (a Corpus or token lists) as one ``(n_tokens,)`` int64 stream."""
        if all(hasattr(sentences, a) for a in ("ids", "offsets", "words")):   # a Corpus
            lut = np.array([self.unk_id if (i := self.vocab.index.get(w)) is None else i + self.n_special
                            for w in sentences.words], dtype=np.int64)
            return lut[sentences.ids]
        if isinstance(sentences, str):
            raise TypeError("sentences must be a Corpus or a list of token lists, got a str")
        parts = [self.encode(s) for s in sentences]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def mask_tokens(ids, vocab: MLMVocab, rate: float = 0.15, seed=0, *, p_mask: float = 0.8,
                p_random: float = 0.1):
    """BERT's corruption rule: returns ``(inputs, labels)``, both int64 of ``ids``' shape.

    Each word token (never ``[PAD]``/``[UNK]``/``[MASK]``) becomes a target with probability
    ``rate``; a target is replaced by ``[MASK]`` with probability ``p_mask``, by a random
    word with probability ``p_random``, and kept otherwise. ``labels`` holds the original
    id at targets and :data:`IGNORE_INDEX` (-100) elsewhere.
    """
    if not isinstance(vocab, MLMVocab):
        raise TypeError(f"vocab must be an MLMVocab, got {type(vocab).__name__}")
    arr = np.asarray(ids)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"ids must be an integer array, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= len(vocab)):
        raise ValueError(f"ids must lie in [0, {len(vocab) - 1}], got values in [{arr.min()}, {arr.max()}]")
    rate = check_number(rate, "rate", minimum=0.0, maximum=1.0)
    p_mask = check_number(p_mask, "p_mask", minimum=0.0, maximum=1.0)
    p_random = check_number(p_random, "p_random", minimum=0.0, maximum=1.0)
    if p_mask + p_random > 1.0 + 1e-12:
        raise ValueError(f"p_mask + p_random must be <= 1, got {p_mask} + {p_random}")
    rng = as_generator(seed)
    target = (arr >= vocab.n_special) & (rng.random(arr.shape) < rate)
    u = rng.random(arr.shape)
    inputs = arr.copy()
    inputs[target & (u < p_mask)] = vocab.mask_id
    swap = target & (u >= p_mask) & (u < p_mask + p_random)
    inputs[swap] = rng.integers(vocab.n_special, len(vocab), size=int(swap.sum()))
    labels = np.where(target, arr, IGNORE_INDEX)
    return inputs, labels


def _module_base():
    import torch

    return torch.nn.Module


class _Block(_module_base()):
    """Pre-LN transformer block: normalising *before* each sub-layer keeps the residual
    stream an identity path, which trains stably without learning-rate warm-up."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float):
        import torch.nn as nn

        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = MultiHeadSelfAttention(d_model, n_heads)
        self.mlp = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, padding_mask=None):
        a, w = self.attn(self.norm1(x), padding_mask)
        x = x + self.drop(a)
        return x + self.drop(self.mlp(self.norm2(x))), w


class TransformerEncoder(_module_base()):
    """Token + position embeddings, ``n_layers`` pre-LN blocks, a final LayerNorm.

    Args:
        vocab_size: number of ids (``len(mlm_vocab)``).
        d_model: width of every token vector; n_heads: attention heads (divides d_model).
        n_layers: number of blocks; d_ff: hidden width of the MLP (default ``4 d_model``).
        max_len: longest sequence accepted.
        positions: ``"learned"`` (a trained ``(max_len, d)`` table, as BERT) or
            ``"sinusoidal"`` (fixed, :func:`sinusoidal_positions`).
        dropout: dropout on the sub-layer outputs (0 for short training runs).
        seed: initialisation seed (torch's global RNG is left untouched).

    ``forward(ids (b, L) int64, padding_mask (b, L) bool or None) -> (b, L, d_model)``.
    """

    def __init__(self, vocab_size: int, *, d_model: int = 64, n_heads: int = 4, n_layers: int = 2,
                 d_ff: int | None = None, max_len: int = 128, positions: str = "learned",
                 dropout: float = 0.0, seed: int = 0):
        import torch
        import torch.nn as nn

        super().__init__()
        vocab_size = check_int(vocab_size, "vocab_size", minimum=4)
        d_model = check_int(d_model, "d_model", minimum=1)
        n_layers = check_int(n_layers, "n_layers", minimum=1)
        d_ff = 4 * d_model if d_ff is None else check_int(d_ff, "d_ff", minimum=1)
        self.max_len = check_int(max_len, "max_len", minimum=1)
        self.positions = check_choice(positions, "positions", ("learned", "sinusoidal"))
        dropout = check_number(dropout, "dropout", minimum=0.0, maximum=1.0)
        self.vocab_size, self.d_model = vocab_size, d_model
        with seeded(seed):
            self.tok = nn.Embedding(vocab_size, d_model)
            # Unit-norm rows on average; forward scales by sqrt(d) (Vaswani et al.) so tokens
            # and sinusoidal positions have comparable size, and the tied output layer
            # starts with logits of order 1.
            nn.init.normal_(self.tok.weight, std=d_model ** -0.5)
            if self.positions == "learned":
                # Same scale as the scaled token vectors: a position table 10x smaller is
                # nearly invisible to attention and the model is slow to learn word order.
                self.pos = nn.Parameter(torch.randn(self.max_len, d_model) * 0.7)
            else:
                self.register_buffer("pos", torch.from_numpy(sinusoidal_positions(self.max_len, d_model)))
            self.blocks = nn.ModuleList(_Block(d_model, n_heads, d_ff, dropout) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.mlm_bias = nn.Parameter(torch.zeros(vocab_size))

    def load_word_vectors(self, vectors, *, first_id: int = 3):
        """Warm-start the token table from static word vectors (e.g. PPMI-SVD, word2vec).

        ``vectors: (vocab_size - first_id, d_model)``, row ``i`` for id ``first_id + i``
        (the words of an :class:`MLMVocab`). Rows are scaled to unit norm, the scale of the
        random initialisation. A warm start skips the slow first phase of masked-LM
        training in which the model only predicts word frequencies. Returns ``self``.
        """
        import torch

        from .._validation import as_matrix

        first_id = check_int(first_id, "first_id", minimum=0, maximum=self.vocab_size - 1)
        W = as_matrix(vectors, "vectors", d=self.d_model)
        if len(W) != self.vocab_size - first_id:
            raise ValueError(f"vectors must have vocab_size - first_id = {self.vocab_size - first_id} "
                             f"rows, got {len(W)}")
        W = W / np.maximum(np.linalg.norm(W, axis=1, keepdims=True), 1e-12)
        with torch.no_grad():
            self.tok.weight[first_id:] = torch.from_numpy(W).to(self.tok.weight.device)
        return self

    def embed(self, ids):
        """Layer 0: ``sqrt(d) * token embedding + position code``, ``(b, L, d)``."""
        return self.tok(ids) * math.sqrt(self.d_model) + self.pos[: ids.shape[1]]

    def forward(self, ids, padding_mask=None, *, return_all: bool = False):
        """``(b, L, d)`` final hidden states, or with ``return_all`` the list of all
        ``n_layers + 1`` states (embeddings first), plus the attention weights per block."""
        import torch

        if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.dtype != torch.int64:
            raise ValueError(f"ids must be a (batch, length) int64 tensor, got "
                             f"{getattr(ids, 'shape', type(ids).__name__)} {getattr(ids, 'dtype', '')}")
        if ids.shape[1] > self.max_len:
            raise ValueError(f"sequence length {ids.shape[1]} exceeds max_len={self.max_len}")
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.tok.num_embeddings):
            raise ValueError(f"ids must be token ids in [0, {self.tok.num_embeddings}), got values "
                             f"from {int(ids.min())} to {int(ids.max())}; encode text with this "
                             "model's vocabulary")
        x = self.embed(ids)
        states, weights = [x], []
        for block in self.blocks:
            x, w = block(x, padding_mask)
            states.append(x)
            weights.append(w)
        states[-1] = self.norm(x)
        return (states, weights) if return_all else states[-1]

    def mlm_logits(self, hidden):
        """``(..., d)`` hidden states -> ``(..., vocab_size)`` scores (tied embeddings)."""
        return hidden @ self.tok.weight.T + self.mlm_bias


def _as_stream(data, vocab: MLMVocab) -> np.ndarray:
    if isinstance(data, np.ndarray):
        if data.ndim != 1 or not np.issubdtype(data.dtype, np.integer):
            raise ValueError(f"an id stream must be a 1-D integer array, got shape {data.shape} dtype {data.dtype}")
        if data.size and (data.min() < 0 or data.max() >= len(vocab)):
            raise ValueError(f"ids must lie in [0, {len(vocab) - 1}]")
        return data.astype(np.int64)
    return vocab.encode_stream(data)


def _windows(stream: np.ndarray, starts: np.ndarray, seq_len: int) -> np.ndarray:
    return stream[starts[:, None] + np.arange(seq_len)[None, :]]


def _mlm_loss(model, batch):
    import torch.nn.functional as F

    inputs, labels = batch
    hidden = model(inputs)
    chosen = labels != IGNORE_INDEX
    if not chosen.any():                       # no target drawn: nothing to learn here
        return hidden.sum() * 0.0
    # Only the ~15% target positions go through the (b*L, V) output layer.
    return F.cross_entropy(model.mlm_logits(hidden[chosen]), labels[chosen])


def train_mlm(encoder: TransformerEncoder, corpus_or_ids, *, vocab: MLMVocab, steps: int = 300,
              batch_size: int = 32, seq_len: int = 32, rate: float = 0.15, lr: float = 1e-3,
              weight_decay: float = 0.01, seed=0, device=None, progress: bool = True) -> TrainingHistory:
    """Masked-language-model training on random ``seq_len`` windows of the text.

    Args:
        encoder: a :class:`TransformerEncoder` with ``vocab_size == len(vocab)``.
        corpus_or_ids: a Corpus, a list of token lists, or a 1-D id stream
            (``vocab.encode_stream``). Windows cross sentence boundaries, as in BERT.
        vocab: the :class:`MLMVocab` defining the ids.
        steps, batch_size, seq_len: training length and batch shape.
        rate: share of tokens that are prediction targets (80/10/10 rule).
        lr, weight_decay: AdamW settings. seed: window and mask sampling.
    """
    import torch

    if not isinstance(encoder, TransformerEncoder):
        raise TypeError(f"encoder must be a TransformerEncoder, got {type(encoder).__name__}")
    if not isinstance(vocab, MLMVocab):
        raise TypeError(f"vocab must be an MLMVocab, got {type(vocab).__name__}")
    if encoder.vocab_size != len(vocab):
        raise ValueError(f"encoder.vocab_size={encoder.vocab_size} but len(vocab)={len(vocab)}; "
                         "build the encoder with TransformerEncoder(len(vocab), ...)")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    seq_len = check_int(seq_len, "seq_len", minimum=2, maximum=encoder.max_len)
    rate = check_number(rate, "rate", minimum=0.0, maximum=1.0, strict_minimum=True)
    stream = _as_stream(corpus_or_ids, vocab)
    if len(stream) <= seq_len:
        raise ValueError(f"the text has {len(stream)} tokens, fewer than seq_len + 1 = {seq_len + 1}")
    per_epoch = max(1, (len(stream) // seq_len) // batch_size)

    def batches(rng):
        for _ in range(per_epoch):
            ids = _windows(stream, rng.integers(0, len(stream) - seq_len, size=batch_size), seq_len)
            inputs, labels = mask_tokens(ids, vocab, rate, rng)
            yield torch.from_numpy(inputs), torch.from_numpy(labels)

    history = fit(encoder, _mlm_loss, batches, steps=steps, lr=lr, weight_decay=weight_decay,
                  optimizer="adamw", seed=seed, device=device, progress=progress, desc="masked LM")
    encoder.cpu()          # contextual_vectors / evaluation expect a CPU model back
    return history


def evaluate_mlm(encoder: TransformerEncoder, corpus_or_ids, *, vocab: MLMVocab, n_windows: int = 200,
                 seq_len: int = 32, rate: float = 0.15, topk: tuple = (1, 5), seed=0) -> dict:
    """Top-k accuracy of predicting masked tokens, and the unigram baseline.

    Targets are chosen as in training but always replaced by ``[MASK]``. The baseline
    always guesses the k most frequent words of ``vocab`` (ids 3, 4, ...).

    Returns ``{"loss", "unigram_loss", "top1", "unigram_top1", "top5", "unigram_top5",
    "n_targets"}``: the mean cross-entropy (nats) of the model and of the unigram
    distribution on the same targets, and the top-k accuracies.
    """
    import torch

    n_windows = check_int(n_windows, "n_windows", minimum=1)
    seq_len = check_int(seq_len, "seq_len", minimum=2, maximum=encoder.max_len)
    topk = tuple(check_int(k, "topk", minimum=1, maximum=len(vocab.vocab)) for k in topk)
    stream = _as_stream(corpus_or_ids, vocab)
    if len(stream) <= seq_len:
        raise ValueError(f"the text has {len(stream)} tokens, fewer than seq_len + 1 = {seq_len + 1}")
    rng = as_generator(seed)
    ids = _windows(stream, rng.integers(0, len(stream) - seq_len, size=n_windows), seq_len)
    inputs, labels = mask_tokens(ids, vocab, rate, rng, p_mask=1.0, p_random=0.0)
    chosen = labels != IGNORE_INDEX
    target = labels[chosen]
    encoder.eval()
    device = next(encoder.parameters()).device
    with torch.no_grad():
        hidden = encoder(torch.from_numpy(inputs).to(device))[torch.from_numpy(chosen).to(device)]
        logits = encoder.mlm_logits(hidden)
        logits[:, : vocab.n_special] = -float("inf")          # never predict a special token
        ranked = logits.topk(max(topk), dim=-1).indices.cpu().numpy()
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(target).to(device))
    # The unigram model's cross-entropy: -log of each target's corpus frequency.
    p_word = vocab.vocab.counts / vocab.vocab.counts.sum()
    out = {"loss": float(loss), "unigram_loss": float(-np.mean(np.log(p_word[target - vocab.n_special])))}
    for k in topk:
        out[f"top{k}"] = float(np.mean((ranked[:, :k] == target[:, None]).any(axis=1)))
        out[f"unigram_top{k}"] = float(np.mean(target < vocab.n_special + k))
    out["n_targets"] = int(chosen.sum())
    return out


def contextual_vectors(encoder: TransformerEncoder, sentences, vocab: MLMVocab, *, layer: int = -1) -> list:
    """One vector per token: a list with a ``(len_i, d_model)`` float32 array per sentence.

    Args:
        sentences: list of token lists (or of str, tokenised with :func:`embedkit.tokenize`).
        layer: which hidden state: ``0`` = embeddings (token + position, no context yet),
            ``i`` = after block ``i``, ``-1`` = the final output (after the last LayerNorm).
    """
    import torch

    if isinstance(sentences, str):
        raise TypeError("sentences must be a list of sentences; for one sentence pass [sentence]")
    if not isinstance(encoder, TransformerEncoder):
        raise TypeError(f"encoder must be a TransformerEncoder, got {type(encoder).__name__}")
    if not isinstance(vocab, MLMVocab):
        raise TypeError(f"vocab must be an MLMVocab, got {type(vocab).__name__}")
    if not hasattr(sentences, "__iter__"):
        raise TypeError(f"sentences must be a list of sentences, got {type(sentences).__name__}")
    encoded = [vocab.encode(s) for s in sentences]
    if not encoded:
        return []
    layer = check_int(layer, "layer", minimum=-len(encoder.blocks) - 1, maximum=len(encoder.blocks))
    lengths = [len(e) for e in encoded]
    if min(lengths) == 0:
        raise ValueError(f"sentence {lengths.index(0)} has no tokens")
    if max(lengths) > encoder.max_len:
        raise ValueError(f"a sentence has {max(lengths)} tokens, more than max_len={encoder.max_len}")
    L = max(lengths)
    ids = np.full((len(encoded), L), vocab.pad_id, dtype=np.int64)
    for i, e in enumerate(encoded):
        ids[i, : len(e)] = e
    ids_t = torch.from_numpy(ids)
    pad = ids_t == vocab.pad_id
    encoder.eval()
    device = next(encoder.parameters()).device
    with torch.no_grad():
        states, _ = encoder(ids_t.to(device), pad.to(device), return_all=True)
    h = states[layer].float().cpu().numpy()
    return [np.ascontiguousarray(h[i, :n]) for i, n in enumerate(lengths)]
