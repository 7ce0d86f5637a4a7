"""Choosing the Leiden resolution without labels: the grid behind ``resolution="auto"``.

A fixed resolution cannot suit every data set: 0.3 (the best single value over the six shared data sets) cuts the
2,100-cell worm set into too few clusters, where scanpy's pipeline then wins, while 0.5 over-splits PBMC. For each data
set × seed this benchmark trains the default ensemble once, runs Leiden at resolutions 0.1–1.0 on kNN graphs of 15, 30
and 50 neighbours, and stores each partition's ARI beside its cosine silhouette on the embedding — computed exactly as
:func:`csc_core.cluster.select_resolution` computes it (same seeded 3,000-cell sample) — so that any selection rule can
be replayed on the table without retraining. scanpy's standard pipeline runs in the same task for comparison. Rows go
to ``bench/results/tune_resolution.csv``; rerunning skips what is stored. The "Choosing the defaults" chapter replays
the rules (:func:`csc_core.benchmark.resolution_rules`).

    python -m bench tune-resolution [--seeds 0 1 2 3 4] [--datasets ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from csc_core import baselines, cluster, data, fit_embedding, metrics
from csc_core.benchmark import CSC_LEIDEN, SCANPY
from csc_core.experiments import ResultStore, run_grid

NEIGHBORS = (15, 30, 50)
RESOLUTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
OUT = Path(__file__).parent / "results" / "tune_resolution.csv"


def _run(dataset, seed):
    adata = data.load(dataset)
    truth = adata.obs["cell_type"].to_numpy()
    emb, _ = fit_embedding(adata, seed=seed, progress=False)
    rows = []
    for k in NEIGHBORS:
        labelings = cluster.leiden_resolutions(cluster.knn_graph(emb, n_neighbors=k, seed=seed), RESOLUTIONS,
                                               seed=seed)
        silhouettes = cluster.cosine_silhouette(emb, labelings, seed=seed)
        for res, labels, sil in zip(RESOLUTIONS, labelings, silhouettes):
            rows.append(dict(method=CSC_LEIDEN, n_neighbors=k, resolution=res, silhouette=float(sil),
                             **metrics.scores(truth, labels)))
    rows.append(dict(method=SCANPY, **metrics.scores(truth, baselines.scanpy_leiden(adata, seed=seed))))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench tune-resolution", description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--datasets", nargs="+", default=[n for n in data.available() if data.fetchable(n)])
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    tasks = [dict(dataset=d, seed=s) for s in args.seeds for d in args.datasets]
    run_grid(tasks, _run, ResultStore(OUT), desc="tune-resolution")


if __name__ == "__main__":
    main()
