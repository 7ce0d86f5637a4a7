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


def paired_ratios(rows: pd.DataFrame) -> pd.DataFrame:
    """contrastive-sc's end-to-end seconds over scanpy's for each run, data set and seed measured with both.

    Parameters
    ----------
    rows
        Rows of ``python -m bench speed``: ``run``, ``dataset``, ``seed``, ``method``, ``total``.

    Returns
    -------
    pandas.DataFrame
        One row per run, data set and seed: ``run``, ``dataset``, ``seed``, both methods' seconds (columns
        :data:`CSC` and :data:`SCANPY`) and ``ratio``.
    """
    table = rows.pivot_table(index=["run", "dataset", "seed"], columns="method", values="total", aggfunc="mean")
    table = table[[CSC, SCANPY]].dropna().reset_index()
    table.columns.name = None
    return table.assign(ratio=table[CSC] / table[SCANPY])


def ratio_table(paired: pd.DataFrame) -> pd.DataFrame:
    """Per data set, for readers: mean seconds of both pipelines and the median ratio with its range.

    Parameters
    ----------
    paired
        :func:`paired_ratios`' rows.

    Returns
    -------
    pandas.DataFrame
        Indexed by the data sets' human names (:func:`csc_core.harness.labels.dataset_label`; the header's corner
        reads "data set"), largest ratio first: ``contrastive-sc (s)`` and ``scanpy (s)`` (two decimals) and
        ``contrastive-sc ÷ scanpy``, the median and the range of the measurements as text, e.g. ``"1.72× (1.66–1.94)"``.
    """
    from .labels import dataset_label

    g = paired.groupby("dataset")
    ratio = g["ratio"]
    table = pd.DataFrame(
        {f"{CSC} (s)": g[CSC].mean().round(2), f"{SCANPY} (s)": g[SCANPY].mean().round(2), "median": ratio.median()}
    ).sort_values("median", ascending=False)
    low, high = ratio.min().reindex(table.index), ratio.max().reindex(table.index)
    table[f"{CSC} ÷ {SCANPY}"] = [
        f"{m:.2f}× ({lo:.2f}–{hi:.2f})" for m, lo, hi in zip(table["median"], low, high, strict=True)
    ]
    table = table.drop(columns="median")
    table.index = table.index.map(dataset_label)
    return table.rename_axis(index=None, columns="data set")


def loglog_slope(x, y) -> float:
    """Slope of ``log y`` against ``log x`` (least squares): 1 when ``y`` grows in proportion to ``x``.

    Parameters
    ----------
    x, y
        Positive values, as array-likes of equal length (at least two).

    Returns
    -------
    float
        The slope.
    """
    return float(np.polyfit(np.log(np.asarray(x, dtype=float)), np.log(np.asarray(y, dtype=float)), 1)[0])


