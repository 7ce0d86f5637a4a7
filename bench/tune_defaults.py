"""Measure the training and graph settings of contrastive-sc on every shared real data set.

For each data set × seed × training setting, train the ensemble once, then cluster its embedding with Leiden over a
grid of neighbours × resolutions (and KMeans with the true k). One tidy row per clustering goes to
``bench/results/tune_defaults.csv``; rerunning skips what is stored. The real-data chapter plots this table to
explain the defaults.

    python -m bench.tune_defaults [--seeds 0 1 2] [--datasets ...]
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import torch

from csc_core import cluster, data, fit_embedding, metrics
from csc_core.experiments import ResultStore, run_grid

TRAINING = [
    dict(epochs=50, mask="batch", batch_size=256, keep=0.2, lr=1e-3),
    dict(epochs=20, mask="batch", batch_size=256, keep=0.2, lr=1e-3),
    dict(epochs=100, mask="batch", batch_size=256, keep=0.2, lr=1e-3),
    dict(epochs=50, mask="cell", batch_size=256, keep=0.2, lr=1e-3),  # the paper's per-cell augmentation
    dict(epochs=50, mask="batch", batch_size=128, keep=0.2, lr=1e-3),
    dict(epochs=50, mask="batch", batch_size=512, keep=0.2, lr=1e-3),
    dict(epochs=50, mask="batch", batch_size=256, keep=0.2, lr=3e-3),
    dict(epochs=50, mask="batch", batch_size=256, keep=0.2, lr=1e-2),
    dict(epochs=10, mask="batch", batch_size=256, keep=0.2, lr=1e-2),  # fewer epochs at the faster learning rate
    dict(epochs=20, mask="batch", batch_size=256, keep=0.2, lr=1e-2),
    dict(epochs=30, mask="batch", batch_size=256, keep=0.2, lr=1e-2),
]
NEIGHBORS = [10, 15, 30]
RESOLUTIONS = [0.2, 0.3, 0.5, 0.7, 1.0]
OUT = Path(__file__).parent / "results" / "tune_defaults.csv"


def _run(dataset, seed, epochs, mask, batch_size, keep, lr):
    adata = data.load(dataset)
    truth = adata.obs["cell_type"].to_numpy()
    emb, rec = fit_embedding(adata, epochs=epochs, mask=mask, batch_size=batch_size, keep=keep, lr=lr, seed=seed,
                             progress=False)
    train_s = rec["timings"]["preprocess"] + rec["timings"]["train"]
    rows = []
    for k, res in itertools.product(NEIGHBORS, RESOLUTIONS):
        t = time.perf_counter()
        labels = cluster.leiden(emb, n_neighbors=k, resolution=res, seed=seed)
        rows.append(dict(clustering="leiden", n_neighbors=k, resolution=res, train_seconds=train_s,
                         cluster_seconds=time.perf_counter() - t, **metrics.scores(truth, labels)))
    n_types = adata.obs["cell_type"].nunique()
    labels = cluster.kmeans(emb, n_clusters=n_types, seed=seed)
    rows.append(dict(clustering="kmeans", train_seconds=train_s, **metrics.scores(truth, labels)))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--datasets", nargs="+", default=[n for n in data.available() if data.fetchable(n)])
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    cluster.leiden(torch.randn(50, 4).numpy(), seed=0)  # compile numba once, outside any timing
    tasks = [dict(dataset=d, seed=s, **t) for t in TRAINING for s in args.seeds for d in args.datasets]
    run_grid(tasks, _run, ResultStore(OUT), desc="tune")


if __name__ == "__main__":
    main()
