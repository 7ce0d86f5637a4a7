"""The paper's grids: every data set × seed of a chapter, run into a result store under the settings that key it."""

from __future__ import annotations

import sys
from functools import partial

import pandas as pd

from .._docs import doc_params
from ..competitors.fast_step import resolve_kernel as resolve_competitor_kernel
from ..competitors.fast_step import resolve_precision
from ..kernels import resolve_kernel
from ..method.device import resolve_device
from ..pipeline.resolution import AUTO_RULE
from ..settings import resolve
from .grid import run_grid
from .methods import (
    COMPETITOR_SETTINGS,
    METHODS,
    SIMULATED_METHODS,
    real_competitor_rows,
    real_data_rows,
    simulated_competitor_rows,
    simulated_rows,
)

#: The columns that name a simulated data set in a task and its stored rows.
SIMULATED_KEYS = ("kind", "n_groups", "dropout_mid")

#: The training kernel of the result tables stored in ``results/`` (all computed before the compiled CPU step
#: existed): the book's chapters ask for it, so their stored rows are read back and re-running a chapter on the same
#: kind of processor reproduces them. ``-p kernel auto`` runs the compiled step instead (rows stored beside them).
BOOK_KERNEL = "torch"
#: The precision of the competitors' matrix products in the book's stored tables: float32, which every CPU computes in
#: hardware. bfloat16 (``precision="auto"`` on a CPU with AMX or AVX512-BF16) is faster there but emulated, and slow,
#: elsewhere — rows a reader on another processor could not reproduce at the same cost.
BOOK_COMPETITOR_PRECISION = "float32"

#: The docstring texts the grids share.
_DOCS = dict(
    doc_seeds="""\
seeds
    The seeds to run.""",
    doc_store="""\
store
    The :class:`~csc_core.harness.store.ResultStore`.""",
    doc_methods="""\
methods
    Names of :data:`csc_core.harness.methods.ALL_METHODS`.""",
    doc_device="""\
device
    ``"auto"``, ``"cpu"`` or ``"cuda"``.""",
    doc_grid="""\
**grid
    Keyword arguments of :func:`csc_core.harness.grid.run_grid` (``backend``, ``n_jobs``, ``scheduler``,
    ``progress``; e.g. :func:`~csc_core.harness.grid.local_workers`'s).""",
    doc_returns="""\
Returns
-------
pandas.DataFrame
    Every stored row of ``settings``, also those of data sets and seeds run earlier (so a quick profile still shows
    the whole stored grid).""",
)


def csc_settings(preset: str = "default", *, kernel: str = BOOK_KERNEL, device: str = "auto", **overrides) -> dict:
    """Every setting that identifies a contrastive-sc result: the preset with ``overrides`` applied, and the kernel.

    Stored rows carry these columns, so rows from other settings are never mixed into a figure. The kernel is among
    them because the kernels round differently, so the same seed gives other numbers with each.

    Parameters
    ----------
    preset
        ``"default"`` or ``"paper"``, stored in the ``settings`` column.
    kernel
        The training kernel; ``"auto"`` is resolved for ``device`` and the settings' mask
        (:func:`csc_core.kernels.resolve_kernel`).
    device
        ``"auto"``, ``"cpu"`` or ``"cuda"``: where the kernel would run.
    **overrides
        Fields of :class:`csc_core.Settings`.

    Returns
    -------
    dict
        ``settings`` (the preset's name), every Settings field (``hidden`` as one CSV cell, ``"64-32"``),
        ``kernel`` and ``auto_rule`` (:data:`csc_core.pipeline.resolution.AUTO_RULE` when the resolution is
        ``"auto"``, else empty: rows of an earlier rule are not read back as the current one's).

    Raises
    ------
    KeyError, TypeError, ValueError
        As :func:`csc_core.settings.resolve` and :func:`csc_core.kernels.resolve_kernel`, for an unknown preset,
        field or kernel, or an invalid value.
    """
    settings = {"settings": preset, **resolve(preset, **overrides).asdict()}
    settings["hidden"] = "-".join(str(h) for h in settings["hidden"])  # one CSV cell
    settings["kernel"] = resolve_kernel(kernel, device=resolve_device(device), mask=settings["mask"])
    settings["auto_rule"] = AUTO_RULE if settings["resolution"] == "auto" else ""  # which rule "auto" stood for
    return settings


