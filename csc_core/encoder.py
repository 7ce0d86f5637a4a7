"""The MLP encoder: genes → 256 → 64 → 32, BatchNorm + ReLU between layers, L2-normalised output."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class Encoder(nn.Module):
    """Map a (masked) expression vector to a point on the unit sphere.

    Parameters
    ----------
    n_genes
        Input dimension.
    hidden
        Output sizes of the layers; the last is the embedding dimension (paper: ``(256, 64, 32)``).
    """

    def __init__(self, n_genes: int, hidden: Sequence[int] = (256, 64, 32)):
        super().__init__()
        sizes = [n_genes, *hidden]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.norms = nn.ModuleList(nn.BatchNorm1d(b) for b in hidden[:-1])

    def forward(self, x: torch.Tensor, genes: torch.Tensor | None = None) -> torch.Tensor:
        """Embed ``x``; with ``genes``, ``x`` holds only those columns and every other gene counts as zero."""
        first = self.linears[0]
        h = F.linear(x, first.weight if genes is None else first.weight[:, genes], first.bias)
        for linear, norm in zip(self.linears[1:], self.norms):
            h = linear(F.relu(norm(h)))
        return F.normalize(h, dim=1)
