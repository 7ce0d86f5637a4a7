"""How long each chapter's paper profile takes on this kind of machine, estimated from the stored runs' wall times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data import registry, simulate
from ..pipeline.resolution import AUTO_RULE
from .grids import BOOK_COMPETITOR_PRECISION
from .machine import idle_rows, processor
from .methods import ENSEMBLE_METHODS
from .store import ResultStore

#: The grid chapters and the result tables their paper profile fills: contrastive-sc's first, then the competitors'
#: (which run on the same data sets and seeds). The other chapters (teaching, choosing the defaults, computational
#: cost) read stored tables and compute for seconds to minutes in either profile.
CHAPTER_TABLES = {
    "Real data": ("real_data",),
    "All methods": ("real_methods", "competitors"),
    "Real-data ablations": ("real_ablations",),
    "Simulated data": ("simulated", "simulated_competitors"),
    "Simulated ablations": ("simulated_ablations",),
}
#: The cores of the machines that stored the book's tables (its build machines): a run counts as measured on an
#: otherwise idle machine when the load it recorded was at most these plus the idle margin.
STORED_CORES = 2
#: The paper profile's wall time the project aims at for the whole book, in hours.
BOOK_TARGET_HOURS = 3
#: What each kind of table runs, as the cost table names it.
CONTRASTIVE, COMPETITORS = "contrastive-sc & baselines", "competitors"
#: Columns measuring the whole task its row belongs to (the same on each of its rows; :mod:`csc_core.harness.grid`).
TASK_COLUMNS = ("task_seconds", "task_cpu_seconds", "other_cpu_seconds")
#: Columns of a stored row that are results, not the task's identity.
RESULT_COLUMNS = (
    "method",
    "ari",
    "nmi",
    "n_clusters",
    "n_types",
    "seconds",
    "pretrain_seconds",
    "cluster_seconds",
    "epochs_run",
    "cpu",
    "load_1min",
    "workers",
    *TASK_COLUMNS,
)
#: Columns naming the version of a task's settings (the ``"auto"`` rule, the learning rate's decay, the competitors'
#: kernel and precision): the same task under another version costs the same work.
VERSION_COLUMNS = ("auto_rule", "lr_decay", "kernel", "precision")
#: Columns naming the data a task ran on (a real data set, or a simulated one) and its seed.
DATA_COLUMNS = ("dataset", "kind", "n_groups", "dropout_mid", "seed")


def current_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows today's paper profile would compute: this version's ``"auto"`` rule, the book's competitor precision.

    Parameters
    ----------
    rows
        A result table.

    Returns
    -------
    pandas.DataFrame
        Its rows of today's settings (rows of earlier rules or of another precision are kept in ``results/`` for
        comparison, and never recomputed).
    """
    keep = pd.Series(True, index=rows.index)
    if "auto_rule" in rows:
        keep &= rows["auto_rule"].fillna("").isin(["", AUTO_RULE])
    if "precision" in rows:
        keep &= rows["precision"] == BOOK_COMPETITOR_PRECISION
    return rows[keep]


def task_cells(task: pd.Series) -> int:
    """Cells of the data set a task ran on (a registered one, or one of the paper's simulated sets).

    Parameters
    ----------
    task
        A task's identity, with ``dataset`` or ``kind`` and ``n_groups``.

    Returns
    -------
    int
        Its number of cells.
    """
    if "kind" in task and pd.notna(task["kind"]):
        return simulate.paper_n_cells(task["kind"], int(task["n_groups"]))
    return registry.info(task["dataset"]).n_cells


