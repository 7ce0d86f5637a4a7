"""Comparing benchmark runs (``bench/results``).

Across processors, and where the spread comes from.
"""

from __future__ import annotations

import pandas as pd

from .timing import CSC


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


def training_effect(rows: pd.DataFrame, setting: str) -> pd.DataFrame:
    """The effect of a training setting on the mean ARI per data set, with Leiden's seed averaged out.

    Each embedding (data set, ``setting``, training ``seed``) is scored by its mean ARI over the clustering seeds;
    each value of ``setting`` by the mean over its embeddings, with the standard error over training seeds. Only the
    training seeds run with every value are used, so the values compare the same seeds.

    Parameters
    ----------
    rows
        Rows as ``python -m bench clustering-spread`` stores them, with ``setting`` (e.g. ``lr_decay``) among the
        columns.
    setting
        The training setting that was varied.

    Returns
    -------
    pandas.DataFrame
        Indexed by data set. For each value ``v`` of ``setting`` (ascending): ``v`` (mean ARI) and ``"v ±"`` (its
        standard error); then ``difference`` (last value minus first), ``"difference ±"`` (from the two standard
        errors) and ``training seeds``. The ``"<c> ±"`` columns are what :func:`~csc_core.harness.tables.pretty`
        merges with ``merge_spread``.
    """
    values = sorted(rows[setting].unique())
    per_embedding = rows.groupby(["dataset", setting, "seed"], sort=False)["ari"].mean().reset_index()
    complete = per_embedding.groupby(["dataset", "seed"])[setting].transform("nunique") == len(values)
    per_embedding = per_embedding[complete]
    stats = per_embedding.groupby(["dataset", setting], sort=False)["ari"].agg(["mean", "sem", "count"])
    out = pd.DataFrame(index=per_embedding["dataset"].unique())
    for value in values:
        part = stats.xs(value, level=setting)
        out[value], out[f"{value} ±"] = part["mean"], part["sem"]
    first, last = values[0], values[-1]
    out["difference"] = out[last] - out[first]
    out["difference ±"] = (out[f"{first} ±"] ** 2 + out[f"{last} ±"] ** 2) ** 0.5
    out["training seeds"] = stats.xs(first, level=setting)["count"]
    return out.rename_axis("dataset")


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
    from .labels import dataset_label

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
