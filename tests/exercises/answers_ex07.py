"""Right and wrong answers for ``embedkit.exercises.ex07`` (evaluating embeddings)."""
import numpy as np


def average_ranks(x):
    x = np.asarray(x)
    order = np.argsort(x, kind="stable")
    r = np.empty(len(x))
    r[order] = np.arange(1, len(x) + 1)
    for v in np.unique(x):
        r[x == v] = r[x == v].mean()
    return r


def spearman_rho(h, m):
    return float(np.corrcoef(average_ranks(h), average_ranks(m))[0, 1])


def spearman_no_ties_formula(h, m):
    rh, rm = average_ranks(h), average_ranks(m)
    n = len(rh)
    return float(1 - 6 * np.sum((rh - rm) ** 2) / (n * (n ** 2 - 1)))


def spearman_ordinal_ranks(h, m):
    rank = lambda x: np.argsort(np.argsort(x, kind="stable"), kind="stable") + 1.0   # noqa: E731
    return float(np.corrcoef(rank(h), rank(m))[0, 1])


def _unit(S):
    return S / np.linalg.norm(S, axis=1, keepdims=True)


def weat_effect(SX, SY, SA, SB, *, ddof=1, normalise=True, pooled=True, diff=True):
    U = _unit if normalise else (lambda S: S)
    A, B = U(SA), U(SB)
    if diff:
        s = lambda S: (U(S) @ A.T).mean(axis=1) - (U(S) @ B.T).mean(axis=1)   # noqa: E731
    else:
        s = lambda S: (U(S) @ A.T).mean(axis=1)                                # noqa: E731
    s_x, s_y = s(SX), s(SY)
    spread = np.concatenate([s_x, s_y]).std(ddof=ddof) if pooled else s_x.std(ddof=ddof)
    return (s_x.mean() - s_y.mean()) / spread


def weat_p_value(s, n_x, P, *, strict=False, plus_one=True, two_sided=False, swap=False):
    observed = s[:n_x].sum() - s[n_x:].sum()
    first, rest = (P[:, n_x:], P[:, :n_x]) if swap else (P[:, :n_x], P[:, n_x:])
    stats = s[first].sum(axis=1) - s[rest].sum(axis=1)
    if two_sided:
        stats, observed = np.abs(stats), abs(observed)
    count = np.sum(stats > observed) if strict else np.sum(stats >= observed)
    return float((count + 1) / (len(P) + 1)) if plus_one else float(count / len(P))


def equalize(a, b, g, *, normalise_g=True, side=True, root=True, neutral=True):
    if normalise_g:
        g = g / np.linalg.norm(g)
    mu = (a + b) / 2
    nu = mu - (mu @ g) * g if neutral else mu
    z = max(1.0 - nu @ nu, 0.0)
    z = np.sqrt(z) if root else z
    if side and (a - b) @ g < 0:
        z = -z
    return np.stack([nu + z * g, nu - z * g])


ANSWERS = {
    "ex07.q1": {"solution": spearman_rho, "mutants": [
        ("the no-ties formula 1 - 6 sum d^2 / (n(n^2 - 1)) on tied data", spearman_no_ties_formula),
        ("ordinal ranks: tied values get different ranks", spearman_ordinal_ranks),
        ("Pearson on the raw values, not the ranks", lambda h, m: float(np.corrcoef(h, m)[0, 1])),
        ("ranks of m in decreasing order", lambda h, m: float(np.corrcoef(average_ranks(h), average_ranks(-m))[0, 1])),
    ]},
    "ex07.q2": {"solution": weat_effect, "mutants": [
        ("population std (ddof=0)", lambda *a: weat_effect(*a, ddof=0)),
        ("rows not normalised: dot products, not cosines", lambda *a: weat_effect(*a, normalise=False)),
        ("std of the X scores only", lambda *a: weat_effect(*a, pooled=False)),
        ("association with A only, not A minus B", lambda *a: weat_effect(*a, diff=False)),
    ]},
    "ex07.q3": {"solution": weat_p_value, "mutants": [
        ("strict > : ties not counted", lambda *a: weat_p_value(*a, strict=True)),
        ("two-sided |statistic|", lambda *a: weat_p_value(*a, two_sided=True)),
        ("count / n without the +1 correction", lambda *a: weat_p_value(*a, plus_one=False)),
        ("X and Y swapped in the permuted splits", lambda *a: weat_p_value(*a, swap=True)),
    ]},
    "ex07.q4": {"solution": equalize, "mutants": [
        ("g not normalised", lambda *a: equalize(*a, normalise_g=False)),
        ("no side rule: a always on the +g side", lambda *a: equalize(*a, side=False)),
        ("1 - |nu|^2 without the square root", lambda *a: equalize(*a, root=False)),
        ("the mean's component along g not removed", lambda *a: equalize(*a, neutral=False)),
    ]},
}
