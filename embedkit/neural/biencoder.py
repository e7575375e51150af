"""Fine-tuning a bi-encoder on frozen features, with in-batch and hard negatives (notebook 19).

Fine-tuning a 22 M-parameter transformer does not fit a CPU notebook; training a small
head on its **frozen** output does, and it is a real technique (an "adapter"): the
pretrained encoder's vectors are computed once and cached, and a linear map
``x -> normalise(W x + b)``, started at the identity so that step 0 *is* the pretrained
model, learns the task's notion of relevance from (query, relevant document) pairs.

The training signal is InfoNCE (:func:`~embedkit.neural.losses.info_nce`): each query's
own document must beat the other documents of the batch (**in-batch negatives**, easy:
random documents) and, optionally, one **hard negative** per query mined from a first-stage
retriever (BM25 or the dense index itself): a document that ranks high but is not the
labelled answer. Hard negatives teach the fine distinctions; their trap is the **false
negative**: a top-ranked "non-relevant" document that is in fact relevant but unlabelled
(a duplicate, a broader article on the same subject). :func:`mine_hard_negatives` can
skip the top ranks and drop candidates that score almost as high as the positive, the
two usual defences.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._validation import _to_array, as_generator, as_matrix, check_int, check_number
from .training import TrainingHistory, fit, seeded

__all__ = ["LinearAdapter", "mine_hard_negatives", "train_adapter"]


class LinearAdapter(nn.Module):
    """``x: (n, d_in) -> normalise(x @ W.T + b): (n, d_out)``, W starting at the identity.

    Args:
        d_in: input width (the frozen encoder's).
        d_out: output width (default ``d_in``; the identity start needs ``d_out <= d_in``).
        init: ``"identity"`` (step 0 reproduces the frozen encoder, truncated to ``d_out``)
            or ``"random"`` (a seeded orthogonal matrix).
    """

    def __init__(self, d_in: int, d_out: int | None = None, *, init: str = "identity", seed: int = 0):
        super().__init__()
        self.d_in = check_int(d_in, "d_in", minimum=1)
        self.d_out = check_int(d_out if d_out is not None else d_in, "d_out", minimum=1)
        if init not in ("identity", "random"):
            raise ValueError(f"init must be 'identity' or 'random', got {init!r}")
        if init == "identity" and self.d_out > self.d_in:
            raise ValueError(f"an identity start needs d_out <= d_in, got {self.d_out} > {self.d_in}")
        with seeded(seed):
            self.linear = nn.Linear(self.d_in, self.d_out)
            with torch.no_grad():
                if init == "identity":
                    self.linear.weight.copy_(torch.eye(self.d_out, self.d_in))
                else:
                    nn.init.orthogonal_(self.linear.weight)
                self.linear.bias.zero_()

    def forward(self, x):
        import torch.nn.functional as F

        return F.normalize(self.linear(x), dim=-1)

    def encode(self, X, *, batch_size: int = 8192) -> np.ndarray:
        """numpy ``(n, d_in)`` -> ``(n, d_out)`` float32 unit rows."""
        X = as_matrix(X, "X", d=self.d_in)
        device = next(self.parameters()).device
        out = np.empty((len(X), self.d_out), dtype=np.float32)
        was = self.training
        self.eval()
        with torch.no_grad():
            for s in range(0, len(X), batch_size):
                block = np.array(X[s:s + batch_size])       # a writable copy: X may be read-only (a cache)
                out[s:s + batch_size] = self(torch.from_numpy(block).to(device)).cpu().numpy()
        self.train(was)
        return out


def mine_hard_negatives(candidates, positives, *, skip_top: int = 0, scores=None,
                        max_ratio: float | None = None, seed=0) -> np.ndarray:
    """One hard negative per query from a first stage's ranked candidates.

    Args:
        candidates: ``(nq, c)`` ids ranked by a retriever, best first (``-1`` = padding).
        positives: ``(nq,)`` the labelled relevant id of each query (never a negative).
        skip_top: ignore the first ``skip_top`` non-positive candidates (the likeliest
            false negatives), then pick uniformly among the next five.
        scores: ``(nq, c)`` the candidates' scores, needed with ``max_ratio``.
        max_ratio: drop candidates scoring above ``max_ratio`` x the positive's score
            (NV-Retriever's "positive-aware" filter, e.g. 0.95); the positive must then be
            among the candidates (queries where it is not keep every candidate).
    Returns:
        ``(nq,)`` int64 negative ids (``-1`` where no candidate qualifies).
    """
    cand = _to_array(candidates, "candidates", np.int64)
    pos = _to_array(positives, "positives", np.int64).ravel()
    if cand.ndim != 2 or len(cand) != len(pos):
        raise ValueError(f"candidates must be (nq, c) with nq = len(positives) = {len(pos)}, got {cand.shape}")
    skip_top = check_int(skip_top, "skip_top", minimum=0)
    if max_ratio is not None:
        max_ratio = check_number(max_ratio, "max_ratio", minimum=0.0)
        if scores is None:
            raise ValueError("max_ratio needs the candidates' scores (scores=)")
        S = _to_array(scores, "scores", np.float64)
        if S.shape != cand.shape:
            raise ValueError(f"scores must have the candidates' shape {cand.shape}, got {S.shape}")
    rng = as_generator(seed)
    out = np.full(len(pos), -1, dtype=np.int64)
    for q in range(len(pos)):
        ok = (cand[q] >= 0) & (cand[q] != pos[q])
        if max_ratio is not None and (cand[q] == pos[q]).any():
            pos_score = S[q][cand[q] == pos[q]][0]
            ok &= S[q] <= max_ratio * pos_score
        pool = cand[q][ok][skip_top:skip_top + 5]
        if len(pool):
            out[q] = pool[rng.integers(len(pool))]
    return out


def train_adapter(adapter, queries, documents, *, negatives=None, temperature: float = 0.05,
                  matryoshka_dims=None, batch_size: int = 256, steps: int = 300,
                  lr: float = 1e-3, seed=0, progress: bool = True) -> TrainingHistory:
    """Train ``adapter`` on aligned frozen features: ``documents[i]`` is relevant to ``queries[i]``.

    Args:
        adapter: a :class:`LinearAdapter` (or any module mapping ``(n, d_in)`` to unit rows),
            applied to both sides (a siamese bi-encoder).
        queries, documents: ``(n, d_in)`` float32 frozen features of the training pairs.
        negatives: optional ``(n, d_in)`` features of one hard negative per pair (rows of
            NaN, e.g. for queries without a mined negative, are skipped).
        temperature: InfoNCE temperature.
        matryoshka_dims: train with :func:`~embedkit.neural.matryoshka.matryoshka_loss` over
            these nested widths instead of plain InfoNCE at full width.
        batch_size, steps, lr, seed: as :func:`~embedkit.neural.training.fit`.
    """
    from .losses import info_nce
    from .matryoshka import matryoshka_loss

    Q = as_matrix(queries, "queries")
    D = as_matrix(documents, "documents", d=Q.shape[1])
    if len(Q) != len(D):
        raise ValueError(f"queries and documents must be aligned pairs, got {len(Q)} and {len(D)} rows")
    N = None
    if negatives is not None:
        N = _to_array(negatives, "negatives", np.float32)
        if N.shape != Q.shape:
            raise ValueError(f"negatives must be one row per pair, shape {Q.shape}, got {N.shape}")
    batch_size = check_int(batch_size, "batch_size", minimum=2, maximum=len(Q))
    temperature = check_number(temperature, "temperature", minimum=0.0, strict_minimum=True)
    Qt, Dt = torch.from_numpy(Q), torch.from_numpy(D)
    Nt = None if N is None else torch.from_numpy(N)

    def batches(rng):
        order = rng.permutation(len(Q))
        for s in range(0, len(Q) - batch_size + 1, batch_size):
            b = torch.from_numpy(order[s:s + batch_size])
            if Nt is None:
                yield Qt[b], Dt[b]
            else:
                n = Nt[b]
                yield Qt[b], Dt[b], n[torch.isfinite(n).all(1)]

    def loss_fn(model, batch):
        q, d = model(batch[0]), model(batch[1])
        neg = model(batch[2]) if len(batch) == 3 and len(batch[2]) else None
        if matryoshka_dims is not None:
            return matryoshka_loss(q, d, matryoshka_dims, temperature=temperature, negatives=neg)
        return info_nce(q, d, temperature, negatives=neg)

    return fit(adapter, loss_fn, batches, steps=steps, lr=lr, seed=seed, device="cpu",
               progress=progress, desc="adapter")
