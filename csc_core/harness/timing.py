"""Computational cost: time contrastive-sc and scanpy's standard pipeline stage by stage, and summarise the results.

Used by ``bench/`` (which runs each measurement in a fresh process and stores the rows) and by the book's
"Computational cost" chapter (which reads those rows back, and can measure the reader's own machine).
"""

from __future__ import annotations

import time

import anndata as ad
import numpy as np
import pandas as pd

from ..api import contrastive_sc
from ..competitors import baselines
from ..data import metrics, simulate
from ..kernels import resolve_kernel
from ..method.device import resolve_device
from ..pipeline import graph
from ..settings import DEFAULTS
from . import methods as benchmark
from .methods import PCA_KMEANS, SCDEEPCLUSTER, SCZI

CSC, SCANPY = "contrastive-sc", "scanpy"
STAGES = ("preprocess", "train", "pca", "graph", "cluster")
#: Every method of the timing analysis, as the paper names them.
TIMED_METHODS = (CSC, SCANPY, PCA_KMEANS, SCDEEPCLUSTER, SCZI)
#: Library-size location of the timing data: about 4,000 counts per cell, as droplet data (Splat's default, 11, gives
#: about 60,000 and a matrix most of whose entries are non-zero).
TIMING_LIB_LOC = 8.5


def time_pipelines(
    adata: ad.AnnData,
    *,
    seed: int = 0,
    methods=(CSC, SCANPY),
    device: str = "auto",
    label_key: str = "cell_type",
    **csc_params,
) -> list[dict]:
    """Run each method on ``adata`` in this process and return one row each: seconds per stage, total, ARI.

    ``total`` is raw counts → labels (loading excluded). Call it once on a tiny data set first if numba's one-off
    compilation should not be timed (:func:`warm_up`).

    Parameters
    ----------
    adata
        Raw counts; ``adata.obs[label_key]``, when present, is scored against.
    seed
        Seed of every method.
    methods
        Which of :data:`CSC` and :data:`SCANPY` to run, in order.
    device
        Where contrastive-sc trains.
    label_key
        Column of ``adata.obs`` holding the known cell types; without it the rows carry no scores.
    **csc_params
        Settings passed to :func:`csc_core.contrastive_sc` (``n_genes`` is also scanpy's number of genes).

    Returns
    -------
    list of dict
        One row per method: ``method``, ``seed``, seconds per stage, ``total``, and with labels ``ari``, ``nmi``,
        ``n_clusters``; contrastive-sc's row also records the ``kernel`` its training ran on.

    Raises
    ------
    ValueError
        If ``methods`` names a method other than contrastive-sc and scanpy.
    """
    rows = []
    for method in methods:
        if method == CSC:
            run = contrastive_sc(adata, seed=seed, device=device, progress=False, copy=True, **csc_params)
            labels, timings = run.obs["csc_cluster"], dict(run.uns["csc"]["timings"])
            extra = {"kernel": run.uns["csc"]["params"]["kernel"]}  # how its training steps were computed
        elif method == SCANPY:
            timings, extra = {}, {}
            labels = baselines.scanpy_leiden(
                adata, n_genes=csc_params.get("n_genes", DEFAULTS.n_genes), seed=seed, timings=timings
            )
        else:
            raise ValueError(f"method must be one of {(CSC, SCANPY)}, got {method!r}.")
        row = {"method": method, "seed": seed, **timings, "total": sum(timings.values()), **extra}
        if label_key in adata.obs:
            row.update(metrics.scores(adata.obs[label_key], labels))
        rows.append(row)
    return rows


def timing_rows(
    n_cells: int,
    n_genes: int,
    *,
    seed: int = 0,
    methods=TIMED_METHODS,
    n_groups: int = 4,
    device: str = "auto",
    kernel: str = "auto",
) -> list[dict]:
    """Wall seconds of each method, raw counts → labels, on ``n_cells`` × ``n_genes`` Splat-simulated cells.

    The data: ``n_groups`` equal groups, the paper's dropout (experiment, midpoint 0), :data:`TIMING_LIB_LOC`;
    simulating is not timed. Every method keeps all ``n_genes`` genes (so the gene axis is the genes it models) and
    otherwise runs with its defaults; KMeans-based methods and the competitors are told ``n_groups``.

    Parameters
    ----------
    n_cells, n_genes
        Size of the simulated data set.
    seed
        Seed of the simulation and of every method.
    methods
        The methods to time, out of :data:`TIMED_METHODS`.
    n_groups
        Number of equal groups simulated.
    device
        Where the neural methods train.
    kernel
        contrastive-sc's training kernel (one of :data:`csc_core.kernels.KERNELS`).

    Returns
    -------
    list of dict
        One row per method: ``method``, ``seconds``, ``ari``, ``nmi``, ``n_clusters``; contrastive-sc's also its
        training ``kernel``.

    Raises
    ------
    ValueError
        If ``methods`` names a method not in :data:`TIMED_METHODS`.
    """
    unknown = set(methods) - set(TIMED_METHODS)
    if unknown:
        raise ValueError(f"Unknown methods {sorted(unknown)}; known: {list(TIMED_METHODS)}.")
    adata = simulate.splat(
        n_cells,
        n_genes,
        group_prob=[1.0 / n_groups] * n_groups,
        dropout_type="experiment",
        dropout_mid=0.0,
        lib_loc=TIMING_LIB_LOC,
        seed=seed,
        keep_true_counts=False,
    )
    truth = adata.obs["cell_type"].to_numpy()
    rows = []

    def timed(method, run, **extra):
        if method in methods:
            t = time.perf_counter()
            labels = run()
            rows.append(
                {"method": method, "seconds": time.perf_counter() - t, **metrics.scores(truth, labels), **extra}
            )

    timed(
        CSC,
        lambda: contrastive_sc(
            adata, n_genes=n_genes, seed=seed, device=device, progress=False, copy=True, kernel=kernel
        ).obs["csc_cluster"],
        kernel=resolve_kernel(kernel, device=resolve_device(device), mask=DEFAULTS.mask),
    )
    timed(SCANPY, lambda: baselines.scanpy_leiden(adata, n_genes=n_genes, seed=seed))
    timed(PCA_KMEANS, lambda: baselines.pca_kmeans(adata, n_clusters=n_groups, n_genes=n_genes, seed=seed))
    deep = [m for m in (SCDEEPCLUSTER, SCZI) if m in methods]
    if deep:  # one shared pretraining; each row's seconds are what the method costs alone
        for row in benchmark.competitor_rows(adata, seed, methods=deep, device=device, n_genes=n_genes):
            rows.append({k: row[k] for k in ("method", "seconds", "ari", "nmi", "n_clusters")})
    return rows


