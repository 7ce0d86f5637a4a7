"""Choosing the Leiden resolution without labels: the coarsest partition whose cosine silhouette is nearly the best."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from tqdm import tqdm

from .graph import igraph_of, leiden_resolutions
from .medoid import leiden_medoid
from .progress import done, stage

#: Resolutions ``resolution="auto"`` tries, up to the paper's 1.0 (finer partitions had lower ARI everywhere they were
#: measured). Chosen on the generalisation panel (``bench/generalisation.py``: the paper's data sets, CellBench's
#: 156-252-cell plates, 200- and 500-cell samples, 3,005 brain and 8,617 cord-blood cells); the "Choosing the defaults"
#: chapter shows it. Five evenly spaced ones (0.2-1.0 by 0.2), which would have paid for the medoid's two further
#: starts, chose worse partitions on the brain set and spread the seeds wider (that rule's panel rows are kept).
AUTO_RESOLUTIONS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
#: A name for the rule ``"auto"`` stands for, stored with results so rows of an earlier rule are never read as its: the
#: lowest resolution of :data:`AUTO_RESOLUTIONS` whose silhouette is within :data:`SILHOUETTE_TOLERANCE` of the
#: silhouettes' range of the best, then the medoid of three Leiden starts there (one start above
#: :data:`AUTO_MAX_CELLS` cells).
AUTO_RULE = "lowest-within-0.2-silhouette-range-0.2-1.0-medoid-of-3"
#: The silhouette of each candidate partition is computed on a seeded sample of at most this many cells.
SILHOUETTE_MAX_CELLS = 3000
#: Partitions whose silhouette is within this share of the silhouettes' range (the best minus the worst of the
#: partitions tried) of the best count as equally good, and the lowest resolution among them wins. Relative, because
#: the silhouettes' scale differs between data sets: on the 2,100-4,271-cell sets they keep rising with the resolution
#: (0.25 → 0.33 on worm, past the ten cell types), on 150-cell plates they all lie within a few hundredths. The best
#: silhouette alone (0) chose the finest partition on the first; an absolute tolerance (0.02, an earlier rule) the
#: coarsest on the second. Chosen on the generalisation panel (``bench/generalisation.py``), replayed on two processor
#: types' embeddings; the "Choosing the defaults" chapter shows it.
SILHOUETTE_TOLERANCE = 0.2
#: Silhouettes of every partition within this much of each other: the criterion cannot tell them apart.
FLAT_SILHOUETTE = 0.01
#: A partition with another number of clusters this close to the chosen one's silhouette: a near tie.
NEAR_TIE = 0.005
#: Above this many cells, the resolution is chosen on the kNN graph of a seeded sample of this many cells; Leiden then
#: runs once on the whole graph (a million-cell Leiden takes minutes: seven of them would dominate the run). The same
#: size as :data:`EXACT_KNN_MAX_CELLS`, so the sample's graph is exact and only one Leiden runs on a graph that
#: needed the approximate search.
AUTO_MAX_CELLS = 20_000


def check_auto_rule(auto_rule: str) -> None:
    """Refuse rows or tasks made for another rule than the one ``"auto"`` stands for in this version.

    Parameters
    ----------
    auto_rule
        The rule's name a stored row or a task carries.

    Raises
    ------
    ValueError
        When ``auto_rule`` is not :data:`AUTO_RULE`.
    """
    if auto_rule != AUTO_RULE:
        raise ValueError(f"This version's resolution='auto' is rule {AUTO_RULE!r}, not {auto_rule!r}.")


def cosine_silhouette(
    embedding: np.ndarray, labelings, *, max_cells: int = SILHOUETTE_MAX_CELLS, seed: int = 0
) -> np.ndarray:
    """Mean cosine silhouette of each clustering in ``labelings`` on one seeded sample of cells.

    Cosine because the encoders' objective lives on the unit sphere. scikit-learn's definition (a cell alone in its
    cluster scores 0), computed without the sample's pairwise distances: the cosine distance of unit vectors is
    ``1 - u·v``, so a cell's summed distance to a cluster is the cluster's size minus the cell's dot product with the
    cluster's summed vectors — ``m × k`` dot products per clustering instead of ``m²`` distances. Sums in float64; the
    silhouettes agree with the pairwise-distance computation to rounding.

    Parameters
    ----------
    embedding
        Cells × dims.
    labelings
        Clusterings of the cells.
    max_cells
        The sample's size.
    seed
        Seeds the sample.

    Returns
    -------
    One silhouette per clustering; a clustering with fewer than two clusters in the sample scores −1.
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


def pick_resolution(resolutions, silhouettes, *, tolerance: float = SILHOUETTE_TOLERANCE, relative: bool = True) -> int:
    """Index of the lowest resolution whose silhouette is within ``tolerance`` of the best.

    Partitions with fewer than two clusters (silhouette −1, :func:`cosine_silhouette`) are chosen only when every
    partition has one cluster.

    Parameters
    ----------
    resolutions
        The resolutions tried.
    silhouettes
        Their partitions' silhouettes.
    tolerance
        How far below the best a silhouette may lie and still count as equally good: a share of the silhouettes'
        range (best minus worst of the partitions with two or more clusters) when ``relative``, else in silhouette
        units.
    relative
        Read ``tolerance`` as a share of the range (the rule of ``"auto"``) or as an absolute difference (an earlier
        rule, replayed for comparison).

    Returns
    -------
    The index into ``resolutions``.
    """
    resolutions, silhouettes = np.asarray(resolutions, dtype=float), np.asarray(silhouettes, dtype=float)
    if resolutions.size == 0 or resolutions.shape != silhouettes.shape:
        raise ValueError("Need one silhouette per resolution, and at least one resolution.")
    split = silhouettes > -1.0
    if not split.any():
        return int(np.argmin(resolutions))
    best = silhouettes[split].max()
    margin = tolerance * (best - silhouettes[split].min()) if relative else tolerance
    good = np.flatnonzero(split & (silhouettes >= best - margin))
    return int(good[np.argmin(resolutions[good])])


