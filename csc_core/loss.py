"""NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR (Chen et al. 2020)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

#: The smallest temperature accepted: a guard against zero, negative, NaN and vanishing temperatures (the loss divides
#: by it), not a tuned bound.
MIN_TEMPERATURE = 1e-4


def check_temperature(temperature: float) -> None:
    """Raise a ValueError naming the problem when ``temperature`` is not a usable NT-Xent temperature."""
    if not temperature >= MIN_TEMPERATURE:  # also catches NaN
        raise ValueError(f"temperature must be positive and not vanishingly small (>= {MIN_TEMPERATURE}), "
                         f"got {temperature}.")


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.07) -> torch.Tensor:
    """Mean NT-Xent loss over the 2N anchors of N positive pairs ``(z1[i], z2[i])``.

    Every other of the 2N - 2 embeddings in the batch is a negative. Inputs are L2-normalised here, so the similarity
    is the cosine. ``z1`` and ``z2`` are ``(N, d)``, or ``(K, N, d)`` for K independent problems (an ensemble), in which
    case the K losses are returned.
    """
    check_temperature(temperature)
    if z1.shape != z2.shape or z1.ndim not in (2, 3):
        raise ValueError(f"z1 and z2 must be two (N, d) or (K, N, d) tensors of equal shape, "
                         f"got {tuple(z1.shape)}, {tuple(z2.shape)}.")
    batched = z1.ndim == 3
    if not batched:
        z1, z2 = z1.unsqueeze(0), z2.unsqueeze(0)
    k, n, _ = z1.shape
    z = F.normalize(torch.cat([z1, z2], dim=1), dim=2)
    logits = torch.bmm(z, z.transpose(1, 2)) / temperature
    logits.diagonal(dim1=1, dim2=2).fill_(float("-inf"))  # a sample is not its own negative
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device).repeat(k)
    loss = F.cross_entropy(logits.reshape(k * 2 * n, 2 * n), target, reduction="none").view(k, 2 * n).mean(1)
    return loss if batched else loss[0]
