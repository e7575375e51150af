"""A small, reusable torch training loop: device selection, seeding, progress, history.

Every neural model of the course (the masked-LM encoder of notebook 08, the siamese and
two-tower encoders of notebook 09, the entity-embedding models of notebook 10) trains
with the same loop, so the notebooks can spend their lines on the model and the loss:

    history = fit(model, loss_fn, batches, steps=300, lr=1e-3, seed=0)

* ``batches(rng)`` is a callable returning an **iterator of batches**; it is called again
  whenever the iterator runs out (one epoch), with a ``numpy.random.Generator`` derived
  from ``seed``, so shuffling is reproducible without global random state.
* ``loss_fn(model, batch) -> scalar tensor`` does the forward pass; batches are moved to
  the model's device first (tensors, and tuples/lists/dicts of tensors).
* ``fit`` returns a :class:`TrainingHistory` (loss per step, smoothed curve, time).

The loop never touches ``torch.manual_seed`` (global state): models are initialised by
the caller under :func:`torch_generator` / ``seed`` and dropout uses torch's default
generator only if the model asks for it (call :func:`seeded` around training for that).
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import numpy as np

from .._device import get_device
from .._validation import as_generator, check_int, check_not_diverged, check_number

__all__ = ["get_device", "fit", "TrainingHistory", "seeded", "to_device"]


@contextlib.contextmanager
def seeded(seed: int):
    """Run a block under a fixed torch seed and restore torch's global RNG afterwards.

    For code that must draw from torch's default generator (``nn.Linear`` initialisation,
    dropout masks): the block is reproducible and the caller's random state is untouched.
    """
    import torch

    seed = check_int(seed, "seed", minimum=0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def to_device(batch, device):
    """Move a tensor, or a (nested) tuple/list/dict of tensors, to ``device``."""
    import torch

    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


@dataclass
class TrainingHistory:
    """What :func:`fit` recorded: ``losses[i]`` is the loss of step ``i`` (float)."""

    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def smoothed(self, window: int = 20) -> np.ndarray:
        """Moving average of the losses (for plotting a readable training curve)."""
        x = np.asarray(self.losses, dtype=np.float64)
        window = max(1, min(int(window), len(x)))
        if len(x) == 0:
            return x
        kernel = np.ones(window) / window
        return np.convolve(x, kernel, mode="valid")

    @property
    def first(self) -> float:
        """Mean loss of the first 10% of steps."""
        n = max(1, len(self.losses) // 10)
        return float(np.mean(self.losses[:n]))

    @property
    def last(self) -> float:
        """Mean loss of the last 10% of steps."""
        n = max(1, len(self.losses) // 10)
        return float(np.mean(self.losses[-n:]))

    def __repr__(self) -> str:
        if not self.losses:
            return "TrainingHistory(no steps)"
        return (f"TrainingHistory({len(self.losses)} steps, loss {self.first:.4f} -> {self.last:.4f})")


def fit(
    model,
    loss_fn: Callable,
    batches: Callable[[np.random.Generator], Iterable],
    *,
    steps: int,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    optimizer: str = "adam",
    clip_grad: float | None = 1.0,
    seed=0,
    device=None,
    progress: bool = True,
    desc: str = "training",
    on_step: Callable[[int, float], None] | None = None,
) -> TrainingHistory:
    """Train ``model`` for ``steps`` optimiser steps; returns the loss history.

    Args:
        model: a ``torch.nn.Module``; moved to ``device`` (default :func:`get_device`).
        loss_fn: ``loss_fn(model, batch) -> 0-d tensor``.
        batches: ``batches(rng) -> iterable of batches``; re-called at each epoch end.
        steps: number of optimiser steps (>= 1).
        lr, weight_decay: optimiser settings (``weight_decay`` is decoupled for AdamW).
        optimizer: ``"adam"``, ``"adamw"`` or ``"sgd"``.
        clip_grad: clip the global gradient norm to this value (``None``: no clipping).
        seed: int or Generator for the batch order.
        progress: show a tqdm bar (``tqdm.auto``: a widget in notebooks).
        on_step: optional callback ``on_step(step, loss)`` (e.g. to evaluate periodically).
    """
    import torch
    from tqdm.auto import tqdm

    steps = check_int(steps, "steps", minimum=1)
    lr = check_number(lr, "lr", minimum=0.0)
    weight_decay = check_number(weight_decay, "weight_decay", minimum=0.0)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn) or not callable(batches):
        raise TypeError("loss_fn and batches must be callables: loss_fn(model, batch), batches(rng)")
    rng = as_generator(seed)
    device = get_device(device)
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters")
    optimizers = {
        "adam": lambda: torch.optim.Adam(params, lr=lr, weight_decay=weight_decay),
        "adamw": lambda: torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay),
        "sgd": lambda: torch.optim.SGD(params, lr=lr, weight_decay=weight_decay),
    }
    if optimizer not in optimizers:
        raise ValueError(f"optimizer must be one of {', '.join(map(repr, optimizers))}; got {optimizer!r}")
    opt = optimizers[optimizer]()

    history = TrainingHistory()
    start = time.perf_counter()
    it: Iterator = iter(batches(rng))
    model.train()
    with tqdm(total=steps, desc=desc, disable=not progress, leave=False) as bar:
        for step in range(steps):
            try:
                batch = next(it)
            except StopIteration:
                it = iter(batches(rng))
                try:
                    batch = next(it)
                except StopIteration:
                    raise ValueError("batches(rng) returned no batches") from None
            try:
                loss = loss_fn(model, to_device(batch, device))
            except ValueError:
                # NaN weights surface first as a NaN *input* to a loss or pooling check:
                # report the cause (the step size), not the symptom.
                check_not_diverged(list(params), what="the model's weights", lr_name="lr", lr=lr,
                                   where=f" after {step} steps")
                raise
            if not torch.is_tensor(loss) or loss.dim() != 0:
                raise TypeError("loss_fn must return a 0-d tensor (a scalar loss)")
            check_not_diverged(loss.detach(), what=f"the loss ({loss.item()})", lr_name="lr", lr=lr,
                               where=f" at step {step}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if clip_grad is not None:
                torch.nn.utils.clip_grad_norm_(params, clip_grad)
            opt.step()
            value = float(loss.detach())
            history.losses.append(value)
            if on_step is not None:
                on_step(step, value)
            bar.update(1)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{value:.3f}")
    model.eval()
    history.seconds = time.perf_counter() - start
    return history
