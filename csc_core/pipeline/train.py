"""The contrastive training loop: minibatches of two augmented views, NT-Xent, Adam — whatever kernel computes a step.

Works on tensors only (never AnnData). The K encoders of an :class:`~csc_core.method.encoder.EncoderEnsemble` are
trained in the same loop — each with its own views, initialisation and loss — because one pass over the minibatches
is cheaper than K passes; their parameters and losses are independent, so this is exactly K separate trainings (Adam's
update is per parameter) that share only the order of the minibatches. Each step is a kernel's
(:mod:`csc_core.kernels`): the loop draws the minibatches and the views, the kernel computes the losses, gradients and
update.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from tqdm import tqdm

from ..kernels import make_kernel, resolve_kernel
from ..method.augment import drop_genes, n_kept, sample_genes
from ..method.encoder import EncoderEnsemble

#: Gene masks of the augmentation (:data:`csc_core.settings.MASKS`).
MASKS = ("batch", "cell")


def batches_per_epoch(n: int, batch_size: int) -> int:
    """Minibatches (optimizer steps) in one pass over ``n`` cells: ``ceil(n / batch_size)``, at least 1.

    Parameters
    ----------
    n
        Cells.
    batch_size
        Cells per minibatch.

    Returns
    -------
    The number of minibatches.
    """
    return max(1, -(-n // batch_size))


def minibatches(n: int, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
    """A shuffled split of ``range(n)`` into near-equal minibatches of at most ``batch_size``.

    Near-equal rather than "full batches plus a remainder", so no minibatch is left with a single cell
    (BatchNorm cannot normalise one sample).

    Parameters
    ----------
    n
        Cells.
    batch_size
        Largest minibatch.
    generator
        The random generator of the shuffle.

    Returns
    -------
    One index tensor per minibatch.
    """
    return list(torch.randperm(n, generator=generator).tensor_split(batches_per_epoch(n, batch_size)))


def epochs_for(n_cells: int, *, epochs: int, min_steps: int, batch_size: int) -> int:
    """Epochs to run: ``epochs``, or more if that many passes give fewer than ``min_steps`` minibatches.

    Parameters
    ----------
    n_cells
        Cells.
    epochs
        Epochs asked for.
    min_steps
        Minimum optimizer steps.
    batch_size
        Cells per minibatch.

    Returns
    -------
    The number of epochs.
    """
    return max(epochs, -(-min_steps // batches_per_epoch(n_cells, batch_size)))


def learning_rate(step: int, total_steps: int, *, lr: float, lr_decay: float) -> float:
    """The learning rate of optimizer step ``step`` (from 0): ``lr``, falling linearly at the end of training.

    Over the last ``lr_decay`` share of the ``total_steps`` the rate falls linearly towards zero, so the weights
    settle instead of ending on one noisy step at the full rate.

    Parameters
    ----------
    step
        The step about to be taken, from 0.
    total_steps
        Steps the training is planned to run.
    lr
        The learning rate before the decay.
    lr_decay
        Share of the steps, at the end, over which the rate falls to zero; 0 keeps it constant.

    Returns
    -------
    The step's learning rate.
    """
    decay_steps = lr_decay * total_steps
    if decay_steps <= 0:
        return lr
    left = total_steps - step  # steps still to take, this one included: the last step uses lr / decay_steps
    return lr * min(1.0, left / decay_steps)


def train_contrastive(
    ensemble: EncoderEnsemble,
    x: torch.Tensor,
    *,
    epochs: int,
    min_steps: int,
    batch_size: int,
    lr: float,
    lr_decay: float,
    keep: float,
    temperature: float,
    mask: str,
    seed: int,
    kernel: str = "auto",
    progress: bool = True,
    stop: Callable[[EncoderEnsemble, int], bool] | None = None,
) -> np.ndarray:
    """Train ``ensemble`` in place with NT-Xent on two gene-dropout views of each cell of ``x``, per encoder.

    Parameters
    ----------
    ensemble
        The encoders, on the same device as ``x``.
    x
        Preprocessed expression, cells × genes, ``float32``.
    epochs
        Passes over the cells.
    min_steps
        Train at least this many optimizer steps, adding epochs when ``epochs`` passes over a small data set would
        give fewer (each encoder learns from its number of steps more than from its number of passes).
    batch_size
        Cells per minibatch (each gives ``2 * batch_size`` embeddings to NT-Xent).
    lr
        Adam learning rate.
    lr_decay
        Share of the planned steps, at the end, over which the learning rate falls linearly to zero
        (:func:`learning_rate`); 0 keeps it constant. A ``stop`` that ends training early cuts the decay short.
    keep
        Share of genes each view keeps.
    temperature
        NT-Xent temperature.
    mask
        ``"batch"``: each encoder's view of a minibatch keeps one random gene subset (fast); ``"cell"``: every cell
        draws its own genes (the paper's augmentation).
    seed
        Seeds the shuffles and the masks.
    kernel
        How each step is computed (:data:`csc_core.kernels.KERNELS`): ``"auto"`` compiles it with numba on the CPU
        for the ``"batch"`` mask and uses PyTorch's closed-form step otherwise; ``"autograd"`` is the readable
        reference. They compute the same step; their results differ by float32 rounding, which training amplifies.
    progress
        Show a progress bar over epochs.
    stop
        Called as ``stop(ensemble, step)`` after every optimizer step (counted from 1); training ends as soon as it
        returns ``True`` (e.g. :class:`csc_core.pipeline.stopping.StabilityStop`). It must not change the ensemble's
        parameters.

    Returns
    -------
    Mean loss per epoch and encoder, shape ``(epochs run, K)``; an epoch cut short by ``stop`` counts its own steps.
    """
    if mask not in MASKS:
        raise ValueError(f"mask must be one of {MASKS}, got {mask!r}.")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    if x.shape[0] < 2:
        raise ValueError(f"Need at least 2 cells to train, got {x.shape[0]}.")
    name = resolve_kernel(kernel, device=x.device, dtype=x.dtype, mask=mask)
    if not 0 <= lr_decay <= 1:
        raise ValueError(f"lr_decay must be between 0 and 1, got {lr_decay}.")
    epochs = epochs_for(x.shape[0], epochs=epochs, min_steps=min_steps, batch_size=batch_size)
    total_steps = epochs * batches_per_epoch(x.shape[0], batch_size)
    generator = torch.Generator().manual_seed(seed)  # CPU generator: same draws on every device
    k, n_genes = ensemble.n_models, x.shape[1]
    step_kernel = make_kernel(
        name, ensemble, x, lr=lr, temperature=temperature, max_batch=batch_size, n_kept=n_kept(n_genes, keep)
    )
    history = np.zeros((epochs, k), dtype=np.float64)
    ensemble.train()
    bar = tqdm(range(epochs), desc="contrastive training", unit="epoch", disable=not progress, leave=False)
    step = 0
    with step_kernel.session():
        for epoch in bar:
            batches = minibatches(x.shape[0], batch_size, generator)
            genes = None
            if mask == "batch":  # every view of the epoch in one draw: (batches, K, 2 views, kept genes)
                genes = sample_genes(n_genes, keep, shape=(len(batches), k, 2), generator=generator, device=x.device)
            batches, genes = step_kernel.begin_epoch(batches, genes)
            total = step_kernel.zeros()  # summed where the losses are computed (a GPU's: no copy every step)
            for i, idx in enumerate(batches):
                if lr_decay > 0:
                    step_kernel.set_lr(learning_rate(step, total_steps, lr=lr, lr_decay=lr_decay))
                if mask == "batch":
                    total += step_kernel.step(idx, genes=genes[i])
                else:  # every cell of every encoder's two views draws its own genes (the paper's augmentation)
                    xb = x.index_select(0, idx.to(x.device))
                    views = drop_genes(xb.repeat(2 * k, 1), keep, generator=generator).view(k, 2, *xb.shape)
                    total += step_kernel.step(idx, views=views)
                step += 1
                if stop is not None and stop(ensemble, step):
                    history[epoch] = step_kernel.to_numpy(total) / (i + 1)
                    bar.close()
                    return history[: epoch + 1]
            history[epoch] = step_kernel.to_numpy(total) / (i + 1)
            bar.set_postfix(loss=f"{history[epoch].mean():.3f}")
    return history


def train_ensemble(
    x: torch.Tensor,
    *,
    n_models: int,
    hidden: Sequence[int],
    epochs: int,
    min_steps: int,
    batch_size: int,
    lr: float,
    lr_decay: float,
    keep: float,
    temperature: float,
    mask: str,
    seed: int,
    kernel: str = "auto",
    progress: bool = True,
    stop_factory: Callable[[torch.Tensor], Callable] | None = None,
) -> tuple[EncoderEnsemble, np.ndarray, Callable | None]:
    """A new ensemble of ``n_models`` encoders, initialised from ``seed`` and trained on ``x``.

    Parameters
    ----------
    x
        Preprocessed expression, cells × genes, float32, on the device to train on.
    n_models
        Encoders in the ensemble.
    hidden
        Layer sizes of each encoder.
    epochs, min_steps, batch_size, lr, lr_decay, keep, temperature, mask, seed, kernel, progress
        As :func:`train_contrastive`.
    stop_factory
        Called with ``x`` to make the ``stop`` callback of :func:`train_contrastive` (e.g. a
        :class:`~csc_core.pipeline.stopping.StabilityStop`), or ``None``.

    Returns
    -------
    ``(ensemble, history, stop)``: the trained encoders, the loss per epoch and encoder, and the stop callback used.
    """
    ensemble = EncoderEnsemble(n_models, x.shape[1], hidden, seed=seed).to(x.device)
    stop = None if stop_factory is None else stop_factory(x)
    history = train_contrastive(
        ensemble,
        x,
        epochs=epochs,
        min_steps=min_steps,
        batch_size=batch_size,
        lr=lr,
        lr_decay=lr_decay,
        keep=keep,
        temperature=temperature,
        mask=mask,
        seed=seed,
        kernel=kernel,
        progress=progress,
        stop=stop,
    )
    return ensemble, history, stop
