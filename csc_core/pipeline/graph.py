"""Graphs of cells and their communities: the kNN graph of an embedding (scanpy's UMAP connectivities) and Leiden.

Large data: above :data:`EXACT_KNN_MAX_CELLS` cells the neighbours are found approximately and the igraph graph is
built from numpy arrays (scanpy's own path fails or uses several GB there).
"""

from __future__ import annotations

import gc
from functools import cache

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from .._docs import doc_leiden_run, doc_params
from .progress import done, stage

#: Above this many cells the kNN search is approximate (pynndescent); below, exact (scikit-learn).
EXACT_KNN_MAX_CELLS = 20_000


def knn_graph(embedding: np.ndarray, *, n_neighbors: int, seed: int = 0, method: str = "auto") -> sp.csr_matrix:
    """UMAP connectivities of the kNN graph of ``embedding``, as scanpy's ``pp.neighbors`` makes them.

    Up to :data:`EXACT_KNN_MAX_CELLS` cells this *is* scanpy's ``pp.neighbors`` with exact neighbours
    (``transformer="sklearn"``). Above, exact search is quadratic and scanpy 1.11's approximate path fails with
    current scipy (``'csr_array' object has no attribute 'getnnz'``), so pynndescent finds the neighbours here and
    the connectivities are computed as scanpy computes them (umap's fuzzy simplicial set, each cell counted among its
    own ``n_neighbors``). The approximate path's first call in a process compiles pynndescent's numba kernels.

    Parameters
    ----------
    embedding
        Cells × dims.
    n_neighbors
        Neighbours per cell (fewer than the cells).
    seed
        Seeds the approximate search.
    method
        ``"exact"`` or ``"approximate"`` forces one path; ``"auto"`` chooses by size.

    Returns
    -------
    The symmetric connectivities, cells × cells, CSR.
    """
    if method not in ("auto", "exact", "approximate"):
        raise ValueError(f"method must be 'auto', 'exact' or 'approximate', got {method!r}.")
    cache_umap_kernels()
    x = np.asarray(embedding, dtype=np.float32)
    n = x.shape[0]
    if n <= n_neighbors:
        raise ValueError(f"Too few cells for a {n_neighbors}-nearest-neighbour graph: got {n}.")
    if method == "exact" or (method == "auto" and n <= EXACT_KNN_MAX_CELLS):
        import anndata as ad  # scanpy and anndata: imported where they run (seconds of import time)
        import pandas as pd
        import scanpy as sc

        holder = ad.AnnData(obsm={"X_emb": x}, obs=pd.DataFrame(index=np.arange(n).astype(str)))
        sc.pp.neighbors(holder, use_rep="X_emb", n_neighbors=n_neighbors, transformer="sklearn", random_state=seed)
        return holder.obsp["connectivities"]
    from pynndescent import NNDescent
    from umap.umap_ import fuzzy_simplicial_set

    idx, dists = NNDescent(x, n_neighbors=n_neighbors, random_state=seed, n_jobs=-1).neighbor_graph
    graph, _, _ = fuzzy_simplicial_set(
        sp.coo_matrix((n, 1)),
        n_neighbors,
        None,
        None,
        knn_indices=idx,
        knn_dists=dists,
        set_op_mix_ratio=1.0,
        local_connectivity=1.0,
    )
    return graph.tocsr()


@cache
def cache_umap_kernels() -> bool:
    """Have numba keep umap's two connectivity kernels on disk; ``True`` if it can.

    Both paths of :func:`knn_graph` compute the connectivities with umap's ``smooth_knn_dist`` and
    ``compute_membership_strengths``, which umap compiles without numba's on-disk cache (unlike pynndescent and
    scanpy, which cache theirs): seconds in every new process, more than the rest of a few-thousand-cell run. Cached, a
    new process loads them in a fraction of that; the compiled code is the same. Where numba finds no
    writable cache location it cannot cache, and they are compiled in each process as before. Done once per process.

    Returns
    -------
    Whether caching is enabled.
    """
    from umap import umap_

    try:
        for kernel in (umap_.smooth_knn_dist, umap_.compute_membership_strengths):
            kernel.enable_caching()  # what numba's own cache=True does after compiling the decorator
    except (AttributeError, RuntimeError):  # another umap or numba; or no writable cache location
        return False
    return True


