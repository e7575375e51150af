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
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available here; use 'cpu' or None")
    return torch.device(device)
