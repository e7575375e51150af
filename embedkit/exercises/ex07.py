"""Checks for ``exercises/07_evaluating_embeddings.ipynb``: Spearman's rho with ties, the
WEAT effect size, its permutation test, and the equalise step of hard debiasing."""
from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

from ..text.bias import weat_effect_size
from ..text.word_vectors import WordVectors
from .core import FunctionQuestion

_rng = np.random.default_rng(7)


def _unit_rows(n, d):
    X = _rng.standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


# -- Q1: Spearman's rho with ties (an algorithm) -------------------------------------------
_h_ties = np.round(_rng.uniform(0, 10, 353) * 2) / 2            # ratings in steps of 0.5: many ties
_m_ties = np.round(_h_ties + _rng.normal(0, 2.5, 353), 1)
q1 = FunctionQuestion(
    qid="ex07.q1",
    title="Q1 spearman_rho(h, m): Spearman's rank correlation, ties included",
    name="spearman_rho",
    reference=lambda h, m: float(spearmanr(h, m).statistic),
    cases=[
        ("spearman_rho([1, 2, 3, 4, 5], [5, 6, 7, 8, 7.5]) (no ties)",
         (np.array([1.0, 2, 3, 4, 5]), np.array([5.0, 6, 7, 8, 7.5]))),
        ("spearman_rho([1, 2, 2, 3, 4, 4, 4], [1, 3, 2, 4, 5, 7, 6]) (ties in h)",
         (np.array([1.0, 2, 2, 3, 4, 4, 4]), np.array([1.0, 3, 2, 4, 5, 7, 6]))),
        ("spearman_rho(h, exp(5 m)) (a monotone transform of m)",
         (np.array([3.0, 1, 4, 1, 5, 9, 2, 6]), np.exp(5 * np.array([0.2, 0.1, 0.5, 0.3, 0.4, 0.9, 0.15, 0.6])))),
        ("spearman_rho(353 ratings in steps of 0.5, noisy model scores rounded to 0.1) (ties in both)",
         (_h_ties, _m_ties)),
        ("spearman_rho(h, -h) with ties", (np.array([2.0, 2, 1, 3, 3, 3]), -np.array([2.0, 2, 1, 3, 3, 3]))),
    ],
    atol=1e-10, rtol=1e-10,
    keep_inputs=True,
    hint_text=[
        """
        Spearman's rho is Pearson's correlation of the RANKS: replace each list by the ranks
        of its values (1 = smallest), then np.corrcoef(rank_h, rank_m)[0, 1].
        """,
        """
        Ties get the AVERAGE of the ranks they span: [10, 20, 20, 30] has ranks
        [1, 2.5, 2.5, 4]. argsort(argsort(x)) gives tied values different ranks, and the
        textbook 1 - 6 sum d^2 / (n (n^2 - 1)) is exact only without ties.
        """,
        """
        def ranks(x):
            order = np.argsort(x, kind="stable"); r = np.empty(len(x)); r[order] = np.arange(1, len(x) + 1)
            for v in np.unique(x): r[x == v] = r[x == v].mean()      # average over each tie group
            return r
        """,
    ],
    solution_text="""
        def average_ranks(x):
            x = np.asarray(x)
            order = np.argsort(x, kind="stable")
            r = np.empty(len(x))
            r[order] = np.arange(1, len(x) + 1)
            for v in np.unique(x):                  # tied values share their mean rank
                r[x == v] = r[x == v].mean()
            return r

        def spearman_rho(h, m):
            return float(np.corrcoef(average_ranks(h), average_ranks(m))[0, 1])
    """,
)


def _near(axis, n, d=12):
    """n vectors of lengths 1 to 3 scattered around basis vector `axis`."""
    return (np.eye(d)[axis] + 0.3 * _rng.standard_normal((n, d))) * _rng.uniform(1, 3, (n, 1))


def _weat_ref(SX, SY, SA, SB):
    rows = [np.asarray(S, dtype=np.float64) for S in (SX, SY, SA, SB)]
    names = [[f"{tag}{i}" for i in range(len(S))] for tag, S in zip("XYAB", rows)]
    wv = WordVectors(sum(names, []), np.vstack(rows))
    return weat_effect_size(wv, *names)


