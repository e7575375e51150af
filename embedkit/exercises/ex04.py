"""Checks for ``exercises/04_word2vec.ipynb``: the SGNS loss, the full-softmax gradient,
a central-difference gradient check, subsampling, and an SGNS training loop."""
from __future__ import annotations

import numpy as np

from ..text import sgns_numpy as sg
from .core import FunctionQuestion, MultiPartQuestion

_rng = np.random.default_rng(4)
_CASES = [
    ("a random example with d=5, K=3", (_rng.normal(size=5), _rng.normal(size=5), _rng.normal(size=(3, 5)))),
    ("large scores (|u . v| ~ 40)",
     (np.full(4, 3.0), np.full(4, 3.0), np.array([[-3.0] * 4, [3.0] * 4]))),
    ("extreme scores (u . v_pos = -1000, u . v_neg = +1000: log sigma must not overflow)",
     (np.array([10.0, 0.0]), np.array([-100.0, 0.0]), np.array([[100.0, 0.0], [0.0, 1.0]]))),
    ("one noise word, d=2", (np.array([1.0, 0.0]), np.array([1.0, 0.0]), np.array([[0.0, 1.0]]))),
]

q1 = FunctionQuestion(
    qid="ex04.q1",
    title="Q1 sgns_loss(u, v_pos, v_neg)",
    name="sgns_loss",
    reference=sg.sgns_loss,
    cases=_CASES,
    atol=1e-8, rtol=1e-8,
    hint_text=[
        """
        L = -log sigma(u . v_pos) - sum_k log sigma(-u . v_neg[k]), with v_neg a (K, d)
        matrix, so v_neg @ u gives the K noise scores at once.
        """,
        """
        For x = -1000, 1 + exp(-x) overflows and log(sigma(x)) becomes log(0) = -inf. Use
        log sigma(x) = -log(1 + exp(-x)) = -np.logaddexp(0, -x), which is exact for every x.
        """,
        """
        log_sigmoid = lambda x: -np.logaddexp(0.0, -x)
        return float(-log_sigmoid(u @ v_pos) - log_sigmoid(-(v_neg @ u)).sum())
        """,
    ],
    solution_text="""
        def log_sigmoid(x):
            return -np.logaddexp(0.0, -x)      # stable for every x

        def sgns_loss(u, v_pos, v_neg):
            return float(-log_sigmoid(u @ v_pos) - log_sigmoid(-(v_neg @ u)).sum())
    """,
)


# -- Q2: the full-softmax loss and its gradients (a derivation) ---------------------------
def _softmax_parts(u, W_out, o):
    u, W = np.asarray(u, dtype=np.float64), np.asarray(W_out, dtype=np.float64)
    s = W @ u
    m = s.max()
    lse = m + np.log(np.exp(s - m).sum())
    p = np.exp(s - lse)
    err = p.copy()
    err[o] -= 1.0
    return float(lse - s[o]), err @ W, np.outer(err, u)


