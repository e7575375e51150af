"""embedkit.neural.encoder: special-token vocabulary, the 80/10/10 masking rule, the tiny
transformer encoder, masked-LM training and contextual vectors."""
import numpy as np
import pytest
import torch

from embedkit import (MLMVocab, TransformerEncoder, Vocabulary, contextual_vectors, evaluate_mlm,
                      mask_tokens, train_mlm)
from embedkit.neural.encoder import IGNORE_INDEX

SENTENCES = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "sat"], ["a", "cat"]]


def _toy_language(n_sentences=400, seed=0):
    """Two-word 'phrases' with a deterministic partner: w_i is always followed by w_{i+10},
    so a model that reads its context can predict a masked word exactly."""
    rng = np.random.default_rng(seed)
    firsts = rng.integers(0, 10, size=(n_sentences, 4))
    return [[t for f in row for t in (f"a{f}", f"b{f}")] for row in firsts]


# -- vocabulary with special tokens ----------------------------------------------------
def test_mlm_vocab_ids_and_unknown_words():
    v = MLMVocab.from_sentences(SENTENCES)
    base = Vocabulary.from_sentences(SENTENCES)
    assert len(v) == len(base) + 3 and v.words[:3] == ["[PAD]", "[UNK]", "[MASK]"]
    assert v["the"] == base["the"] + 3 and v["[MASK]"] == 2 and "[PAD]" in v and "cow" not in v
    np.testing.assert_array_equal(v.encode(["the", "cow", "sat"]), [3, 1, base["sat"] + 3])
    np.testing.assert_array_equal(v.encode("The cow sat."), v.encode(["the", "cow", "sat"]))
    assert v.decode(v.encode(["cat", "zebra"])) == ["cat", "[UNK]"]
    stream = v.encode_stream(SENTENCES)
    assert stream.tolist() == np.concatenate([v.encode(s) for s in SENTENCES]).tolist()
    assert base.words == Vocabulary.from_sentences(SENTENCES).words   # Vocabulary untouched


def test_encode_stream_of_a_corpus_equals_token_lists():
    from embedkit.datasets import Corpus

    words = ["the", "cat", "sat", "zebra"]
    corpus = Corpus(np.array([0, 1, 2, 0, 3]), np.array([0, 3, 5]), words)
    v = MLMVocab.from_sentences([["the", "cat", "sat", "the"]])
    np.testing.assert_array_equal(v.encode_stream(corpus), v.encode_stream(list(corpus)))


# -- the masking rule ------------------------------------------------------------------
def test_mask_tokens_proportions_follow_80_10_10():
    v = MLMVocab(Vocabulary([f"w{i}" for i in range(1000)], np.arange(1000, 0, -1)))
    rng = np.random.default_rng(0)
    ids = rng.integers(3, len(v), size=(400, 500))
    ids[:, -50:] = v.pad_id                                   # padding is never a target
    inputs, labels = mask_tokens(ids, v, rate=0.15, seed=1)
    target = labels != IGNORE_INDEX
    words = ids != v.pad_id
    assert target.sum() / words.sum() == pytest.approx(0.15, abs=0.003)
    assert not target[:, -50:].any()
    np.testing.assert_array_equal(labels[target], ids[target])
    np.testing.assert_array_equal(inputs[~target], ids[~target])     # non-targets untouched
    masked = (inputs == v.mask_id) & target
    kept = (inputs == ids) & target
    swapped = target & ~masked & ~kept
    n = target.sum()
    assert masked.sum() / n == pytest.approx(0.8, abs=0.01)
    # a random replacement can draw the original word (1 in 1000): "kept" is 10% + 0.01%
    assert kept.sum() / n == pytest.approx(0.1, abs=0.01)
    assert swapped.sum() / n == pytest.approx(0.1, abs=0.01)
    assert inputs[swapped].min() >= 3                         # random words, never specials
    a, b = mask_tokens(ids, v, seed=1), mask_tokens(ids, v, seed=1)
    np.testing.assert_array_equal(a[0], b[0])                  # same seed, same corruption


def test_mask_tokens_bad_inputs():
    v = MLMVocab.from_sentences(SENTENCES)
    with pytest.raises(TypeError, match="MLMVocab"):
        mask_tokens(np.array([3, 4]), Vocabulary.from_sentences(SENTENCES))
    with pytest.raises(ValueError, match="ids must lie"):
        mask_tokens(np.array([3, 99]), v)
    with pytest.raises(TypeError, match="integer"):
        mask_tokens(np.array([3.0, 4.0]), v)
    with pytest.raises(ValueError, match="rate must be <= 1"):
        mask_tokens(np.array([3, 4]), v, rate=1.5)
    with pytest.raises(ValueError, match="p_mask \\+ p_random"):
        mask_tokens(np.array([3, 4]), v, p_mask=0.9, p_random=0.2)


