"""Clustering an embedding: Leiden on a kNN graph (no number of clusters needed) or KMeans (true k)."""

from __future__ import annotations

import time

import anndata as ad
import numpy as np
import scanpy as sc
from sklearn.cluster import KMeans


def knn_graph(embedding: np.ndarray, *, n_neighbors: int = 15, seed: int = 0) -> ad.AnnData:
    """An AnnData holding the kNN graph of ``embedding`` (cells × dims) in ``obsp`` (scanpy's ``neighbors``).

    Exact neighbours (``transformer="sklearn"``) and UMAP connectivities.
    """
    n = embedding.shape[0]
    if n <= n_neighbors:
        raise ValueError(f"Too few cells for a {n_neighbors}-nearest-neighbour graph: got {n}.")
    graph = ad.AnnData(obsm={"X_emb": np.asarray(embedding, dtype=np.float32)}, obs={"i": np.arange(n)})
    sc.pp.neighbors(graph, use_rep="X_emb", n_neighbors=n_neighbors, transformer="sklearn", random_state=seed)
    return graph


def leiden_on_graph(graph: ad.AnnData, *, resolution: float = 1.0, seed: int = 0) -> np.ndarray:
    """Leiden communities of a graph built by :func:`knn_graph`; every argument explicit (igraph flavour)."""
    sc.tl.leiden(graph, resolution=resolution, flavor="igraph", n_iterations=2, directed=False, random_state=seed)
    return graph.obs["leiden"].astype(int).to_numpy()


def leiden(embedding: np.ndarray, *, n_neighbors: int = 15, resolution: float = 1.0, seed: int = 0,
           timings: dict | None = None) -> np.ndarray:
    """Leiden communities of the kNN graph of ``embedding`` (cells × dims); integer labels.

    scanpy builds the graph (:func:`knn_graph`) and runs Leiden with igraph (:func:`leiden_on_graph`). If
    ``timings`` is given, the seconds of each step are stored in it under ``"graph"`` and ``"cluster"``.
    """
    t0 = time.perf_counter()
    graph = knn_graph(embedding, n_neighbors=n_neighbors, seed=seed)
    t1 = time.perf_counter()
    labels = leiden_on_graph(graph, resolution=resolution, seed=seed)
    if timings is not None:
        timings.update(graph=t1 - t0, cluster=time.perf_counter() - t1)
    return labels


def kmeans(embedding: np.ndarray, *, n_clusters: int, seed: int = 0, n_init: int = 10) -> np.ndarray:
    """KMeans labels of ``embedding`` with ``n_clusters`` clusters."""
    n = embedding.shape[0]
    if n_clusters < 1 or n_clusters > n:
        raise ValueError(f"n_clusters must be between 1 and the number of cells ({n}), got {n_clusters}.")
    return KMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed).fit_predict(np.asarray(embedding))
