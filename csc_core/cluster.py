"""Clustering an embedding: Leiden on a kNN graph (no number of clusters needed) or KMeans (true k)."""

from __future__ import annotations

import gc
import time
from functools import cache

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
import scipy.sparse as sp
from sklearn.cluster import KMeans
from tqdm import tqdm

#: Above this many cells the kNN search is approximate (pynndescent); below, exact (scikit-learn).
EXACT_KNN_MAX_CELLS = 20_000


def knn_graph(embedding: np.ndarray, *, n_neighbors: int = 15, seed: int = 0, method: str = "auto") -> sp.csr_matrix:
    """UMAP connectivities of the kNN graph of ``embedding`` (cells × dims), as scanpy's ``pp.neighbors`` makes them.

    Up to :data:`EXACT_KNN_MAX_CELLS` cells this *is* scanpy's ``pp.neighbors`` with exact neighbours
    (``transformer="sklearn"``). Above, exact search is quadratic and scanpy 1.11's approximate path fails with
    current scipy (``'csr_array' object has no attribute 'getnnz'``), so pynndescent finds the neighbours here and the
    connectivities are computed as scanpy computes them (umap's fuzzy simplicial set, each cell counted among its own
    ``n_neighbors``). ``method`` forces one path (``"exact"`` or ``"approximate"``) instead of choosing by size
    (``"auto"``); the approximate path's first call in a process compiles pynndescent's numba kernels (about 30 s here).
    """
    if method not in ("auto", "exact", "approximate"):
        raise ValueError(f"method must be 'auto', 'exact' or 'approximate', got {method!r}.")
    cache_umap_kernels()
    x = np.asarray(embedding, dtype=np.float32)
    n = x.shape[0]
    if n <= n_neighbors:
        raise ValueError(f"Too few cells for a {n_neighbors}-nearest-neighbour graph: got {n}.")
    if method == "exact" or (method == "auto" and n <= EXACT_KNN_MAX_CELLS):
        holder = ad.AnnData(obsm={"X_emb": x}, obs=pd.DataFrame(index=np.arange(n).astype(str)))
        sc.pp.neighbors(holder, use_rep="X_emb", n_neighbors=n_neighbors, transformer="sklearn", random_state=seed)
        return holder.obsp["connectivities"]
    from pynndescent import NNDescent
    from umap.umap_ import fuzzy_simplicial_set

    idx, dists = NNDescent(x, n_neighbors=n_neighbors, random_state=seed, n_jobs=-1).neighbor_graph
    graph, _, _ = fuzzy_simplicial_set(sp.coo_matrix((n, 1)), n_neighbors, None, None, knn_indices=idx,
                                       knn_dists=dists, set_op_mix_ratio=1.0, local_connectivity=1.0)
    return graph.tocsr()


@cache
def cache_umap_kernels() -> bool:
    """Have numba keep umap's two connectivity kernels on disk; ``True`` if it can.

    Both paths of :func:`knn_graph` compute the connectivities with umap's ``smooth_knn_dist`` and
    ``compute_membership_strengths``, which umap compiles without numba's on-disk cache (unlike pynndescent and
    scanpy, which cache theirs): 3.1 s in every new process, more than the rest of a 4,000-cell run on the second call
    (1.5 s). Cached, a new process loads them in about 0.03 s; the compiled code is the same. Where numba finds no
    writable cache location it cannot cache, and they are compiled in each process as before. Done once per process.
    """
    from umap import umap_

    try:
        for kernel in (umap_.smooth_knn_dist, umap_.compute_membership_strengths):
            kernel.enable_caching()  # what numba's own cache=True does after compiling the decorator
    except (AttributeError, RuntimeError):  # another umap or numba; or no writable cache location
        return False
    return True


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
    return _leiden_igraph(_igraph(graph), resolution=resolution, seed=seed)


def _igraph(graph: sp.spmatrix):
    """An undirected weighted igraph graph with each edge of the symmetric ``graph`` once, built from numpy arrays.

    The garbage collector is paused meanwhile: igraph makes a Python object per edge on the way, which triggers full
    collections over everything scanpy and torch have loaded — 0.2 of the 0.23 s it took for 4,000 cells.
    """
    import igraph as ig

    upper = sp.triu(graph, k=1, format="coo")
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ig.Graph(n=graph.shape[0], edges=np.column_stack([upper.row, upper.col]),
                        edge_attrs={"weight": upper.data})
    finally:
        if enabled:
            gc.enable()


def _leiden_igraph(g, *, resolution: float, seed: int) -> np.ndarray:
    """igraph's modularity Leiden (2 iterations, as scanpy runs it), seeded through igraph's random generator."""
    import random

    import igraph as ig

    try:
        ig.set_random_number_generator(random.Random(seed))
        part = g.community_leiden(objective_function="modularity", weights="weight", resolution=resolution,
                                  n_iterations=2)
    finally:
        ig.set_random_number_generator(random)
    return np.asarray(part.membership)


