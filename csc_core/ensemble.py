"""An ensemble of K encoders (the paper's variant c), computed as one batched model.

The K encoders are independent — own initialisation, own augmented views, own loss — but their parameters are stacked
so that one ``bmm`` does the work of K small matrix products. On a CPU the encoders are small enough that per-operation
overhead, not arithmetic, dominates a training step, so this is several times faster than looping over K modules
(``bench/results/speed.md``). :meth:`EncoderEnsemble.encoders` unstacks them into ordinary :class:`Encoder` modules.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .encoder import Encoder


def make_encoders(n_models: int, n_genes: int, *, hidden: Sequence[int] = (256, 64, 32), seed: int = 0,
                  device: torch.device | str = "cpu") -> list[Encoder]:
    """``n_models`` encoders, each initialised from its own seed (``seed``, ``seed + 1``, …)."""
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

    def __init__(self, n_models: int, n_genes: int, hidden: Sequence[int] = (256, 64, 32), *, seed: int = 0):
        super().__init__()
        encoders = make_encoders(n_models, n_genes, hidden=hidden, seed=seed)
        self.n_models, self.n_genes, self.hidden = n_models, n_genes, tuple(hidden)
        # weights stored (K, in, out) so that activations (K, cells, in) @ weight is one bmm
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([e.linears[i].weight.detach().T for e in encoders]).contiguous())
            for i in range(len(hidden)))
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([e.linears[i].bias.detach() for e in encoders]).unsqueeze(1))
            for i in range(len(hidden)))
        # one BatchNorm over the K·h features of a layer is K independent BatchNorms of h features each
        self.norms = nn.ModuleList(nn.BatchNorm1d(n_models * h) for h in hidden[:-1])

    def forward(self, x: torch.Tensor, genes: torch.Tensor | None = None) -> torch.Tensor:
        """Embed cells with every encoder; returns ``(K, cells, d)``, each row on the unit sphere.

        Parameters
        ----------
        x
            ``(cells, genes)``, the same input for every encoder, or ``(K, cells, genes')``, one input per encoder.
        genes
            ``(K, genes')`` indices: encoder k's input holds only genes ``genes[k]`` and every other gene counts as
            zero (its first layer is restricted to those rows).
        """
        w0 = self.weights[0]
        if genes is not None:  # rows genes[k] of encoder k's first layer, as one index_select on the stacked rows
            offsets = torch.arange(self.n_models, device=genes.device).unsqueeze(1) * self.n_genes
            w0 = w0.reshape(-1, w0.shape[2]).index_select(0, (genes + offsets).flatten()).view(*genes.shape, -1)
        h = torch.baddbmm(self.biases[0], x, w0) if x.ndim == 3 else torch.matmul(x, w0) + self.biases[0]
        for norm, w, b in zip(self.norms, self.weights[1:], self.biases[1:]):
            k, n, width = h.shape
            # BatchNorm1d wants (cells, features): the K encoders' features side by side
            h = norm(h.transpose(0, 1).reshape(n, k * width)).view(n, k, width).transpose(0, 1)
            h = torch.baddbmm(b, F.relu(h), w)
        return F.normalize(h, dim=2)

    def encoders(self) -> list[Encoder]:
        """The K encoders as separate :class:`Encoder` modules (copies of the current parameters and BatchNorm state)."""
        out = []
        for k in range(self.n_models):
            enc = Encoder(self.n_genes, self.hidden).to(self.weights[0].device)
            with torch.no_grad():
                for i, lin in enumerate(enc.linears):
                    lin.weight.copy_(self.weights[i][k].T)
                    lin.bias.copy_(self.biases[i][k, 0])
                for norm, mine in zip(enc.norms, self.norms):
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
    """Concatenated embeddings of every cell by every encoder (eval mode, no augmentation), cells × (K · d)."""
    ensemble.eval()
    parts = [ensemble(c) for c in x.split(chunk_size)]  # each (K, chunk, d)
    z = torch.cat(parts, dim=1)
    return z.transpose(0, 1).reshape(x.shape[0], -1)
