"""Accuracy figures shared by the book's chapters: measured against published ARI, tuning, ablations, embeddings.

Data sets and methods are drawn under their readers' names (:mod:`csc_core.harness.labels`), contrastive-sc in a
colour of its own, its ensemble variants in lighter blues, the single-encoder baselines in purples, the competitors in
oranges and the reference pipelines in greens.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .._docs import doc_params, figure_docs
from .labels import dataset_label, method_colours, method_label, paper_base

#: The figure defaults every chapter sets once (:func:`set_defaults`): sized for the book's page width (about 8
#: inches at 100 dpi), text legible there.
RC_PARAMS = {
    "figure.dpi": 100,
    "figure.figsize": (7.0, 3.6),
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
}


def set_defaults() -> None:
    """Set the book's figure defaults (:data:`RC_PARAMS`; also scanpy's, when scanpy is imported).

    Called once by :func:`csc_core.harness.chapter.setup`.
    """
    import sys

    plt.rcParams.update(RC_PARAMS)
    if "scanpy" in sys.modules:
        sys.modules["scanpy"].settings.set_figure_params(dpi=RC_PARAMS["figure.dpi"], facecolor="white", frameon=True)
        plt.rcParams.update(RC_PARAMS)  # scanpy's call resets some of them


def _wrap(label: str, width: int = 16) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


@doc_params(**figure_docs)
def ari_vs_paper(
    measured: pd.DataFrame,
    paper: pd.DataFrame,
    *,
    methods=None,
    datasets=None,
    ax=None,
    title: str | None = None,
    legend: str | None = "right",
):
    """Bars: mean measured ARI per data set and method (dots: single seeds); black ✕: the paper's published value.

    A data set in ``datasets`` without measured rows but with published ones gets hatched outline bars at the
    published values (``"published only"``: not computed here).

    Parameters
    ----------
    measured
        Columns ``dataset``, ``method``, ``ari``; one row per seed.
    paper
        Columns ``dataset``, ``method``, ``ari``: the published values.
    methods, datasets
        The methods (bar colours) and data sets (groups) to draw, in order; ``None``: all of ``measured``'s, in order
        of appearance.
    {doc_ax_sized}
    {doc_ax_title}
    legend
        ``"right"`` (beside the axes), ``"below"``, or ``None`` (none; :func:`legend_entries` collects the entries
        for a figure-wide legend).

    {doc_ax_returns}
    """
    methods = list(methods or measured["method"].unique())
    datasets = list(datasets or measured["dataset"].unique())
    measured = measured[measured["method"].isin(methods) & measured["dataset"].isin(datasets)]
    if ax is None:
        _, ax = plt.subplots(figsize=(min(8.0, max(5.0, 1.1 * len(datasets) * max(1, len(methods) / 3))), 3.8))
    colours = method_colours(methods)
    published = paper.groupby(["dataset", "method"])["ari"].mean()
    width = 0.84 / len(methods)
    any_published_only = False
    for i, dataset in enumerate(datasets):
        here = measured[measured["dataset"] == dataset]
        for j, method in enumerate(methods):
            x = i + (j - (len(methods) - 1) / 2) * width
            runs = here.loc[here["method"] == method, "ari"].to_numpy(dtype=float)
            pub = published.get((dataset, method), np.nan)
            if len(runs):
                ax.bar(x, runs.mean(), width * 0.92, color=colours[method], zorder=2)
                ax.plot(np.full(len(runs), x), runs, ".", color="0.15", ms=3.5, zorder=3)
            elif here.empty and not np.isnan(pub):
                any_published_only = True
                ax.bar(x, pub, width * 0.92, facecolor="none", edgecolor=colours[method], hatch="////", zorder=2)
            if not np.isnan(pub):
                ax.plot(x, pub, "x", color="black", ms=6, mew=1.8, zorder=4)
    for method in methods:
        ax.bar(np.nan, np.nan, color=colours[method], label=method_label(method))
    ax.plot([], [], "x", color="black", mew=1.8, label="paper (published)")
    ax.plot([], [], ".", color="0.15", label="single seeds")
    if any_published_only:
        ax.bar(np.nan, np.nan, facecolor="none", edgecolor="0.3", hatch="////", label="published only (not run here)")
    ax.set_xticks(range(len(datasets)))
    # wrap the names to the width each group has (about 9 characters of 10-point text per inch)
    per_group = ax.get_figure().get_size_inches()[0] * ax.get_position().width / max(1, len(datasets))
    ax.set_xticklabels([_wrap(dataset_label(d), max(8, int(9 * per_group))) for d in datasets])
    ax.set_xlim(-0.5, len(datasets) - 0.5)
    ax.set_ylim(0, 1)
    ax.set_ylabel("ARI")
    if legend:
        handles, labels = _in_method_order(*ax.get_legend_handles_labels(), methods)
        if legend == "right":
            ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        else:
            ax.legend(
                handles,
                labels,
                loc="upper center",
                bbox_to_anchor=(0.5, -0.18),
                frameon=False,
                ncol=min(4, len(labels)),
            )
    if title:
        ax.set_title(title)
    return ax


@doc_params(**figure_docs)
def ari_by_paper_dataset(
    measured: pd.DataFrame,
    paper: pd.DataFrame,
    *,
    methods,
    datasets,
    ncols: int = 1,
    title: str | None = None,
):
    """One panel per paper data set (its cuts side by side), bars as :func:`ari_vs_paper`; one legend on top.

    Parameters
    ----------
    measured
        Columns ``dataset``, ``method``, ``ari``; one row per seed.
    paper
        Columns ``dataset``, ``method``, ``ari``: the published values, for the registry names in ``datasets``.
    methods
        The methods drawn, in order.
    datasets
        Registry names, grouped into panels by the paper data set they are a cut of
        (:func:`csc_core.harness.labels.paper_base`), in order of first appearance.
    ncols
        Panels per row.
    {doc_fig_title}

    {doc_fig_returns}
    """
    groups: dict[str, list[str]] = {}
    for d in datasets:
        groups.setdefault(paper_base(d) or dataset_label(d), []).append(d)
    nrows = -(-len(groups) // ncols)
    per_panel = max(len(v) for v in groups.values()) * len(methods)
    height = 2.2 + 0.03 * per_panel
    fig, axes = plt.subplots(nrows, ncols, figsize=(8.0, height * nrows + 1.2), squeeze=False, sharey=True)
    for ax, (base, names) in zip(axes.flat, groups.items(), strict=False):
        ari_vs_paper(measured, paper, methods=methods, datasets=names, ax=ax, legend=None)
        ax.set_title(base, loc="left", fontsize=12, fontweight="bold")
        # the panel names the data set; each bar group its cut ("2,100 cells")
        ax.set_xticklabels([dataset_label(d).removeprefix(base).strip(" ()") or dataset_label(d) for d in names])
    for ax in axes.flat[len(groups) :]:
        ax.set_visible(False)
    for ax in axes[:, 1:].flat:
        ax.set_ylabel("")
    handles, labels = _in_method_order(*legend_entries(fig), methods)
    ncol = 4 if len(labels) > 6 else 3
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=ncol, frameon=False)
    if title:
        fig.suptitle(title, y=1.0 + 0.03 * (-(-len(labels) // ncol)) + 0.04, fontsize=13)
    fig.tight_layout()
    return fig


@doc_params(**figure_docs)
def tuning_heatmap(table: pd.DataFrame, *, ax=None, title: str | None = None):
    """Mean ARI over data sets and seeds for each kNN size × Leiden resolution (rows of ``bench/tune_defaults``).

    Parameters
    ----------
    table
        Columns ``n_neighbors``, ``resolution``, ``ari``.
    {doc_ax_sized}
    {doc_ax_title}

    {doc_ax_returns}
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


