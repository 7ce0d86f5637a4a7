"""One data set, one seed: contrastive-sc and the reference pipelines, timed and scored — the unit of every grid."""

from __future__ import annotations

import time
from functools import partial

import numpy as np
import pandas as pd

from . import baselines, cluster, competitors, data, metrics, simulate
from .cluster_network import train_cluster_network
from .contrastive import DEFAULTS, fit_ensemble, resolve_device, resolve_settings
from .ensemble import embed
from .train import resolve_kernel

#: Method names as the paper's result files spell them.
CSC_LEIDEN, CSC_KMEANS, SCANPY, PCA_KMEANS = "contrastive-sc", "Ensemble K-means", "scanpy", "PCA + KMeans"
BASELINE_KMEANS, CLUSTER_NN, KMEANS = "Baseline k-means", "Cluster NN", "KMeans"
#: Variants the paper describes without a published column: Leiden on one encoder, and the co-association (S3).
BASELINE_LEIDEN, COASSOCIATION = "Baseline Leiden", "Co-association"
METHODS = (CSC_LEIDEN, CSC_KMEANS, SCANPY, PCA_KMEANS)
#: The clustering variants of Figure 3: (a) one encoder, (b) the clustering network, (c) the ensemble.
VARIANTS = (BASELINE_KMEANS, BASELINE_LEIDEN, CLUSTER_NN, CSC_KMEANS, CSC_LEIDEN)
#: Everything run on the simulated data sets: the variants and the reference pipelines. The co-association variant
#: (S3) is left out: its matrix is quadratic in cluster sizes (an 8,000-cell set cut into a few large clusters gives
#: tens of millions of entries and minutes per run); ask for it with ``methods=`` on small data.
SIMULATED_METHODS = (*VARIANTS, SCANPY, PCA_KMEANS, KMEANS)
ALL_METHODS = (*SIMULATED_METHODS, COASSOCIATION)
#: The deep-learning competitors (:mod:`csc_core.competitors`), as the paper's result files name them, and their
#: settings: the published defaults of scDeepCluster (2,000 genes, 300 pretraining epochs, minibatches of 256).
SCDEEPCLUSTER, SCZI = "scDeepCluster", "sczi"
COMPETITORS = {SCDEEPCLUSTER: "scdeepcluster", SCZI: "sczidesk"}
COMPETITOR_SETTINGS = {"n_genes": 2000, "pretrain_epochs": 300, "cluster_epochs": 200, "batch_size": 256}
#: Every method of the paper's real-data comparison (Figure 6), in its order, plus Leiden on one encoder.
REAL_DATA_METHODS = (CSC_LEIDEN, CSC_KMEANS, BASELINE_KMEANS, BASELINE_LEIDEN, CLUSTER_NN, SCANPY, SCZI,
                     SCDEEPCLUSTER, KMEANS, PCA_KMEANS)
_ENSEMBLE_METHODS = {*VARIANTS, COASSOCIATION}


