"""Byte-pair encoding (BPE): a subword vocabulary learnt by merging the most frequent pair.

Sennrich, Haddow & Birch (2016) borrowed a compression algorithm for open vocabularies:
start from single symbols, count every pair of adjacent symbols in the training text,
replace the most frequent pair by a new symbol, and repeat until the vocabulary has the
size you asked for. Each merge is remembered, in order; encoding a new text replays the
merges. Frequent words end up as one symbol, rare words as a few frequent pieces, and no
string is ever out of vocabulary.

This is the **byte-level** variant of GPT-2 (Radford et al. 2019), which the ``tokenizers``
library also implements:

* the base symbols are the 256 byte values of UTF-8, so any text, in any script, can be
  encoded and ``decode(encode(text)) == text`` exactly;
* the text is first cut into *pre-tokens* by a regular expression (contractions, runs of
  letters, runs of digits, runs of other symbols, white space, each with at most one
  leading space), and merges never cross a pre-token boundary: " the" can become one
  symbol, "e t" cannot;
* training counts each distinct pre-token once, weighted by its frequency, and updates
  only the pair counts of the pre-tokens a merge touches (instead of recounting the whole
  corpus after every merge);
* encoding applies, inside each pre-token, the learnt merge with the lowest rank first,
  until none applies (GPT-2's ``bpe`` function).

Ids: ``0..255`` are the bytes, ``256 + k`` is the symbol made by merge ``k``.
"""
from __future__ import annotations

import heapq
import re
from collections import Counter
from typing import Iterable

from .._validation import check_int

__all__ = ["BPETokenizer", "PRETOKENIZE_PATTERN", "pretokenize"]

# GPT-2's pattern written for Python's `re` (GPT-2 uses the `regex` module's \p{L} and
# \p{N}): [^\W\d_] is a letter, \d a digit, [^\s\w]|_ anything else that is not white
# space. The alternatives cover every character, so the pieces concatenate back to the text.
PRETOKENIZE_PATTERN = re.compile(
    r"'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+")


