"""The zero-inflated negative binomial (ZINB) autoencoder shared by the two competitors, scDeepCluster and scziDesk.

Both model raw counts the same way (DCA, Eraslan et al. 2019): an encoder reads the log-normalised, z-scored
expression (with Gaussian noise while training — a denoising autoencoder), and a decoder outputs, per cell and gene, the
mean (times the cell's size factor), the dispersion and the dropout probability of a ZINB distribution; the loss is
the ZINB negative log-likelihood of the observed counts. Written here because no maintained library offers this
autoencoder as a torch module to build on (scvi-tools' ZINB models are variational and tied to AnnData); the module
never sees AnnData.

Two implementations of a training step, chosen by ``kernel``: ``"torch"`` is the readable reference below (three
head layers, :func:`zinb_nll` through autograd, PyTorch's optimiser loop) and the specification; ``"fast"`` (the
default on a CPU, :mod:`csc_core.competitors.fast_step`) computes the same loss and gradients with a compiled loss
gradient, a written-out backward pass and bfloat16 matrix products where the CPU has them. Its input noise comes from
another generator than ``torch.randn``, so the same seed trains another (equally good) autoencoder.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .fast_step import FastZINBStep, ZINBData, resolve_kernel, train_epoch_fast

_EPS = 1e-10


def zinb_nll(
    x: torch.Tensor, mean: torch.Tensor, disp: torch.Tensor, pi: torch.Tensor, *, ridge: float = 0.0
) -> torch.Tensor:
    """Mean negative log-likelihood of counts ``x`` under ZINB(``mean``, ``disp``, ``pi``), all the same shape.

    NB(x; μ, θ) with mean μ and inverse dispersion θ (variance μ + μ²/θ); with probability π a count is an extra
    zero. This readable form is the reference the fast loss is tested against.

    Parameters
    ----------
    x
        Counts.
    mean, disp, pi
        The distribution's mean, inverse dispersion and dropout probability.
    ridge
        Adds ``ridge · π²`` (DCA's penalty on the dropout probability).

    Returns
    -------
    The mean loss (a scalar tensor).
    """
    theta = disp.clamp_max(1e6)
    log_theta_mu = torch.log(theta + mean + _EPS)
    nb_log = (
        torch.lgamma(x + theta)
        - torch.lgamma(theta)
        - torch.lgamma(x + 1.0)
        + theta * (torch.log(theta + _EPS) - log_theta_mu)
        + x * (torch.log(mean + _EPS) - log_theta_mu)
    )
    nonzero = -torch.log(1.0 - pi + _EPS) - nb_log
    nb_zero = torch.exp(theta * (torch.log(theta + _EPS) - log_theta_mu))  # NB(0) = (θ / (θ + μ))^θ
    zero = -torch.log(pi + (1.0 - pi) * nb_zero + _EPS)
    out = torch.where(x < 0.5, zero, nonzero)
    if ridge > 0:
        out = out + ridge * pi.square()
    return out.mean()


def _mlp(sizes: Sequence[int]) -> nn.Sequential:
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers)


class ZINBAutoencoder(nn.Module):
    """Encoder → latent → decoder with three ZINB heads (scDeepCluster's architecture by default).

    Parameters
    ----------
    n_genes
        Input and output dimension.
    hidden
        Encoder layer sizes (the decoder mirrors them).
    latent
        Latent dimension (the embedding that is clustered).
    noise_sd
        Standard deviation of the Gaussian noise added to the input while training (scDeepCluster: 2.5).
    """

    def __init__(self, n_genes: int, *, hidden: Sequence[int] = (256, 64), latent: int = 32, noise_sd: float = 2.5):
        super().__init__()
        self.noise_sd = noise_sd
        self.encoder = _mlp([n_genes, *hidden])
        self.to_latent = nn.Linear(hidden[-1], latent)  # linear: the latent space is not rectified
        self.decoder = _mlp([latent, *reversed(hidden)])
        self.mean = nn.Linear(hidden[0], n_genes)
        self.disp = nn.Linear(hidden[0], n_genes)
        self.pi = nn.Linear(hidden[0], n_genes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Latent embedding of ``x`` without noise.

        Parameters
        ----------
        x
            Cells × genes (z-scored log expression).

        Returns
        -------
        Cells × latent size.
        """
        return self.to_latent(self.encoder(x))

    def forward(self, x: torch.Tensor, size_factors: torch.Tensor, *, generator: torch.Generator | None = None):
        """Latent embedding and ZINB parameters of the (noisy, in training mode) input.

        Parameters
        ----------
        x
            Cells × genes (z-scored log expression).
        size_factors
            Each cell's size factor (multiplies the mean).
        generator
            The random generator of the input noise.

        Returns
        -------
        ``(z, mean, disp, pi)``: the latent embedding, and per cell and gene the NB mean (times the size factor), the
        inverse dispersion and the dropout probability.
        """
        if self.training and self.noise_sd > 0:
            noise = torch.randn(x.shape, generator=generator, device=generator.device if generator else x.device)
            x = x + self.noise_sd * noise.to(x.device)
        z = self.embed(x)
        h = self.decoder(z)
        mean = torch.exp(self.mean(h)).clamp(1e-5, 1e6) * size_factors.unsqueeze(1)
        disp = F.softplus(self.disp(h)).clamp(1e-4, 1e4)
        return z, mean, disp, torch.sigmoid(self.pi(h))

    @torch.no_grad()
    def embed_all(self, x: torch.Tensor, *, chunk_size: int = 8192) -> torch.Tensor:
        """Latent embedding of every cell (eval mode, no noise).

        Parameters
        ----------
        x
            Cells × genes.
        chunk_size
            Cells embedded at a time.

        Returns
        -------
        Cells × latent size.
        """
        self.eval()
        return torch.cat([self.embed(c) for c in x.split(chunk_size)])


def pretrain(
    model: ZINBAutoencoder,
    x: torch.Tensor,
    counts: torch.Tensor,
    size_factors: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    lr: float = 1e-3,
    seed: int = 0,
    kernel: str = "auto",
    precision: str = "auto",
    progress: bool = True,
) -> np.ndarray:
    """Train ``model`` in place on the ZINB loss of ``counts`` given noisy ``x`` (Adam with AMSGrad, as scDeepCluster).

    Parameters
    ----------
    model
        The autoencoder.
    x
        Cells × genes, z-scored log expression, on the model's device.
    counts
        Raw counts of the same genes.
    size_factors
        Each cell's size factor.
    epochs
        Passes over the cells.
    batch_size
        Cells per minibatch.
    lr
        Adam's learning rate.
    seed
        Seeds the minibatch order and the noise.
    kernel
        ``"auto"``, ``"fast"`` or ``"torch"`` (:func:`csc_core.competitors.fast_step.resolve_kernel`): the
        implementation of a step; ``"auto"`` is the fast step on a CPU, the reference elsewhere.
    precision
        The fast step's matrix products: ``"auto"``, ``"float32"`` or ``"bfloat16"``
        (:func:`csc_core.competitors.fast_step.resolve_precision`); the reference is always float32.
    progress
        A progress bar over epochs.

    Returns
    -------
    The mean loss per epoch.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    gen = torch.Generator().manual_seed(seed)
    if resolve_kernel(kernel, x.device) == "fast":
        step = FastZINBStep(model, ZINBData(x, counts, size_factors), precision=precision)
        opt = torch.optim.Adam([step.params], lr=lr, amsgrad=True, fused=True)

        def epoch():
            return train_epoch_fast(step, opt, batch_size=batch_size, generator=gen)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr, amsgrad=True)

        def epoch():
            return train_epoch(model, x, counts, size_factors, opt, batch_size=batch_size, generator=gen)

    history = []
    bar = tqdm(range(epochs), desc="ZINB autoencoder", unit="epoch", disable=not progress, leave=False)
    for _ in bar:
        total = epoch()
        history.append(total)
        bar.set_postfix(loss=f"{total:.3f}")
    return np.asarray(history)


def train_epoch(
    model: ZINBAutoencoder,
    x: torch.Tensor,
    counts: torch.Tensor,
    size_factors: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    *,
    batch_size: int,
    generator: torch.Generator,
    extra_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> float:
    """One pass over shuffled minibatches: the ZINB loss of the noisy reconstruction, plus an extra term when given.

    Parameters
    ----------
    model
        The autoencoder (trained in place).
    x, counts, size_factors
        As :func:`pretrain`.
    optimizer
        Over the parameters to train.
    batch_size
        Cells per minibatch.
    generator
        The random generator of the order and the noise.
    extra_loss
        ``extra_loss(z, idx)`` of the minibatch's noise-free latent embedding and cell indices (a clustering stage's
        term), added to the ZINB loss.

    Returns
    -------
    The mean loss over minibatches.
    """
    model.train()
    total = 0.0
    batches = torch.randperm(x.shape[0], generator=generator).split(batch_size)
    for idx in batches:
        idx = idx.to(x.device)
        _, mean, disp, pi = model(x[idx], size_factors[idx], generator=generator)
        loss = zinb_nll(counts[idx], mean, disp, pi)
        if extra_loss is not None:
            loss = loss + extra_loss(model.embed(x[idx]), idx)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.item() / len(batches)
    return total
