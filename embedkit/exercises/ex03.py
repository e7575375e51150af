"""Checks for ``exercises/03_count_based_embeddings.ipynb``: distance-weighted counts,
smoothed PPMI on a non-square matrix, choosing the rank of a truncated SVD, PMI by hand."""
from __future__ import annotations

import numpy as np

from ..text.cooccurrence import ppmi
from ..text.vocab import Vocabulary
from .core import FunctionQuestion, ValueQuestion

TOY = [["the", "cat", "drinks", "milk"], ["the", "dog", "drinks", "water"],
       ["a", "cat", "chases", "a", "dog"], ["the", "cat", "eats", "fish"]]


def _harmonic_counts_ref(sentences, window):
    """A plain loop: a pair at distance k adds 1 / k, inside one sentence only."""
    vocab = Vocabulary.from_sentences(sentences)
    X = np.zeros((len(vocab), len(vocab)))
    for sentence in sentences:
        ids = [vocab[w] for w in sentence]
        for t, i in enumerate(ids):
            for s in range(len(ids)):
                if 0 < abs(t - s) <= window:
                    X[i, ids[s]] += 1.0 / abs(t - s)
    return X


_LONG = [["x", "y", "x", "z", "y", "x", "w"], ["z", "w"], ["y"]]
q1 = FunctionQuestion(
    qid="ex03.q1",
    title="Q1 harmonic_counts(sentences, window): co-occurrences weighted by 1 / distance",
    name="harmonic_counts",
    reference=_harmonic_counts_ref,
    cases=[
        ("harmonic_counts(TOY, 1)", (TOY, 1)),
        ("harmonic_counts(TOY, 2)", (TOY, 2)),
        ("harmonic_counts([['x', 'y', 'x', 'z', 'y', 'x', 'w'], ['z', 'w'], ['y']], 3)", (_LONG, 3)),
        ("harmonic_counts(TOY, 10) (window longer than every sentence)", (TOY, 10)),
    ],
    atol=1e-12, rtol=1e-12,
    keep_inputs=True,
    hint_text=[
        """
        Start from the lesson's counting loop (section 1) and change what one pair adds:
        a context word k positions away adds 1 / k instead of 1 (GloVe's weighting: close
        words say more). Rows and columns in ek.Vocabulary.from_sentences order.
        """,
        """
        Offsets run from 1 to `window` inclusive, on both sides, and never cross from one
        sentence into the next (loop over sentences, not over their concatenation). A word
        meeting itself (['x', 'y', 'x']) counts on the diagonal like any other pair.
        """,
        """
        for t, i in enumerate(ids):
            for s in range(max(0, t - window), min(len(ids), t + window + 1)):
                if s != t:
                    X[i, ids[s]] += 1.0 / abs(t - s)
        """,
    ],
    solution_text="""
        def harmonic_counts(sentences, window):
            vocab = ek.Vocabulary.from_sentences(sentences)
            X = np.zeros((len(vocab), len(vocab)))
            for sentence in sentences:
                ids = [vocab[w] for w in sentence]
                for t, i in enumerate(ids):
                    for s in range(max(0, t - window), min(len(ids), t + window + 1)):
                        if s != t:
                            X[i, ids[s]] += 1.0 / abs(t - s)
            return X
    """,
)

# Asymmetric, non-square counts (4 words x 5 contexts) with an empty row and column: a
# formula that mixes up the two marginals cannot pass.
_ASYM = np.array([[10.0, 0.0, 3.0, 0.0, 1.0],
                  [2.0, 40.0, 0.0, 5.0, 0.0],
                  [0.0, 0.0, 0.0, 0.0, 0.0],
                  [1.0, 1.0, 30.0, 0.0, 7.0]])
_rng = np.random.default_rng(3)
_RAND = _rng.poisson(_rng.gamma(0.5, 4.0, size=(30, 12))).astype(float)

q2 = FunctionQuestion(
    qid="ex03.q2",
    title="Q2 ppmi_dense(X, alpha): PPMI with context-distribution smoothing",
    name="ppmi_dense",
    reference=lambda X, alpha: ppmi(X, alpha=alpha).toarray(),
    cases=[
        ("ppmi_dense(4 x 5 asymmetric counts with an empty row, alpha=1)", (_ASYM, 1.0)),
        ("ppmi_dense(4 x 5 asymmetric counts, alpha=0.75)", (_ASYM, 0.75)),
        ("ppmi_dense([[0, 2], [2, 4]], alpha=1)", (np.array([[0.0, 2.0], [2.0, 4.0]]), 1.0)),
        ("ppmi_dense(30 x 12 random counts, alpha=0.5)", (_RAND, 0.5)),
    ],
    atol=1e-8, rtol=1e-8,
    keep_inputs=True,
    validate=lambda got, args: None if np.isfinite(np.asarray(got, dtype=float)).all() else
    "the result holds nan or inf (a word or context with no counts must give 0)",
    hint_text=[
        r"""
        X is (words, contexts) and need not be square or symmetric. P(w, c) = X / X.sum();
        P(w) comes from the ROW sums, P(c) from the COLUMN sums. With smoothing, the
        context distribution is colsum**alpha / sum(colsum**alpha): raise the counts to
        alpha and renormalise, do not just raise P(c) to alpha.
        """,
        """
        PMI = log(P(w, c) / (P(w) P_alpha(c))) (natural log); cells with a zero count give
        log(0) = -inf and rows without counts give 0/0: compute inside
        np.errstate(divide="ignore", invalid="ignore"), then keep max(PMI, 0) and turn the
        nan of empty rows into 0 (np.nan_to_num or np.where).
        """,
        """
        P = X / X.sum(); p_w = P.sum(axis=1, keepdims=True)
        col = X.sum(axis=0) ** alpha; p_c = (col / col.sum())[None, :]
        pmi = np.log(P / (p_w * p_c)); return np.where(pmi > 0, pmi, 0.0)
        """,
    ],
    solution_text="""
        def ppmi_dense(X, alpha):
            P = X / X.sum()
            p_w = P.sum(axis=1, keepdims=True)                   # rows: words
            col = X.sum(axis=0) ** alpha                         # columns: contexts, smoothed
            p_c = (col / col.sum())[None, :]
            with np.errstate(divide="ignore", invalid="ignore"):
                pmi = np.log(P / (p_w * p_c))
            return np.where(pmi > 0, pmi, 0.0)                   # -inf and nan become 0
    """,
)


