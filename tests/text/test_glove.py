"""embedkit.text.glove: f(x), the loss and its gradients against direct formulas and torch
autograd, the AdaGrad pass against a per-cell reference, and training end to end."""
import numpy as np
import pytest
import scipy.sparse as sp
import torch

from embedkit import Vocabulary, WordVectors, cooccurrence_matrix, train_glove
from embedkit.text.postprocess import all_but_the_top
from embedkit.text.glove import fit_glove, glove_loss_and_grads, glove_weight


def toy_problem(V=6, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 40, size=(V, V)).astype(np.float64)
    X[rng.random((V, V)) < 0.3] = 0.0                  # some empty cells
    X = X + X.T                                         # symmetric, like real counts
    W, C = rng.normal(size=(V, d)), rng.normal(size=(V, d))
    bw, bc = rng.normal(size=V), rng.normal(size=V)
    return X, W, C, bw, bc


def toy_topics(n_sentences=300, seed=0):
    rng = np.random.default_rng(seed)
    topics = [[f"a{i}" for i in range(8)], [f"b{i}" for i in range(8)]]
    return [list(rng.choice(topics[i % 2], size=12)) for i in range(n_sentences)]


# -- tier 1: the pieces, against direct formulas -----------------------------------------------
def test_weight_by_hand():
    x = np.array([0.0, 1.0, 10.0, 100.0, 250.0])
    expected = [0.0, 0.01 ** 0.75, 0.1 ** 0.75, 1.0, 1.0]
    np.testing.assert_allclose(glove_weight(x, 100.0, 0.75), expected)
    np.testing.assert_allclose(glove_weight(x, 10.0, 1.0), [0.0, 0.1, 1.0, 1.0, 1.0])


def test_loss_and_grads_equal_a_direct_loop():
    X, W, C, bw, bc = toy_problem()
    rows, cols = np.nonzero(X)
    loss, dW, dC, dbw, dbc = glove_loss_and_grads(W, C, bw, bc, rows, cols, X[rows, cols], 20.0, 0.75)
    # The objective written cell by cell, as in the paper, and its derivative.
    ref_loss, rW, rC, rbw, rbc = 0.0, np.zeros_like(W), np.zeros_like(C), np.zeros(6), np.zeros(6)
    for i in range(6):
        for j in range(6):
            if X[i, j] == 0:
                continue
            f = min(1.0, (X[i, j] / 20.0) ** 0.75)
            r = W[i] @ C[j] + bw[i] + bc[j] - np.log(X[i, j])
            ref_loss += f * r * r
            rW[i] += 2 * f * r * C[j]
            rC[j] += 2 * f * r * W[i]
            rbw[i] += 2 * f * r
            rbc[j] += 2 * f * r
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for got, ref in [(dW, rW), (dC, rC), (dbw, rbw), (dbc, rbc)]:
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_grads_equal_torch_autograd_and_finite_differences():
    X, W, C, bw, bc = toy_problem(seed=1)
    rows, cols = np.nonzero(X)
    counts = X[rows, cols]
    _, dW, dC, dbw, dbc = glove_loss_and_grads(W, C, bw, bc, rows, cols, counts)
    params = [torch.tensor(a, requires_grad=True) for a in (W, C, bw, bc)]
    tW, tC, tbw, tbc = params
    r_, c_ = torch.tensor(rows), torch.tensor(cols)
    pred = (tW[r_] * tC[c_]).sum(1) + tbw[r_] + tbc[c_]
    f = torch.clamp(torch.tensor(counts) / 100.0, max=1.0) ** 0.75
    (f * (pred - torch.log(torch.tensor(counts))) ** 2).sum().backward()
    for got, p in zip((dW, dC, dbw, dbc), params):
        np.testing.assert_allclose(got, p.grad.numpy(), rtol=1e-10, atol=1e-12)
    # and one coordinate by central differences
    eps, Wp, Wm = 1e-6, W.copy(), W.copy()
    Wp[2, 1] += eps
    Wm[2, 1] -= eps
    lp = glove_loss_and_grads(Wp, C, bw, bc, rows, cols, counts)[0]
    lm = glove_loss_and_grads(Wm, C, bw, bc, rows, cols, counts)[0]
    assert (lp - lm) / (2 * eps) == pytest.approx(dW[2, 1], rel=1e-6)


