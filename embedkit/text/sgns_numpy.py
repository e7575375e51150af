"""Skip-gram with negative sampling in plain numpy: the reference for notebook 04.

Small, float64 and written for reading, not speed (``embedkit.text.word2vec`` is the fast
trainer). The textbook orientation: the centre word's input vector ``u = W_in[centre]``
predicts a context word's output vector ``v_+ = W_out[context]``, against ``K`` noise
words ``v_1..v_K = W_out[negatives]``. The loss of one such example is

    L = -log sigma(u . v_+) - sum_k log sigma(-u . v_k)

and, using ``d/dx log sigma(x) = 1 - sigma(x)`` and ``d/dx log sigma(-x) = -sigma(x)``,

    dL/du   = (sigma(u . v_+) - 1) v_+ + sum_k sigma(u . v_k) v_k
    dL/dv_+ = (sigma(u . v_+) - 1) u
    dL/dv_k = sigma(u . v_k) u

Only ``K + 2`` rows of the two ``(V, d)`` matrices are touched: that is the whole point
of negative sampling. The full softmax (``softmax_loss``) needs all ``V`` output rows.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .._validation import as_generator, as_matrix, as_vector, check_int, check_not_diverged, check_number

__all__ = [
    "sigmoid", "sgns_loss", "sgns_gradients", "sgns_step", "softmax_loss",
    "numerical_gradient", "relative_error", "gradient_check", "train_sgns",
]


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, without overflow for large ``|x|``."""
    out = np.exp(_log_sigmoid(x))      # exp(log sigma(x)): never computes exp(+large)
    return out if np.ndim(out) else float(out)


def _log_sigmoid(x):
    # log sigma(x) = -log(1 + exp(-x)) = -logaddexp(0, -x): stable for all x.
    return -np.logaddexp(0.0, -np.asarray(x, dtype=np.float64))


def _example(u, v_pos, v_neg):
    u = as_vector(u, "u", dtype=np.float64)
    v_pos = as_vector(v_pos, "v_pos", d=len(u), dtype=np.float64)
    v_neg = as_matrix(v_neg, "v_neg", d=len(u), dtype=np.float64)
    return u, v_pos, v_neg


def sgns_loss(u, v_pos, v_neg) -> float:
    """Negative-sampling loss of one example: ``u, v_pos: (d,)``, ``v_neg: (K, d)``."""
    u, v_pos, v_neg = _example(u, v_pos, v_neg)
    return float(-_log_sigmoid(u @ v_pos) - _log_sigmoid(-(v_neg @ u)).sum())


def sgns_gradients(u, v_pos, v_neg):
    """Loss and its analytic gradients (module docstring) for one example.

    Returns:
        ``(loss, grad_u (d,), grad_v_pos (d,), grad_v_neg (K, d))``, float64.
    """
    return _gradients(*_example(u, v_pos, v_neg))


def _gradients(u, v_pos, v_neg):
    s_pos, s_neg = u @ v_pos, v_neg @ u
    loss = float(-_log_sigmoid(s_pos) - _log_sigmoid(-s_neg).sum())
    g_pos = sigmoid(s_pos) - 1.0          # dL/ds_pos
    g_neg = sigmoid(s_neg)                # dL/ds_neg, (K,)
    grad_u = g_pos * v_pos + g_neg @ v_neg
    return loss, grad_u, g_pos * u, np.outer(g_neg, u)


def sgns_step(W_in: np.ndarray, W_out: np.ndarray, centre: int, context: int,
              negatives, lr: float) -> float:
    """One SGD step on one (centre, context, negatives) example, in place; returns the loss.

    ``W_in, W_out: (V, d)`` float64 arrays are updated where the example touches them.
    Repeated noise words get the sum of their gradients (``np.add.at``).
    """
    negatives = np.asarray(negatives, dtype=np.int64)
    loss, g_u, g_pos, g_neg = _gradients(W_in[centre], W_out[context], W_out[negatives])
    W_in[centre] -= lr * g_u
    W_out[context] -= lr * g_pos
    np.add.at(W_out, negatives, -lr * g_neg)
    return loss


