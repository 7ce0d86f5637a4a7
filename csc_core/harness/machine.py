"""The machine a result was computed on: processor type (with its vector extension), and how busy the machine was."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pandas as pd
import psutil


def processor() -> str:
    """The processor's model name and widest vector extension, e.g. ``"AMD EPYC (AVX2)"``.

    Read from ``/proc/cpuinfo`` on Linux, else what :mod:`platform` knows. Recorded with every grid row:
    contrastive-sc's per-seed results differ between processor types (float rounding in the matrix products; the
    chapter "Computational cost").

    Returns
    -------
    str
        The label; ``"unknown"`` when nothing names the processor.
    """
    cpuinfo = Path("/proc/cpuinfo")
    label = describe_cpuinfo(cpuinfo.read_text()) if cpuinfo.exists() else None
    return label or platform.processor() or platform.machine() or "unknown"


def load_average() -> float:
    """The machine's 1-minute load average (runnable processes; NaN where the platform has none, e.g. Windows).

    Stored with every grid row and benchmark measurement: a wall time measured while other work shared the cores is
    not comparable with one measured on an idle machine.

    Returns
    -------
    float
        The load average.
    """
    try:
        return float(os.getloadavg()[0])
    except (AttributeError, OSError):
        return float("nan")


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot, summed over its cores (NaN where unknown).

    Everything but idle and I/O wait, with *steal* — the seconds a virtual machine's cores wanted to run and the host
    gave to another machine — counted as busy: it too is other work taking our cores. A task's share of the difference
    over its run, against its own CPU seconds, tells what else ran beside it (:func:`idle_rows`).

    Returns
    -------
    float
        The seconds.
    """
    try:
        times = psutil.cpu_times()
    except (AttributeError, OSError, NotImplementedError):
        return float("nan")
    idle = times.idle + getattr(times, "iowait", 0.0)
    total = sum(getattr(times, f) for f in times._fields if f not in ("guest", "guest_nice"))  # inside user, nice
    return float(total - idle)


#: A stored run counts as made on an otherwise idle machine when the 1-minute load average as it started was at most
#: the machine's cores plus this: the run's own threads, and nothing else, kept the cores busy.
IDLE_MARGIN = 0.5

#: ... and it kept at least this share of one core busy from start to end (``task_cpu_seconds`` ≥ share ×
#: ``task_seconds``, where recorded): a run that was suspended, or that other work pushed off the cores after it
#: started, spends wall seconds without CPU seconds. One core, not all: parts of a run (Leiden, I/O) use one thread.
MIN_CPU_SHARE = 0.75
#: ... and the rest of the machine (other processes, steal) used at most this many cores on average while it ran,
#: beyond the sibling workers of its own grid (``other_cpu_seconds`` ≤ (margin + sibling cores) × ``task_seconds``).
#: Caught after the start, where the load average cannot see it: a job started beside a running task.
OTHER_CPU_MARGIN = 0.25


def idle_rows(rows: pd.DataFrame, cores: int | None = None) -> pd.DataFrame:
    """The rows whose wall time was measured on an otherwise idle machine.

    A row counts when the load recorded as its task started was at most ``cores +`` :data:`IDLE_MARGIN` and, where
    recorded, the task kept :data:`MIN_CPU_SHARE` of a core busy throughout while the rest of the machine used no
    more than :data:`OTHER_CPU_MARGIN` cores beyond the task's sibling workers (``cores × (workers - 1) / workers``).
    Rows without a recorded load (``load_1min`` missing or empty: stored before it was recorded) are left out: their
    seconds may include other jobs' time. Rows stored before the CPU seconds were recorded are judged on the load alone.

    Parameters
    ----------
    rows
        Stored rows with ``seconds`` and, where recorded, ``load_1min``, ``workers``, ``task_seconds``,
        ``task_cpu_seconds`` and ``other_cpu_seconds``.
    cores
        The cores of the machine that made them; ``None``: this machine's.

    Returns
    -------
    pandas.DataFrame
        The idle-machine rows.
    """
    if "load_1min" not in rows:
        return rows.iloc[:0]
    cores = cores or os.cpu_count() or 1
    idle = rows["load_1min"].notna() & (rows["load_1min"] <= cores + IDLE_MARGIN)
    wall = rows["task_seconds"] if "task_seconds" in rows else pd.Series(float("nan"), index=rows.index)
    if "task_cpu_seconds" in rows:  # comparisons with NaN (not recorded) are False: nothing is excluded
        idle &= ~(rows["task_cpu_seconds"] < MIN_CPU_SHARE * wall)
    if "other_cpu_seconds" in rows:
        workers = rows["workers"].fillna(1) if "workers" in rows else 1
        idle &= ~(rows["other_cpu_seconds"] > (OTHER_CPU_MARGIN + cores * (workers - 1) / workers) * wall)
    return rows[idle]


