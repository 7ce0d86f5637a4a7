"""Figures shared by the book's chapters (seaborn). Importing this module draws nothing."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns


def ari_vs_paper(measured: pd.DataFrame, paper: pd.DataFrame, *, methods=None, datasets=None, ax=None,
                 title: str | None = None):
    """Bars: mean measured ARI per data set and method (dots: single seeds); black ✕: the paper's published value.

    ``measured`` has columns ``dataset``, ``method``, ``ari`` (one row per seed); ``paper`` has ``dataset``,
    ``method``, ``ari``.
    """
    methods = list(methods or measured["method"].unique())
    datasets = list(datasets or measured["dataset"].unique())
    measured = measured[measured["method"].isin(methods) & measured["dataset"].isin(datasets)]
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 1.6 * len(datasets)), 4))
    sns.barplot(data=measured, x="dataset", y="ari", hue="method", order=datasets, hue_order=methods,
                errorbar=None, alpha=0.8, ax=ax)
    sns.stripplot(data=measured, x="dataset", y="ari", hue="method", order=datasets, hue_order=methods,
                  dodge=True, palette={m: "0.25" for m in methods}, size=3, legend=False, ax=ax)
    published = paper.set_index(["dataset", "method"])["ari"]
    for container, method in zip(ax.containers, methods):
        for bar, dataset in zip(container, datasets):
            if (dataset, method) in published.index:
                ax.plot(bar.get_x() + bar.get_width() / 2, published[(dataset, method)], marker="x", color="black",
                        markersize=7, mew=2, zorder=5)
    ax.plot([], [], "x", color="black", mew=2, label="paper (published)")
    ax.set_ylim(0, 1)
    ax.set_ylabel("ARI")
    ax.set_xlabel("")
    plt.setp(ax.get_xticklabels(), rotation=25, ha="right", rotation_mode="anchor")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    if title:
        ax.set_title(title)
    return ax


def tuning_heatmap(table: pd.DataFrame, *, ax=None, title: str | None = None):
    """Mean ARI over data sets and seeds for each kNN size × Leiden resolution (rows of ``bench/tune_defaults``)."""
    grid = table.pivot_table(index="n_neighbors", columns="resolution", values="ari", aggfunc="mean")
    grid.index = grid.index.astype(int)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 * grid.shape[1] + 2, 0.8 * grid.shape[0] + 1.5))
    sns.heatmap(grid, annot=True, fmt=".3f", cmap="viridis", cbar_kws={"label": "mean ARI"}, ax=ax)
    ax.grid(False)
    ax.set_xlabel("Leiden resolution")
    ax.set_ylabel("neighbours in the kNN graph")
    if title:
        ax.set_title(title)
    return ax


def ari_by_setting(table: pd.DataFrame, *, x: str, hue: str = "dataset", ax=None, title: str | None = None):
    """Mean ARI (± range over seeds) against one setting, a line per ``hue`` level."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    sns.lineplot(data=table, x=x, y="ari", hue=hue, marker="o", errorbar=("pi", 100), ax=ax)
    ax.set_ylabel("ARI")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    if np.issubdtype(table[x].dtype, np.number):
        ax.set_xticks(sorted(table[x].unique()))
    if title:
        ax.set_title(title)
    return ax


def stage_times(table: pd.DataFrame, *, ax=None, title: str | None = None):
    """Stacked horizontal bars: seconds of each stage per data set and method (``csc_core.cost.stage_table``)."""
    stages = [c for c in table.columns if c != "total"]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.45 * len(table) + 1))
    labels = [f"{d} · {m}" for d, m in table.index]
    left = np.zeros(len(table))
    colors = sns.color_palette("tab10", len(stages))
    for stage, color in zip(stages, colors):
        values = table[stage].fillna(0).to_numpy()
        ax.barh(labels, values, left=left, color=color, label=stage)
        left += values
    ax.invert_yaxis()
    ax.set_xlabel("seconds (raw counts → labels)")
    ax.legend(loc="lower right", frameon=False)
    if title:
        ax.set_title(title)
    return ax


def scaling(rows: pd.DataFrame, *, fit: tuple[float, float] | None = None, title: str | None = None):
    """Wall time (with a fitted line) and peak memory against the number of cells, on log–log axes."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.loglog(rows["n_cells"], rows["csc_total"], "o-", label="contrastive-sc, total")
    if "train" in rows:
        left.loglog(rows["n_cells"], rows["train"], "s--", label="training")
    if fit is not None:
        grid = np.geomspace(rows["n_cells"].min(), rows["n_cells"].max(), 50)
        left.loglog(grid, fit[0] * grid + fit[1], ":", color="0.3", label="linear fit")
    left.set_xlabel("cells")
    left.set_ylabel("seconds")
    left.legend(frameon=False)
    right.loglog(rows["n_cells"], rows["peak_rss_gb"], "o-")
    right.set_xlabel("cells")
    right.set_ylabel("peak resident memory (GB)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