def method_rows(adata, seed: int, *, methods=METHODS, n_genes: int = DEFAULTS["n_genes"],
                n_neighbors: int = DEFAULTS["n_neighbors"], resolution: float | str = DEFAULTS["resolution"],
                network_epochs: int = 30, device: str = "auto", **train_params) -> list[dict]:
    """Score every method in ``methods`` on ``adata`` (raw counts, ``obs["cell_type"]``) with ``seed``.

    contrastive-sc trains one ensemble; every variant shares it: the ensemble's embedding (Leiden, KMeans), its first
    encoder alone (variant a: KMeans, Leiden — encoders train independently, so this *is* a single encoder trained
    alone), the clustering network fine-tuned from that encoder for ``network_epochs`` (variant b, told k), and the
    co-association of the encoders' own Leiden partitions (S3, Leiden at resolution 1). A row's ``seconds`` is
    preprocessing + training + that method's own clustering. ``train_params`` go to :func:`csc_core.fit_ensemble`
    (``settings``, ``epochs``, ``batch_size``, …).

    Returns
    -------
    One dict per method: ``method``, ``ari``, ``nmi``, ``n_clusters``, ``n_types``, ``seconds``.
    """
    unknown = set(methods) - set(ALL_METHODS)
    if unknown:
        raise ValueError(f"Unknown methods {sorted(unknown)}; known: {list(ALL_METHODS)}.")
    if isinstance(train_params.get("hidden"), str):  # as stored by csc_settings
        train_params["hidden"] = tuple(int(h) for h in train_params["hidden"].split("-"))
    truth = adata.obs["cell_type"].to_numpy()
    k = adata.obs["cell_type"].nunique()
    rows = []

    def timed(method, run, base=0.0):
        if method in methods:
            t = time.perf_counter()
            labels = run()
            rows.append({"method": method, **metrics.scores(truth, labels), "n_types": k,
                         "seconds": base + time.perf_counter() - t})

    if _ENSEMBLE_METHODS & set(methods):
        ensemble, x, rec = fit_ensemble(adata, n_genes=n_genes, seed=seed, device=device, progress=False,
                                        **train_params)
        t = time.perf_counter()
        emb = embed(ensemble, x).cpu().numpy()
        fit_s = rec["timings"]["preprocess"] + rec["timings"]["train"] + time.perf_counter() - t
        d = emb.shape[1] // ensemble.n_models
        leiden = partial(cluster.leiden, n_neighbors=n_neighbors, resolution=resolution, seed=seed)
        timed(CSC_LEIDEN, lambda: leiden(emb), fit_s)
        timed(CSC_KMEANS, lambda: cluster.kmeans(emb, n_clusters=k, seed=seed), fit_s)
        timed(BASELINE_KMEANS, lambda: cluster.kmeans(emb[:, :d], n_clusters=k, seed=seed), fit_s)
        timed(BASELINE_LEIDEN, lambda: leiden(emb[:, :d]), fit_s)
        timed(COASSOCIATION, lambda: cluster.coassociation_leiden(
            [leiden(emb[:, i * d:(i + 1) * d]) for i in range(ensemble.n_models)], resolution=1.0, seed=seed), fit_s)
        timed(CLUSTER_NN, lambda: train_cluster_network(ensemble.encoders()[0], x, n_clusters=k,
                                                         epochs=network_epochs, seed=seed)[0], fit_s)
    timed(SCANPY, lambda: baselines.scanpy_leiden(adata, n_genes=n_genes, seed=seed))
    timed(PCA_KMEANS, lambda: baselines.pca_kmeans(adata, n_clusters=k, n_genes=n_genes, seed=seed))
    timed(KMEANS, lambda: baselines.kmeans_on_expression(adata, n_clusters=k, n_genes=n_genes, seed=seed))
    return rows


def real_data_rows(dataset: str, seed: int, **params) -> list[dict]:
    """:func:`method_rows` on the shared real data set ``dataset`` (loading the file is never timed)."""
    return method_rows(data.load(dataset), seed, **params)


def competitor_rows(adata, seed: int, *, methods=tuple(COMPETITORS), device: str = "auto", **settings) -> list[dict]:
    """The competitors (keys of :data:`COMPETITORS`) on ``adata`` (raw counts, ``obs["cell_type"]``), told the true
    number of clusters, from one shared pretraining; ``settings`` override :data:`COMPETITOR_SETTINGS`. One row per
    method: ``method``, ``ari``, ``nmi``, ``n_clusters``, ``n_types``, ``seconds`` (preprocessing + pretraining + its
    clustering stage: what the method costs alone) and each stage's seconds."""
    unknown = set(methods) - set(COMPETITORS)
    if unknown:
        raise ValueError(f"Unknown competitors {sorted(unknown)}; known: {list(COMPETITORS)}.")
    truth = adata.obs["cell_type"].to_numpy()
    k = adata.obs["cell_type"].nunique()
    runs = competitors.fit_competitors(adata, [COMPETITORS[m] for m in methods], n_clusters=k, seed=seed,
                                       device=device, progress=False, **{**COMPETITOR_SETTINGS, **settings})
    rows = []
    for method in methods:
        labels, _, rec = runs[COMPETITORS[method]]
        t = rec["timings"]
        rows.append({"method": method, **metrics.scores(truth, labels), "n_types": k, "seconds": sum(t.values()),
                     "pretrain_seconds": t["pretrain"], "cluster_seconds": t["cluster"],
                     "epochs_run": rec["params"]["epochs_run"]})
    return rows


def real_competitor_rows(dataset: str, seed: int, **settings) -> list[dict]:
    """:func:`competitor_rows` on the shared real data set ``dataset`` (loading is never timed)."""
    return competitor_rows(data.load(dataset), seed, **settings)


def competitor_grid(datasets, seeds, store, *, device: str = "auto", **grid) -> pd.DataFrame:
    """Run :func:`real_competitor_rows` (both competitors) for every data set × seed not yet in ``store`` (with
    :data:`COMPETITOR_SETTINGS`); return every stored row of those settings."""
    tasks = [{"dataset": d, "seed": s, **COMPETITOR_SETTINGS} for d in datasets for s in seeds]
    return _run_stored(tasks, partial(real_competitor_rows, device=device), store, COMPETITOR_SETTINGS, **grid)


def simulated_rows(kind: str, n_groups: int, dropout_mid: float, seed: int, **params) -> list[dict]:
    """:func:`method_rows` on the paper's simulated data set (:func:`csc_core.simulate.paper_dataset`, whose own
    seed is the paper's 100; ``seed`` seeds the methods). Simulating is never timed."""
    return method_rows(simulate.paper_dataset(kind, n_groups, dropout_mid), seed,
                       **{"methods": SIMULATED_METHODS, **params})


