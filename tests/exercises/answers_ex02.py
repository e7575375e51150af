"""Right and wrong answers for ``embedkit.exercises.ex02`` (tokens to vectors)."""
from collections import Counter

import numpy as np


def build_vocab(sentences, min_count):
    counts = Counter()
    for sentence in sentences:
        counts.update(sentence)
    kept = sorted((w for w in counts if counts[w] >= min_count), key=lambda w: (-counts[w], w))
    return {w: i for i, w in enumerate(kept)}


def vocab_most_common(sentences, min_count):
    counts = Counter(w for s in sentences for w in s)
    return {w: i for i, (w, c) in enumerate(c for c in counts.most_common() if c[1] >= min_count)}


def vocab_strict(sentences, min_count):
    counts = Counter(w for s in sentences for w in s)
    kept = sorted((w for w in counts if counts[w] > min_count), key=lambda w: (-counts[w], w))
    return {w: i for i, w in enumerate(kept)}


def vocab_document_frequency(sentences, min_count):
    counts = Counter(w for s in sentences for w in set(s))
    kept = sorted((w for w in counts if counts[w] >= min_count), key=lambda w: (-counts[w], w))
    return {w: i for i, w in enumerate(kept)}


def vocab_from_one(sentences, min_count):
    return {w: i + 1 for w, i in build_vocab(sentences, min_count).items()}


def one_hot(ids, V):
    M = np.zeros((len(ids), V))
    M[np.arange(len(ids)), ids] = 1.0
    return M


def one_hot_rows(ids, V):
    M = np.zeros((len(ids), V))
    M[ids] = 1.0
    return M


def lookup_grad(ids, upstream, V):
    grad = np.zeros((V, upstream.shape[1]))
    np.add.at(grad, ids, upstream)
    return grad


def grad_overwrites(ids, upstream, V):
    grad = np.zeros((V, upstream.shape[1]))
    grad[ids] += upstream
    return grad


def grad_mean(ids, upstream, V):
    grad = lookup_grad(ids, upstream, V)
    n = np.bincount(ids, minlength=V)
    return grad / np.maximum(n, 1)[:, None]


def grad_adds_to_upstream_in_place(ids, upstream, V):
    grad = np.zeros((V, upstream.shape[1]))
    for i, v in enumerate(ids):
        grad[v] += upstream[i]
        upstream[i] = 0.0
    return grad


def zipf_exponent(counts):
    c = np.sort(np.asarray(counts, dtype=float))[::-1]
    return float(-np.polyfit(np.log(np.arange(1, len(c) + 1)), np.log(c), 1)[0])


def zipf_unsorted(counts):
    c = np.asarray(counts, dtype=float)
    return float(-np.polyfit(np.log(np.arange(1, len(c) + 1)), np.log(c), 1)[0])


def zipf_mixed_logs(counts):
    c = np.sort(np.asarray(counts, dtype=float))[::-1]
    return float(-np.polyfit(np.log(np.arange(1, len(c) + 1)), np.log10(c), 1)[0])


def zipf_rank_from_zero(counts):
    c = np.sort(np.asarray(counts, dtype=float))[::-1]
    return float(-np.polyfit(np.log(np.arange(len(c)) + 0.5), np.log(c), 1)[0])


def zipf_slope_sign(counts):
    return -zipf_exponent(counts)


def zipf_sorts_in_place(counts):
    counts.sort()
    c = counts[::-1].astype(float)
    return float(-np.polyfit(np.log(np.arange(1, len(c) + 1)), np.log(c), 1)[0])


ANSWERS = {
    "ex02.q1": {"solution": build_vocab, "mutants": [
        ("ties in first-seen order (Counter.most_common)", vocab_most_common),
        ("count > min_count instead of >=", vocab_strict),
        ("counts sentences containing the word, not tokens", vocab_document_frequency),
        ("ids numbered from 1", vocab_from_one),
    ]},
    "ex02.q2": {"solution": one_hot, "mutants": [
        ("M[ids] = 1 fills whole rows", one_hot_rows),
        ("transposed: (V, n)", lambda ids, V: one_hot(ids, V).T),
        ("one column short (V - 1)", lambda ids, V: one_hot(ids, V)[:, :-1]),
    ]},
    "ex02.q3": {"solution": lookup_grad, "mutants": [
        ("grad[ids] += upstream drops repeated ids", grad_overwrites),
        ("averages over repeats instead of summing", grad_mean),
        ("returns upstream itself: (n, d), not (V, d)", lambda ids, upstream, V: upstream),
        ("zeroes the caller's upstream gradient in place", grad_adds_to_upstream_in_place),
    ]},
    "ex02.q4": {"solution": zipf_exponent, "mutants": [
        ("counts not sorted by rank", zipf_unsorted),
        ("log10 for counts, natural log for ranks", zipf_mixed_logs),
        ("ranks from 0 (shifted by half a rank)", zipf_rank_from_zero),
        ("returns the slope, negative", zipf_slope_sign),
        ("sorts the caller's counts in place", zipf_sorts_in_place),
    ]},
    "ex02.q5": {"solution": {"king-queen": 0.0, "king-people": 0.0, "king-king": 1.0}, "mutants": [
        ("similar words assumed similar", {"king-queen": 0.5, "king-people": 0.0, "king-king": 1.0}),
        ("self-similarity zero too", {"king-queen": 0.0, "king-people": 0.0, "king-king": 0.0}),
        ("distance instead of cosine", {"king-queen": 2 ** 0.5, "king-people": 2 ** 0.5, "king-king": 0.0}),
    ]},
}
