"""Clustering an embedding: Leiden on its kNN graph (no number of clusters needed) or KMeans (told k)."""

from __future__ import annotations

import time
import warnings

import numpy as np
from tqdm import tqdm

from .graph import knn_graph, leiden_on_graph
from .medoid import LEIDEN_STARTS
from .progress import done, stage
from .resolution import AUTO_MAX_CELLS, AUTO_RESOLUTIONS, resolution_doubt, select_resolution


def leiden(
    embedding: np.ndarray,
    *,
    n_neighbors: int,
    resolution: float | str,
    seed: int = 0,
    timings: dict | None = None,
    scores: list | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Leiden communities of the kNN graph of ``embedding``; no number of clusters needed.

    Builds the graph (:func:`~csc_core.pipeline.graph.knn_graph`) and runs Leiden with igraph
    (:func:`~csc_core.pipeline.graph.leiden_on_graph`). ``resolution="auto"`` chooses it without labels
    (:func:`~csc_core.pipeline.resolution.select_resolution`) and returns the medoid of three Leiden starts there
    (:func:`~csc_core.pipeline.medoid.leiden_medoid`); above :data:`~csc_core.pipeline.resolution.AUTO_MAX_CELLS`
    cells it chooses on a sample of that size and runs one start on all cells (a million-cell Leiden takes minutes).
    It warns when the choice is unsure (:func:`~csc_core.pipeline.resolution.resolution_doubt`).

    Parameters
    ----------
    embedding
        Cells × dims.
    n_neighbors
        Neighbours of the kNN graph.
    resolution
        Leiden resolution, or ``"auto"``.
    seed
        Seeds the graph (approximate neighbours) and Leiden.
    timings
        If given, the seconds of each step are stored in it under ``"graph"`` and ``"cluster"``.
    scores
        If a list, the per-resolution table of ``"auto"`` is appended to it.
    progress
        A bar over the steps, naming the one running (graph, each resolution, silhouettes).

    Returns
    -------
    Integer labels, one per cell.
    """
    if isinstance(resolution, str) and resolution != "auto":
        raise ValueError(f"resolution must be a number or 'auto', got {resolution!r}.")
    n = np.shape(embedding)[0]
    auto, sampled = resolution == "auto", resolution == "auto" and n > AUTO_MAX_CELLS
    search = len(AUTO_RESOLUTIONS) + 1  # a Leiden run per resolution and the silhouettes
    steps = 1 + ((search + (2 if sampled else LEIDEN_STARTS - 1)) if auto else 1)
    with tqdm(total=steps, desc="clustering", unit="step", disable=not progress, leave=False) as bar:
        t0 = time.perf_counter()
        stage(bar, f"{n_neighbors}-NN graph of {n:,} cells")
        graph = knn_graph(embedding, n_neighbors=n_neighbors, seed=seed)
        done(bar)
        t1 = time.perf_counter()
        if not auto:
            stage(bar, f"Leiden at resolution {resolution:g}")
            labels = leiden_on_graph(graph, resolution=resolution, seed=seed)
            done(bar)
        elif not sampled:
            _, labels, table = select_resolution(embedding, graph, seed=seed, bar=bar)
        else:
            sample = np.sort(np.random.default_rng(seed).choice(n, size=AUTO_MAX_CELLS, replace=False))
            sub = np.asarray(embedding)[sample]
            stage(bar, f"graph of a {AUTO_MAX_CELLS:,}-cell sample")
            sub_graph = knn_graph(sub, n_neighbors=n_neighbors, seed=seed)
            done(bar)
            best, _, table = select_resolution(sub, sub_graph, seed=seed, medoid=False, bar=bar)
            stage(bar, f"Leiden at resolution {best:g} on all {n:,} cells")
            labels = leiden_on_graph(graph, resolution=best, seed=seed)
            done(bar)
    if auto:
        doubt = resolution_doubt(table)
        if doubt:
            warnings.warn(doubt, UserWarning, stacklevel=2)
        if scores is not None:
            scores.append(table)
    if timings is not None:
        timings.update(graph=t1 - t0, cluster=time.perf_counter() - t1)
    return labels


def kmeans(embedding: np.ndarray, *, n_clusters: int, seed: int = 0, n_init: int = 10) -> np.ndarray:
    """KMeans labels of ``embedding`` with ``n_clusters`` clusters (scikit-learn).

    Parameters
    ----------
    embedding
        Cells × dims.
    n_clusters
        Number of clusters, 1 … cells.
    seed
        KMeans' random state.
    n_init
        KMeans restarts.

    Returns
    -------
    Integer labels, one per cell.
    """
    n = embedding.shape[0]
    if n_clusters < 1 or n_clusters > n:
        raise ValueError(f"n_clusters must be between 1 and the number of cells ({n}), got {n_clusters}.")
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed).fit_predict(np.asarray(embedding))
