"""Run a grid of independent tasks into a tidy, resumable result table.

Every chapter writes its numbers through :class:`ResultStore`: one CSV, one row per measurement, rewritten
atomically (write a temporary file, then rename) so a killed run never leaves a half-written table, and tasks
whose rows are already stored are skipped, so an interrupted grid resumes where it stopped.

:func:`run_grid` runs the missing tasks one after another, on local processes (joblib) or on a Dask distributed
cluster. Workers only compute; this process alone writes, each task's rows as soon as they arrive, under a file lock
so that two grids sharing one table cannot overwrite each other's rows.
"""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import pandas as pd
from filelock import FileLock
from tqdm import tqdm

BACKENDS = ("serial", "joblib", "dask")


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it; done once, at import, and put back at once
    os.umask(mask)
    return mask


#: The mode ``open`` would give a new result file (0644 under the usual umask 022).
_NEW_FILE_MODE = 0o666 & ~_umask()


def _normalise(value):
    # CSV round-trips turn everything into str/float; compare on a canonical string form. A column mixing words and
    # numbers (resolution "auto" and 1.0) is read back as strings, so numeric strings are canonicalised like numbers.
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class ResultStore:
    """A tidy CSV of results keyed by the parameters that produced them.

    Parameters
    ----------
    path
        The CSV file (created on first write, with its folder).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = FileLock(self.path.with_name(f".{self.path.name}.lock"))

    def load(self) -> pd.DataFrame:
        """All stored rows (an empty frame if nothing is stored yet)."""
        if not self.path.exists():
            return pd.DataFrame()
        # round_trip: floats read back exactly as written, so rewriting the table leaves stored rows unchanged
        return pd.read_csv(self.path, keep_default_na=True, float_precision="round_trip")

    def contains(self, params: Mapping) -> bool:
        """Whether some stored row was produced by exactly ``params``."""
        df = self.load()
        if df.empty or not set(params) <= set(df.columns):
            return False
        hit = pd.Series(True, index=df.index)
        for k, v in params.items():
            hit &= df[k].map(_normalise) == _normalise(v)
        return bool(hit.any())

    def add(self, rows: Iterable[Mapping]) -> None:
        """Append ``rows`` and rewrite the file atomically (under a lock shared by every process using the file)."""
        new = pd.DataFrame(list(rows))
        if new.empty:
            return
        # a column with no value in these rows (e.g. all None) becomes NaN floats — what the CSV reads back anyway —
        # so that pandas does not have to guess its type when it meets the stored rows (a FutureWarning otherwise)
        new = new.apply(lambda col: col.astype(float) if col.isna().all() else col)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:  # read-modify-write: without the lock two writers could each drop the other's rows
            self._write(pd.concat([self.load(), new], ignore_index=True))

    def _write(self, table: pd.DataFrame) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", newline="") as fh:
                table.to_csv(fh, index=False)
            # mkstemp creates the file private (0600); give it the table's own mode, or a new file's usual one
            os.chmod(tmp, self.path.stat().st_mode & 0o777 if self.path.exists() else _NEW_FILE_MODE)
            os.replace(tmp, self.path)  # atomic on POSIX and Windows
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def select(self, **params) -> pd.DataFrame:
        """Stored rows whose columns equal ``params`` (columns not in the table never match)."""
        df = self.load()
        if df.empty:
            return df
        for k, v in params.items():
            if k not in df.columns:
                return df.iloc[0:0]
            df = df[df[k].map(_normalise) == _normalise(v)]
        return df.reset_index(drop=True)


def _results(todo: list[dict], run: Callable[..., list[dict]], backend: str, n_jobs: int,
             scheduler: str | None) -> Iterator[tuple[dict, list[dict]]]:
    """Yield ``(task, rows)`` as tasks finish, in whatever order they finish."""
    if backend == "serial":
        for task in todo:
            yield _tagged(run, task)
    elif backend == "joblib":
        from joblib import Parallel, delayed, parallel_config

        # one BLAS/torch thread per worker: n_jobs processes × all cores each would oversubscribe the machine
        with parallel_config(backend="loky", inner_max_num_threads=max(1, (os.cpu_count() or 1) // n_jobs)):
            results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
                delayed(_tagged)(run, task) for task in todo)
            yield from results
    else:
        from distributed import Client, as_completed

        client = Client(scheduler) if isinstance(scheduler, str) else scheduler
        if client is None:
            raise ValueError("backend='dask' needs scheduler: a scheduler address or a distributed.Client.")
        futures = [client.submit(_tagged, run, task, pure=False) for task in todo]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            client.cancel(futures)
            if isinstance(scheduler, str):
                client.close()


def _tagged(run: Callable[..., list[dict]], task: dict) -> tuple[dict, list[dict]]:
    # the processor is read where the task ran (a worker, maybe another machine): results differ between processors
    cpu = processor()
    return task, [{"cpu": cpu, **row} for row in run(**task)]


def processor() -> str:
    """The processor's model name and widest vector extension, e.g. ``"AMD EPYC (AVX2)"`` (``/proc/cpuinfo`` on Linux,
    else what :mod:`platform` knows), recorded with every grid row: contrastive-sc's per-seed results differ between
    processor types (float rounding in the matrix products; the chapter "Computational cost")."""
    cpuinfo = Path("/proc/cpuinfo")
    label = describe_cpuinfo(cpuinfo.read_text()) if cpuinfo.exists() else None
    return label or platform.processor() or platform.machine() or "unknown"


def describe_cpuinfo(text: str) -> str | None:
    """``"<model name> (<vector extension>)"`` from the text of ``/proc/cpuinfo``; ``None`` without a model name.

    The extension is part of the name because virtual machines often report a bare family name: two "AMD EPYC" of
    different generations (AVX2 only, and AVX-512) gave different ARIs for the same seeds.
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


