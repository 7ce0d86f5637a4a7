"""Reference pipelines the paper compares against: scanpy's standard Leiden workflow and PCA + KMeans.

Both start from the same preprocessing as contrastive-sc (:func:`csc_core.method.preprocess.preprocess`), so differences
come from the representation, not from the gene filter.
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