q2 = FunctionQuestion(
    qid="ex07.q2",
    title="Q2 weat_effect(SX, SY, SA, SB): the WEAT effect size",
    name="weat_effect",
    reference=_weat_ref,
    cases=[
        ("weat_effect(4, 4, 3, 3 random unit rows in 10-D)",
         (_unit_rows(4, 10), _unit_rows(4, 10), _unit_rows(3, 10), _unit_rows(3, 10))),
        ("weat_effect(6, 5, 8, 7 random unit rows in 20-D) (sets of different sizes)",
         (_unit_rows(6, 20), _unit_rows(5, 20), _unit_rows(8, 20), _unit_rows(7, 20))),
        ("weat_effect(X, Y, A, B) with X near A and Y near B, rows not of unit length (a large effect)",
         tuple(_near(axis, n) for axis, n in ((0, 5), (1, 5), (0, 4), (1, 4)))),
    ],
    atol=1e-5, rtol=1e-5,
    keep_inputs=True,
    hint_text=[
        r"""
        s(w, A, B) = mean over A of cos(w, a) minus mean over B of cos(w, b). The effect size
        is (mean of s over X - mean of s over Y) / std of s over X and Y together.
        """,
        """
        Normalise the rows first (the check's third case is not unit length). Then all
        cosines between two sets are one product: SX @ SA.T is (|X|, |A|). The standard
        deviation is the SAMPLE one over the pooled scores: np.concatenate([s_x, s_y]).std(ddof=1).
        """,
        """
        unit = lambda S: S / np.linalg.norm(S, axis=1, keepdims=True)
        s = lambda S: (unit(S) @ unit(SA).T).mean(1) - (unit(S) @ unit(SB).T).mean(1)
        return (s(SX).mean() - s(SY).mean()) / np.concatenate([s(SX), s(SY)]).std(ddof=1)
        """,
    ],
    solution_text="""
        def weat_effect(SX, SY, SA, SB):
            unit = lambda S: S / np.linalg.norm(S, axis=1, keepdims=True)
            A, B = unit(SA), unit(SB)
            s = lambda S: (unit(S) @ A.T).mean(axis=1) - (unit(S) @ B.T).mean(axis=1)
            s_x, s_y = s(SX), s(SY)
            return (s_x.mean() - s_y.mean()) / np.concatenate([s_x, s_y]).std(ddof=1)
    """,
)


# -- Q3: the WEAT permutation test (an algorithm) -------------------------------------------
def _weat_p_ref(s, n_x, permutations):
    s = np.asarray(s, dtype=np.float64)
    observed = s[:n_x].sum() - s[n_x:].sum()
    perms = np.asarray(permutations)
    stats = s[perms[:, :n_x]].sum(axis=1) - s[perms[:, n_x:]].sum(axis=1)
    return float((np.sum(stats >= observed) + 1) / (len(perms) + 1))


_r3 = np.random.default_rng(73)
_s_small = np.array([0.5, 0.25, 0.75, -0.25, 0.0, -0.5])                  # exact in binary: no rounding
_perm_all = np.array([np.r_[p] for p in __import__("itertools").permutations(range(6))])
_s_unequal = np.array([1.0, 0.75, 0.75, 0.5, 0.25, 0.5, -0.25, 0.0])        # |X| = 5, |Y| = 3, ties
_perm_unequal = np.array([_r3.permutation(8) for _ in range(400)])
_s_big = np.round(_r3.normal(0.05, 0.1, 16) * 64) / 64
_perm_big = np.array([_r3.permutation(16) for _ in range(2000)])
q3 = FunctionQuestion(
    qid="ex07.q3",
    title="Q3 weat_p_value(s, n_x, permutations): the one-sided permutation test",
    name="weat_p_value",
    reference=_weat_p_ref,
    cases=[
        ("weat_p_value(6 scores, n_x=3, all 720 orderings)", (_s_small, 3, _perm_all)),
        ("weat_p_value(8 scores with ties, n_x=5, 400 random orderings)", (_s_unequal, 5, _perm_unequal)),
        ("weat_p_value(16 scores, n_x=8, 2000 random orderings)", (_s_big, 8, _perm_big)),
        ("weat_p_value(Y's scores above X's: a large p)", (-_s_small, 3, _perm_all)),
    ],
    atol=1e-12, rtol=1e-12,
    keep_inputs=True,
    hint_text=[
        r"""
        The test statistic of a split is sum of s over "X" minus sum of s over "Y". The
        observed split puts the first n_x scores in X. Each row of `permutations` is a
        reordering of all the indices: its first n_x indices form a new "X", the rest a
        new "Y". The p-value is the share of permutations whose statistic is AT LEAST the
        observed one (ties count), with one added to both counts: (count + 1) / (n + 1).
        """,
        """
        One-sided: a large statistic is evidence, a large negative one is not (no abs). All
        the permutation statistics at once: s[permutations[:, :n_x]].sum(axis=1) -
        s[permutations[:, n_x:]].sum(axis=1).
        """,
        """
        observed = s[:n_x].sum() - s[n_x:].sum()
        stats = s[P[:, :n_x]].sum(1) - s[P[:, n_x:]].sum(1)
        return (np.sum(stats >= observed) + 1) / (len(P) + 1)
        """,
    ],
    solution_text="""
        def weat_p_value(s, n_x, permutations):
            observed = s[:n_x].sum() - s[n_x:].sum()
            stats = s[permutations[:, :n_x]].sum(axis=1) - s[permutations[:, n_x:]].sum(axis=1)
            return float((np.sum(stats >= observed) + 1) / (len(permutations) + 1))   # ties count
    """,
)


