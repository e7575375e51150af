"""embedkit.text.subword: n-grams and hashing against fastText's definition and gensim, the
composed vectors by hand, the batched step against numpy, and training end to end."""
import numpy as np
import pytest
import torch
from gensim.models.fasttext import compute_ngrams, ft_hash_bytes, ft_ngram_hashes

from embedkit import SubwordVectors, char_ngrams, train_subword
from embedkit.text.subword import _SubwordTrainer, ngram_bucket, ngram_buckets

WORDS = ["where", "a", "cat", "nowhere", "café", "naïve", "日本語", "antidisestablishment"]


# -- tier 1: n-grams and hashing --------------------------------------------------------------
def test_char_ngrams_worked_examples():
    # fastText: "<" + word + ">", every n-gram of min_n..max_n characters, and "<where>"
    # itself standing for the word's own vector.
    assert char_ngrams("where", 3, 3) == ["<wh", "whe", "her", "ere", "re>", "<where>"]
    assert char_ngrams("where", 3, 3, whole_word=False) == ["<wh", "whe", "her", "ere", "re>"]
    assert char_ngrams("where", 6, 7) == ["<where", "where>", "<where>"]    # not listed twice
    assert char_ngrams("a", 3, 6) == ["<a>"]
    assert char_ngrams("a", 4, 6, whole_word=False) == []                  # "<a>" is too short
    grams = char_ngrams("where")                                          # default 3..6
    assert len(grams) == 5 + 4 + 3 + 2 + 1 and grams[-1] == "<where>"
    # the prefix "<wh" of "where" is not the "wh" inside "nowhere"
    assert "<wh" not in char_ngrams("nowhere", 3, 3) and "whe" in char_ngrams("nowhere", 3, 3)


@pytest.mark.parametrize("min_n,max_n", [(3, 6), (1, 3), (2, 5), (4, 4)])
def test_char_ngrams_match_gensim(min_n, max_n):
    for word in WORDS:
        assert char_ngrams(word, min_n, max_n, whole_word=False) == compute_ngrams(word, min_n, max_n)


def test_hash_is_fasttexts_fnv1a():
    # Textbook FNV-1a 32-bit test vectors (ASCII: no difference with fastText's variant).
    assert ngram_bucket("a", 2 ** 32) == 0xE40C292C
    assert ngram_bucket("foobar", 2 ** 32) == 0xBF9CF968
    # A direct implementation of fastText's Dictionary::hash: bytes go through int8_t.
    def fasttext_hash(s):
        h = 2166136261
        for byte in s.encode("utf-8"):
            h ^= (byte - 256 if byte > 127 else byte) & 0xFFFFFFFF
            h = (h * 16777619) & 0xFFFFFFFF
        return h
    grams = [g for w in WORDS for g in char_ngrams(w, 1, 6)]
    np.testing.assert_array_equal(ngram_buckets(grams, 2 ** 32), [fasttext_hash(g) for g in grams])
    np.testing.assert_array_equal(ngram_buckets(grams, 2 ** 32), [ft_hash_bytes(g.encode()) for g in grams])
    np.testing.assert_array_equal(ngram_buckets(grams, 1000), [ft_hash_bytes(g.encode()) % 1000 for g in grams])
    # The int8 cast matters for non-ASCII text: "é" hashes unlike textbook FNV-1a.
    textbook = 2166136261
    for byte in "é".encode():
        textbook = ((textbook ^ byte) * 16777619) & 0xFFFFFFFF
    assert ngram_bucket("é", 2 ** 32) != textbook


def test_word_buckets_match_gensim_ft_ngram_hashes():
    for word in WORDS:
        ours = ngram_buckets(char_ngrams(word, 3, 6, whole_word=False), 2_000_000)
        assert sorted(ours.tolist()) == sorted(ft_ngram_hashes(word, 3, 6, 2_000_000))


# -- tier 1: composed vectors -------------------------------------------------------------------
def tiny_vectors(bucket=50, d=4, seed=0):
    rng = np.random.default_rng(seed)
    words = ["cat", "cats", "dog"]
    used = np.unique(ngram_buckets([g for w in words for g in char_ngrams(w, 3, 4, whole_word=False)], bucket))
    sv = SubwordVectors(words, rng.normal(size=(3, d)), rng.normal(size=(len(used), d)), used,
                        min_n=3, max_n=4, bucket=bucket)
    return sv, dict(zip(used.tolist(), sv.ngram_vectors)), rng


def test_in_vocabulary_vector_is_mean_of_word_and_ngram_rows():
    sv, table, _ = tiny_vectors()
    for i, w in enumerate(sv.words):
        rows = [table[ngram_bucket(g, 50)] for g in char_ngrams(w, 3, 4, whole_word=False)]
        np.testing.assert_allclose(sv[w], (sv.word_vectors[i] + np.sum(rows, 0)) / (1 + len(rows)), rtol=1e-5)


