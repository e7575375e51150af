"""Checks for ``exercises/05_glove.ipynb``: the weighting f(x), the loss, its gradient with
respect to every parameter (rows and columns shared by several cells), and one AdaGrad
epoch as glove.c runs it."""
from __future__ import annotations

import numpy as np

from ..text.glove import _adagrad_epoch, glove_loss_and_grads, glove_weight
from .core import FunctionQuestion, MultiPartQuestion

_rng = np.random.default_rng(5)
# An asymmetric toy count matrix: cell (i, j) and cell (j, i) differ, so rows and columns
# (words and contexts) cannot be confused without the check noticing.
_X = _rng.integers(0, 25, size=(5, 5)).astype(float)
_X[_rng.random((5, 5)) < 0.3] = 0.0
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
        ("glove_f([0, 1, 10, 100, 500], 100, 0.75) (x = x_max exactly, and above)",
         (np.array([0.0, 1.0, 10.0, 100.0, 500.0]), 100.0, 0.75)),
        ("glove_f([2, 5, 20], 10, 1.0)", (np.array([2.0, 5.0, 20.0]), 10.0, 1.0)),
        ("glove_f(COUNTS, 20, 0.5)", (COUNTS, 20.0, 0.5)),
    ],
    atol=1e-10, rtol=1e-8,
    hint_text=[
        """
        Below x_max the weight is (x / x_max) ** alpha, from x_max on it is 1. Check that
        f(0) = 0 and f(x_max) = 1.
        """,
        "np.minimum(1.0, (x / x_max) ** alpha), elementwise on a float array.",
    ],
    solution_text="""
        def glove_f(x, x_max, alpha):
            x = np.asarray(x, dtype=float)
            return np.minimum(1.0, (x / x_max) ** alpha)
    """,
)

_W_ALT = _rng.normal(scale=0.5, size=(5, 3))
q2 = FunctionQuestion(
    qid="ex05.q2",
    title="Q2 glove_batch_loss(W, C, bw, bc, rows, cols, counts, x_max, alpha)",
    name="glove_batch_loss",
    reference=lambda *a: glove_loss_and_grads(*a)[0],
    cases=[
        ("glove_batch_loss on the toy cells, x_max=10", (W0, C0, BW0, BC0, ROWS, COLS, COUNTS, 10.0, 0.75)),
        ("glove_batch_loss on the first 4 cells, x_max=100",
         (W0, C0, BW0, BC0, ROWS[:4], COLS[:4], COUNTS[:4], 100.0, 0.75)),
        ("glove_batch_loss with a repeated cell",
         (W0, C0, BW0, BC0, np.array([0, 0]), np.array([1, 1]), np.array([3.0, 3.0]), 10.0, 1.0)),
        ("glove_batch_loss with counts of 1 (log 1 = 0)",
         (_W_ALT, C0, BW0, BC0, np.array([3, 1]), np.array([1, 3]), np.array([1.0, 1.0]), 10.0, 0.75)),
    ],
    atol=1e-8, rtol=1e-8,
    keep_inputs=True,
    hint_text=[
        """
        For each cell k: prediction = W[rows[k]] . C[cols[k]] + bw[rows[k]] + bc[cols[k]],
        residual = prediction - log(counts[k]); the loss is the SUM over cells of
        f(counts[k]) * residual ** 2 (no 1/2 factor, no mean).
        """,
        """
        np.einsum("ij,ij->i", W[rows], C[cols]) gives all the dot products at once. The
        word vector comes from W and the context vector from C: they are different
        matrices.
        """,
    ],
    solution_text="""
        def glove_batch_loss(W, C, bw, bc, rows, cols, counts, x_max, alpha):
            pred = np.einsum("ij,ij->i", W[rows], C[cols]) + bw[rows] + bc[cols]
            r = pred - np.log(counts)
            return np.sum(glove_f(counts, x_max, alpha) * r ** 2)
    """,
)

