"""A cross-encoder reranker at CPU scale: joint attention over a query and a document.

A **bi-encoder** embeds query and document separately and compares two vectors; a
**cross-encoder** feeds the pair through a transformer *together*, so every query token
attends to every document token before a score comes out. It is the more accurate
relevance model and the far more expensive one: nothing can be precomputed per document,
so it runs once per (query, candidate) pair, which is why it only re-ranks a first stage's
top 50-100.

A full 6-layer MiniLM cross-encoder costs about a million multiply-adds per token per
pair; training and running one over thousands of queries does not fit a 2-core CPU. This
module keeps the architecture's defining step at a size that does, following PreTTR
(MacAvaney et al., SIGIR 2020): the lower layers run on query and document **separately**
(here: the frozen all-MiniLM-L6-v2 token vectors, computed once and cached), and the top
layers run on the **concatenated pair** with full joint attention. :class:`CrossEncoderHead`
is those top layers: project the token vectors to ``d_model``, add a segment embedding
(query or document) and each token's best match on the other side (an interaction
feature), prepend a learned ``[CLS]`` vector, run ``n_layers`` transformer layers over
``[CLS] query document`` and read the relevance score from ``[CLS]``, added to the pair's
bi-encoder cosine (a skip connection, so that training starts from the first stage's
ranking and learns the correction).

:func:`train_cross_encoder` trains it listwise on the training queries: the positive and
``m`` hard negatives from the first stage, softmax cross-entropy over the ``1 + m`` scores.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._validation import _to_array, check_int, check_number
from .training import TrainingHistory, fit, seeded

__all__ = ["CrossEncoderHead", "pad_ragged", "train_cross_encoder", "cross_encoder_scores"]


def pad_ragged(tokens: np.ndarray, offsets: np.ndarray, ids, max_len: int):
    """Rows ``ids`` of a ragged token store as a padded batch.

    Args:
        tokens: ``(total, d)`` token vectors of all items, item ``i`` being
            ``tokens[offsets[i]:offsets[i + 1]]``.
        offsets: ``(n + 1,)`` int64.
        ids: ``(b,)`` the items to gather.
        max_len: keep at most the first ``max_len`` tokens of each item.
    Returns:
        ``(x (b, L, d) float32 tensor, mask (b, L) bool tensor)`` with ``L`` the longest kept.
    """
    ids = np.asarray(ids, dtype=np.int64)
    starts = offsets[ids]
    lengths = np.minimum(offsets[ids + 1] - starts, max_len)
    L = int(lengths.max()) if len(ids) else 1
    x = np.zeros((len(ids), L, tokens.shape[1]), dtype=np.float32)
    mask = np.arange(L)[None, :] < lengths[:, None]
    rows = (starts[:, None] + np.arange(L)[None, :])[mask]
    x[mask] = tokens[rows]
    return torch.from_numpy(x), torch.from_numpy(mask)


class CrossEncoderHead(nn.Module):
    """Joint-attention layers over ``[CLS] query document``, on frozen token vectors.

    Args:
        d_in: width of the frozen token vectors (384 for MiniLM).
        d_model, n_heads, d_ff, n_layers: the joint transformer's size.
        seed: initialisation seed.
    """

    def __init__(self, d_in: int = 384, d_model: int = 128, *, n_heads: int = 4, d_ff: int = 256,
                 n_layers: int = 1, seed: int = 0):
        super().__init__()
        self.d_in = check_int(d_in, "d_in", minimum=1)
        self.d_model = check_int(d_model, "d_model", minimum=1)
        with seeded(seed):
            self.proj = nn.Linear(self.d_in, self.d_model)
            self.segment = nn.Embedding(2, self.d_model)          # 0: query token, 1: document token
            self.cls = nn.Parameter(torch.randn(self.d_model) * 0.02)
            layer = nn.TransformerEncoderLayer(self.d_model, n_heads, d_ff, dropout=0.0,
                                               batch_first=True, norm_first=True)
            self.layers = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(self.d_model)
            self.score = nn.Linear(self.d_model, 1)
            self.match = nn.Parameter(torch.randn(2, self.d_model) * 0.02)   # query / document side
            self.cosine_scale = nn.Parameter(torch.tensor(20.0))

    def forward(self, q, q_mask, d, d_mask):
        """``q: (b, Lq, d_in), d: (b, Ld, d_in)`` with masks (True = real token) -> ``(b,)``."""
        b = q.shape[0]
        # Token-level interaction features, computed from the pair itself: each token's best
        # dot product with the other side (the terms of ColBERT's MaxSim), so matching
        # evidence enters the joint layer from the first step instead of being discovered.
        sim = torch.einsum("bqd,bkd->bqk", q, d)
        q_best = sim.masked_fill(~d_mask[:, None, :], float("-inf")).amax(2).masked_fill(~q_mask, 0.0)
        d_best = sim.masked_fill(~q_mask[:, :, None], float("-inf")).amax(1).masked_fill(~d_mask, 0.0)
        x = torch.cat([self.cls.expand(b, 1, -1),
                       self.proj(q) + self.segment.weight[0] + q_best[..., None] * self.match[0],
                       self.proj(d) + self.segment.weight[1] + d_best[..., None] * self.match[1]], dim=1)
        keep = torch.cat([torch.ones(b, 1, dtype=torch.bool, device=q.device), q_mask, d_mask], dim=1)
        h = self.layers(x, src_key_padding_mask=~keep)
        # A skip connection from the bi-encoder: the cosine of the mean-pooled vectors, scaled
        # as by an InfoNCE temperature (1 / 0.05 at the start). At step 0 the head ranks like
        # the bi-encoder; the joint layer learns the correction.
        pooled = [torch.nn.functional.normalize((x_ * m[..., None]).sum(1), dim=-1) for x_, m in ((q, q_mask), (d, d_mask))]
        cosine = (pooled[0] * pooled[1]).sum(-1)
        return self.score(self.norm(h[:, 0])).squeeze(-1) + self.cosine_scale * cosine


def _pairs(q_tokens, q_offsets, d_tokens, d_offsets, q_ids, d_ids, max_query, max_doc):
    q, qm = pad_ragged(q_tokens, q_offsets, q_ids, max_query)
    d, dm = pad_ragged(d_tokens, d_offsets, d_ids, max_doc)
    return q, qm, d, dm


def train_cross_encoder(head: CrossEncoderHead, query_tokens, query_offsets, doc_tokens, doc_offsets,
                        queries, positives, negatives, *, steps: int = 400, batch_size: int = 32,
                        lr: float = 1e-3, max_query: int = 32, max_doc: int = 128, seed=0,
                        progress: bool = True) -> TrainingHistory:
    """Listwise training: for each query, softmax over [positive, its ``m`` negatives].

    Args:
        query_tokens, query_offsets, doc_tokens, doc_offsets: ragged frozen token vectors.
        queries: ``(n,)`` query ids (rows of the query store) to train on.
        positives: ``(n,)`` the relevant document of each.
        negatives: ``(n, m)`` hard negatives per query (e.g. the first stage's top
            non-relevant documents).
    """
    queries = _to_array(queries, "queries", np.int64).ravel()
    positives = _to_array(positives, "positives", np.int64).ravel()
    negatives = _to_array(negatives, "negatives", np.int64)
    if not (len(queries) == len(positives) == len(negatives)) or negatives.ndim != 2:
        raise ValueError(f"queries {queries.shape}, positives {positives.shape} and negatives "
                         f"{negatives.shape} must describe the same n queries (negatives (n, m))")
    if (negatives < 0).any():
        raise ValueError("negatives must be valid document ids (no -1 padding)")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_number(lr, "lr", minimum=0.0)
    m = negatives.shape[1]

    def batches(rng):
        order = rng.permutation(len(queries))
        for s in range(0, len(order) - batch_size + 1, batch_size):
            b = order[s:s + batch_size]
            docs = np.concatenate([positives[b, None], negatives[b]], axis=1).ravel()  # (b * (1 + m),)
            yield _pairs(query_tokens, query_offsets, doc_tokens, doc_offsets,
                         np.repeat(queries[b], 1 + m), docs, max_query, max_doc)

    def loss_fn(model, batch):
        logits = model(*batch).view(-1, 1 + m)
        return nn.functional.cross_entropy(logits, torch.zeros(len(logits), dtype=torch.long))

    return fit(head, loss_fn, batches, steps=steps, lr=lr, seed=seed, device="cpu",
               progress=progress, desc="cross-encoder")


@torch.no_grad()
def cross_encoder_scores(head: CrossEncoderHead, query_tokens, query_offsets, doc_tokens, doc_offsets,
                         queries, candidates, *, max_query: int = 32, max_doc: int = 128,
                         batch_pairs: int = 512) -> np.ndarray:
    """``(nq, c)`` float32 scores of each query's candidates (``-inf`` where the id is -1)."""
    queries = _to_array(queries, "queries", np.int64).ravel()
    cand = _to_array(candidates, "candidates", np.int64)
    if cand.ndim != 2 or len(cand) != len(queries):
        raise ValueError(f"candidates must be (nq, c) with nq = {len(queries)}, got {cand.shape}")
    head.eval()
    q_ids = np.repeat(queries, cand.shape[1])
    d_ids = cand.ravel()
    out = np.full(len(d_ids), -np.inf, dtype=np.float32)
    valid = np.flatnonzero(d_ids >= 0)
    for s in range(0, len(valid), batch_pairs):
        sel = valid[s:s + batch_pairs]
        out[sel] = head(*_pairs(query_tokens, query_offsets, doc_tokens, doc_offsets,
                                q_ids[sel], d_ids[sel], max_query, max_doc)).numpy()
    return out.reshape(cand.shape)
