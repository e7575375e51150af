"""embedkit.text.word2vec: the batched torch step against numpy, toy corpora, and gensim on a slice."""
import numpy as np
import pytest
import torch

from embedkit import WordVectors, train_word2vec
from embedkit.text.word2vec import _Trainer, context_windows


def toy_topics(n_sentences=400, seed=0):
    """Sentences drawn from one of two disjoint 8-word topics: neighbours must stay inside."""
    rng = np.random.default_rng(seed)
    topics = [[f"a{i}" for i in range(8)], [f"b{i}" for i in range(8)]]
    return [list(rng.choice(topics[i % 2], size=12)) for i in range(n_sentences)]


# -- tier 1: the pieces ---------------------------------------------------------------------
def test_context_windows_by_hand():
    ids = np.array([10, 11, 12, 13, 14])
    sentence = np.array([0, 0, 0, 1, 1])
    ctx = context_windows(ids, sentence, np.array([0, 2, 3]), reach=2, pad=-1)
    np.testing.assert_array_equal(ctx, [[-1, -1, 11, 12],      # start of text
                                        [10, 11, -1, -1],      # sentence ends after 12
                                        [-1, -1, 14, -1]])     # sentence 1 starts at 13


@pytest.mark.parametrize("sg", [True, False])
def test_step_equals_numpy_reference(sg):
    """One batched step == the per-example formulas summed (float64 numpy)."""
    rng = np.random.default_rng(0)
    V, d, pad = 20, 8, 20
    W_in = np.vstack([rng.normal(size=(V, d)) * 0.5, np.zeros((1, d))]).astype(np.float32)
    W_out = (rng.normal(size=(V, d)) * 0.5).astype(np.float32)
    ctx = np.array([[1, 2, pad, 4], [5, 6, 7, 8]])
    out = np.array([[0, 9, 10, 11], [3, 12, 13, 3]])           # centre first, then noise
    weight = np.ones((2, 4), np.float32)
    weight[1, 3] = 0.0                                          # noise word == centre: skipped
    t_in, t_out = torch.tensor(W_in), torch.tensor(W_out)
    loss, _ = _Trainer(t_in, t_out, sg, 2, 4, 4).step(
        torch.tensor(ctx), torch.tensor(out), torch.tensor(weight), 0.1, True)

    sig = lambda x: 1 / (1 + np.exp(-x))
    d_in, d_out, ref_loss = np.zeros((V + 1, d)), np.zeros((V, d)), 0.0
    for m in range(2):
        real = [c for c in ctx[m] if c != pad]
        inputs = [W_in[c].astype(np.float64) for c in real] if sg else [np.mean([W_in[c] for c in real], 0)]
        for i, u in enumerate(inputs):
            grad_u = np.zeros(d)
            for j, o in enumerate(out[m]):
                if weight[m, j]:
                    s = u @ W_out[o]
                    g = ((j == 0) - sig(s)) * 0.1
                    ref_loss -= np.log(sig(s) if j == 0 else sig(-s))
                    grad_u += g * W_out[o]
                    d_out[o] += g * u
            for c in ([real[i]] if sg else real):                # CBOW: every context word
                d_in[c] += grad_u
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(t_in.numpy(), W_in + d_in, atol=1e-6)
    np.testing.assert_allclose(t_out.numpy(), W_out + d_out, atol=1e-6)
    assert not t_in[pad].any()                                   # the pad row stays zero


# -- tier 2: behaviour on toy corpora -------------------------------------------------------------
@pytest.mark.parametrize("sg", [True, False])
def test_learns_two_topics(sg):
    wv = train_word2vec(toy_topics(), dim=10, min_count=1, epochs=10, sg=sg, sample=0,
                        alpha=0.05, progress=False, seed=0)
    assert isinstance(wv, WordVectors) and len(wv) == 16 and wv.vector_size == 10
    for word in wv.words:
        assert all(w[0] == word[0] for w, _ in wv.most_similar(word, topn=5)), word
    log = wv.training_log
    assert log.loss[-1] < log.loss[0] and log.words == 10 * 400 * 12 and log.pairs > 0
    assert log.learning_rate[-1] < log.learning_rate[0]


