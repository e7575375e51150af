"""Checks for ``exercises/06_subword_embeddings.ipynb``: character n-grams (repeats
count), WordPiece's greedy longest match, the vector of an unseen word, BPE merges."""
from __future__ import annotations

from collections import Counter

import numpy as np

from ..text.subword import char_ngrams, ngram_bucket
from .core import FunctionQuestion

BUCKET = 97
_rng = np.random.default_rng(6)
TABLE = _rng.normal(size=(BUCKET, 4)).astype(np.float32)     # one vector per bucket


def _sorted_strings(got):
    return sorted(str(g) for g in got)


q1 = FunctionQuestion(
    qid="ex06.q1",
    title="Q1 ngrams(word, min_n, max_n): fastText's character n-grams",
    name="ngrams",
    reference=lambda w, a, b: sorted(char_ngrams(w, a, b, whole_word=False)),
    cases=[
        ('ngrams("where", 3, 3)', ("where", 3, 3)),
        ('ngrams("where", 3, 6)', ("where", 3, 6)),
        ('ngrams("a", 3, 6) (the marked word "<a>" is itself an n-gram)', ("a", 3, 6)),
        ('ngrams("cat", 2, 4)', ("cat", 2, 4)),
        ('ngrams("banana", 3, 4) ("ana" occurs twice: both count)', ("banana", 3, 4)),
    ],
    prepare=_sorted_strings,
    hint_text=[
        """
        Wrap the word first: marked = "<" + word + ">". Then for every length n from min_n
        to max_n (both included), every start i with i + n <= len(marked): marked[i:i + n].
        """,
        """
        Return a list in any order, with repeats: "banana" has "ana" twice, and fastText
        adds its vector twice (a set would drop one). "<a>" itself is an n-gram of "a".
        """,
        """
        return [marked[i:i + n] for n in range(min_n, max_n + 1)
                for i in range(len(marked) - n + 1)]
        """,
    ],
    solution_text="""
        def ngrams(word, min_n, max_n):
            marked = "<" + word + ">"
            return [marked[i:i + n] for n in range(min_n, max_n + 1)
                    for i in range(len(marked) - n + 1)]
    """,
)


# -- Q2: WordPiece, greedy longest match first (an algorithm) ------------------------------
def _wordpiece_ref(word, vocab):
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                break
            end -= 1
        if end == start:
            return ["[UNK]"]
        pieces.append(piece)
        start = end
    return pieces


WP_VOCAB = {"un", "a", "b", "##a", "##ab", "##able", "##b", "##le", "##l", "##e", "##aff", "##ff",
            "##f", "play", "##ing", "##s", "p", "##l", "##ay", "##y", "##in", "##g"}
q2 = FunctionQuestion(
    qid="ex06.q2",
    title="Q2 wordpiece(word, vocab): greedy longest-match-first, as BERT",
    name="wordpiece",
    reference=_wordpiece_ref,
    cases=[
        ('wordpiece("unaffable", WP_VOCAB)', ("unaffable", WP_VOCAB)),
        ('wordpiece("unable", WP_VOCAB) (longest match first)', ("unable", WP_VOCAB)),
        ('wordpiece("able", WP_VOCAB) (the first piece has no ##)', ("able", WP_VOCAB)),
        ('wordpiece("playing", WP_VOCAB)', ("playing", WP_VOCAB)),
        ('wordpiece("unz", WP_VOCAB) (no piece for "z": the whole word is unknown)', ("unz", WP_VOCAB)),
        ('wordpiece("zoo", WP_VOCAB)', ("zoo", WP_VOCAB)),
    ],
    keep_inputs=True,
    hint_text=[
        """
        From the start of the word, take the LONGEST prefix that is in the vocabulary, then
        continue from where it ended. Every piece after the first is looked up with the
        "##" prefix ("##able"), which marks "continues a word".
        """,
        """
        Try end = len(word), len(word) - 1, ... down to start + 1 for each start. If no
        piece matches at some position, the whole word becomes ["[UNK]"] (not the pieces
        found so far plus "[UNK]").
        """,
        """
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in vocab: break
            else: return ["[UNK]"]
            pieces.append(piece); start = end
        """,
    ],
    solution_text="""
        def wordpiece(word, vocab):
            pieces, start = [], 0
            while start < len(word):
                for end in range(len(word), start, -1):          # longest first
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    if piece in vocab:
                        break
                else:
                    return ["[UNK]"]                             # one failure: the whole word
                pieces.append(piece)
                start = end
            return pieces
    """,
)


def _oov_ref(word, table, min_n, max_n):
    rows = [ngram_bucket(g, len(table)) for g in char_ngrams(word, min_n, max_n, whole_word=False)]
    return np.asarray(table, dtype=np.float64)[rows].mean(axis=0)


