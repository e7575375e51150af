"""Checks for ``exercises/04_word2vec.ipynb``: the SGNS loss, its gradient, word2vec's
two distributions."""
from __future__ import annotations

import numpy as np

from ..text import sgns_numpy as sg
from .core import FunctionQuestion

_rng = np.random.default_rng(4)
_CASES = [
    ("a random example with d=5, K=3", (_rng.normal(size=5), _rng.normal(size=5), _rng.normal(size=(3, 5)))),
    ("large scores (|u . v| ~ 40: mind the overflow)",
     (np.full(4, 3.0), np.full(4, 3.0), np.array([[-3.0] * 4, [3.0] * 4]))),
    ("one noise word, d=2", (np.array([1.0, 0.0]), np.array([1.0, 0.0]), np.array([[0.0, 1.0]]))),
]

q1 = FunctionQuestion(
    qid="ex04.q1",
    title="Q1 sgns_loss(u, v_pos, v_neg)",
    name="sgns_loss",
    reference=sg.sgns_loss,
    cases=_CASES,
    atol=1e-8, rtol=1e-8,
    hint_text="""
        L = -log sigma(u . v_pos) - sum_k log sigma(-u . v_neg[k]), with v_neg a (K, d)
        matrix, so v_neg @ u gives the K noise scores at once. For large |x|, 1 + exp(-x)
        overflows: use log sigma(x) = -np.logaddexp(0, -x).
    """,
    solution_text="""
        def log_sigmoid(x):
            return -np.logaddexp(0.0, -x)

        def sgns_loss(u, v_pos, v_neg):
            return float(-log_sigmoid(u @ v_pos) - log_sigmoid(-(v_neg @ u)).sum())
    """,
)


def _grad_ref(u, v_pos, v_neg):
    _, g_u, g_pos, g_neg = sg.sgns_gradients(u, v_pos, v_neg)
    return {"u": g_u, "v_pos": g_pos, "v_neg": g_neg}


q2 = FunctionQuestion(
    qid="ex04.q2",
    title="Q2 sgns_grad(u, v_pos, v_neg): the analytic gradient",
    name="sgns_grad",
    reference=_grad_ref,
    cases=_CASES,
    atol=1e-8, rtol=1e-6,
    hint_text="""
        With s = u . v_pos and t_k = u . v_neg[k]:
        dL/ds = sigma(s) - 1 and dL/dt_k = sigma(t_k). The chain rule then gives
        dL/du = (sigma(s) - 1) v_pos + sum_k sigma(t_k) v_neg[k],
        dL/dv_pos = (sigma(s) - 1) u and dL/dv_neg[k] = sigma(t_k) u (an outer product).
        Return {"u": ..., "v_pos": ..., "v_neg": ...}.
    """,
    solution_text="""
        def sigmoid(x):
            return np.exp(-np.logaddexp(0.0, -x))

        def sgns_grad(u, v_pos, v_neg):
            g_pos = sigmoid(u @ v_pos) - 1.0        # scalar
            g_neg = sigmoid(v_neg @ u)              # (K,)
            return {"u": g_pos * v_pos + g_neg @ v_neg,
                    "v_pos": g_pos * u,
                    "v_neg": np.outer(g_neg, u)}
    """,
)


def _quadratic(x):
    return float(np.sum(x ** 3) - 2.0 * x[0] * x[-1])


q3 = FunctionQuestion(
    qid="ex04.q3",
    title="Q3 numerical_gradient(f, x, eps): central differences",
    name="numerical_gradient",
    reference=lambda f, x, eps: sg.numerical_gradient(f, np.array(x, dtype=np.float64), eps),
    cases=[
        ("numerical_gradient(sum(x**3) - 2 x0 x_last, [1, 2, 3], 1e-5)",
         (_quadratic, np.array([1.0, 2.0, 3.0]), 1e-5)),
        ("numerical_gradient(sgns_loss(., v_pos, v_neg), u, 1e-6)",
         (lambda u, c=_CASES[0][1]: sg.sgns_loss(u, c[1], c[2]), _CASES[0][1][0].copy(), 1e-6)),
    ],
    atol=1e-6, rtol=1e-5,
    hint_text="""
        For each coordinate i: add eps to x[i], evaluate f, subtract eps (from the original
        value), evaluate f again, restore x[i], and store (f_plus - f_minus) / (2 * eps).
        Work on a float64 copy of x.
    """,
    solution_text="""
        def numerical_gradient(f, x, eps):
            x = np.array(x, dtype=np.float64)
            grad = np.zeros_like(x)
            for i in range(x.size):
                old = x.flat[i]
                x.flat[i] = old + eps
                up = f(x)
                x.flat[i] = old - eps
                down = f(x)
                x.flat[i] = old
                grad.flat[i] = (up - down) / (2 * eps)
            return grad
    """,
)


def _keep_ref(counts, t):
    f = np.asarray(counts, dtype=np.float64) / np.sum(counts)
    return np.minimum(1.0, (np.sqrt(f / t) + 1.0) * t / f)


q4 = FunctionQuestion(
    qid="ex04.q4",
    title="Q4 keep_probability(counts, t): word2vec's subsampling",
    name="keep_probability",
    reference=_keep_ref,
    cases=[
        ("keep_probability([900, 90, 10], 0.01)", (np.array([900, 90, 10]), 0.01)),
        ("keep_probability(Zipf counts of 1000 words, 1e-3)", (np.round(1e6 / np.arange(1, 1001)), 1e-3)),
    ],
    atol=1e-10, rtol=1e-8,
    hint_text="""
        f = counts / counts.sum(); keep = (sqrt(f / t) + 1) * t / f, capped at 1
        (np.minimum). That is the formula in word2vec.c and gensim, not the paper's.
    """,
    solution_text="""
        def keep_probability(counts, t):
            f = counts / counts.sum()
            return np.minimum(1.0, (np.sqrt(f / t) + 1.0) * t / f)
    """,
)


def _noise_ref(counts, power):
    w = np.asarray(counts, dtype=np.float64) ** power
    return w / w.sum()


q5 = FunctionQuestion(
    qid="ex04.q5",
    title="Q5 noise_distribution(counts, power)",
    name="noise_distribution",
    reference=_noise_ref,
    cases=[
        ("noise_distribution([81, 16, 1], 0.75)", (np.array([81, 16, 1]), 0.75)),
        ("noise_distribution([81, 16, 1], 1.0) (the unigram distribution)", (np.array([81, 16, 1]), 1.0)),
        ("noise_distribution([81, 16, 1], 0.0) (uniform)", (np.array([81, 16, 1]), 0.0)),
    ],
    atol=1e-12, rtol=1e-10,
    hint_text="Raise the counts to `power`, then divide by the sum so that they add up to 1.",
    solution_text="""
        def noise_distribution(counts, power):
            w = np.asarray(counts, dtype=float) ** power
            return w / w.sum()
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5]
