"""Where tensors live: ``device="auto"`` resolved to CUDA when PyTorch sees a GPU, else the CPU."""

from __future__ import annotations

import torch


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """The device ``device`` stands for; an explicit CUDA device without a GPU raises instead of falling back.

    Parameters
    ----------
    device
        ``"auto"``, ``"cpu"``, ``"cuda"`` (or ``"cuda:N"``), or a :class:`torch.device`.

    Returns
    -------
    The device.
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' was requested but PyTorch sees no CUDA device; use device='cpu' or 'auto'.")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {str(device)!r}.")
    return device
