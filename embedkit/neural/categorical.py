"""Embeddings for categorical (tabular) features: entity embeddings, sizing, hashing.

A categorical column with ``n`` values ("store id", "product", "zip code") is one-hot
encoded into ``n`` columns; a linear layer on a one-hot vector *is* a row lookup, so an
``nn.Embedding(n, d)`` is the same layer with ``d`` chosen small (Guo and Berkhahn 2016,
"Entity embeddings of categorical variables"). With ``d`` much smaller than ``n`` the
model must place categories with similar effects close together, which is what lets it
generalise to rare categories.

* :class:`EntityEmbeddingModel`: embeddings per categorical column, concatenated with
  numeric features, then an MLP; embedding dropout (whole vectors) as a regulariser.
* :func:`embedding_size_rules`: the usual rules of thumb for ``d`` given ``n``.
* :func:`hash_bucket`: the hashing trick (no vocabulary: ``id = hash(value) mod m``),
  with :func:`collision_rate` (measured) and :func:`expected_collision_rate` (formula).
* :func:`make_categorical_data`: a generated regression set whose categories have a
  known low-dimensional latent effect, so the sizing rules can be checked against truth.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import nn

from .._validation import as_generator, as_matrix, check_choice, check_int, check_number
from .training import TrainingHistory, fit, seeded

__all__ = ["EntityEmbeddingModel", "train_entity_model", "predict", "embedding_size_rules", "hash_bucket", "collision_rate",
           "expected_collision_rate", "CategoricalData", "make_categorical_data"]


# -- sizing --------------------------------------------------------------------------------
def embedding_size_rules(cardinality: int) -> dict:
    """Rules of thumb for the embedding width of a column with ``cardinality`` values.

    * ``"fourth_root"``: ``ceil(n ** 0.25)`` (TensorFlow's feature-column guide);
    * ``"fastai_v1"``: ``min(50, (n + 1) // 2)`` (fast.ai 2018);
    * ``"fastai"``: ``min(600, round(1.6 * n ** 0.56))`` (fast.ai's current ``emb_sz_rule``);
    * ``"sqrt"``: ``ceil(sqrt(n))`` (often quoted, e.g. by the seed notes).

    They disagree by an order of magnitude for large ``n`` (2,000 values: 7, 50, 113, 45):
    treat them as starting points for a sweep on held-out data, not as laws.
    """
    n = check_int(cardinality, "cardinality", minimum=1)
    return {
        "fourth_root": int(math.ceil(n ** 0.25)),
        "fastai_v1": int(min(50, (n + 1) // 2)),
        "fastai": int(min(600, round(1.6 * n ** 0.56))),
        "sqrt": int(math.ceil(math.sqrt(n))),
    }


# -- the hashing trick -----------------------------------------------------------------------
def hash_bucket(values, n_buckets: int, seed: int = 0) -> np.ndarray:
    """``(n,)`` int64 bucket ids in ``[0, n_buckets)``: ``blake2b(seed, str(value)) mod m``.

    A stable hash (unlike Python's ``hash``, which is salted per process for str), so
    the same value lands in the same bucket in training and serving. Different seeds
    give independent hash functions (for "multiple hashing").
    """
    n_buckets = check_int(n_buckets, "n_buckets", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    if isinstance(values, (str, bytes)):
        raise TypeError("values must be a sequence of values, got a single str; wrap it in a list")
    if not hasattr(values, "__iter__"):
        raise TypeError(f"values must be a sequence of values, got {type(values).__name__}; wrap it in a list")
    values = list(np.asarray(values).tolist()) if isinstance(values, np.ndarray) else list(values)
    key = seed.to_bytes(8, "little")
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        digest = hashlib.blake2b(str(v).encode("utf-8"), digest_size=8, key=key).digest()
        out[i] = int.from_bytes(digest, "little") % n_buckets
    return out


def collision_rate(buckets) -> float:
    """Fraction of (distinct) values whose bucket is shared with at least one other value."""
    buckets = np.asarray(buckets)
    if buckets.ndim != 1 or buckets.size == 0:
        raise ValueError(f"buckets must be a non-empty 1-D array, got shape {buckets.shape}")
    _, inverse, counts = np.unique(buckets, return_inverse=True, return_counts=True)
    return float((counts[inverse] > 1).mean())


def expected_collision_rate(n_values: int, n_buckets: int) -> float:
    """``1 - (1 - 1/m) ** (n - 1)``: the chance that a given value shares its bucket with
    at least one of the ``n - 1`` others, under uniform hashing into ``m`` buckets.

    About ``1 - exp(-n/m)``: at ``m = n`` (as many buckets as values) 63% of values collide.
    """
    n = check_int(n_values, "n_values", minimum=1)
    m = check_int(n_buckets, "n_buckets", minimum=1)
    return 1.0 - (1.0 - 1.0 / m) ** (n - 1)


# -- data ------------------------------------------------------------------------------------
@dataclass
class CategoricalData:
    """A generated regression set: ``y = latent[cat] . (A x + b) + noise``.

    Attributes:
        cat: ``(n,)`` int64 category ids; ``x``: ``(n, n_numeric)`` float32; ``y``: ``(n,)``.
        latent: ``(n_categories, latent_dim)`` the true category vectors.
        noise: the noise standard deviation (the best reachable RMSE).
    """

    cat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    latent: np.ndarray
    noise: float

    def split(self, n_train: int):
        """``(train, test)``: the first ``n_train`` rows and the rest."""
        def part(s):
            return CategoricalData(self.cat[s], self.x[s], self.y[s], self.latent, self.noise)
        return part(slice(0, n_train)), part(slice(n_train, None))


def make_categorical_data(n_samples: int = 20_000, n_categories: int = 2_000, *,
                          latent_dim: int = 3, n_numeric: int = 4, zipf: float = 1.0,
                          noise: float = 0.3, seed=0) -> CategoricalData:
    """Rows with one high-cardinality category and ``n_numeric`` numeric features.

    Each category ``c`` has a true latent vector ``z_c`` in ``R^latent_dim``; the target is
    ``y = z_c . (A x + b) + noise``: the category changes how the numeric features act
    (an interaction), through only ``latent_dim`` numbers. Category frequencies follow a
    Zipf law with exponent ``zipf`` (many rare categories, as in real id columns).
    """
    n = check_int(n_samples, "n_samples", minimum=1)
    k = check_int(n_categories, "n_categories", minimum=1)
    r = check_int(latent_dim, "latent_dim", minimum=1)
    p = check_int(n_numeric, "n_numeric", minimum=1)
    zipf = check_number(zipf, "zipf", minimum=0.0)
    noise = check_number(noise, "noise", minimum=0.0)
    rng = as_generator(seed)
    latent = rng.standard_normal((k, r))
    A = rng.standard_normal((r, p)) / np.sqrt(p)
    b = rng.standard_normal(r)
    freq = 1.0 / np.arange(1, k + 1) ** zipf
    cat = rng.choice(k, size=n, p=freq / freq.sum())
    x = rng.standard_normal((n, p))
    y = np.einsum("nr,nr->n", latent[cat], x @ A.T + b) + noise * rng.standard_normal(n)
    return CategoricalData(cat.astype(np.int64), x.astype(np.float32), y.astype(np.float32),
                           latent.astype(np.float32), noise)


# -- model -----------------------------------------------------------------------------------


class EntityEmbeddingModel(nn.Module):
    """Embeddings for categorical columns + numeric features -> MLP -> ``n_outputs``.

    Args:
        cardinalities: number of values of each categorical column (ids ``0..n-1``).
        dims: embedding width per column (an int for all, or a list); ``"one_hot"`` feeds
            the raw one-hot vectors instead (the baseline: as many first-layer weights per
            category as hidden units).
        n_numeric: number of numeric features, concatenated after the embeddings.
        hidden: width of the hidden layers (a tuple for several).
        embedding_dropout: probability of zeroing a **whole** embedding vector of a row
            during training (the rest rescaled by ``1/(1-p)``), so the MLP cannot rely on
            any one category's vector being present.
        seed: initialisation seed.

    ``forward(cat (n, n_columns) int64, x (n, n_numeric) float32) -> (n, n_outputs)``.
    """

    def __init__(self, cardinalities: Sequence[int], dims=8, *, n_numeric: int = 0,
                 hidden=(64,), n_outputs: int = 1, embedding_dropout: float = 0.0, seed: int = 0):
        super().__init__()
        if isinstance(cardinalities, (int, np.integer)):
            cardinalities = [int(cardinalities)]
        self.cardinalities = [check_int(c, "cardinalities[i]", minimum=1) for c in cardinalities]
        if not self.cardinalities:
            raise ValueError("cardinalities must name at least one categorical column")
        self.one_hot = isinstance(dims, str)
        if self.one_hot and dims != "one_hot":
            raise ValueError(f"dims must be an int, a list of ints or 'one_hot'; got {dims!r}")
        if self.one_hot:
            dims = list(self.cardinalities)
        elif isinstance(dims, (int, np.integer)):
            dims = [int(dims)] * len(self.cardinalities)
        dims = [check_int(d, "dims[i]", minimum=1) for d in dims]
        if len(dims) != len(self.cardinalities):
            raise ValueError(f"dims has {len(dims)} entries for {len(self.cardinalities)} columns")
        self.dims = dims
        self.n_numeric = check_int(n_numeric, "n_numeric", minimum=0)
        self.embedding_dropout = check_number(embedding_dropout, "embedding_dropout", minimum=0.0,
                                              maximum=0.99)
        hidden = (hidden,) if isinstance(hidden, (int, np.integer)) else tuple(hidden)
        with seeded(seed):
            self.embeddings = nn.ModuleList(
                [] if self.one_hot else [nn.Embedding(c, d) for c, d in zip(self.cardinalities, dims)])
            if not self.one_hot:
                for e in self.embeddings:            # N(0, 1) rows are too large for an MLP input
                    nn.init.normal_(e.weight, std=0.1)
            layers, width = [], sum(dims) + self.n_numeric
            for h in hidden:
                layers += [nn.Linear(width, int(h)), nn.ReLU()]
                width = int(h)
            layers.append(nn.Linear(width, check_int(n_outputs, "n_outputs", minimum=1)))
            self.mlp = nn.Sequential(*layers)

    def n_embedding_parameters(self) -> int:
        """Weights that belong to categories (embedding tables, or the one-hot first layer)."""
        if self.one_hot:        # the one-hot columns meet the first Linear layer's weights
            return sum(self.cardinalities) * self.mlp[0].out_features
        return sum(c * d for c, d in zip(self.cardinalities, self.dims))

    def _vectors(self, cat):
        if self.one_hot:
            return [nn.functional.one_hot(cat[:, j], c).float() for j, c in enumerate(self.cardinalities)]
        vecs = [emb(cat[:, j]) for j, emb in enumerate(self.embeddings)]
        p = self.embedding_dropout
        if self.training and p > 0:
            # one Bernoulli per (row, column): the whole vector is kept or dropped
            vecs = [v * (torch.rand(v.shape[0], 1, device=v.device) >= p).to(v.dtype) / (1 - p)
                    for v in vecs]
        return vecs

    def forward(self, cat, x=None):
        if cat.dim() == 1:
            cat = cat[:, None]
        if cat.dim() != 2 or cat.shape[1] != len(self.cardinalities):
            raise ValueError(f"cat must be (n, {len(self.cardinalities)}) category ids, got shape {tuple(cat.shape)}")
        parts = self._vectors(cat)
        if self.n_numeric:
            if x is None or x.shape != (cat.shape[0], self.n_numeric):
                raise ValueError(f"x must be (n, {self.n_numeric}) numeric features, got "
                                 f"{None if x is None else tuple(x.shape)}")
            parts.append(x)
        return self.mlp(torch.cat(parts, dim=1))

    def __repr__(self) -> str:
        kind = "one-hot" if self.one_hot else f"dims={self.dims}"
        return f"EntityEmbeddingModel(cardinalities={self.cardinalities}, {kind}, n_numeric={self.n_numeric})"


def _as_inputs(model, cat, x, y=None):
    cat = np.asarray(cat)
    if cat.ndim == 1:
        cat = cat[:, None]
    if cat.ndim != 2 or not np.issubdtype(cat.dtype, np.integer):
        raise ValueError(f"cat must be (n, n_columns) integer ids, got shape {cat.shape} dtype {cat.dtype}")
    for j, c in enumerate(model.cardinalities):
        if cat.shape[1] > j and (cat[:, j].min() < 0 or cat[:, j].max() >= c):
            raise ValueError(f"cat[:, {j}] must hold ids in [0, {c}), got values in "
                             f"[{cat[:, j].min()}, {cat[:, j].max()}]")
    cat = torch.from_numpy(cat.astype(np.int64))
    if model.n_numeric:
        x = torch.from_numpy(as_matrix(x, "x", d=model.n_numeric))
        if len(x) != len(cat):
            raise ValueError(f"x has {len(x)} rows but cat has {len(cat)}")
    else:
        x = torch.zeros(len(cat), 0)
    if y is None:
        return cat, x
    y = np.asarray(y, dtype=np.float32)
    if y.shape != (len(cat),):
        raise ValueError(f"y must be (n,) = ({len(cat)},), got shape {y.shape}")
    return cat, x, torch.from_numpy(y)


def train_entity_model(model: EntityEmbeddingModel, cat, x, y, *, steps: int = 500,
                       batch_size: int = 256, lr: float = 3e-3, weight_decay: float = 0.0,
                       optimizer: str = "adamw", seed: int = 0, device=None,
                       progress: bool = True) -> TrainingHistory:
    """Fit ``model`` to the regression target ``y`` (mean squared error) with minibatches.

    ``weight_decay`` is AdamW's decoupled decay by default (every weight shrinks toward 0
    at each step, embedding rows included). Dropout masks come from torch's generator
    under :func:`~embedkit.neural.training.seeded` ``(seed)``: reproducible, global state untouched.
    """
    cat, x, y = _as_inputs(model, cat, x, y)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_choice(optimizer, "optimizer", ("adam", "adamw", "sgd"))
    n = len(y)

    def batches(rng):
        order = torch.from_numpy(rng.permutation(n))
        for start in range(0, n, batch_size):
            b = order[start:start + batch_size]
            yield cat[b], x[b], y[b]

    def loss_fn(m, batch):
        c, xb, yb = batch
        return torch.nn.functional.mse_loss(m(c, xb)[:, 0], yb)

    with seeded(seed):
        return fit(model, loss_fn, batches, steps=steps, lr=lr, weight_decay=weight_decay,
                   optimizer=optimizer, seed=seed, device=device, progress=progress,
                   desc="entity embeddings")


@torch.no_grad()
def predict(model: EntityEmbeddingModel, cat, x=None, *, batch_size: int = 8192) -> np.ndarray:
    """``(n,)`` float32 predictions (first output) in eval mode (no dropout)."""
    cat, x = _as_inputs(model, cat, x)
    device = next(model.parameters()).device
    model.eval()
    out = [model(cat[s:s + batch_size].to(device), x[s:s + batch_size].to(device))[:, 0].cpu()
           for s in range(0, len(cat), batch_size)]
    return torch.cat(out).numpy().astype(np.float32)
