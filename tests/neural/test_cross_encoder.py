"""The cross-encoder head: padding is invisible, both sides interact, training separates pairs."""
import numpy as np
import pytest
import torch

from embedkit.neural.cross_encoder import (CrossEncoderHead, cross_encoder_scores, pad_ragged,
                                           train_cross_encoder)


def _ragged(lengths, d, rng):
    tokens = rng.standard_normal((sum(lengths), d)).astype(np.float32)
    return tokens, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def test_pad_ragged():
    tokens, offsets = _ragged([2, 3, 1], 4, np.random.default_rng(0))
    x, m = pad_ragged(tokens, offsets, [2, 1], max_len=2)
    assert x.shape == (2, 2, 4) and m.tolist() == [[True, False], [True, True]]
    assert torch.equal(x[1], torch.from_numpy(tokens[2:4])) and (x[0, 1] == 0).all()


def test_padding_does_not_change_the_score_and_pairs_interact():
    rng = np.random.default_rng(0)
    head = CrossEncoderHead(8, 16, n_heads=2, d_ff=32, seed=0).eval()
    q = torch.from_numpy(rng.standard_normal((1, 3, 8)).astype(np.float32))
    d = torch.from_numpy(rng.standard_normal((1, 5, 8)).astype(np.float32))
    ones = lambda x: torch.ones(x.shape[:2], dtype=torch.bool)  # noqa: E731
    s = head(q, ones(q), d, ones(d))
    d_pad = torch.cat([d, torch.randn(1, 4, 8)], 1)
    m_pad = torch.cat([ones(d), torch.zeros(1, 4, dtype=torch.bool)], 1)
    assert torch.allclose(s, head(q, ones(q), d_pad, m_pad), atol=1e-5)
    assert not torch.allclose(s, head(q * 2, ones(q), d, ones(d)))      # the query matters
    assert not torch.allclose(s, head(q, ones(q), d.flip(1) * 0.5, ones(d)))


def test_training_learns_to_rank_the_positive_first():
    rng = np.random.default_rng(0)
    n_docs, d = 60, 8
    doc_tokens, doc_offsets = _ragged(rng.integers(2, 6, n_docs).tolist(), d, rng)
    # each query copies two token vectors of its document (plus noise): a learnable match
    q_tok, lengths = [], []
    for i in range(n_docs):
        rows = doc_tokens[doc_offsets[i]:doc_offsets[i + 1]][:2]
        q_tok.append(rows + 0.1 * rng.standard_normal(rows.shape).astype(np.float32))
        lengths.append(len(rows))
    q_tokens, q_offsets = np.concatenate(q_tok), np.concatenate([[0], np.cumsum(lengths)])
    queries = np.arange(n_docs)
    negatives = np.stack([rng.choice(np.delete(np.arange(n_docs), i), 3, replace=False) for i in queries])
    head = CrossEncoderHead(d, 16, n_heads=2, d_ff=32, seed=0)
    cand = np.concatenate([queries[:, None], negatives], 1)
    def top1():
        s = cross_encoder_scores(head, q_tokens, q_offsets, doc_tokens, doc_offsets, queries, cand)
        return float((s.argmax(1) == 0).mean())
    before = top1()
    hist = train_cross_encoder(head, q_tokens, q_offsets, doc_tokens, doc_offsets, queries, queries,
                               negatives, steps=150, batch_size=12, lr=3e-3, progress=False)
    assert hist.last < hist.first and top1() > max(before, 0.5)
    padded = cross_encoder_scores(head, q_tokens, q_offsets, doc_tokens, doc_offsets, queries[:2],
                                  np.array([[0, -1], [1, 2]]))
    assert np.isneginf(padded[0, 1])
    with pytest.raises(ValueError, match="padding"):
        train_cross_encoder(head, q_tokens, q_offsets, doc_tokens, doc_offsets, queries[:1], queries[:1],
                            np.array([[-1, 2, 3]]), steps=1)
