"""Tokenisation: from raw text to a list of word tokens.

A tokeniser decides what a "word" is, and every later count, vocabulary and embedding
inherits that decision. embedkit uses one deliberately simple rule, the same for the
course corpus, the notebooks and the evaluation sets:

* Unicode-normalise (NFKC) and lower-case the text, so "The" and "the" are one word and
  typographic variants (the ligature "ﬁ", full-width digits) become plain letters;
* a token is a run of letters and digits, optionally joined by apostrophes inside the
  word ("don't", "o'clock" stay whole); everything else (spaces, punctuation, hyphens)
  separates tokens, so "twenty-first" gives "twenty", "first";
* a possessive "'s" is dropped ("nation's" -> "nation"), because for word vectors the
  possessive is the same word; keeping it would split the counts of every noun in two.

This is a *word-level* tokeniser: a word never seen in training has no vector (the
out-of-vocabulary problem). Subword tokenisers (BPE, WordPiece; notebook 06) split rare
words into known pieces instead.
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["tokenize", "TOKEN_PATTERN"]

# [^\W_] is "a word character that is not the underscore": Unicode letters and digits.
TOKEN_PATTERN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def tokenize(text: str, *, lowercase: bool = True) -> list[str]:
    """Split ``text`` into word tokens (see the module docstring for the exact rule).

    Args:
        text: any string; an empty string gives an empty list.
        lowercase: fold case (the default, as the course's corpus and benchmarks do).

    Returns:
        the tokens, in order, as a list of ``str``.

    >>> tokenize("The King's horses don't run; 1,000 ran in the twenty-first race.")
    ['the', 'king', 'horses', "don't", 'run', '1', '000', 'ran', 'in', 'the', 'twenty', 'first', 'race']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    if lowercase:
        text = text.lower()
    tokens = TOKEN_PATTERN.findall(text)
    # Possessive 's: strip it rather than emit a separate "'s" token.
    return [t[:-2] if t.endswith(("'s", "'S")) and len(t) > 2 else t for t in tokens]
