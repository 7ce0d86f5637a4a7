"""Every method's wall time against cells and genes on Splat data: the rows behind ``results/timing.csv``.

One task per size and method (:func:`csc_core.cost.timing_rows`: simulate, not timed; then raw counts → labels with
the method's defaults). Against cells at 2,000 genes; against genes at 2,000 cells. The competitors (scDeepCluster,
sczi: about a minute per 1,000 cells here) are timed only up to ``--max-competitor-cells``. Run it on a quiet machine:
anything else on the two cores shows up in the seconds. Rerunning skips what is stored, so deleting a method's rows
from the CSV and rerunning remeasures just those.

    python -m bench timing [--cells 1000 2000 ...] [--genes 500 1000 2000 4000] [--methods contrastive-sc scanpy]
                           [--kernel auto|compiled|torch]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from csc_core import cost
from csc_core.benchmark import SCDEEPCLUSTER, SCZI
from csc_core.experiments import ResultStore, run_grid
from csc_core.train import resolve_kernel

OUT = Path(__file__).resolve().parent.parent / "results" / "timing.csv"
CELLS = (1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)
GENES = (500, 1000, 2000, 4000)
#: Cells and genes held fixed while the other axis varies.
FIXED_GENES, FIXED_CELLS = 2000, 2000


def _run(n_cells: int, n_genes: int, seed: int, method: str, kernel: str | None = None) -> list[dict]:
    return cost.timing_rows(n_cells, n_genes, seed=seed, methods=(method,), **({"kernel": kernel} if kernel else {}))


def tasks(cells=CELLS, genes=GENES, methods=cost.TIMED_METHODS, *, seed: int = 0, max_competitor_cells: int = 5000,
          kernel: str = "auto") -> list[dict]:
    """One task per (cells, genes) size and method; competitors only up to ``max_competitor_cells``. contrastive-sc's
    tasks also name the training ``kernel`` (resolved for the CPU), so each kernel's rows are stored apart."""
    csc_kernel = resolve_kernel(kernel, device="cpu")
    sizes = [(n, FIXED_GENES) for n in cells] + [(FIXED_CELLS, g) for g in genes if g != FIXED_GENES]
    return [dict(n_cells=n, n_genes=g, seed=seed, method=m, **({"kernel": csc_kernel} if m == cost.CSC else {}))
            for n, g in sizes for m in methods if not (m in (SCDEEPCLUSTER, SCZI) and n > max_competitor_cells)]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench timing", description=__doc__.splitlines()[0])
    p.add_argument("--cells", type=int, nargs="+", default=list(CELLS))
    p.add_argument("--genes", type=int, nargs="+", default=list(GENES))
    p.add_argument("--methods", nargs="+", default=list(cost.TIMED_METHODS))
    p.add_argument("--max-competitor-cells", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--kernel", default="auto", help="contrastive-sc's training step: auto, compiled or torch")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    cost.warm_up(approximate_knn=True)  # numba's one-off compilation outside every timing, large-data kNN too
    run_grid(tasks(args.cells, args.genes, args.methods, seed=args.seed, max_competitor_cells=args.max_competitor_cells,
                   kernel=args.kernel), _run, ResultStore(OUT), desc="timing")


if __name__ == "__main__":
    main()
