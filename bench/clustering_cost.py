"""The cost of the clustering stage: ``resolution="auto"`` today, with the rule before it, and scanpy's one Leiden.

On each data set the default ensemble is trained once; then, interleaved ``--repeats`` times in the same process, the
clustering stage of contrastive-sc (kNN graph + the Leiden runs + silhouettes of ``"auto"``) is timed with today's
rule (seven resolutions, then the medoid of three Leiden starts at the chosen one) and with the rule before it (the
same resolutions, one start), beside scanpy's own clustering stage on its PCA (15-neighbour graph + one Leiden at
1.0). Medians go to ``bench/results/clustering_cost.csv`` with the machine's load: run it on an otherwise idle machine.

    python -m bench clustering-cost [--datasets worm_neuron_cell_select_2100 ...] [--repeats 7]
"""

from __future__ import annotations

import time

from bench import common


def measure(dataset: str, repeats: int) -> list[dict]:
    """Median seconds of each clustering stage on ``dataset``, the stages interleaved ``repeats`` times."""
    import functools
    from unittest import mock

    import numpy as np
    import scanpy as sc

    import csc_core
    from csc_core.pipeline import cluster, graph, resolution

    adata = csc_core.data.load(dataset)
    emb = csc_core.fit(adata, seed=0, progress=False).embedding
    work = adata.copy()
    sc.pp.normalize_total(work)
    sc.pp.log1p(work)
    sc.pp.highly_variable_genes(work, n_top_genes=2000)
    work = work[:, work.var["highly_variable"]].copy()
    work.X = work.X.toarray()
    sc.pp.scale(work, max_value=10)
    sc.pp.pca(work, n_comps=50, random_state=0)
    pcs = work.obsm["X_pca"]  # scanpy's representation, as baselines.scanpy_standard makes it

    def auto(resolutions, medoid=True):  # the rule, with ``medoid=False`` the rule before it
        select = functools.partial(resolution.select_resolution, resolutions=resolutions, medoid=medoid)
        with mock.patch.object(cluster, "select_resolution", select):
            return cluster.leiden(emb, n_neighbors=30, resolution="auto", seed=0)

    def scanpy_stage():
        return graph.leiden_on_graph(graph.knn_graph(pcs, n_neighbors=15, seed=0), resolution=1.0, seed=0)

    stages = {
        "auto (today)": lambda: auto(resolution.AUTO_RESOLUTIONS),
        "auto, one Leiden start (the rule before)": lambda: auto(resolution.AUTO_RESOLUTIONS, medoid=False),
        "scanpy (graph + Leiden 1.0)": scanpy_stage,
    }
    for run in stages.values():  # warm: numba kernels, igraph, first-call imports
        run()
    seconds = {name: [] for name in stages}
    for _ in range(repeats):
        for name, run in stages.items():
            t = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - t)
    base = float(np.median(seconds["scanpy (graph + Leiden 1.0)"]))
    return [
        dict(
            dataset=dataset,
            n_cells=adata.n_obs,
            stage=name,
            seconds=float(np.median(s)),
            ratio_to_scanpy=float(np.median(s)) / base,
            repeats=repeats,
        )
        for name, s in seconds.items()
    ]


def main(argv=None):
    import warnings

    p = common.parser("clustering-cost", __doc__, threads=2)
    p.add_argument("--datasets", nargs="+", default=["worm_neuron_cell_select_2100", "worm_neuron_cell"])
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args(argv)
    common.setup(threads=args.threads)
    warnings.filterwarnings("ignore", message="resolution='auto'")
    run, load = common.run_stamp(), common.check_quiet("clustering-cost")
    table = common.store("clustering_cost")
    for dataset in common.real_datasets(args.datasets):
        for row in common.add(table, measure(dataset, args.repeats), run=run, load=load):
            ratio = row["ratio_to_scanpy"]
            print(f"{row['dataset']:32s} {row['stage']:36s} {row['seconds']:.3f} s  × scanpy {ratio:.2f}")


if __name__ == "__main__":
    main()