def softmax_loss(u, W_out, target: int):
    """Full-softmax skip-gram loss ``-log softmax(W_out u)[target]`` and its gradients.

    Costs ``O(V d)`` per example (every output row), which is what negative sampling
    avoids. Returns ``(loss, grad_u (d,), grad_W_out (V, d))``.
    """
    u = as_vector(u, "u", dtype=np.float64)
    W_out = as_matrix(W_out, "W_out", d=len(u), dtype=np.float64)
    target = check_int(target, "target", minimum=0, maximum=len(W_out) - 1)
    scores = W_out @ u
    scores -= scores.max()                                   # stability: softmax is shift-invariant
    p = np.exp(scores)
    p /= p.sum()
    loss = float(-np.log(p[target]))
    err = p.copy()
    err[target] -= 1.0                                       # dL/dscores = p - onehot
    return loss, err @ W_out, np.outer(err, u)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every i.

    Error O(eps^2) from the Taylor remainder plus O(1e-16 / eps) from rounding: eps near
    1e-5..1e-6 balances the two in float64. ``x`` is perturbed in place and restored.
    """
    x = np.asarray(x)
    if x.dtype != np.float64:
        raise TypeError(f"x must be float64 for a gradient check, got {x.dtype}")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f(x)
        flat[i] = old - eps
        down = f(x)
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """``|a - b| / (|a| + |b|)`` with Euclidean norms (0 when both are 0)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def gradient_check(u, v_pos, v_neg, eps: float = 1e-6) -> dict[str, float]:
    """Relative error between analytic and numerical gradients, per argument."""
    u, v_pos, v_neg = (np.array(a, dtype=np.float64) for a in _example(u, v_pos, v_neg))
    _, g_u, g_pos, g_neg = sgns_gradients(u, v_pos, v_neg)
    return {
        "u": relative_error(g_u, numerical_gradient(lambda x: sgns_loss(x, v_pos, v_neg), u, eps)),
        "v_pos": relative_error(g_pos, numerical_gradient(lambda x: sgns_loss(u, x, v_neg), v_pos, eps)),
        "v_neg": relative_error(g_neg, numerical_gradient(lambda x: sgns_loss(u, v_pos, x), v_neg, eps)),
    }


def train_sgns(ids, vocab_size: int, *, dim: int = 10, window: int = 2, negative: int = 5,
               epochs: int = 5, lr: float = 0.05, noise=None, seed=0):
    """A minimal skip-gram trainer: loops over every (centre, context) pair in Python.

    Fixed window, no subsampling, constant learning rate: everything stripped except the
    algorithm. Fine for a toy corpus of a few thousand tokens; hopeless for millions
    (that is why :func:`embedkit.train_word2vec` exists).

    Args:
        ids: ``(n,)`` token ids of one long sentence.
        vocab_size: ``V``.
        noise: ``(V,)`` noise distribution (default uniform).

    Returns:
        ``(W_in (V, dim), W_out (V, dim), losses)``: losses is the mean loss per epoch.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError("ids must be a 1-D sequence of at least 2 token ids")
    V = check_int(vocab_size, "vocab_size", minimum=int(ids.max()) + 1)
    dim, window = check_int(dim, "dim", minimum=1), check_int(window, "window", minimum=1)
    negative, epochs = check_int(negative, "negative", minimum=1), check_int(epochs, "epochs", minimum=1)
    lr = check_number(lr, "lr", minimum=0.0, strict_minimum=True)
    rng = as_generator(seed)
    p = np.full(V, 1.0 / V) if noise is None else np.asarray(noise, np.float64) / np.sum(noise)
    W_in = (rng.random((V, dim)) - 0.5) / dim
    W_out = np.zeros((V, dim))
    # All (centre, context) pairs of the fixed window, in text order.
    pairs = [(t, j) for t in range(len(ids))
             for j in range(max(0, t - window), min(len(ids), t + window + 1)) if j != t]
    centres, contexts = ids[[t for t, _ in pairs]], ids[[j for _, j in pairs]]
    losses = []
    for _ in range(epochs):
        negatives = rng.choice(V, size=(len(pairs), negative), p=p)
        total = 0.0
        for centre, context, neg in zip(centres, contexts, negatives):
            total += sgns_step(W_in, W_out, centre, context, neg, lr)
        losses.append(total / len(pairs))
        check_not_diverged([W_in, W_out], what="the vectors", lr_name="lr", lr=lr,
                           where=f" in epoch {len(losses)}")
    return W_in, W_out, losses