#: The training kernel of the result tables stored in ``results/`` (all computed before the compiled CPU step
#: existed): the book's chapters ask for it, so their stored rows are read back and re-running a chapter on the same
#: kind of processor reproduces them. ``-p kernel auto`` runs the compiled step instead (rows stored beside them).
BOOK_KERNEL = "torch"


def csc_settings(preset: str = "default", *, kernel: str = BOOK_KERNEL, device: str = "auto", **overrides) -> dict:
    """Every setting that identifies a contrastive-sc result: the preset (``"default"`` or ``"paper"``, stored in the
    ``settings`` column) with ``overrides`` applied, and the training ``kernel`` (``"auto"`` resolved for ``device``
    and the preset's mask: :func:`csc_core.train.resolve_kernel`).

    Stored rows carry these columns, so rows from other settings are never mixed into a figure. The kernel is among
    them because the two kernels round differently, so the same seed gives other numbers with each.
    """
    settings = {"settings": preset, **resolve_settings(preset, **overrides)}
    settings["hidden"] = "-".join(str(h) for h in settings["hidden"])  # one CSV cell
    settings["kernel"] = resolve_kernel(kernel, device=resolve_device(device), mask=settings["mask"])
    return settings


#: The paper's protocol on simulated data differs from its real-data one: 500 highly variable genes (of 2,500, of
#: which only ~10 % per group are differentially expressed) and five times the training (500 epochs). Measured here:
#: with 1,500 genes and the defaults' 500 steps, contrastive-sc scored 0.17 on the balanced 4-group set at dropout
#: mid 1 (paper 0.80); with 500 genes and ≥ 2,000 steps, 0.83.
SIMULATED_PROTOCOL = {"default": {"n_genes": 500, "min_steps": 2000}, "paper": {"n_genes": 500, "epochs": 500}}


def simulated_settings(preset: str = "default", **overrides) -> dict:
    """:func:`csc_settings` with the paper's simulated-data protocol (:data:`SIMULATED_PROTOCOL`) applied first."""
    return csc_settings(preset, **{**SIMULATED_PROTOCOL[preset], **overrides})


def real_data_grid(datasets, seeds, settings: dict, store, *, methods=METHODS, device: str = "auto",
                   **grid) -> pd.DataFrame:
    """Run :func:`real_data_rows` (``methods``) for every data set × seed not yet in ``store``; return the stored rows
    of ``settings`` (``grid`` goes to :func:`csc_core.experiments.run_grid`, e.g. ``backend``)."""
    tasks = [{"dataset": d, "seed": s, **settings} for d in datasets for s in seeds]
    return _run_stored(tasks, partial(real_data_rows, device=device, methods=methods), store, settings, **grid)


def simulated_grid(datasets, seeds, settings: dict, store, *, methods=SIMULATED_METHODS, device: str = "auto",
                   **grid) -> pd.DataFrame:
    """Run :func:`simulated_rows` for every simulated data set (``(kind, n_groups, dropout_mid)``) × seed not yet in
    ``store``; return every stored row of ``settings`` (also those of data sets and seeds run earlier, so a quick
    profile still shows the whole stored grid)."""
    tasks = [{"kind": kind, "n_groups": k, "dropout_mid": mid, "seed": s, **settings}
             for kind, k, mid in datasets for s in seeds]
    return _run_stored(tasks, partial(simulated_rows, device=device, methods=methods), store, settings, **grid)


def _run_stored(tasks: list[dict], run, store, settings: dict, **grid) -> pd.DataFrame:
    from .experiments import computed_on, run_grid

    n_new = sum(not store.contains(t) for t in tasks)
    label = f"{settings.get('settings', '')} settings: {len(tasks)} tasks"
    if n_new:
        print(f"{label}: running the {n_new} not stored in {store.path.name} …", flush=True)
    run_grid(tasks, run, store, **{"progress": False, **grid})
    rows = store.select(**settings)
    # the processor too: another type gives other per-seed numbers (the chapter "Computational cost")
    print(f"{label}, {len(tasks) - n_new} read back from {store.path.name}, {n_new} run; rows computed on "
          f"{computed_on(rows)}")
    return rows


def summary_table(measured: pd.DataFrame, paper: pd.DataFrame, methods=METHODS) -> pd.DataFrame:
    """Per data set and method: mean ARI over seeds (± sd, n), the paper's ARI, the difference, mean seconds."""
    g = measured[measured["method"].isin(methods)].groupby(["dataset", "method"])
    table = g.agg(ari=("ari", "mean"), ari_sd=("ari", "std"), seeds=("seed", "nunique"),
                  n_clusters=("n_clusters", "mean"), seconds=("seconds", "mean")).reset_index()
    pub = paper.rename(columns={"ari": "paper_ari"})[["dataset", "method", "paper_ari"]]
    table = table.merge(pub, on=["dataset", "method"], how="left")
    table["vs_paper"] = table["ari"] - table["paper_ari"]
    table["method"] = pd.Categorical(table["method"], categories=list(methods), ordered=True)
    return table.sort_values(["dataset", "method"]).reset_index(drop=True).round(3)


