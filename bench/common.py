"""What every benchmark shares: threads, the numba warm-up, the run stamp, the machine's load, and where rows go.

Every stored row carries

- ``run``: the start of the benchmark run in UTC, to the minute (:func:`run_stamp`);
- ``cpu``: the processor (:func:`csc_core.harness.machine.processor`): results differ between processor types;
- ``load_1min``: the machine's 1-minute load average (``os.getloadavg()[0]``) just before the measurement started.
  On a quiet machine it is at most about the benchmark's own load (its threads × workers, from the previous
  measurement); anything well above that means another job was using the CPU and the row's seconds are not to be
  trusted;
- ``workers``: how many measurements ran at the same time (1 unless a grid ran on several local processes).

Rows are written through :class:`csc_core.harness.store.ResultStore` to ``bench/results/<name>.csv`` — or to the folder
named by the environment variable ``CSC_BENCH_RESULTS``, for trying a benchmark without touching the committed tables.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from csc_core.harness.machine import load_average

#: The repository.
REPO = Path(__file__).resolve().parents[1]
#: Where benchmark tables are committed.
RESULTS = REPO / "bench" / "results"
#: Set to a folder to write every table there instead (``RESULTS`` and the book's ``results/``).
RESULTS_ENV = "CSC_BENCH_RESULTS"
#: Above this 1-minute load average at the start of a run, :func:`check_quiet` warns that timings will be noisy.
BUSY_LOAD = 0.5


def run_stamp() -> str:
    """The label of one benchmark run: its start in UTC, to the minute (the ``run`` column)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def check_quiet(name: str) -> float:
    """Warn when the machine is already busy as a benchmark starts; return the 1-minute load average."""
    load = load_average()
    if load > BUSY_LOAD:
        print(
            f"[bench {name}] warning: 1-minute load average {load:.2f} before starting — another job is using the "
            "CPU; its seconds will not be trustworthy (every row records load_1min)",
            flush=True,
        )
    return load


def set_threads(threads: int | None) -> int:
    """PyTorch's (and so the BLAS's) thread count for this process; ``None`` keeps the current one."""
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def warm_up(*, kernel: str = "auto", approximate_knn: bool = False) -> None:
    """Compile (or load from numba's cache) numba's kernels on tiny data, so no timing includes the one-off cost.

    scanpy's and the training step's, and with ``approximate_knn`` pynndescent's
    (:func:`csc_core.harness.timing.warm_up`).
    """
    from csc_core.harness.timing import warm_up as _warm_up

    _warm_up(kernel=kernel, approximate_knn=approximate_knn)


def setup(*, threads: int | None = None, kernel: str = "auto", approximate_knn: bool = False) -> int:
    """What a process does before it measures: set the threads, then warm up; returns the thread count."""
    n = set_threads(threads)
    warm_up(kernel=kernel, approximate_knn=approximate_knn)
    return n


def results_path(name: str, folder: Path | None = None) -> Path:
    """``<folder>/<name>.csv`` (``folder`` defaults to ``bench/results``), or under ``$CSC_BENCH_RESULTS`` if set."""
    override = os.environ.get(RESULTS_ENV)
    base = Path(override) if override else (folder or RESULTS)
    return base / f"{name}.csv"


def store(name: str, folder: Path | None = None):
    """The :class:`~csc_core.harness.store.ResultStore` of table ``name`` (:func:`results_path`)."""
    from csc_core.harness.store import ResultStore

    return ResultStore(results_path(name, folder))


def stamped(rows, *, run: str, load: float, workers: int = 1) -> list[dict]:
    """``rows`` with the columns every stored row carries (``run`` first; ``load_1min`` and ``workers`` last)."""
    return [{"run": run, **row, "load_1min": load, "workers": workers} for row in rows]


def add(table, rows, *, run: str, load: float, workers: int = 1) -> list[dict]:
    """Store ``rows`` in ``table`` (a ResultStore) with :func:`stamped`'s columns and the processor; returns them."""
    from csc_core.harness.machine import processor

    rows = [{"cpu": processor(), **row} for row in rows]  # a row naming its processor keeps it
    rows = stamped(rows, run=run, load=load, workers=workers)
    table.add(rows)
    return rows


