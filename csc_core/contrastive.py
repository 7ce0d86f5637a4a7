"""The public entry point: ``contrastive_sc(adata)`` — raw counts in, embedding and clusters out (scanpy style)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

import anndata as ad
import numpy as np
import pandas as pd
import torch

from . import cluster
from .ensemble import EncoderEnsemble, embed
from .model import ContrastiveModel
from .preprocess import preprocess
from .stopping import StabilityStop, check_stop_settings
from .train import batches_per_epoch, resolve_kernel, train_contrastive
from .validation import check_counts

#: Defaults. The loss, temperature, gene count, ensemble size and augmentation strength follow the paper; the encoder
#: size, epochs, minimum steps, batch size, learning rate, augmentation form, neighbours and resolution were chosen by
#: measurement over six real data sets (``bench/tune_defaults.py``; the book's real-data and computational-cost chapters
#: show the tables): the highest mean Leiden ARI, preferring the cheaper setting among those within noise of it. A 64 →
#: 32 encoder trained for 10 epochs of minibatches of 128 — at least 500 steps — trains 8× faster than the first
#: defaults' 256 → 64 → 32 encoders over 50 epochs of 256 (worm, both through autograd: 2.1 s vs 16.9 s; with the
#: hand-derived step of :mod:`csc_core.fused_step`, 1.2 s; compiled, :mod:`csc_core.compiled_step`, 0.7 s, and 0.44 s
#: with its sparse first layer on an Intel), with mean ARI 0.647 vs 0.664 over the six data sets (seeds 0-2; worm 0.594
#: vs 0.543; ``bench/results/speed.md``). The resolution is chosen per data set without labels (``"auto"``:
#: :func:`csc_core.cluster.select_resolution`; ``bench/tune_resolution.py``): a fixed 0.3 under-clustered the 2,100-cell
#: worm set, where scanpy won (0.450 vs 0.498); with ``"auto"`` it gets 0.58.
DEFAULTS = {
    "n_genes": 1500,
    "n_models": 3,
    "hidden": (64, 32),
    "epochs": 10,
    "min_steps": 500,
    "batch_size": 128,
    "lr": 1e-2,
    "keep": 0.2,
    "temperature": 0.07,
    "mask": "batch",
    "n_neighbors": 30,
    "resolution": "auto",
}
#: The paper's own settings (real data: the authors' code and supplement): 256 → 64 → 32 encoders, 100 epochs of 300
#: cells, Adam 1e-3, per-cell gene dropout keeping 20 %, Leiden with 10 neighbours at resolution 1.
PAPER = {
    "n_genes": 1500,
    "n_models": 3,
    "hidden": (256, 64, 32),
    "epochs": 100,
    "min_steps": 0,
    "batch_size": 300,
    "lr": 1e-3,
    "keep": 0.2,
    "temperature": 0.07,
    "mask": "cell",
    "n_neighbors": 10,
    "resolution": 1.0,
}
PRESETS = {"default": DEFAULTS, "paper": PAPER}
#: The settings that shape training (the rest — ``n_neighbors``, ``resolution`` — shape the clustering).
TRAINING_SETTINGS = ("n_genes", "n_models", "hidden", "epochs", "min_steps", "batch_size", "lr", "keep",
                     "temperature", "mask")
CLUSTERINGS = ("leiden", "kmeans")


def resolve_settings(settings: str = "default", **overrides) -> dict:
    """The preset ``settings`` (``"default"`` or ``"paper"``) with every override that is not ``None`` applied."""
    if settings not in PRESETS:
        raise ValueError(f"settings must be one of {tuple(PRESETS)}, got {settings!r}.")
    unknown = set(overrides) - set(DEFAULTS)
    if unknown:
        raise KeyError(f"Unknown settings {sorted(unknown)}; known: {sorted(DEFAULTS)}.")
    return {**PRESETS[settings], **{k: v for k, v in overrides.items() if v is not None}}


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` → CUDA when available, else CPU. An explicit ``"cuda"`` without a GPU raises instead of falling back."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' was requested but PyTorch sees no CUDA device; use device='cpu' or 'auto'.")
    return device


def fit_ensemble(adata: ad.AnnData, *, settings: str = "default", seed: int = 0,
                 device: str | torch.device = "auto", layer: str | None = None, progress: bool = True,
                 early_stopping: bool | dict = False, kernel: str = "auto",
                 **overrides) -> tuple[EncoderEnsemble, torch.Tensor, dict]:
    """Preprocess raw counts and train the encoder ensemble; return it with its input and a record.

    ``overrides`` are training settings of :func:`fit_embedding` (``n_genes``, ``hidden``, ``epochs``, …); ``None``
    takes the preset's value. Returns the trained :class:`~csc_core.ensemble.EncoderEnsemble`, the preprocessed
    expression it was trained on (a cells × genes tensor on ``device``) and the record of :func:`fit_embedding` plus
    ``preprocessing`` (the genes read, their means and standard deviations, the target library size: what
    :class:`csc_core.model.ContrastiveModel` needs to embed new cells). For the variants that need the trained models
    themselves (one encoder, the clustering network) and for saving a model. ``early_stopping``: see
    :func:`contrastive_sc`; with it the record also holds ``stopping`` (each check's step, agreement and number of
    clusters, and ``stopped_at``). ``kernel``: see :func:`contrastive_sc`.
    """
    unknown = set(overrides) - set(TRAINING_SETTINGS)
    if unknown:
        raise KeyError(f"Unknown training settings {sorted(unknown)}; known: {list(TRAINING_SETTINGS)}.")
    stopping = stop_settings(early_stopping)  # checked before any work is done
    s = resolve_settings(settings, **overrides)
    dev = resolve_device(device)
    kernel = resolve_kernel(kernel, device=dev, mask=s["mask"])  # checked before any work is done
    t0 = time.perf_counter()
    pre = preprocess(adata, n_genes=s["n_genes"], layer=layer, seed=seed)
    x = torch.from_numpy(pre.X).to(dev)
    t1 = time.perf_counter()
    ensemble = EncoderEnsemble(s["n_models"], x.shape[1], s["hidden"], seed=seed).to(dev)
    stop = None if stopping is None else StabilityStop(x, min_steps=s["min_steps"], seed=seed, **stopping)
    history = train_contrastive(ensemble, x, epochs=s["epochs"], min_steps=s["min_steps"],
                                batch_size=s["batch_size"], lr=s["lr"], keep=s["keep"],
                                temperature=s["temperature"], mask=s["mask"], seed=seed, progress=progress, stop=stop,
                                kernel=kernel)
    t2 = time.perf_counter()
    steps_run = len(history) * batches_per_epoch(x.shape[0], s["batch_size"])
    if stop is not None and stop.stopped_at is not None:
        steps_run = stop.stopped_at
    params = {
        "settings": settings, "n_genes": int(s["n_genes"]), "n_genes_kept": int(pre.n_vars),
        "n_models": int(s["n_models"]), "hidden": [int(h) for h in s["hidden"]], "epochs": int(s["epochs"]),
        "min_steps": int(s["min_steps"]), "epochs_run": len(history), "steps_run": int(steps_run),
        "batch_size": int(s["batch_size"]),
        "lr": float(s["lr"]), "keep": float(s["keep"]), "temperature": float(s["temperature"]), "mask": s["mask"],
        "seed": int(seed), "device": str(dev), "kernel": kernel, "layer": layer,
        "early_stopping": False if stopping is None else stopping,  # the resolved settings of the check
    }
    record = {"params": params, "loss": history, "timings": {"preprocess": t1 - t0, "train": t2 - t1},
              "preprocessing": {"genes": list(pre.var_names), "mean": pre.var["mean"].to_numpy(np.float32),
                                "std": pre.var["std"].to_numpy(np.float32),
                                "target_sum": pre.uns["preprocess"]["params"]["target_sum"]}}
    if stop is not None:
        record["stopping"] = {"history": pd.DataFrame(stop.history).to_dict("list"), "stopped_at": stop.stopped_at}
    return ensemble, x, record


def stop_settings(early_stopping: bool | dict) -> dict | None:
    """The checked :class:`~csc_core.stopping.StabilityStop` settings ``early_stopping`` asks for (``True``: the
    defaults; a dict: those settings over the defaults), or ``None`` for ``False``."""
    if early_stopping is False:
        return None
    if early_stopping is True:
        return check_stop_settings()
    if isinstance(early_stopping, dict):
        return check_stop_settings(**early_stopping)
    raise TypeError(f"early_stopping must be True, False or a dict of settings, got {early_stopping!r}.")


def fit_embedding(
    adata: ad.AnnData,
    *,
    settings: str = "default",
    n_genes: int | None = None,
    n_models: int | None = None,
    hidden: Sequence[int] | None = None,
    epochs: int | None = None,
    min_steps: int | None = None,
    batch_size: int | None = None,
    lr: float | None = None,
    keep: float | None = None,
    temperature: float | None = None,
    mask: str | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    layer: str | None = None,
    progress: bool = True,
    early_stopping: bool | dict = False,
    kernel: str = "auto",
) -> tuple[np.ndarray, dict]:
    """Preprocess raw counts and train the encoder ensemble; return the concatenated embedding and a record.

    The record holds the resolved parameters (``params``), the loss per epoch and model (``loss``) and the seconds
    spent preprocessing and training (``timings``). See :func:`contrastive_sc` for the parameters.
    """
    ensemble, x, record = fit_ensemble(
        adata, settings=settings, seed=seed, device=device, layer=layer, progress=progress,
        early_stopping=early_stopping, kernel=kernel, n_genes=n_genes,
        n_models=n_models, hidden=hidden, epochs=epochs, min_steps=min_steps, batch_size=batch_size, lr=lr, keep=keep,
        temperature=temperature, mask=mask)
    t0 = time.perf_counter()
    embedding = embed(ensemble, x).cpu().numpy()
    record["timings"]["train"] += time.perf_counter() - t0  # embedding the cells counts as training, as before
    record.pop("preprocessing")
    return embedding, record


def contrastive_sc(
    adata: ad.AnnData,
    *,
    settings: str = "default",
    n_genes: int | None = None,
    n_models: int | None = None,
    hidden: Sequence[int] | None = None,
    epochs: int | None = None,
    min_steps: int | None = None,
    batch_size: int | None = None,
    lr: float | None = None,
    keep: float | None = None,
    temperature: float | None = None,
    mask: str | None = None,
    clustering: str = "leiden",
    n_neighbors: int | None = None,
    resolution: float | str | None = None,
    n_clusters: int | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    layer: str | None = None,
    key_added: str = "csc",
    save_model: str | os.PathLike | None = None,
    progress: bool = True,
    early_stopping: bool | dict = False,
    kernel: str = "auto",
    copy: bool = False,
) -> ad.AnnData | None:
    """Contrastive self-supervised clustering of single cells :cite:p:`ciortan2021contrastive`.

    Preprocesses raw counts (:func:`csc_core.preprocess.preprocess`), trains ``n_models`` MLP encoders with the
    NT-Xent loss on two gene-dropout views of every cell, concatenates their embeddings and clusters them with
    Leiden (no number of clusters needed) or KMeans.

    Every setting left at ``None`` takes the value of the preset ``settings`` (:data:`DEFAULTS` or :data:`PAPER`).

    Parameters
    ----------
    adata
        Raw counts, cells × genes, in ``X`` (or ``layers[layer]``). ``X`` is never modified.
    settings
        ``"default"``: ``csc_core``'s defaults, chosen by measurement; ``"paper"``: the paper's settings.
    n_genes
        Highly variable genes kept (paper: 1500 on real data, 500 on simulated data).
    n_models
        Encoders in the ensemble (paper: 3).
    hidden
        Layer sizes of each encoder; the last is the embedding size.
    epochs
        Training passes over the cells.
    min_steps
        At least this many optimizer steps: small data sets get more than ``epochs`` passes.
    batch_size
        Cells per minibatch.
    lr
        Adam learning rate.
    keep
        Share of genes each augmented view keeps (the paper finds ≤ 0.2 works best).
    temperature
        NT-Xent temperature.
    mask
        ``"batch"`` (one random gene subset per view and minibatch, fast) or ``"cell"`` (each cell its own subset).
    clustering
        ``"leiden"`` or ``"kmeans"`` (needs ``n_clusters``).
    n_neighbors
        Neighbours of the kNN graph Leiden runs on.
    resolution
        Leiden resolution; higher gives more clusters. ``"auto"`` (the default) tries
        :data:`csc_core.cluster.AUTO_RESOLUTIONS` and keeps the lowest whose partition's cosine silhouette on the
        embedding is within 0.02 of the best (:func:`csc_core.cluster.select_resolution`; no labels are used).
    n_clusters
        Number of clusters for KMeans.
    seed
        Seeds initialisation, minibatches, augmentation and clustering. Same seed ⇒ same result on the same kind of CPU.
    device
        ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
    layer
        Read counts from ``adata.layers[layer]``.
    key_added
        Prefix of the fields written.
    save_model
        Also write the trained encoders and the preprocessing they expect to this file, to embed new cells later
        (:func:`csc_core.load_model`, then :meth:`~csc_core.model.ContrastiveModel.embed`).
    progress
        Show progress bars: over the training epochs, then over the clustering steps (graph, each resolution tried),
        which take minutes at a million cells.
    early_stopping
        Stop training once the clusters of the embedding stop changing (:class:`csc_core.stopping.StabilityStop`:
        every 200 steps a fixed sample of 2,000 cells is clustered; two checks in a row that agree with the previous
        one at ARI ≥ 0.95 end training, never before ``min_steps``). ``True`` uses those settings, a dict overrides
        them (keys of :data:`csc_core.stopping.STOP_DEFAULTS`). Off by default: on 100,000 and 1,000,000 simulated
        cells it cut training in 3 runs of 4, for 0.007–0.03 lower ARI, and it rarely fires on data sets of a few
        thousand cells (the "Computational cost" chapter).
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    ``None`` (or the copy if ``copy=True``); writes

    ``adata.obsm["X_{key_added}"]``
        The concatenated embedding, cells × (n_models · hidden[-1]).
    ``adata.obs["{key_added}_cluster"]``
        Cluster labels (categorical).
    ``adata.uns[key_added]``
        ``params`` (every parameter, defaults resolved), ``loss`` (per epoch and encoder), ``timings`` (seconds of
        each stage: ``preprocess``, ``train``, ``graph`` (Leiden only), ``cluster``) and, with
        ``resolution="auto"``, ``resolution_scores`` (each resolution tried: ``n_clusters``, ``silhouette``,
        ``chosen``); with ``early_stopping``, ``stopping`` (each check's ``step``, ``agreement``, ``n_clusters`` and
        ``stopped_at``, ``None`` when training ran its full length).
    """
    if clustering not in CLUSTERINGS:
        raise ValueError(f"clustering must be one of {CLUSTERINGS}, got {clustering!r}.")
    graph = resolve_settings(settings, n_neighbors=n_neighbors, resolution=resolution)
    n_neighbors, resolution = graph["n_neighbors"], graph["resolution"]
    if isinstance(resolution, str) and resolution != "auto":
        raise ValueError(f"resolution must be a number or 'auto', got {resolution!r}.")
    if clustering == "kmeans" and n_clusters is None:
        raise ValueError("clustering='kmeans' needs n_clusters (the number of clusters).")
    counts = adata.X if layer is None else adata.layers[layer]
    check_counts(counts, min_cells=n_neighbors + 1 if clustering == "leiden" else max(n_clusters, 2))
    adata = adata.copy() if copy else adata
    ensemble, x, record = fit_ensemble(
        adata, settings=settings, n_genes=n_genes, n_models=n_models, hidden=hidden, epochs=epochs, min_steps=min_steps,
        batch_size=batch_size, lr=lr, keep=keep, temperature=temperature, mask=mask, seed=seed, device=device,
        layer=layer, progress=progress, early_stopping=early_stopping, kernel=kernel,
    )
    t0 = time.perf_counter()
    embedding = embed(ensemble, x).cpu().numpy()
    del x  # the preprocessed matrix (2 GB at a million cells) is not needed to cluster: free it before the graph
    record["timings"]["train"] += time.perf_counter() - t0  # embedding the cells counts as training
    preprocessing = record.pop("preprocessing")
    if clustering == "leiden":
        scores = []
        labels = cluster.leiden(embedding, n_neighbors=n_neighbors, resolution=resolution, seed=seed,
                                timings=record["timings"], scores=scores, progress=progress)
        if scores:
            record["resolution_scores"] = {c: scores[0][c].tolist() for c in scores[0].columns}
    else:
        t0 = time.perf_counter()
        labels = cluster.kmeans(embedding, n_clusters=n_clusters, seed=seed)
        record["timings"]["cluster"] = time.perf_counter() - t0
    if resolution != "auto":
        resolution = float(resolution)
    record["params"].update(clustering=clustering, n_neighbors=int(n_neighbors), resolution=resolution,
                            n_clusters=None if n_clusters is None else int(n_clusters))
    if save_model is not None:
        ContrastiveModel(ensemble=ensemble, params=record["params"], **preprocessing).save(save_model)
        record["params"]["saved_model"] = str(save_model)
    adata.obsm[f"X_{key_added}"] = embedding
    adata.obs[f"{key_added}_cluster"] = pd.Categorical(labels.astype(str), categories=[str(c) for c in np.unique(labels)])
    adata.uns[key_added] = record
    return adata if copy else None