# -- the encoder -----------------------------------------------------------------------
def test_encoder_shapes_padding_and_determinism():
    enc = TransformerEncoder(20, d_model=16, n_heads=2, n_layers=2, max_len=8, seed=3)
    same = TransformerEncoder(20, d_model=16, n_heads=2, n_layers=2, max_len=8, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(enc.state_dict().values(), same.state_dict().values()))
    ids = torch.tensor([[5, 6, 7, 0, 0], [5, 6, 7, 8, 9]])
    enc.eval()
    with torch.no_grad():
        h = enc(ids, ids == 0)
        alone = enc(ids[:1, :3])
        states, weights = enc(ids, ids == 0, return_all=True)
    assert h.shape == (2, 5, 16) and len(states) == 3 and weights[0].shape == (2, 2, 5, 5)
    # padding changes nothing for the real tokens: attention never looks at it
    torch.testing.assert_close(h[0, :3], alone[0], rtol=1e-5, atol=1e-5)
    assert torch.all(weights[0][0, :, :, 3:] == 0)
    # layer 0 is position + token, no context: the same token at the same position agrees
    torch.testing.assert_close(states[0][0, :3], states[0][1, :3])
    assert enc.mlm_logits(h).shape == (2, 5, 20)
    sinus = TransformerEncoder(20, d_model=16, n_heads=2, max_len=8, positions="sinusoidal")
    assert "pos" not in dict(sinus.named_parameters())       # fixed, not trained


def test_training_reduces_loss_and_learns_the_toy_language():
    sents = _toy_language()
    v = MLMVocab.from_sentences(sents)
    enc = TransformerEncoder(len(v), d_model=32, n_heads=2, n_layers=1, max_len=16, seed=0)
    before = evaluate_mlm(enc, v.encode_stream(_toy_language(50, seed=1)), vocab=v, n_windows=200,
                          seq_len=8, topk=(1,))
    hist = train_mlm(enc, sents, vocab=v, steps=400, batch_size=16, seq_len=8, lr=5e-3, seed=0,
                     progress=False)
    assert len(hist.losses) == 400 and hist.last < 0.7 * hist.first
    after = evaluate_mlm(enc, v.encode_stream(_toy_language(50, seed=1)), vocab=v, n_windows=200,
                         seq_len=8, topk=(1,))
    # every target is determined by its neighbours (chance: 1 in 20; the unigram guess 1 in 10)
    assert after["top1"] > 0.4 and before["top1"] < 0.15
    assert after["loss"] < after["unigram_loss"] - 0.5
    again = train_mlm(TransformerEncoder(len(v), d_model=32, n_heads=2, n_layers=1, max_len=16, seed=0),
                      sents, vocab=v, steps=20, batch_size=16, seq_len=8, lr=5e-3, seed=0, progress=False)
    np.testing.assert_allclose(again.losses, hist.losses[:20], rtol=1e-5)   # same seed, same run


def test_contextual_vectors_depend_on_context():
    sents = _toy_language()
    v = MLMVocab.from_sentences(sents)
    enc = TransformerEncoder(len(v), d_model=16, n_heads=2, n_layers=1, max_len=16, seed=0)
    out = contextual_vectors(enc, [["a1", "b1", "a2"], ["a3", "b1", "a2"], ["a1"]], v)
    assert [o.shape for o in out] == [(3, 16), (3, 16), (1, 16)] and out[0].dtype == np.float32
    assert not np.allclose(out[0][1], out[1][1])              # "b1" after a1 vs after a3
    static = contextual_vectors(enc, [["a1", "b1", "a2"], ["a3", "b1", "a2"]], v, layer=0)
    np.testing.assert_allclose(static[0][1], static[1][1])     # layer 0: no context yet
    np.testing.assert_allclose(contextual_vectors(enc, ["A1 b1, a2!"], v)[0], out[0], atol=1e-5)


def test_load_word_vectors_sets_unit_rows():
    enc = TransformerEncoder(8, d_model=4, n_heads=2)
    W = np.arange(20, dtype=np.float32).reshape(5, 4) + 1
    before = enc.tok.weight[:3].detach().clone()
    assert enc.load_word_vectors(W) is enc
    np.testing.assert_allclose(enc.tok.weight[3:].detach().numpy(), W / np.linalg.norm(W, axis=1, keepdims=True), rtol=1e-6)
    torch.testing.assert_close(enc.tok.weight[:3], before)     # special tokens untouched
    with pytest.raises(ValueError, match="rows"):
        enc.load_word_vectors(W[:4])
    with pytest.raises(ValueError, match="d=4"):
        enc.load_word_vectors(np.ones((5, 3)))


def test_encoder_bad_inputs():
    v = MLMVocab.from_sentences(SENTENCES)
    enc = TransformerEncoder(len(v), d_model=8, n_heads=2, max_len=4)
    with pytest.raises(ValueError, match="positions must be one of"):
        TransformerEncoder(10, positions="rotary")
    with pytest.raises(ValueError, match="int64"):
        enc(torch.ones(2, 3))
    with pytest.raises(ValueError, match="max_len=4"):
        enc(torch.ones(1, 5, dtype=torch.int64))
    with pytest.raises(ValueError, match="max_len=4"):
        contextual_vectors(enc, [["the"] * 5], v)
    with pytest.raises(TypeError, match="list of sentences"):
        contextual_vectors(enc, "the cat", v)
    with pytest.raises(ValueError, match="vocab_size"):
        train_mlm(TransformerEncoder(50, d_model=8, n_heads=2), SENTENCES, vocab=v, steps=1)
    with pytest.raises(ValueError, match="fewer than seq_len"):
        train_mlm(enc, [["the", "cat", "sat"]], vocab=v, steps=1, seq_len=4)
    with pytest.raises(TypeError, match="MLMVocab"):
        train_mlm(enc, SENTENCES, vocab=Vocabulary.from_sentences(SENTENCES), steps=1)