def one_worker_count(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """The rows run with one number of parallel workers: the count whose rows cover most values of ``by``.

    A grid run by one worker gives it every core; run by two, each task has one core and takes longer. Times of
    different worker counts are therefore not compared (a grid resumed with another ``workers`` stores both). Ties go
    to the count with more rows, then to the smaller count. Rows without a recorded count are read as one worker.

    Parameters
    ----------
    rows
        Stored rows, with ``workers`` where recorded.
    by
        The column whose values the times are compared across (e.g. ``"n_models"``).

    Returns
    -------
    pandas.DataFrame
        The rows of the chosen worker count (all rows when they share one).
    """
    if rows.empty:
        return rows
    workers = rows["workers"].fillna(1) if "workers" in rows else pd.Series(1.0, index=rows.index)
    cover = rows.groupby(workers)[by].agg(["nunique", "size"])
    best = min(cover.index, key=lambda w: (-cover.loc[w, "nunique"], -cover.loc[w, "size"], w))
    return rows[workers == best]


def describe_cpuinfo(text: str) -> str | None:
    """``"<model name> (<vector extension>)"`` from the text of ``/proc/cpuinfo``; ``None`` without a model name.

    The extension is part of the name because virtual machines often report a bare family name: two "AMD EPYC" of
    different generations (AVX2 only, and AVX-512) gave different ARIs for the same seeds.

    Parameters
    ----------
    text
        The contents of ``/proc/cpuinfo``; the first processor's fields are read.

    Returns
    -------
    str or None
        The label, without the parentheses when the processor has neither AVX2 nor AVX-512; ``None`` without a
        ``model name`` field.
    """
    first = {}  # the first processor's fields: all cores of a machine are alike
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            first.setdefault(key.strip(), value.strip())
    name = first.get("model name")
    if not name:
        return None
    flags = set(first.get("flags", "").split())
    vector = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else None
    return f"{name} ({vector})" if vector else name


#: Processor labels stored before :func:`processor` named the vector extension, and the label that processor type has
#: had since: both read AVX-512 off the processor.
LEGACY_PROCESSOR_LABELS = {
    "AMD EPYC": "AMD EPYC (AVX-512)",
    "Intel(R) Xeon(R) Processor": "Intel(R) Xeon(R) Processor (AVX-512)",
}


def relabel_processors(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the ``cpu`` labels of :data:`LEGACY_PROCESSOR_LABELS` replaced by today's.

    So that one processor type has one name in old and new rows.

    Parameters
    ----------
    rows
        Stored rows, with or without a ``cpu`` column.

    Returns
    -------
    pandas.DataFrame
        A relabelled copy (``rows`` itself when it has no ``cpu`` column).
    """
    if "cpu" not in rows.columns:
        return rows
    return rows.assign(cpu=rows["cpu"].replace(LEGACY_PROCESSOR_LABELS))


def computed_on(rows: pd.DataFrame) -> str:
    """Which processors computed ``rows`` and how many rows each, most first, e.g. ``"AMD EPYC (AVX2) (144 rows)"``.

    Rows without a recorded processor are counted as ``"not recorded"``. A chapter prints this under a table read back
    from the store: a reader on another processor type gets other per-seed numbers for contrastive-sc.

    Parameters
    ----------
    rows
        Stored rows, with or without a ``cpu`` column (legacy labels are relabelled first).

    Returns
    -------
    str
        The processors and their row counts, comma-separated; ``"no rows"`` when ``rows`` is empty.
    """
    if rows.empty:
        return "no rows"
    cpu = relabel_processors(rows)["cpu"] if "cpu" in rows.columns else pd.Series(index=rows.index, dtype=object)
    counts = cpu.fillna("not recorded").value_counts(sort=True)
    return ", ".join(f"{name} ({n} row{'s' if n != 1 else ''})" for name, n in counts.items())
