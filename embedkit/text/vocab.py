"""The vocabulary: words <-> integer ids, their counts, and the two word2vec distributions.

Models never see strings: each word gets an id (0 for the most frequent word), and an
embedding is just row ``id`` of a matrix. The vocabulary also owns the two frequency-
derived distributions of word2vec:

* **subsampling** (``keep_probabilities``): frequent words such as "the" are dropped at
  random from the training stream, which speeds training up and gives rarer words more
  weight;
* **noise distribution** (``noise_distribution`` / ``noise_table``): negative samples are
  drawn with probability proportional to ``count ** 0.75``, flatter than the raw
  frequencies, so rare words get drawn as negatives more often than their share.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Mapping, Sequence

import numpy as np

from .._validation import as_generator, check_choice, check_counts, check_int, check_number, check_words

__all__ = ["Vocabulary"]


def _is_corpus(obj) -> bool:
    """Duck-typed check for :class:`embedkit.datasets.text.Corpus` (no import cycle)."""
    return all(hasattr(obj, a) for a in ("ids", "offsets", "words", "counts"))


def _check_sentences(sentences) -> None:
    if isinstance(sentences, (str, bytes)):
        raise TypeError("sentences must be an iterable of token lists, got a str; "
                        "tokenise first, e.g. [embedkit.tokenize(text)]")
    if not hasattr(sentences, "__iter__"):
        raise TypeError(f"sentences must be an iterable of token lists, got {type(sentences).__name__}")


class Vocabulary:
    """Words sorted by descending count, with ids ``0 .. len(vocab) - 1``.

    Build one with :meth:`from_sentences` (an iterable of token lists) or
    :meth:`from_counts`; both drop words seen fewer than ``min_count`` times.

    Attributes:
        words: ``list[str]``, ``words[i]`` is the word with id ``i``.
        counts: ``(V,)`` int64, the corpus frequency of each word.
        index: ``dict[str, int]``, word -> id.
    """

    def __init__(self, words: Sequence[str], counts):
        words = check_words(words, "words", allow_empty=True)
        counts = check_counts(counts, "counts")
        if counts.ndim != 1 or len(words) != len(counts):
            raise ValueError(f"words and counts must have the same length, got {len(words)} "
                             f"words and counts of shape {counts.shape}")
        if len(words) == 0:
            raise ValueError("the vocabulary is empty: no word reached min_count "
                             "(is the corpus empty, or min_count too high?)")
        if np.any(counts <= 0):
            raise ValueError("counts must be positive")
        if len(set(words)) != len(words):
            raise ValueError("words must be unique")
        # Most frequent first (ties alphabetically): frequent words get small ids, which is
        # what restrict_vocab-style evaluation and the noise table assume.
        order = sorted(range(len(words)), key=lambda i: (-counts[i], words[i]))
        self.words = [words[i] for i in order]
        self.counts = counts[order]
        self.index = {w: i for i, w in enumerate(self.words)}

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_counts(cls, counts, *, min_count: int = 1, max_size: int | None = None) -> "Vocabulary":
        """From a ``{word: count}`` mapping; keeps words with ``count >= min_count``.

        ``max_size`` keeps only the most frequent words (ties broken alphabetically).
        """
        min_count = check_int(min_count, "min_count", minimum=1)
        if not isinstance(counts, Mapping):
            raise TypeError(f"counts must be a mapping {{word: count}} (e.g. a Counter), got "
                            f"{type(counts).__name__}")
        counts = dict(zip(check_words(list(counts), "counts' keys", allow_empty=True),
                          check_counts(list(counts.values()), "counts' values").tolist()))
        kept = {w: int(c) for w, c in counts.items() if c >= min_count}
        if max_size is not None:
            max_size = check_int(max_size, "max_size", minimum=1)
            kept = dict(sorted(kept.items(), key=lambda wc: (-wc[1], wc[0]))[:max_size])
        if not kept:
            total = sum(dict(counts).values())
            raise ValueError(
                f"the vocabulary is empty: no word occurs min_count={min_count} times "
                f"(the corpus has {total} tokens); pass more text or lower min_count"
            )
        return cls(list(kept), list(kept.values()))

    @classmethod
    def from_sentences(cls, sentences: Iterable[Sequence[str]], *, min_count: int = 1,
                       max_size: int | None = None) -> "Vocabulary":
        """Count the tokens of ``sentences`` (an iterable of token lists) and build one."""
        if _is_corpus(sentences):  # a tokenised embedkit Corpus: count with numpy
            counts = sentences.counts()
            seen = np.flatnonzero(counts)
            return cls.from_counts(dict(zip([sentences.words[i] for i in seen], counts[seen])),
                                   min_count=min_count, max_size=max_size)
        _check_sentences(sentences)
        counts: Counter = Counter()
        for i, sentence in enumerate(sentences):
            if isinstance(sentence, str):
                raise TypeError("sentences must be an iterable of token lists, got an iterable "
                                "of str; wrap each text as tokenize(text)")
            if sentence is None or not hasattr(sentence, "__iter__"):
                raise TypeError(f"sentences must be an iterable of token lists; sentence {i} is "
                                f"{type(sentence).__name__}")
            counts.update(sentence)
        bad = next((w for w in counts if not isinstance(w, str)), "")
        if bad != "":
            raise TypeError(f"sentences must hold str tokens, got {type(bad).__name__} {bad!r} "
                            "among the tokens (a None or number in a token list?)")
        return cls.from_counts(counts, min_count=min_count, max_size=max_size)

    # -- lookups -----------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> int:
        """The id of ``word``; ``KeyError`` naming the word if it is unknown."""
        try:
            return self.index[word]
        except KeyError:
            raise KeyError(f"word {word!r} is not in the vocabulary") from None

    def __iter__(self):
        return iter(self.words)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self):,} words, {self.total:,} tokens)"

    @property
    def total(self) -> int:
        """Number of corpus tokens covered by the vocabulary."""
        return int(self.counts.sum())

    def encode(self, tokens: Sequence[str], *, unknown: str = "drop") -> np.ndarray:
        """Token list -> ``(n,)`` int32 ids.

        ``unknown="drop"`` skips out-of-vocabulary tokens (as word2vec does);
        ``unknown="error"`` raises ``KeyError`` naming the first unknown token.
        """
        check_choice(unknown, "unknown", ("drop", "error"))
        if isinstance(tokens, str):
            raise TypeError("tokens must be a list of str tokens, got a str; use tokenize(text)")
        if unknown == "error":
            return np.array([self[t] for t in tokens], dtype=np.int32)
        get = self.index.get
        return np.array([i for i in map(get, tokens) if i is not None], dtype=np.int32)

    def encode_sentences(self, sentences) -> tuple[np.ndarray, np.ndarray]:
        """Encode a whole corpus: out-of-vocabulary tokens are dropped.

        Args:
            sentences: an iterable of token lists, or an embedkit ``Corpus``.
        Returns:
            ``ids: (n,)`` int32 and ``offsets: (n_sentences + 1,)`` int64, sentence ``s``
            being ``ids[offsets[s]:offsets[s + 1]]`` (possibly empty).
        """
        if _is_corpus(sentences):
            # Translate the corpus's word table once, then the token stream in one pass.
            lut = np.array([self.index.get(w, -1) for w in sentences.words], dtype=np.int32)
            mapped = lut[sentences.ids]
            kept = mapped >= 0
            cum = np.concatenate([[0], np.cumsum(kept, dtype=np.int64)])
            return mapped[kept], cum[sentences.offsets]
        _check_sentences(sentences)
        get, ids, lengths = self.index.get, [], []
        for sentence in sentences:
            if isinstance(sentence, str):
                raise TypeError("sentences must be an iterable of token lists, got an "
                                "iterable of str; wrap each text as tokenize(text)")
            encoded = [i for i in map(get, sentence) if i is not None]
            ids += encoded
            lengths.append(len(encoded))
        offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        return np.array(ids, dtype=np.int32), offsets

    def decode(self, ids) -> list[str]:
        """``(n,)`` ids -> list of words."""
        ids = np.asarray(ids)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer) and ids.size:
            raise ValueError(f"ids must be a 1-D integer array, got shape {ids.shape} dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"ids must lie in [0, {len(self) - 1}], got values in "
                             f"[{ids.min()}, {ids.max()}]")
        return [self.words[i] for i in ids.tolist()]

    # -- word2vec's distributions ------------------------------------------------------
    def frequencies(self) -> np.ndarray:
        """``(V,)`` float64 unigram probabilities ``count / total``."""
        return self.counts / self.counts.sum()

    def keep_probabilities(self, sample: float = 1e-3) -> np.ndarray:
        """``(V,)`` probability of *keeping* each occurrence of a word during training.

        word2vec.c and gensim use, with ``f`` the word's frequency and ``t = sample``,

            keep(w) = (sqrt(f / t) + 1) * t / f      (capped at 1),

        not the ``1 - sqrt(t / f)`` *discard* probability printed in the paper (Mikolov et
        al. 2013b): both leave rare words alone and thin out words with ``f >> t``, but
        the code keeps more (for f = 100 t: 0.11 vs 0.10; words with f < 2.6 t are
        always kept). ``sample=0`` disables subsampling.
        """
        sample = check_number(sample, "sample", minimum=0.0)
        if sample == 0:
            return np.ones(len(self))
        f = self.frequencies()
        return np.minimum(1.0, (np.sqrt(f / sample) + 1.0) * sample / f)

    def noise_distribution(self, power: float = 0.75) -> np.ndarray:
        """``(V,)`` negative-sampling distribution ``count**power / sum(count**power)``."""
        power = check_number(power, "power", minimum=0.0)
        weights = self.counts.astype(np.float64) ** power
        return weights / weights.sum()

    def noise_table(self, size: int = 10_000_000, power: float = 0.75) -> np.ndarray:
        """word2vec.c's lookup table: ``(size,)`` int32 ids, word ``i`` filling a share
        ``noise_distribution(power)[i]`` of the slots (at least one slot each).

        A uniform random slot of the table is a draw from the noise distribution, one
        array read instead of a binary search per negative sample.
        """
        size = check_int(size, "size", minimum=len(self))
        p = self.noise_distribution(power)
        # Largest-remainder rounding so the slots add up to exactly `size`.
        slots = np.maximum(1, np.floor(p * size).astype(np.int64))
        short = size - slots.sum()
        if short > 0:
            slots[np.argsort(-(p * size - np.floor(p * size)), kind="stable")[:short]] += 1
        elif short < 0:  # the at-least-one rule overshot: take back from the largest
            slots[np.argsort(-slots, kind="stable")[:-short]] -= 1
        return np.repeat(np.arange(len(self), dtype=np.int32), slots)

    def sample_negatives(self, shape, seed=None, power: float = 0.75) -> np.ndarray:
        """Draw ids from the noise distribution (``shape``: int or tuple)."""
        rng = as_generator(seed)
        return rng.choice(len(self), size=shape, p=self.noise_distribution(power)).astype(np.int32)
