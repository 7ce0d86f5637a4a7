"""The contrastive training loop: minibatches of two augmented views, NT-Xent, Adam.

Works on tensors only (never AnnData). Several encoders are trained in the same loop — each with its own views,
initialisation and loss — because one pass over the minibatches is cheaper than K passes; their parameters and
losses are independent, so this is exactly K separate trainings (Adam's update is per parameter).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from .augment import drop_genes, sample_genes
from .loss import nt_xent

MASKS = ("batch", "cell")


def minibatches(n: int, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
    """A shuffled split of ``range(n)`` into near-equal minibatches of at most ``batch_size``.

    Near-equal rather than "full batches plus a remainder", so no minibatch is left with a single cell
    (BatchNorm cannot normalise one sample).
    """
    n_batches = max(1, -(-n // batch_size))
    return list(torch.randperm(n, generator=generator).tensor_split(n_batches))


def _views(model: nn.Module, xb: torch.Tensor, *, keep: float, mask: str, generator: torch.Generator):
    if mask == "batch":  # one gene subset per view and minibatch: the first layer only sees the kept columns
        g1 = sample_genes(xb.shape[1], keep, generator=generator, device=xb.device)
        g2 = sample_genes(xb.shape[1], keep, generator=generator, device=xb.device)
        return model(xb[:, g1], g1), model(xb[:, g2], g2)
    return model(drop_genes(xb, keep, generator=generator)), model(drop_genes(xb, keep, generator=generator))


def train_contrastive(
    models: Sequence[nn.Module],
    x: torch.Tensor,
    *,
    epochs: int,
    batch_size: int = 256,
    lr: float = 1e-3,
    keep: float = 0.2,
    temperature: float = 0.07,
    mask: str = "batch",
    seed: int = 0,
    progress: bool = True,
) -> np.ndarray:
    """Train ``models`` in place with NT-Xent on two gene-dropout views of each cell of ``x``.

    Parameters
    ----------
    models
        Encoders on the same device as ``x``.
    x
        Preprocessed expression, cells × genes, ``float32``.
    epochs
        Passes over the cells.
    batch_size
        Cells per minibatch (each gives ``2 * batch_size`` embeddings to NT-Xent).
    lr
        Adam learning rate.
    keep
        Share of genes each view keeps.
    temperature
        NT-Xent temperature.
    mask
        ``"batch"``: each view of a minibatch keeps one random gene subset (fast); ``"cell"``: every cell draws its
        own genes (the paper's augmentation).
    seed
        Seeds the shuffles and the masks.
    progress
        Show a progress bar over epochs.

    Returns
    -------
    Mean loss per epoch and model, shape ``(epochs, len(models))``.
    """
    if mask not in MASKS:
        raise ValueError(f"mask must be one of {MASKS}, got {mask!r}.")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    if x.shape[0] < 2:
        raise ValueError(f"Need at least 2 cells to train, got {x.shape[0]}.")
    generator = torch.Generator().manual_seed(seed)  # CPU generator: same draws on every device
    params = [p for m in models for p in m.parameters()]
    optimizer = torch.optim.Adam(params, lr=lr)
    history = np.zeros((epochs, len(models)), dtype=np.float64)
    for m in models:
        m.train()
    bar = tqdm(range(epochs), desc="contrastive training", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        batches = minibatches(x.shape[0], batch_size, generator)
        for idx in batches:
            xb = x[idx.to(x.device)]
            losses = []
            for m in models:
                z1, z2 = _views(m, xb, keep=keep, mask=mask, generator=generator)
                losses.append(nt_xent(z1, z2, temperature))
            stacked = torch.stack(losses)
            optimizer.zero_grad(set_to_none=True)
            stacked.sum().backward()
            optimizer.step()
            history[epoch] += stacked.detach().cpu().numpy() / len(batches)
        bar.set_postfix(loss=f"{history[epoch].mean():.3f}")
    return history
