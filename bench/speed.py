"""Wall time per stage, peak memory and ARI of contrastive-sc (defaults) and scanpy's standard pipeline, same run.

Each measurement runs in a fresh process (so its peak RSS is its own) after a warm-up on a tiny synthetic data set
(so numba's one-off compilation is not timed). Rows are appended to ``bench/results/speed.csv`` and the latest run is
written as a table with the machine's description to ``bench/results/speed.md``. Quote the csc / scanpy ratio, not
absolute seconds: these machines are noisy.

    python -m bench speed [--datasets ...] [--seeds 0 1 2] [--threads 2] [--kernel auto|compiled|torch]
"""

from __future__ import annotations

import os
import platform
import resource
import time

import pandas as pd

from bench import common


def _job(method: str, dataset: str, seed: int, threads: int, kernel: str = "auto") -> dict:
    """One measurement, in its own process."""
    import csc_core
    from csc_core.harness import timing

    common.setup(threads=threads, kernel=kernel)  # numba's kernels and the libraries loaded outside the timings
    t0 = time.perf_counter()
    adata = csc_core.data.load(dataset)
    load = time.perf_counter() - t0
    csc_params = {"kernel": kernel} if method == timing.CSC else {}
    (row,) = timing.time_pipelines(adata, seed=seed, methods=(method,), **csc_params)
    return {
        "dataset": dataset,
        "threads": threads,
        "load": load,
        **row,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def machine() -> dict:
    """What the numbers were measured on."""
    from importlib.metadata import version

    import torch

    from csc_core.harness.machine import processor

    return {
        "cpu": processor(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "scanpy": version("scanpy"),
        "cuda": torch.cuda.is_available(),
    }


def report(rows: pd.DataFrame, info: dict) -> str:
    """A markdown table: stages, totals, peak memory and ARI per data set, and the csc / scanpy ratio."""
    from csc_core.harness.timing import speed_ratio

    stages = [
        c
        for c in ("load", "preprocess", "train", "pca", "graph", "cluster", "total", "peak_rss_mb", "ari")
        if c in rows.columns
    ]
    mean = rows.groupby(["dataset", "method"])[stages].mean()
    ratio = speed_ratio(rows)
    lines = [
        f"# Speed benchmark ({info['when']})",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items() if k != "when"),
        "",
        f"Seeds: {sorted(int(s) for s in rows['seed'].unique())}; mean per data set. Seconds; `total` excludes `load`.",
        "",
        mean.round(3).to_markdown(),
        "",
        "csc / scanpy end-to-end wall time:",
        "",
        ratio.round(2).rename("csc / scanpy").to_frame().to_markdown(),
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    from csc_core.harness.timing import CSC, SCANPY

    p = common.parser("speed", __doc__, threads=os.cpu_count())
    p.add_argument("--datasets", nargs="+", default=None)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--kernel", default="auto", help="contrastive-sc's training step: auto, compiled or torch")
    args = p.parse_args(argv)
    datasets = common.real_datasets(args.datasets)
    info = {"when": common.run_stamp(), **machine(), "threads": args.threads}
    table, rows = common.store("speed"), []
    common.check_quiet("speed")
    for dataset in datasets:
        for seed in args.seeds:
            for method in (CSC, SCANPY):
                load = common.load_average()
                row = common.run_isolated(_job, method, dataset, seed, args.threads, args.kernel)  # its own peak RSS
                print(f"{dataset:32s} seed {seed} {method:15s} {row['total']:7.2f} s  ARI {row['ari']:.3f}", flush=True)
                rows += common.add(table, [row], run=info["when"], load=load)  # kept if a later one fails
    text = report(pd.DataFrame(rows), info)
    md = table.path.with_suffix(".md")
    tmp = md.with_name(f".{md.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, md)
    print(text)


if __name__ == "__main__":
    main()
