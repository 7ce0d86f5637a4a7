"""One data set, one seed: contrastive-sc and the reference pipelines, timed and scored — the unit of every grid."""

from __future__ import annotations

import time
from functools import partial

import torch

from .. import data
from .._docs import doc_params
from ..competitors import baselines, fit_competitors
from ..competitors.protocol import PROTOCOL
from ..data import metrics, simulate
from ..method.device import resolve_device
from ..method.encoder import embed
from ..method.preprocess import preprocess
from ..pipeline import cluster, coassociation
from ..pipeline.cluster_network import train_cluster_network
from ..pipeline.resolution import check_auto_rule
from ..pipeline.train import train_ensemble
from ..settings import resolve

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
#: tens of millions of entries); ask for it with ``methods=`` on small data.
SIMULATED_METHODS = (*VARIANTS, SCANPY, PCA_KMEANS, KMEANS)
ALL_METHODS = (*SIMULATED_METHODS, COASSOCIATION)
#: The deep-learning competitors (:mod:`csc_core.competitors`), as the paper's result files name them, and their
#: settings: the published defaults of scDeepCluster (2,000 genes, 300 pretraining epochs, minibatches of 256).
SCDEEPCLUSTER, SCZI = "scDeepCluster", "sczi"
COMPETITORS = {SCDEEPCLUSTER: "scdeepcluster", SCZI: "sczidesk"}
COMPETITOR_SETTINGS = PROTOCOL.asdict()
#: Every method of the paper's real-data comparison (Figure 6), in its order, plus Leiden on one encoder.
REAL_DATA_METHODS = (
    CSC_LEIDEN,
    CSC_KMEANS,
    BASELINE_KMEANS,
    BASELINE_LEIDEN,
    CLUSTER_NN,
    SCANPY,
    SCZI,
    SCDEEPCLUSTER,
    KMEANS,
    PCA_KMEANS,
)
#: The methods that share one trained ensemble (a row's ``seconds`` counts its training).
ENSEMBLE_METHODS = {*VARIANTS, COASSOCIATION}

#: The docstring texts the functions below share: contrastive-sc's and the competitors' rows, on a real data set or on
#: a simulated one.
_DOCS = dict(
    doc_dataset="""\
dataset
    A name of :func:`csc_core.data.available`.""",
    doc_simulated="""\
kind
    ``"balanced"`` or ``"imbalanced"``.
n_groups
    Number of groups: 4, 8, 16 or 32.
dropout_mid
    The dropout logistic's midpoint (the paper's −1, 0, 1, 1.5).""",
    doc_seed="""\
seed
    Seeds every method.""",
    doc_seed_competitors="""\
seed
    Seeds the pretraining and every competitor.""",
    doc_competitor_kwargs="""\
**settings
    Keyword arguments of :func:`competitor_rows` (``methods``, ``device``, Protocol fields).""",
    doc_returns="""\
Returns
-------
list of dict
    As :func:`method_rows`.""",
    doc_competitor_returns="""\
Returns
-------
list of dict
    As :func:`competitor_rows`.""",
)


