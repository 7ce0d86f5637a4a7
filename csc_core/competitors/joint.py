"""The competitors' clustering stage: autoencoder and clustering head trained together, stage by stage."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..method.dec import target_distribution
from .fast_step import FastZINBStep, train_epoch_fast
from .zinb import ZINBAutoencoder, train_epoch


def joint_training(
    model: ZINBAutoencoder,
    head: nn.Module,
    x: torch.Tensor,
    counts: torch.Tensor,
    size_factors: torch.Tensor,
    *,
    loss: Callable,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    batch_size: int,
    tol: float = 1e-3,
    n_stages: int = 1,
    seed: int = 0,
    progress: bool = True,
    desc: str = "clustering",
    step: FastZINBStep | None = None,
) -> tuple[np.ndarray, dict]:
    """Train autoencoder and clustering head together, in ``n_stages`` stages of at most ``epochs`` epochs in all.

    Each epoch: assignments ``q`` of every (noise-free) cell and DEC's target ``p`` from them; then minibatches with
    ``zinb_nll`` of the noisy reconstruction plus ``loss(q_batch, p_batch, d2_batch, stage)``. A stage ends when fewer
    than ``tol`` of the cells changed label since the previous epoch; after the last, training stops.

    Parameters
    ----------
    model
        The pretrained autoencoder (trained in place).
    head
        The clustering head (:class:`~csc_core.method.dec.ClusteringHead` or a subclass).
    x, counts, size_factors
        The autoencoder's inputs (:func:`csc_core.competitors.fit.zinb_inputs`), as tensors on the model's device.
    loss
        ``loss(q, p, d2, stage)``: the clustering term of a minibatch.
    optimizer
        Over the model's and the head's parameters.
    epochs
        At most this many epochs in all.
    batch_size
        Cells per minibatch.
    tol
        A stage ends once fewer than this share of the cells changed label between epochs.
    n_stages
        Stages (the ``stage`` passed to ``loss`` counts from 0).
    seed
        Seeds the minibatch order and the input noise.
    progress
        A progress bar over epochs.
    desc
        The bar's label.
    step
        The model's fast step (:class:`~csc_core.competitors.fast_step.FastZINBStep`, with ``optimizer`` over its
        flat parameters), or ``None`` for the reference step.

    Returns
    -------
    labels
        Most probable cluster of each cell.
    record
        ``epochs_run``, ``loss`` and ``changed`` per epoch, ``stage_starts`` (the epoch each stage began).
    """
    gen = torch.Generator().manual_seed(seed)
    previous, history, changed, stage, starts = None, [], [], 0, [0]
    bar = tqdm(range(epochs), desc=desc, unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        with torch.no_grad():
            q_all = head(model.embed_all(x))[0]
        labels = q_all.argmax(dim=1).cpu().numpy()
        if previous is not None:
            changed.append(float(np.mean(labels != previous)))
            if changed[-1] < tol:
                if stage + 1 == n_stages:
                    break
                stage += 1
                starts.append(epoch)
        previous, p_all = labels, target_distribution(q_all)

        def clustering_term(z, idx, p_all=p_all, stage=stage):
            q, d2 = head(z)
            return loss(q, p_all[idx], d2, stage)

        if step is None:
            total = train_epoch(
                model,
                x,
                counts,
                size_factors,
                optimizer,
                batch_size=batch_size,
                generator=gen,
                extra_loss=clustering_term,
            )
        else:
            total = train_epoch_fast(step, optimizer, batch_size=batch_size, generator=gen, extra_loss=clustering_term)
        history.append(total)
        bar.set_postfix(loss=f"{total:.3f}")
    with torch.no_grad():
        labels = head(model.embed_all(x))[0].argmax(dim=1).cpu().numpy()
    return labels, {
        "epochs_run": len(history),
        "loss": np.asarray(history),
        "changed": np.asarray(changed),
        "stage_starts": starts,
    }
