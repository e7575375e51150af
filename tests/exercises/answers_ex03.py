"""Right and wrong answers for ``embedkit.exercises.ex03`` (count-based embeddings)."""
import numpy as np

import embedkit as ek


def _counts(sentences, window, weight, offsets=None, cross_sentences=False):
    vocab = ek.Vocabulary.from_sentences(sentences)
    X = np.zeros((len(vocab), len(vocab)))
    streams = [sum(sentences, [])] if cross_sentences else sentences
    for sentence in streams:
        ids = [vocab[w] for w in sentence]
        for t, i in enumerate(ids):
            for s in (offsets or range)(max(0, t - window), min(len(ids), t + window + 1)):
                if s != t:
                    X[i, ids[s]] += weight(abs(t - s))
    return X


def harmonic_counts(sentences, window):
    return _counts(sentences, window, lambda k: 1.0 / k)


def harmonic_short_window(sentences, window):
    return _counts(sentences, window - 1, lambda k: 1.0 / k) if window > 1 else \
        np.zeros_like(harmonic_counts(sentences, window))


def harmonic_right_only(sentences, window):
    vocab = ek.Vocabulary.from_sentences(sentences)
    X = np.zeros((len(vocab), len(vocab)))
    for sentence in sentences:
        ids = [vocab[w] for w in sentence]
        for t, i in enumerate(ids):
            for s in range(t + 1, min(len(ids), t + window + 1)):
                X[i, ids[s]] += 1.0 / (s - t)
    return X


def ppmi_dense(X, alpha):
    P = X / X.sum()
    p_w = P.sum(axis=1, keepdims=True)
    col = X.sum(axis=0) ** alpha
    p_c = (col / col.sum())[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(P / (p_w * p_c))
    return np.where(pmi > 0, pmi, 0.0)


def ppmi_row_sums_twice(X, alpha):
    P = X / X.sum()
    p_w = P.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(P / (p_w * p_w.T))
    return np.where(pmi > 0, pmi, 0.0)


def ppmi_alpha_not_renormalised(X, alpha):
    P = X / X.sum()
    p_w, p_c = P.sum(axis=1, keepdims=True), P.sum(axis=0, keepdims=True) ** alpha
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(P / (p_w * p_c))
    return np.where(pmi > 0, pmi, 0.0)


def ppmi_alpha_on_words_too(X, alpha):
    row, col = X.sum(axis=1) ** alpha, X.sum(axis=0) ** alpha
    P = X / X.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(P / ((row / row.sum())[:, None] * (col / col.sum())[None, :]))
    return np.where(pmi > 0, pmi, 0.0)


def ppmi_log2(X, alpha):
    return ppmi_dense(X, alpha) / np.log(2)


def ppmi_nan_rows(X, alpha):
    P = X / X.sum()
    col = X.sum(axis=0) ** alpha
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(P / (P.sum(axis=1, keepdims=True) * (col / col.sum())[None, :]))
    return np.maximum(pmi, 0.0)           # np.maximum keeps nan


def rank_for_error(M, tol):
    s = np.linalg.svd(M, compute_uv=False)
    total = np.sum(s ** 2)
    for k in range(len(s) + 1):
        if np.sqrt(np.sum(s[k:] ** 2) / total) <= tol:
            return k


def rank_energy_kept(M, tol):
    s = np.linalg.svd(M, compute_uv=False)
    kept = np.cumsum(s ** 2) / np.sum(s ** 2)
    return int(np.argmax(kept >= 1 - tol)) + 1


def rank_unsquared(M, tol):
    s = np.linalg.svd(M, compute_uv=False)
    for k in range(len(s) + 1):
        if np.sqrt(np.sum(s[k:]) / np.sum(s)) <= tol:
            return k


def rank_from_one(M, tol):
    s = np.linalg.svd(M, compute_uv=False)
    total = np.sum(s ** 2)
    for k in range(1, len(s) + 1):
        if np.sqrt(np.sum(s[k:] ** 2) / total) <= tol:
            return k


def rank_off_by_one(M, tol):
    return rank_for_error(M, tol) + 1


ANSWERS = {
    "ex03.q1": {"solution": harmonic_counts, "mutants": [
        ("plain counts, no 1/distance weight", lambda s, w: _counts(s, w, lambda k: 1.0)),
        ("weight 1/(k+1): distance counted from 0", lambda s, w: _counts(s, w, lambda k: 1.0 / (k + 1))),
        ("off-by-one window (offsets up to window - 1)", harmonic_short_window),
        ("windows cross sentence boundaries", lambda s, w: _counts(s, w, lambda k: 1.0 / k, cross_sentences=True)),
        ("right context only (asymmetric window)", harmonic_right_only),
    ]},
    "ex03.q2": {"solution": ppmi_dense, "mutants": [
        ("row sums for both marginals", ppmi_row_sums_twice),
        ("alpha applied to P(c) without renormalising", ppmi_alpha_not_renormalised),
        ("alpha applied to the word marginal too", ppmi_alpha_on_words_too),
        ("log base 2", ppmi_log2),
        ("np.maximum keeps the nan of an empty row", ppmi_nan_rows),
    ]},
    "ex03.q3": {"solution": rank_for_error, "mutants": [
        ("share of squared singular values kept >= 1 - tol", rank_energy_kept),
        ("singular values not squared", rank_unsquared),
        ("k starts at 1: never answers 0", rank_from_one),
        ("off by one: returns k + 1", rank_off_by_one),
    ]},
    "ex03.q4": {"solution": {"w0-c0": np.log(4), "w1-c1": np.log(4 / 3)}, "mutants": [
        ("log base 2", {"w0-c0": np.log2(4), "w1-c1": np.log2(4 / 3)}),
        ("the two pairs swapped", {"w0-c0": np.log(4 / 3), "w1-c1": np.log(4)}),
        ("the ratio without the log", {"w0-c0": 4.0, "w1-c1": 4 / 3}),
        ("P(w, c) / P(w) only: a conditional, not PMI", {"w0-c0": 0.0, "w1-c1": 0.0}),
    ]},
}
