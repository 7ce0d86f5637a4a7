"""NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR (Chen et al. 2020)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .validation import check_temperature


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """Mean NT-Xent loss :cite:p:`chen2020simclr` over the 2N anchors of N positive pairs ``(z1[i], z2[i])``.

    Every other of the 2N − 2 embeddings in the batch is a negative. Inputs are L2-normalised here, so the
    similarity is the cosine. This readable form is the spec: the training kernels are tested against
    :func:`csc_core.kernels.autograd.loss_and_grads`, which calls it.

    Parameters
    ----------
    z1, z2
        The two views' embeddings, ``(N, d)``, or ``(K, N, d)`` for K independent problems (an ensemble).
    temperature
        The temperature dividing the similarities.

    Returns
    -------
    The mean loss (a scalar), or the K losses for 3-D inputs.
    """
    check_temperature(temperature)
    if z1.shape != z2.shape or z1.ndim not in (2, 3):
        raise ValueError(
            f"z1 and z2 must be two (N, d) or (K, N, d) tensors of equal shape, "
            f"got {tuple(z1.shape)}, {tuple(z2.shape)}."
        )
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