def test_oov_vector_is_mean_of_its_ngram_vectors():
    sv, table, _ = tiny_vectors(bucket=10_000)
    word = "cog"                       # shares "<co"? no: "og>" with dog; "<cog", "cog>" unseen
    grams = char_ngrams(word, 3, 4, whole_word=False)
    rows = [table.get(ngram_bucket(g, 10_000), np.zeros(4)) for g in grams]   # unseen -> 0
    assert "cog" not in sv and sv.has_vector("cog")
    np.testing.assert_allclose(sv["cog"], np.mean(rows, 0), rtol=1e-5)
    assert sv[["cat", "cog"]].shape == (2, 4)
    with pytest.raises(KeyError, match="none of its character n-grams"):
        sv["xyz"]
    assert not sv.has_vector("xyz")


def test_most_similar_and_similarity_accept_oov_words():
    sv, _, _ = tiny_vectors(bucket=10_000)
    got = sv.most_similar("cog", topn=3)
    q = sv["cog"] / np.linalg.norm(sv["cog"])
    ref = sorted(((float(sv.unit_vectors[i] @ q), w) for i, w in enumerate(sv.words)), reverse=True)
    assert [w for w, _ in got] == [w for _, w in ref]
    assert "cat" not in [w for w, _ in sv.most_similar("cat", topn=5)]
    a, b = sv["cog"], sv["cat"]
    assert sv.similarity("cog", "cat") == pytest.approx(a @ b / np.linalg.norm(a) / np.linalg.norm(b), rel=1e-5)


# -- tier 1: the training step against numpy ------------------------------------------------------
@pytest.mark.parametrize("compiled", [True, False], ids=["numba loops", "torch embedding_bag"])
def test_subword_step_equals_numpy_reference(compiled):
    """Skip-gram step with composed inputs: u = mean of the word's rows; each row gets the
    full update sum_j g_j v_j (fastText's rule); output rows get g_j u. Both ways of
    composing (the CPU's compiled loops, the padded torch table used on CUDA) agree with it;
    word 4 lists n-gram row 9 twice (a repeated n-gram or a hash collision counts twice)."""
    rng = np.random.default_rng(0)
    V, m, d = 5, 6, 4
    zero = V + m
    W_in = np.vstack([rng.normal(size=(V + m, d)) * 0.5, np.zeros((1, d))]).astype(np.float32)
    W_out = (rng.normal(size=(V, d)) * 0.5).astype(np.float32)
    sub = {0: [0, 5, 6], 1: [1, 6], 2: [2], 3: [3, 7, 8], 4: [4, 9, 10, 9]}
    row_start = np.cumsum([0] + [len(sub[w]) for w in range(V)])
    rows = np.concatenate([sub[w] for w in range(V)])
    ctx = np.array([[1, 2, V, 3], [0, 1, 1, 4]])               # V is the padding id
    out = np.array([[0, 4, 2], [3, 2, 0]])
    weight = np.ones((2, 3), np.float32)
    t_in, t_out = torch.tensor(W_in), torch.tensor(W_out)
    trainer = _SubwordTrainer(t_in, t_out, True, 2, 4, 3, row_start, rows, V, compiled=compiled)
    for _ in range(2):    # twice: the compiled loops must leave their scratch ready
        trainer.step(torch.tensor(ctx), torch.tensor(out), torch.tensor(weight), 0.1, False)
        W_in, W_out = expected_step(W_in, W_out, sub, ctx, out, V)
        np.testing.assert_allclose(t_in.numpy(), W_in, atol=1e-5)
        np.testing.assert_allclose(t_out.numpy(), W_out, atol=1e-5)
    assert not t_in[zero].any()                                  # the padding row stays zero


def expected_step(W_in, W_out, sub, ctx, out, V, lr=0.1):
    """One skip-gram batch step with composed inputs, in float64 numpy (all reads first)."""
    d = W_in.shape[1]
    sig = lambda x: 1 / (1 + np.exp(-x))
    d_in, d_out = np.zeros_like(W_in, dtype=np.float64), np.zeros_like(W_out, dtype=np.float64)
    for b in range(len(ctx)):
        for c in ctx[b]:
            if c == V:
                continue
            u = W_in[sub[c]].astype(np.float64).mean(0)
            grad_u = np.zeros(d)
            for j, o in enumerate(out[b]):
                g = ((j == 0) - sig(u @ W_out[o])) * lr
                grad_u += g * W_out[o]
                d_out[o] += g * u
            for r in sub[c]:
                d_in[r] += grad_u
    return (W_in + d_in).astype(np.float32), (W_out + d_out).astype(np.float32)


# -- tier 2 and 3: training ---------------------------------------------------------------------
def morph_corpus(n=600, seed=0):
    """Two topics whose words share stems: 'walk/walks/walking' vs 'swim/swims/swimming'."""
    rng = np.random.default_rng(seed)
    topics = [["walk", "walks", "walked", "walking", "road", "shoes", "street"],
              ["swim", "swims", "swam", "swimming", "water", "pool", "lake"]]
    return [list(rng.choice(topics[i % 2], size=10)) for i in range(n)]


