"""Right and wrong answers for ``embedkit.exercises.ex04`` (word2vec)."""
import numpy as np


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def sgns_loss(u, v_pos, v_neg):
    return float(-log_sigmoid(u @ v_pos) - log_sigmoid(-(v_neg @ u)).sum())


def loss_naive(u, v_pos, v_neg):
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))          # noqa: E731
    return float(-np.log(sig(u @ v_pos)) - np.log(sig(-(v_neg @ u))).sum())


def loss_log1p_exp(u, v_pos, v_neg):
    ls = lambda x: -np.log1p(np.exp(-x))             # noqa: E731  still overflows for x << 0
    return float(-ls(u @ v_pos) - ls(-(v_neg @ u)).sum())


def loss_sign_slip(u, v_pos, v_neg):
    return float(-log_sigmoid(u @ v_pos) - log_sigmoid(v_neg @ u).sum())


def loss_mean_noise(u, v_pos, v_neg):
    return float(-log_sigmoid(u @ v_pos) - log_sigmoid(-(v_neg @ u)).mean())


def _softmax(s):
    p = np.exp(s - s.max())
    return p / p.sum()


def softmax_loss(u, W, o):
    s = W @ u
    m = s.max()
    return float(m + np.log(np.exp(s - m).sum()) - s[o])


def softmax_loss_unshifted(u, W, o):
    s = W @ u
    return float(np.log(np.exp(s).sum()) - s[o])


def softmax_loss_score_only(u, W, o):
    return float(-(W @ u)[o])


def softmax_loss_via_p(u, W, o):
    return float(-np.log(_softmax(W @ u)[o]))    # underflows to log(0) for extreme scores


def grad_u(u, W, o):
    err = _softmax(W @ u)
    err[o] -= 1.0
    return err @ W


def grad_W(u, W, o):
    err = _softmax(W @ u)
    err[o] -= 1.0
    return np.outer(err, u)


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


def numgrad_forward(f, x, eps):
    x = np.array(x, dtype=np.float64)
    grad, base = np.zeros_like(x), f(x)
    for i in range(x.size):
        old = x.flat[i]
        x.flat[i] = old + eps
        grad.flat[i] = (f(x) - base) / eps
        x.flat[i] = old
    return grad


def numgrad_no_restore(f, x, eps):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in range(x.size):
        x.flat[i] += eps
        up = f(x)
        x.flat[i] -= 2 * eps
        down = f(x)
        grad.flat[i] = (up - down) / (2 * eps)     # x.flat[i] stays at old - eps
    return grad


def numgrad_eps_not_halved(f, x, eps):
    return 2 * numerical_gradient(f, x, eps)


def numgrad_in_place(f, x, eps):
    grad = np.zeros_like(x, dtype=np.float64)
    for i in range(x.size):
        old = x.flat[i]
        x.flat[i] = old + eps
        up = f(x)
        x.flat[i] = old - eps
        down = f(x)
        grad.flat[i] = (up - down) / (2 * eps)
        x.flat[i] = old + 0.0 * eps if i < x.size - 1 else old - eps     # forgets the last restore
    return grad


def keep_probability(counts, t):
    f = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(f / t) + 1.0) * t / f)


def sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def sgns_epoch(pairs, negatives, W_in, W_out, lr, *, fresh_u=False, fancy=False, sign=1.0,
               skip_noise=False, in_place=False):
    if not in_place:
        W_in, W_out = W_in.astype(float), W_out.astype(float)
    for (c, o), neg in zip(pairs, negatives):
        u, v_pos, v_neg = W_in[c].copy(), W_out[o].copy(), W_out[neg]
        g_pos = sigmoid(u @ v_pos) - 1.0
        g_neg = sigmoid(v_neg @ u)
        W_in[c] -= sign * lr * (g_pos * v_pos + g_neg @ v_neg)
        if fresh_u:
            u = W_in[c]
        W_out[o] -= sign * lr * g_pos * u
        if skip_noise:
            continue
        if fancy:
            W_out[neg] -= sign * lr * np.outer(g_neg, u)
        else:
            np.add.at(W_out, neg, -sign * lr * np.outer(g_neg, u))
    return {"W_in": W_in, "W_out": W_out}


