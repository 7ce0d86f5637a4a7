"""The paper's preprocessing: counts → normalised, log-transformed, z-scored highly variable genes."""

from __future__ import annotations

import anndata as ad
import numpy as np
import scanpy as sc
import scipy.sparse as sp

from .validation import check_counts


def preprocess(adata: ad.AnnData, *, n_genes: int = 1500, layer: str | None = None) -> ad.AnnData:
    """Normalise, log-transform, select highly variable genes and z-score them.

    Steps (scanpy): drop genes with no counts → normalise each cell to the median library size → ``log1p`` →
    keep the ``n_genes`` most variable genes (``flavor="seurat"``) → scale each gene to zero mean, unit variance.

    Parameters
    ----------
    adata
        Raw counts (cells × genes) in ``X`` or in ``layers[layer]``. Not modified.
    n_genes
        Number of highly variable genes to keep; all genes are kept if the data has fewer.
    layer
        Read counts from this layer instead of ``X``.

    Returns
    -------
    A new AnnData with the same cells: ``X`` dense ``float32`` (cells × kept genes), ``var["highly_variable"]`` rows
    only, ``uns["preprocess"]["params"]``.
    """
    counts = adata.X if layer is None else adata.layers[layer]
    check_counts(counts)
    if n_genes < 1:
        raise ValueError(f"n_genes must be positive, got {n_genes}.")
    # an explicit copy: the scanpy steps below work in place, and a float32 CSR input would otherwise be shared
    x = sp.csr_matrix(counts, dtype=np.float32, copy=True)
    work = ad.AnnData(X=x, obs=adata.obs[[]].copy(), var=adata.var[[]].copy())
    sc.pp.filter_genes(work, min_counts=1)
    sc.pp.normalize_total(work)  # target_sum=None: the median library size
    sc.pp.log1p(work)
    n_keep = min(n_genes, work.n_vars)
    if n_keep < work.n_vars:
        sc.pp.highly_variable_genes(work, n_top_genes=n_keep, flavor="seurat", subset=True)
    work.X = work.X.toarray() if sp.issparse(work.X) else np.asarray(work.X)
    sc.pp.scale(work)  # z-score each gene (scanpy uses the unbiased variance; constant genes become 0)
    work.X = np.asarray(work.X, dtype=np.float32)
    work.uns.pop("log1p", None)
    work.uns["preprocess"] = {"params": {"n_genes": int(n_genes), "n_genes_kept": int(work.n_vars), "layer": layer}}
    return work
