"""embedkit.text.sgns_numpy: the analytic SGNS gradient against finite differences, float64."""
import numpy as np
import pytest

from embedkit.text import sgns_numpy as sg


def example(seed=0, d=8, K=5, scale=0.5):
    rng = np.random.default_rng(seed)
    return rng.normal(size=d) * scale, rng.normal(size=d) * scale, rng.normal(size=(K, d)) * scale


# -- tier 1: hand values ------------------------------------------------------------------
def test_loss_hand_value():
    # u . v_pos = 1, u . v_neg = [0]: L = -log sigma(1) - log sigma(0) = log(1 + e^-1) + log 2
    u, v_pos, v_neg = np.array([1.0, 0.0]), np.array([1.0, 0.0]), np.array([[0.0, 1.0]])
    assert sg.sgns_loss(u, v_pos, v_neg) == pytest.approx(np.log1p(np.exp(-1)) + np.log(2))
    assert sg.sigmoid(0.0) == 0.5
    assert sg.sigmoid(1000.0) == 1.0 and sg.sigmoid(-1000.0) == 0.0   # no overflow warning


# -- tier 2: gradient check --------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_check_passes_to_1e6(seed):
    errors = sg.gradient_check(*example(seed))
    assert max(errors.values()) < 1e-6, errors


def test_gradient_check_catches_a_wrong_gradient(monkeypatch):
    real = sg.sgns_gradients

    def sign_slip(u, v_pos, v_neg):          # the classic mistake: (1 - sigma) instead of (sigma - 1)
        loss, g_u, g_pos, g_neg = real(u, v_pos, v_neg)
        return loss, g_u, -g_pos, g_neg

    monkeypatch.setattr(sg, "sgns_gradients", sign_slip)
    assert sg.gradient_check(*example())["v_pos"] > 0.1


def test_softmax_gradient_check():
    rng = np.random.default_rng(3)
    u, W = rng.normal(size=6), rng.normal(size=(9, 6))
    loss, g_u, g_W = sg.softmax_loss(u, W, 4)
    num_u = sg.numerical_gradient(lambda x: sg.softmax_loss(x, W, 4)[0], u.copy())
    num_W = sg.numerical_gradient(lambda x: sg.softmax_loss(u, x, 4)[0], W.copy())
    assert sg.relative_error(g_u, num_u) < 1e-6 and sg.relative_error(g_W, num_W) < 1e-6
    assert loss == pytest.approx(-np.log(np.exp(W @ u)[4] / np.exp(W @ u).sum()))


# -- tier 2: a step lowers the loss; the toy trainer learns ---------------------------------------
def test_step_decreases_loss_and_touches_only_k_plus_2_rows():
    rng = np.random.default_rng(0)
    W_in, W_out = rng.normal(size=(20, 4)), rng.normal(size=(20, 4))
    before_in, before_out = W_in.copy(), W_out.copy()
    negatives = [5, 6, 6]
    loss = sg.sgns_step(W_in, W_out, 1, 2, negatives, lr=0.05)
    assert sg.sgns_loss(W_in[1], W_out[2], W_out[negatives]) < loss
    assert set(np.flatnonzero((W_in != before_in).any(1))) == {1}
    assert set(np.flatnonzero((W_out != before_out).any(1))) == {2, 5, 6}


def test_train_sgns_learns_a_toy_language():
    # Two "topics" that never mix: words 0-4 and 5-9. Neighbours must stay in their topic.
    rng = np.random.default_rng(0)
    ids = np.concatenate([rng.integers(0, 5, 15) if i % 2 else rng.integers(5, 10, 15) for i in range(40)])
    W_in, _, losses = sg.train_sgns(ids, 10, dim=6, window=2, epochs=4, lr=0.05, seed=0)
    assert losses[-1] < losses[0]
    unit = W_in / np.linalg.norm(W_in, axis=1, keepdims=True)
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    assert ((sims.argmax(1) < 5) == (np.arange(10) < 5)).all()


def test_errors():
    with pytest.raises(ValueError, match="v_neg"):
        sg.sgns_loss(np.ones(3), np.ones(3), np.ones((2, 4)))
    with pytest.raises(ValueError, match="v_pos"):
        sg.sgns_gradients(np.ones(3), np.ones(2), np.ones((2, 3)))
    with pytest.raises(TypeError, match="float64"):
        sg.numerical_gradient(lambda x: 0.0, np.ones(3, dtype=np.float32))
    with pytest.raises(ValueError, match="target"):
        sg.softmax_loss(np.ones(2), np.ones((3, 2)), 3)
    with pytest.raises(ValueError, match="ids"):
        sg.train_sgns([1], 3)
