"""Accuracy figures shared by the book's chapters (seaborn): measured against published ARI, tuning, ablations."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns


def ari_vs_paper(
    measured: pd.DataFrame, paper: pd.DataFrame, *, methods=None, datasets=None, ax=None, title: str | None = None
):
    """Bars: mean measured ARI per data set and method (dots: single seeds); black ✕: the paper's published value.

    Parameters
    ----------
    measured
        Columns ``dataset``, ``method``, ``ari``; one row per seed.
    paper
        Columns ``dataset``, ``method``, ``ari``: the published values.
    methods, datasets
        The methods (bar colours) and data sets (groups) to draw, in order; ``None``: all of ``measured``'s, in order
        of appearance.
    ax
        The axes to draw on; ``None``: a new figure sized to the data.
    title
        The axes' title; ``None``: none.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (``ax``, or a new figure's).
    """
    methods = list(methods or measured["method"].unique())
    datasets = list(datasets or measured["dataset"].unique())
    measured = measured[measured["method"].isin(methods) & measured["dataset"].isin(datasets)]
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6, 1.6 * len(datasets)), 4))
    sns.barplot(
        data=measured,
        x="dataset",
        y="ari",
        hue="method",
        order=datasets,
        hue_order=methods,
        errorbar=None,
        alpha=0.8,
        ax=ax,
    )
    sns.stripplot(
        data=measured,
        x="dataset",
        y="ari",
        hue="method",
        order=datasets,
        hue_order=methods,
        dodge=True,
        palette={m: "0.25" for m in methods},
        size=3,
        legend=False,
        ax=ax,
    )
    published = paper.set_index(["dataset", "method"])["ari"]
    for container, method in zip(ax.containers, methods, strict=False):
        for bar, dataset in zip(container, datasets, strict=False):
            if (dataset, method) in published.index:
                ax.plot(
                    bar.get_x() + bar.get_width() / 2,
                    published[(dataset, method)],
                    marker="x",
                    color="black",
                    markersize=7,
                    mew=2,
                    zorder=5,
                )
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
    """Mean ARI over data sets and seeds for each kNN size × Leiden resolution (rows of ``bench/tune_defaults``).

    Parameters
    ----------
    table
        Columns ``n_neighbors``, ``resolution``, ``ari``.
    ax
        The axes to draw on; ``None``: a new figure sized to the data.
    title
        The axes' title; ``None``: none.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (``ax``, or a new figure's).
    """
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


def panel_margins(table: pd.DataFrame, *, ax=None, title: str | None = None):
    """contrastive-sc's ARI margin over scanpy against the number of cells, one point per panel data set.

    Parameters
    ----------
    table
        :func:`csc_core.harness.tables.panel_table`'s frame (``cells``, the margin column and its methods' ``±``).
    ax
        The axes to draw on; ``None``: a new figure.
    title
        The axes' title; ``None``: none.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    margin = next(c for c in table.columns if " − " in c)
    csc, scanpy = margin.split(" − ")
    spread = np.hypot(table[f"{csc} ±"].fillna(0), table[f"{scanpy} ±"].fillna(0))
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    colours = np.where(table[margin] >= 0, "tab:blue", "tab:red")
    ax.errorbar(table["cells"], table[margin], yerr=spread, fmt="none", ecolor="0.6", zorder=1)
    ax.scatter(table["cells"], table[margin], c=colours, zorder=2)
    for name, row in table.iterrows():
        ax.annotate(str(name), (row["cells"], row[margin]), xytext=(4, 3), textcoords="offset points", fontsize=7)
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("cells (log scale)")
    ax.set_ylabel(f"ARI, {csc} − {scanpy}")
    if title:
        ax.set_title(title)
    return ax


def ari_by_setting(
    table: pd.DataFrame, *, x: str, hue: str = "dataset", logx: bool = False, ax=None, title: str | None = None
):
    """Mean ARI (± range over seeds) against one setting, a line per ``hue`` level; ``logx`` for a log axis.

    Parameters
    ----------
    table
        Columns ``ari``, ``x`` and ``hue``; one row per run.
    x
        The setting's column, drawn on the horizontal axis (numeric settings get a tick at each value).
    hue
        The column whose levels get a line each.
    logx
        Draw the horizontal axis on a log scale.
    ax
        The axes to draw on; ``None``: a new figure sized to the data.
    title
        The axes' title; ``None``: none.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (``ax``, or a new figure's).
    """
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


