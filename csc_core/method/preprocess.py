"""The paper's preprocessing: counts → normalised, log-transformed, z-scored highly variable genes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from .validation import check_counts

if TYPE_CHECKING:
    import anndata as ad

#: Above this many cells, highly variable genes are chosen on a random subsample of this size (the gene ranking is
#: settled long before); the normalisation and scaling still use every cell. Keeps the peak memory of a million cells
#: near the size of the count matrix itself.
HVG_MAX_CELLS = 200_000


def _log_normalised(counts, totals: np.ndarray, target: np.float32) -> ad.AnnData:
    # scanpy's normalize_total(target_sum=target) + log1p on a float32 copy, with the same float32 arithmetic (divide
    # each count by total / target), but with each cell's total over *all* genes supplied: ``counts`` may hold only
    # some of them, and scanpy would sum over those only
    x = sp.csr_matrix(counts, dtype=np.float32, copy=True)
    x.data /= np.repeat(totals / target, np.diff(x.indptr))
    np.log1p(x.data, out=x.data)
    import anndata as ad  # anndata and scanpy: imported where they run (seconds of import time)

    return ad.AnnData(X=x)


def preprocess(adata: ad.AnnData, *, n_genes: int, layer: str | None = None, seed: int = 0) -> ad.AnnData:
    """Normalise, log-transform, select highly variable genes and z-score them.

    Steps (scanpy's recipe): drop genes with no counts → normalise each cell to the median library size → ``log1p`` →
    keep the ``n_genes`` most variable genes (``flavor="seurat"``) → scale each gene to zero mean, unit variance.
    Above :data:`HVG_MAX_CELLS` cells the genes are ranked on a random subsample of that many cells (``seed``).

    Parameters
    ----------
    adata
        Raw counts (cells × genes) in ``X`` or in ``layers[layer]``. Not modified.
    n_genes
        Number of highly variable genes to keep; all genes are kept if the data has fewer.
    layer
        Read counts from this layer instead of ``X``.
    seed
        Draws the subsample that ranks genes on very large data.

    Returns
    -------
    A new AnnData with the same cells: ``X`` dense ``float32`` (cells × kept genes), ``var`` (``highly_variable``,
    and each gene's ``mean`` and ``std`` before scaling), ``uns["preprocess"]["params"]`` (with ``target_sum``, the
    library size cells were normalised to).
    """
    import scanpy as sc

    counts = adata.X if layer is None else adata.layers[layer]
    check_counts(counts)
    if n_genes < 1:
        raise ValueError(f"n_genes must be positive, got {n_genes}.")
    counts = sp.csr_matrix(counts)  # no copy when it already is CSR
    totals = np.asarray(counts.sum(axis=1)).ravel().astype(np.float32)  # exact for integer counts below 2**24
    target = np.median(totals)  # normalize_total's default target: the median library size
    expressed = np.flatnonzero(np.asarray(counts.sum(axis=0)).ravel() > 0)  # filter_genes(min_counts=1)
    n_keep = min(n_genes, expressed.size)
    n_cells = counts.shape[0]
    if n_keep < expressed.size:
        rows = (
            np.sort(np.random.default_rng(seed).choice(n_cells, HVG_MAX_CELLS, replace=False))
            if n_cells > HVG_MAX_CELLS
            else slice(None)
        )
        ranked = _log_normalised(counts[rows][:, expressed], totals[rows], target)
        sc.pp.highly_variable_genes(ranked, n_top_genes=n_keep, flavor="seurat")
        genes = expressed[ranked.var["highly_variable"].to_numpy()]
        del ranked
    else:
        genes = expressed
    work = _log_normalised(counts[:, genes], totals, target)
    work.obs_names, work.var_names = adata.obs_names, adata.var_names[genes]
    work.var["highly_variable"] = True
    work.X = work.X.toarray()
    sc.pp.scale(work)  # z-score each gene (scanpy uses the unbiased variance; constant genes become 0)
    work.X = np.asarray(work.X, dtype=np.float32)
    work.uns["preprocess"] = {
        "params": {
            "n_genes": int(n_genes),
            "n_genes_kept": int(work.n_vars),
            "layer": layer,
            "hvg_cells": int(min(n_cells, HVG_MAX_CELLS)),
            "target_sum": float(target),
        }
    }
    return work
