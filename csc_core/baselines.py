"""Reference pipelines the paper compares against: scanpy's standard Leiden workflow and PCA + KMeans.

Both start from the same preprocessing as contrastive-sc (:func:`csc_core.preprocess.preprocess`), so differences
come from the representation, not from the gene filter.
"""

from __future__ import annotations

import time

import numpy as np
import scanpy as sc
from sklearn.decomposition import PCA

from . import cluster
from .preprocess import preprocess


def scanpy_leiden(adata, *, n_genes: int = 1500, n_pcs: int = 50, n_neighbors: int = 15, resolution: float = 1.0,
                  seed: int = 0, timings: dict | None = None) -> np.ndarray:
    """scanpy's standard pipeline: normalise → log1p → HVG → scale → PCA → kNN graph → Leiden. Integer labels.

    If ``timings`` is given, the seconds of each stage go into it (``preprocess``, ``pca``, ``graph``, ``cluster``).
    """
    timings = {} if timings is None else timings
    t0 = time.perf_counter()
    pre = preprocess(adata, n_genes=n_genes)
    t1 = time.perf_counter()
    n_comps = min(n_pcs, pre.n_obs - 1, pre.n_vars - 1)
    sc.pp.pca(pre, n_comps=n_comps, random_state=seed)
    timings.update(preprocess=t1 - t0, pca=time.perf_counter() - t1)
    return cluster.leiden(pre.obsm["X_pca"], n_neighbors=n_neighbors, resolution=resolution, seed=seed,
                          timings=timings)


def pca_kmeans(adata, *, n_clusters: int, n_genes: int = 1500, n_comps: int = 50, seed: int = 0) -> np.ndarray:
    """KMeans with the true number of clusters on the first ``n_comps`` principal components.

    The paper's "PCA + KMeans" used 2 components; 50 (scanpy's default) is the fairer baseline and is used here.
    """
    pre = preprocess(adata, n_genes=n_genes)
    n_comps = min(n_comps, pre.n_obs - 1, pre.n_vars)
    pcs = PCA(n_components=n_comps, random_state=seed).fit_transform(pre.X)
    return cluster.kmeans(pcs, n_clusters=n_clusters, seed=seed)


def kmeans_on_expression(adata, *, n_clusters: int, n_genes: int = 1500, seed: int = 0) -> np.ndarray:
    """The paper's "KMeans": KMeans with the true number of clusters on the preprocessed expression matrix itself."""
    return cluster.kmeans(preprocess(adata, n_genes=n_genes).X, n_clusters=n_clusters, seed=seed)