@doc_params(**_DOCS)
def method_rows(
    adata,
    seed: int,
    *,
    methods=METHODS,
    settings: str = "default",
    network_epochs: int = 30,
    device: str = "auto",
    kernel: str = "auto",
    auto_rule: str | None = None,
    **overrides,
) -> list[dict]:
    """Score every method in ``methods`` on ``adata`` (raw counts, ``obs["cell_type"]``) with ``seed``.

    contrastive-sc trains one ensemble; every variant shares it: the ensemble's embedding (Leiden, KMeans), its first
    encoder alone (variant a: KMeans, Leiden — encoders train independently, so this *is* a single encoder trained
    alone), the clustering network fine-tuned from that encoder for ``network_epochs`` (variant b, told k), and the
    co-association of the encoders' own Leiden partitions (S3, Leiden at resolution 1). A row's ``seconds`` is
    preprocessing + training + that method's own clustering.

    Parameters
    ----------
    adata
        Raw counts with ``obs["cell_type"]``.
    {doc_seed}
    methods
        Names of :data:`ALL_METHODS`.
    settings
        contrastive-sc's preset (``"default"`` or ``"paper"``).
    network_epochs
        Epochs of the clustering network (variant b).
    device
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    kernel
        The training step (:func:`csc_core.kernels.resolve_kernel`).
    auto_rule
        As stored by :func:`csc_core.harness.grids.csc_settings`: with ``resolution="auto"`` it must name this
        version's rule (:data:`csc_core.pipeline.resolution.AUTO_RULE`), so no row is computed under another's name.
    **overrides
        Fields of :class:`csc_core.Settings` (``hidden`` also as stored, ``"64-32"``); the baselines use its
        ``n_genes``.

    Returns
    -------
    list of dict
        One per method: ``method``, ``ari``, ``nmi``, ``n_clusters``, ``n_types``, ``seconds``.

    Raises
    ------
    ValueError
        If ``methods`` names a method not in :data:`ALL_METHODS`.
    """
    unknown = set(methods) - set(ALL_METHODS)
    if unknown:
        raise ValueError(f"Unknown methods {sorted(unknown)}; known: {list(ALL_METHODS)}.")
    if isinstance(overrides.get("hidden"), str):  # as stored by csc_settings
        overrides["hidden"] = tuple(int(h) for h in overrides["hidden"].split("-"))
    s = resolve(settings, **overrides)
    if s.resolution == "auto" and auto_rule is not None:
        check_auto_rule(auto_rule)
    truth = adata.obs["cell_type"].to_numpy()
    k = adata.obs["cell_type"].nunique()
    rows = []

    def timed(method, run, base=0.0):
        if method in methods:
            t = time.perf_counter()
            labels = run()
            rows.append(
                {
                    "method": method,
                    **metrics.scores(truth, labels),
                    "n_types": k,
                    "seconds": base + time.perf_counter() - t,
                }
            )

    if ENSEMBLE_METHODS & set(methods):
        t = time.perf_counter()
        x = torch.from_numpy(preprocess(adata, n_genes=s.n_genes, seed=seed).X).to(resolve_device(device))
        training = s.training()
        del training["n_genes"]
        ensemble, _, _ = train_ensemble(x, **training, seed=seed, kernel=kernel, progress=False)
        emb = embed(ensemble, x).cpu().numpy()
        fit_s = time.perf_counter() - t
        d = emb.shape[1] // ensemble.n_models
        leiden = partial(cluster.leiden, n_neighbors=s.n_neighbors, resolution=s.resolution, seed=seed)
        timed(CSC_LEIDEN, lambda: leiden(emb), fit_s)
        timed(CSC_KMEANS, lambda: cluster.kmeans(emb, n_clusters=k, seed=seed), fit_s)
        timed(BASELINE_KMEANS, lambda: cluster.kmeans(emb[:, :d], n_clusters=k, seed=seed), fit_s)
        timed(BASELINE_LEIDEN, lambda: leiden(emb[:, :d]), fit_s)
        timed(
            COASSOCIATION,
            lambda: coassociation.coassociation_leiden(
                [leiden(emb[:, i * d : (i + 1) * d]) for i in range(ensemble.n_models)], resolution=1.0, seed=seed
            ),
            fit_s,
        )
        timed(
            CLUSTER_NN,
            lambda: train_cluster_network(ensemble.encoders()[0], x, n_clusters=k, epochs=network_epochs, seed=seed)[0],
            fit_s,
        )
    n_genes = s.n_genes
    timed(SCANPY, lambda: baselines.scanpy_leiden(adata, n_genes=n_genes, seed=seed))
    timed(PCA_KMEANS, lambda: baselines.pca_kmeans(adata, n_clusters=k, n_genes=n_genes, seed=seed))
    timed(KMEANS, lambda: baselines.kmeans_on_expression(adata, n_clusters=k, n_genes=n_genes, seed=seed))
    return rows


@doc_params(**_DOCS)
def real_data_rows(dataset: str, seed: int, **params) -> list[dict]:
    """:func:`method_rows` on the shared real data set ``dataset`` (loading the file is never timed).

    Parameters
    ----------
    {doc_dataset}
    {doc_seed}
    **params
        Keyword arguments of :func:`method_rows` (``methods``, ``settings``, ``device``, Settings fields, …).

    {doc_returns}
    """
    return method_rows(data.load(dataset), seed, **params)


