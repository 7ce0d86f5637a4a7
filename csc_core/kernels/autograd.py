"""The reference training step: the ensemble's forward pass, :func:`~csc_core.method.loss.nt_xent`, autograd, Adam.

This is the spec the fast kernels are tested against (``tests/kernels``): it is short enough to read and to edit —
to try another loss, change :func:`loss_and_grads` and train with ``kernel="autograd"``. It is the slowest kernel
(PyTorch records and walks the autograd graph of every small operation), not the one training uses by default.
"""

from __future__ import annotations

import torch

from ..method.encoder import EncoderEnsemble
from ..method.loss import nt_xent
from .base import StepKernel


def loss_and_grads(
    ensemble: EncoderEnsemble,
    xb: torch.Tensor,
    *,
    temperature: float,
    genes: torch.Tensor | None = None,
    views: torch.Tensor | None = None,
) -> torch.Tensor:
    """NT-Xent of two views of a minibatch for every encoder; sets every parameter's ``.grad`` by autograd.

    The two views go through the ensemble one after the other, in training mode, so the BatchNorm running statistics
    are updated as two forward passes leave them.

    Parameters
    ----------
    ensemble
        The encoders (their gradients are overwritten).
    xb
        The minibatch, ``(B, genes)``.
    temperature
        NT-Xent temperature.
    genes
        ``(K, 2, g)`` gene indices: view ``v`` of encoder ``k`` keeps genes ``genes[k, v]`` of every cell.
    views
        ``(K, 2, B, genes)``: the masked views themselves (give this or ``genes``).

    Returns
    -------
    The K losses (detached).
    """
    if (genes is None) == (views is None):
        raise ValueError("Give exactly one of genes (one gene subset per view) or views (masked views).")
    if genes is not None:  # each encoder's view v reads only genes[k, v] (the other genes count as zero)
        z1, z2 = (ensemble(xb[:, genes[:, v]].transpose(0, 1), genes[:, v]) for v in (0, 1))
    else:
        z1, z2 = (ensemble(views[:, v]) for v in (0, 1))
    losses = nt_xent(z1, z2, temperature)  # (K,): one independent loss per encoder
    for p in ensemble.parameters():
        p.grad = None
    losses.sum().backward()  # the encoders share no parameter, so each gets its own loss's gradient
    return losses.detach()


class AutogradKernel(StepKernel):
    """:func:`loss_and_grads`, then ``torch.optim.Adam``: the readable reference kernel (any device, either mask).

    Parameters
    ----------
    ensemble
        The encoders.
    x
        The training input, cells × genes.
    **kwargs
        ``lr``, ``temperature``, ``max_batch``, ``n_kept`` (:class:`~csc_core.kernels.base.StepKernel`).
    """

    name = "autograd"

    def __init__(self, ensemble: EncoderEnsemble, x: torch.Tensor, **kwargs):
        super().__init__(ensemble, x, **kwargs)
        self.optimizer = torch.optim.Adam(ensemble.parameters(), lr=self.lr)

    def set_lr(self, lr: float) -> None:
        """Use learning rate ``lr`` from the next step on (see :meth:`StepKernel.set_lr`).

        Parameters
        ----------
        lr
            The new learning rate.
        """
        super().set_lr(lr)
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def step(self, idx, *, genes=None, views=None):
        """One step (see :meth:`StepKernel.step`).

        Parameters
        ----------
        idx
            The minibatch's cell indices.
        genes, views
            The views, as :meth:`StepKernel.step` takes them.

        Returns
        -------
        The K losses.
        """
        xb = self.x.index_select(0, idx.to(self.x.device))
        losses = loss_and_grads(self.ensemble, xb, temperature=self.temperature, genes=genes, views=views)
        self.optimizer.step()
        return losses
