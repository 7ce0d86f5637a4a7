"""Gene-dropout augmentation: a view of a cell keeps a random share of its genes and zeroes the rest."""

from __future__ import annotations

import torch


def n_kept(n_genes: int, keep: float) -> int:
    """Genes a view keeps: ``round(keep * n_genes)``, at least 1.

    Parameters
    ----------
    n_genes
        Genes of the input.
    keep
        Share of them a view keeps, in (0, 1].

    Returns
    -------
    The number of genes kept.
    """
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"keep must be in (0, 1], got {keep}.")
    return max(1, round(keep * n_genes))


def drop_genes(x: torch.Tensor, keep: float, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """A copy of ``x`` where each cell keeps exactly ``round(keep * genes)`` random genes and the others are zero.

    Each cell draws its own genes (the paper's augmentation). ``x`` is not modified.

    Parameters
    ----------
    x
        Expression, cells × genes.
    keep
        Share of genes each cell keeps.
    generator
        The random generator (its device is where the draw happens).

    Returns
    -------
    The masked copy, same shape as ``x``.
    """
    n_cells, n_genes = x.shape
    k = n_kept(n_genes, keep)
    scores = torch.rand(n_cells, n_genes, generator=generator, device=generator.device if generator else x.device)
    kept = scores.topk(k, dim=1, sorted=False).indices.to(x.device)  # a uniform subset; cheaper than argsort
    mask = torch.zeros_like(x, dtype=torch.bool).scatter_(1, kept, True)
    return x * mask


def sample_genes(
    n_genes: int,
    keep: float,
    *,
    shape: tuple[int, ...] = (),
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Indices of ``round(keep * n_genes)`` random distinct genes, for each of ``shape`` independent views.

    A view of a minibatch that keeps the same genes in every cell is ``x[:, genes]`` fed to the first layer restricted
    to those rows: the same as zeroing every other gene, for ``keep`` times the multiply-adds — the fast form of
    :func:`drop_genes`. All subsets come from one draw (the genes of the ``kept`` largest of uniform scores form a
    uniformly random subset): one operation for a whole epoch's views instead of a permutation per view.

    Parameters
    ----------
    n_genes
        Genes to choose from.
    keep
        Share of them each view keeps.
    shape
        How many independent subsets, e.g. ``(batches, K, 2)``.
    generator
        The random generator.
    device
        Where the indices go.

    Returns
    -------
    ``(*shape, kept)`` gene indices, in no particular order.
    """
    k = n_kept(n_genes, keep)
    gen_device = generator.device if generator is not None else "cpu"
    scores = torch.rand(*shape, n_genes, generator=generator, device=gen_device)
    return scores.topk(k, dim=-1, sorted=False).indices.to(device)
