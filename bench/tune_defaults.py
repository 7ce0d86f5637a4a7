"""Measure the training and graph settings of contrastive-sc on every shared real data set.

For each data set × seed × training setting, train the ensemble once, then cluster its embedding with Leiden over a
grid of neighbours × resolutions (and KMeans with the true k). One tidy row per clustering goes to
``bench/results/tune_defaults.csv``; rerunning skips what is stored. The "Choosing the defaults" chapter plots this
table to explain the defaults.

    python -m bench tune [--seeds 0 1 2] [--datasets ...]
"""

from __future__ import annotations

import itertools
import time

from bench import common

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


def _run(dataset, seed, epochs, mask, batch_size, keep, lr):
    import csc_core
    from csc_core.data import metrics
    from csc_core.pipeline import cluster

    adata = csc_core.data.load(dataset)
    truth = adata.obs["cell_type"].to_numpy()
    model = csc_core.fit(
        adata, epochs=epochs, mask=mask, batch_size=batch_size, keep=keep, lr=lr, seed=seed, progress=False
    )
    emb, rec = model.embedding, model.record
    train_s = rec["timings"]["preprocess"] + rec["timings"]["train"]
    rows = []
    for k, res in itertools.product(NEIGHBORS, RESOLUTIONS):
        t = time.perf_counter()
        labels = cluster.leiden(emb, n_neighbors=k, resolution=res, seed=seed)
        rows.append(
            dict(
                clustering="leiden",
                n_neighbors=k,
                resolution=res,
                train_seconds=train_s,
                cluster_seconds=time.perf_counter() - t,
                **metrics.scores(truth, labels),
            )
        )
    n_types = adata.obs["cell_type"].nunique()
    labels = cluster.kmeans(emb, n_clusters=n_types, seed=seed)
    rows.append(dict(clustering="kmeans", train_seconds=train_s, **metrics.scores(truth, labels)))
    return rows


def main(argv=None):
    p = common.parser("tune", __doc__, threads=2, workers=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--datasets", nargs="+", default=None)
    args = p.parse_args(argv)
    common.setup(threads=args.threads)  # numba's kernels compiled once, outside any timing
    tasks = [
        dict(dataset=d, seed=s, **t) for t in TRAINING for s in args.seeds for d in common.real_datasets(args.datasets)
    ]
    common.grid("tune_defaults", tasks, _run, workers=args.workers, desc="tune")


if __name__ == "__main__":
    main()