_GRAD_CASES = [
    ("the toy cells (asymmetric counts), x_max=10", (W0, C0, BW0, BC0, ROWS, COLS, COUNTS, 10.0, 0.75)),
    ("rows [2, 2, 4] / cols [0, 3, 0]: a row and a column shared by two cells",
     (W0, C0, BW0, BC0, np.array([2, 2, 4]), np.array([0, 3, 0]), np.array([1.0, 7.0, 30.0]), 10.0, 0.75)),
    ("cells (1, 3) and (3, 1) only", (W0, C0, BW0, BC0, np.array([1, 3]), np.array([3, 1]),
                                      np.array([4.0, 40.0]), 10.0, 0.75)),
]
_grad_hint = """
    With r_k = W[i] . C[j] + bw[i] + bc[j] - log X_ij and J = sum_k f_k r_k ** 2, the cell k
    contributes 2 f_k r_k times the derivative of r_k. A parameter row used by several cells
    receives the SUM of their contributions: start from zeros and np.add.at(grad, index,
    values); grad[index] += values keeps only one of two cells that share an index.
"""
q3 = MultiPartQuestion(
    "ex05.q3", "Q3 the gradient of J with respect to every parameter",
    a=FunctionQuestion(
        qid="ex05.q3.a", title="Q3a glove_grad_W(...): dJ/dW", name="glove_grad_W",
        reference=lambda *a: glove_loss_and_grads(*a)[1], cases=_GRAD_CASES, atol=1e-8, rtol=1e-8,
        keep_inputs=True,
        hint_text=[_grad_hint, "dr_k / dW[i] = C[j]: dW[i] gets 2 f_k r_k C[j] from each cell k with rows[k] = i.",
                   "dW = np.zeros_like(W); np.add.at(dW, rows, (2 * f * r)[:, None] * C[cols])"],
        solution_text="""
            def glove_grad_W(W, C, bw, bc, rows, cols, counts, x_max, alpha):
                r = np.einsum("ij,ij->i", W[rows], C[cols]) + bw[rows] + bc[cols] - np.log(counts)
                g = 2 * glove_f(counts, x_max, alpha) * r
                dW = np.zeros_like(W)
                np.add.at(dW, rows, g[:, None] * C[cols])
                return dW
        """),
    b=FunctionQuestion(
        qid="ex05.q3.b", title="Q3b glove_grad_C(...): dJ/dC", name="glove_grad_C",
        reference=lambda *a: glove_loss_and_grads(*a)[2], cases=_GRAD_CASES, atol=1e-8, rtol=1e-8,
        keep_inputs=True,
        hint_text=[_grad_hint, "dr_k / dC[j] = W[i]: the context row j = cols[k] gets 2 f_k r_k W[i].",
                   "dC = np.zeros_like(C); np.add.at(dC, cols, (2 * f * r)[:, None] * W[rows])"],
        solution_text="""
            def glove_grad_C(W, C, bw, bc, rows, cols, counts, x_max, alpha):
                r = np.einsum("ij,ij->i", W[rows], C[cols]) + bw[rows] + bc[cols] - np.log(counts)
                g = 2 * glove_f(counts, x_max, alpha) * r
                dC = np.zeros_like(C)
                np.add.at(dC, cols, g[:, None] * W[rows])     # indexed by the COLUMN of each cell
                return dC
        """),
    c=FunctionQuestion(
        qid="ex05.q3.c", title="Q3c glove_grad_bc(...): dJ/dbc, the context biases", name="glove_grad_bc",
        reference=lambda *a: glove_loss_and_grads(*a)[4], cases=_GRAD_CASES, atol=1e-8, rtol=1e-8,
        keep_inputs=True,
        hint_text=[_grad_hint, "dr_k / dbc[j] = 1: bc[j] gets 2 f_k r_k from every cell in column j.",
                   "dbc = np.zeros_like(bc); np.add.at(dbc, cols, 2 * f * r)   # or np.bincount(cols, 2 * f * r, len(bc))"],
        solution_text="""
            def glove_grad_bc(W, C, bw, bc, rows, cols, counts, x_max, alpha):
                r = np.einsum("ij,ij->i", W[rows], C[cols]) + bw[rows] + bc[cols] - np.log(counts)
                g = 2 * glove_f(counts, x_max, alpha) * r
                return np.bincount(cols, weights=g, minlength=len(bc))
        """),
)


# -- Q4: one AdaGrad epoch, as glove.c (an algorithm) -------------------------------------
def _epoch_ref(W, C, bw, bc, rows, cols, counts, x_max, alpha, lr):
    W, C, bw, bc = (np.array(p, dtype=np.float64) for p in (W, C, bw, bc))
    d = W.shape[1]
    # embedkit's loop packs each row as [vector | AdaGrad sums (start at 1) | bias | bias sum]
    Pw = np.hstack([W, np.ones_like(W), bw[:, None], np.ones((len(bw), 1))])
    Pc = np.hstack([C, np.ones_like(C), bc[:, None], np.ones((len(bc), 1))])
    counts = np.asarray(counts, dtype=np.float64)
    _adagrad_epoch(Pw, Pc, np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64),
                   np.log(counts), glove_weight(counts, x_max, alpha), float(lr))
    return {"W": Pw[:, :d], "C": Pc[:, :d], "bw": Pw[:, 2 * d], "bc": Pc[:, 2 * d]}