def training_comparison(tuning: pd.DataFrame, *, n_neighbors: int, resolution: float,
                        settings=("mask", "epochs", "batch_size", "lr")) -> pd.DataFrame:
    """Mean Leiden ARI per data set for each training setting of a tuning grid at one graph setting.

    ``settings`` are the columns that tell the training settings apart. When the grid stored ``train_seconds``, their
    mean over every run of a setting is added as a column.
    """
    rows = tuning[(tuning["n_neighbors"] == n_neighbors) & (tuning["resolution"] == resolution)]
    if "clustering" in rows.columns:
        rows = rows[rows["clustering"] == "leiden"]
    setting = [c for c in settings if c in rows.columns]
    table = rows.pivot_table(index=setting, columns="dataset", values="ari", aggfunc="mean")
    table["mean"] = table.mean(axis=1)
    if "train_seconds" in rows.columns:
        table["train seconds"] = rows.groupby(setting)["train_seconds"].mean()
    return table.round(3)


def resolution_rules(table: pd.DataFrame, *, tolerance: float = cluster.SILHOUETTE_TOLERANCE,
                     lowest: float = min(cluster.AUTO_RESOLUTIONS)) -> pd.DataFrame:
    """Replay ways of choosing the Leiden resolution on a table of partitions (``bench/tune_resolution``'s rows).

    For each data set × seed × ``n_neighbors``: fixed resolutions 0.3, 0.5 and the paper's 1.0; the best silhouette
    over every resolution; ``"auto"`` — the lowest resolution from ``lowest`` up whose silhouette is within
    ``tolerance`` of the best there (:func:`csc_core.cluster.pick_resolution`); and the oracle (best ARI: uses the
    labels, an upper bound, never a method). One row per rule with the chosen ``resolution`` and its ``ari``.
    """
    rows = []
    for (dataset, seed, k), g in table.groupby(["dataset", "seed", "n_neighbors"]):
        g = g.sort_values("resolution").reset_index(drop=True)
        sub = g[g["resolution"] >= lowest].reset_index(drop=True)
        picks = {f"fixed {r:g}": g.index[np.isclose(g["resolution"], r)] for r in (0.3, 0.5, 1.0)}
        picks = {name: g.loc[idx[0]] for name, idx in picks.items() if len(idx)}
        picks["best silhouette"] = g.loc[g["silhouette"].idxmax()]
        picks["auto"] = sub.loc[cluster.pick_resolution(sub["resolution"], sub["silhouette"], tolerance=tolerance)]
        picks["oracle (uses labels)"] = g.loc[g["ari"].idxmax()]
        for rule, row in picks.items():
            rows.append(dict(dataset=dataset, seed=seed, n_neighbors=k, rule=rule, resolution=row["resolution"],
                             ari=row["ari"], n_clusters=row["n_clusters"]))
    return pd.DataFrame(rows)


def preset_comparison(defaults: pd.DataFrame, paper_settings: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Per data set: contrastive-sc's mean ARI with the defaults and with the paper's settings, scanpy's in the
    defaults' runs, the published values, the margins, and mean seconds of each preset.

    ``defaults`` and ``paper_settings`` are stored rows of :func:`real_data_rows` (one preset each); ``published`` is
    :func:`csc_core.reference.paper_ari_for`'s frame.
    """
    def mean(rows, method, value="ari"):
        return rows[rows["method"] == method].groupby("dataset")[value].mean()

    pub = published.pivot_table(index="dataset", columns="method", values="ari")
    table = pd.DataFrame({
        "defaults": mean(defaults, CSC_LEIDEN),
        "paper settings": mean(paper_settings, CSC_LEIDEN),
        "scanpy (same runs)": mean(defaults, SCANPY),
        "published contrastive-sc": pub.get(CSC_LEIDEN),
        "published scanpy": pub.get(SCANPY),
    })
    table["defaults − scanpy"] = table["defaults"] - table["scanpy (same runs)"]
    table["defaults − published"] = table["defaults"] - table["published contrastive-sc"]
    table["seeds"] = defaults[defaults["method"] == CSC_LEIDEN].groupby("dataset")["seed"].nunique()
    table["seconds, defaults"] = mean(defaults, CSC_LEIDEN, "seconds")
    table["seconds, paper settings"] = mean(paper_settings, CSC_LEIDEN, "seconds")
    table.index.name = "dataset"
    return table.round(3)
