"""Wall time and peak memory of contrastive-sc (defaults) against the number of cells, on Splat-simulated data.

Each size runs in a fresh process (its own peak RSS): simulate ``n`` cells × 2,500 genes (4 equal groups, the paper's
mid dropout, ``lib_loc=8.5``: about 4,000 counts per cell as in droplet data — Splat's default of about 60,000 makes
a matrix that is 64 % non-zero, 13 GB at a million cells before any copy), then ``contrastive_sc`` with its defaults
except ``n_genes=500`` (the paper's setting for simulated data). Rows go to ``bench/results/scale.csv``; a
least-squares line of seconds against cells (this run's sizes) is printed with its R².

    python -m bench scale [--cells 10000 100000 1000000] [--seed 0]
"""

from __future__ import annotations

import resource
import time

from bench import common

LIB_LOC = 8.5


def simulated(n_cells: int, seed: int):
    """The benchmarks' simulated data: ``n_cells`` × 2,500 genes, 4 equal groups, the paper's mid dropout."""
    from csc_core.data.simulate import splat

    return splat(
        n_cells,
        2500,
        group_prob=[0.25] * 4,
        dropout_type="experiment",
        dropout_mid=0.0,
        lib_loc=LIB_LOC,
        seed=seed,
        keep_true_counts=False,
    )


def _job(n_cells: int, seed: int, threads: int | None = None) -> dict:
    import csc_core
    from csc_core.data import metrics
    from csc_core.harness.machine import processor

    common.setup(threads=threads, approximate_knn=True)  # numba (scanpy, pynndescent, umap) outside the timings

    t0 = time.perf_counter()
    adata = simulated(n_cells, seed)
    t1 = time.perf_counter()
    csc_core.contrastive_sc(adata, n_genes=500, seed=seed, progress=False)
    t2 = time.perf_counter()
    return {
        "n_cells": n_cells,
        "seed": seed,
        "lib_loc": LIB_LOC,
        "simulate": t1 - t0,
        "csc_total": t2 - t1,
        **adata.uns["csc"]["timings"],
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        **metrics.scores(adata.obs["cell_type"], adata.obs["csc_cluster"]),
        "cpu": processor(),
        "kernel": adata.uns["csc"]["params"]["kernel"],
    }


def main(argv=None) -> None:
    from csc_core.harness.timing import linear_fit

    p = common.parser("scale", __doc__)
    p.add_argument("--cells", type=int, nargs="+", default=[10_000, 30_000, 100_000, 300_000, 1_000_000])
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    when = common.run_stamp()
    table = common.store("scale")
    common.check_quiet("scale")
    for n in args.cells:
        load = common.load_average()
        (row,) = common.add(table, [common.run_isolated(_job, n, args.seed, args.threads)], run=when, load=load)
        print(
            f"{n:>9,d} cells: csc {row['csc_total']:8.1f} s (train {row['train']:.1f} s), "
            f"peak RSS {row['peak_rss_gb']:.1f} GB, ARI {row['ari']:.3f}",
            flush=True,
        )
    rows = table.select(run=when)  # fit this run only: earlier runs used other settings
    if rows["n_cells"].nunique() >= 2:
        slope, intercept, r2 = linear_fit(rows["n_cells"].to_numpy(float), rows["csc_total"].to_numpy(float))
        print(f"seconds ≈ {slope * 1e3:.3f} ms/cell × cells {intercept:+.1f} s  (R² = {r2:.4f})")


if __name__ == "__main__":
    main()
