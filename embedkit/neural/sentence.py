"""A small siamese sentence encoder: bag of word embeddings -> pooling -> linear -> unit vector.

``SentenceEncoder`` is the course's own sentence model (notebook 09, reused by the
semantic-search pipeline of notebook 20). It is deliberately simple, so that everything
interesting happens in the *training signal*:

    tokens --embedding (V+1, e)--> (n, L, e) --masked mean/max--> (n, e)
           --linear (e -> d)--> (n, d) --L2 normalise--> unit sentence vectors

The same encoder embeds both sides of a pair ("siamese"), and
:func:`train_sentence_encoder` trains it with InfoNCE (in-batch negatives, temperature)
or the triplet loss (margin) using :func:`embedkit.neural.training.fit`.

Id 0 is padding; words get ids ``1..V``; unknown words are dropped (an encoder built
with :meth:`SentenceEncoder.from_word_vectors` starts from pretrained vectors, e.g.
GloVe, and with an identity projection, so before training it *is* the mean of word
vectors).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from .._saved_files import SavedFileError, load_npz, save_npz
from .._validation import check_choice, check_int, check_number, check_words
from ..text.tokenizer import tokenize
from .losses import info_nce, triplet_loss
from .pooling import max_pool, mean_pool
from .training import TrainingHistory, fit, get_device, seeded

__all__ = ["SentenceEncoder", "train_sentence_encoder"]


def _check_texts(sentences, name: str = "sentences") -> list:
    if isinstance(sentences, str):
        raise TypeError(f"{name} must be a list of str; for one sentence pass [sentence]")
    return check_words(sentences, name, allow_empty=True)


class SentenceEncoder(nn.Module):
    """Bag-of-embeddings sentence encoder: ``encode(list[str]) -> (n, dim)`` float32 unit rows.

    Args:
        words: the vocabulary (unique str); word ``words[i]`` gets id ``i + 1``.
        dim: output dimension ``d``.
        embedding_dim: word-embedding width ``e`` (default ``dim``).
        pooling: ``"mean"`` or ``"max"`` (both masked).
        max_len: tokens kept per sentence (the rest is cut).
        seed: initialisation seed (torch's global RNG is left untouched).
    """

    def __init__(self, words: Sequence[str], dim: int = 64, *, embedding_dim: int | None = None,
                 pooling: str = "mean", max_len: int = 64, seed: int = 0):
        super().__init__()
        words = check_words(words, "words", allow_empty=True)
        if not words:
            raise ValueError("words must not be empty")
        if len(set(words)) != len(words):
            raise ValueError("words must be unique")
        self.dim = check_int(dim, "dim", minimum=1)
        self.embedding_dim = check_int(embedding_dim if embedding_dim is not None else dim,
                                       "embedding_dim", minimum=1)
        self.pooling = check_choice(pooling, "pooling", ("mean", "max"))
        self.max_len = check_int(max_len, "max_len", minimum=1)
        self.words = words
        self.index = {w: i + 1 for i, w in enumerate(words)}
        with seeded(seed):
            self.embedding = nn.Embedding(len(words) + 1, self.embedding_dim, padding_idx=0)
            self.proj = nn.Linear(self.embedding_dim, self.dim)

    @classmethod
    def from_word_vectors(cls, wv, dim: int | None = None, *, words: Sequence[str] | None = None,
                          **kwargs) -> "SentenceEncoder":
        """Start from pretrained word vectors (``wv.index``, ``wv.vectors``), e.g. GloVe.

        ``words`` restricts the vocabulary (e.g. to the words of the training text,
        which keeps the model small); with ``dim`` equal to the vectors' width (the
        default), the projection starts as the identity.
        """
        width = int(np.asarray(wv.vectors).shape[1])
        dim = width if dim is None else dim
        words = [w for w in (wv.words if words is None else words) if w in wv.index]
        enc = cls(words, dim, embedding_dim=width, **kwargs)
        with torch.no_grad():
            rows = np.asarray(wv.vectors, dtype=np.float32)[[wv.index[w] for w in words]]
            enc.embedding.weight[1:] = torch.from_numpy(rows)
            if dim == width:
                enc.proj.weight.copy_(torch.eye(width))
                enc.proj.bias.zero_()
        return enc

    # -- text -> ids ----------------------------------------------------------------------
    def tokenize_batch(self, sentences) -> tuple:
        """``list[str] -> (ids (n, L) int64, mask (n, L) bool)``, right-padded with id 0."""
        sentences = _check_texts(sentences)
        get = self.index.get
        rows = [[i for i in map(get, tokenize(s)) if i is not None][: self.max_len] for s in sentences]
        width = max([len(r) for r in rows] + [1])
        ids = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
        ids = torch.from_numpy(ids)
        return ids, ids != 0

    # -- model ----------------------------------------------------------------------------
    def forward(self, ids, mask):
        """``ids, mask: (n, L) -> (n, dim)`` unit vectors (a row without a known word: 0)."""
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.embedding.num_embeddings):
            raise ValueError(f"ids must be in [0, {self.embedding.num_embeddings}) (0 = padding), got "
                             f"values from {int(ids.min())} to {int(ids.max())}; use tokenize_batch")
        x = self.embedding(ids)
        pooled = mean_pool(x, mask) if self.pooling == "mean" else max_pool(x, mask)
        out = self.proj(pooled)
        out = torch.nn.functional.normalize(out, dim=-1)
        return out * mask.any(1, keepdim=True)

    @torch.no_grad()
    def encode(self, sentences, *, batch_size: int = 512, device=None) -> np.ndarray:
        """``list[str] -> (n, dim)`` float32, L2-normalised rows (numpy)."""
        sentences = _check_texts(sentences)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        device = get_device(device) if device is not None else next(self.parameters()).device
        self.to(device)
        was_training = self.training
        self.eval()
        out = np.zeros((len(sentences), self.dim), dtype=np.float32)
        for start in range(0, len(sentences), batch_size):
            ids, mask = self.tokenize_batch(sentences[start:start + batch_size])
            out[start:start + len(ids)] = self(ids.to(device), mask.to(device)).cpu().numpy()
        self.train(was_training)
        return out

    # -- persistence ----------------------------------------------------------------------
    def config(self) -> dict:
        return {"words": self.words, "dim": self.dim, "embedding_dim": self.embedding_dim,
                "pooling": self.pooling, "max_len": self.max_len}

    def save(self, path) -> None:
        """Write vocabulary, settings and weights to one file (exactly that name).

        The same self-checking ``.npz`` format as every embedkit file (numpy arrays and a
        checksummed JSON header, no pickle), written atomically: see
        :mod:`embedkit._saved_files`.
        """
        config = self.config()
        arrays = {f"state.{k}": v.detach().cpu().numpy() for k, v in self.state_dict().items()}
        arrays["words"] = np.array(config.pop("words"), dtype=str)
        save_npz(path, format="embedkit-sentence-encoder", cls=type(self).__name__, version=2,
                 params=config, arrays=arrays)

    @classmethod
    def load(cls, path, *, device=None) -> "SentenceEncoder":
        """Read an encoder written by :meth:`save` (onto ``device``, default CPU).

        ``SavedFileError`` (a ``ValueError``) naming the file if it is damaged, edited
        inconsistently (weights whose shapes do not fit the settings) or not an encoder file.
        """
        if device is not None:
            device = get_device(device)
        header, arrays = load_npz(path, format="embedkit-sentence-encoder",
                                  what="embedkit sentence-encoder", saved_by="SentenceEncoder.save")
        shown = repr(str(path))
        if header.get("version") != 2:
            raise SavedFileError(f"{shown} was written with sentence-encoder format version "
                                 f"{header.get('version')}, this embedkit reads version 2")
        try:
            words = arrays.pop("words")
            if words.dtype.kind != "U" or words.ndim != 1:
                raise ValueError(f"words must be a 1-D array of str, got dtype {words.dtype}")
            enc = cls(words.tolist(), **header["params"])
            state = {k[len("state."):]: torch.from_numpy(v) for k, v in arrays.items()
                     if k.startswith("state.")}
            if len(state) != len(arrays):
                raise ValueError(f"unexpected arrays {sorted(set(arrays) - {'state.' + k for k in state})}")
            for name, tensor in state.items():
                if tensor.is_floating_point() and not torch.isfinite(tensor).all():
                    raise ValueError(f"weights {name!r} contain NaN or infinity")
            enc.load_state_dict(state)       # strict: every weight present, shapes that fit
        except (KeyError, TypeError, ValueError, RuntimeError) as err:
            raise SavedFileError(f"{shown} holds an inconsistent SentenceEncoder ({err}); "
                                 "save the encoder again") from None
        enc.eval()
        return enc.to(device if device is not None else "cpu")

    def __repr__(self) -> str:
        return (f"SentenceEncoder(vocab={len(self.words)}, embedding_dim={self.embedding_dim}, "
                f"dim={self.dim}, pooling={self.pooling!r})")


def train_sentence_encoder(encoder: SentenceEncoder, queries, documents, *, loss: str = "info_nce",
                           temperature: float = 0.05, margin: float = 0.5,
                           distance: str = "euclidean", batch_size: int = 128, steps: int = 200,
                           lr: float = 3e-3, weight_decay: float = 0.0,
                           freeze_embeddings: bool = False, seed=0, device=None,
                           progress: bool = True) -> TrainingHistory:
    """Train a siamese ``encoder`` on positive pairs ``(queries[i], documents[i])``.

    * ``loss="info_nce"``: :func:`~embedkit.neural.losses.info_nce` with the other documents of
      the batch as negatives (``batch_size - 1`` negatives per query, at no extra cost);
    * ``loss="triplet"``: :func:`~embedkit.neural.losses.triplet_loss` with, for each query, the
      document of a random other pair of the batch as the negative.

    ``freeze_embeddings=True`` trains only the projection (fast: a ``(e, d)`` matrix
    instead of ``V x e`` word vectors; the word vectors stay as they are).

    Pairs are tokenised once; each epoch is a fresh shuffle (from ``seed``). Returns the
    :class:`~embedkit.neural.training.TrainingHistory` of :func:`~embedkit.neural.training.fit`.
    """
    if not isinstance(encoder, SentenceEncoder):
        raise TypeError(f"encoder must be a SentenceEncoder, got {type(encoder).__name__}")
    queries, documents = _check_texts(queries, "queries"), _check_texts(documents, "documents")
    if len(queries) != len(documents):
        raise ValueError(f"queries and documents must be aligned pairs, got {len(queries)} "
                         f"queries and {len(documents)} documents")
    check_choice(loss, "loss", ("info_nce", "triplet"))
    batch_size = check_int(batch_size, "batch_size", minimum=2)
    if len(queries) < batch_size:
        raise ValueError(f"need at least batch_size={batch_size} pairs, got {len(queries)}")
    temperature = check_number(temperature, "temperature", minimum=0.0, strict_minimum=True)
    margin = check_number(margin, "margin", minimum=0.0)
    encoder.embedding.weight.requires_grad_(not freeze_embeddings)
    q_ids, q_mask = encoder.tokenize_batch(queries)
    d_ids, d_mask = encoder.tokenize_batch(documents)
    n = len(queries)

    def batches(rng):
        order = torch.from_numpy(rng.permutation(n))
        for start in range(0, n - batch_size + 1, batch_size):   # full batches only
            b = order[start:start + batch_size]
            yield q_ids[b], q_mask[b], d_ids[b], d_mask[b]

    def loss_fn(model, batch):
        qi, qm, di, dm = batch
        q, d = model(qi, qm), model(di, dm)
        if loss == "info_nce":
            return info_nce(q, d, temperature)
        # the next pair's document: a random other pair, since batches are shuffled
        return triplet_loss(q, d, d.roll(1, dims=0), margin=margin, distance=distance)

    return fit(encoder, loss_fn, batches, steps=steps, lr=lr, weight_decay=weight_decay,
               seed=seed, device=device, progress=progress, desc=f"siamese {loss}")
