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


def ari_by_setting(table: pd.DataFrame, *, x: str, hue: str = "dataset", logx: bool = False, ax=None,
                   title: str | None = None):
    """Mean ARI (± range over seeds) against one setting, a line per ``hue`` level; ``logx`` for a log axis."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    sns.lineplot(data=table, x=x, y="ari", hue=hue, marker="o", errorbar=("pi", 100), ax=ax)
    ax.set_ylabel("ARI")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    if logx:
        ax.set_xscale("log")
    if np.issubdtype(table[x].dtype, np.number):
        ax.set_xticks(sorted(table[x].unique()))
        ax.set_xticklabels([f"{v:g}" for v in sorted(table[x].unique())])
        ax.minorticks_off()
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


def speed_frontier(table: pd.DataFrame, *, target: float | None = 1.5, highlight: str = "worm_neuron_cell",
                   ax=None, title: str | None = None):
    """ARI against the csc / scanpy wall-time ratio, one line per data set through its training lengths
    (:func:`csc_core.cost.training_frontier`); the ``highlight`` data set's points are labelled with their steps and
    ``target`` is drawn as a vertical line."""
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    for dataset, g in table.groupby("dataset", sort=False):
        strong = dataset in (highlight, "mean")
        ax.plot(g["ratio"], g["ari"], "o-" if strong else ".-", lw=2.2 if strong else 0.9,
                alpha=1.0 if strong else 0.55, color="black" if dataset == "mean" else None, label=dataset, zorder=3)
        if dataset == highlight:
            for _, r in g.iterrows():
                below = r["steps"] == "default"  # the defaults sit next to the 500-step point: label them apart
                ax.annotate(r["steps"], (r["ratio"], r["ari"]), textcoords="offset points",
                            xytext=(4, -11 if below else 4), fontsize=8)
    if target is not None:
        ax.axvline(target, ls="--", color="grey")
        ax.annotate(f"target {target}×", (target, ax.get_ylim()[0]), textcoords="offset points", xytext=(4, 6),
                    color="grey", fontsize=8)
    ax.set_xlabel("contrastive-sc ÷ scanpy, end-to-end wall time")
    ax.set_ylabel("ARI (mean over seeds)")
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    if title:
        ax.set_title(title)
    return ax


def across_cpus(table: pd.DataFrame, *, ax=None, title: str | None = None):
    """Each seed's ARI on each processor (:func:`csc_core.cost.across_cpus`): per data set one column of points per
    processor, a grey line joining the runs of the same seed."""
    cpus = [c for c in table.columns if c != "spread"]
    datasets = list(dict.fromkeys(table.index.get_level_values("dataset")))
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(datasets)), 4))
    offsets = np.linspace(-0.2, 0.2, len(cpus))
    for i, dataset in enumerate(datasets):
        runs = table.loc[dataset, cpus]
        for _, seed_row in runs.iterrows():
            ax.plot(i + offsets, seed_row.to_numpy(), color="grey", lw=0.8, zorder=1)
    palette = sns.color_palette(n_colors=len(cpus))
    for j, cpu in enumerate(cpus):
        x = [datasets.index(d) + offsets[j] for d in table.index.get_level_values("dataset")]
        ax.scatter(x, table[cpu], color=palette[j], label=cpu, zorder=2, s=28)
    ax.set_xticks(range(len(datasets)), datasets, rotation=25, ha="right", fontsize=8)
    ax.set_ylabel("ARI, one point per seed")
    ax.legend(fontsize=8, frameon=False)
    if title:
        ax.set_title(title)
    return ax


def ari_by_step(trajectory: pd.DataFrame, *, title: str | None = None):
    """ARI that stopping training at each check would have given, against the optimizer step (mean over seeds, the
    seeds' range shaded), one line per data set; rows of ``python -m bench stopping-trajectory``. The last point of
    each line is the full training (``steps_total``, ``ari_final``)."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    for data, rows in trajectory.groupby("data"):
        full = rows.groupby("seed").agg(step=("steps_total", "first"), ari=("ari_final", "first")).reset_index()
        points = pd.concat([rows[["seed", "step", "ari"]], full]).drop_duplicates(["seed", "step"], keep="last")
        by_step = points.groupby("step")["ari"].agg(["mean", "min", "max"])
        (line,) = ax.plot(by_step.index, by_step["mean"], "o-", ms=3, label=data)
        ax.fill_between(by_step.index, by_step["min"], by_step["max"], color=line.get_color(), alpha=0.15, lw=0)
    ax.set_xlabel("optimizer steps")
    ax.set_ylabel("ARI if training stopped here")
    ax.legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def method_timing(rows: pd.DataFrame, *, x: str, title: str | None = None, ax=None):
    """Seconds against ``x`` (``n_cells`` or ``n_genes``) for every method, log–log (rows of
    :func:`csc_core.cost.timing_rows`; means over seeds)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    mean = rows.groupby(["method", x], as_index=False, sort=False)["seconds"].mean()
    sns.lineplot(data=mean, x=x, y="seconds", hue="method", marker="o", ax=ax)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel({"n_cells": "cells", "n_genes": "genes modelled"}.get(x, x))
    ax.set_ylabel("seconds (raw counts → labels)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    if title:
        ax.set_title(title)
    return ax


def resolution_curves(table: pd.DataFrame, picks: pd.DataFrame | None = None, *, scanpy: pd.Series | None = None,
                      lowest: float | None = None, title: str | None = None):
    """One panel per data set: mean ARI (solid) and mean cosine silhouette (dashed, right axis) against the Leiden
    resolution, from ``bench/tune_resolution``'s rows at one number of neighbours.

    ``picks`` (rows of :func:`csc_core.benchmark.resolution_rules` for rule ``"auto"``) adds a tick at each seed's
    chosen resolution; ``scanpy`` (mean ARI per data set) a grey line; ``lowest`` shades the resolutions not tried.
    """
    datasets = list(table["dataset"].unique())
    ncols = min(3, len(datasets))
    nrows = -(-len(datasets) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows), squeeze=False, sharex=True)
    for ax, dataset in zip(axes.flat, datasets):
        mean = table[table["dataset"] == dataset].groupby("resolution")[["ari", "silhouette"]].mean()
        ax.plot(mean.index, mean["ari"], "o-", color="C0", label="ARI (uses labels)")
        twin = ax.twinx()
        twin.plot(mean.index, mean["silhouette"], "s--", color="C1", label="silhouette (no labels)")
        twin.tick_params(axis="y", colors="C1")
        if scanpy is not None and dataset in scanpy.index:
            ax.axhline(scanpy[dataset], color="0.5", lw=1, label="scanpy (ARI)")
        if lowest is not None:
            ax.axvspan(mean.index.min() - 0.05, lowest - 0.05, color="0.9", zorder=0)
        if picks is not None:
            chosen = picks.loc[picks["dataset"] == dataset, "resolution"]
            ax.plot(chosen, np.full(len(chosen), 0.02), "|", color="C3", ms=14, mew=2, label="auto's picks (seeds)")
        ax.set_ylim(0, 1)
        ax.set_title(dataset, fontsize=9)
        ax.set_xlabel("Leiden resolution")
    for ax in axes.flat[len(datasets):]:
        ax.set_visible(False)
    fig.legend(*_legend_entries(fig), loc="lower center", ncol=5, frameon=False, bbox_to_anchor=(0.5, -0.02))
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def _legend_entries(fig):
    """Unique legend handles and labels over every axis of ``fig``."""
    seen = {}
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    return list(seen.values()), list(seen.keys())


def ari_by_dropout(measured: pd.DataFrame, published: pd.DataFrame | None = None, *, methods=None,
                   title: str | None = None):
    """One panel per number of clusters: ARI against the dropout level, a line per method (mean over seeds, dots:
    single seeds); the paper's published values dashed in the same colour.

    ``measured`` and ``published`` have columns ``n_groups``, ``dropout_mid``, ``method``, ``ari`` (one kind of
    simulated data set: balanced or imbalanced).
    """
    methods = list(methods or measured["method"].unique())
    ks = sorted(measured["n_groups"].unique())
    fig, axes = plt.subplots(1, len(ks), figsize=(3.4 * len(ks), 3.4), sharey=True, squeeze=False)
    colours = dict(zip(methods, sns.color_palette("tab10", len(methods))))
    for ax, k in zip(axes[0], ks):
        here = measured[measured["n_groups"] == k]
        for m in methods:
            rows = here[here["method"] == m]
            if rows.empty:
                continue
            mean = rows.groupby("dropout_mid")["ari"].mean()
            ax.plot(mean.index, mean.values, "o-", color=colours[m], label=m, ms=4)
            ax.plot(rows["dropout_mid"], rows["ari"], ".", color=colours[m], alpha=0.35)
            if published is not None:
                pub = published[(published["n_groups"] == k) & (published["method"] == m)].sort_values(
                    "dropout_mid")
                ax.plot(pub["dropout_mid"], pub["ari"], "x--", color=colours[m], alpha=0.7, lw=1)
        ax.set_title(f"{k} clusters", fontsize=10)
        ax.set_xlabel("dropout.mid (more zeros →)")
        ax.set_ylim(0, 1.02)
    axes[0][0].set_ylabel("ARI")
    if published is not None:
        axes[0][0].plot([], [], "x--", color="0.4", label="paper (published)")
    fig.legend(*_legend_entries(fig), loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def ablation(table: pd.DataFrame, *, x: str, published: pd.DataFrame | None = None, logx: bool = False,
             title: str | None = None, ax=None):
    """ARI of contrastive-sc against one setting ``x``: mean over data sets and seeds per kind of data set (band:
    spread over data sets); ``published`` (columns ``kind``, ``x``, ``ari``) adds the paper's curve dashed."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    sns.lineplot(data=table, x=x, y="ari", hue="kind", marker="o", errorbar="sd", ax=ax)
    if published is not None:
        for i, (kind, rows) in enumerate(published.groupby("kind")):
            ax.plot(rows[x], rows["ari"], "x--", color=f"C{i}", label=f"{kind} (paper)")
    if logx:
        ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("ARI")
    ax.legend(frameon=False, loc="lower right")
    if title:
        ax.set_title(title)
    return ax
