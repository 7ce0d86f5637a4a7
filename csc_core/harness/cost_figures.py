"""Figures of the cost chapter (seaborn): stage times, scaling beside the paper, spread sources, processors.

Importing this module draws nothing.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .._docs import doc_params, figure_docs

#: What each stage of :data:`csc_core.harness.timing.STAGES` is called in the figures.
STAGE_NAMES = {
    "preprocess": "preprocessing",
    "train": "training",
    "pca": "PCA",
    "graph": "kNN graph",
    "cluster": "Leiden",
}


@doc_params(**figure_docs)
def stage_times(table: pd.DataFrame, *, ax=None, title: str | None = None):
    """Stacked horizontal bars: seconds of each stage, a pair of bars (one per method) under each data set's name.

    Data sets are named for readers (:func:`csc_core.harness.labels.dataset_label`) in a heading above their bars, so
    the bars keep the figure's width; each bar ends with its total seconds.

    Parameters
    ----------
    table
        :func:`csc_core.harness.timing.stage_table`'s table: indexed by ``(dataset, method)``, a column of seconds per
        stage, and ``total`` (not drawn).
    {doc_ax_sized}
    {doc_ax_title}

    {doc_ax_returns}
    """
    from .labels import dataset_label

    stages = [c for c in table.columns if c != "total"]
    datasets = list(dict.fromkeys(table.index.get_level_values(0)))
    methods = list(dict.fromkeys(table.index.get_level_values(1)))
    step = len(methods) + 1  # a heading row, then one row per method
    if ax is None:
        _, ax = plt.subplots(figsize=(7.2, 0.3 * step * len(datasets) + 1.2))
    colors = dict(zip(stages, sns.color_palette("colorblind", len(stages)), strict=False))
    ticks, labels = [], []
    for i, dataset in enumerate(datasets):
        ax.text(
            0.01, i * step, dataset_label(dataset), va="center", fontweight="bold", transform=ax.get_yaxis_transform()
        )
        for j, method in enumerate(methods, start=1):
            if (dataset, method) not in table.index:
                continue
            row, y, left = table.loc[(dataset, method)], i * step + j, 0.0
            for stage in stages:
                value = 0.0 if pd.isna(row[stage]) else float(row[stage])
                ax.barh(y, value, left=left, height=0.8, color=colors[stage])
                left += value
            ax.text(left, y, f" {left:.2f} s", va="center", fontsize=9)
            ticks.append(y)
            labels.append(method)
    ax.set_yticks(ticks, labels)
    ax.set_ylim(step * len(datasets) - 0.5, -0.6)
    ax.set_xlim(0, 1.15 * float(table[stages].fillna(0).sum(axis=1).max()))
    ax.set_xlabel("seconds, raw counts → cluster labels")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[s]) for s in stages]
    ax.legend(
        handles,
        [STAGE_NAMES.get(s, s) for s in stages],
        loc="upper center",
        bbox_to_anchor=(0.45, -0.6 / len(datasets)),
        ncol=len(stages),
        frameon=False,
        handlelength=1.0,
        columnspacing=1.0,
    )
    if title:
        ax.set_title(title)
    return ax


@doc_params(**figure_docs)
def scaling_with_paper(series: dict[str, pd.DataFrame], *, ax=None, title: str | None = None):
    """Seconds against cells on log–log axes, one line per series, the paper's drawn apart; a proportional guide.

    Parameters
    ----------
    series
        :func:`csc_core.harness.timing.scaling_series`' result: name → rows with ``n_cells`` and ``seconds``. A name
        starting with ``"paper"`` is drawn in black with triangles.
    {doc_ax}
    {doc_ax_title}

    {doc_ax_returns}
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7.2, 4.8))
    palette = iter(sns.color_palette("colorblind"))
    styles = iter(["o-", "s--", "D:"])
    for name, rows in series.items():
        rows = rows.sort_values("n_cells")
        if name.startswith("paper"):
            ax.plot(rows["n_cells"], rows["seconds"], "^-", color="black", ms=8, lw=1.5, label=name)
        else:
            ax.plot(rows["n_cells"], rows["seconds"], next(styles), color=next(palette), ms=6, lw=1.8, label=name)
    everything = pd.concat(series.values())
    lo, hi = everything["n_cells"].min(), everything["n_cells"].max()
    first = next(iter(series.values())).sort_values("n_cells").iloc[-1]  # the guide passes through its last point
    grid = np.geomspace(lo, hi, 20)
    ax.plot(
        grid, first["seconds"] * grid / first["n_cells"], color="0.6", lw=1, zorder=0, label="proportional to cells"
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("cells")
    ax.set_ylabel("seconds")
    ax.grid(True, which="major", color="0.9")
    ax.legend(frameon=False, loc="upper left")
    if title:
        ax.set_title(title)
    return ax


@doc_params(**figure_docs)
def spread_sources(table: pd.DataFrame, *, ax=None, title: str | None = None):
    """Per data set, the ARI's standard deviation from Leiden's seed and from the training seed, side by side.

    Parameters
    ----------
    table
        :func:`csc_core.harness.runs.spread_sources`' table: indexed by data set, with ``clustering sd`` and
        ``training sd``.
    {doc_ax_sized}
    {doc_ax_title}

    {doc_ax_returns}
    """
    from .labels import dataset_label

    if ax is None:
        _, ax = plt.subplots(figsize=(7.2, 0.62 * len(table) + 1.6))
    labels = {
        "clustering sd": "Leiden's seed (one embedding)",
        "training sd": "training seed (clustering noise averaged out)",
    }
    y = np.arange(len(table))
    colors = sns.color_palette("colorblind", 2)
    for j, (column, label) in enumerate(labels.items()):
        ax.barh(y + (j - 0.5) * 0.4, table[column], height=0.38, color=colors[j], label=label)
    ax.set_yticks(y, [dataset_label(d).replace(" (", "\n(", 1) for d in table.index], fontsize=10)
    ax.invert_yaxis()
    ax.set_xlabel("standard deviation of the ARI")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.4, -0.9 / len(table)), ncol=1)
    if title:
        ax.set_title(title)
    return ax


