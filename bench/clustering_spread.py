"""Where the seed-to-seed spread of contrastive-sc's ARI comes from: training or clustering.

A seed drives both halves of a run: the encoders' training (initialisation, minibatches, gene subsets) and the
clustering (Leiden's random order, the silhouette sample of ``resolution="auto"``). Here each training seed's
embedding is clustered again with several clustering seeds, with the defaults' Leiden settings. Rows go to
``bench/results/clustering_spread.csv``: one per data set, training seed and clustering seed, with the processor.

    python -m bench clustering-spread [--datasets ...] [--seeds 0 1 2 3 4] [--cluster-seeds 10]
"""

from __future__ import annotations

import time
import warnings

from bench import common


def rows_for(dataset: str, seed: int, cluster_seeds: int) -> list[dict]:
    """Train the defaults once with ``seed``; cluster the embedding with clustering seeds ``0 … cluster_seeds − 1``."""
    import csc_core
    from csc_core import DEFAULTS
    from csc_core.data import metrics
    from csc_core.pipeline import cluster

    adata = csc_core.data.load(dataset)
    run = csc_core.contrastive_sc(adata, seed=seed, progress=False, copy=True)
    embedding, rows = run.obsm["X_csc"], []
    for cluster_seed in range(cluster_seeds):
        t0 = time.perf_counter()
        scores: list = []
        labels = cluster.leiden(
            embedding,
            n_neighbors=DEFAULTS.n_neighbors,
            resolution=DEFAULTS.resolution,
            seed=cluster_seed,
            scores=scores,
        )
        chosen = scores[0].loc[scores[0]["chosen"], "resolution"].iloc[0]
        if cluster_seed == seed:  # the clustering contrastive_sc itself ran: the same labels
            assert (labels == run.obs["csc_cluster"].astype(int).to_numpy()).all(), "clustering not reproduced"
        rows.append(
            {
                "dataset": dataset,
                "seed": seed,
                "cluster_seed": cluster_seed,
                "ari": metrics.scores(adata.obs["cell_type"], labels)["ari"],
                "n_clusters": int(len(set(labels))),
                "resolution": float(chosen),
                "cluster_seconds": time.perf_counter() - t0,
            }
        )
    return rows


def main(argv=None) -> None:
    import pandas as pd

    from csc_core.harness.runs import spread_sources

    p = common.parser("clustering-spread", __doc__)
    p.add_argument("--datasets", nargs="+", default=None)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--cluster-seeds", type=int, default=10)
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    common.set_threads(args.threads)
    when, table, rows = common.run_stamp(), common.store("clustering_spread"), []
    common.check_quiet("clustering-spread")
    for dataset in common.real_datasets(args.datasets):
        for seed in args.seeds:
            load = common.load_average()
            # one training seed at a time: an interrupted run keeps what it measured
            new = common.add(table, rows_for(dataset, seed, args.cluster_seeds), run=when, load=load)
            rows += new
            print(
                f"{dataset:32s} training seed {seed}: ARI {min(r['ari'] for r in new):.3f}–"
                f"{max(r['ari'] for r in new):.3f} over {args.cluster_seeds} clustering seeds",
                flush=True,
            )
    print(spread_sources(pd.DataFrame(rows)).round(3).to_string())


if __name__ == "__main__":
    main()
