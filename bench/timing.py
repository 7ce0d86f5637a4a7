"""Every method's wall time against cells and genes on Splat data: the rows behind ``results/timing.csv``.

One task per size and method (:func:`csc_core.harness.timing.timing_rows`: simulate, not timed; then raw counts →
labels with the method's defaults). Against cells at 2,000 genes; against genes at 2,000 cells. The competitors
(scDeepCluster, sczi: about a minute per 1,000 cells here) are timed only up to ``--max-competitor-cells``. Run it on
a quiet machine: anything else on the two cores shows up in the seconds. Rerunning skips what is stored, so deleting
a method's rows from the CSV and rerunning remeasures just those. The table lives in the book's ``results/``, not in
``bench/results/``; ``bench/README.md`` ("Every method against cells and genes") summarises it.

    python -m bench timing [--cells 1000 2000 ...] [--genes 500 1000 2000 4000] [--methods contrastive-sc scanpy]
                           [--kernel auto|compiled|torch]
"""

from __future__ import annotations

from bench import common

#: The book's result tables, where this benchmark's table lives.
BOOK_RESULTS = common.REPO / "results"
CELLS = (1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)
GENES = (500, 1000, 2000, 4000)
#: Cells and genes held fixed while the other axis varies.
FIXED_GENES, FIXED_CELLS = 2000, 2000


def _run(n_cells: int, n_genes: int, seed: int, method: str, kernel: str | None = None) -> list[dict]:
    from csc_core.harness.timing import timing_rows

    return timing_rows(n_cells, n_genes, seed=seed, methods=(method,), **({"kernel": kernel} if kernel else {}))


def tasks(
    cells=CELLS, genes=GENES, methods=None, *, seed: int = 0, max_competitor_cells: int = 5000, kernel: str = "auto"
) -> list[dict]:
    """One task per (cells, genes) size and method (default: every timed method).

    The competitors only up to ``max_competitor_cells``. contrastive-sc's tasks also name the training ``kernel``
    (resolved for the CPU), so each kernel's rows are stored apart.
    """
    from csc_core import DEFAULTS
    from csc_core.harness.methods import SCDEEPCLUSTER, SCZI
    from csc_core.harness.timing import CSC, TIMED_METHODS
    from csc_core.kernels import resolve_kernel

    methods = TIMED_METHODS if methods is None else methods
    csc_kernel = resolve_kernel(kernel, device="cpu", mask=DEFAULTS.mask)
    sizes = [(n, FIXED_GENES) for n in cells] + [(FIXED_CELLS, g) for g in genes if g != FIXED_GENES]
    return [
        dict(n_cells=n, n_genes=g, seed=seed, method=m, **({"kernel": csc_kernel} if m == CSC else {}))
        for n, g in sizes
        for m in methods
        if not (m in (SCDEEPCLUSTER, SCZI) and n > max_competitor_cells)
    ]


def main(argv=None) -> None:
    from csc_core.harness.timing import TIMED_METHODS

    p = common.parser("timing", __doc__, threads=2)
    p.add_argument("--cells", type=int, nargs="+", default=list(CELLS))
    p.add_argument("--genes", type=int, nargs="+", default=list(GENES))
    p.add_argument("--methods", nargs="+", default=list(TIMED_METHODS))
    p.add_argument("--max-competitor-cells", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kernel", default="auto", help="contrastive-sc's training step: auto, compiled or torch")
    args = p.parse_args(argv)
    # numba's one-off compilation outside every timing, large-data kNN too
    common.setup(threads=args.threads, kernel=args.kernel, approximate_knn=True)
    todo = tasks(
        args.cells,
        args.genes,
        args.methods,
        seed=args.seed,
        max_competitor_cells=args.max_competitor_cells,
        kernel=args.kernel,
    )
    common.grid("timing", todo, _run, folder=BOOK_RESULTS, desc="timing")  # serially: one measurement at a time


if __name__ == "__main__":
    main()
