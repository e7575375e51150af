"""WordPiece encoding, as in BERT: greedy longest-match-first with ``##`` continuations.

BERT (Devlin et al. 2019) and its descendants (all-MiniLM-L6-v2 among them) read text as
WordPiece tokens from a fixed vocabulary of about 30,000 entries. Encoding has two stages:

1. **Basic tokenisation** (BERT's ``BasicTokenizer``): drop control characters, turn every
   white-space character into a space, put spaces around CJK ideographs, lower-case and
   strip accents (``"Café" -> "cafe"``: Unicode NFD, then drop the combining marks), and
   split on white space and on every punctuation character.
2. **WordPiece** on each word: take the *longest* prefix that is in the vocabulary, emit
   it, and continue with the rest of the word, whose pieces are looked up with a ``##``
   prefix (``"embeddings" -> "em", "##bed", "##ding", "##s"``). If at some point no piece
   matches, the whole word becomes ``[UNK]`` (not just the unmatched part); words longer
   than 100 characters too.

The greedy rule is not BPE's: BPE replays merges learnt from pair counts (bottom-up);
WordPiece only needs the vocabulary and matches top-down. (The vocabulary itself was
learnt by a likelihood-based merging procedure that Google never released; only the
encoding is reproduced here, which is what every user of a BERT model runs.)
"""
from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Iterable, Sequence

from .._validation import check_int

__all__ = ["WordPieceTokenizer", "basic_tokenize"]


def _is_whitespace(ch: str) -> bool:
    # BERT: \t \n \r count as white space, although Unicode files them as control characters.
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_control(ch: str) -> bool:
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def _is_punctuation(ch: str) -> bool:
    # BERT counts every non-letter, non-digit ASCII symbol ($, ^, `, ...) as punctuation,
    # although Unicode files some of them as symbols (S*), not punctuation (P*).
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def _strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def basic_tokenize(text: str, lowercase: bool = True) -> list[str]:
    """BERT's pre-tokenisation: clean, lower-case and strip accents, split on spaces and punctuation.

    >>> basic_tokenize("Héllo, World!")
    ['hello', ',', 'world', '!']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    cleaned = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if _is_whitespace(ch):
            cleaned.append(" ")
        elif _is_cjk(cp):
            cleaned.append(f" {ch} ")
        else:
            cleaned.append(ch)
    words = []
    for word in "".join(cleaned).split():
        if lowercase:
            # Accents first, then one character at a time (as the tokenizers library does):
            # str.lower() on a whole word would turn a final capital sigma into a final "ς".
            word = "".join(ch.lower() for ch in _strip_accents(word))
        piece = []
        for ch in word:
            if _is_punctuation(ch):
                if piece:
                    words.append("".join(piece))
                    piece = []
                words.append(ch)
            else:
                piece.append(ch)
        if piece:
            words.append("".join(piece))
    return words


class WordPieceTokenizer:
    """Greedy longest-match-first WordPiece encoding with a fixed vocabulary (BERT's).

    Args:
        vocab: the vocabulary, as a list of tokens (id = position) or the path of a
            ``vocab.txt`` with one token per line (as shipped with BERT models).
        lowercase: lower-case and strip accents first (uncased models, MiniLM among them).
        unk_token: the token for words that cannot be built from the vocabulary.
        max_input_chars_per_word: longer words become ``unk_token`` (BERT: 100).

    ``encode(text)`` returns ids **without** special tokens (no ``[CLS]``/``[SEP]``), i.e.
    what a BERT tokenizer returns with ``add_special_tokens=False``.
    """

    def __init__(self, vocab, lowercase: bool = True, *, unk_token: str = "[UNK]",
                 max_input_chars_per_word: int = 100):
        if isinstance(vocab, (str, Path)):
            path = Path(vocab)
            if not path.is_file():
                raise FileNotFoundError(f"vocab: no vocabulary file at {str(path)!r} (expected a "
                                        "vocab.txt with one token per line)")
            tokens = path.read_text(encoding="utf-8").split("\n")
            if tokens and tokens[-1] == "":
                tokens.pop()                        # the final newline
        elif isinstance(vocab, Sequence):
            tokens = list(vocab)
        else:
            raise TypeError(f"vocab must be a list of tokens or a path to vocab.txt, got {type(vocab).__name__}")
        if not tokens or not all(isinstance(t, str) and t for t in tokens):
            raise ValueError("vocab must be a non-empty list of non-empty str tokens")
        if unk_token not in tokens:
            raise ValueError(f"unk_token {unk_token!r} is not in the vocabulary")
        self.vocab = tokens
        self.ids = {t: i for i, t in enumerate(tokens)}
        if len(self.ids) != len(tokens):
            raise ValueError("vocab must not repeat a token")
        self.lowercase = bool(lowercase)
        self.unk_token = unk_token
        self.max_input_chars_per_word = check_int(max_input_chars_per_word, "max_input_chars_per_word",
                                                  minimum=1)
        self._cache: dict[str, list[str]] = {}     # word -> pieces (text repeats its words)

    def __len__(self) -> int:
        return len(self.vocab)

    def __repr__(self) -> str:
        return f"WordPieceTokenizer({len(self):,} tokens, lowercase={self.lowercase})"

    def word_pieces(self, word: str) -> list[str]:
        """Greedy longest-match-first pieces of one (already basic-tokenised) word."""
        cached = self._cache.get(word)
        if cached is None:
            cached = self._word_pieces(word)
            if len(self._cache) < 100_000:
                self._cache[word] = cached
        return cached

    def _word_pieces(self, word: str) -> list[str]:
        if len(word) > self.max_input_chars_per_word:
            return [self.unk_token]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:                      # the longest piece that is in the vocabulary
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    break
                end -= 1
            else:
                return [self.unk_token]             # no piece fits: the whole word is unknown
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """The WordPiece tokens of ``text`` (str), ``##`` marking word continuations."""
        return [p for word in basic_tokenize(text, self.lowercase) for p in self.word_pieces(word)]

    def encode(self, text: str) -> list[int]:
        """The ids of ``text``'s tokens, without special tokens."""
        return [self.ids[t] for t in self.tokenize(text)]

    def decode(self, ids: Iterable[int]) -> str:
        """Tokens joined back: ``##`` pieces glued to the previous one, words separated by spaces.

        Lossy by design: case, accents and the spacing around punctuation are gone
        (``decode(encode("Hello, world")) == "hello , world"``).
        """
        if isinstance(ids, (str, bytes)):
            raise TypeError(f"ids must be a list of int, got {type(ids).__name__}")
        text = []
        for k, i in enumerate(ids):
            i = int(i)
            if not 0 <= i < len(self.vocab):
                raise ValueError(f"ids must be in [0, {len(self.vocab) - 1}], got {i} at position {k}")
            token = self.vocab[i]
            if token.startswith("##") and text:
                text[-1] += token[2:]
            else:
                text.append(token)
        return " ".join(text)