def resolution_curves(
    table: pd.DataFrame,
    picks: pd.DataFrame | None = None,
    *,
    scanpy: pd.Series | None = None,
    lowest: float | None = None,
    title: str | None = None,
):
    """One panel per data set: mean ARI and mean cosine silhouette against the Leiden resolution.

    The ARI is drawn solid, the silhouette dashed on the right axis.

    Parameters
    ----------
    table
        ``bench/tune_resolution``'s rows at one number of neighbours: columns ``dataset``, ``resolution``, ``ari``,
        ``silhouette``.
    picks
        Rows of :func:`csc_core.harness.tables.resolution_rules` for rule ``"auto"``: adds a tick at each seed's
        chosen resolution; ``None``: no ticks.
    scanpy
        Mean ARI of scanpy per data set, drawn as a grey line; ``None``: no line.
    lowest
        The lowest resolution tried; the resolutions below it are shaded. ``None``: no shading.
    title
        The figure's title; ``None``: none.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure.
    """
    datasets = list(table["dataset"].unique())
    ncols = min(3, len(datasets))
    nrows = -(-len(datasets) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows), squeeze=False, sharex=True)
    for ax, dataset in zip(axes.flat, datasets, strict=False):
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
    for ax in axes.flat[len(datasets) :]:
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
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=False):
            seen.setdefault(lab, h)
    return list(seen.values()), list(seen.keys())


def ari_by_dropout(
    measured: pd.DataFrame, published: pd.DataFrame | None = None, *, methods=None, title: str | None = None
):
    """One panel per number of clusters: ARI against the dropout level, a line per method.

    Lines are means over seeds, dots single seeds; the paper's published values are dashed in the same colour.

    Parameters
    ----------
    measured
        Columns ``n_groups``, ``dropout_mid``, ``method``, ``ari``, for one kind of simulated data set (balanced or
        imbalanced); one row per seed.
    published
        The paper's values, same columns; ``None``: not drawn.
    methods
        The methods to draw, in order; ``None``: all of ``measured``'s, in order of appearance.
    title
        The figure's title; ``None``: none.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure.
    """
    methods = list(methods or measured["method"].unique())
    ks = sorted(measured["n_groups"].unique())
    fig, axes = plt.subplots(1, len(ks), figsize=(3.4 * len(ks), 3.4), sharey=True, squeeze=False)
    colours = dict(zip(methods, sns.color_palette("tab10", len(methods)), strict=False))
    for ax, k in zip(axes[0], ks, strict=False):
        here = measured[measured["n_groups"] == k]
        for m in methods:
            rows = here[here["method"] == m]
            if rows.empty:
                continue
            mean = rows.groupby("dropout_mid")["ari"].mean()
            ax.plot(mean.index, mean.values, "o-", color=colours[m], label=m, ms=4)
            ax.plot(rows["dropout_mid"], rows["ari"], ".", color=colours[m], alpha=0.35)
            if published is not None:
                pub = published[(published["n_groups"] == k) & (published["method"] == m)].sort_values("dropout_mid")
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


def ablation(
    table: pd.DataFrame,
    *,
    x: str,
    published: pd.DataFrame | None = None,
    logx: bool = False,
    title: str | None = None,
    ax=None,
):
    """ARI of contrastive-sc against one setting ``x``: mean over data sets and seeds per kind of data set.

    The band shows the spread (standard deviation) over data sets.

    Parameters
    ----------
    table
        Columns ``kind``, ``ari`` and ``x``; one row per data set and seed.
    x
        The setting's column, drawn on the horizontal axis.
    published
        The paper's curve (columns ``kind``, ``x``, ``ari``), drawn dashed; ``None``: not drawn.
    logx
        Draw the horizontal axis on a log scale.
    title
        The axes' title; ``None``: none.
    ax
        The axes to draw on; ``None``: a new figure sized to the data.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on (``ax``, or a new figure's).
    """
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
