"""Early stopping by cluster stability against full-length training: seconds, steps and ARI on simulated data.

For each size and seed, one fresh process simulates ``n`` cells as ``bench scale`` does (2,500 genes, 4 equal groups,
``lib_loc=8.5``) and runs ``contrastive_sc`` with its defaults (``n_genes=500``) twice: without and with
``early_stopping=True`` (:class:`csc_core.pipeline.stopping.StabilityStop`). Rows go to
``bench/results/early_stopping.csv`` (one per run: ``early_stopping``, ``steps_run``, ``stopped_at``, seconds per
stage, ARI); the summary printed at the end compares the two per size. With ``--datasets``, the shared real data sets
instead, with the preset ``--settings`` (``paper``: the paper's 100 epochs, where a stopping rule has the most to
cut), rows in ``bench/results/early_stopping_real.csv``.

    python -m bench early-stopping [--cells 10000 30000 100000] [--seeds 0 1 2]
    python -m bench early-stopping --datasets all --settings paper [--seeds 0 1 2]
"""

from __future__ import annotations

import time

from bench import common
from bench.scale import simulated


def _job(n_cells: int, seed: int, threads: int | None = None) -> list[dict]:
    from csc_core.pipeline.graph import EXACT_KNN_MAX_CELLS

    common.setup(threads=threads, approximate_knn=n_cells > EXACT_KNN_MAX_CELLS)
    adata = simulated(n_cells, seed)
    return [{"n_cells": n_cells, **row} for row in _both(adata, seed, n_genes=500)]


def _job_real(dataset: str, seed: int, settings: str, threads: int | None = None) -> list[dict]:
    import csc_core

    common.setup(threads=threads)
    adata = csc_core.data.load(dataset)
    return [{"dataset": dataset, "settings": settings, **row} for row in _both(adata, seed, settings=settings)]


def _both(adata, seed: int, **params) -> list[dict]:
    """``contrastive_sc`` without, then with early stopping, in this process: one row each."""
    import csc_core
    from csc_core.data import metrics

    rows = []
    for early in (False, True):
        t0 = time.perf_counter()
        csc_core.contrastive_sc(adata, seed=seed, progress=False, early_stopping=early, **params)
        total = time.perf_counter() - t0
        rec = adata.uns["csc"]
        rows.append(
            {
                "seed": seed,
                "early_stopping": early,
                "csc_total": total,
                **rec["timings"],
                "steps_run": rec["params"]["steps_run"],
                "stopped_at": rec.get("stopping", {}).get("stopped_at"),
                **metrics.scores(adata.obs["cell_type"], adata.obs["csc_cluster"]),
            }
        )
    return rows


def main(argv=None) -> None:
    from csc_core.harness.stopping_tables import early_stopping_summary

    p = common.parser("early-stopping", __doc__)
    p.add_argument("--cells", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--datasets", nargs="+", help="shared real data sets (or 'all') instead of simulated cells")
    p.add_argument("--settings", choices=["default", "paper"], default="paper", help="preset for --datasets")
    args = p.parse_args(argv)
    when = common.run_stamp()
    if args.datasets:
        table, by = common.store("early_stopping_real"), "dataset"
        tasks = [
            (f"{d} ({args.settings}), seed {s}", _job_real, (d, s, args.settings, args.threads))
            for d in common.real_datasets(args.datasets)
            for s in args.seeds
        ]
    else:
        table, by = common.store("early_stopping"), "n_cells"
        tasks = [(f"{n:>9,d} cells, seed {s}", _job, (n, s, args.threads)) for n in args.cells for s in args.seeds]
    common.check_quiet("early-stopping")
    for label, job, job_args in tasks:
        load = common.load_average()
        off, on = common.add(table, common.run_isolated(job, *job_args), run=when, load=load)
        print(
            f"{label}: full {off['csc_total']:7.1f} s ({off['steps_run']} steps, ARI {off['ari']:.3f}) | "
            f"early stopping {on['csc_total']:7.1f} s ({on['steps_run']} steps, ARI {on['ari']:.3f})",
            flush=True,
        )
    print(early_stopping_summary(table.select(run=when), by=by).round(3).to_string())


if __name__ == "__main__":
    main()