@doc_params(**figure_docs)
def panel_margins(table: pd.DataFrame, *, ax=None, title: str | None = None):
    """contrastive-sc's ARI margin over scanpy against the number of cells, one point per panel data set.

    Parameters
    ----------
    table
        :func:`csc_core.harness.tables.panel_table`'s frame (``cells``, the margin column and its methods' ``±``);
        one colour per source of cells (a data set's cuts and samples share it).
    {doc_ax}
    {doc_ax_title}

    {doc_ax_returns}
    """
    margin = next(c for c in table.columns if " − " in c)
    csc, scanpy = margin.split(" − ")
    spread = np.hypot(table[f"{csc} ±"].fillna(0), table[f"{scanpy} ±"].fillna(0))
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    # one colour and marker per source of cells (its cuts and samples share them), named in the legend
    family = pd.Series([dataset_label(str(d)).split(" (")[0].split(",")[0] for d in table.index], index=table.index)
    ax.errorbar(table["cells"], table[margin], yerr=spread, fmt="none", ecolor="0.6", zorder=1)
    for i, (name, rows) in enumerate(table.groupby(family, sort=False)):
        ax.scatter(rows["cells"], rows[margin], color=f"C{i}", marker="osD^vP*X"[i % 8], label=name, zorder=2)
    ax.legend(fontsize=8, loc="best", frameon=False)
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("cells (log scale)")
    ax.set_ylabel(f"ARI, {csc} − {scanpy}")
    if title:
        ax.set_title(title)
    return ax


