"""The course's own word vectors, trained on the full corpus and shipped with the package.

Training word2vec, GloVe or the subword model on the full corpus (8.5 M tokens) takes
minutes per model on a laptop, too long for a lesson. ``make vectors``
(``tools/make_vectors.py``, every setting stated there) trains them once with embedkit's
own trainers and stores compact copies here, so lessons 03-07 can show what the methods
do at full scale:

* ``"word2vec-sg"``, ``"word2vec-cbow"``, ``"ppmi-svd"``, ``"glove"``: float16 vectors of
  the 20,000 most frequent words (:class:`~embedkit.text.word_vectors.WordVectors`);
* ``"subword"``: the subword model's own rows for the 8,000 most frequent words and every
  n-gram row those words use (:class:`~embedkit.text.subword.SubwordVectors`, so unseen
  and misspelt words get vectors from the same rows).

:func:`course_vectors_report` returns the scores of the full models (every word, float32)
beside gensim's and pretrained GloVe 6B's, as ``make vectors`` measured them, and the
scores of the shipped copies, which the tests check the loaded files against.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .._saved_files import SavedFileError, load_npz, save_npz
from .._validation import check_choice

__all__ = ["COURSE_VECTORS", "load_course_vectors", "course_vectors_report", "score_vectors"]

COURSE_VECTORS_DIR = Path(__file__).resolve().parent / "data" / "course_vectors"
COURSE_VECTORS = ("word2vec-sg", "word2vec-cbow", "ppmi-svd", "glove", "subword")
SHIPPED_WORDS = 20_000            # whole-word models: this many most frequent words
SHIPPED_SUBWORD_WORDS = 8_000     # subword model: own rows of this many, plus their n-gram rows
ANALOGY_VOCAB = 30_000            # analogy search space, as is customary
_FORMAT = "embedkit-course-vectors"


def _encode_words(words) -> np.ndarray:
    """The words as one UTF-8 byte array, newline-separated: a numpy ``str`` array would
    pad every word to the longest one, 4 bytes per character (1.4 MB for 20,000 words)."""
    return np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)


def _decode_words(arr: np.ndarray) -> list:
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise ValueError(f"words must be a 1-D uint8 array of UTF-8 text, got {arr.dtype} {arr.shape}")
    return arr.tobytes().decode("utf-8").split("\n")


def save_course_vectors(wv, path, *, name: str) -> None:
    """Store a capped float16 copy of ``wv`` (used by ``make vectors`` only)."""
    from ..text.subword import SubwordVectors, char_ngrams, ngram_buckets

    if isinstance(wv, SubwordVectors):
        n = min(SHIPPED_SUBWORD_WORDS, len(wv))
        words = wv.words[:n]
        grams = [g for w in words for g in char_ngrams(w, wv.min_n, wv.max_n, whole_word=False)]
        keep = np.isin(wv.ngram_ids, ngram_buckets(grams, wv.bucket))
        arrays = dict(words=_encode_words(words), word_vectors=wv.word_vectors[:n].astype(np.float16),
                      ngram_vectors=wv.ngram_vectors[keep].astype(np.float16),
                      ngram_ids=wv.ngram_ids[keep])
        params = dict(name=name, kind="subword", min_n=wv.min_n, max_n=wv.max_n, bucket=wv.bucket)
    else:
        n = min(SHIPPED_WORDS, len(wv))
        arrays = dict(words=_encode_words(wv.words[:n]), vectors=wv.vectors[:n].astype(np.float16))
        params = dict(name=name, kind="words")
    if wv.counts is not None:
        arrays["counts"] = np.asarray(wv.counts[:n], dtype=np.int64)
    save_npz(path, format=_FORMAT, cls=type(wv).__name__, version=1, params=params, arrays=arrays)


def load_course_vectors(name: str, *, folder=None):
    """The course's shipped full-corpus vectors ``name`` (see the module docstring).

    Args:
        name: one of ``COURSE_VECTORS``: ``"word2vec-sg"``, ``"word2vec-cbow"``,
            ``"ppmi-svd"``, ``"glove"`` or ``"subword"``.
        folder: where the files are (default: the package's own copy; ``make vectors``
            rewrites it).

    Returns:
        :class:`~embedkit.text.word_vectors.WordVectors` (float32, most frequent words
        first), or :class:`~embedkit.text.subword.SubwordVectors` for ``"subword"``.

    Raises:
        FileNotFoundError: the file is missing (``make vectors`` writes it).
        SavedFileError: the file is damaged or not a course-vectors file.
    """
    from ..text.subword import SubwordVectors
    from ..text.word_vectors import WordVectors

    check_choice(name, "name", COURSE_VECTORS)
    path = Path(COURSE_VECTORS_DIR if folder is None else folder) / f"{name}.npz"
    if not path.exists():
        raise FileNotFoundError(f"the course vectors {name!r} are not at {path}; `make vectors` "
                                f"trains and writes them (about 20 minutes)")
    header, arrays = load_npz(path, format=_FORMAT, what="embedkit course-vectors",
                              saved_by="make vectors")
    params = header.get("params", {})
    try:
        words = _decode_words(arrays["words"])
        counts = arrays.get("counts")
        if params.get("kind") == "subword":
            return SubwordVectors(words, arrays["word_vectors"].astype(np.float32),
                                  arrays["ngram_vectors"].astype(np.float32), arrays["ngram_ids"],
                                  min_n=params["min_n"], max_n=params["max_n"], bucket=params["bucket"],
                                  counts=counts)
        return WordVectors(words, arrays["vectors"].astype(np.float32), counts=counts)
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as error:
        raise SavedFileError(f"{str(path)!r} is not a consistent course-vectors file: {error}") from error


def course_vectors_report(*, folder=None) -> dict:
    """What ``make vectors`` measured: ``report["full"][model]`` (every word, float32:
    the course models, gensim Word2Vec/FastText, GloVe 6B) and ``report["shipped_scores"]``
    (the capped float16 copies), each a dict with ``wordsim353``, ``simlex999``,
    ``analogies`` (and ``*_coverage``), ``analogies_common``, ``train_seconds``, ``settings``.
    """
    path = Path(COURSE_VECTORS_DIR if folder is None else folder) / "report.json"
    if not path.exists():
        raise FileNotFoundError(f"no course-vectors report at {path}; `make vectors` writes it")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SavedFileError(f"{str(path)!r} is damaged (not JSON: {error}); rerun `make vectors`") from error


def score_vectors(models: dict) -> dict:
    """Score each of ``models`` (name -> WordVectors) on WordSim-353, SimLex-999 and the
    Google analogies (3CosAdd over each model's ``ANALOGY_VOCAB`` most frequent words),
    with coverage, and on the analogy questions that every model covers
    (``analogies_common``, a like-for-like comparison)."""
    from .._data_files import load_analogies

    questions = load_analogies()
    common = [q for q in questions
              if all(all(wv.index.get(w, ANALOGY_VOCAB) < ANALOGY_VOCAB for w in q[1:]) for wv in models.values())]
    out = {}
    for name, wv in models.items():
        ws, sl = wv.evaluate_word_pairs("wordsim353"), wv.evaluate_word_pairs("simlex999")
        an = wv.evaluate_analogies(restrict_vocab=ANALOGY_VOCAB)
        an_common = wv.evaluate_analogies(common, restrict_vocab=ANALOGY_VOCAB) if common else float("nan")
        out[name] = dict(wordsim353=float(ws), wordsim353_coverage=ws.coverage,
                         simlex999=float(sl), simlex999_coverage=sl.coverage,
                         analogies=float(an), analogy_coverage=an.coverage,
                         analogies_common=float(an_common), common_questions=len(common))
    return out