@doc_params(**_DOCS)
def competitor_rows(
    adata,
    seed: int,
    *,
    methods=tuple(COMPETITORS),
    device: str = "auto",
    kernel: str = "auto",
    precision: str = "auto",
    **settings,
) -> list[dict]:
    """The competitors on ``adata``, told the true number of clusters, from one shared pretraining.

    Parameters
    ----------
    adata
        Raw counts with ``obs["cell_type"]``.
    {doc_seed_competitors}
    methods
        Keys of :data:`COMPETITORS`.
    device
        ``"auto"``, ``"cpu"`` or ``"cuda"``.
    kernel, precision
        The training step (:func:`csc_core.competitors.fit_competitors`'s).
    **settings
        Fields of :class:`csc_core.competitors.Protocol`, overriding :data:`COMPETITOR_SETTINGS`.

    Returns
    -------
    list of dict
        One per method: ``method``, ``ari``, ``nmi``, ``n_clusters``, ``n_types``, ``seconds`` (preprocessing +
        pretraining + its clustering stage: what the method costs alone), each stage's seconds
        (``pretrain_seconds``, ``cluster_seconds``) and ``epochs_run``.

    Raises
    ------
    ValueError
        If ``methods`` names a method not in :data:`COMPETITORS`.
    """
    unknown = set(methods) - set(COMPETITORS)
    if unknown:
        raise ValueError(f"Unknown competitors {sorted(unknown)}; known: {list(COMPETITORS)}.")
    truth = adata.obs["cell_type"].to_numpy()
    k = adata.obs["cell_type"].nunique()
    runs = fit_competitors(
        adata,
        [COMPETITORS[m] for m in methods],
        n_clusters=k,
        seed=seed,
        device=device,
        progress=False,
        protocol=PROTOCOL.replace(**settings),
        kernel=kernel,
        precision=precision,
    )
    rows = []
    for method in methods:
        labels, _, rec = runs[COMPETITORS[method]]
        t = rec["timings"]
        rows.append(
            {
                "method": method,
                **metrics.scores(truth, labels),
                "n_types": k,
                "seconds": sum(t.values()),
                "pretrain_seconds": t["pretrain"],
                "cluster_seconds": t["cluster"],
                "epochs_run": rec["params"]["epochs_run"],
            }
        )
    return rows


@doc_params(**_DOCS)
def real_competitor_rows(dataset: str, seed: int, **settings) -> list[dict]:
    """:func:`competitor_rows` on the shared real data set ``dataset`` (loading is never timed).

    Parameters
    ----------
    {doc_dataset}
    {doc_seed_competitors}
    {doc_competitor_kwargs}

    {doc_competitor_returns}
    """
    return competitor_rows(data.load(dataset), seed, **settings)


@doc_params(**_DOCS)
def simulated_rows(kind: str, n_groups: int, dropout_mid: float, seed: int, **params) -> list[dict]:
    """:func:`method_rows` on one of the paper's simulated data sets; simulating is never timed.

    The data set is :func:`csc_core.data.simulate.paper_dataset`'s, whose own seed is the paper's 100; ``seed`` seeds
    the methods.

    Parameters
    ----------
    {doc_simulated}
    {doc_seed}
    **params
        Keyword arguments of :func:`method_rows`; ``methods`` defaults to :data:`SIMULATED_METHODS`.

    {doc_returns}
    """
    return method_rows(
        simulate.paper_dataset(kind, n_groups, dropout_mid), seed, **{"methods": SIMULATED_METHODS, **params}
    )


@doc_params(**_DOCS)
def simulated_competitor_rows(kind: str, n_groups: int, dropout_mid: float, seed: int, **settings) -> list[dict]:
    """:func:`competitor_rows` on one of the paper's simulated data sets; simulating is never timed.

    Parameters
    ----------
    {doc_simulated}
    {doc_seed_competitors}
    {doc_competitor_kwargs}

    {doc_competitor_returns}
    """
    return competitor_rows(simulate.paper_dataset(kind, n_groups, dropout_mid), seed, **settings)
