"""The teaching chapter's small experiments: train one small encoder, score an embedding, sweep one setting.

The chapter "Contrastive clustering from scratch" calls :func:`csc_core.pipeline.train.train_contrastive` itself once,
so the reader sees every argument; these functions repeat that call for its sweeps and exercises.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The teaching chapter's training: a small encoder (``genes → 64 → 32``) trained with the library's optimiser
#: settings for a fixed number of steps on whole minibatches of 128 cells.
#: The learning rate stays constant (the library's defaults lower it at the end): a decay would tie the rate to the
#: number of steps, which the sweeps vary.
TEACHING_TRAINING = {"hidden": (64, 32), "batch_size": 128, "lr": 1e-2, "lr_decay": 0.0, "mask": "batch"}


def kmeans_ari(z, truth, *, seed: int = 0) -> float:
    """ARI of KMeans on an embedding, told the true number of types (the labels only score).

    Parameters
    ----------
    z
        Cells × dimensions.
    truth
        The true label of each cell.
    seed
        Seeds KMeans.

    Returns
    -------
    float
        The adjusted Rand index.
    """
    from ..data import metrics
    from ..pipeline import cluster

    k = len(pd.unique(np.asarray(truth)))
    return float(metrics.scores(truth, cluster.kmeans(np.asarray(z), n_clusters=k, seed=seed))["ari"])


def train_encoder(
    x, *, steps: int, temperature: float = 0.07, keep: float = 0.2, n_models: int = 1, seed: int = 0
) -> tuple:
    """Train ``n_models`` small encoders (:data:`TEACHING_TRAINING`) on ``x`` for ``steps`` optimizer steps.

    Parameters
    ----------
    x
        The preprocessed cells × genes, a torch tensor on the device to train on.
    steps
        Optimizer steps.
    temperature
        NT-Xent's temperature.
    keep
        Share of genes each augmented view keeps.
    n_models
        Encoders in the ensemble.
    seed
        Seeds the weights, the minibatches and the views.

    Returns
    -------
    ensemble : csc_core.method.encoder.EncoderEnsemble
        The trained encoders.
    history : numpy.ndarray
        Mean loss per epoch and encoder.
    """
    from ..method.encoder import EncoderEnsemble
    from ..pipeline.train import train_contrastive

    s = TEACHING_TRAINING
    ensemble = EncoderEnsemble(n_models, x.shape[1], s["hidden"], seed=seed).to(x.device)
    history = train_contrastive(
        ensemble,
        x,
        epochs=1,
        min_steps=steps,
        batch_size=s["batch_size"],
        lr=s["lr"],
        lr_decay=s["lr_decay"],
        keep=keep,
        temperature=temperature,
        mask=s["mask"],
        seed=seed,
        progress=False,
    )
    return ensemble, history


def sweep(x, truth, name: str, values, *, steps: int, seeds=(0,)) -> pd.DataFrame:
    """Train one encoder per value of one setting (and seed); score each embedding with :func:`kmeans_ari`.

    Parameters
    ----------
    x
        The preprocessed cells × genes (torch tensor).
    truth
        The true label of each cell.
    name
        A keyword of :func:`train_encoder`: ``"temperature"``, ``"keep"`` or ``"n_models"``.
    values
        The values tried.
    steps
        Optimizer steps per training.
    seeds
        Seeds per value.

    Returns
    -------
    pandas.DataFrame
        One row per value and seed: ``name``, ``seed``, ``ARI``.
    """
    from ..method.encoder import embed

    rows = []
    for value in values:
        for seed in seeds:
            ensemble, _ = train_encoder(x, steps=steps, seed=seed, **{name: value})
            z = embed(ensemble, x).cpu().numpy()
            rows.append({name: value, "seed": seed, "ARI": kmeans_ari(z, truth, seed=seed)})
    return pd.DataFrame(rows)


def resolution_table(z, truth, *, n_neighbors: int = 30, seed: int = 0) -> tuple[np.ndarray, pd.DataFrame]:
    """Leiden with ``resolution="auto"`` on an embedding, and every resolution it tried, scored against the labels.

    Parameters
    ----------
    z
        Cells × dimensions.
    truth
        The true label of each cell (used only to score).
    n_neighbors
        Neighbours of the kNN graph.
    seed
        Seeds the graph and Leiden.

    Returns
    -------
    labels : numpy.ndarray
        The partition ``"auto"`` chose.
    table : pandas.DataFrame
        One row per resolution tried: ``resolution``, ``n_clusters``, ``silhouette``, ``chosen`` and ``ARI``.
    """
    from ..data import metrics
    from ..pipeline import cluster, graph

    scores: list = []
    labels = cluster.leiden(z, n_neighbors=n_neighbors, resolution="auto", seed=seed, scores=scores)
    table = scores[0].copy()
    knn = graph.knn_graph(z, n_neighbors=n_neighbors, seed=seed)
    partitions = graph.leiden_resolutions(knn, table["resolution"], seed=seed)
    table["ARI"] = [metrics.scores(truth, p)["ari"] for p in partitions]
    return labels, table
