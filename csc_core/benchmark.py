"""One data set, one seed: contrastive-sc and the reference pipelines, timed and scored — the unit of every grid."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from . import baselines, cluster, data, metrics
from .contrastive import DEFAULTS, fit_embedding, resolve_settings

#: Method names as the paper's result files spell them.
CSC_LEIDEN, CSC_KMEANS, SCANPY, PCA_KMEANS = "contrastive-sc", "Ensemble K-means", "scanpy", "PCA + KMeans"
METHODS = (CSC_LEIDEN, CSC_KMEANS, SCANPY, PCA_KMEANS)


def real_data_rows(dataset: str, seed: int, *, n_genes: int = DEFAULTS["n_genes"], epochs: int = DEFAULTS["epochs"],
                   n_neighbors: int = DEFAULTS["n_neighbors"], resolution: float | str = DEFAULTS["resolution"],
                   device: str = "auto", methods=METHODS, **train_params) -> list[dict]:
    """Score every method in ``methods`` on data set ``dataset`` with ``seed``.

    ``train_params`` go to :func:`csc_core.fit_embedding` (e.g. ``settings``, ``batch_size``, ``keep``).

    contrastive-sc trains once; its Leiden and KMeans rows share the embedding, and each row's ``seconds`` is
    preprocessing + training + that clustering. ``seconds`` never includes loading the file.

    Returns
    -------
    One dict per method: ``method``, ``ari``, ``nmi``, ``n_clusters``, ``n_types``, ``seconds``.
    """
    if isinstance(train_params.get("hidden"), str):  # as stored by csc_settings
        train_params["hidden"] = tuple(int(h) for h in train_params["hidden"].split("-"))
    adata = data.load(dataset)
    truth = adata.obs["cell_type"].to_numpy()
    k = adata.obs["cell_type"].nunique()
    rows = []

    def add(method, labels, seconds):
        rows.append({"method": method, **metrics.scores(truth, labels), "n_types": k, "seconds": seconds})

    if CSC_LEIDEN in methods or CSC_KMEANS in methods:
        emb, rec = fit_embedding(adata, n_genes=n_genes, epochs=epochs, seed=seed, device=device, progress=False,
                                 **train_params)
        fit_s = rec["timings"]["preprocess"] + rec["timings"]["train"]
        if CSC_LEIDEN in methods:
            t = time.perf_counter()
            labels = cluster.leiden(emb, n_neighbors=n_neighbors, resolution=resolution, seed=seed)
            add(CSC_LEIDEN, labels, fit_s + time.perf_counter() - t)
        if CSC_KMEANS in methods:
            t = time.perf_counter()
            add(CSC_KMEANS, cluster.kmeans(emb, n_clusters=k, seed=seed), fit_s + time.perf_counter() - t)
    if SCANPY in methods:
        t = time.perf_counter()
        add(SCANPY, baselines.scanpy_leiden(adata, n_genes=n_genes, seed=seed), time.perf_counter() - t)
    if PCA_KMEANS in methods:
        t = time.perf_counter()
        add(PCA_KMEANS, baselines.pca_kmeans(adata, n_clusters=k, n_genes=n_genes, seed=seed), time.perf_counter() - t)
    return rows


def csc_settings(preset: str = "default", **overrides) -> dict:
    """Every setting that identifies a contrastive-sc result: the preset (``"default"`` or ``"paper"``, stored in the
    ``settings`` column) with ``overrides`` applied.

    Stored rows carry these columns, so rows from other settings are never mixed into a figure.
    """
    settings = {"settings": preset, **resolve_settings(preset, **overrides)}
    settings["hidden"] = "-".join(str(h) for h in settings["hidden"])  # one CSV cell
    return settings


def real_data_grid(datasets, seeds, settings: dict, store, *, device: str = "auto", **grid) -> pd.DataFrame:
    """Run :func:`real_data_rows` for every data set × seed not yet in ``store``; return the stored rows of
    ``settings`` (``grid`` goes to :func:`csc_core.experiments.run_grid`, e.g. ``backend``)."""
    from functools import partial

    from .experiments import run_grid

    tasks = [{"dataset": d, "seed": s, **settings} for d in datasets for s in seeds]
    n_new = sum(not store.contains(t) for t in tasks)
    print(f"{settings['settings']} settings: {len(tasks)} tasks, {len(tasks) - n_new} read back from "
          f"{store.path.name}, {n_new} to run")
    run_grid(tasks, partial(real_data_rows, device=device), store, **{"progress": False, **grid})
    return store.select(**settings)


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
