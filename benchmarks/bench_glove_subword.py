"""GloVe and subword (fastText-style) vectors: ``embedkit`` vs gensim on the course corpus.

* ``train_subword`` vs gensim ``FastText``: same token lists, same hyper-parameters
  (skip-gram, 100 dims, window 5, min_count 5, 5 negatives, n = 3..6, 2 M buckets,
  5 epochs, linear decay from 0.025) and 2 worker threads each.
* ``train_glove``: gensim has no GloVe, so its reference is gensim ``Word2Vec`` skip-gram
  with the same data, dimension, ``min_count`` and worker threads (the usual baseline for
  GloVe; issue #15's target: GloVe's time <= 2x skip-gram's). GloVe runs with
  ``train_glove``'s defaults, which ``bench_glove_sweep`` chose on a validation split
  (window 15, x_max 10, alpha 0.75, learning rate 0.1, 15 epochs, all-but-the-top with
  2 directions removed), and 2 Hogwild threads.

Wall time counts everything from the token lists to finished vectors.

    python -m benchmarks --only glove_subword           # full corpus (long: tens of minutes)
    python -m benchmarks --only glove_subword --quick   # a 0.3 M-token slice, few epochs (< 1 min)
"""
from __future__ import annotations

import torch
from gensim.models import FastText, Word2Vec

from benchmarks.harness import Comparison, timed
from embedkit import WordVectors, train_glove, train_subword
from embedkit.datasets import load_corpus

WORKERS = 2


def _scores(case: str, ref: str, ours: WordVectors, theirs: WordVectors) -> list[Comparison]:
    rows = []
    for name in ("wordsim353", "simlex999"):
        a, b = ours.evaluate_word_pairs(name), theirs.evaluate_word_pairs(name)
        rows.append(Comparison(case, f"{name} Spearman ({a.n_used} pairs)", float(a), float(b), ref))
    a, b = ours.evaluate_analogies(), theirs.evaluate_analogies()
    rows.append(Comparison(case, f"analogy accuracy ({a.n_used} questions)", float(a), float(b), ref))
    return rows


def run(quick: bool = False) -> list[Comparison]:
    corpus = load_corpus("small", progress=False).head(300_000) if quick else load_corpus("full", progress=False)
    sentences = list(corpus)
    size = f"{corpus.n_tokens / 1e6:.1f} M tokens"
    torch.set_num_threads(1)   # worker threads, not intra-op threads (see bench_word2vec)
    rows: list[Comparison] = []

    # -- subword model vs gensim FastText -------------------------------------------------------
    epochs = 1 if quick else 5
    params = dict(window=5, min_count=5, negative=5, epochs=epochs, min_n=3, max_n=6,
                  bucket=200_000 if quick else 2_000_000, seed=0)
    ours_s, ours = timed(lambda: train_subword(sentences, dim=100, sg=True, workers=WORKERS,
                                               progress=False, **params), repeat=1)
    theirs_s, model = timed(lambda: FastText(sentences, vector_size=100, sg=1, workers=WORKERS,
                                             **params), repeat=1)
    theirs = WordVectors.from_gensim(model.wv)
    case = f"subword skip-gram d=100 n=3..6 ({size} x {epochs} epochs, {WORKERS} workers)"
    ref = "gensim FastText"
    n_words = corpus.n_tokens * epochs
    rows += [Comparison(case, "train s", ours_s, theirs_s, ref, higher_is_better=False, target="<= 1.5x"),
             Comparison(case, "words/s", n_words / ours_s, n_words / theirs_s, ref)]
    rows += _scores(case, ref, ours, theirs)

    # -- GloVe vs gensim Word2Vec (no GloVe in gensim) -----------------------------------------
    g_epochs = dict(epochs=5) if quick else {}         # full run: train_glove's own default
    ours_s, glove = timed(lambda: train_glove(corpus, dim=100, min_count=5, workers=WORKERS,
                                              progress=False, **g_epochs), repeat=1)
    g_epochs = len(glove.training_log.loss)
    w_epochs = 1 if quick else 5
    theirs_s, w2v = timed(lambda: Word2Vec(sentences, vector_size=100, window=5, min_count=5, negative=5,
                                           epochs=w_epochs, sg=1, seed=0, workers=WORKERS), repeat=1)
    case = (f"GloVe d=100 ({size} x {g_epochs} epochs, {WORKERS} Hogwild threads) vs skip-gram "
            f"({w_epochs} epochs, {WORKERS} workers)")
    ref = "gensim Word2Vec"
    rows.append(Comparison(case, "train s", ours_s, theirs_s, ref, higher_is_better=False, target="<= 2x"))
    rows += _scores(case, ref, glove, WordVectors.from_gensim(w2v.wv))
    return rows
