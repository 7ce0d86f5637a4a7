"""Clustering an embedding: Leiden on a kNN graph (no number of clusters needed) or KMeans (true k)."""

from __future__ import annotations

import anndata as ad
import numpy as np
import scanpy as sc
from sklearn.cluster import KMeans


def leiden(embedding: np.ndarray, *, n_neighbors: int = 15, resolution: float = 1.0, seed: int = 0) -> np.ndarray:
    """Leiden communities of the kNN graph of ``embedding`` (cells × dims); integer labels.

    scanpy builds the graph (exact neighbours, UMAP connectivities) and runs Leiden with igraph, every argument
    explicit: ``flavor="igraph"``, ``n_iterations=2``, ``directed=False``.
    """
    n = embedding.shape[0]
    if n <= n_neighbors:
        raise ValueError(f"Too few cells for a {n_neighbors}-nearest-neighbour graph: got {n}.")
    work = ad.AnnData(obsm={"X_emb": np.asarray(embedding, dtype=np.float32)}, obs={"i": np.arange(n)})
    sc.pp.neighbors(work, use_rep="X_emb", n_neighbors=n_neighbors, transformer="sklearn", random_state=seed)
    sc.tl.leiden(work, resolution=resolution, flavor="igraph", n_iterations=2, directed=False, random_state=seed)
    return work.obs["leiden"].astype(int).to_numpy()


def kmeans(embedding: np.ndarray, *, n_clusters: int, seed: int = 0, n_init: int = 10) -> np.ndarray:
    """KMeans labels of ``embedding`` with ``n_clusters`` clusters."""
    n = embedding.shape[0]
    if n_clusters < 1 or n_clusters > n:
        raise ValueError(f"n_clusters must be between 1 and the number of cells ({n}), got {n_clusters}.")
    return KMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed).fit_predict(np.asarray(embedding))