def _measured(run, stamp: str, workers: int, **task) -> list[dict]:
    load = load_average()  # before this task runs
    return stamped(run(**task), run=stamp, load=load, workers=workers)


def grid(name: str, tasks, run, *, workers: int = 1, folder: Path | None = None, desc: str | None = None):
    """Run ``run(**task)`` for every task not yet stored in table ``name``; return the rows of all tasks.

    Through :func:`csc_core.harness.grid.run_grid` (resumable; each row with its task's parameters and the processor),
    on ``workers`` local processes (one thread each when more than one); every row also gets this run's stamp, the
    load average and ``workers``.
    """
    from csc_core.harness.grid import local_workers, run_grid

    check_quiet(name)
    measured = partial(_measured, run, run_stamp(), workers)
    return run_grid(tasks, measured, store(name, folder), desc=desc or name, **local_workers(workers))


def run_isolated(fn, *args):
    """``fn(*args)`` in a new spawned Python process, so its peak RSS and imports are its own; returns its result.

    ``fn`` must be importable (a module-level function).
    The worker is asked to exit (``close`` + ``join``) rather than killed (what leaving ``with Pool()`` does): killed,
    it could not release the semaphores joblib's loky workers hold, and the resource tracker warned about each of them.
    """
    pool = mp.get_context("spawn").Pool(1)
    try:
        return pool.apply(fn, args)
    finally:
        pool.close()
        pool.join()


def partitions(embedding, truth, *, seed: int, neighbors, resolutions, method: str, **columns) -> list[dict]:
    """Leiden partitions of ``embedding`` at every ``neighbors`` × ``resolutions``, each with ARI and silhouette.

    The rows from which resolution rules are replayed without retraining (``tune-resolution``, ``generalisation``):
    ``method``, ``n_neighbors``, ``resolution``, the cosine ``silhouette`` as ``"auto"`` computes it, the scores
    against ``truth``, and ``columns``.
    """
    from csc_core.data import metrics
    from csc_core.pipeline import graph, resolution

    rows = []
    for k in neighbors:
        labelings = graph.leiden_resolutions(
            graph.knn_graph(embedding, n_neighbors=k, seed=seed), resolutions, seed=seed
        )
        silhouettes = resolution.cosine_silhouette(embedding, labelings, seed=seed)
        for r, labels, sil in zip(resolutions, labelings, silhouettes, strict=True):
            rows.append(
                dict(
                    method=method,
                    n_neighbors=k,
                    resolution=r,
                    silhouette=float(sil),
                    **metrics.scores(truth, labels),
                    **columns,
                )
            )
    return rows


def real_datasets(names=None) -> list[str]:
    """``names``, or every paper data set that is here or can be downloaded (``None`` or ``["all"]``)."""
    from csc_core import data

    if names is None or list(names) == ["all"]:
        return [n for n in data.available(paper=True) if data.fetchable(n)]
    return list(names)


def parser(name: str, doc: str, *, threads: int | None = None, workers: bool = False) -> argparse.ArgumentParser:
    """The argument parser of ``python -m bench <name>``, with ``--threads`` and, for grids, ``--workers``.

    The module docstring's first line is the description, its usage lines the epilog; ``threads`` is the default of
    ``--threads`` (``None`` keeps PyTorch's).
    """
    lines = doc.strip().splitlines()
    p = argparse.ArgumentParser(
        prog=f"python -m bench {name}",
        description=lines[0],
        epilog="\n".join(line for line in lines if line.startswith("    python -m bench")),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--threads",
        type=int,
        default=threads,
        help="PyTorch/BLAS threads per measurement" + (f" (default {threads})" if threads else ""),
    )
    if workers:
        p.add_argument(
            "--workers",
            type=int,
            default=1,
            help="local processes for the grid (default 1; more than one changes the seconds)",
        )
    return p
