"""How the early-stopping check's agreement and the final ARI evolve during one training, at several check resolutions.

One full-length training per data set and seed, observed every 200 steps (never stopped): the fixed 2,000-cell sample
of :class:`csc_core.pipeline.stopping.StabilityStop` is embedded and clustered at each resolution in
``--resolutions`` (its ARI with the previous check's partition is what the stopping rule compares with its
threshold), and all cells are embedded and clustered as ``contrastive_sc`` would finish at that step (the preset's
graph and resolution), scored against the published labels. Any stopping rule of the same kind (resolution,
agreement, patience) can then be replayed on the stored rows without training again
(:func:`csc_core.harness.stopping_tables.replay_stopping`): where it would have stopped and the ARI there, against the
ARI of the full training. Rows go to ``bench/results/stopping_trajectory.csv``.

    python -m bench stopping-trajectory [--cells 10000 30000] [--datasets all --settings paper] [--seeds 0 1 2]
"""

from __future__ import annotations

from bench import common
from bench.scale import simulated

RESOLUTIONS = (0.3, 0.5, 1.0)


def _observe(adata, seed: int, resolutions, **overrides) -> list[dict]:
    """Train with the preset (``overrides``) and a never-stopping observer; one row per check."""
    import math
    from unittest import mock

    from sklearn.metrics import adjusted_rand_score

    import csc_core
    from csc_core.method.encoder import embed
    from csc_core.pipeline import cluster, stopping
    from csc_core.settings import resolve

    settings = overrides.pop("settings", "default")
    graph = resolve(settings)
    truth = adata.obs["cell_type"].to_numpy()
    rows = []
    StabilityStop = stopping.StabilityStop  # the rule itself, before contrastive_sc's is replaced by the observer

    class Observer:
        """A stopping rule that never stops and records every check.

        One never-stopping :class:`~csc_core.pipeline.stopping.StabilityStop` per resolution (the rule's own sample
        and checks), plus the ARI of the whole pipeline at each check.
        """

        def __init__(self, x):
            self.x = x
            self.checks = {r: StabilityStop(x, min_steps=math.inf, resolution=r, seed=seed) for r in resolutions}
            self.stopped_at, self.history = None, []  # what contrastive_sc reads back from its rule

        def __call__(self, ensemble, step):
            if step % stopping.STOP_DEFAULTS["every"]:
                return False
            row = {"seed": seed, "settings": settings, "step": step}
            for r, check in self.checks.items():
                check(ensemble, step)
                row[f"agreement_{r:g}"] = check.history[-1]["agreement"]
                row[f"n_clusters_{r:g}"] = check.history[-1]["n_clusters"]
            full = embed(ensemble, self.x).cpu().numpy()
            labels = cluster.leiden(full, n_neighbors=graph.n_neighbors, resolution=graph.resolution, seed=seed)
            row["ari"] = adjusted_rand_score(truth, labels)
            rows.append(row)
            ensemble.train(True)  # embed() switched to eval mode
            return False

    # observe through the library's own path: contrastive_sc builds its stopping rule (imported from
    # csc_core.pipeline.stopping when training starts), here one that never stops
    with mock.patch.object(stopping, "StabilityStop", lambda x, **kw: Observer(x)):
        csc_core.contrastive_sc(adata, settings=settings, seed=seed, progress=False, early_stopping=True, **overrides)
    final = adjusted_rand_score(truth, adata.obs["csc_cluster"].to_numpy())
    params = adata.uns["csc"]["params"]
    return [
        {**row, "min_steps": params["min_steps"], "steps_total": params["steps_run"], "ari_final": final}
        for row in rows
    ]


def _job_sim(n_cells: int, seed: int, resolutions, threads: int | None = None) -> list[dict]:
    from csc_core.pipeline.graph import EXACT_KNN_MAX_CELLS

    common.setup(threads=threads, approximate_knn=n_cells > EXACT_KNN_MAX_CELLS)
    adata = simulated(n_cells, seed)
    return [{"data": f"splat {n_cells}", **r} for r in _observe(adata, seed, resolutions, n_genes=500)]


def _job_real(dataset: str, seed: int, settings: str, resolutions, threads: int | None = None) -> list[dict]:
    import csc_core

    common.setup(threads=threads)
    adata = csc_core.data.load(dataset)
    return [{"data": dataset, **r} for r in _observe(adata, seed, resolutions, settings=settings)]


def main(argv=None) -> None:
    from csc_core.harness.stopping_tables import stopping_rules_summary

    p = common.parser("stopping-trajectory", __doc__)
    p.add_argument("--cells", type=int, nargs="*", default=[10_000, 30_000])
    p.add_argument("--datasets", nargs="*", default=[], help="shared real data sets (or 'all')")
    p.add_argument("--settings", choices=["default", "paper"], default="paper", help="preset for --datasets")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--resolutions", type=float, nargs="+", default=list(RESOLUTIONS))
    args = p.parse_args(argv)
    when = common.run_stamp()
    tasks = [
        (f"splat {n}, seed {s}", _job_sim, (n, s, args.resolutions, args.threads))
        for n in args.cells
        for s in args.seeds
    ]
    if args.datasets:
        tasks += [
            (f"{d} ({args.settings}), seed {s}", _job_real, (d, s, args.settings, args.resolutions, args.threads))
            for d in common.real_datasets(args.datasets)
            for s in args.seeds
        ]
    table = common.store("stopping_trajectory")
    common.check_quiet("stopping-trajectory")
    for label, job, job_args in tasks:
        load = common.load_average()
        rows = common.add(table, common.run_isolated(job, *job_args), run=when, load=load)
        print(
            f"{label}: {len(rows)} checks, final ARI {rows[-1]['ari_final']:.3f}" if rows else f"{label}: no check",
            flush=True,
        )
    print(stopping_rules_summary(table.select(run=when), resolutions=args.resolutions).round(4).to_string())


if __name__ == "__main__":
    main()