@doc_params(**figure_docs)
def across_cpus(table: pd.DataFrame, *, ax=None, title: str | None = None):
    """Each seed's ARI on each processor: per data set one row of points per processor.

    A grey line joins the runs of the same seed; data sets are named for readers
    (:func:`csc_core.harness.labels.dataset_label`) on the vertical axis, so the names read horizontally.

    Parameters
    ----------
    table
        :func:`csc_core.harness.runs.across_cpus`'s table: indexed by ``(dataset, seed)``, a column of ARIs per
        processor, and ``spread`` (not drawn).
    {doc_ax_sized}
    {doc_ax_title}

    {doc_ax_returns}
    """
    from .labels import dataset_label

    cpus = [c for c in table.columns if c != "spread"]
    datasets = list(dict.fromkeys(table.index.get_level_values("dataset")))
    if ax is None:
        _, ax = plt.subplots(figsize=(7.2, 0.75 * len(datasets) + 1.8))
    offsets = np.linspace(-0.25, 0.25, len(cpus))
    for i, dataset in enumerate(datasets):
        runs = table.loc[dataset, cpus]
        for _, seed_row in runs.iterrows():
            ax.plot(seed_row.to_numpy(), i + offsets, color="grey", lw=0.8, zorder=1)
    palette = sns.color_palette("colorblind", n_colors=len(cpus))
    for j, cpu in enumerate(cpus):
        y = [datasets.index(d) + offsets[j] for d in table.index.get_level_values("dataset")]
        ax.scatter(table[cpu], y, color=palette[j], label=cpu, zorder=2, s=30)
    ax.set_yticks(range(len(datasets)), [dataset_label(d).replace(" (", "\n(", 1) for d in datasets], fontsize=10)
    ax.invert_yaxis()
    ax.set_xlabel("ARI, one point per seed")
    ax.grid(True, axis="x", color="0.9")
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.4, -0.9 / len(datasets)), ncol=1)
    if title:
        ax.set_title(title)
    return ax