#: Resolutions ``resolution="auto"`` tries: from the lowest that never under-clustered a shared real data set (0.3)
#: up to the paper's 1.0. Chosen with the rule in ``bench/tune_resolution.py`` (the "Choosing the defaults" chapter).
AUTO_RESOLUTIONS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
#: The silhouette of each candidate partition is computed on a seeded sample of at most this many cells.
SILHOUETTE_MAX_CELLS = 3000
#: Partitions whose silhouette is within this much of the best count as equally good; the lowest resolution among them
#: wins (parsimony, as in the one-standard-error rule): silhouettes of fine partitions differ by less than this.
SILHOUETTE_TOLERANCE = 0.02
#: Above this many cells, the resolution is chosen on the kNN graph of a seeded sample of this many cells; Leiden then
#: runs once on the whole graph (a million-cell Leiden takes minutes: seven of them would dominate the run). The same
#: size as :data:`EXACT_KNN_MAX_CELLS`, so the sample's graph is exact and only one Leiden runs on a graph that
#: needed the approximate search.
AUTO_MAX_CELLS = 20_000


def cosine_silhouette(embedding: np.ndarray, labelings, *, max_cells: int = SILHOUETTE_MAX_CELLS,
                      seed: int = 0) -> np.ndarray:
    """Mean cosine silhouette of each clustering in ``labelings`` on one seeded sample of cells.

    Cosine because the encoders' objective lives on the unit sphere. scikit-learn's definition (a cell alone in its
    cluster scores 0), computed without the sample's pairwise distances: the cosine distance of unit vectors is
    ``1 - u·v``, so a cell's summed distance to a cluster is the cluster's size minus the cell's dot product with the
    cluster's summed vectors — ``m × k`` dot products per clustering instead of ``m²`` distances (worm, 7 clusterings
    of a 3,000-cell sample: 9 ms instead of 40). Sums in float64; the silhouettes agree with the pairwise-distance
    computation to ~1e-7, far below the 0.02 tolerance of the resolution rule. A clustering with fewer than two
    clusters in the sample scores −1.
    """
    x = np.asarray(embedding)
    n = x.shape[0]
    idx = np.sort(np.random.default_rng(seed).choice(n, size=min(n, max_cells), replace=False))
    xs = x[idx].astype(np.float64)
    xs /= np.maximum(np.linalg.norm(xs, axis=1, keepdims=True), 1e-12)  # a zero vector stays zero: distance 1
    return np.array([_silhouette(xs, np.asarray(labels)[idx]) for labels in labelings])