def task_times(rows: pd.DataFrame) -> pd.DataFrame:
    """One line per task (the rows one grid call stored together): its wall time, as measured or from its rows' seconds.

    A task's wall time is its ``task_seconds`` where the grid recorded it (data, preprocessing and every method).
    Rows stored before that are summed from their own ``seconds``: a contrastive-sc task trains one ensemble that every
    variant's row counts (``seconds`` = training + that variant's clustering), so the training is counted once: the
    smallest variant time, plus what each variant adds to it, plus the baselines. A competitor task pretrains one
    autoencoder both competitors share (``pretrain_seconds``), counted once. A task run by one of ``workers`` parallel
    local workers had one core; its share of a 2-core machine's wall time is its seconds divided by the workers.

    Parameters
    ----------
    rows
        Stored rows of one result table.

    Returns
    -------
    pandas.DataFrame
        The task's identity columns, ``seconds`` (its own wall time), ``wall`` (``seconds / workers``),
        ``load_1min`` (the highest of its rows'), ``workers`` and the :data:`TASK_COLUMNS` it recorded (which
        :func:`csc_core.harness.machine.idle_rows` reads).
    """
    if not len(rows):
        return pd.DataFrame()
    keys = [c for c in rows.columns if c not in RESULT_COLUMNS]
    lines = []
    for task, group in rows.groupby(keys, dropna=False, sort=False):
        ensemble = group[group["method"].isin(ENSEMBLE_METHODS)]["seconds"]
        others = group[~group["method"].isin(ENSEMBLE_METHODS)]["seconds"]
        measured = {c: group[c].max() for c in TASK_COLUMNS if c in group}  # the same on each of the task's rows
        if pd.notna(measured.get("task_seconds", np.nan)):
            seconds = measured["task_seconds"]
        elif "pretrain_seconds" in group and group["pretrain_seconds"].notna().any():
            seconds = group["seconds"].sum() - (len(group) - 1) * group["pretrain_seconds"].max()
        elif len(ensemble):
            seconds = ensemble.min() + (ensemble - ensemble.min()).sum() + others.sum()
        else:
            seconds = others.sum()
        workers = float(group["workers"].max()) if "workers" in group and group["workers"].notna().any() else 1.0
        line = dict(zip(keys, task if isinstance(task, tuple) else (task,), strict=True))
        lines.append(
            {
                **line,
                "seconds": float(seconds),
                "workers": workers,
                "wall": float(seconds) / workers,
                "load_1min": group["load_1min"].max() if "load_1min" in group else np.nan,
                **measured,
            }
        )
    return pd.DataFrame(lines)


def chapter_cost(tables: dict[str, pd.DataFrame], *, cpu: str | None = None, cores: int | None = None) -> pd.DataFrame:
    """A grid chapter's paper-profile wall time on one kind of processor: measured where it can be, else estimated.

    The profile's tasks are every task the chapter's tables hold under any version of the method's settings (earlier
    ``"auto"`` rules ran the same grid) and, for the competitors' table, every data set and seed of contrastive-sc's.
    A task that today's settings (:func:`current_rows`) ran on ``cpu`` on an otherwise idle machine
    (:func:`csc_core.harness.machine.idle_rows`) counts with its own wall time. Every other task — not computed yet,
    computed under an earlier rule, or measured while other jobs shared the cores — is estimated as its cells × the
    median idle wall time per cell of the table's tasks with the same settings (the chapters' costs grow linearly
    with cells: "Computational cost" measures it).

    Parameters
    ----------
    tables
        The chapter's result tables by name (:data:`CHAPTER_TABLES`), contrastive-sc's first.
    cpu
        The processor whose runs count as measurements (``None``: this machine's,
        :func:`csc_core.harness.machine.processor`).
    cores
        Its cores (``None``: this machine's).

    Returns
    -------
    pandas.DataFrame
        One row per table: ``tasks`` (of the whole profile), ``measured`` (run today on an idle machine of that
        kind), ``estimated`` (the rest), ``from_shared_runs`` (estimated tasks whose settings have no idle run,
        scaled from runs that shared the machine: an upper bound), ``hours`` (the whole profile's wall time:
        measured plus estimated) and ``measured_hours``.
    """
    cpu = cpu or processor()
    lines = {}
    data = None
    for i, (name, table) in enumerate(tables.items()):
        if not len(table):
            continue
        ident = [c for c in table.columns if c not in (*RESULT_COLUMNS, *VERSION_COLUMNS)]
        tasks = table[ident].drop_duplicates()
        if i == 0:
            data = tasks[[c for c in DATA_COLUMNS if c in tasks]].drop_duplicates()
        elif data is not None:
            on = [c for c in data.columns if c in tasks]
            fixed = tasks.drop(columns=on).drop_duplicates()
            tasks = pd.concat([tasks, data[on].merge(fixed, how="cross")]).drop_duplicates()
        tasks = tasks.reset_index(drop=True)
        tasks["cells"] = [task_cells(t) for _, t in tasks.iterrows()]
        runs = current_rows(table)
        times = task_times(runs[runs["cpu"] == cpu] if "cpu" in runs else runs.iloc[:0])
        idle = times.index.isin(idle_rows(times, cores).index) if len(times) else []
        for column, chosen in (("measured", idle), ("loaded", ~np.asarray(idle, dtype=bool))):
            if len(times) and np.any(chosen):
                median = times[chosen].groupby(ident, dropna=False)["wall"].median().rename(column).reset_index()
                tasks = tasks.merge(median, on=ident, how="left")
            else:
                tasks[column] = np.nan
        tasks["loaded"] = tasks["loaded"].where(tasks["measured"].isna())
        settings = [c for c in ident if c not in DATA_COLUMNS]
        rate = _rate(tasks, "measured", settings)
        known = tasks["measured"].notna()
        shared = rate.isna() & ~known  # no idle run of these settings: scaled from runs that shared the machine
        rate = rate.fillna(_rate(tasks, "loaded", settings))
        wall = tasks["measured"].fillna(tasks["cells"] * rate)
        lines[name] = {
            "tasks": len(tasks),
            "measured": int(known.sum()),
            "estimated": int((~known).sum()),
            "from_shared_runs": int(shared.sum()),
            "hours": float(wall.sum()) / 3600,
            "measured_hours": float(tasks["measured"][known].sum()) / 3600,
        }
    return pd.DataFrame.from_dict(lines, orient="index")


