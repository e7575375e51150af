"""``get_device``: where torch code runs, shared by every part that trains with torch.

The word2vec and subword trainers (text) and the neural models (neural) all pick their
device the same way, so the choice lives here, below both.
"""
from __future__ import annotations

__all__ = ["get_device"]


def get_device(device=None):
    """The torch device to use: ``device`` if given, else CUDA when available, else CPU."""
    import torch

    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise TypeError(f"device must be None, a str like 'cpu'/'cuda' or a torch.device, got {type(device).__name__}")
    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise ValueError(f"device must name a torch device such as 'cpu', 'cuda' or 'cuda:0', got "
                         f"{device!r}; use None to pick CUDA when available, else the CPU") from None
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was requested but CUDA is not available here; use 'cpu' or None")
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ValueError(f"device={device!r} does not exist: this machine has "
                             f"{torch.cuda.device_count()} CUDA device(s), cuda:0 .. "
                             f"cuda:{torch.cuda.device_count() - 1}")
    elif parsed.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available here; use 'cpu' or None")
    elif parsed.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device={device!r} is not supported by embedkit; use 'cpu', 'cuda' or None")
    return parsed