ANSWERS = {
    "ex04.q1": {"solution": sgns_loss, "mutants": [
        ("log(1 / (1 + exp(-x))): overflows for extreme scores", loss_naive),
        ("log1p(exp(-x)): still overflows for x << 0", loss_log1p_exp),
        ("sign slip: log sigma(+u.v_neg) for the noise", loss_sign_slip),
        ("mean over noise words instead of sum", loss_mean_noise),
    ]},
    "ex04.q2.a": {"solution": softmax_loss, "mutants": [
        ("exp without subtracting the maximum (overflow)", softmax_loss_unshifted),
        ("the score alone, no normalisation", softmax_loss_score_only),
        ("-log of a softmax probability that underflows to 0", softmax_loss_via_p),
    ]},
    "ex04.q2.b": {"solution": grad_u, "mutants": [
        ("forgets the observed term -v_o", lambda u, W, o: _softmax(W @ u) @ W),
        ("uniform weights instead of P(w | c)", lambda u, W, o: W.mean(0) - W[o]),
        ("sign flipped: v_o - E[v]", lambda u, W, o: -grad_u(u, W, o)),
        ("unstable softmax (overflow gives nan)",
         lambda u, W, o: (np.exp(W @ u) / np.exp(W @ u).sum() - np.eye(len(W))[o]) @ W),
    ]},
    "ex04.q2.c": {"solution": grad_W, "mutants": [
        ("p times u without subtracting the one-hot", lambda u, W, o: np.outer(_softmax(W @ u), u)),
        ("transposed: (d, V)", lambda u, W, o: grad_W(u, W, o).T),
        ("only row o gets a gradient (negative-sampling habit)",
         lambda u, W, o: np.outer(np.eye(len(W))[o] * (_softmax(W @ u)[o] - 1.0), u)),
        ("outer product with v_o instead of u", lambda u, W, o: np.outer(_softmax(W @ u) - np.eye(len(W))[o], W[o])),
    ]},
    "ex04.q3": {"solution": numerical_gradient, "mutants": [
        ("forward difference instead of central", numgrad_forward),
        ("coordinates not restored after the probe", numgrad_no_restore),
        ("divides by eps instead of 2 eps", numgrad_eps_not_halved),
        ("perturbs the caller's x in place and leaves it changed", numgrad_in_place),
    ]},
    "ex04.q4": {"solution": keep_probability, "mutants": [
        ("the paper's sqrt(t / f) instead of the code's formula",
         lambda counts, t: np.minimum(1.0, np.sqrt(t / (counts / counts.sum())))),
        ("no cap at 1", lambda counts, t: (np.sqrt(counts / counts.sum() / t) + 1.0) * t / (counts / counts.sum())),
        ("raw counts instead of frequencies",
         lambda counts, t: np.minimum(1.0, (np.sqrt(counts / t) + 1.0) * t / counts)),
        ("discard probability instead of keep",
         lambda counts, t: 1.0 - keep_probability(counts, t)),
    ]},
    "ex04.q5": {"solution": sgns_epoch, "mutants": [
        ("v_pos updated with the already-updated u", lambda *a: sgns_epoch(*a, fresh_u=True)),
        ("W_out[neg] -= ... drops repeated noise words", lambda *a: sgns_epoch(*a, fancy=True)),
        ("gradient ascent (+= instead of -=)", lambda *a: sgns_epoch(*a, sign=-1.0)),
        ("noise vectors never updated", lambda *a: sgns_epoch(*a, skip_noise=True)),
        ("trains the caller's matrices in place", lambda *a: sgns_epoch(*a, in_place=True)),
    ]},
}
