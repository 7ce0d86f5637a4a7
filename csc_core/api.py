"""The public entry points: ``fit(adata)`` → a trained model, and ``contrastive_sc(adata)`` → embedding and clusters.

The only layer, with data loading and preprocessing, that touches AnnData (scanpy conventions: ``adata`` first,
everything else keyword-only, results written to well-known slots with every parameter used recorded beside them).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from ._docs import (
    doc_adata,
    doc_copy,
    doc_device,
    doc_early_stopping,
    doc_kernel,
    doc_key_added,
    doc_layer,
    doc_overrides,
    doc_params,
    doc_progress,
    doc_seed,
    doc_settings,
    doc_use_raw,
)
from .counts import checked_input
from .kernels import resolve_kernel
from .method.device import resolve_device
from .method.encoder import embed
from .method.preprocess import preprocess
from .method.validation import (
    check_choice,
    check_int,
    check_key,
    check_seed,
    check_writable,
)
from .model import ContrastiveModel
from .pipeline import cluster
from .pipeline.resolution import AUTO_RULE
from .pipeline.train import batches_per_epoch, train_ensemble
from .settings import Settings, preset_name, resolve

if TYPE_CHECKING:
    import anndata as ad

#: How ``contrastive_sc`` clusters the embedding.
CLUSTERINGS = ("leiden", "kmeans")


def stop_settings(early_stopping: bool | dict) -> dict | None:
    """The checked :class:`~csc_core.pipeline.stopping.StabilityStop` settings ``early_stopping`` asks for.

    Parameters
    ----------
    early_stopping
        ``True`` (the defaults), a dict (those settings over the defaults) or ``False``.

    Returns
    -------
    The settings, or ``None`` for ``False``.
    """
    from .pipeline.stopping import check_stop_settings

    if early_stopping is False:
        return None
    if early_stopping is True:
        return check_stop_settings()
    if isinstance(early_stopping, dict):
        return check_stop_settings(**early_stopping)
    raise TypeError(f"early_stopping must be True, False or a dict of settings, got {early_stopping!r}.")


def check_seeds(seed, random_state) -> int:
    """The seed of a run given as ``seed`` or as scanpy's ``random_state`` (checked: an integer from 0 to 2**32 - 1).

    Parameters
    ----------
    seed
        The ``seed`` argument (default 0).
    random_state
        The ``random_state`` argument, ``None`` if not given; it must agree with ``seed`` unless ``seed`` is left at 0.

    Returns
    -------
    The seed as ``int``.
    """
    seed = check_seed(seed)
    if random_state is None:
        return seed
    random_state = check_seed(random_state, name="random_state")
    if seed not in (0, random_state):
        raise ValueError(
            f"seed={seed} and random_state={random_state} disagree; random_state is scanpy's name for seed: give one."
        )
    return random_state


def check_clustering(clustering, n_clusters) -> tuple[str, int | None]:
    """``clustering`` and ``n_clusters`` checked together: KMeans needs ``n_clusters`` (>= 1), Leiden refuses it.

    Parameters
    ----------
    clustering
        One of :data:`CLUSTERINGS`.
    n_clusters
        The number of clusters (KMeans only), or ``None``.

    Returns
    -------
    ``(clustering, n_clusters)``, ``n_clusters`` as ``int`` for KMeans.
    """
    clustering = check_choice("clustering", clustering, CLUSTERINGS)
    if clustering == "kmeans":
        if n_clusters is None:
            raise ValueError("clustering='kmeans' needs n_clusters (the number of clusters).")
        return clustering, check_int("n_clusters", n_clusters, minimum=1)
    if n_clusters is not None:
        raise ValueError(
            f"n_clusters is only used by clustering='kmeans', got n_clusters={n_clusters!r} with "
            f"clustering={clustering!r} (Leiden finds the number of clusters: set its resolution instead)."
        )
    return clustering, None


def _run_settings(settings, overrides, seed, random_state, early_stopping, device, kernel):
    """The checked settings, seed, stopping settings, device and kernel shared by :func:`fit` and contrastive_sc."""
    s = resolve(settings, **overrides)
    seed = check_seeds(seed, random_state)
    stopping = stop_settings(early_stopping)
    dev = resolve_device(device)
    return s, seed, stopping, dev, resolve_kernel(kernel, device=dev, mask=s.mask)


@doc_params(
    doc_adata=doc_adata,
    doc_settings=doc_settings,
    doc_seed=doc_seed,
    doc_device=doc_device,
    doc_layer=doc_layer,
    doc_progress=doc_progress,
    doc_early_stopping=doc_early_stopping,
    doc_kernel=doc_kernel,
    doc_overrides=doc_overrides,
    doc_use_raw=doc_use_raw,
)
def fit(
    adata: ad.AnnData,
    *,
    settings: str | Settings = "default",
    seed: int = 0,
    device: str | torch.device = "auto",
    layer: str | None = None,
    progress: bool = True,
    early_stopping: bool | dict = False,
    kernel: str = "auto",
    random_state: int | None = None,
    use_raw: bool = False,
    **overrides,
) -> ContrastiveModel:
    """Preprocess raw counts and train the encoder ensemble :cite:p:`ciortan2021contrastive`; return the model.

    Every argument is checked before any work is done.

    Parameters
    ----------
    {doc_adata}
    {doc_settings}
    {doc_seed}
    {doc_device}
    {doc_layer}
    {doc_progress}
    {doc_early_stopping}
    {doc_kernel}
    random_state
        scanpy's name for ``seed`` (give one of the two).
    {doc_use_raw}
    {doc_overrides}

    Returns
    -------
    The trained :class:`~csc_core.model.ContrastiveModel`: the ensemble, the preprocessing its input expects (to embed
    new cells), the embedding of the training cells (``embedding``), and the record of the run (``params``: every
    setting used; ``loss`` per epoch and encoder; ``timings``: seconds of ``preprocess`` and ``train``; with
    ``early_stopping``, ``stopping``).
    """
    s, seed, stopping, dev, kernel = _run_settings(
        settings, overrides, seed, random_state, early_stopping, device, kernel
    )
    data = checked_input(adata, layer, use_raw)
    model = _fit(
        data,
        s,
        preset=preset_name(settings),
        seed=seed,
        device=dev,
        layer=layer,
        progress=progress,
        stopping=stopping,
        kernel=kernel,
    )
    model.record["params"]["use_raw"] = use_raw
    return model


def _fit(
    adata, s: Settings, *, preset: str, seed: int, device: torch.device, layer, progress, stopping, kernel: str
) -> ContrastiveModel:
    """:func:`fit` after its checks."""
    t0 = time.perf_counter()
    pre = preprocess(adata, n_genes=s.n_genes, layer=layer, seed=seed)
    x = torch.from_numpy(pre.X).to(device)
    t1 = time.perf_counter()
    stop_factory = None
    if stopping is not None:
        from .pipeline.stopping import StabilityStop

        def stop_factory(x):
            return StabilityStop(x, min_steps=s.min_steps, seed=seed, **stopping)

    training = s.training()
    del training["n_genes"]
    ensemble, history, stop = train_ensemble(
        x, **training, seed=seed, kernel=kernel, progress=progress, stop_factory=stop_factory
    )
    embedding = embed(ensemble, x).cpu().numpy()
    del x  # the preprocessed matrix (2 GB at a million cells) is not needed any more
    t3 = time.perf_counter()
    steps_run = len(history) * batches_per_epoch(pre.n_obs, s.batch_size)
    if stop is not None and stop.stopped_at is not None:
        steps_run = stop.stopped_at
    params = {
        "settings": preset,
        **s.training(),
        "hidden": [int(h) for h in s.hidden],
        "n_genes_kept": int(pre.n_vars),
        "epochs_run": len(history),
        "steps_run": int(steps_run),
        "seed": int(seed),
        "device": str(device),
        "kernel": kernel,
        "layer": layer,
        "early_stopping": False if stopping is None else stopping,
    }  # the resolved settings of the check
    record = {"params": params, "loss": history, "timings": {"preprocess": t1 - t0, "train": t3 - t1}}
    if stop is not None:
        record["stopping"] = {"history": pd.DataFrame(stop.history).to_dict("list"), "stopped_at": stop.stopped_at}
    return ContrastiveModel(
        ensemble=ensemble,
        genes=list(pre.var_names),
        mean=pre.var["mean"].to_numpy(np.float32),
        std=pre.var["std"].to_numpy(np.float32),
        target_sum=pre.uns["preprocess"]["params"]["target_sum"],
        params=params,
        record=record,
        embedding=embedding,
    )


@doc_params(
    doc_adata=doc_adata,
    doc_settings=doc_settings,
    doc_seed=doc_seed,
    doc_device=doc_device,
    doc_layer=doc_layer,
    doc_key_added=doc_key_added,
    doc_progress=doc_progress,
    doc_early_stopping=doc_early_stopping,
    doc_kernel=doc_kernel,
    doc_copy=doc_copy,
    doc_overrides=doc_overrides,
    doc_use_raw=doc_use_raw,
)
def contrastive_sc(
    adata: ad.AnnData,
    *,
    settings: str | Settings = "default",
    clustering: str = "leiden",
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
    random_state: int | None = None,
    use_raw: bool = False,
    **overrides,
) -> ad.AnnData | None:
    """Contrastive self-supervised clustering of single cells :cite:p:`ciortan2021contrastive`.

    Preprocesses raw counts (:func:`csc_core.method.preprocess.preprocess`), trains ``n_models`` MLP encoders with
    the NT-Xent loss on two gene-dropout views of every cell (:func:`fit`), concatenates their embeddings and
    clusters them with Leiden (no number of clusters needed) or KMeans. Every argument is checked before any work
    is done.

    Parameters
    ----------
    {doc_adata}
    {doc_settings}
    clustering
        ``"leiden"`` (on the kNN graph of the embedding, at the settings' ``resolution``; ``"auto"`` chooses it per
        data set without labels) or ``"kmeans"`` (needs ``n_clusters``).
    n_clusters
        Number of clusters for KMeans (refused with Leiden, which finds it).
    {doc_seed}
    {doc_device}
    {doc_layer}
    {doc_key_added}
    save_model
        Also write the trained model to this file, to embed new cells later (:func:`csc_core.load_model`, then
        :meth:`~csc_core.model.ContrastiveModel.embed`). Checked for writability before any work.
    {doc_progress}
    {doc_early_stopping}
    {doc_kernel}
    {doc_copy}
    random_state
        scanpy's name for ``seed`` (give one of the two).
    {doc_use_raw}
    {doc_overrides}

    Returns
    -------
    ``None`` (or the copy if ``copy=True``); writes

    ``adata.obsm["X_{{key_added}}"]``
        The concatenated embedding, cells × (n_models · hidden[-1]).
    ``adata.obs["{{key_added}}_cluster"]``
        Cluster labels (categorical).
    ``adata.uns[key_added]``
        ``params`` (every parameter, defaults resolved; with Leiden, ``resolution`` is the one used, chosen under
        ``"auto"``, beside ``resolution_rule`` and ``n_neighbors``; ``n_clusters`` is the number found), ``loss``
        (per epoch and encoder), ``timings`` (seconds of each stage: ``preprocess``, ``train``, ``graph`` (Leiden
        only), ``cluster``) and, with
        ``resolution="auto"``, ``resolution_scores`` (each resolution tried: ``n_clusters``, ``silhouette``,
        ``chosen``); with ``early_stopping``, ``stopping`` (each check's ``step``, ``agreement``, ``n_clusters`` and
        ``stopped_at``, ``None`` when training ran its full length).
    """
    clustering, n_clusters = check_clustering(clustering, n_clusters)
    key_added = check_key("key_added", key_added)
    if save_model is not None:
        check_writable("save_model", save_model)
    s, seed, stopping, dev, kernel = _run_settings(
        settings, overrides, seed, random_state, early_stopping, device, kernel
    )
    if clustering == "leiden":
        needs = dict(
            min_cells=s.n_neighbors + 1,
            why=f"n_neighbors={s.n_neighbors}: the kNN graph needs more cells than neighbours; "
            "pass a smaller n_neighbors",
        )
    else:
        needs = dict(min_cells=max(n_clusters, 2), why=f"n_clusters={n_clusters}")
    data = checked_input(adata, layer, use_raw, **needs)
    adata = adata.copy() if copy else adata
    model = _fit(
        data if use_raw else adata,
        s,
        preset=preset_name(settings),
        seed=seed,
        device=dev,
        layer=layer,
        progress=progress,
        stopping=stopping,
        kernel=kernel,
    )
    record = model.record
    embedding = model.embedding
    if clustering == "leiden":
        scores = []
        labels = cluster.leiden(
            embedding,
            n_neighbors=s.n_neighbors,
            resolution=s.resolution,
            seed=seed,
            timings=record["timings"],
            scores=scores,
            progress=progress,
        )
        if scores:
            record["resolution_scores"] = {c: scores[0][c].tolist() for c in scores[0].columns}
        chosen = scores[0].loc[scores[0]["chosen"], "resolution"].item() if scores else s.resolution
    else:
        t0 = time.perf_counter()
        labels = cluster.kmeans(embedding, n_clusters=n_clusters, seed=seed)
        record["timings"]["cluster"] = time.perf_counter() - t0
    record["params"].update(
        use_raw=use_raw,
        clustering=clustering,
        n_neighbors=s.n_neighbors if clustering == "leiden" else None,
        resolution=float(chosen) if clustering == "leiden" else None,
        resolution_rule=(AUTO_RULE if s.resolution == "auto" else "fixed") if clustering == "leiden" else None,
        n_clusters=int(np.unique(labels).size),
    )
    if save_model is not None:
        model.save(save_model)
        record["params"]["saved_model"] = str(save_model)
    adata.obsm[f"X_{key_added}"] = embedding
    adata.obs[f"{key_added}_cluster"] = pd.Categorical(
        labels.astype(str), categories=[str(c) for c in np.unique(labels)]
    )
    adata.uns[key_added] = record
    return adata if copy else None
