"""Reference pipelines the paper compares against: scanpy's standard Leiden workflow and PCA + KMeans.

:func:`scanpy_leiden`, :func:`pca_kmeans` and :func:`kmeans_on_expression` start from the same preprocessing as
contrastive-sc (:func:`csc_core.method.preprocess.preprocess`), so differences come from the representation, not from
the gene filter. :func:`scanpy_standard` is scanpy's tutorial pipeline with its own defaults, as a user would run it.
"""

from __future__ import annotations

import time

import numpy as np
import scanpy as sc
from sklearn.decomposition import PCA

from ..method.preprocess import preprocess
from ..pipeline import cluster


def scanpy_leiden(
    adata,
    *,
    n_genes: int,
    n_pcs: int = 50,
    n_neighbors: int = 15,
    resolution: float = 1.0,
    seed: int = 0,
    timings: dict | None = None,
) -> np.ndarray:
    """scanpy's standard pipeline: normalise → log1p → HVG → scale → PCA → kNN graph → Leiden.

    The preprocessing is contrastive-sc's (:func:`csc_core.method.preprocess.preprocess`), so differences come from
    the representation.

    Parameters
    ----------
    adata
        Raw counts.
    n_genes
        Highly variable genes kept.
    n_pcs
        Principal components.
    n_neighbors
        Neighbours of the kNN graph (scanpy's default).
    resolution
        Leiden resolution (scanpy's default).
    seed
        Seeds PCA, graph and Leiden.
    timings
        If given, the seconds of each stage go into it (``preprocess``, ``pca``, ``graph``, ``cluster``).

    Returns
    -------
    Integer labels, one per cell.
    """
    timings = {} if timings is None else timings
    t0 = time.perf_counter()
    pre = preprocess(adata, n_genes=n_genes)
    t1 = time.perf_counter()
    n_comps = min(n_pcs, pre.n_obs - 1, pre.n_vars - 1)
    sc.pp.pca(pre, n_comps=n_comps, random_state=seed)
    timings.update(preprocess=t1 - t0, pca=time.perf_counter() - t1)
    return cluster.leiden(pre.obsm["X_pca"], n_neighbors=n_neighbors, resolution=resolution, seed=seed, timings=timings)


def scanpy_standard(adata, *, seed: int = 0) -> np.ndarray:
    """scanpy's standard pipeline as its tutorials run it, with scanpy's own defaults and nothing of contrastive-sc's.

    Genes without counts dropped → ``normalize_total`` → ``log1p`` → 2,000 highly variable genes →
    ``scale(max_value=10)`` → PCA with 50 components → ``neighbors`` (15) → Leiden at resolution 1.0 (igraph, 2
    iterations), seeded: what a user without contrastive-sc would get, the reference for judging the defaults on data
    they were not chosen on.

    Parameters
    ----------
    adata
        Raw counts. Not modified.
    seed
        Seeds PCA, the neighbour search and Leiden.

    Returns
    -------
    Integer labels, one per cell.
    """
    work = adata.copy()
    sc.pp.filter_genes(work, min_cells=1)
    sc.pp.normalize_total(work)
    sc.pp.log1p(work)
    sc.pp.highly_variable_genes(work, n_top_genes=min(2000, work.n_vars))
    work = work[:, work.var["highly_variable"]].copy()
    work.X = work.X.toarray() if hasattr(work.X, "toarray") else work.X  # scale densifies anyway (and warns)
    sc.pp.scale(work, max_value=10)
    sc.pp.pca(work, n_comps=min(50, work.n_obs - 1, work.n_vars - 1), random_state=seed)
    # exact neighbours: scanpy 1.11's default approximate search fails with current scipy above 4,096 cells (getnnz)
    sc.pp.neighbors(work, n_neighbors=15, transformer="sklearn", random_state=seed)
    sc.tl.leiden(work, resolution=1.0, flavor="igraph", n_iterations=2, directed=False, random_state=seed)
    return work.obs["leiden"].astype(int).to_numpy()


def pca_kmeans(adata, *, n_clusters: int, n_genes: int, n_comps: int = 50, seed: int = 0) -> np.ndarray:
    """KMeans with the true number of clusters on the first ``n_comps`` principal components.

    The paper's "PCA + KMeans" used 2 components; 50 (scanpy's default) is the fairer baseline and is used here.

    Parameters
    ----------
    adata
        Raw counts.
    n_clusters
        Number of clusters.
    n_genes
        Highly variable genes kept by the preprocessing.
    n_comps
        Principal components.
    seed
        Seeds the PCA and KMeans.

    Returns
    -------
    Integer labels, one per cell.
    """
    pre = preprocess(adata, n_genes=n_genes)
    n_comps = min(n_comps, pre.n_obs - 1, pre.n_vars)
    pcs = PCA(n_components=n_comps, random_state=seed).fit_transform(pre.X)
    return cluster.kmeans(pcs, n_clusters=n_clusters, seed=seed)


def kmeans_on_expression(adata, *, n_clusters: int, n_genes: int, seed: int = 0) -> np.ndarray:
    """The paper's "KMeans": KMeans with the true number of clusters on the preprocessed expression matrix itself.

    Parameters
    ----------
    adata
        Raw counts.
    n_clusters
        Number of clusters.
    n_genes
        Highly variable genes kept by the preprocessing.
    seed
        Seeds the preprocessing's subsample and KMeans.

    Returns
    -------
    Integer labels, one per cell.
    """
    return cluster.kmeans(preprocess(adata, n_genes=n_genes).X, n_clusters=n_clusters, seed=seed)
