"""The machine a result was computed on: processor type (with its vector extension), and how busy the machine was."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pandas as pd


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


#: A stored run counts as made on an otherwise idle machine when the 1-minute load average as it started was at most
#: the machine's cores plus this: the run's own threads, and nothing else, kept the cores busy.
IDLE_MARGIN = 0.5

#: ... and it kept at least this share of one core busy from start to end (``task_cpu_seconds`` ≥ share ×
#: ``task_seconds``, where recorded): a run that was suspended, or that other work pushed off the cores after it
#: started, spends wall seconds without CPU seconds. One core, not all: parts of a run (Leiden, I/O) use one thread.
MIN_CPU_SHARE = 0.75


def idle_rows(rows: pd.DataFrame, cores: int | None = None) -> pd.DataFrame:
    """The rows whose wall time was measured on an otherwise idle machine.

    A row counts when the load recorded as its task started was at most ``cores +`` :data:`IDLE_MARGIN` and, where
    the task's process CPU seconds were recorded, the task kept :data:`MIN_CPU_SHARE` of a core busy throughout. Rows
    without a recorded load (``load_1min`` missing or empty: stored before it was recorded) are left out: their
    seconds may include other jobs' time. Rows stored before CPU seconds were recorded are judged on the load alone.

    Parameters
    ----------
    rows
        Stored rows with ``seconds`` and, where recorded, ``load_1min``, ``task_seconds`` and ``task_cpu_seconds``.
    cores
        The cores of the machine that made them; ``None``: this machine's.

    Returns
    -------
    pandas.DataFrame
        The idle-machine rows.
    """
    if "load_1min" not in rows:
        return rows.iloc[:0]
    limit = (cores or os.cpu_count() or 1) + IDLE_MARGIN
    idle = rows["load_1min"].notna() & (rows["load_1min"] <= limit)
    if {"task_seconds", "task_cpu_seconds"} <= set(rows.columns):
        starved = rows["task_cpu_seconds"] < MIN_CPU_SHARE * rows["task_seconds"]  # False where not recorded (NaN)
        idle &= ~starved
    return rows[idle]


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
