"""word2vec: ``embedkit.train_word2vec`` vs gensim ``Word2Vec`` on the course corpus.

Same data (the same list of token lists), same hyper-parameters (skip-gram, 100 dims,
window 5, min_count 5, 5 negatives, sample 1e-3, 5 epochs, linear decay from 0.025) and
2 worker threads each. Wall time counts everything from the token lists to finished
vectors (vocabulary, encoding, training) for both libraries.

    python -m benchmarks --only word2vec           # full corpus (~8.5 M tokens; minutes)
    python -m benchmarks --only word2vec --quick   # the 1 M-token slice, 1 epoch
"""
from __future__ import annotations

import torch
from gensim.models import Word2Vec

from benchmarks.harness import Comparison, timed
from embedkit import WordVectors, train_word2vec
from embedkit.datasets import load_corpus

WORKERS = 2


def run(quick: bool = False) -> list[Comparison]:
    corpus = load_corpus("small" if quick else "full", progress=False)
    sentences = list(corpus)
    epochs = 1 if quick else 5
    params = dict(window=5, min_count=5, negative=5, epochs=epochs, sg=True, seed=0)
    # Worker threads, not torch's intra-op threads: on a small shared CPU, OpenMP threads
    # inside each tiny operation cost more than they bring.
    torch.set_num_threads(1)
    ours_s, ours = timed(lambda: train_word2vec(sentences, dim=100, workers=WORKERS,
                                                progress=False, **params), repeat=1)
    theirs_s, model = timed(lambda: Word2Vec(sentences, vector_size=100, workers=WORKERS,
                                             **params), repeat=1)
    theirs = WordVectors.from_gensim(model.wv)
    n_words = corpus.n_tokens * epochs
    case = (f"skip-gram d=100 {'1M-token slice' if quick else 'full corpus'} "
            f"({corpus.n_tokens / 1e6:.1f} M tokens x {epochs} epochs, {WORKERS} workers)")
    ref = "gensim Word2Vec"
    rows = [
        Comparison(case, "train s", ours_s, theirs_s, ref, higher_is_better=False, target="<= 2x"),
        Comparison(case, "words/s", n_words / ours_s, n_words / theirs_s, ref),
    ]
    for name in ("wordsim353", "simlex999"):
        a, b = ours.evaluate_word_pairs(name), theirs.evaluate_word_pairs(name)
        rows.append(Comparison(case, f"{name} Spearman ({a.n_used} pairs)", float(a), float(b), ref,
                               target="within 0.02" if name == "wordsim353" else ""))
    a, b = ours.evaluate_analogies(), theirs.evaluate_analogies()
    rows.append(Comparison(case, f"analogy accuracy ({a.n_used} questions)", float(a), float(b), ref))
    return rows