def test_one_epoch_equals_per_cell_adagrad_reference():
    """fit_glove's compiled pass == glove.c's update written out in numpy, cell by cell."""
    X, *_ = toy_problem(V=5, d=2, seed=2)
    d, lr, seed = 4, 0.05, 7
    params = fit_glove(X, dim=d, epochs=1, x_max=30.0, learning_rate=lr, seed=seed, progress=False)
    rng = np.random.default_rng(seed)
    init = lambda *shape: ((rng.random(shape, dtype=np.float32) - 0.5) / d).astype(np.float64)
    W, C, bw, bc = init(5, d), init(5, d), init(5), init(5)
    GW, GC, Gbw, Gbc = np.ones((5, d)), np.ones((5, d)), np.ones(5), np.ones(5)
    coo = sp.coo_matrix(X)
    order = rng.permutation(coo.nnz)
    loss = 0.0
    for k in order:
        i, j, x = coo.row[k], coo.col[k], coo.data[k]
        f = min(1.0, (x / 30.0) ** 0.75)
        r = W[i] @ C[j] + bw[i] + bc[j] - np.log(x)
        loss += f * r * r
        gw, gc, gb = f * r * C[j], f * r * W[i], f * r     # glove.c: gradient of J / 2
        W[i] -= lr * gw / np.sqrt(GW[i])
        C[j] -= lr * gc / np.sqrt(GC[j])
        bw[i] -= lr * gb / np.sqrt(Gbw[i])
        bc[j] -= lr * gb / np.sqrt(Gbc[j])
        GW[i] += gw ** 2
        GC[j] += gc ** 2
        Gbw[i] += gb ** 2
        Gbc[j] += gb ** 2
    np.testing.assert_allclose(params.W, W, atol=1e-5)
    np.testing.assert_allclose(params.C, C, atol=1e-5)
    np.testing.assert_allclose(params.bw, bw, atol=1e-5)
    assert params.losses[0] == pytest.approx(loss / coo.nnz, rel=1e-4)


# -- tier 2: invariants -------------------------------------------------------------------------
def test_fit_recovers_an_exactly_low_rank_log_matrix():
    """If log X really is w.c + b + b~ (rank 2), the fit drives the weighted error to ~0."""
    rng = np.random.default_rng(0)
    V = 30
    A, B = rng.normal(size=(V, 2)), rng.normal(size=(V, 2))
    X = np.exp(A @ B.T + 2.0)
    params = fit_glove(X, dim=2, epochs=300, x_max=10.0, learning_rate=0.1, seed=0, progress=False)
    assert params.losses[-1] < 0.02 * params.losses[0]
    rows, cols = np.nonzero(X)
    pred = params.predict_log_counts(rows, cols)
    assert np.corrcoef(pred, np.log(X[rows, cols]))[0, 1] > 0.99


def test_train_glove_end_to_end_on_two_topics():
    sentences = toy_topics()
    wv = train_glove(sentences, dim=10, window=3, min_count=1, epochs=30, x_max=10.0, progress=False)
    assert isinstance(wv, WordVectors) and len(wv) == 16
    vocab = Vocabulary.from_sentences(sentences)
    assert wv.words == vocab.words
    np.testing.assert_array_equal(wv.counts, vocab.counts)
    # The fitted matrix is the harmonic-weighted co-occurrence matrix, and W + C is returned,
    # post-processed by all-but-the-top (2 directions by default) unless told not to.
    X = cooccurrence_matrix(sentences, vocab, window=3, weighting="harmonic")
    assert abs(wv.cooccurrence - X).max() == 0
    np.testing.assert_allclose(wv.vectors, all_but_the_top(wv.glove.W + wv.glove.C, 2), atol=1e-6)
    raw = train_glove(sentences, dim=10, window=3, min_count=1, epochs=30, x_max=10.0,
                      remove_components=None, progress=False)
    np.testing.assert_allclose(raw.vectors, raw.glove.W + raw.glove.C, rtol=1e-6)
    log = wv.training_log
    assert len(log.loss) == 30 and log.loss[-1] < log.loss[0]
    # Words of one topic co-occur with each other only: neighbours stay inside the topic.
    # (In the raw W + C: with two topics the top principal direction *is* the topic, and
    # all-but-the-top, made for real vocabularies whose top directions carry frequency,
    # would remove it.)
    for word in ("a0", "b3"):
        assert all(w[0] == word[0] for w, _ in raw.most_similar(word, topn=5))