@doc_params(**figure_docs)
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
    {doc_ax}
    {doc_ax_title}

    {doc_ax_returns}
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


@doc_params(**figure_docs)
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
    {doc_fig_title}

    {doc_fig_returns}
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
        ax.set_title(dataset_label(dataset), fontsize=9)
        ax.set_xlabel("Leiden resolution")
    for ax in axes.flat[len(datasets) :]:
        ax.set_visible(False)
    fig.legend(*_legend_entries(fig), loc="lower center", ncol=5, frameon=False, bbox_to_anchor=(0.5, -0.02))
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def legend_entries(fig):
    """Unique legend handles and labels over every axis of ``fig``, in order of first appearance.

    Parameters
    ----------
    fig
        A matplotlib figure.

    Returns
    -------
    handles : list
        The legend handles.
    labels : list of str
        Their labels.
    """
    seen = {}
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=False):
            seen.setdefault(lab, h)
    return list(seen.values()), list(seen.keys())


_legend_entries = legend_entries


def _in_method_order(handles, labels, methods):
    """Legend entries with the methods first, in ``methods``' order, then the others as they came."""
    order = [method_label(m) for m in methods]
    ranked = sorted(zip(labels, handles, strict=True), key=lambda lh: order.index(lh[0]) if lh[0] in order else 99)
    return [h for _, h in ranked], [lab for lab, _ in ranked]


@doc_params(**figure_docs)
def ari_by_dropout(
    measured: pd.DataFrame,
    published: pd.DataFrame | None = None,
    *,
    methods=None,
    ncols: int = 2,
    title: str | None = None,
):
    """One panel per number of clusters: ARI against the dropout level, a line per method.

    Lines are means over seeds, dots single seeds; the paper's published values are dashed in the same colour. The
    panels are laid out ``ncols`` per row, the legend below them, so the figure stays legible at the page's width.

    Parameters
    ----------
    measured
        Columns ``n_groups``, ``dropout_mid``, ``method``, ``ari``, for one kind of simulated data set (balanced or
        imbalanced); one row per seed.
    published
        The paper's values, same columns; ``None``: not drawn.
    methods
        The methods to draw, in order; ``None``: all of ``measured``'s, in order of appearance.
    ncols
        Panels per row.
    {doc_fig_title}

    {doc_fig_returns}
    """
    methods = list(methods or measured["method"].unique())
    ks = sorted(measured["n_groups"].unique())
    nrows = -(-len(ks) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(8.0, 3.1 * nrows + 1.3), sharey=True, sharex=True, squeeze=False)
    colours = method_colours(methods)
    for ax, k in zip(axes.flat, ks, strict=False):
        here = measured[measured["n_groups"] == k]
        for m in methods:
            rows = here[here["method"] == m]
            if rows.empty:
                continue
            lw = 2.6 if m == methods[0] else 1.5
            mean = rows.groupby("dropout_mid")["ari"].mean()
            ax.plot(mean.index, mean.values, "o-", color=colours[m], label=method_label(m), ms=4, lw=lw)
            ax.plot(rows["dropout_mid"], rows["ari"], ".", color=colours[m], alpha=0.35, ms=4)
            if published is not None:
                pub = published[(published["n_groups"] == k) & (published["method"] == m)].sort_values("dropout_mid")
                ax.plot(pub["dropout_mid"], pub["ari"], "x--", color=colours[m], alpha=0.8, lw=1)
        ax.set_title(f"{k} groups")
        ax.set_ylim(0, 1.02)
    for ax in axes[-1]:
        ax.set_xlabel("dropout midpoint (more zeros →)")
    for ax in axes[:, 0]:
        ax.set_ylabel("ARI")
    for ax in axes.flat[len(ks) :]:
        ax.set_visible(False)
    if published is not None:
        axes[0][0].plot([], [], "x--", color="0.4", label="paper (published)")
    handles, labels = _in_method_order(*legend_entries(fig), methods)
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


