"""The contrastive training loop: minibatches of two augmented views, NT-Xent, Adam.

Works on tensors only (never AnnData). The K encoders of an :class:`~csc_core.ensemble.EncoderEnsemble` are trained in
the same loop — each with its own views, initialisation and loss — because one pass over the minibatches is cheaper
than K passes; their parameters and losses are independent, so this is exactly K separate trainings (Adam's update is
per parameter) that share only the order of the minibatches. Each step's loss and gradients come from one of two
kernels computing the same closed forms (both views of all encoders at once, backward written out; checked against
autograd in the tests): :func:`csc_core.compiled_step.CompiledStep` (numba, the CPU's default for the "batch" mask)
or :func:`csc_core.fused_step.contrastive_step` (PyTorch operations: GPUs, the "cell" mask, and the book's stored
tables).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np
import torch
from torch.optim.adam import adam
from tqdm import tqdm

from .augment import drop_genes, n_kept, sample_genes
from .ensemble import EncoderEnsemble
from .fused_step import contrastive_step

MASKS = ("batch", "cell")
#: How a step is computed: ``"compiled"`` (:mod:`csc_core.compiled_step`, CPU, float32, the "batch" mask),
#: ``"torch"`` (:mod:`csc_core.fused_step`, any device, either mask), or ``"auto"``: compiled where it applies.
KERNELS = ("auto", "compiled", "torch")


def resolve_kernel(kernel: str, *, device: torch.device | str, dtype: torch.dtype = torch.float32,
                   mask: str = "batch") -> str:
    """The step implementation ``kernel`` stands for here: ``"compiled"`` or ``"torch"``.

    ``"auto"`` is ``"compiled"`` on the CPU in float32 with the "batch" mask, else ``"torch"``. An explicit
    ``"compiled"`` where it cannot run raises instead of falling back.
    """
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}.")
    fits = torch.device(device).type == "cpu" and dtype == torch.float32 and mask == "batch"
    if kernel == "compiled" and not fits:
        raise ValueError("kernel='compiled' runs float32 training on the CPU with mask='batch'; use kernel='torch' "
                         f"(got device {device}, dtype {dtype}, mask {mask!r}).")
    if kernel == "auto":
        return "compiled" if fits else "torch"
    return kernel


class FusedAdam:
    """Adam through PyTorch's fused kernel (one kernel for all parameters), called without ``torch.optim``'s wrapper.

    ``torch.optim.Adam(fused=True).step()`` regroups the tensors by device and dtype, checks hooks and records a
    profiler range on every call: on the default ensemble ~60 of the ~185 µs an update takes. And the first
    ``torch.optim`` optimizer of a process imports ``torch._dynamo``: 0.7 s, which every fresh notebook kernel paid.
    This holds the state once and calls :func:`torch.optim.adam.adam`, PyTorch's functional Adam, with the same kernel
    and arithmetic: the parameters are bit-identical (``tests/test_train.py`` checks).
    """

    def __init__(self, params, *, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.exp_avgs = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sqs = [torch.zeros_like(p) for p in self.params]
        # as torch.optim.Adam keeps it for the fused kernel: a float32 scalar tensor per parameter
        self.state_steps = [torch.zeros((), dtype=torch.float32, device=p.device) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        """One Adam update from every parameter's ``.grad``."""
        adam(self.params, [p.grad for p in self.params], self.exp_avgs, self.exp_avg_sqs, [], self.state_steps,
             fused=True, amsgrad=False, beta1=self.betas[0], beta2=self.betas[1], lr=self.lr, weight_decay=0.0,
             eps=self.eps, maximize=False)


