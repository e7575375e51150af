"""Checks for ``exercises/05_glove.ipynb``: the weighting f(x), the loss, its gradient, AdaGrad."""
from __future__ import annotations

import numpy as np

from ..text.glove import glove_loss_and_grads, glove_weight
from .core import FunctionQuestion

_rng = np.random.default_rng(5)
_X = _rng.integers(0, 25, size=(5, 5)).astype(float)
_X = _X + _X.T
ROWS, COLS = (a.astype(np.int64) for a in np.nonzero(_X))
COUNTS = _X[ROWS, COLS]
W0, C0 = _rng.normal(scale=0.5, size=(5, 3)), _rng.normal(scale=0.5, size=(5, 3))
BW0, BC0 = _rng.normal(size=5), _rng.normal(size=5)

q1 = FunctionQuestion(
    qid="ex05.q1",
    title="Q1 glove_f(x, x_max, alpha): the weighting function",
    name="glove_f",
    reference=glove_weight,
    cases=[
        ("glove_f([0, 1, 10, 100, 500], 100, 0.75)", (np.array([0.0, 1.0, 10.0, 100.0, 500.0]), 100.0, 0.75)),
        ("glove_f([2, 5, 20], 10, 1.0)", (np.array([2.0, 5.0, 20.0]), 10.0, 1.0)),
        ("glove_f(COUNTS, 20, 0.5)", (COUNTS, 20.0, 0.5)),
    ],
    atol=1e-10, rtol=1e-8,
    hint_text="""
        Below x_max the weight is (x / x_max) ** alpha, from x_max on it is 1: that is
        np.minimum(1.0, (x / x_max) ** alpha), elementwise. Check that f(0) = 0.
    """,
    solution_text="""
        def glove_f(x, x_max, alpha):
            x = np.asarray(x, dtype=float)
            return np.minimum(1.0, (x / x_max) ** alpha)
    """,
)

q2 = FunctionQuestion(
    qid="ex05.q2",
    title="Q2 glove_batch_loss(W, C, bw, bc, rows, cols, counts, x_max, alpha)",
    name="glove_batch_loss",
    reference=lambda *a: glove_loss_and_grads(*a)[0],
    cases=[
        ("glove_batch_loss on the toy cells, x_max=10", (W0, C0, BW0, BC0, ROWS, COLS, COUNTS, 10.0, 0.75)),
        ("glove_batch_loss on the first 4 cells, x_max=100", (W0, C0, BW0, BC0, ROWS[:4], COLS[:4], COUNTS[:4], 100.0, 0.75)),
        ("glove_batch_loss with a repeated cell", (W0, C0, BW0, BC0, np.array([0, 0]), np.array([1, 1]), np.array([3.0, 3.0]), 10.0, 1.0)),
    ],
    atol=1e-8, rtol=1e-8,
    hint_text="""
        For each cell k: prediction = W[rows[k]] . C[cols[k]] + bw[rows[k]] + bc[cols[k]],
        residual = prediction - log(counts[k]); the loss is the sum over cells of
        f(counts[k]) * residual ** 2 (no 1/2 factor). np.einsum("ij,ij->i", W[rows], C[cols])
        gives all dot products at once.
    """,
    solution_text="""
        def glove_batch_loss(W, C, bw, bc, rows, cols, counts, x_max, alpha):
            pred = np.einsum("ij,ij->i", W[rows], C[cols]) + bw[rows] + bc[cols]
            r = pred - np.log(counts)
            return np.sum(glove_f(counts, x_max, alpha) * r ** 2)
    """,
)

q3 = FunctionQuestion(
    qid="ex05.q3",
    title="Q3 glove_grad_W(...): dJ/dW, a row may appear in several cells",
    name="glove_grad_W",
    reference=lambda *a: glove_loss_and_grads(*a)[1],
    cases=[
        ("glove_grad_W on the toy cells, x_max=10", (W0, C0, BW0, BC0, ROWS, COLS, COUNTS, 10.0, 0.75)),
        ("glove_grad_W with a repeated row", (W0, C0, BW0, BC0, np.array([2, 2, 4]), np.array([0, 3, 2]), np.array([1.0, 7.0, 30.0]), 10.0, 0.75)),
    ],
    atol=1e-8, rtol=1e-8,
    hint_text="""
        The derivative of f * r ** 2 with respect to W[i] is 2 * f * r * C[j]. Start from
        np.zeros_like(W) and ADD each cell's contribution to its row: a plain
        dW[rows] += ... would keep only one of two cells that share a row; np.add.at(dW, rows,
        values) accumulates them.
    """,
    solution_text="""
        def glove_grad_W(W, C, bw, bc, rows, cols, counts, x_max, alpha):
            r = np.einsum("ij,ij->i", W[rows], C[cols]) + bw[rows] + bc[cols] - np.log(counts)
            g = 2 * glove_f(counts, x_max, alpha) * r
            dW = np.zeros_like(W)
            np.add.at(dW, rows, g[:, None] * C[cols])
            return dW
    """,
)


def _adagrad_ref(theta, G, g, lr):
    # glove.c: the step uses G before this gradient is added
    return np.concatenate([theta - lr * g / np.sqrt(G), G + g * g])


q4 = FunctionQuestion(
    qid="ex05.q4",
    title="Q4 adagrad_step(theta, G, g, lr) -> concatenated (new theta, new G)",
    name="adagrad_step",
    reference=_adagrad_ref,
    cases=[
        ("adagrad_step([0.5, -1], [1, 1], [2, 0.1], 0.05)", (np.array([0.5, -1.0]), np.array([1.0, 1.0]), np.array([2.0, 0.1]), 0.05)),
        ("adagrad_step([0, 0, 0], [1, 4, 100], [1, 1, 1], 0.1)", (np.zeros(3), np.array([1.0, 4.0, 100.0]), np.ones(3), 0.1)),
    ],
    atol=1e-10, rtol=1e-8,
    hint_text="""
        As glove.c: step with the accumulator as it was BEFORE this gradient,
        theta_new = theta - lr * g / sqrt(G), then G_new = G + g ** 2. Return
        np.concatenate([theta_new, G_new]).
    """,
    solution_text="""
        def adagrad_step(theta, G, g, lr):
            theta_new = theta - lr * g / np.sqrt(G)
            G_new = G + g ** 2
            return np.concatenate([theta_new, G_new])
    """,
)

QUESTIONS = [q1, q2, q3, q4]
