"""Where the seed-to-seed spread of contrastive-sc's ARI comes from: training or clustering.

A seed drives both halves of a run: the encoders' training (initialisation, minibatches, gene subsets) and the
clustering (Leiden's random order, the silhouette sample of ``resolution="auto"``). Here each training seed's
embedding is clustered again with several clustering seeds, with the defaults' Leiden settings. Rows go to
``bench/results/clustering_spread.csv``: one per data set, training seed, clustering seed and ``lr_decay``, with the
processor and the name of the rule ``"auto"`` stood for (``auto_rule``; rows without one were made before the medoid of
three Leiden starts); a training seed already stored for a data set, ``lr_decay``, processor and rule is skipped.
Averaged over the clustering seeds, a change of training (``--lr-decay 0 0.3``) is compared without Leiden's noise.

    python -m bench clustering-spread [--datasets ...] [--seeds 0 1 2 3 4] [--cluster-seeds 10] [--lr-decay 0 0.3]
"""

from __future__ import annotations

import time
import warnings

from bench import common


def rows_for(dataset: str, seed: int, cluster_seeds: int, lr_decay: float) -> list[dict]:
    """Train the defaults with ``lr_decay`` and ``seed``; cluster the embedding with seeds ``0 … cluster_seeds − 1``."""
    import csc_core
    from csc_core import DEFAULTS
    from csc_core.data import metrics
    from csc_core.pipeline import cluster

    adata = csc_core.data.load(dataset)
    run = csc_core.contrastive_sc(adata, seed=seed, lr_decay=lr_decay, progress=False, copy=True)
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
                "lr_decay": lr_decay,
                "cluster_seed": cluster_seed,
                "ari": metrics.scores(adata.obs["cell_type"], labels)["ari"],
                "n_clusters": int(len(set(labels))),
                "resolution": float(chosen),
                "cluster_seconds": time.perf_counter() - t0,
            }
        )
    return rows


def main(argv=None) -> None:
    from csc_core import DEFAULTS
    from csc_core.harness.machine import processor
    from csc_core.harness.runs import spread_sources, training_effect
    from csc_core.pipeline.resolution import AUTO_RULE

    p = common.parser("clustering-spread", __doc__)
    p.add_argument("--datasets", nargs="+", default=None)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--cluster-seeds", type=int, default=10)
    p.add_argument("--lr-decay", type=float, nargs="+", default=None, help="default: the defaults' share")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    common.set_threads(args.threads)
    when, table = common.run_stamp(), common.store("clustering_spread")
    common.check_quiet("clustering-spread")
    decays, datasets, cpu = args.lr_decay or [DEFAULTS.lr_decay], common.real_datasets(args.datasets), processor()
    rule = AUTO_RULE
    for lr_decay in decays:
        for dataset in datasets:
            for seed in args.seeds:
                if table.contains(
                    {"dataset": dataset, "seed": seed, "lr_decay": lr_decay, "cpu": cpu, "auto_rule": rule}
                ):
                    continue
                load = common.load_average()
                # one training seed at a time: an interrupted run keeps what it measured
                runs = [{**r, "auto_rule": rule} for r in rows_for(dataset, seed, args.cluster_seeds, lr_decay)]
                new = common.add(table, runs, run=when, load=load)
                print(
                    f"{dataset:32s} lr_decay {lr_decay:g}, training seed {seed}: ARI {min(r['ari'] for r in new):.3f}–"
                    f"{max(r['ari'] for r in new):.3f} over {args.cluster_seeds} clustering seeds",
                    flush=True,
                )
    rows = table.load()
    rows = rows[
        (rows["cpu"] == cpu)
        & (rows["auto_rule"] == rule)
        & rows["lr_decay"].isin(decays)
        & rows["dataset"].isin(datasets)
        & rows["seed"].isin(args.seeds)
    ]
    for lr_decay, part in rows.groupby("lr_decay"):
        print(f"lr_decay {lr_decay:g}:\n{spread_sources(part).round(3).to_string()}")
    if len(decays) > 1:
        print(training_effect(rows, "lr_decay").round(3).to_string())


if __name__ == "__main__":
    main()