#: The real-data ablations (the paper's Figures 10 and 11): per setting, the settings held fixed and the values tried.
#: ``epochs`` runs with ``min_steps=0``: the defaults' minimum of 500 optimizer steps would otherwise hide the short
#: trainings on small data sets.
REAL_ABLATIONS = {
    "n_genes": ({}, [100, 250, 500, 1000, 1500, 2000, 4000, 8000]),
    "epochs": ({"min_steps": 0}, [5, 10, 20, 50, 100, 200, 300]),
}
#: The simulated-data ablations (the paper's Figures 8a, 8b and 9): per setting, the settings held fixed (none) and
#: the values tried, as :data:`REAL_ABLATIONS`.
SIMULATED_ABLATIONS = {
    "keep": ({}, [0.05, 0.1, 0.2, 0.4, 0.6, 0.8]),
    "n_models": ({}, [1, 2, 3, 5, 10]),
    "n_genes": ({}, [100, 250, 500, 1000, 1500, 2500]),
}

#: The paper's protocol on simulated data differs from its real-data one: 500 highly variable genes (of 2,500, of
#: which only ~10 % per group are differentially expressed) and five times the training (500 epochs). With the
#: real-data protocol's genes and training, contrastive-sc falls far short of the paper's scores on these data sets.
SIMULATED_PROTOCOL = {"default": {"n_genes": 500, "min_steps": 2000}, "paper": {"n_genes": 500, "epochs": 500}}


def simulated_settings(preset: str = "default", **overrides) -> dict:
    """:func:`csc_settings` with the paper's simulated-data protocol (:data:`SIMULATED_PROTOCOL`) applied first.

    Parameters
    ----------
    preset
        ``"default"`` or ``"paper"``.
    **overrides
        Keyword arguments of :func:`csc_settings` (``kernel``, ``device``, Settings fields), applied after the
        protocol.

    Returns
    -------
    dict
        As :func:`csc_settings`.

    Raises
    ------
    KeyError
        If ``preset`` has no simulated-data protocol; otherwise as :func:`csc_settings`.
    """
    return csc_settings(preset, **{**SIMULATED_PROTOCOL[preset], **overrides})


@doc_params(**_DOCS)
def real_data_grid(
    datasets, seeds, settings: dict, store, *, methods=METHODS, device: str = "auto", **grid
) -> pd.DataFrame:
    """Run :func:`real_data_rows` (``methods``) for every data set × seed not yet in ``store``.

    Parameters
    ----------
    datasets
        Names of :func:`csc_core.data.available`.
    {doc_seeds}
    settings
        :func:`csc_settings`'s dict: keys the stored rows and is passed to :func:`real_data_rows`.
    {doc_store}
    {doc_methods}
    {doc_device}
    {doc_grid}

    {doc_returns}
    """
    tasks = _tasks(datasets, seeds, settings)
    return _run_stored(tasks, partial(real_data_rows, device=device, methods=methods), store, settings, **grid)


@doc_params(**_DOCS)
def simulated_grid(
    datasets, seeds, settings: dict, store, *, methods=SIMULATED_METHODS, device: str = "auto", **grid
) -> pd.DataFrame:
    """Run :func:`simulated_rows` for every simulated data set × seed not yet in ``store``.

    Parameters
    ----------
    datasets
        ``(kind, n_groups, dropout_mid)`` of each simulated data set.
    {doc_seeds}
    settings
        :func:`simulated_settings`'s dict: keys the stored rows and is passed to :func:`simulated_rows`.
    {doc_store}
    {doc_methods}
    {doc_device}
    {doc_grid}

    {doc_returns}
    """
    tasks = _tasks(datasets, seeds, settings)
    return _run_stored(tasks, partial(simulated_rows, device=device, methods=methods), store, settings, **grid)