def scaling_slopes(series: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """How each series of seconds grows with the number of cells: log–log slopes over all sizes and the last tenfold.

    Parameters
    ----------
    series
        Name → rows with ``n_cells`` and ``seconds`` (one row per size).

    Returns
    -------
    pandas.DataFrame
        Indexed by name: ``cells`` (the range, as text), ``slope`` (all sizes), ``slope, last tenfold`` (sizes of at
        least a tenth of the largest; NaN with fewer than two) and ``ms per cell`` (at the largest size), rounded to
        two decimals (ms per cell: three).
    """
    out = {}
    for name, rows in series.items():
        rows = rows.sort_values("n_cells")
        top = rows[rows["n_cells"] >= rows["n_cells"].max() / 10]
        largest = rows.iloc[-1]
        out[name] = {
            "cells": f"{int(rows['n_cells'].min()):,}–{int(largest['n_cells']):,}",
            "slope": loglog_slope(rows["n_cells"], rows["seconds"]),
            "slope, last tenfold": loglog_slope(top["n_cells"], top["seconds"]) if len(top) >= 2 else np.nan,
            "ms per cell": 1e3 * largest["seconds"] / largest["n_cells"],
        }
    table = pd.DataFrame.from_dict(out, orient="index")
    return table.round({"slope": 2, "slope, last tenfold": 2, "ms per cell": 3})


#: The series :func:`scaling_series` gives, in order: contrastive-sc's total, training, graph + Leiden; the paper's.
SCALING_SERIES = (
    "contrastive-sc: whole pipeline",
    "contrastive-sc: training",
    "contrastive-sc: kNN graph + Leiden",
    "paper: training (GPU)",
)


def scaling_series(scale: pd.DataFrame, paper: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Seconds against cells, per series: one scale run's whole pipeline, training and graph + Leiden; the paper's.

    Parameters
    ----------
    scale
        One run of ``python -m bench scale``: ``n_cells``, ``csc_total``, ``train``, ``graph``, ``cluster``.
    paper
        :func:`csc_core.data.reference.paper_timing`'s ``"training"`` rows (``n_cells``, ``seconds_low``); ``None``:
        left out.

    Returns
    -------
    dict of str to pandas.DataFrame
        Name (of :data:`SCALING_SERIES`) → rows with ``n_cells`` and ``seconds``, smallest first.
    """
    scale = scale.sort_values("n_cells")
    values = (scale["csc_total"], scale["train"], scale["graph"] + scale["cluster"])
    out = {
        name: pd.DataFrame({"n_cells": scale["n_cells"].to_numpy(), "seconds": v.to_numpy()})
        for name, v in zip(SCALING_SERIES, values, strict=False)
    }
    if paper is not None and not paper.empty:
        paper = paper.sort_values("n_cells")
        out[SCALING_SERIES[3]] = pd.DataFrame(
            {"n_cells": paper["n_cells"].to_numpy(), "seconds": paper["seconds_low"].to_numpy()}
        )
    return out


def speed_summary(paired: pd.DataFrame) -> dict:
    """The numbers the cost chapter quotes about the csc / scanpy ratio, as plain Python values.

    Parameters
    ----------
    paired
        :func:`paired_ratios`' rows.

    Returns
    -------
    dict
        ``ratio_median``, ``ratio_low``, ``ratio_high`` (over every measurement), ``n_ratios``, ``n_speed_sets``,
        ``n_speed_seeds``, ``n_speed_runs`` (integers) and ``csc_max_s`` (contrastive-sc's longest run, seconds).
    """
    ratio = paired["ratio"]
    return {
        "ratio_median": float(ratio.median()),
        "ratio_low": float(ratio.min()),
        "ratio_high": float(ratio.max()),
        "n_ratios": len(paired),
        "n_speed_sets": int(paired["dataset"].nunique()),
        "n_speed_seeds": int(paired["seed"].nunique()),
        "n_speed_runs": int(paired["run"].nunique()),
        "csc_max_s": float(paired[CSC].max()),
    }


def stage_summary(stages: pd.DataFrame) -> dict:
    """Where the time goes, in the numbers the cost chapter quotes: shares of the stages and Leiden's cost.

    Parameters
    ----------
    stages
        :func:`stage_table`'s table, with both methods' rows.

    Returns
    -------
    dict
        ``train_share`` (training's percent of contrastive-sc's total, mean over data sets), ``pca_share`` (PCA's
        percent of scanpy's) and ``leiden_x`` (contrastive-sc's clustering seconds over scanpy's, median over data
        sets).
    """
    csc, scanpy = stages.xs(CSC, level="method"), stages.xs(SCANPY, level="method")
    return {
        "train_share": float(100 * (csc["train"] / csc["total"]).mean()),
        "pca_share": float(100 * (scanpy["pca"] / scanpy["total"]).mean()),
        "leiden_x": float((csc["cluster"] / scanpy["cluster"]).median()),
    }


def scaling_summary(scale: pd.DataFrame, paper: pd.DataFrame) -> dict:
    """The numbers the cost chapter quotes about one scale run beside the paper's training times.

    Parameters
    ----------
    scale
        One run of ``python -m bench scale`` (as :func:`scaling_series`), with ``peak_rss_gb``, ``ari`` and ``cpu``.
    paper
        :func:`csc_core.data.reference.paper_timing`'s ``"training"`` rows.

    Returns
    -------
    dict
        Log–log slopes (``slope_total``, ``slope_total_top`` over the last tenfold, ``slope_train``,
        ``slope_graph_top``, ``slope_paper``), milliseconds per cell at the largest size (``ms_cell_train``,
        ``ms_cell_paper``), the cell ranges as text (``scale_cells``, ``paper_cells``), the paper's ``paper_genes`` and
        ``paper_epochs``, and the largest size's ``cells_1m``, ``total_1m``, ``train_1m``, ``graph_share_1m`` (percent
        of the total in the kNN graph and Leiden), ``peak_1m`` (GB), ``ari_1m`` and ``scale_cpu``.
    """
    slopes = scaling_slopes(scaling_series(scale, paper))
    ours, train, graph, published = SCALING_SERIES
    top = scale.sort_values("n_cells").iloc[-1]
    return {
        "slope_total": float(slopes.loc[ours, "slope"]),
        "slope_total_top": float(slopes.loc[ours, "slope, last tenfold"]),
        "slope_train": float(slopes.loc[train, "slope"]),
        "slope_graph_top": float(slopes.loc[graph, "slope, last tenfold"]),
        "slope_paper": float(slopes.loc[published, "slope"]),
        "ms_cell_train": float(slopes.loc[train, "ms per cell"]),
        "ms_cell_paper": float(slopes.loc[published, "ms per cell"]),
        "scale_cells": slopes.loc[ours, "cells"],
        "paper_cells": slopes.loc[published, "cells"],
        "paper_genes": int(paper["n_genes"].iloc[0]),
        "paper_epochs": int(paper["epochs"].iloc[0]),
        "cells_1m": int(top["n_cells"]),
        "total_1m": float(top["csc_total"]),
        "train_1m": float(top["train"]),
        "graph_share_1m": float(100 * (top["graph"] + top["cluster"]) / top["csc_total"]),
        "peak_1m": float(top["peak_rss_gb"]),
        "ari_1m": float(top["ari"]),
        "scale_cpu": str(top["cpu"]),
    }