def batches_per_epoch(n: int, batch_size: int) -> int:
    """Minibatches (optimizer steps) in one pass over ``n`` cells: ``ceil(n / batch_size)``, at least 1."""
    return max(1, -(-n // batch_size))


def minibatches(n: int, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
    """A shuffled split of ``range(n)`` into near-equal minibatches of at most ``batch_size``.

    Near-equal rather than "full batches plus a remainder", so no minibatch is left with a single cell
    (BatchNorm cannot normalise one sample).
    """
    return list(torch.randperm(n, generator=generator).tensor_split(batches_per_epoch(n, batch_size)))


def epochs_for(n_cells: int, *, epochs: int, min_steps: int, batch_size: int) -> int:
    """Epochs to run: ``epochs``, or more if that many passes give fewer than ``min_steps`` minibatches."""
    return max(epochs, -(-min_steps // batches_per_epoch(n_cells, batch_size)))


def train_contrastive(
    ensemble: EncoderEnsemble,
    x: torch.Tensor,
    *,
    epochs: int,
    min_steps: int = 0,
    batch_size: int = 256,
    lr: float = 1e-3,
    keep: float = 0.2,
    temperature: float = 0.07,
    mask: str = "batch",
    seed: int = 0,
    progress: bool = True,
    stop: Callable[[EncoderEnsemble, int], bool] | None = None,
    kernel: str = "auto",
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
    keep
        Share of genes each view keeps.
    temperature
        NT-Xent temperature.
    mask
        ``"batch"``: each encoder's view of a minibatch keeps one random gene subset (fast); ``"cell"``: every cell
        draws its own genes (the paper's augmentation).
    seed
        Seeds the shuffles and the masks.
    progress
        Show a progress bar over epochs.
    stop
        Called as ``stop(ensemble, step)`` after every optimizer step (counted from 1); training ends as soon as it
        returns ``True`` (e.g. :class:`csc_core.stopping.StabilityStop`). It must not change the ensemble's parameters.
    kernel
        How each step is computed (:data:`KERNELS`, :func:`resolve_kernel`): ``"auto"`` compiles it with numba on the
        CPU for the "batch" mask (:mod:`csc_core.compiled_step`) and uses PyTorch (:mod:`csc_core.fused_step`)
        otherwise. Both compute the same step; their results differ by float32 rounding, which training amplifies
        (the "Computational cost" chapter compares them).

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
    kernel = resolve_kernel(kernel, device=x.device, dtype=x.dtype, mask=mask)
    epochs = epochs_for(x.shape[0], epochs=epochs, min_steps=min_steps, batch_size=batch_size)
    generator = torch.Generator().manual_seed(seed)  # CPU generator: same draws on every device
    k, n_genes = ensemble.n_models, x.shape[1]
    if kernel == "compiled":
        from .compiled_step import CompiledStep, offset_rows  # numba: imported only where it runs

        compiled = CompiledStep(ensemble, max_batch=batch_size, n_kept=n_kept(n_genes, keep), lr=lr)
        threads, x_np = compiled.threads(), x.contiguous().numpy()
        rows = offset_rows(x_np)  # None for dense data: the first layer then multiplies x itself
    else:
        compiled, optimizer, threads = None, FusedAdam(ensemble.parameters(), lr=lr), contextlib.nullcontext()
    history = np.zeros((epochs, k), dtype=np.float64)
    ensemble.train()
    bar = tqdm(range(epochs), desc="contrastive training", unit="epoch", disable=not progress, leave=False)
    step, stopped = 0, False
    try:
        with threads:
            for epoch in bar:
                batches = minibatches(x.shape[0], batch_size, generator)
                if mask == "batch":  # every view of the epoch in one draw: (batches, K, 2 views, kept genes)
                    genes = sample_genes(n_genes, keep, shape=(len(batches), k, 2), generator=generator,
                                         device=x.device)
                    if compiled is not None:  # ascending: the same subsets, gathered with fewer cache misses
                        genes = np.sort(genes.numpy(), axis=-1).astype(np.uint32)  # numpy's: 4x faster than torch's
                if compiled is not None:  # the epoch's indices and subsets checked at once, not every step's
                    batches = [idx.numpy() for idx in batches]
                    compiled.check(x_np, batches, genes, temperature=temperature, rows=rows)
                # the losses summed where they are computed (on a GPU: no copy to the host every step)
                total = np.zeros(k) if compiled is not None else torch.zeros(k, dtype=torch.float64, device=x.device)
                for i, idx in enumerate(batches):
                    if compiled is not None:
                        total += compiled.step(x_np, idx, genes[i], temperature=temperature, rows=rows,
                                               checked=True)
                        compiled.adam()
                    else:
                        xb = x.index_select(0, idx.to(x.device))
                        if mask == "batch":
                            losses = contrastive_step(ensemble, xb, temperature=temperature, genes=genes[i])
                        else:  # every cell of every encoder's two views draws its own genes (the paper's augmentation)
                            dropped = drop_genes(xb.repeat(2 * k, 1), keep, generator=generator)
                            losses = contrastive_step(ensemble, xb, temperature=temperature,
                                                      dropped=dropped.view(k, 2, *xb.shape))
                        optimizer.step()
                        total += losses
                    step += 1
                    if stop is not None and stop(ensemble, step):
                        stopped = True
                        break
                history[epoch] = (total if compiled is not None else total.cpu().numpy()) / (i + 1)
                bar.set_postfix(loss=f"{history[epoch].mean():.3f}")
                if stopped:
                    bar.close()
                    return history[: epoch + 1]
    finally:  # the step's gradients are inference tensors (fused_step): not left where autograd could meet them
        for p in ensemble.parameters():
            p.grad = None
    return history
