"""Right and wrong answers for ``embedkit.exercises.ex06`` (subword embeddings)."""
from collections import Counter

import numpy as np

from embedkit.text.subword import char_ngrams, ngram_bucket


def ngrams(word, min_n, max_n):
    marked = "<" + word + ">"
    return [marked[i:i + n] for n in range(min_n, max_n + 1) for i in range(len(marked) - n + 1)]


def ngrams_no_markers(word, min_n, max_n):
    return [word[i:i + n] for n in range(min_n, max_n + 1) for i in range(len(word) - n + 1)]


def ngrams_last_start_missing(word, min_n, max_n):
    marked = "<" + word + ">"
    return [marked[i:i + n] for n in range(min_n, max_n + 1) for i in range(len(marked) - n)]


def wordpiece(word, vocab, *, longest=True, hashes=True, hash_first=False, partial_unk=False):
    pieces, start = [], 0
    while start < len(word):
        ends = range(len(word), start, -1) if longest else range(start + 1, len(word) + 1)
        for end in ends:
            piece = word[start:end] if (start == 0 and not hash_first) or not hashes else "##" + word[start:end]
            if piece in vocab:
                break
        else:
            return pieces + ["[UNK]"] if partial_unk else ["[UNK]"]
        pieces.append(piece)
        start = end
    return pieces


def fnv1a_unsigned(text):
    h = 2166136261
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def oov_vector(word, table, min_n, max_n):
    return table[[ngram_bucket(g, len(table)) for g in ngrams(word, min_n, max_n)]].mean(axis=0)


def bpe_merges(word_counts, n_merges, *, weighted=True, distinct=False, ties="smallest", merge="symbols"):
    words = {tuple(w): c for w, c in word_counts.items()}
    merges = []
    for _ in range(n_merges):
        pairs = Counter()
        for symbols, count in words.items():
            found = list(zip(symbols, symbols[1:]))
            for pair in (set(found) if distinct else found):
                pairs[pair] += count if weighted else 1
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p)) if ties == "smallest" else pairs.most_common(1)[0][0]
        merges.append(best)
        merged = {}
        for symbols, count in words.items():
            if merge == "replace":                      # on the space-joined string: crosses symbols
                out = tuple(" ".join(symbols).replace(" ".join(best), "".join(best)).split(" "))
            else:
                out, i = [], 0
                seq = symbols[::-1] if merge == "right-to-left" else symbols
                pair = best[::-1] if merge == "right-to-left" else best
                while i < len(seq):
                    if i + 1 < len(seq) and (seq[i], seq[i + 1]) == pair:
                        out.append(seq[i + 1] + seq[i] if merge == "right-to-left" else seq[i] + seq[i + 1])
                        i += 2
                    else:
                        out.append(seq[i])
                        i += 1
                out = tuple(out[::-1] if merge == "right-to-left" else out)
            merged[out] = merged.get(out, 0) + count
        words = merged
    return merges


ANSWERS = {
    "ex06.q1": {"solution": ngrams, "mutants": [
        ("set() drops repeated n-grams", lambda w, a, b: set(ngrams(w, a, b))),
        ("boundary markers < > forgotten", ngrams_no_markers),
        ("range(min_n, max_n) leaves out max_n", lambda w, a, b: ngrams(w, a, b - 1)),
        ("off-by-one start: the last n-gram of each length is lost", ngrams_last_start_missing),
    ]},
    "ex06.q2": {"solution": wordpiece, "mutants": [
        ("shortest match first", lambda w, v: wordpiece(w, v, longest=False)),
        ("continuation pieces looked up without ##", lambda w, v: wordpiece(w, v, hashes=False)),
        ("the first piece looked up with ## too", lambda w, v: wordpiece(w, v, hash_first=True)),
        ("keeps the pieces found before an unknown one", lambda w, v: wordpiece(w, v, partial_unk=True)),
    ]},
    "ex06.q3": {"solution": oov_vector, "mutants": [
        ("set() drops a repeated n-gram from the mean",
         lambda w, t, a, b: t[[ngram_bucket(g, len(t)) for g in set(ngrams(w, a, b))]].mean(axis=0)),
        ("textbook FNV-1a (unsigned bytes) instead of fastText's",
         lambda w, t, a, b: t[[fnv1a_unsigned(g) % len(t) for g in ngrams(w, a, b)]].mean(axis=0)),
        ("sum instead of mean",
         lambda w, t, a, b: t[[ngram_bucket(g, len(t)) for g in ngrams(w, a, b)]].sum(axis=0)),
        ("the whole marked word added as an extra n-gram",
         lambda w, t, a, b: t[[ngram_bucket(g, len(t)) for g in char_ngrams(w, a, b, whole_word=True)]].mean(axis=0)),
    ]},
    "ex06.q4": {"solution": bpe_merges, "mutants": [
        ("pairs not weighted by word counts", lambda wc, n: bpe_merges(wc, n, weighted=False)),
        ("a pair counted once per word (set of pairs)", lambda wc, n: bpe_merges(wc, n, distinct=True)),
        ("ties broken by first appearance", lambda wc, n: bpe_merges(wc, n, ties="first")),
        ("str.replace merges across symbol boundaries", lambda wc, n: bpe_merges(wc, n, merge="replace")),
        ("runs merged right to left", lambda wc, n: bpe_merges(wc, n, merge="right-to-left")),
    ]},
}
