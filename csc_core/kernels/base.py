"""The training-step interface every kernel implements, so that the training loop never branches on the kernel."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator

import numpy as np
import torch

from ..method.encoder import EncoderEnsemble


class StepKernel(ABC):
    """One optimizer step of an :class:`~csc_core.method.encoder.EncoderEnsemble`, for every encoder at once.

    A step takes a minibatch (cell indices into ``x``) and the two augmented views of it — per encoder either one
    gene subset per view (the ``"batch"`` mask) or the masked views themselves (the ``"cell"`` mask) — computes each
    encoder's NT-Xent loss of its two views, its gradients, the BatchNorm running statistics as two training-mode
    passes would leave them, and applies Adam. Every implementation computes the same step; they differ in speed
    and in float32 rounding.

    Parameters
    ----------
    ensemble
        The encoders, trained in place (on ``x``'s device).
    x
        The training input, cells × genes, float32.
    lr
        Adam's learning rate.
    temperature
        NT-Xent temperature.
    max_batch
        The largest minibatch the loop will pass (buffers are sized for it).
    n_kept
        Genes each view keeps under the ``"batch"`` mask.
    """

    #: The kernel's name, as ``kernel=`` takes it.
    name = ""

    def __init__(
        self, ensemble: EncoderEnsemble, x: torch.Tensor, *, lr: float, temperature: float, max_batch: int, n_kept: int
    ):
        self.ensemble, self.x, self.lr, self.temperature = ensemble, x, lr, temperature
        self.max_batch, self.n_kept = max_batch, n_kept

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """The context training runs in (thread settings, say); afterwards no parameter holds a gradient.

        Yields
        ------
        Nothing; train inside the ``with`` block.
        """
        try:
            yield
        finally:  # gradients of the fast kernels are inference tensors: never left where autograd could meet them
            for p in self.ensemble.parameters():
                p.grad = None

    def set_lr(self, lr: float) -> None:
        """Use learning rate ``lr`` from the next step on (the training loop's schedule sets it).

        Parameters
        ----------
        lr
            The new learning rate.
        """
        self.lr = lr

    def begin_epoch(self, batches: list[torch.Tensor], genes: torch.Tensor | None) -> tuple[list, object]:
        """The epoch's minibatches and gene subsets in the form :meth:`step` takes, checked once for the epoch.

        Parameters
        ----------
        batches
            Cell indices of each minibatch (CPU tensors).
        genes
            ``(batches, K, 2, kept)`` gene indices (``"batch"`` mask), or ``None`` (``"cell"`` mask).

        Returns
        -------
        ``(batches, genes)`` as this kernel wants them.
        """
        return batches, genes

    def zeros(self):
        """An accumulator for one epoch's summed losses (K of them), on the device the losses come from.

        Returns
        -------
        Zeros, float64.
        """
        return torch.zeros(self.ensemble.n_models, dtype=torch.float64, device=self.x.device)

    @staticmethod
    def to_numpy(total) -> np.ndarray:
        """An accumulator of :meth:`zeros` as a numpy array.

        Parameters
        ----------
        total
            The accumulator.

        Returns
        -------
        The K values.
        """
        return total.cpu().numpy() if isinstance(total, torch.Tensor) else np.asarray(total)

    @abstractmethod
    def step(self, idx, *, genes=None, views: torch.Tensor | None = None):
        """One step on minibatch ``idx``: losses, gradients, running statistics, and the Adam update.

        Parameters
        ----------
        idx
            The minibatch's cell indices (as :meth:`begin_epoch` returned them).
        genes
            ``(K, 2, kept)`` gene indices: view ``v`` of encoder ``k`` keeps genes ``genes[k, v]`` of every cell.
        views
            ``(K, 2, B, genes)``: the views themselves, each cell masked on its own. Exactly one of ``genes`` and
            ``views`` is given.

        Returns
        -------
        The K losses (a tensor or array that adds into :meth:`zeros`).
        """