q3 = FunctionQuestion(
    qid="ex06.q3",
    title="Q3 oov_vector(word, table, min_n, max_n): the mean of the n-gram vectors",
    name="oov_vector",
    reference=_oov_ref,
    cases=[('oov_vector("cats", TABLE, 3, 4)', ("cats", TABLE, 3, 4)),
           ('oov_vector("presidnt", TABLE, 3, 6)', ("presidnt", TABLE, 3, 6)),
           ('oov_vector("a", TABLE, 3, 6)', ("a", TABLE, 3, 6)),
           ('oov_vector("banana", TABLE, 3, 3) (a repeated n-gram counts twice)', ("banana", TABLE, 3, 3)),
           ('oov_vector("naïve", TABLE, 3, 5) (non-ASCII bytes)', ("naïve", TABLE, 3, 5))],
    atol=1e-5, rtol=1e-5,
    keep_inputs=True,
    hint_text=[
        """
        For each n-gram g of the word (your Q1 function), its row of the table is
        ngram_bucket(g, len(table)) (fastText's FNV-1a hash, section 2 of the lesson); the
        vector is the mean of those rows.
        """,
        """
        Duplicates included: "banana" has "ana" twice, so that row counts twice in the
        mean. (An unseen word has no row of its own: only n-grams.)
        """,
        "return table[[ngram_bucket(g, len(table)) for g in ngrams(word, min_n, max_n)]].mean(axis=0)",
    ],
    solution_text="""
        def oov_vector(word, table, min_n, max_n):
            rows = [ngram_bucket(g, len(table)) for g in ngrams(word, min_n, max_n)]
            return table[rows].mean(axis=0)
    """,
)


# -- Q4: learning BPE merges (an algorithm) -------------------------------------------------
def _bpe_ref(word_counts, n_merges):
    words = {tuple(w): c for w, c in word_counts.items()}
    merges = []
    for _ in range(n_merges):
        pairs = Counter()
        for symbols, count in words.items():
            for pair in zip(symbols, symbols[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))        # most frequent, ties: smallest pair
        merges.append(best)
        merged = {}
        for symbols, count in words.items():
            out, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                    out.append(symbols[i] + symbols[i + 1])
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + count
        words = merged
    return merges


_CORPUS = {"low": 5, "lower": 2, "newest": 6, "widest": 3}
_BOUNDARY = {"abc": 1, "bc": 10, "ab": 20}
_REPEATS = {"aaaa": 2, "aaab": 1, "ab": 3, "ba": 3}
q4 = FunctionQuestion(
    qid="ex06.q4",
    title="Q4 bpe_merges(word_counts, n_merges): the merges BPE learns",
    name="bpe_merges",
    reference=_bpe_ref,
    cases=[
        ('bpe_merges({"low": 5, "lower": 2, "newest": 6, "widest": 3}, 8)', (_CORPUS, 8)),
        ('bpe_merges({"abc": 1, "bc": 10, "ab": 20}, 3) (a merge must not cross a symbol)', (_BOUNDARY, 3)),
        ('bpe_merges({"aaaa": 2, "aaab": 1, "ab": 3, "ba": 3}, 4) (runs of one letter)', (_REPEATS, 4)),
        ('bpe_merges({"ab": 1, "ba": 1}, 5) (ties; stops when nothing is left to merge)', ({"ab": 1, "ba": 1}, 5)),
        ('bpe_merges({"aaab": 5}, 3) (an odd run: "aaa" becomes "aa a", from the left)', ({"aaab": 5}, 3)),
    ],
    keep_inputs=True,
    prepare=lambda got: [tuple(p) for p in got],
    hint_text=[
        """
        Start with every word split into characters. Repeat n_merges times: count every
        pair of ADJACENT symbols over all words, each word weighted by its count; merge the
        most frequent pair into one symbol everywhere; record it. Return the list of pairs
        (a, b) in the order they were merged.
        """,
        """
        Ties: take the smallest pair (compare the tuples: min over (-count, pair)). A run
        "a a a a" holds the pair (a, a) three times, and is merged left to right into
        "aa aa". Merge symbol by symbol: on the string "ab c", str.replace("b c", "bc")
        would wrongly glue the "b" of "ab" to "c". Stop early if no pair is left.
        """,
        """
        words = {tuple(w): c for w, c in word_counts.items()}
        each round: pairs[(s[i], s[i+1])] += count; best = min(pairs, key=lambda p: (-pairs[p], p))
        rebuild each word: scan i = 0, 1, ...; if (s[i], s[i+1]) == best append s[i] + s[i+1] and i += 2
        """,
    ],
    solution_text="""
        from collections import Counter

        def bpe_merges(word_counts, n_merges):
            words = {tuple(w): c for w, c in word_counts.items()}       # characters first
            merges = []
            for _ in range(n_merges):
                pairs = Counter()
                for symbols, count in words.items():
                    for pair in zip(symbols, symbols[1:]):
                        pairs[pair] += count                          # weighted by the word's count
                if not pairs:
                    break
                best = min(pairs, key=lambda p: (-pairs[p], p))       # ties: the smallest pair
                merges.append(best)
                merged = {}
                for symbols, count in words.items():
                    out, i = [], 0
                    while i < len(symbols):                           # left to right, no overlap
                        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == best:
                            out.append(symbols[i] + symbols[i + 1])
                            i += 2
                        else:
                            out.append(symbols[i])
                            i += 1
                    merged[tuple(out)] = merged.get(tuple(out), 0) + count
                words = merged
            return merges
    """,
)

QUESTIONS = [q1, q2, q3, q4]