def test_train_subword_end_to_end():
    sents = morph_corpus()
    sv = train_subword(sents, dim=16, window=3, min_count=1, epochs=5, bucket=5000,
                       progress=False, seed=1)
    assert isinstance(sv, SubwordVectors) and len(sv) == 14
    assert sv.training_log.loss[-1] < sv.training_log.loss[0]
    # topics are learned for vocabulary words ...
    swim_topic = {"swim", "swims", "swam", "swimming", "water", "pool", "lake"}
    assert all(w in swim_topic for w, _ in sv.most_similar("pool", topn=3))
    # ... and an unseen inflection lands in its stem's topic through shared n-grams.
    top = [w for w, _ in sv.most_similar("swimmer", topn=3)]
    assert "swim" in top or "swimming" in top or "swims" in top
    again = train_subword(sents, dim=16, window=3, min_count=1, epochs=5, bucket=5000,
                          progress=False, seed=1)
    np.testing.assert_array_equal(sv.vectors, again.vectors)


def test_same_geometry_as_gensim_fasttext_on_a_slice():
    """Same slice, same hyper-parameters: the two models rank word pairs alike.

    Benchmark scores on 0.1 M tokens are noise (about 110 scorable pairs), so compare the
    geometry instead: Spearman correlation of the cosines of all pairs of 400 frequent
    words. Measured: 0.78 against gensim (gensim vs itself with another seed: 0.88;
    plain word2vec vs gensim FastText: 0.21, the n-grams dominate on so little text).
    """
    from gensim.models import FastText
    from scipy.stats import spearmanr

    from embedkit import WordVectors
    from embedkit.datasets import load_corpus

    corpus = load_corpus("small", progress=False).head(120_000)
    params = dict(window=5, min_count=5, negative=5, epochs=2, min_n=3, max_n=6, bucket=100_000)
    ours = train_subword(corpus, dim=32, progress=False, seed=0, **params)
    theirs = WordVectors.from_gensim(FastText(list(corpus), vector_size=32, sg=1, workers=1, seed=0,
                                              **params).wv)
    assert sorted(ours.words) == sorted(theirs.words)     # ties may be ordered differently
    words = ours.words[50:450]

    def cosines(wv):
        U = wv.unit_vectors[[wv.index[w] for w in words]]
        return (U @ U.T)[np.triu_indices(len(words), 1)]

    assert spearmanr(cosines(ours), cosines(theirs)).statistic > 0.65


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("call,exc,match", [
    (lambda: char_ngrams(""), ValueError, "non-empty"),
    (lambda: char_ngrams(5), TypeError, "word must be a str"),
    (lambda: char_ngrams("cat", 4, 3), ValueError, "max_n must be >= min_n"),
    (lambda: char_ngrams("cat", 0, 3), ValueError, "min_n"),
    (lambda: ngram_bucket("cat", 0), ValueError, "bucket"),
    (lambda: ngram_buckets("cat"), TypeError, "list of str"),
    (lambda: train_subword("some text"), TypeError, "sentences"),
    (lambda: train_subword(morph_corpus(10), sg="yes", progress=False), TypeError, "sg"),
    (lambda: train_subword(morph_corpus(10), min_count=1, bucket=0, progress=False), ValueError, "bucket"),
    (lambda: train_subword(morph_corpus(10), min_count=1000, progress=False), ValueError, "min_count"),
])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_subword_vectors_bad_construction():
    with pytest.raises(ValueError, match="ngram_ids"):
        SubwordVectors(["a"], np.ones((1, 2)), np.ones((2, 2)), [1], bucket=10)
    with pytest.raises(ValueError, match="distinct"):
        SubwordVectors(["a"], np.ones((1, 2)), np.ones((2, 2)), [1, 1], bucket=10)
    with pytest.raises(ValueError, match="same length"):
        SubwordVectors(["a", "b"], np.ones((1, 2)), np.ones((1, 2)), [1], bucket=10)


def test_save_load_keeps_the_ngram_rows(tmp_path):
    """SubwordVectors.load rebuilds unseen-word vectors exactly; WordVectors.load of the same
    file gives the composed vocabulary vectors; a plain WordVectors file is refused."""
    import embedkit as ek

    sents = [["apple", "apples", "banana", "bananas", "cherry"] * 4] * 20
    sv = ek.train_subword(sents, dim=8, min_count=1, epochs=1, min_n=3, max_n=4, bucket=5000,
                          progress=False)
    sv.save(tmp_path / "sv.npz")
    back = ek.SubwordVectors.load(tmp_path / "sv.npz")
    assert back.words == sv.words and (back.min_n, back.max_n, back.bucket) == (3, 4, 5000)
    np.testing.assert_array_equal(back["applesauce"], sv["applesauce"])    # an unseen word
    plain = ek.WordVectors.load(tmp_path / "sv.npz")
    assert type(plain) is ek.WordVectors
    np.testing.assert_array_equal(plain.vectors, sv.vectors)
    plain.save(tmp_path / "wv.npz")
    with pytest.raises(ek.SavedFileError, match="holds WordVectors, not SubwordVectors"):
        ek.SubwordVectors.load(tmp_path / "wv.npz")