def _tasks(datasets, seeds, settings: dict) -> list[dict]:
    """One task per data set × seed: a real data set by ``dataset`` name, a simulated one by :data:`SIMULATED_KEYS`."""
    keys = [{"dataset": d} if isinstance(d, str) else dict(zip(SIMULATED_KEYS, d, strict=True)) for d in datasets]
    return [{**k, "seed": s, **settings} for k in keys for s in seeds]


def _competitor_task(seed: int, dataset: str | None = None, **params) -> list[dict]:
    """The competitors' rows of one task: a real data set by name, else the simulated one its keys name."""
    if dataset is not None:
        return real_competitor_rows(dataset, seed, **params)
    return simulated_competitor_rows(**{k: params.pop(k) for k in SIMULATED_KEYS}, seed=seed, **params)


def _run_stored(tasks: list[dict], run, store, settings: dict, **grid) -> pd.DataFrame:
    """Run the tasks ``store`` lacks, then return every stored row of ``settings``.

    Quiet when everything is stored; otherwise one line on stderr says how many tasks run, and numba's kernels are
    compiled first (:func:`csc_core.harness.timing.warm_up`) so the first task's seconds exclude it. The returned
    frame's ``attrs`` record ``store`` (the table's file name), ``read_back`` and ``computed`` (task counts) for
    :func:`csc_core.harness.chapter.run_summary`.
    """
    n_new = sum(not store.contains(t) for t in tasks)
    if n_new:
        from .timing import warm_up

        # stderr: progress for whoever runs the chapter; the rendered book drops stderr (_config.yml stderr_output)
        print(
            f"running the {n_new} of {len(tasks)} tasks not stored in {store.path.name} …", file=sys.stderr, flush=True
        )
        warm_up()
    run_grid(tasks, run, store, **{"progress": False, **grid})
    rows = store.select(**settings)
    rows.attrs.update(store=store.path.name, read_back=len(tasks) - n_new, computed=n_new)
    return rows


def competitor_settings(
    kernel: str = "auto", precision: str = BOOK_COMPETITOR_PRECISION, *, device: str = "auto"
) -> dict:
    """Every setting that identifies a competitor result: the protocol, and the training step, resolved.

    Parameters
    ----------
    kernel
        ``"auto"``, ``"fast"`` or ``"torch"`` (:func:`csc_core.competitors.fast_step.resolve_kernel`).
    precision
        ``"auto"``, ``"float32"`` or ``"bfloat16"``: the fast step's matrix products (the reference's are float32);
        the book's tables use :data:`BOOK_COMPETITOR_PRECISION`.
    device
        Where the step runs (the fast step is CPU-only).

    Returns
    -------
    dict
        :data:`~csc_core.harness.methods.COMPETITOR_SETTINGS` with ``kernel`` and ``precision`` as they will run:
        rows of another step are stored beside these, never read back as theirs.
    """
    used = resolve_competitor_kernel(kernel, resolve_device(device))
    used_precision = resolve_precision(precision) if used == "fast" else "float32"
    return {**COMPETITOR_SETTINGS, "kernel": used, "precision": used_precision}


@doc_params(**_DOCS)
def competitor_grid(
    datasets, seeds, store, settings: dict | None = None, *, device: str = "auto", **grid
) -> pd.DataFrame:
    """Run :func:`competitor_rows` (both competitors) for every data set × seed not yet in ``store``.

    The tasks carry ``settings`` (:func:`competitor_settings`).

    Parameters
    ----------
    datasets
        Names of :func:`csc_core.data.available`, or ``(kind, n_groups, dropout_mid)`` of simulated data sets
        (:data:`csc_core.data.simulate.PAPER_DATASETS`).
    {doc_seeds}
    {doc_store}
    settings
        :func:`competitor_settings`'s dict; ``None``: its defaults on ``device``.
    {doc_device}
    {doc_grid}

    {doc_returns}
    """
    settings = settings if settings is not None else competitor_settings(device=device)
    tasks = _tasks(datasets, seeds, settings)
    return _run_stored(tasks, partial(_competitor_task, device=device), store, settings, **grid)
