"""An ensemble of K encoders whose embeddings are concatenated (the paper's variant c)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .encoder import Encoder


def make_encoders(n_models: int, n_genes: int, *, hidden: Sequence[int] = (256, 64, 32), seed: int = 0,
                  device: torch.device | str = "cpu") -> list[Encoder]:
    """``n_models`` encoders, each initialised from its own seed (``seed``, ``seed + 1``, …)."""
    if n_models < 1:
        raise ValueError(f"n_models must be at least 1, got {n_models}.")
    models = []
    with torch.random.fork_rng(devices=[]):  # seed the initialisation without touching the caller's global RNG
        for k in range(n_models):
            torch.manual_seed(seed + k)
            models.append(Encoder(n_genes, hidden).to(device))
    return models


@torch.no_grad()
def embed(models: Sequence[torch.nn.Module], x: torch.Tensor, *, chunk_size: int = 8192) -> torch.Tensor:
    """Concatenated embeddings of every cell by every model (eval mode, no augmentation), cells × (K · d)."""
    for m in models:
        m.eval()
    parts = [torch.cat([m(c) for c in x.split(chunk_size)]) for m in models]
    return torch.cat(parts, dim=1)