#: Processor labels stored before :func:`processor` named the vector extension (2026-12-02 10:00 UTC), and the label
#: that processor type has had since: both read AVX-512 off the processor. On 2026-12-02 the Intel's 36 seed-spread
#: ARIs of the first implementation were measured again under the new label and came out equal (35 to the bit, one
#: 6e-17 off); the AMD's sessions recorded AVX-512, and its scanpy labels equal the Intel's where the AVX2 EPYC's
#: do not.
LEGACY_PROCESSOR_LABELS = {"AMD EPYC": "AMD EPYC (AVX-512)",
                           "Intel(R) Xeon(R) Processor": "Intel(R) Xeon(R) Processor (AVX-512)"}


def relabel_processors(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the ``cpu`` labels of :data:`LEGACY_PROCESSOR_LABELS` replaced by today's, so that one processor
    type has one name in old and new rows; a copy (``rows`` itself when it has no ``cpu`` column)."""
    if "cpu" not in rows.columns:
        return rows
    return rows.assign(cpu=rows["cpu"].replace(LEGACY_PROCESSOR_LABELS))


def computed_on(rows: pd.DataFrame) -> str:
    """Which processors computed ``rows`` and how many rows each, most first, e.g. ``"AMD EPYC (AVX2) (144 rows)"``.

    Rows without a recorded processor are counted as ``"not recorded"``. A chapter prints this under a table read back
    from the store: a reader on another processor type gets other per-seed numbers for contrastive-sc.
    """
    if rows.empty:
        return "no rows"
    cpu = relabel_processors(rows)["cpu"] if "cpu" in rows.columns else pd.Series(index=rows.index, dtype=object)
    counts = cpu.fillna("not recorded").value_counts(sort=True)
    return ", ".join(f"{name} ({n} row{'s' if n != 1 else ''})" for name, n in counts.items())


def run_grid(tasks: Iterable[Mapping], run: Callable[..., list[dict]], store: ResultStore, *,
             backend: str = "serial", n_jobs: int = 2, scheduler=None,
             progress: bool = True, desc: str = "grid") -> pd.DataFrame:
    """Run ``run(**task)`` for every task whose rows are not yet in ``store``; return the rows of all tasks.

    ``run`` returns a list of rows (dicts); each row is stored together with the task's parameters and the processor
    it ran on (``cpu``, :func:`processor`, unless the row names one), and all rows of one task are written at once,
    as soon as the task finishes, so a task is either wholly stored or not at all and an interrupted grid — serial or
    parallel — resumes with only the missing tasks.

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
    """:func:`run_grid` arguments for ``workers`` local processes: serial for 1, joblib (one thread each on two cores)
    above — what the chapters' ``workers`` parameter passes.

    Measured on the 2-core machine: 24 real-data runs of contrastive-sc took 50.8 s serially and 43.4 s with two
    one-thread workers, of which ~9 s was the workers' start-up; per run, 1.5× the throughput. One run uses its
    second core only part of the time: a second thread makes training ~1.45× faster (worm's 528 steps: 1.24–1.38 s
    against 1.81–1.98 s), while loading, the kNN graph and Leiden run on one core.
    contrastive-sc's results do not change (its embedding is bit-identical with 1 or 2 threads); the baselines that
    run a PCA do, slightly: scanpy's PCA differs in the 4th digit with one BLAS thread instead of two, which moved
    scanpy's ARI from 0.533 to 0.512 on worm_neuron_cell_select_2100 (seed 0) and from 0.6178 to 0.6174 on
    10X_PBMC_select_2100_top2000. Each run's ``seconds`` is then its own worker's time.
    """
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}.")
    return {"backend": "serial"} if workers == 1 else {"backend": "joblib", "n_jobs": workers}

