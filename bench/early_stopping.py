"""Early stopping by cluster stability against full-length training: seconds, steps and ARI on simulated data.

For each size and seed, one fresh process simulates ``n`` cells as ``bench scale`` does (2,500 genes, 4 equal groups,
``lib_loc=8.5``) and runs ``contrastive_sc`` with its defaults (``n_genes=500``) twice: without and with
``early_stopping=True`` (:class:`csc_core.stopping.StabilityStop`). Rows go to ``bench/results/early_stopping.csv``
(one per run: ``early_stopping``, ``steps_run``, ``stopped_at``, seconds per stage, ARI); the summary printed at the end
compares the two per size. With ``--datasets``, the shared real data sets instead, with the preset ``--settings``
(``paper``: the paper's 100 epochs, where a stopping rule has the most to cut), rows in
``bench/results/early_stopping_real.csv``.

    python -m bench early-stopping [--cells 10000 30000 100000] [--seeds 0 1 2]
    python -m bench early-stopping --datasets all --settings paper [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.isolated import run_isolated
from bench.scale import LIB_LOC
from bench.stamp import run_stamp

OUT = Path(__file__).parent / "results" / "early_stopping.csv"
OUT_REAL = Path(__file__).parent / "results" / "early_stopping_real.csv"


def _job(n_cells: int, seed: int) -> list[dict]:
    import csc_core
    from csc_core.simulate import splat

    csc_core.cost.warm_up(approximate_knn=n_cells > csc_core.cluster.EXACT_KNN_MAX_CELLS)
    adata = splat(n_cells, 2500, group_prob=[0.25] * 4, dropout_type="experiment", dropout_mid=0.0, lib_loc=LIB_LOC,
                  seed=seed, keep_true_counts=False)
    return [{"n_cells": n_cells, **row} for row in _both(adata, seed, n_genes=500)]


def _job_real(dataset: str, seed: int, settings: str) -> list[dict]:
    import csc_core

    csc_core.cost.warm_up()
    adata = csc_core.data.load(dataset)
    return [{"dataset": dataset, "settings": settings, **row} for row in _both(adata, seed, settings=settings)]


def _both(adata, seed: int, **params) -> list[dict]:
    """``contrastive_sc`` without, then with early stopping, in this process: one row each."""
    import csc_core

    rows = []
    for early in (False, True):
        t0 = time.perf_counter()
        csc_core.contrastive_sc(adata, seed=seed, progress=False, early_stopping=early, **params)
        total = time.perf_counter() - t0
        rec = adata.uns["csc"]
        rows.append({"seed": seed, "early_stopping": early, "csc_total": total, **rec["timings"],
                     "steps_run": rec["params"]["steps_run"], "stopped_at": rec.get("stopping", {}).get("stopped_at"),
                     **csc_core.metrics.scores(adata.obs["cell_type"], adata.obs["csc_cluster"])})
    return rows


def main(argv=None) -> None:
    from csc_core.cost import early_stopping_summary
    from csc_core.experiments import ResultStore

    p = argparse.ArgumentParser(prog="python -m bench early-stopping", description=__doc__.splitlines()[0])
    p.add_argument("--cells", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--datasets", nargs="+", help="shared real data sets (or 'all') instead of simulated cells")
    p.add_argument("--settings", choices=["default", "paper"], default="paper", help="preset for --datasets")
    args = p.parse_args(argv)
    when = run_stamp()
    if args.datasets:
        from csc_core import data

        names = [n for n in data.available() if data.fetchable(n)] if args.datasets == ["all"] else args.datasets
        store, by = ResultStore(OUT_REAL), "dataset"
        tasks = [(f"{d} ({args.settings}), seed {s}", _job_real, (d, s, args.settings)) for d in names
                 for s in args.seeds]
    else:
        store, by = ResultStore(OUT), "n_cells"
        tasks = [(f"{n:>9,d} cells, seed {s}", _job, (n, s)) for n in args.cells for s in args.seeds]
    for label, job, job_args in tasks:
        rows = run_isolated(job, *job_args)
        store.add([{"run": when, **row} for row in rows])
        off, on = rows
        print(f"{label}: full {off['csc_total']:7.1f} s ({off['steps_run']} steps, ARI {off['ari']:.3f}) | "
              f"early stopping {on['csc_total']:7.1f} s ({on['steps_run']} steps, ARI {on['ari']:.3f})", flush=True)
    print(early_stopping_summary(store.select(run=when), by=by).round(3).to_string())

if __name__ == "__main__":
    main()