def _silhouette(units: np.ndarray, labels: np.ndarray) -> float:
    """Mean cosine silhouette of ``labels`` on the rows of ``units`` (unit or zero vectors), from cluster sums."""
    _, codes = np.unique(labels, return_inverse=True)
    k, m = codes.max() + 1, codes.size
    if not 1 < k < m:
        return -1.0
    sizes = np.bincount(codes, minlength=k).astype(np.float64)
    onehot = sp.csr_matrix((np.ones(m), (codes, np.arange(m))), shape=(k, m))
    sums = sizes - units @ np.asarray(onehot @ units).T  # cells × clusters: summed distance to every cell of each
    rows = np.arange(m)
    sums[rows, codes] -= 1.0 - np.einsum("ij,ij->i", units, units)  # a cell's distance to itself is not counted
    own = sizes[codes]
    a = sums[rows, codes] / np.maximum(own - 1, 1)
    mean_other = sums / sizes
    mean_other[rows, codes] = np.inf
    b = mean_other.min(axis=1)
    sil = np.where(own > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    return float(sil.mean())


def leiden_resolutions(graph: sp.spmatrix, resolutions, *, seed: int = 0, bar: tqdm | None = None) -> list[np.ndarray]:
    """Leiden partitions of ``graph`` at each of ``resolutions`` (igraph flavour, graph converted once).

    ``bar``, a tqdm bar, advances by one per resolution and names the one running.
    """
    g = _igraph(graph)  # scanpy's tl.leiden would rebuild it from a Python list for every resolution
    labelings = []
    for r in resolutions:
        _stage(bar, f"Leiden at resolution {r:g}")
        labelings.append(_leiden_igraph(g, resolution=r, seed=seed))
        _done(bar)
    return labelings


def _stage(bar: tqdm | None, what: str) -> None:
    """Name the step about to run on the progress bar (a million-cell graph or Leiden takes minutes)."""
    if bar is not None:
        bar.set_postfix_str(what)


def _done(bar: tqdm | None) -> None:
    if bar is not None:
        bar.update(1)


def pick_resolution(resolutions, silhouettes, *, tolerance: float = SILHOUETTE_TOLERANCE) -> int:
    """Index of the lowest resolution whose silhouette is within ``tolerance`` of the best."""
    resolutions, silhouettes = np.asarray(resolutions, dtype=float), np.asarray(silhouettes, dtype=float)
    if resolutions.size == 0 or resolutions.shape != silhouettes.shape:
        raise ValueError("Need one silhouette per resolution, and at least one resolution.")
    good = np.flatnonzero(silhouettes >= silhouettes.max() - tolerance)
    return int(good[np.argmin(resolutions[good])])


def select_resolution(embedding: np.ndarray, graph: sp.spmatrix, *, resolutions=AUTO_RESOLUTIONS,
                      tolerance: float = SILHOUETTE_TOLERANCE, seed: int = 0,
                      bar: tqdm | None = None) -> tuple[float, np.ndarray, pd.DataFrame]:
    """Leiden at each resolution; keep the lowest resolution whose partition's cosine silhouette of ``embedding`` is
    within ``tolerance`` of the best (:func:`pick_resolution`). Uses no labels.

    Returns the chosen resolution, its labels and one row per resolution (``resolution``, ``n_clusters``,
    ``silhouette``, ``chosen``). ``bar`` (tqdm) advances once per resolution and once for the silhouettes.
    """
    labelings = leiden_resolutions(graph, resolutions, seed=seed, bar=bar)
    _stage(bar, "silhouettes")
    scores = cosine_silhouette(embedding, labelings, seed=seed)
    _done(bar)
    best = pick_resolution(resolutions, scores, tolerance=tolerance)
    table = pd.DataFrame({"resolution": [float(r) for r in resolutions],
                          "n_clusters": [int(np.unique(lab).size) for lab in labelings], "silhouette": scores,
                          "chosen": np.arange(len(resolutions)) == best})
    return float(resolutions[best]), labelings[best], table


def leiden(embedding: np.ndarray, *, n_neighbors: int = 15, resolution: float | str = 1.0, seed: int = 0,
           timings: dict | None = None, scores: list | None = None, progress: bool = False) -> np.ndarray:
    """Leiden communities of the kNN graph of ``embedding`` (cells × dims); integer labels.

    Builds the graph (:func:`knn_graph`) and runs scanpy's Leiden with igraph (:func:`leiden_on_graph`).
    ``resolution="auto"`` chooses it without labels (:func:`select_resolution`, on a sample of
    :data:`AUTO_MAX_CELLS` cells above that size). If ``timings`` is given, the seconds of each step are stored in it
    under ``"graph"`` and ``"cluster"``; if ``scores`` is a list, the per-resolution table of ``"auto"`` is appended.
    ``progress`` shows a bar over the steps, naming the one running (graph, each resolution, silhouettes).
    """
    if isinstance(resolution, str) and resolution != "auto":
        raise ValueError(f"resolution must be a number or 'auto', got {resolution!r}.")
    n = np.shape(embedding)[0]
    auto, sampled = resolution == "auto", resolution == "auto" and n > AUTO_MAX_CELLS
    steps = 1 + ((len(AUTO_RESOLUTIONS) + 1 + 2 * sampled) if auto else 1)
    with tqdm(total=steps, desc="clustering", unit="step", disable=not progress, leave=False) as bar:
        t0 = time.perf_counter()
        _stage(bar, f"{n_neighbors}-NN graph of {n:,} cells")
        graph = knn_graph(embedding, n_neighbors=n_neighbors, seed=seed)
        _done(bar)
        t1 = time.perf_counter()
        if not auto:
            _stage(bar, f"Leiden at resolution {resolution:g}")
            labels = leiden_on_graph(graph, resolution=resolution, seed=seed)
            _done(bar)
        elif not sampled:
            _, labels, table = select_resolution(embedding, graph, seed=seed, bar=bar)
        else:
            sample = np.sort(np.random.default_rng(seed).choice(n, size=AUTO_MAX_CELLS, replace=False))
            sub = np.asarray(embedding)[sample]
            _stage(bar, f"graph of a {AUTO_MAX_CELLS:,}-cell sample")
            sub_graph = knn_graph(sub, n_neighbors=n_neighbors, seed=seed)
            _done(bar)
            best, _, table = select_resolution(sub, sub_graph, seed=seed, bar=bar)
            _stage(bar, f"Leiden at resolution {best:g} on all {n:,} cells")
            labels = leiden_on_graph(graph, resolution=best, seed=seed)
            _done(bar)
    if auto and scores is not None:
        scores.append(table)
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