def warm_up(*, approximate_knn: bool = False, kernel: str = "auto") -> None:
    """Compile numba's kernels on tiny data sets, so that later timings exclude the one-off cost.

    Always scanpy's and the training step's of ``kernel`` (:mod:`csc_core.kernels.compiled`: loaded from numba's
    on-disk cache, or compiled on a machine's first run); with ``approximate_knn`` also pynndescent's and umap's, which
    only data sets above :data:`csc_core.pipeline.graph.EXACT_KNN_MAX_CELLS` cells use (without this, the first such
    data set timed in a process pays their compilation).

    Parameters
    ----------
    approximate_knn
        Also compile the approximate kNN search's kernels.
    kernel
        The training kernel to warm up (one of :data:`csc_core.kernels.KERNELS`).
    """
    rng = np.random.default_rng(0)
    tiny = ad.AnnData(rng.poisson(2.0, size=(60, 40)).astype(np.float32))
    time_pipelines(tiny, n_genes=40, epochs=1, n_neighbors=5, kernel=kernel)
    if approximate_knn:
        graph.knn_graph(rng.normal(size=(300, 8)).astype(np.float32), n_neighbors=5, method="approximate")


def label_kernels(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with contrastive-sc's ``method`` naming its training kernel (``"contrastive-sc (compiled)"``).

    So that the kernels' rows are told apart in a table or figure; rows without a kernel are left as they are.

    Parameters
    ----------
    rows
        Timing rows with columns ``method`` and, optionally, ``kernel``.

    Returns
    -------
    pandas.DataFrame
        A relabelled copy of ``rows`` (``rows`` itself when it has no ``kernel`` column).
    """
    if "kernel" not in rows.columns:
        return rows
    rows = rows.copy()
    named = (rows["method"] == CSC) & rows["kernel"].notna() & (rows["kernel"].astype(str) != "")
    rows.loc[named, "method"] = CSC + " (" + rows.loc[named, "kernel"].astype(str) + ")"
    return rows


def stage_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean seconds of each stage and in total, per data set and method.

    Parameters
    ----------
    rows
        Rows as :func:`time_pipelines` returns, with a ``dataset`` column added.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(dataset, method)``; a column per stage of :data:`STAGES` present, and ``total``.
    """
    cols = [c for c in (*STAGES, "total") if c in rows.columns]
    return rows.groupby(["dataset", "method"], observed=True)[cols].mean()


def speed_ratio(rows: pd.DataFrame) -> pd.Series:
    """Mean end-to-end seconds of contrastive-sc divided by scanpy's, per data set.

    Parameters
    ----------
    rows
        Rows as :func:`time_pipelines` returns, with a ``dataset`` column added; both methods' rows are needed.

    Returns
    -------
    pandas.Series
        The ratio per data set, named ``"csc / scanpy"``.
    """
    total = rows.pivot_table(index="dataset", columns="method", values="total", aggfunc="mean")
    return (total[CSC] / total[SCANPY]).rename("csc / scanpy")


def linear_fit(x, y) -> tuple[float, float, float]:
    """Least-squares line ``y ≈ slope · x + intercept`` and its R².

    Parameters
    ----------
    x, y
        The points, as array-likes of equal length.

    Returns
    -------
    slope : float
        The line's slope.
    intercept : float
        The line's value at ``x = 0``.
    r2 : float
        The line's coefficient of determination.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    r2 = 1.0 - (residual**2).sum() / ((y - y.mean()) ** 2).sum()
    return float(slope), float(intercept), float(r2)


def timing_fits(rows: pd.DataFrame, x: str) -> pd.DataFrame:
    """Per method, fits of ``seconds`` against ``x`` (``n_cells`` or ``n_genes``).

    Seconds are first averaged over seeds at each value of ``x``; methods with fewer than two values are left out.

    Parameters
    ----------
    rows
        Rows of :func:`timing_rows`, with the ``x`` column added.
    x
        The column the seconds are fitted against.

    Returns
    -------
    pandas.DataFrame
        One row per method; columns ``per_1000`` (seconds per 1,000 more of ``x``, least-squares line),
        ``intercept``, ``r2`` of that line, ``exponent`` (slope on log–log axes: 1 is linear growth) and ``points``.
    """
    out = {}
    for method, g in rows.groupby("method", sort=False):
        g = g.groupby(x, as_index=False)["seconds"].mean()
        if len(g) < 2:
            continue
        slope, intercept, r2 = linear_fit(g[x], g["seconds"])
        exponent = np.polyfit(np.log(g[x].astype(float)), np.log(g["seconds"].astype(float)), 1)[0]
        out[method] = {
            "per_1000": 1000 * slope,
            "intercept": intercept,
            "r2": r2,
            "exponent": exponent,
            "points": len(g),
        }
    return pd.DataFrame.from_dict(out, orient="index")