# -- Q4: equalise a pair (a derivation) ----------------------------------------------------
def _equalize_ref(a, b, g):
    a, b, g = (np.asarray(v, dtype=np.float64) for v in (a, b, g))
    g = g / np.linalg.norm(g)
    mu = (a + b) / 2
    nu = mu - (mu @ g) * g
    z = np.sqrt(max(1.0 - nu @ nu, 0.0))
    if (a - b) @ g < 0:
        z = -z
    return np.stack([nu + z * g, nu - z * g])


def _unit(v):
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


_g8 = _rng.standard_normal(8)
q4 = FunctionQuestion(
    qid="ex07.q4",
    title="Q4 equalize(a, b, g): move a pair to be symmetric about the neutral subspace",
    name="equalize",
    reference=_equalize_ref,
    cases=[
        ("equalize(unit [1, 1, 0], unit [-1, 2, 1], g = [1, 0, 0])",
         (_unit([1.0, 1.0, 0.0]), _unit([-1.0, 2.0, 1.0]), np.array([1.0, 0.0, 0.0]))),
        ("equalize(a, b, g = [0, 0, 5]) (g not of unit length)",
         (_unit([1.0, 2.0, 2.0]), _unit([2.0, 1.0, -2.0]), np.array([0.0, 0.0, 5.0]))),
        ("equalize(a, b, g) with a on the negative side of g",
         (_unit([-2.0, 1.0, 0.5]), _unit([1.5, 1.0, 0.0]), np.array([1.0, 0.0, 0.0]))),
        ("equalize(two random unit vectors in 8-D, a random g)",
         (_unit(_rng.standard_normal(8)), _unit(_rng.standard_normal(8)), _g8)),
    ],
    atol=1e-8, rtol=1e-8,
    keep_inputs=True,
    hint_text=[
        r"""
        After equalising, the two words must differ ONLY along g, and be unit vectors, so
        that every neutral word (orthogonal to g) is equally far from both. Their common
        part is the neutral part of the pair's mean: nu = mu - (mu . g) g with mu = (a + b) / 2
        and g of unit length.
        """,
        r"""
        Each word is nu + z g with z chosen for unit length: |nu|^2 + z^2 = 1 (nu is
        orthogonal to g), so z = +-sqrt(1 - |nu|^2). The word that had the larger component
        along g, (a - b) . g > 0, keeps the positive side.
        """,
        """
        g = g / |g|; mu = (a + b) / 2; nu = mu - (mu @ g) * g
        z = np.sqrt(1 - nu @ nu) * (1 if (a - b) @ g >= 0 else -1)
        return np.stack([nu + z * g, nu - z * g])
        """,
    ],
    solution_text="""
        def equalize(a, b, g):
            g = g / np.linalg.norm(g)
            mu = (a + b) / 2
            nu = mu - (mu @ g) * g                       # the shared, neutral part
            z = np.sqrt(max(1.0 - nu @ nu, 0.0))         # unit length: |nu|^2 + z^2 = 1
            if (a - b) @ g < 0:                          # each word stays on its own side
                z = -z
            return np.stack([nu + z * g, nu - z * g])
    """,
)

QUESTIONS = [q1, q2, q3, q4]