def _rank_ref(M, tol):
    s = np.linalg.svd(np.asarray(M, dtype=np.float64), compute_uv=False)
    total = np.sum(s ** 2)
    for k in range(len(s) + 1):
        if np.sqrt(np.sum(s[k:] ** 2) / total) <= tol:
            return k
    return len(s)


def _matrix_with_spectrum(sigma, shape, seed):
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((shape[0], len(sigma))))[0]
    V = np.linalg.qr(rng.standard_normal((shape[1], len(sigma))))[0]
    return (U * np.asarray(sigma, dtype=float)) @ V.T


# spectrum [4, 3, 2, 1, ...]: relative errors sqrt(30/30), sqrt(14/30), sqrt(5/30), ...
_SPEC = _matrix_with_spectrum([4.0, 3.0, 2.0, 1.0], (8, 6), 30)
q3 = FunctionQuestion(
    qid="ex03.q3",
    title="Q3 rank_for_error(M, tol): the smallest k whose rank-k SVD is within tol",
    name="rank_for_error",
    reference=_rank_ref,
    cases=[
        ("rank_for_error(8 x 6 matrix with singular values 4, 3, 2, 1, tol=0.5)", (_SPEC, 0.5)),
        ("rank_for_error(the same, tol=0.4)", (_SPEC, 0.4)),
        ("rank_for_error(the same, tol=0.9)", (_SPEC, 0.9)),
        ("rank_for_error(the same, tol=1.5) (k = 0 is already within tol)", (_SPEC, 1.5)),
        ("rank_for_error(random 40 x 25, tol=0.3)", (np.random.default_rng(31).standard_normal((40, 25)), 0.3)),
        ("rank_for_error(PPMI of 30 x 12 counts, tol=0.2)", (ppmi(_RAND).toarray(), 0.2)),
    ],
    atol=0, rtol=0,
    hint_text=[
        r"""
        Eckart-Young: the best rank-k approximation M_k keeps the k largest singular values,
        and its error is exactly what it drops:
        ||M - M_k||_F / ||M||_F = sqrt(sum_{i>k} s_i^2 / sum_i s_i^2).
        np.linalg.svd(M, compute_uv=False) gives the s_i, largest first.
        """,
        """
        Try k = 0, 1, 2, ... and return the first k whose relative error is <= tol. The
        error uses SQUARED singular values and a square root; "share of the squared
        singular values kept" is a different quantity (it is 1 - error**2).
        """,
        """
        s = np.linalg.svd(M, compute_uv=False)
        err = np.sqrt(np.cumsum((s ** 2)[::-1])[::-1] / np.sum(s ** 2))   # err[k] for k < len(s)
        return the first k with err[k] <= tol, or len(s)
        """,
    ],
    solution_text="""
        def rank_for_error(M, tol):
            s = np.linalg.svd(M, compute_uv=False)          # largest first
            total = np.sum(s ** 2)
            for k in range(len(s) + 1):
                if np.sqrt(np.sum(s[k:] ** 2) / total) <= tol:   # what rank k leaves out
                    return k
    """,
)

q4 = ValueQuestion(
    qid="ex03.q4",
    title="Q4 PMI by hand",
    name="pmi_by_hand",
    expected={"w0-c0": float(np.log(0.25 / (0.25 * 0.25))), "w1-c1": float(np.log(0.75 / (0.75 * 0.75)))},
    hint_text=[
        """
        The table has 40 co-occurrences: P(w0, c0) = 10/40, P(w0) = 10/40, P(c0) = 10/40.
        PMI = log(P(w, c) / (P(w) P(c))), natural log.
        """,
        "So PMI(w0, c0) = log(0.25 / 0.25**2) = log 4; do the same for (w1, c1).",
    ],
    solution_text="""
        pmi_by_hand = {"w0-c0": np.log(4), "w1-c1": np.log(4 / 3)}
        # the rarer pair gets the larger PMI: PMI rewards surprise, which is why rare
        # events dominate it (and why PPMI smooths the context distribution, alpha=0.75).
    """,
)

QUESTIONS = [q1, q2, q3, q4]
