"""Choosing the Leiden resolution without labels: the grid behind ``resolution="auto"``.

A fixed resolution cannot suit every data set: 0.3 (the best single value over the six shared data sets) cuts the
2,100-cell worm set into too few clusters, where scanpy's pipeline then wins, while 0.5 over-splits PBMC. For each data
set × seed this benchmark trains the default ensemble once, runs Leiden at resolutions 0.1–1.0 on kNN graphs of 15, 30
and 50 neighbours, and stores each partition's ARI beside its cosine silhouette on the embedding — computed exactly as
:func:`csc_core.pipeline.resolution.select_resolution` computes it (same seeded 3,000-cell sample) — so that any
selection rule can be replayed on the table without retraining. scanpy's standard pipeline runs in the same task for
comparison. Rows go to ``bench/results/tune_resolution.csv``; rerunning skips what is stored. The "Choosing the
defaults" chapter replays the rules (:func:`csc_core.harness.tables.resolution_rules`).

    python -m bench tune-resolution [--seeds 0 1 2 3 4] [--datasets ...]
"""

from __future__ import annotations

from bench import common

NEIGHBORS = (15, 30, 50)
RESOLUTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)


def _run(dataset, seed):
    import csc_core
    from csc_core import DEFAULTS
    from csc_core.competitors import baselines
    from csc_core.data import metrics
    from csc_core.harness.methods import CSC_LEIDEN, SCANPY

    adata = csc_core.data.load(dataset)
    truth = adata.obs["cell_type"].to_numpy()
    emb = csc_core.fit(adata, seed=seed, progress=False).embedding
    rows = common.partitions(emb, truth, seed=seed, neighbors=NEIGHBORS, resolutions=RESOLUTIONS, method=CSC_LEIDEN)
    scanpy = baselines.scanpy_leiden(adata, n_genes=DEFAULTS.n_genes, seed=seed)
    rows.append(dict(method=SCANPY, **metrics.scores(truth, scanpy)))
    return rows


def main(argv=None):
    p = common.parser("tune-resolution", __doc__, threads=2, workers=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--datasets", nargs="+", default=None)
    args = p.parse_args(argv)
    common.setup(threads=args.threads)
    tasks = [dict(dataset=d, seed=s) for s in args.seeds for d in common.real_datasets(args.datasets)]
    common.grid("tune_resolution", tasks, _run, workers=args.workers, desc="tune-resolution")


if __name__ == "__main__":
    main()
