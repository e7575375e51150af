"""Right and wrong answers for ``embedkit.exercises.ex05`` (GloVe)."""
import numpy as np


def glove_f(x, x_max, alpha):
    x = np.asarray(x, dtype=float)
    return np.minimum(1.0, (x / x_max) ** alpha)


def _residual(W, C, bw, bc, rows, cols, counts):
    return np.einsum("ij,ij->i", W[rows], C[cols]) + bw[rows] + bc[cols] - np.log(counts)


def loss(W, C, bw, bc, rows, cols, counts, x_max, alpha, *, half=False, weighted=True, mean=False,
         plus_one=False, context_from_W=False):
    Cm = W if context_from_W else C
    r = np.einsum("ij,ij->i", W[rows], Cm[cols]) + bw[rows] + bc[cols] - np.log(counts + (1 if plus_one else 0))
    terms = (glove_f(counts, x_max, alpha) if weighted else 1.0) * r ** 2
    out = terms.mean() if mean else terms.sum()
    return out / 2 if half else out


def grad(W, C, bw, bc, rows, cols, counts, x_max, alpha, *, which="W", accumulate=True, factor=2.0,
         weighted=True, index="own", other="own"):
    r = _residual(W, C, bw, bc, rows, cols, counts)
    g = factor * (glove_f(counts, x_max, alpha) if weighted else 1.0) * r
    if which == "W":
        out, idx, vec = np.zeros_like(W), rows, (W[rows] if other == "self" else C[cols])
    elif which == "C":
        out, idx, vec = np.zeros_like(C), (rows if index == "rows" else cols), (C[cols] if other == "self" else W[rows])
    else:
        out, idx, vec = np.zeros_like(bc), (rows if index == "rows" else cols), None
    values = g if vec is None else g[:, None] * vec
    if accumulate:
        np.add.at(out, idx, values)
    else:
        out[idx] += values
    return out


def glove_epoch(W, C, bw, bc, rows, cols, counts, x_max, alpha, lr, *, g_first=False, factor=1.0,
                shared_G=False, sequential=False, biases=True):
    W, C, bw, bc = (np.array(p, dtype=float) for p in (W, C, bw, bc))
    GW, GC, Gbw, Gbc = (np.ones_like(p) for p in (W, C, bw, bc))
    if shared_G:
        GC = GW
    for i, j, x in zip(rows, cols, counts):
        r = W[i] @ C[j] + bw[i] + bc[j] - np.log(x)
        g = factor * glove_f(x, x_max, alpha) * r
        gw, gc = g * C[j], g * W[i]
        if g_first:
            GW[i] += gw ** 2
        W[i] -= lr * gw / np.sqrt(GW[i])
        if sequential:
            gc = g * W[i]
        if g_first:
            GC[j] += gc ** 2
        C[j] -= lr * gc / np.sqrt(GC[j])
        if not g_first:
            GW[i] += gw ** 2
            GC[j] += gc ** 2
        if biases:
            bw[i] -= lr * g / np.sqrt(Gbw[i])
            bc[j] -= lr * g / np.sqrt(Gbc[j])
            Gbw[i] += g ** 2
            Gbc[j] += g ** 2
    return {"W": W, "C": C, "bw": bw, "bc": bc}


def glove_epoch_in_place(W, C, bw, bc, rows, cols, counts, x_max, alpha, lr):
    out = glove_epoch(W, C, bw, bc, rows, cols, counts, x_max, alpha, lr)
    W[...] = out["W"]
    return out


ANSWERS = {
    "ex05.q1": {"solution": glove_f, "mutants": [
        ("no cap at 1 above x_max", lambda x, m, a: (np.asarray(x, float) / m) ** a),
        ("alpha applied to x only: x**alpha / x_max", lambda x, m, a: np.minimum(1.0, np.asarray(x, float) ** a / m)),
        ("linear ramp, alpha ignored", lambda x, m, a: np.minimum(1.0, np.asarray(x, float) / m)),
        ("weight 0 from x_max on (the two branches swapped)",
         lambda x, m, a: np.where(np.asarray(x) < m, (np.asarray(x, float) / m) ** a, 0.0)),
    ]},
    "ex05.q2": {"solution": loss, "mutants": [
        ("a factor 1/2 in front", lambda *a: loss(*a, half=True)),
        ("the weights f(x) forgotten", lambda *a: loss(*a, weighted=False)),
        ("mean over cells instead of sum", lambda *a: loss(*a, mean=True)),
        ("log(x + 1) instead of log x", lambda *a: loss(*a, plus_one=True)),
        ("context vectors taken from W", lambda *a: loss(*a, context_from_W=True)),
    ]},
    "ex05.q3.a": {"solution": grad, "mutants": [
        ("dW[rows] += ... drops a row shared by two cells", lambda *a: grad(*a, accumulate=False)),
        ("factor 2 missing", lambda *a: grad(*a, factor=1.0)),
        ("W[i] instead of C[j] in the gradient", lambda *a: grad(*a, other="self")),
        ("the weights f(x) forgotten", lambda *a: grad(*a, weighted=False)),
    ]},
    "ex05.q3.b": {"solution": lambda *a: grad(*a, which="C"), "mutants": [
        ("accumulated at the rows instead of the columns", lambda *a: grad(*a, which="C", index="rows")),
        ("dC[cols] += ... drops a column shared by two cells", lambda *a: grad(*a, which="C", accumulate=False)),
        ("C[j] instead of W[i] in the gradient", lambda *a: grad(*a, which="C", other="self")),
    ]},
    "ex05.q3.c": {"solution": lambda *a: grad(*a, which="bc"), "mutants": [
        ("accumulated at the rows (that is dJ/dbw)", lambda *a: grad(*a, which="bc", index="rows")),
        ("dbc[cols] += ... drops a shared column", lambda *a: grad(*a, which="bc", accumulate=False)),
        ("factor 2 missing", lambda *a: grad(*a, which="bc", factor=1.0)),
    ]},
    "ex05.q4": {"solution": glove_epoch, "mutants": [
        ("accumulator updated before the step", lambda *a: glove_epoch(*a, g_first=True)),
        ("gradient of J instead of J / 2", lambda *a: glove_epoch(*a, factor=2.0)),
        ("one accumulator shared by W and C", lambda *a: glove_epoch(*a, shared_G=True)),
        ("C's gradient from the already-updated W[i]", lambda *a: glove_epoch(*a, sequential=True)),
        ("biases never updated", lambda *a: glove_epoch(*a, biases=False)),
        ("trains the caller's W in place", glove_epoch_in_place),
    ]},
}
