"""The shared torch training loop (embedkit.neural.training)."""
import numpy as np
import pytest
import torch

from embedkit.neural.training import TrainingHistory, fit, get_device, seeded, to_device


def _regression_problem():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype(np.float32)
    w = np.array([1.0, -2.0, 0.5, 3.0], dtype=np.float32)
    y = x @ w
    def batches(rng):
        order = rng.permutation(len(x))
        for s in range(0, len(x), 32):
            idx = order[s:s + 32]
            yield torch.from_numpy(x[idx]), torch.from_numpy(y[idx])
    return batches, w


def _mse(model, batch):
    xb, yb = batch
    return ((model(xb).squeeze(1) - yb) ** 2).mean()


def test_fit_reduces_loss_and_recovers_weights():
    batches, w = _regression_problem()
    with seeded(0):
        model = torch.nn.Linear(4, 1, bias=False)
    hist = fit(model, _mse, batches, steps=400, lr=0.05, device="cpu", progress=False)
    assert isinstance(hist, TrainingHistory) and len(hist.losses) == 400
    assert hist.last < 0.01 * hist.first
    np.testing.assert_allclose(model.weight.detach().numpy()[0], w, atol=0.05)


def test_fit_is_deterministic_for_a_seed():
    batches, _ = _regression_problem()
    runs = []
    for _ in range(2):
        with seeded(1):
            model = torch.nn.Linear(4, 1)
        runs.append(fit(model, _mse, batches, steps=30, lr=0.01, seed=3, device="cpu", progress=False).losses)
    assert runs[0] == runs[1]


def test_seeded_restores_global_state():
    before = torch.random.get_rng_state()
    with seeded(5):
        a = torch.rand(3)
    with seeded(5):
        b = torch.rand(3)
    assert torch.equal(a, b)
    assert torch.equal(before, torch.random.get_rng_state())


def test_to_device_nested_and_get_device():
    batch = {"a": (torch.zeros(2), [torch.ones(1)]), "b": 3}
    moved = to_device(batch, torch.device("cpu"))
    assert moved["b"] == 3 and torch.equal(moved["a"][1][0], torch.ones(1))
    assert get_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert get_device().type == expected


def test_bad_inputs_are_named():
    batches, _ = _regression_problem()
    model = torch.nn.Linear(4, 1)
    with pytest.raises(ValueError, match="steps"):
        fit(model, _mse, batches, steps=0, progress=False)
    with pytest.raises(TypeError, match="model"):
        fit(object(), _mse, batches, steps=1, progress=False)
    with pytest.raises(ValueError, match="optimizer"):
        fit(model, _mse, batches, steps=1, optimizer="lbfgs", progress=False)
    with pytest.raises(ValueError, match="no batches"):
        fit(model, _mse, lambda rng: iter(()), steps=1, progress=False)
    with pytest.raises(TypeError, match="0-d"):
        fit(model, lambda m, b: m(b[0]), batches, steps=1, progress=False)
    with pytest.raises(TypeError, match="device"):
        get_device(3)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            get_device("cuda")
