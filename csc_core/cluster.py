"""Clustering an embedding: Leiden on a kNN graph (no number of clusters needed) or KMeans (true k)."""

from __future__ import annotations

import time

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
import scipy.sparse as sp
from sklearn.cluster import KMeans


#: Above this many cells the kNN search is approximate (pynndescent); below, exact (scikit-learn).
EXACT_KNN_MAX_CELLS = 20_000


def knn_graph(embedding: np.ndarray, *, n_neighbors: int = 15, seed: int = 0) -> sp.csr_matrix:
    """UMAP connectivities of the kNN graph of ``embedding`` (cells × dims), as scanpy's ``pp.neighbors`` makes them.

    Up to :data:`EXACT_KNN_MAX_CELLS` cells this *is* scanpy's ``pp.neighbors`` with exact neighbours
    (``transformer="sklearn"``). Above, exact search is quadratic and scanpy 1.11's approximate path fails with
    current scipy (``'csr_array' object has no attribute 'getnnz'``), so pynndescent finds the neighbours here and the
    connectivities are computed as scanpy computes them (umap's fuzzy simplicial set, each cell counted among its own
    ``n_neighbors``).
    """
    x = np.asarray(embedding, dtype=np.float32)
    n = x.shape[0]
    if n <= n_neighbors:
        raise ValueError(f"Too few cells for a {n_neighbors}-nearest-neighbour graph: got {n}.")
    if n <= EXACT_KNN_MAX_CELLS:
        holder = ad.AnnData(obsm={"X_emb": x}, obs=pd.DataFrame(index=np.arange(n).astype(str)))
        sc.pp.neighbors(holder, use_rep="X_emb", n_neighbors=n_neighbors, transformer="sklearn", random_state=seed)
        return holder.obsp["connectivities"]
    from pynndescent import NNDescent
    from umap.umap_ import fuzzy_simplicial_set

    idx, dists = NNDescent(x, n_neighbors=n_neighbors, random_state=seed, n_jobs=-1).neighbor_graph
    graph, _, _ = fuzzy_simplicial_set(sp.coo_matrix((n, 1)), n_neighbors, None, None, knn_indices=idx,
                                       knn_dists=dists, set_op_mix_ratio=1.0, local_connectivity=1.0)
    return graph.tocsr()


def leiden_on_graph(graph: sp.spmatrix, *, resolution: float = 1.0, seed: int = 0) -> np.ndarray:
    """Leiden communities of a graph built by :func:`knn_graph`; every argument explicit (igraph flavour).

    Up to :data:`EXACT_KNN_MAX_CELLS` cells this is scanpy's ``tl.leiden(flavor="igraph", n_iterations=2)``. Above,
    the same igraph call runs on a graph built from numpy arrays with each undirected edge once: scanpy builds it from a
    Python list of both directions of every edge, some 5 GB for a million cells (the partition's quality function is
    the same — modularity is unchanged when every weight is doubled).
    """
    n = graph.shape[0]
    if n <= EXACT_KNN_MAX_CELLS:
        holder = ad.AnnData(obs=pd.DataFrame(index=np.arange(n).astype(str)))
        sc.tl.leiden(holder, adjacency=graph, resolution=resolution, flavor="igraph", n_iterations=2, directed=False,
                     random_state=seed)
        return holder.obs["leiden"].astype(int).to_numpy()
    import random

    import igraph as ig

    upper = sp.triu(graph, k=1, format="coo")
    g = ig.Graph(n=n, edges=np.column_stack([upper.row, upper.col]), edge_attrs={"weight": upper.data})
    del upper
    try:
        ig.set_random_number_generator(random.Random(seed))
        part = g.community_leiden(objective_function="modularity", weights="weight", resolution=resolution,
                                  n_iterations=2)
    finally:
        ig.set_random_number_generator(random)
    return np.asarray(part.membership)


def leiden(embedding: np.ndarray, *, n_neighbors: int = 15, resolution: float = 1.0, seed: int = 0,
           timings: dict | None = None) -> np.ndarray:
    """Leiden communities of the kNN graph of ``embedding`` (cells × dims); integer labels.

    Builds the graph (:func:`knn_graph`) and runs scanpy's Leiden with igraph (:func:`leiden_on_graph`). If
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


def coassociation(labelings) -> sp.csr_matrix:
    """Share of the clusterings in ``labelings`` that put each pair of cells together (sparse, zero diagonal).

    The matrix holds one entry per pair of cells that share a cluster at least once, so its size grows with the
    square of the cluster sizes: meant for the paper's data sizes (thousands of cells), not for millions.
    """
    labelings = [np.asarray(lab) for lab in labelings]
    if not labelings:
        raise ValueError("Need at least one clustering.")
    n = labelings[0].shape[0]
    if any(lab.shape != (n,) for lab in labelings):
        raise ValueError("Every clustering must label the same cells.")
    total = sp.csr_matrix((n, n))
    for lab in labelings:
        _, codes = np.unique(lab, return_inverse=True)
        member = sp.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, codes.max() + 1))
        total = total + member @ member.T
    total = (total / len(labelings)).tocsr()
    total.setdiag(0)
    total.eliminate_zeros()
    return total


def coassociation_leiden(labelings, *, resolution: float = 1.0, seed: int = 0) -> np.ndarray:
    """The paper's variant S3: Leiden communities of the co-association graph of several clusterings."""
    return leiden_on_graph(coassociation(labelings), resolution=resolution, seed=seed)
