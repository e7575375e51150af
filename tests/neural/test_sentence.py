"""The siamese SentenceEncoder: encoding, training reduces the loss, save/load round trip."""
import numpy as np
import pytest
import torch

from embedkit import WordVectors
from embedkit.neural.pooling import mean_pool
from embedkit.neural.sentence import SentenceEncoder, train_sentence_encoder

WORDS = [f"w{i}" for i in range(40)]


def _pairs(n=96, seed=0):
    """Toy paraphrase pairs: both sides of pair i share 'topic' words t_i, filler differs."""
    rng = np.random.default_rng(seed)
    queries, docs = [], []
    for i in range(n):
        topic = [f"w{j}" for j in rng.choice(20, size=2, replace=False)]
        queries.append(" ".join(topic + [f"w{j}" for j in rng.choice(np.arange(20, 40), 3)]))
        docs.append(" ".join([f"w{j}" for j in rng.choice(np.arange(20, 40), 3)] + topic))
    return queries, docs


def test_encode_is_masked_mean_of_embeddings_then_projection():
    enc = SentenceEncoder(WORDS, dim=6, embedding_dim=5, seed=0)
    out = enc.encode(["w1 w2 w3", "w4 unknown", "nothing known here"])
    assert out.shape == (3, 6) and out.dtype == np.float32
    with torch.no_grad():
        E = enc.embedding.weight.numpy()
        W, b = enc.proj.weight.numpy(), enc.proj.bias.numpy()
    ref = E[[2, 3, 4]].mean(0) @ W.T + b                         # ids are index + 1
    np.testing.assert_allclose(out[0], ref / np.linalg.norm(ref), rtol=1e-5, atol=1e-6)
    ref = E[5] @ W.T + b
    np.testing.assert_allclose(out[1], ref / np.linalg.norm(ref), rtol=1e-5, atol=1e-6)
    assert not out[2].any()                                       # no known word: zero vector
    # padding does not leak: a sentence encodes the same alone and in a batch with longer ones
    np.testing.assert_allclose(enc.encode(["w1 w2 w3"])[0], out[0], rtol=1e-6)


def test_from_word_vectors_starts_as_mean_of_word_vectors():
    rng = np.random.default_rng(1)
    wv = WordVectors(WORDS, rng.standard_normal((40, 4)).astype(np.float32))
    enc = SentenceEncoder.from_word_vectors(wv, words=["w3", "w7", "w9", "zzz"])
    assert enc.words == ["w3", "w7", "w9"]
    got = enc.encode(["w3 w7"])[0]
    ref = mean_pool(np.stack([wv["w3"], wv["w7"]])[None], None)[0]
    np.testing.assert_allclose(got, ref / np.linalg.norm(ref), rtol=1e-5)


@pytest.mark.parametrize("loss", ["info_nce", "triplet"])
def test_training_reduces_loss_and_improves_retrieval(loss):
    queries, docs = _pairs()
    enc = SentenceEncoder(WORDS, dim=16, seed=0)

    def recall1():
        q, d = enc.encode(queries), enc.encode(docs)
        return float(np.mean((q @ d.T).argmax(1) == np.arange(len(q))))
    before = recall1()
    hist = train_sentence_encoder(enc, queries, docs, loss=loss, batch_size=32, steps=120,
                                  lr=1e-2, temperature=0.1, margin=0.5, progress=False, seed=0)
    assert hist.last < 0.5 * hist.first
    assert recall1() > before + 0.3
    # determinism: the same seed gives the same loss curve
    enc2 = SentenceEncoder(WORDS, dim=16, seed=0)
    hist2 = train_sentence_encoder(enc2, queries, docs, loss=loss, batch_size=32, steps=120,
                                   lr=1e-2, temperature=0.1, margin=0.5, progress=False, seed=0)
    np.testing.assert_allclose(hist.losses, hist2.losses, rtol=1e-5)


def test_freeze_embeddings_trains_only_the_projection():
    queries, docs = _pairs(64)
    enc = SentenceEncoder(WORDS, dim=8, seed=0)
    before = enc.embedding.weight.detach().clone()
    train_sentence_encoder(enc, queries, docs, batch_size=32, steps=5, freeze_embeddings=True,
                           progress=False)
    torch.testing.assert_close(enc.embedding.weight.detach(), before)


def test_save_load_round_trip(tmp_path):
    enc = SentenceEncoder(WORDS, dim=8, embedding_dim=6, pooling="max", max_len=7, seed=3)
    path = tmp_path / "enc.pt"
    enc.save(path)
    back = SentenceEncoder.load(path)
    texts = ["w1 w2 w30", "w5", "w9 w9 w9 w8"]
    np.testing.assert_array_equal(back.encode(texts), enc.encode(texts))
    assert back.config() == enc.config()
    (tmp_path / "bad.pt").write_bytes(b"")
    torch.save({"x": 1}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="SentenceEncoder.save"):
        SentenceEncoder.load(tmp_path / "bad.pt")


def test_bad_inputs():
    enc = SentenceEncoder(WORDS, dim=4)
    with pytest.raises(TypeError, match=r"\[sentence\]"):
        enc.encode("w1 w2")
    with pytest.raises(ValueError, match="unique"):
        SentenceEncoder(["a", "a"])
    with pytest.raises(ValueError, match="pooling"):
        SentenceEncoder(WORDS, pooling="cls")
    with pytest.raises(ValueError, match="aligned pairs"):
        train_sentence_encoder(enc, ["w1"] * 4, ["w2"] * 3, batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        train_sentence_encoder(enc, ["w1"] * 4, ["w2"] * 4, batch_size=8)
    with pytest.raises(ValueError, match="loss"):
        train_sentence_encoder(enc, ["w1"] * 4, ["w2"] * 4, batch_size=2, loss="contrastive")