def test_same_seed_same_vectors():
    kw = dict(dim=8, min_count=1, epochs=2, progress=False)
    a = train_word2vec(toy_topics(), seed=3, **kw)
    b = train_word2vec(toy_topics(), seed=3, **kw)
    c = train_word2vec(toy_topics(), seed=4, **kw)
    np.testing.assert_array_equal(a.vectors, b.vectors)
    assert not np.array_equal(a.vectors, c.vectors)


def test_generator_input_and_workers():
    wv = train_word2vec((s for s in toy_topics()), dim=8, min_count=1, epochs=4, sample=0,
                        alpha=0.05, workers=2, progress=False)
    assert wv.similarity("a1", "a2") > wv.similarity("a1", "b2")


def test_min_count_and_vocabulary_order():
    sentences = [["x"] * 3 + ["y"] * 5 + ["z"]] * 2
    wv = train_word2vec(sentences, dim=4, min_count=3, epochs=1, progress=False)
    assert wv.words == ["y", "x"] and wv.counts.tolist() == [10, 6] and "z" not in wv


# -- tier 3: quality against the stated value and against gensim, on a corpus slice ---------------
def test_wordsim_on_a_slice_matches_stated_value_and_gensim():
    from gensim.models import Word2Vec

    from embedkit.datasets import load_corpus

    corpus = load_corpus(300_000, progress=False)
    config = dict(dim=50, window=5, min_count=5, negative=5, epochs=8, sg=True, seed=0)
    wv = train_word2vec(corpus, progress=False, **config)
    rho = wv.evaluate_word_pairs("wordsim353")
    # Measured 0.282 (seed 0) and 0.298 (seed 1) on the 2-core development machine; gensim
    # with the same settings: 0.294 and 0.308. Other CPUs round differently: allow 0.06.
    assert rho == pytest.approx(0.28, abs=0.06)
    assert rho.n_used == 205                       # 148 of 353 pairs out of vocabulary
    model = Word2Vec(list(corpus), vector_size=50, window=5, min_count=5, negative=5, epochs=8,
                     sg=1, workers=1, seed=0)
    assert float(rho) == pytest.approx(WordVectors.from_gensim(model.wv).evaluate_word_pairs(), abs=0.08)
    assert [w for w, _ in wv.most_similar("france", topn=10)].count("germany") + \
        [w for w, _ in wv.most_similar("france", topn=10)].count("england") >= 1


# -- bad input ----------------------------------------------------------------------------------
def test_empty_or_too_rare_corpus_raises_valueerror():
    with pytest.raises(ValueError, match="empty"):
        train_word2vec([], progress=False)
    with pytest.raises(ValueError, match="empty"):
        train_word2vec([[]], progress=False)
    with pytest.raises(ValueError, match="min_count=5"):
        train_word2vec([["rare", "words", "only"]], progress=False)
    with pytest.raises(ValueError, match="nothing to train"):
        train_word2vec([["a"]] * 5, min_count=1, progress=False)


@pytest.mark.parametrize("kwargs,match", [
    (dict(dim=0), "dim"), (dict(window=0), "window"), (dict(negative=0), "negative"),
    (dict(epochs=0), "epochs"), (dict(min_count=0), "min_count"), (dict(alpha=0), "alpha"),
    (dict(min_alpha=1.0), "min_alpha"), (dict(sample=-1e-3), "sample"),
    (dict(batch_size=0), "batch_size"), (dict(workers=0), "workers"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_word2vec(toy_topics(10), progress=False, **{"min_count": 1, **kwargs})


def test_bad_types():
    with pytest.raises(TypeError, match="sg"):
        train_word2vec(toy_topics(10), min_count=1, sg="yes", progress=False)
    with pytest.raises(TypeError, match="sentences"):
        train_word2vec("just one string", progress=False)
    with pytest.raises(TypeError, match="token lists"):
        train_word2vec(["a b c", "d e f"], progress=False)
    with pytest.raises(TypeError, match="seed"):
        train_word2vec(toy_topics(10), min_count=1, seed="0", progress=False)