def pretokenize(text: str) -> list[str]:
    """Cut ``text`` into GPT-2's pre-tokens; ``"".join(pretokenize(t)) == t`` for any str.

    >>> pretokenize("The cat's 2 hats!")
    ['The', ' cat', "'s", ' 2', ' hats', '!']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return PRETOKENIZE_PATTERN.findall(text)


class BPETokenizer:
    """A byte-level BPE tokenizer: ``train`` learns merges, ``encode`` / ``decode`` apply them.

    Args:
        merges: the learnt merges in order, as pairs of ids ``(left, right)``; merge ``k``
            creates id ``256 + k``. Usually built by :meth:`train`.

    >>> bpe = BPETokenizer.train(["low lower lowest"] * 10, vocab_size=260)
    >>> bpe.decode(bpe.encode("lowering")) == "lowering"
    True
    """

    def __init__(self, merges: Iterable[tuple[int, int]] = ()):
        self.merges: list[tuple[int, int]] = []
        self.vocab: list[bytes] = [bytes([b]) for b in range(256)]   # id -> the bytes it stands for
        for k, pair in enumerate(merges):
            if (not isinstance(pair, (tuple, list)) or len(pair) != 2
                    or not all(isinstance(i, int) and 0 <= i < 256 + k for i in pair)):
                raise ValueError(f"merges[{k}] must be a pair of ids below {256 + k}, got {pair!r}")
            self.merges.append((int(pair[0]), int(pair[1])))
            self.vocab.append(self.vocab[pair[0]] + self.vocab[pair[1]])
        self.ranks = {pair: k for k, pair in enumerate(self.merges)}
        self._cache: dict[str, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        """256 bytes plus one symbol per merge."""
        return len(self.vocab)

    def __repr__(self) -> str:
        return f"BPETokenizer(vocab_size={self.vocab_size:,}: 256 bytes + {len(self.merges):,} merges)"

    # -- training ------------------------------------------------------------------------
    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int, seed=0) -> "BPETokenizer":
        """Learn ``vocab_size - 256`` merges from ``texts``.

        Args:
            texts: an iterable of str (documents, sentences); a single str is refused.
            vocab_size: the size of the final vocabulary, 256 bytes included (>= 256).
                Training stops early if no pair occurs twice any more.
            seed: accepted for the course's uniform API; BPE training makes no random
                choice (a tie between equally frequent pairs goes to the pair whose bytes
                sort first), so every seed gives the same merges.

        Returns:
            the trained :class:`BPETokenizer`.
        """
        if isinstance(texts, (str, bytes)):
            raise TypeError("texts must be an iterable of str (documents), not one str; "
                            "for one document pass [text]")
        vocab_size = check_int(vocab_size, "vocab_size", minimum=256)
        counts: Counter = Counter()
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts must hold str, got {type(text).__name__} at position {i}")
            counts.update(pretokenize(text))
        # Each distinct pre-token is a list of symbol ids with a frequency.
        words = [list(w.encode("utf-8")) for w in counts]
        freq = list(counts.values())
        vocab = [bytes([b]) for b in range(256)]
        pair_count: Counter = Counter()
        where: dict[tuple[int, int], set[int]] = {}        # pair -> pre-tokens that contain it
        for w, symbols in enumerate(words):
            for pair in zip(symbols, symbols[1:]):
                pair_count[pair] += freq[w]
                where.setdefault(pair, set()).add(w)

        # A max-heap of (-count, bytes of the pair, pair), with stale entries skipped on
        # pop: counts only change for the pairs a merge touches, so rebuilding is wasteful.
        def entry(pair):
            return (-pair_count[pair], vocab[pair[0]], vocab[pair[1]], pair)

        heap = [entry(p) for p in pair_count]
        heapq.heapify(heap)
        merges = []
        while len(vocab) < vocab_size and heap:
            neg, _, _, pair = heapq.heappop(heap)
            if -neg != pair_count.get(pair, 0):
                continue                                    # stale: the count has changed
            if -neg < 2:
                break                                       # merging singletons compresses nothing
            new = len(vocab)
            merges.append(pair)
            vocab.append(vocab[pair[0]] + vocab[pair[1]])
            touched = set()
            for w in where.pop(pair):
                old = words[w]
                merged = _merge(old, pair, new)
                for p in zip(old, old[1:]):                 # remove the word's old pairs ...
                    pair_count[p] -= freq[w]
                    touched.add(p)
                for p in zip(merged, merged[1:]):           # ... and add its new ones
                    pair_count[p] += freq[w]
                    where.setdefault(p, set()).add(w)
                    touched.add(p)
                words[w] = merged
            for p in touched:
                if pair_count[p] > 0:
                    heapq.heappush(heap, entry(p))
                else:
                    pair_count.pop(p, None)
        return cls(merges)

    # -- encoding and decoding -------------------------------------------------------------
    def _encode_piece(self, piece: str) -> list[int]:
        """Ids of one pre-token: apply the lowest-ranked applicable merge until none is left."""
        cached = self._cache.get(piece)
        if cached is not None:
            return cached
        symbols = list(piece.encode("utf-8"))
        while len(symbols) > 1:
            ranked = [(self.ranks.get(p, len(self.ranks)), p) for p in zip(symbols, symbols[1:])]
            rank, pair = min(ranked)
            if rank == len(self.ranks):
                break                                       # no adjacent pair was ever merged
            symbols = _merge(symbols, pair, 256 + rank)
        if len(self._cache) < 200_000:
            self._cache[piece] = symbols
        return symbols

    def encode(self, text: str) -> list[int]:
        """The ids of ``text`` (a str); ``decode(encode(text)) == text`` for every str."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}; for many texts "
                            "call encode on each")
        return [i for piece in pretokenize(text) for i in self._encode_piece(piece)]

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids``: their bytes joined and read as UTF-8.

        A sequence cut inside a multi-byte character decodes that character as U+FFFD,
        as GPT-2 does (``errors="replace"``); ids from ``encode`` always round-trip.
        """
        if isinstance(ids, (str, bytes)):
            raise TypeError(f"ids must be a list of int, got {type(ids).__name__}")
        out = []
        for k, i in enumerate(ids):
            if isinstance(i, bool) or not isinstance(i, int) and not hasattr(i, "__index__"):
                raise TypeError(f"ids must be ints, got {type(i).__name__} at position {k}")
            i = int(i)
            if not 0 <= i < self.vocab_size:
                raise ValueError(f"ids must be in [0, {self.vocab_size - 1}], got {i} at position {k}")
            out.append(self.vocab[i])
        return b"".join(out).decode("utf-8", errors="replace")

    def tokens(self, text: str) -> list[str]:
        """The pieces of ``text`` as strings (for display): one per id of ``encode(text)``.

        A piece that is only part of a multi-byte character shows its bytes as ``\\xNN``.
        """
        return [self.vocab[i].decode("utf-8", errors="backslashreplace") for i in self.encode(text)]


def _merge(symbols: list[int], pair: tuple[int, int], new: int) -> list[int]:
    """``symbols`` with every non-overlapping occurrence of ``pair`` (left to right) -> ``new``."""
    out, i, n = [], 0, len(symbols)
    a, b = pair
    while i < n:
        if i + 1 < n and symbols[i] == a and symbols[i + 1] == b:
            out.append(new)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out
