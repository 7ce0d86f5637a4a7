"""Fitting the competitors: one ZINB autoencoder pretrained, then each competitor's clustering stage from a copy."""

from __future__ import annotations

import copy
import time

import anndata as ad
import numpy as np
import torch

from ..method.dec import centres_of
from ..method.device import resolve_device
from ..method.preprocess import preprocess
from ..method.validation import check_counts, check_int, check_seed
from ..pipeline.cluster import kmeans
from .fast_step import FastZINBStep, ZINBData, resolve_kernel, resolve_precision
from .joint import joint_training
from .protocol import PROTOCOL, Protocol
from .stages import STAGES
from .zinb import ZINBAutoencoder, pretrain

#: The competitors, by the names :func:`fit_competitors` takes.
METHODS = tuple(STAGES)


def zinb_inputs(adata: ad.AnnData, *, n_genes: int, layer: str | None = None, seed: int = 0):
    """The autoencoder's inputs from raw counts.

    Parameters
    ----------
    adata
        Raw counts in ``X`` (or ``layers[layer]``).
    n_genes
        Highly variable genes kept.
    layer
        Read counts from this layer.
    seed
        Seeds the gene ranking's subsample on very large data.

    Returns
    -------
    ``(x, counts, size_factors)`` as float32 arrays: the z-scored log expression and the raw counts of the
    ``n_genes`` most variable genes, and each cell's size factor (its total count over all genes divided by the
    median total).
    """
    counts = adata.X if layer is None else adata.layers[layer]
    pre = preprocess(adata, n_genes=n_genes, layer=layer, seed=seed)
    genes = adata.var_names.get_indexer(pre.var_names)
    totals = np.asarray(counts.sum(axis=1)).ravel().astype(np.float64)
    raw = counts[:, genes]
    raw = np.asarray(raw.toarray() if hasattr(raw, "toarray") else raw, dtype=np.float32)
    return pre.X, raw, (totals / np.median(totals)).astype(np.float32)


def fit_competitors(
    adata: ad.AnnData,
    methods=METHODS,
    *,
    n_clusters: int,
    protocol: Protocol = PROTOCOL,
    seed: int = 0,
    device: str | torch.device = "auto",
    layer: str | None = None,
    kernel: str = "auto",
    precision: str = "auto",
    progress: bool = True,
) -> dict[str, tuple[np.ndarray, np.ndarray, dict]]:
    """Pretrain one ZINB autoencoder, then run each of ``methods`` (``"scdeepcluster"``, ``"sczidesk"``) from a copy.

    Both methods pretrain the same autoencoder with the same settings, so one pretraining serves both (the run of
    each is exactly what it would be alone).

    Parameters
    ----------
    adata
        Raw counts, cells × genes.
    methods
        Names of :data:`METHODS`, or one name.
    n_clusters
        Number of clusters.
    protocol
        Genes, epochs and batch size (:data:`~csc_core.competitors.protocol.PROTOCOL`: the published ones).
    seed
        Seeds initialisation, noise, minibatches and KMeans.
    device
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    layer
        Read counts from this layer.
    kernel
        The training step: ``"auto"`` (the fast step on a CPU, the reference elsewhere), ``"fast"`` or ``"torch"``
        (:func:`csc_core.competitors.fast_step.resolve_kernel`).
    precision
        The fast step's matrix products: ``"auto"`` (bfloat16 where the CPU has hardware for it), ``"float32"`` or
        ``"bfloat16"``.
    progress
        Progress bars over epochs.

    Returns
    -------
    Per method, ``(labels, latent embedding, record)``; the record holds ``params``, ``pretrain_loss``,
    ``cluster_loss``, ``init_labels`` and ``timings`` (``preprocess``, ``pretrain``, ``cluster`` seconds — the first
    two shared).
    """
    methods = [methods] if isinstance(methods, str) else list(methods)
    unknown = set(methods) - set(METHODS)
    if unknown or not methods:
        raise ValueError(f"method must be one of {METHODS}, got {sorted(unknown) or methods!r}.")
    n_clusters = check_int("n_clusters", n_clusters, minimum=2)
    seed = check_seed(seed)
    counts = adata.X if layer is None else adata.layers[layer]
    check_counts(counts, min_cells=n_clusters, why=f"n_clusters={n_clusters}")
    dev = resolve_device(device)
    kernel_used = resolve_kernel(kernel, dev)
    precision_used = resolve_precision(precision) if kernel_used == "fast" else "float32"
    t0 = time.perf_counter()
    x, raw, sf = (
        torch.from_numpy(a).to(dev) for a in zinb_inputs(adata, n_genes=protocol.n_genes, layer=layer, seed=seed)
    )
    t1 = time.perf_counter()
    with torch.random.fork_rng(devices=[]):  # seed the initialisation without touching the caller's global RNG
        torch.manual_seed(seed)
        pretrained = ZINBAutoencoder(x.shape[1]).to(dev)
    pre_loss = pretrain(
        pretrained,
        x,
        raw,
        sf,
        epochs=protocol.pretrain_epochs,
        batch_size=protocol.batch_size,
        seed=seed,
        kernel=kernel_used,
        precision=precision_used,
        progress=progress,
    )
    t2 = time.perf_counter()
    z0 = pretrained.embed_all(x)
    init = kmeans(z0.cpu().numpy(), n_clusters=n_clusters, seed=seed)
    t_init = time.perf_counter() - t2
    out = {}
    for method in methods:
        t3 = time.perf_counter()
        model = copy.deepcopy(pretrained)
        step = None
        if kernel_used == "fast":
            step = FastZINBStep(model, ZINBData(x, raw, sf), precision=precision_used)
        stage = STAGES[method](model, centres_of(z0, init, n_clusters), None if step is None else [step.params])
        labels, rec = joint_training(
            model,
            stage.head,
            x,
            raw,
            sf,
            loss=stage.loss,
            optimizer=stage.optimizer,
            epochs=protocol.cluster_epochs,
            batch_size=protocol.batch_size,
            n_stages=stage.n_stages,
            seed=seed,
            progress=progress,
            desc=method,
            step=step,
        )
        t4 = time.perf_counter()
        params = {
            "method": method,
            "n_clusters": int(n_clusters),
            **protocol.asdict(),
            "n_genes_kept": int(x.shape[1]),
            "epochs_run": int(rec["epochs_run"]),
            "stage_starts": [int(e) for e in rec["stage_starts"]],
            "seed": int(seed),
            "device": str(dev),
            "kernel": kernel_used,
            "precision": precision_used,
            "layer": layer,
        }
        record = {
            "params": params,
            "pretrain_loss": pre_loss,
            "cluster_loss": rec["loss"],
            "init_labels": init,
            "timings": {"preprocess": t1 - t0, "pretrain": t2 - t1, "cluster": t_init + t4 - t3},
        }
        out[method] = (labels, model.embed_all(x).cpu().numpy(), record)
    return out


def fit_competitor(adata: ad.AnnData, method: str, **kwargs) -> tuple[np.ndarray, np.ndarray, dict]:
    """One competitor: :func:`fit_competitors` with a single method.

    Parameters
    ----------
    adata
        Raw counts, cells × genes.
    method
        ``"scdeepcluster"`` or ``"sczidesk"``.
    **kwargs
        As :func:`fit_competitors`.

    Returns
    -------
    ``(labels, latent embedding, record)``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    return fit_competitors(adata, [method], **kwargs)[method]