def _rate(tasks: pd.DataFrame, column: str, settings: list[str]) -> pd.Series:
    """Per task: the median wall time per cell of ``column``'s tasks with its settings (else of all of them)."""
    per_cell = tasks[column] / tasks["cells"]
    overall = per_cell.median() if per_cell.notna().any() else np.nan
    if not settings:
        return pd.Series(overall, index=tasks.index)
    return per_cell.groupby([tasks[c].astype(str) for c in settings]).transform("median").fillna(overall)


def paper_profile_cost(results_dir: str | Path, *, cpu: str | None = None, cores: int = STORED_CORES) -> pd.DataFrame:
    """Each grid chapter's paper-profile wall time on this kind of machine (:func:`chapter_cost`), and the total.

    Parameters
    ----------
    results_dir
        The folder of the result tables (``results/``).
    cpu
        The processor whose runs count as measurements; ``None``: the one that stored most of the runs with a
        recorded load.
    cores
        Its cores.

    Returns
    -------
    pandas.DataFrame
        Indexed by chapter (:data:`CHAPTER_TABLES`) and the methods a table runs (:data:`CONTRASTIVE`,
        :data:`COMPETITORS`), with a last row ``("All grid chapters", "all")``: the columns of :func:`chapter_cost`;
        ``attrs["cpu"]`` names the processor.
    """
    results_dir = Path(results_dir)
    stored = {
        name: ResultStore(results_dir / f"{name}.csv").load() for names in CHAPTER_TABLES.values() for name in names
    }
    if cpu is None:
        timed = [t[t["load_1min"].notna()]["cpu"] for t in stored.values() if {"cpu", "load_1min"} <= set(t)]
        counts = pd.concat(timed).value_counts() if timed else pd.Series(dtype=int)
        cpu = counts.index[0] if len(counts) else processor()
    parts = {}
    for chapter, names in CHAPTER_TABLES.items():
        cost = chapter_cost({name: stored[name] for name in names}, cpu=cpu, cores=cores)
        cost.index = [COMPETITORS if "competitors" in name else CONTRASTIVE for name in cost.index]
        parts[chapter] = cost
    out = pd.concat(parts, names=["chapter", "methods"])
    out.loc[("All grid chapters", "all"), :] = out.sum()
    out.attrs["cpu"] = cpu
    return out


#: The cost table's columns as readers see them.
COST_COLUMNS = {
    "tasks": "runs",
    "measured": "measured idle",
    "estimated": "estimated",
    "from_shared_runs": "from busy runs",
    "hours": "hours",
    "measured_hours": "hours measured",
}


def cost_summary(cost: pd.DataFrame) -> dict:
    """The numbers the "Computational cost" chapter quotes from :func:`paper_profile_cost`'s table.

    Parameters
    ----------
    cost
        :func:`paper_profile_cost`'s table.

    Returns
    -------
    dict
        ``book_cpu``, ``book_cores``, ``book_hours``, ``book_tasks``, ``book_measured``, ``book_shared``,
        ``book_competitor_hours``, ``book_competitor_share`` (%), ``book_csc_hours``, ``book_target`` and
        ``book_verdict`` (whether the competitors alone fit in the target).
    """
    total = cost.loc[("All grid chapters", "all")]
    competitors = float(cost.xs(COMPETITORS, level="methods")["hours"].sum())
    return {
        "book_cpu": cost.attrs.get("cpu", ""),
        "book_cores": STORED_CORES,
        "book_hours": float(total["hours"]),
        "book_tasks": int(total["tasks"]),
        "book_measured": int(total["measured"]),
        "book_shared": int(total["from_shared_runs"]),
        "book_competitor_hours": competitors,
        "book_competitor_share": 100 * competitors / float(total["hours"]) if total["hours"] else float("nan"),
        "book_csc_hours": float(total["hours"]) - competitors,
        "book_target": BOOK_TARGET_HOURS,
        "book_verdict": "within it" if competitors <= BOOK_TARGET_HOURS else "well over it",
    }
