"""Wall time and peak memory of contrastive-sc (defaults) against the number of cells, on Splat-simulated data.

Each size runs in a fresh process (its own peak RSS): simulate ``n`` cells × 2,500 genes (4 equal groups, the paper's
mid dropout, ``lib_loc=8.5``: about 4,000 counts per cell as in droplet data — Splat's default of about 60,000 makes
a matrix that is 64 % non-zero, 13 GB at a million cells before any copy), then ``contrastive_sc`` with its defaults
except ``n_genes=500`` (the paper's setting for simulated data). Rows go to ``bench/results/scale.csv``; a
least-squares line of seconds against cells (this run's sizes) is printed with its R².

    python -m bench scale [--cells 10000 100000 1000000] [--seed 0]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from bench.isolated import run_isolated
from bench.stamp import run_stamp

OUT = Path(__file__).parent / "results" / "scale.csv"
LIB_LOC = 8.5


def _job(n_cells: int, seed: int) -> dict:
    import csc_core
    from csc_core.experiments import processor
    from csc_core.simulate import splat

    csc_core.cost.warm_up(approximate_knn=True)  # compile numba (scanpy, pynndescent, umap) outside the timings

    t0 = time.perf_counter()
    adata = splat(n_cells, 2500, group_prob=[0.25] * 4, dropout_type="experiment", dropout_mid=0.0, lib_loc=LIB_LOC,
                  seed=seed, keep_true_counts=False)
    t1 = time.perf_counter()
    csc_core.contrastive_sc(adata, n_genes=500, seed=seed, progress=False)
    t2 = time.perf_counter()
    return {"n_cells": n_cells, "seed": seed, "lib_loc": LIB_LOC, "simulate": t1 - t0, "csc_total": t2 - t1,
            **adata.uns["csc"]["timings"], "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            **csc_core.metrics.scores(adata.obs["cell_type"], adata.obs["csc_cluster"]),
            "cpu": processor(), "kernel": adata.uns["csc"]["params"]["kernel"]}


def main(argv=None) -> None:
    from csc_core.cost import linear_fit
    from csc_core.experiments import ResultStore

    p = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__.splitlines()[0])
    p.add_argument("--cells", type=int, nargs="+", default=[10_000, 30_000, 100_000, 300_000, 1_000_000])
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    when = run_stamp()
    store = ResultStore(OUT)
    for n in args.cells:
        row = run_isolated(_job, n, args.seed)
        store.add([{"run": when, **row}])
        print(f"{n:>9,d} cells: csc {row['csc_total']:8.1f} s (train {row['train']:.1f} s), "
              f"peak RSS {row['peak_rss_gb']:.1f} GB, ARI {row['ari']:.3f}", flush=True)
    rows = store.select(run=when)  # fit this run only: earlier runs used other settings
    if rows["n_cells"].nunique() >= 2:
        slope, intercept, r2 = linear_fit(rows["n_cells"].to_numpy(float), rows["csc_total"].to_numpy(float))
        print(f"seconds ≈ {slope * 1e3:.3f} ms/cell × cells {intercept:+.1f} s  (R² = {r2:.4f})")


if __name__ == "__main__":
    main()
