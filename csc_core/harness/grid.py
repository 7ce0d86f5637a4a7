"""Run a grid of independent tasks into a :class:`~csc_core.harness.store.ResultStore`, resumably.

:func:`run_grid` runs the missing tasks one after another, on local processes (joblib) or on a Dask distributed
cluster. Workers only compute; this process alone writes, each task's rows as soon as they arrive, under the store's
file lock so that two grids sharing one table cannot overwrite each other's rows.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping

import pandas as pd
from tqdm import tqdm

from .machine import busy_cpu_seconds, load_average, processor
from .store import ResultStore

BACKENDS = ("serial", "joblib", "dask")


def _results(
    todo: list[dict], run: Callable[..., list[dict]], backend: str, n_jobs: int, scheduler: str | None
) -> Iterator[tuple[dict, list[dict]]]:
    """Yield ``(task, rows)`` as tasks finish, in whatever order they finish."""
    if backend == "serial":
        for task in todo:
            yield _tagged(run, task, 1)
    elif backend == "joblib":
        from joblib import Parallel, delayed, parallel_config

        # one BLAS/torch thread per worker: n_jobs processes × all cores each would oversubscribe the machine
        with parallel_config(backend="loky", inner_max_num_threads=max(1, (os.cpu_count() or 1) // n_jobs)):
            results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
                delayed(_tagged)(run, task, n_jobs) for task in todo
            )
            yield from results
    else:
        from distributed import Client, as_completed

        client = Client(scheduler) if isinstance(scheduler, str) else scheduler
        if client is None:
            raise ValueError("backend='dask' needs scheduler: a scheduler address or a distributed.Client.")
        futures = [client.submit(_tagged, run, task, None, pure=False) for task in todo]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            client.cancel(futures)
            if isinstance(scheduler, str):
                client.close()


def _tagged(run: Callable[..., list[dict]], task: dict, workers: int | None) -> tuple[dict, list[dict]]:
    # read where the task ran (a worker, maybe another machine): results differ between processors, and the load
    # when it started says whether its seconds were measured on an otherwise idle machine
    cpu, load = processor(), load_average()
    # the load is read once, at the start; the task's own CPU seconds against its wall seconds show whether anything
    # took the cores from it later (another job, or the task being suspended): see machine.idle_rows
    wall, process, machine = time.perf_counter(), time.process_time(), busy_cpu_seconds()
    rows = run(**task)
    own = time.process_time() - process
    timing = {"task_seconds": time.perf_counter() - wall, "task_cpu_seconds": own}
    other = busy_cpu_seconds() - machine - own
    # the machine counts in clock ticks (10 ms), the process in nanoseconds: an idle machine can read a hair below 0
    timing["other_cpu_seconds"] = 0.0 if other < 0 else other  # NaN (not measurable) stays NaN
    return task, [{"cpu": cpu, "load_1min": load, "workers": workers, **timing, **row} for row in rows]


def run_grid(
    tasks: Iterable[Mapping],
    run: Callable[..., list[dict]],
    store: ResultStore,
    *,
    backend: str = "serial",
    n_jobs: int = 2,
    scheduler=None,
    progress: bool = True,
    desc: str = "grid",
) -> pd.DataFrame:
    """Run ``run(**task)`` for every task whose rows are not yet in ``store``; return the rows of all tasks.

    ``run`` returns a list of rows (dicts); each row is stored together with the task's parameters, the processor it
    ran on (``cpu``, :func:`processor`), the machine's 1-minute load average when the task started (``load_1min``),
    the number of local workers sharing the machine (``workers``; empty on Dask), the task's wall and process CPU
    seconds (``task_seconds``, ``task_cpu_seconds``) and the CPU seconds the rest of the machine spent meanwhile
    (``other_cpu_seconds``), unless the row names them. All rows of one task are written at once, as soon as the task
    finishes, so a task is either wholly stored or not at all and an interrupted grid — serial or parallel — resumes
    with only the missing tasks.

    Parameters
    ----------
    tasks
        Keyword arguments of ``run``, one mapping per task.
    run
        The measurement; for ``"joblib"`` and ``"dask"`` it must be picklable (a module-level function or a
        :func:`functools.partial` of one).
    store
        Where rows go.
    backend
        ``"serial"`` (in this process), ``"joblib"`` (``n_jobs`` local processes) or ``"dask"`` (a Dask distributed
        cluster at ``scheduler``).
    n_jobs
        Local worker processes for ``"joblib"``.
    scheduler
        For ``"dask"``: the scheduler address (``"tcp://host:8786"``) or a connected ``distributed.Client``.
    progress
        Show a progress bar over tasks.
    desc
        Label of the progress bar.

    Returns
    -------
    pandas.DataFrame
        The stored rows of every task in ``tasks`` (run now or earlier), in task order; empty when none has rows.

    Raises
    ------
    ValueError
        If ``backend`` is not one of :data:`BACKENDS`, or ``"dask"`` is given no ``scheduler``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}.")
    tasks = [dict(t) for t in tasks]
    todo = [t for t in tasks if not store.contains(t)]
    bar = tqdm(total=len(todo), desc=desc, disable=not progress or not todo)
    for task, rows in _results(todo, run, backend, n_jobs, scheduler):
        store.add({**task, **row} for row in rows)
        bar.update()
    bar.close()
    frames = [store.select(**t) for t in tasks]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def local_workers(workers: int) -> dict:
    """:func:`run_grid` arguments for ``workers`` local processes — what the chapters' ``workers`` parameter passes.

    Serial for 1; above, joblib with one thread per worker. One-thread workers make better use of the cores than one
    multi-threaded run, because a run uses its further cores only part of the time: loading, the kNN graph and Leiden
    run on one core. contrastive-sc's results do not change (its embedding is bit-identical with one thread or two);
    the baselines that run a PCA do, slightly: scanpy's PCA rounds differently with one BLAS thread, which can move its
    ARI. Each run's ``seconds`` is then its own worker's time.

    Parameters
    ----------
    workers
        Number of local processes.

    Returns
    -------
    dict
        ``backend`` (and ``n_jobs``) for :func:`run_grid`.

    Raises
    ------
    ValueError
        If ``workers`` is not a positive integer.
    """
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}.")
    return {"backend": "serial"} if workers == 1 else {"backend": "joblib", "n_jobs": workers}