@doc_params(doc_leiden_run=doc_leiden_run)
def leiden_on_graph(graph: sp.spmatrix, *, resolution: float, seed: int = 0) -> np.ndarray:
    """Leiden communities of a graph built by :func:`knn_graph`; every argument explicit (igraph flavour).

    Up to :data:`EXACT_KNN_MAX_CELLS` cells this is scanpy's ``tl.leiden(flavor="igraph", n_iterations=2)``.
    Above, the same igraph call runs on a graph built from numpy arrays with each undirected edge once: scanpy builds
    it from a Python list of both directions of every edge, several GB for a million cells (the partition's quality
    function is the same — modularity is unchanged when every weight is doubled).

    Parameters
    ----------
    graph
        Symmetric weighted adjacency, cells × cells.
    {doc_leiden_run}
    """
    n = graph.shape[0]
    if n <= EXACT_KNN_MAX_CELLS:
        import anndata as ad
        import pandas as pd
        import scanpy as sc

        holder = ad.AnnData(obs=pd.DataFrame(index=np.arange(n).astype(str)))
        sc.tl.leiden(
            holder,
            adjacency=graph,
            resolution=resolution,
            flavor="igraph",
            n_iterations=2,
            directed=False,
            random_state=seed,
        )
        return holder.obs["leiden"].astype(int).to_numpy()
    return leiden_on_igraph(igraph_of(graph), resolution=resolution, seed=seed)


def igraph_of(graph: sp.spmatrix):
    """An undirected weighted igraph graph with each edge of the symmetric ``graph`` once, built from numpy arrays.

    Convert once and pass the result to :func:`leiden_on_igraph` or :func:`leiden_resolutions` for several Leiden
    runs on one graph. The garbage collector is paused meanwhile: igraph makes a Python object per edge on the way,
    which triggers full collections over everything scanpy and torch have loaded — most of the time it took.

    Parameters
    ----------
    graph
        Symmetric weighted adjacency, cells × cells.

    Returns
    -------
    An ``igraph.Graph`` with the weights in its ``"weight"`` edge attribute.
    """
    import igraph as ig

    upper = sp.triu(graph, k=1, format="coo")
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ig.Graph(
            n=graph.shape[0], edges=np.column_stack([upper.row, upper.col]), edge_attrs={"weight": upper.data}
        )
    finally:
        if enabled:
            gc.enable()


@doc_params(doc_leiden_run=doc_leiden_run)
def leiden_on_igraph(g, *, resolution: float, seed: int) -> np.ndarray:
    """igraph's modularity Leiden (2 iterations, as scanpy runs it), seeded through igraph's random generator.

    Parameters
    ----------
    g
        A graph made by :func:`igraph_of`.
    {doc_leiden_run}
    """
    import random

    import igraph as ig

    try:
        ig.set_random_number_generator(random.Random(seed))
        part = g.community_leiden(
            objective_function="modularity", weights="weight", resolution=resolution, n_iterations=2
        )
    finally:
        ig.set_random_number_generator(random)
    return np.asarray(part.membership)


def leiden_resolutions(graph, resolutions, *, seed: int = 0, bar: tqdm | None = None) -> list[np.ndarray]:
    """Leiden partitions of ``graph`` at each of ``resolutions`` (igraph flavour, graph converted once).

    Parameters
    ----------
    graph
        Symmetric weighted adjacency, cells × cells, or the igraph graph :func:`igraph_of` made of it.
    resolutions
        The resolutions to run.
    seed
        Seeds Leiden (the same seed at every resolution).
    bar
        A tqdm bar, advanced by one per resolution, naming the one running.

    Returns
    -------
    One label array per resolution.
    """
    # scanpy's tl.leiden would rebuild the igraph graph from a Python list for every resolution
    g = igraph_of(graph) if sp.issparse(graph) else graph
    labelings = []
    for r in resolutions:
        stage(bar, f"Leiden at resolution {r:g}")
        labelings.append(leiden_on_igraph(g, resolution=r, seed=seed))
        done(bar)
    return labelings
