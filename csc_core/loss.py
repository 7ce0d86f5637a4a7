"""NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR (Chen et al. 2020)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.07) -> torch.Tensor:
    """Mean NT-Xent loss over the 2N anchors of N positive pairs ``(z1[i], z2[i])``.

    Every other of the 2N - 2 embeddings in the batch is a negative. Inputs are L2-normalised here, so the similarity
    is the cosine.
    """
    if temperature < 1e-4:
        raise ValueError(f"temperature must be positive and not vanishingly small, got {temperature}.")
    if z1.shape != z2.shape or z1.ndim != 2:
        raise ValueError(f"z1 and z2 must be two (N, d) tensors of equal shape, got {tuple(z1.shape)}, {tuple(z2.shape)}.")
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = z @ z.T / temperature
    logits.fill_diagonal_(float("-inf"))  # a sample is not its own negative
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(logits, target)
