"""The encoders: one MLP (genes → hidden sizes → embedding on the unit sphere) and K of them as one batched model.

An :class:`Encoder` is the paper's network: linear layers with BatchNorm + ReLU between them, no activation after the
last, and an L2-normalised output (paper: ``genes → 256 → 64 → 32``; the library's defaults ``genes → 64 → 32``).
An :class:`EncoderEnsemble` holds K independent encoders (the paper's variant c) — own initialisation, own augmented
views, own loss — with their parameters stacked, so that one ``bmm`` does the work of K small matrix products: on a
CPU the encoders are small enough that per-operation overhead, not arithmetic, dominates a training step.
:meth:`EncoderEnsemble.encoders` unstacks them into ordinary :class:`Encoder` modules.
"""

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

    def __init__(self, n_genes: int, hidden: Sequence[int]):
        super().__init__()
        sizes = [n_genes, *hidden]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        self.norms = nn.ModuleList(nn.BatchNorm1d(b) for b in hidden[:-1])

    def forward(self, x: torch.Tensor, genes: torch.Tensor | None = None) -> torch.Tensor:
        """Embed the cells of ``x``.

        Parameters
        ----------
        x
            Expression, cells × genes (or cells × ``len(genes)``).
        genes
            If given, ``x`` holds only these columns and every other gene counts as zero (the first layer is restricted
            to those rows).

        Returns
        -------
        Cells × embedding size, each row of unit length.
        """
        first = self.linears[0]
        h = F.linear(x, first.weight if genes is None else first.weight[:, genes], first.bias)
        for linear, norm in zip(self.linears[1:], self.norms, strict=True):
            h = linear(F.relu(norm(h)))
        return F.normalize(h, dim=1)


def make_encoders(
    n_models: int, n_genes: int, *, hidden: Sequence[int], seed: int, device: torch.device | str = "cpu"
) -> list[Encoder]:
    """``n_models`` encoders, each initialised from its own seed (``seed``, ``seed + 1``, …).

    Parameters
    ----------
    n_models
        Number of encoders.
    n_genes
        Input dimension.
    hidden
        Layer sizes of each encoder.
    seed
        Seed of the first encoder.
    device
        Where the encoders go.

    Returns
    -------
    The encoders (the caller's global random state is left as it was).
    """
    if n_models < 1:
        raise ValueError(f"n_models must be at least 1, got {n_models}.")
    models = []
    with torch.random.fork_rng(devices=[]):  # seed the initialisation without touching the caller's global RNG
        for k in range(n_models):
            torch.manual_seed(seed + k)
            models.append(Encoder(n_genes, hidden).to(device))
    return models


class EncoderEnsemble(nn.Module):
    """K encoders with stacked parameters; ``forward`` returns K embeddings of the same or of different inputs.

    Parameters
    ----------
    n_models
        Number of encoders K.
    n_genes
        Input dimension.
    hidden
        Layer sizes of each encoder (as :class:`Encoder`); the last is the embedding dimension d.
    seed
        Encoder k is initialised exactly like ``Encoder(n_genes, hidden)`` after ``torch.manual_seed(seed + k)``.
    """

    def __init__(self, n_models: int, n_genes: int, hidden: Sequence[int], *, seed: int):
        super().__init__()
        encoders = make_encoders(n_models, n_genes, hidden=hidden, seed=seed)
        self.n_models, self.n_genes, self.hidden = n_models, n_genes, tuple(hidden)
        # weights stored (K, in, out) so that activations (K, cells, in) @ weight is one bmm
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([e.linears[i].weight.detach().T for e in encoders]).contiguous())
            for i in range(len(hidden))
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([e.linears[i].bias.detach() for e in encoders]).unsqueeze(1))
            for i in range(len(hidden))
        )
        # one BatchNorm over the K·h features of a layer is K independent BatchNorms of h features each
        self.norms = nn.ModuleList(nn.BatchNorm1d(n_models * h) for h in hidden[:-1])

    def forward(self, x: torch.Tensor, genes: torch.Tensor | None = None) -> torch.Tensor:
        """Embed cells with every encoder.

        Parameters
        ----------
        x
            ``(cells, genes)``, the same input for every encoder, or ``(K, cells, genes')``, one input per encoder.
        genes
            ``(K, genes')`` indices: encoder k's input holds only genes ``genes[k]`` and every other gene counts as zero
            (its first layer is restricted to those rows).

        Returns
        -------
        ``(K, cells, d)``, each row on the unit sphere.
        """
        w0 = self.weights[0]
        if genes is not None:  # rows genes[k] of encoder k's first layer, as one index_select on the stacked rows
            offsets = torch.arange(self.n_models, device=genes.device).unsqueeze(1) * self.n_genes
            w0 = w0.reshape(-1, w0.shape[2]).index_select(0, (genes + offsets).flatten()).view(*genes.shape, -1)
        h = torch.baddbmm(self.biases[0], x, w0) if x.ndim == 3 else torch.matmul(x, w0) + self.biases[0]
        for norm, w, b in zip(self.norms, self.weights[1:], self.biases[1:], strict=True):
            k, n, width = h.shape
            # BatchNorm1d wants (cells, features): the K encoders' features side by side
            h = norm(h.transpose(0, 1).reshape(n, k * width)).view(n, k, width).transpose(0, 1)
            h = torch.baddbmm(b, F.relu(h), w)
        return F.normalize(h, dim=2)

    def encoders(self) -> list[Encoder]:
        """The K encoders as separate :class:`Encoder` modules.

        Returns
        -------
        Copies of the current parameters and BatchNorm state, in the ensemble's training mode.
        """
        out = []
        for k in range(self.n_models):
            enc = Encoder(self.n_genes, self.hidden).to(self.weights[0].device)
            with torch.no_grad():
                for i, lin in enumerate(enc.linears):
                    lin.weight.copy_(self.weights[i][k].T)
                    lin.bias.copy_(self.biases[i][k, 0])
                for norm, mine in zip(enc.norms, self.norms, strict=True):
                    width = norm.num_features
                    sl = slice(k * width, (k + 1) * width)
                    norm.weight.copy_(mine.weight[sl])
                    norm.bias.copy_(mine.bias[sl])
                    norm.running_mean.copy_(mine.running_mean[sl])
                    norm.running_var.copy_(mine.running_var[sl])
                    norm.num_batches_tracked.copy_(mine.num_batches_tracked)
            out.append(enc.train(self.training))
        return out


@torch.no_grad()
def embed(ensemble: EncoderEnsemble, x: torch.Tensor, *, chunk_size: int = 8192) -> torch.Tensor:
    """Concatenated embeddings of every cell by every encoder (eval mode, no augmentation).

    Parameters
    ----------
    ensemble
        The encoders (switched to eval mode).
    x
        Expression, cells × genes.
    chunk_size
        Cells embedded at a time (bounds the memory of a million cells).

    Returns
    -------
    Cells × (K · d).
    """
    ensemble.eval()
    parts = [ensemble(c) for c in x.split(chunk_size)]  # each (K, chunk, d)
    z = torch.cat(parts, dim=1)
    return z.transpose(0, 1).reshape(x.shape[0], -1)