def resolution_doubt(table: pd.DataFrame) -> str | None:
    """Why the choice in ``table`` (:func:`select_resolution`'s) is unsure, naming what to try; ``None`` when it is not.

    Unsure when the silhouettes of all partitions with at least two clusters lie within :data:`FLAT_SILHOUETTE` (the
    criterion cannot tell them apart); when the chosen partition has two clusters (the coarsest split, the silhouette's
    known bias); or when the choice is the lowest or highest resolution tried *and* a partition with another number of
    clusters scores within :data:`NEAR_TIE` of it. An edge choice alone is not a doubt: on the generalisation panel the
    partitions just beyond the range were less accurate in 17 of the 21 runs that chose an edge.

    Parameters
    ----------
    table
        One row per resolution: ``resolution``, ``n_clusters``, ``silhouette``, ``chosen``.

    Returns
    -------
    A sentence for a warning, or ``None``.
    """
    res = table["resolution"].to_numpy(dtype=float)
    sil = table["silhouette"].to_numpy(dtype=float)
    n_clusters = table["n_clusters"].to_numpy()
    chosen = int(np.flatnonzero(table["chosen"].to_numpy())[0])
    r, k = float(res[chosen]), int(n_clusters[chosen])
    what = f"resolution='auto' chose {r:g} ({k} clusters)"
    instead = "or use clustering='kmeans' with n_clusters if the number of cell types is known"
    split = n_clusters > 1
    if split.sum() > 1 and np.ptp(sil[split]) < FLAT_SILHOUETTE:
        return (
            f"{what}, but the silhouettes of all partitions tried (resolutions {res.min():g}-{res.max():g}) lie within "
            f"{FLAT_SILHOUETTE:g} of each other: the choice is weak. Compare a few fixed resolutions "
            f"(resolution=0.3, 0.5, 1.0), {instead}."
        )
    if k <= 2:
        return f"{what}: the coarsest split, which silhouettes tend to favour. Try resolution=1.0, {instead}."
    others = sil[split & (n_clusters != k)]
    close = others.size and np.abs(sil[chosen] - others).min() < NEAR_TIE
    if close and r in (res.min(), res.max()):
        side, fewer, alt = ("lowest", "fewer", r / 2) if r == res.min() else ("highest", "more", r * 1.5)
        return (
            f"{what}, the {side} resolution it tries, and a partition with another number of clusters scores almost "
            f"as well: there may be {fewer} clusters than it can find. Try resolution={alt:g}, {instead}."
        )
    return None


def select_resolution(
    embedding: np.ndarray,
    graph: sp.spmatrix,
    *,
    resolutions=AUTO_RESOLUTIONS,
    tolerance: float = SILHOUETTE_TOLERANCE,
    seed: int = 0,
    medoid: bool = True,
    bar: tqdm | None = None,
) -> tuple[float, np.ndarray, pd.DataFrame]:
    """Leiden at each resolution; keep the lowest whose cosine silhouette is nearly the best (:func:`pick_resolution`).

    Then, with ``medoid``, the partition returned is the medoid of three Leiden starts at that resolution
    (:func:`~csc_core.pipeline.medoid.leiden_medoid`), the search's own start among them. Uses no labels.

    Parameters
    ----------
    embedding
        Cells × dims (the silhouettes are computed on it).
    graph
        Its kNN graph.
    resolutions
        The resolutions to try.
    tolerance
        As :func:`pick_resolution`.
    seed
        Seeds Leiden (the search's starts; the medoid's are ``seed + 1`` and ``seed + 2``) and the silhouettes' sample.
    medoid
        Return the medoid of three starts at the chosen resolution rather than the search's one start (``False``
        when the partition is not used: the resolution is chosen on a sample of a larger data set).
    bar
        A tqdm bar, advanced once per resolution, once for the silhouettes and, with ``medoid``, once per further
        start.

    Returns
    -------
    resolution
        The chosen resolution.
    labels
        Its partition.
    table
        One row per resolution: ``resolution``, ``n_clusters`` and ``silhouette`` of the search's partition,
        ``chosen``, and ``starts`` (the Leiden starts run there: more than one only at the chosen resolution).
    """
    g = igraph_of(graph)
    labelings = leiden_resolutions(g, resolutions, seed=seed, bar=bar)
    stage(bar, "silhouettes")
    scores = cosine_silhouette(embedding, labelings, seed=seed)
    done(bar)
    best = pick_resolution(resolutions, scores, tolerance=tolerance)
    starts = np.ones(len(resolutions), dtype=int)
    labels = labelings[best]
    if medoid:
        labels, starts[best] = leiden_medoid(g, labels, resolution=float(resolutions[best]), seed=seed, bar=bar)
    table = pd.DataFrame(
        {
            "resolution": [float(r) for r in resolutions],
            "n_clusters": [int(np.unique(lab).size) for lab in labelings],
            "silhouette": scores,
            "chosen": np.arange(len(resolutions)) == best,
            "starts": starts,
        }
    )
    return float(resolutions[best]), labels, table