def test_same_seed_same_vectors_and_generator_input():
    sentences = toy_topics(100)
    a = train_glove(sentences, dim=5, min_count=1, epochs=3, progress=False, seed=3)
    b = train_glove(iter(sentences), dim=5, min_count=1, epochs=3, progress=False,
                    seed=np.random.default_rng(3))
    np.testing.assert_array_equal(a.vectors, b.vectors)
    c = train_glove(sentences, dim=5, min_count=1, epochs=3, progress=False, seed=4)
    assert not np.array_equal(a.vectors, c.vectors)


def test_learned_scores_track_log_counts_on_a_corpus_slice():
    """On real text the fit is far from exact, but w.c + b + b~ follows log X closely."""
    from embedkit.datasets import load_corpus

    corpus = load_corpus("small", progress=False).head(60_000)
    wv = train_glove(corpus, dim=30, window=5, min_count=5, epochs=10, x_max=10.0, progress=False)
    X = wv.cooccurrence.tocoo()
    pred = wv.glove.predict_log_counts(X.row, X.col)
    frequent = X.data >= 5
    assert np.corrcoef(pred[frequent], np.log(X.data[frequent]))[0, 1] > 0.8


def test_hogwild_threads_fit_as_well_as_one_thread():
    """workers=2 splits each epoch's shuffled cells between two lock-free threads (Hogwild):
    not bit-identical to the serial fit, but the same objective to within a few percent,
    the same log-count fit, and every epoch's callback sees the vectors."""
    from embedkit.datasets import load_corpus

    corpus = load_corpus("small", progress=False).head(60_000)
    vocab = Vocabulary.from_sentences(corpus, min_count=5)
    X = cooccurrence_matrix(corpus, vocab, window=5, weighting="harmonic")
    seen = []
    one = fit_glove(X, dim=30, epochs=8, x_max=10.0, seed=0, progress=False)
    two = fit_glove(X, dim=30, epochs=8, x_max=10.0, seed=0, workers=2, progress=False,
                    on_epoch=lambda epoch, vectors: seen.append((epoch, vectors.shape)))
    assert seen == [(e, (len(vocab), 30)) for e in range(1, 9)]
    assert two.losses[-1] == pytest.approx(one.losses[-1], rel=0.05)
    assert two.losses[-1] < 0.7 * two.losses[0]
    Xc = X.tocoo()
    frequent = Xc.data >= 5
    for params in (one, two):
        pred = params.predict_log_counts(Xc.row[frequent], Xc.col[frequent])
        assert np.corrcoef(pred, np.log(Xc.data[frequent]))[0, 1] > 0.8
    with pytest.raises(ValueError, match="workers"):
        fit_glove(X, workers=0, progress=False)


# -- bad input ----------------------------------------------------------------------------------
def test_bad_inputs():
    with pytest.raises(TypeError, match="sentences"):
        train_glove("the cat sat")
    with pytest.raises(ValueError, match="min_count"):
        train_glove(toy_topics(5), min_count=1000, progress=False)
    with pytest.raises(ValueError, match="x_max"):
        train_glove(toy_topics(20), min_count=1, x_max=0.0, progress=False)
    with pytest.raises(ValueError, match="learning_rate"):
        train_glove(toy_topics(20), min_count=1, learning_rate=-1.0, progress=False)
    with pytest.raises(TypeError, match="epochs"):
        train_glove(toy_topics(20), min_count=1, epochs=2.5, progress=False)
    with pytest.raises(ValueError, match="non-negative"):
        glove_weight([1.0, -2.0])
    with pytest.raises(ValueError, match="square"):
        fit_glove(np.ones((3, 4)), progress=False)
    with pytest.raises(ValueError, match="no positive cell"):
        fit_glove(np.zeros((3, 3)), progress=False)
    X, W, C, bw, bc = toy_problem()
    with pytest.raises(ValueError, match="same shape"):
        glove_loss_and_grads(W, C[:, :2], bw, bc, [0], [1], [1.0])
    with pytest.raises(ValueError, match="positive"):
        glove_loss_and_grads(W, C, bw, bc, [0], [1], [0.0])
    with pytest.raises(ValueError, match="ids in"):
        glove_loss_and_grads(W, C, bw, bc, [0], [99], [1.0])