@doc_params(**figure_docs)
def ablation(
    table: pd.DataFrame,
    *,
    x: str,
    published: pd.DataFrame | None = None,
    logx: bool = False,
    title: str | None = None,
    ax=None,
    legend: bool = True,
):
    """ARI of contrastive-sc against one setting ``x``: median over data sets and seeds per kind of data set.

    The band is the interquartile range over the data sets (the middle half of them), the thin lines the single
    data sets, so an effect that moves every data set the same way is visible even when the data sets differ widely.
    The setting's values are drawn evenly spaced, in increasing order (the grids are roughly geometric).

    Parameters
    ----------
    table
        Columns ``kind``, ``ari`` and ``x``, and ``n_groups``, ``dropout_mid`` (the data set); one row per data set
        and seed.
    x
        The setting's column, drawn on the horizontal axis.
    published
        The paper's curve (columns ``kind``, ``x``, ``ari``), drawn dashed; ``None``: not drawn.
    logx
        Accepted for compatibility; the values are always evenly spaced.
    {doc_ax_title}
    {doc_ax}
    legend
        Draw the legend (beside the axes).

    {doc_ax_returns}
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 3.6))
    values = sorted(table[x].unique())
    position = {v: i for i, v in enumerate(values)}
    kinds = sorted(table["kind"].unique())
    palette = dict(zip(kinds, ("#08306b", "#d94801", "#238b45"), strict=False))
    keys = [c for c in ("n_groups", "dropout_mid") if c in table.columns]
    for kind in kinds:
        rows = table[table["kind"] == kind]
        per_set = rows.groupby([*keys, x])["ari"].mean().reset_index()  # seeds averaged first
        per_set["pos"] = per_set[x].map(position)
        for _, one in per_set.groupby(keys) if keys else []:
            ax.plot(one["pos"], one["ari"], "-", color=palette[kind], alpha=0.15, lw=0.8)
        stats = per_set.groupby("pos")["ari"].quantile([0.25, 0.5, 0.75]).unstack()
        ax.fill_between(stats.index, stats[0.25], stats[0.75], color=palette[kind], alpha=0.15, lw=0)
        n = per_set.groupby(x).size().max()
        ax.plot(stats.index, stats[0.5], "o-", color=palette[kind], lw=2.4, label=f"{kind}: median of {n} data sets")
    if published is not None:
        for kind, rows in published.groupby("kind"):
            ax.plot(rows[x].map(position), rows["ari"], "x--", color=palette.get(kind, "0.4"), label=f"{kind} (paper)")
    ax.fill_between([], [], [], color="0.6", alpha=0.3, label="interquartile range (band)")
    ax.plot([], [], "-", color="0.6", lw=0.8, label="single data sets (thin lines)")
    ax.set_xticks(range(len(values)))
    ax.set_xticklabels([f"{v:g}" for v in values])
    ax.set_xlabel(x)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("ARI")
    if legend:
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title)
    return ax


@doc_params(**figure_docs)
def ablation_by_dataset(table: pd.DataFrame, *, x: str, methods, title: str | None = None):
    """One panel per method: ARI against one setting, a line per data set (band: range over seeds).

    The setting's values are drawn evenly spaced, in increasing order (the grids are roughly geometric).

    Parameters
    ----------
    table
        Columns ``dataset``, ``method``, ``ari`` and ``x``; one row per data set, seed and method.
    x
        The setting's column.
    methods
        The methods, one panel each, in order.
    {doc_fig_title}

    {doc_fig_returns}
    """
    values = sorted(table[x].unique())
    rows = table.assign(
        **{x: table[x].map({v: f"{v:g}" for v in values})},
        dataset=table["dataset"].map(dataset_label),
    )
    order = [f"{v:g}" for v in values]
    fig, axes = plt.subplots(len(methods), 1, figsize=(8.0, 3.0 * len(methods) + 0.6), sharex=True, sharey=True)
    axes = np.atleast_1d(axes)
    for ax, method in zip(axes, methods, strict=True):
        here = rows[rows["method"] == method].copy()
        here[x] = pd.Categorical(here[x], categories=order, ordered=True)
        here = here.sort_values(x)
        sns.lineplot(
            data=here, x=x, y="ari", hue="dataset", marker="o", errorbar=("pi", 100), ax=ax, legend=ax is axes[0]
        )
        ax.set_title(method_label(method), loc="left", fontweight="bold")
        ax.set_ylabel("ARI")
        ax.set_ylim(0, 1)
    axes[0].legend(title="data set", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    axes[-1].set_xlabel(x)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


@doc_params(**figure_docs)
def embedding_scatter(
    z, labels, *, ax=None, title: str | None = None, legend: bool = True, label_name: str = "cell type"
):
    """The first two principal components of an embedding (or of any cells × features matrix), coloured by label.

    Parameters
    ----------
    z
        Cells × dimensions.
    labels
        One label per cell (e.g. the true cell type); drawn in the legend.
    {doc_ax}
    {doc_ax_title}
    legend
        Draw the legend (beside the axes).
    label_name
        The legend's title.

    {doc_ax_returns}
    """
    z = np.asarray(z, dtype=float)
    pcs = np.linalg.svd(z - z.mean(0), full_matrices=False)[0][:, :2]
    if ax is None:
        _, ax = plt.subplots(figsize=(5.0, 3.8))
    labels = pd.Series(np.asarray(labels)).astype(str)
    order = sorted(labels.unique())
    sns.scatterplot(x=pcs[:, 0], y=pcs[:, 1], hue=labels, hue_order=order, s=9, linewidth=0, ax=ax, legend=legend)
    ax.set(xticks=[], yticks=[], xlabel="PC 1", ylabel="PC 2")
    if legend:
        ax.legend(title=label_name, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, markerscale=1.6)
    if title:
        ax.set_title(title)
    return ax


@doc_params(**figure_docs)
def ablation_by_method(table: pd.DataFrame, *, x: str, methods, logx: bool = False, title: str | None = None):
    """:func:`ablation` once per method, stacked in one figure with a shared horizontal axis and one legend on top.

    Parameters
    ----------
    table
        As :func:`ablation`, with a ``method`` column.
    x
        The setting's column.
    methods
        The methods, one panel each, in order.
    logx
        Accepted for compatibility (:func:`ablation` spaces the values evenly).
    {doc_fig_title}

    {doc_fig_returns}
    """
    fig, axes = plt.subplots(len(methods), 1, figsize=(8.0, 2.9 * len(methods) + 0.9), sharex=True, squeeze=False)
    for ax, method in zip(axes[:, 0], methods, strict=True):
        ablation(table[table["method"] == method], x=x, ax=ax, legend=False)
        ax.set_title(method_label(method), loc="left", fontweight="bold")
        if ax is not axes[-1, 0]:
            ax.set_xlabel("")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    if title:
        fig.suptitle(title, y=1.12)
    fig.tight_layout()
    return fig