_r4 = np.random.default_rng(55)
_n_big = 300
_rows_big, _cols_big = _r4.integers(0, 40, _n_big), _r4.integers(0, 40, _n_big)
q4 = FunctionQuestion(
    qid="ex05.q4",
    title="Q4 glove_epoch(W, C, bw, bc, rows, cols, counts, x_max, alpha, lr): AdaGrad, cell by cell",
    name="glove_epoch",
    reference=_epoch_ref,
    cases=[
        ("glove_epoch on the toy cells, lr=0.1", (W0, C0, BW0, BC0, ROWS, COLS, COUNTS, 10.0, 0.75, 0.1)),
        ("glove_epoch on cells (2, 0), (2, 3), (4, 0), (2, 0) (rows and columns met twice), lr=0.5",
         (W0, C0, BW0, BC0, np.array([2, 2, 4, 2]), np.array([0, 3, 0, 0]),
          np.array([1.0, 7.0, 30.0, 1.0]), 10.0, 0.75, 0.5)),
        ("glove_epoch on 300 random cells of a 40-word vocabulary, lr=0.05",
         (_r4.normal(scale=0.3, size=(40, 6)), _r4.normal(scale=0.3, size=(40, 6)), np.zeros(40), np.zeros(40),
          _rows_big, _cols_big, _r4.integers(1, 200, _n_big).astype(float), 100.0, 0.75, 0.05)),
    ],
    atol=1e-10, rtol=1e-8,
    keep_inputs=True,
    hint_text=[
        r"""
        glove.c visits the cells one at a time and takes one AdaGrad step per cell on the
        four things that cell touches: W[i], C[j], bw[i], bc[j]. Every parameter has its
        own accumulator G of squared gradients, starting at 1; the step is
        -lr * g / sqrt(G) with G as it was BEFORE this gradient, then G += g ** 2.
        """,
        """
        glove.c differentiates J / 2, so the gradient of a cell is g = f(x) * r times the
        derivative of r (no factor 2). Compute the gradients of W[i] (g * C[j]) and C[j]
        (g * W[i]) from the values before the step, then update both. W, C, bw, bc each
        have their own G (same shape as the parameter).
        """,
        """
        r = W[i] @ C[j] + bw[i] + bc[j] - log(x); g = f * r
        gw, gc = g * C[j], g * W[i]
        W[i] -= lr * gw / sqrt(GW[i]); C[j] -= lr * gc / sqrt(GC[j]); GW[i] += gw**2; GC[j] += gc**2
        bw[i] -= lr * g / sqrt(Gbw[i]); bc[j] -= lr * g / sqrt(Gbc[j]); Gbw[i] += g**2; Gbc[j] += g**2
        """,
    ],
    solution_text="""
        def glove_epoch(W, C, bw, bc, rows, cols, counts, x_max, alpha, lr):
            W, C, bw, bc = (p.astype(float) for p in (W, C, bw, bc))      # copies
            GW, GC, Gbw, Gbc = (np.ones_like(p) for p in (W, C, bw, bc))  # AdaGrad sums, from 1
            for i, j, x in zip(rows, cols, counts):
                r = W[i] @ C[j] + bw[i] + bc[j] - np.log(x)
                g = glove_f(x, x_max, alpha) * r                          # gradient of J / 2
                gw, gc = g * C[j], g * W[i]                               # both from the old values
                W[i] -= lr * gw / np.sqrt(GW[i])
                C[j] -= lr * gc / np.sqrt(GC[j])
                GW[i] += gw ** 2
                GC[j] += gc ** 2
                bw[i] -= lr * g / np.sqrt(Gbw[i])
                bc[j] -= lr * g / np.sqrt(Gbc[j])
                Gbw[i] += g ** 2
                Gbc[j] += g ** 2
            return {"W": W, "C": C, "bw": bw, "bc": bc}
    """,
)

QUESTIONS = [q1, q2, q3, q4]
