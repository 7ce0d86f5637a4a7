"""Comparing benchmark runs (``bench/results``).

Across processors, across revisions, and where the spread comes from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .timing import CSC, linear_fit


def complete_runs(
    rows: pd.DataFrame, *, cpu: str | None = None, over: str = "dataset", kernel: str | None = None
) -> list[str]:
    """The benchmark runs (``run`` column) that cover every value of ``over`` any run covered, oldest first.

    Parameters
    ----------
    rows
        Stored benchmark rows, with a ``run`` column and the ``over`` column (and ``cpu``, ``method``, ``kernel`` when
        filtering on them).
    cpu
        Only the runs made on this processor (``cpu`` column); ``None``: any.
    over
        The column a complete run covers fully: ``"dataset"``, or ``"n_cells"`` for the scale benchmark.
    kernel
        Only the runs whose contrastive-sc rows trained with this kernel (``kernel`` column); ``None``: any.

    Returns
    -------
    list of str
        The complete runs' names, sorted (run names sort oldest first).
    """
    coverage = rows.groupby("run")[over].nunique()
    runs = set(coverage.index[coverage == coverage.max()])
    if cpu is not None:
        runs &= set(rows.loc[rows["cpu"] == cpu, "run"])
    if kernel is not None:
        csc = rows[rows["method"] == CSC] if "method" in rows.columns else rows
        runs &= set(csc.loc[csc["kernel"] == kernel, "run"]) if "kernel" in csc.columns else set()
    return sorted(runs)


def latest_run_per_cpu(rows: pd.DataFrame, *, over: str = "dataset", kernel: str | None = None) -> dict[str, str]:
    """The latest complete benchmark run (:func:`complete_runs`) made on each processor.

    Parameters
    ----------
    rows
        Stored benchmark rows, with ``run`` and ``cpu`` columns.
    over
        As :func:`complete_runs`.
    kernel
        Only runs of this training kernel; ``None``: any.

    Returns
    -------
    dict of str to str
        ``{cpu: run}``, sorted by processor; processors without a complete run are left out.
    """
    latest = {}
    for cpu in rows["cpu"].dropna().unique():
        runs = complete_runs(rows, cpu=cpu, over=over, kernel=kernel)
        if runs:
            latest[cpu] = runs[-1]
    return dict(sorted(latest.items()))


def scaling_per_cpu(rows: pd.DataFrame, *, kernel: str | None = None) -> pd.DataFrame:
    """The latest complete scale run (``python -m bench scale``) on each processor, summarised.

    Parameters
    ----------
    rows
        Rows of ``python -m bench scale``: ``run``, ``cpu``, ``n_cells``, ``csc_total``, ``train``, ``peak_rss_gb``,
        ``ari``.
    kernel
        Only runs of this training kernel; ``None``: any.

    Returns
    -------
    pandas.DataFrame
        One column per processor; rows: the run, its largest size's cells, seconds, training seconds, peak memory and
        ARI, and the least-squares line of seconds against cells over all its sizes (:func:`linear_fit`) as
        milliseconds per cell and its R².
    """
    out = {}
    for cpu, run in latest_run_per_cpu(rows, over="n_cells", kernel=kernel).items():
        picked = rows[rows["run"] == run].sort_values("n_cells")
        slope, _, r2 = linear_fit(picked["n_cells"], picked["csc_total"])
        top = picked.iloc[-1]
        out[cpu] = {
            "run": run,
            "largest (cells)": int(top["n_cells"]),
            "seconds": top["csc_total"],
            "train (s)": top["train"],
            "peak RSS (GB)": top["peak_rss_gb"],
            "ARI": top["ari"],
            "ms per cell": slope * 1e3,
            "R²": r2,
        }
    return pd.DataFrame(out)


def across_cpus(rows: pd.DataFrame, *, method: str = CSC, kernel: str | None = None) -> pd.DataFrame:
    """ARI of ``method`` per data set and seed in the latest complete run on each processor, side by side.

    Parameters
    ----------
    rows
        Stored benchmark rows: ``run``, ``cpu``, ``method``, ``dataset``, ``seed``, ``ari`` (and ``kernel``).
    method
        The method compared.
    kernel
        Use on each processor the latest run whose contrastive-sc trained with this kernel — compare one kernel across
        processors; ``None``: the latest run of any kernel.

    Returns
    -------
    pandas.DataFrame
        One row per data set and seed (run on every processor), one column per processor, and ``spread``: the largest
        minus the smallest ARI of that seed across processors (0 where the runs agree exactly).

    Raises
    ------
    ValueError
        If fewer than two processors have a complete run.
    """
    latest = latest_run_per_cpu(rows, kernel=kernel)
    if len(latest) < 2:
        raise ValueError(f"Need complete runs on at least two processors, found {list(latest) or 'none'}.")
    picked = rows[rows["run"].isin(latest.values()) & (rows["method"] == method)]
    table = picked.pivot_table(index=["dataset", "seed"], columns="cpu", values="ari").dropna()
    table.columns.name = None
    return table.assign(spread=table.max(axis=1) - table.min(axis=1))


def revision_comparison(rows: pd.DataFrame, *, before: str, exclude=()) -> pd.DataFrame:
    """Mean ARI of revision ``before`` against the latest other revision measured, per data set and processor.

    A seed measured again on the same processor and revision counts once, with its latest run.

    Parameters
    ----------
    rows
        Rows as ``python -m bench seed-spread`` stores them (``run``, ``cpu``, ``revision``, ``dataset``, ``seed``,
        ``ari``).
    before
        The revision compared.
    exclude
        Revisions that are never the one compared with (other past revisions measured again later, say).

    Returns
    -------
    pandas.DataFrame
        Indexed by data set and processor: both means, the change, its standard error (from the two samples' standard
        deviations), the number of seeds of each and the revision compared with.
    """
    rows = rows.sort_values("run", kind="stable").drop_duplicates(["dataset", "cpu", "revision", "seed"], keep="last")
    out = []
    for (dataset, cpu), group in rows.groupby(["dataset", "cpu"], sort=False):
        old = group[group["revision"] == before]
        others = group[(group["revision"] != before) & ~group["revision"].isin(list(exclude))]
        if old.empty or others.empty:
            continue
        after = others.loc[others["run"] == others["run"].max(), "revision"].iloc[0]
        new = others[others["revision"] == after]
        se = np.sqrt(old["ari"].var() / len(old) + new["ari"].var() / len(new))
        out.append(
            {
                "dataset": dataset,
                "cpu": cpu,
                "before": old["ari"].mean(),
                "after": new["ari"].mean(),
                "change": new["ari"].mean() - old["ari"].mean(),
                "standard error": se,
                "seeds": f"{len(old)} / {len(new)}",
                "revision after": after,
            }
        )
    columns = ["dataset", "cpu", "before", "after", "change", "standard error", "seeds", "revision after"]
    return pd.DataFrame(out, columns=columns).set_index(["dataset", "cpu"])


def spread_sources(rows: pd.DataFrame) -> pd.DataFrame:
    """How much of the seed-to-seed spread of the ARI comes from training and how much from clustering, per data set.

    Parameters
    ----------
    rows
        Rows as ``python -m bench clustering-spread`` stores them: one per training ``seed`` and ``cluster_seed``,
        with ``dataset`` and ``ari``.

    Returns
    -------
    pandas.DataFrame
        Indexed by data set. Columns: ``pipeline sd`` (standard deviation over training seeds of the runs that cluster
        with their own seed, as :func:`csc_core.contrastive_sc` does), ``clustering sd`` (over clustering seeds on one
        embedding, averaged over the embeddings), ``training sd`` (over training seeds of each embedding's mean ARI,
        the clustering's noise averaged out), ``clustering range`` (largest minus smallest ARI on one embedding,
        averaged), ``mean ARI`` and the numbers of seeds.
    """
    out = []
    for dataset, group in rows.groupby("dataset", sort=False):
        per_embedding = group.groupby("seed")["ari"]
        own = group[group["cluster_seed"] == group["seed"]]
        out.append(
            {
                "dataset": dataset,
                "pipeline sd": own["ari"].std(),
                "clustering sd": per_embedding.std().mean(),
                "training sd": per_embedding.mean().std(),
                "clustering range": (per_embedding.max() - per_embedding.min()).mean(),
                "mean ARI": group["ari"].mean(),
                "training seeds": group["seed"].nunique(),
                "clustering seeds": group["cluster_seed"].nunique(),
            }
        )
    return pd.DataFrame(out).set_index("dataset")


def reclustered_comparison(rows: pd.DataFrame, *, before: str, seeds=None, exclude=()) -> pd.DataFrame:
    """:func:`revision_comparison` with the clustering held fixed: one comparison per ``clustering``.

    Parameters
    ----------
    rows
        Rows as ``python -m bench seed-spread --recluster`` stores them (those of :func:`revision_comparison` plus
        ``clustering``: the resolution this checkout's Leiden ran at on each revision's embedding).
    before
        The revision compared.
    seeds
        Only these seeds (e.g. the three of a speed target); ``None``: all.
    exclude
        As :func:`revision_comparison`.

    Returns
    -------
    pandas.DataFrame
        :func:`revision_comparison`'s table per clustering, indexed by clustering, data set and processor (empty when
        ``rows`` is).
    """
    if seeds is not None:
        rows = rows[rows["seed"].isin(list(seeds))]
    parts = {
        clustering: revision_comparison(group, before=before, exclude=exclude)
        for clustering, group in rows.groupby(rows["clustering"].astype(str), sort=False)
    }
    return pd.concat(parts, names=["clustering"]) if parts else pd.DataFrame()


def speed_runs(rows: pd.DataFrame, *, kernel: str | None = None, n: int = 2, cores: int = 2) -> pd.DataFrame:
    """The ``n`` latest complete speed runs on one processor, leaving out runs measured on a busy machine.

    A run counts as busy when any of its rows recorded a 1-minute load above ``cores`` +
    :data:`csc_core.harness.machine.IDLE_MARGIN` (:func:`csc_core.harness.machine.idle_rows`); runs stored before the
    load was recorded are kept, marked as not checked. The processor is that of the latest run left.

    Parameters
    ----------
    rows
        Rows of ``python -m bench speed``: ``run``, ``cpu``, ``dataset``, ``method`` (and ``kernel``, ``load_1min``).
    kernel
        Only runs whose contrastive-sc trained with this kernel; ``None``: any.
    n
        How many runs to give (fewer when fewer are stored).
    cores
        The cores of the machines that made them.

    Returns
    -------
    pandas.DataFrame
        Indexed by run, oldest first: ``cpu``, ``rows``, ``max_load`` (the highest recorded 1-minute load; NaN when
        none was recorded) and ``idle`` (``True``, or ``None`` when not checked). Empty when no run qualifies.
    """
    from .machine import idle_rows

    out = []
    for run in complete_runs(rows, kernel=kernel):
        part = rows[rows["run"] == run]
        loads = part["load_1min"].dropna() if "load_1min" in part.columns else pd.Series(dtype=float)
        idle = None if loads.empty else len(idle_rows(part.loc[loads.index], cores=cores)) == len(loads)
        if idle is not False:
            out.append(
                {"run": run, "cpu": part["cpu"].iloc[0], "rows": len(part), "max_load": loads.max(), "idle": idle}
            )
    table = pd.DataFrame(out, columns=["run", "cpu", "rows", "max_load", "idle"]).set_index("run")
    if table.empty:
        return table
    return table[table["cpu"] == table["cpu"].iloc[-1]].tail(n)


def spread_summary(sources: pd.DataFrame) -> dict:
    """The numbers the cost chapter quotes about where the ARI's spread comes from.

    Parameters
    ----------
    sources
        :func:`spread_sources`' table.

    Returns
    -------
    dict
        ``n_clustering_bigger`` (data sets where Leiden's seed moves the ARI more than the training seed),
        ``n_spread_sets``, ``clustering_range_max`` and ``clustering_range_set`` (the largest mean range over
        clustering seeds, and its data set's name for readers), ``training_sd_max``, ``n_training_seeds`` and
        ``n_cluster_seeds``.
    """
    from .tables import dataset_label

    return {
        "n_clustering_bigger": int((sources["clustering sd"] > sources["training sd"]).sum()),
        "n_spread_sets": len(sources),
        "clustering_range_max": float(sources["clustering range"].max()),
        "clustering_range_set": dataset_label(str(sources["clustering range"].idxmax())),
        "training_sd_max": float(sources["training sd"].max()),
        "n_training_seeds": int(sources["training seeds"].max()),
        "n_cluster_seeds": int(sources["clustering seeds"].max()),
    }


def processor_summary(csc: pd.DataFrame, scanpy: pd.DataFrame) -> dict:
    """The numbers the cost chapter quotes about the same runs on several processors.

    Parameters
    ----------
    csc, scanpy
        :func:`across_cpus`' tables for contrastive-sc and for scanpy.

    Returns
    -------
    dict
        ``n_cpus``, ``cpu_seed_change`` (the largest change of one seed's ARI), ``cpu_mean_low`` and ``cpu_mean_high``
        (the lowest and highest processor's mean over the data sets of contrastive-sc's mean ARI),
        ``scanpy_seed_change``, ``scanpy_changed`` (scanpy's runs whose ARI differs between processors) and
        ``n_cpu_runs``.
    """
    means = csc.drop(columns="spread").groupby("dataset").mean().mean()
    return {
        "n_cpus": len(means),
        "cpu_seed_change": float(csc["spread"].max()),
        "cpu_mean_low": float(means.min()),
        "cpu_mean_high": float(means.max()),
        "scanpy_seed_change": float(scanpy["spread"].max()),
        "scanpy_changed": int((scanpy["spread"] > 0).sum()),
        "n_cpu_runs": len(scanpy),
    }