_W7, _u4 = _rng.normal(size=(7, 4)), _rng.normal(size=4)
_W1000, _u8 = _rng.normal(scale=0.3, size=(1000, 8)), _rng.normal(size=8)
_SOFTMAX_CASES = [
    ("V=7, d=4, target 2", (_u4, _W7, 2)),
    ("V=7, target 6 (the last word)", (_u4, _W7, 6)),
    ("V=7, u scaled by 300 (scores in the hundreds: exp overflows unless shifted)", (300 * _u4, _W7, 0)),
    ("V=1000, d=8, target 999", (_u8, _W1000, 999)),
]
_softmax_hint_a = [
    r"""
    -log P(o | c) = -log( exp(s_o) / sum_w exp(s_w) ) = logsumexp(s) - s_o with the scores
    s = W_out @ u, one per vocabulary word.
    """,
    """
    exp(300) overflows: subtract the largest score first, logsumexp(s) = m + log(sum(exp(s - m)))
    with m = s.max() (softmax does not change when every score moves by the same amount).
    """,
    """
    s = W_out @ u; m = s.max()
    return float(m + np.log(np.exp(s - m).sum()) - s[o])
    """,
]
q2 = MultiPartQuestion(
    "ex04.q2", "Q2 the full softmax: loss and gradients",
    a=FunctionQuestion(
        qid="ex04.q2.a", title="Q2a softmax_loss(u, W_out, o) = -log P(o | c)", name="softmax_loss",
        reference=lambda u, W, o: _softmax_parts(u, W, o)[0], cases=_SOFTMAX_CASES, atol=1e-8, rtol=1e-8,
        keep_inputs=True, hint_text=_softmax_hint_a,
        solution_text="""
            def softmax_loss(u, W_out, o):
                s = W_out @ u
                m = s.max()                                   # shift: exp never overflows
                return float(m + np.log(np.exp(s - m).sum()) - s[o])
        """),
    b=FunctionQuestion(
        qid="ex04.q2.b", title="Q2b softmax_grad_u(u, W_out, o): dL/du", name="softmax_grad_u",
        reference=lambda u, W, o: _softmax_parts(u, W, o)[1], cases=_SOFTMAX_CASES, atol=1e-8, rtol=1e-6,
        keep_inputs=True,
        hint_text=[
            r"""
            Chain rule through the scores s_w = v_w . u: dL/ds_w = P(w | c) - [w == o]
            (softmax minus one-hot), and ds_w/du = v_w.
            """,
            r"""
            So dL/du = sum_w P(w | c) v_w - v_o: the expected output vector under the model
            minus the observed one, which is W_out.T @ p - W_out[o], every row of W_out.
            """,
            """
            p = softmax(W_out @ u) computed stably; err = p.copy(); err[o] -= 1
            return err @ W_out
            """,
        ],
        solution_text="""
            def softmax_grad_u(u, W_out, o):
                s = W_out @ u
                p = np.exp(s - s.max()); p /= p.sum()            # P(w | c), stably
                err = p.copy(); err[o] -= 1.0                    # dL/ds = p - onehot(o)
                return err @ W_out                               # sum_w P(w|c) v_w - v_o
        """),
    c=FunctionQuestion(
        qid="ex04.q2.c", title="Q2c softmax_grad_W(u, W_out, o): dL/dW_out", name="softmax_grad_W",
        reference=lambda u, W, o: _softmax_parts(u, W, o)[2], cases=_SOFTMAX_CASES, atol=1e-8, rtol=1e-6,
        keep_inputs=True,
        hint_text=[
            r"""
            dL/dv_w = dL/ds_w * ds_w/dv_w = (P(w | c) - [w == o]) u: every one of the V rows gets
            a gradient, which is why the full softmax costs O(V d) per pair.
            """,
            "All rows at once: an outer product of (p - onehot(o)), shape (V,), with u, shape (d,).",
            "err = p.copy(); err[o] -= 1; return np.outer(err, u)      # (V, d)",
        ],
        solution_text="""
            def softmax_grad_W(u, W_out, o):
                s = W_out @ u
                p = np.exp(s - s.max()); p /= p.sum()
                err = p.copy(); err[o] -= 1.0
                return np.outer(err, u)                          # (V, d): every row moves
        """),
)


def _cubic(x):
    return float(np.sum(x ** 3) - 2.0 * x[0] * x[-1])


q3 = FunctionQuestion(
    qid="ex04.q3",
    title="Q3 numerical_gradient(f, x, eps): central differences",
    name="numerical_gradient",
    reference=lambda f, x, eps: sg.numerical_gradient(f, np.array(x, dtype=np.float64), eps),
    cases=[
        ("numerical_gradient(sum(x**3) - 2 x0 x_last, [1, 2, 3], eps=1e-5)",
         (_cubic, np.array([1.0, 2.0, 3.0]), 1e-5)),
        ("numerical_gradient(sum(x**3) - 2 x0 x_last, [1, -2, 3, 0.5], eps=0.1) (a large eps: "
         "one-sided differences are off by O(eps))", (_cubic, np.array([1.0, -2.0, 3.0, 0.5]), 0.1)),
        ("numerical_gradient(sgns_loss(., v_pos, v_neg), u, eps=1e-6)",
         (lambda u, c=_CASES[0][1]: sg.sgns_loss(u, c[1], c[2]), _CASES[0][1][0].copy(), 1e-6)),
        ("numerical_gradient(on a 2 x 3 matrix x, eps=0.01)",
         (lambda X: float(np.sum(X ** 3) + X[0, 1] * X[1, 2]), np.arange(6.0).reshape(2, 3) / 4, 0.01)),
    ],
    atol=1e-6, rtol=1e-6,
    keep_inputs=True,
    hint_text=[
        r"""
        For each coordinate i: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), the central
        difference, accurate to O(eps^2); the one-sided (f(x + eps e_i) - f(x)) / eps is only
        O(eps), which the check sees with eps = 0.1.
        """,
        """
        Work on a float64 copy of x (x may be a matrix: iterate over x.flat or np.ndindex),
        and put each coordinate back before moving to the next one. Return an array
        shaped like x.
        """,
        """
        x = np.array(x, dtype=float); grad = np.zeros_like(x)
        for i in range(x.size):
            old = x.flat[i]; x.flat[i] = old + eps; up = f(x); x.flat[i] = old - eps; down = f(x)
            x.flat[i] = old; grad.flat[i] = (up - down) / (2 * eps)
        """,
    ],
    solution_text="""
        def numerical_gradient(f, x, eps):
            x = np.array(x, dtype=np.float64)          # a copy: the caller's x is untouched
            grad = np.zeros_like(x)
            for i in range(x.size):
                old = x.flat[i]
                x.flat[i] = old + eps
                up = f(x)
                x.flat[i] = old - eps
                down = f(x)
                x.flat[i] = old                         # restore before the next coordinate
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
        ("keep_probability([5, 5], 0.5) (f = t exactly)", (np.array([5, 5]), 0.5)),
    ],
    atol=1e-10, rtol=1e-8,
    keep_inputs=True,
    hint_text=[
        """
        f = counts / counts.sum() is each word's frequency. The formula of word2vec.c and
        gensim (not the paper's sqrt(t / f)) is keep = (sqrt(f / t) + 1) * t / f.
        """,
        "Rare words get a value above 1: cap it with np.minimum(1.0, ...).",
    ],
    solution_text="""
        def keep_probability(counts, t):
            f = counts / counts.sum()
            return np.minimum(1.0, (np.sqrt(f / t) + 1.0) * t / f)
    """,
)


# -- Q5: an SGNS training loop (an algorithm) ---------------------------------------------
def _sgns_epoch_ref(pairs, negatives, W_in, W_out, lr):
    W_in, W_out = np.array(W_in, dtype=np.float64), np.array(W_out, dtype=np.float64)
    for (c, o), neg in zip(pairs, negatives):
        sg.sgns_step(W_in, W_out, int(c), int(o), neg, lr)
    return {"W_in": W_in, "W_out": W_out}


_r5 = np.random.default_rng(45)
_small_pairs = np.array([[0, 1], [1, 0], [2, 3], [0, 1], [5, 4]])
_small_neg = np.array([[2, 2], [1, 4], [3, 0], [5, 5], [4, 1]])   # repeats; the context among the noise
_big_pairs = _r5.integers(0, 50, size=(200, 2))
q5 = FunctionQuestion(
    qid="ex04.q5",
    title="Q5 sgns_epoch(pairs, negatives, W_in, W_out, lr): one pass of SGD",
    name="sgns_epoch",
    reference=_sgns_epoch_ref,
    cases=[
        ("sgns_epoch(5 pairs, V=6, d=3, K=2 with repeated noise words, lr=0.5)",
         (_small_pairs, _small_neg, _r5.normal(size=(6, 3)), _r5.normal(size=(6, 3)), 0.5)),
        ("sgns_epoch(200 pairs, V=50, d=8, K=5, lr=0.1)",
         (_big_pairs, _r5.integers(0, 50, size=(200, 5)), _r5.normal(scale=0.5, size=(50, 8)),
          _r5.normal(scale=0.5, size=(50, 8)), 0.1)),
        ("sgns_epoch(one pair whose context is also a noise word, lr=1)",
         (np.array([[1, 2]]), np.array([[2, 0, 2]]), np.eye(3), np.arange(9.0).reshape(3, 3) / 10, 1.0)),
    ],
    atol=1e-10, rtol=1e-8,
    keep_inputs=True,
    hint_text=[
        r"""
        For each pair (c, o) in order, with its K noise ids negatives[p]: compute the three
        gradients of the lesson (section 3) at the CURRENT values of W_in[c], W_out[o] and
        W_out[negatives[p]], then take one step: W -= lr * gradient on those rows only.
        Start from copies: the caller's matrices must not change.
        """,
        """
        Two traps. Compute all three gradients before updating anything (the gradient of
        v_pos uses the old u). And a noise word drawn twice (or equal to the context) gets
        both updates: W_out[neg] -= ... keeps only one of two repeated rows; np.add.at (or
        np.subtract.at) adds them all.
        """,
        """
        u, v_pos, v_neg = W_in[c].copy(), W_out[o].copy(), W_out[neg]
        g_pos = sigmoid(u @ v_pos) - 1.0; g_neg = sigmoid(v_neg @ u)
        W_in[c] -= lr * (g_pos * v_pos + g_neg @ v_neg); W_out[o] -= lr * g_pos * u
        np.add.at(W_out, neg, -lr * np.outer(g_neg, u))
        """,
    ],
    solution_text="""
        def sigmoid(x):
            return np.exp(-np.logaddexp(0.0, -x))

        def sgns_epoch(pairs, negatives, W_in, W_out, lr):
            W_in, W_out = W_in.astype(float), W_out.astype(float)     # copies
            for (c, o), neg in zip(pairs, negatives):
                u, v_pos, v_neg = W_in[c].copy(), W_out[o].copy(), W_out[neg]
                g_pos = sigmoid(u @ v_pos) - 1.0                       # push the real pair up
                g_neg = sigmoid(v_neg @ u)                             # push the noise down
                W_in[c] -= lr * (g_pos * v_pos + g_neg @ v_neg)
                W_out[o] -= lr * g_pos * u
                np.add.at(W_out, neg, -lr * np.outer(g_neg, u))        # repeated noise adds up
            return {"W_in": W_in, "W_out": W_out}
    """,
)

QUESTIONS = [q1, q2, q3, q4, q5]
