"""The competitors for AnnData: ``scdeepcluster(adata, n_clusters=k)`` and ``sczidesk(adata, n_clusters=k)``."""

from __future__ import annotations

import anndata as ad
import numpy as np
import torch

from .._docs import doc_copy, doc_device, doc_layer, doc_n_clusters_competitor, doc_params, doc_progress, doc_seed
from .fit import fit_competitor
from .protocol import PROTOCOL

_PROTOCOL_DOC = """\
n_genes
    Highly variable genes modelled (default: 2,000, scDeepCluster's recommendation).
pretrain_epochs
    Epochs of autoencoder pretraining (default: 300).
cluster_epochs
    At most this many epochs of the clustering stage (default: 200); it stops earlier once fewer than 0.1 % of the
    cells change cluster between epochs.
batch_size
    Cells per minibatch (default: 256)."""


_KEY_ADDED_DOC = """\
key_added
    Writes ``obsm["X_{key_added}"]`` (latent space), ``obs["{key_added}_cluster"]`` and ``uns[key_added]``."""

_RETURNS_DOC = """\
Returns
-------
``None``, or the annotated copy with ``copy=True``; writes ``obsm["X_{key_added}"]``,
``obs["{key_added}_cluster"]`` (categorical) and ``uns[key_added]`` (``params``, ``timings``, losses)."""

#: The docstring texts both competitors' functions share.
_DOCS = dict(
    doc_seed=doc_seed,
    doc_device=doc_device,
    doc_layer=doc_layer,
    doc_progress=doc_progress,
    doc_copy=doc_copy,
    doc_n_clusters=doc_n_clusters_competitor,
    doc_protocol=_PROTOCOL_DOC,
    doc_key_added=_KEY_ADDED_DOC,
    doc_returns=_RETURNS_DOC,
)


def _annotate(adata, method, key_added, copy, *, n_genes, pretrain_epochs, cluster_epochs, batch_size, **kw):
    if not isinstance(key_added, str) or not key_added:
        raise ValueError(f"key_added must be a non-empty string, got {key_added!r}.")
    protocol = PROTOCOL.replace(
        n_genes=n_genes, pretrain_epochs=pretrain_epochs, cluster_epochs=cluster_epochs, batch_size=batch_size
    )
    adata = adata.copy() if copy else adata
    labels, latent, record = fit_competitor(adata, method, protocol=protocol, **kw)
    adata.obsm[f"X_{key_added}"] = latent
    adata.obs[f"{key_added}_cluster"] = np.asarray(labels).astype(str)
    adata.obs[f"{key_added}_cluster"] = adata.obs[f"{key_added}_cluster"].astype("category")
    adata.uns[key_added] = {
        "params": record["params"],
        "timings": record["timings"],
        "pretrain_loss": record["pretrain_loss"],
        "cluster_loss": record["cluster_loss"],
    }
    return adata if copy else None


@doc_params(**_DOCS)
def scdeepcluster(
    adata: ad.AnnData,
    *,
    n_clusters: int,
    n_genes: int | None = None,
    pretrain_epochs: int | None = None,
    cluster_epochs: int | None = None,
    batch_size: int | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    layer: str | None = None,
    key_added: str = "scdeepcluster",
    progress: bool = True,
    copy: bool = False,
) -> ad.AnnData | None:
    """scDeepCluster-style clustering :cite:p:`tian2019scdeepcluster` of raw counts, told the number of clusters.

    A ZINB denoising autoencoder is pretrained on the counts, centres are initialised by KMeans on its latent space,
    then autoencoder and centres are trained together on the ZINB loss plus DEC's KL(p‖q)
    (:mod:`csc_core.competitors.stages`). Settings left at ``None`` take the published protocol's
    (:data:`csc_core.competitors.protocol.PROTOCOL`).

    Parameters
    ----------
    adata
        Raw counts, cells × genes, in ``X`` (or ``layers[layer]``). ``X`` is never modified.
    {doc_n_clusters}
    {doc_protocol}
    {doc_seed}
    {doc_device}
    {doc_layer}
    {doc_key_added}
    {doc_progress}
    {doc_copy}

    {doc_returns}
    """
    return _annotate(
        adata,
        "scdeepcluster",
        key_added,
        copy,
        n_clusters=n_clusters,
        n_genes=n_genes,
        pretrain_epochs=pretrain_epochs,
        cluster_epochs=cluster_epochs,
        batch_size=batch_size,
        seed=seed,
        device=device,
        layer=layer,
        progress=progress,
    )


@doc_params(**_DOCS)
def sczidesk(
    adata: ad.AnnData,
    *,
    n_clusters: int,
    n_genes: int | None = None,
    pretrain_epochs: int | None = None,
    cluster_epochs: int | None = None,
    batch_size: int | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
    layer: str | None = None,
    key_added: str = "sczidesk",
    progress: bool = True,
    copy: bool = False,
) -> ad.AnnData | None:
    """scziDesk-style clustering :cite:p:`chen2020scziDesk` of raw counts, told the number of clusters.

    The same pretrained ZINB autoencoder as :func:`scdeepcluster`, then a weighted soft K-means until fewer than
    0.1 % of the cells change cluster, then self-training on top until they settle again
    (:mod:`csc_core.competitors.stages`).

    Parameters
    ----------
    adata
        Raw counts, cells × genes, in ``X`` (or ``layers[layer]``). ``X`` is never modified.
    {doc_n_clusters}
    {doc_protocol}
    {doc_seed}
    {doc_device}
    {doc_layer}
    {doc_key_added}
    {doc_progress}
    {doc_copy}

    {doc_returns}
    """
    return _annotate(
        adata,
        "sczidesk",
        key_added,
        copy,
        n_clusters=n_clusters,
        n_genes=n_genes,
        pretrain_epochs=pretrain_epochs,
        cluster_epochs=cluster_epochs,
        batch_size=batch_size,
        seed=seed,
        device=device,
        layer=layer,
        progress=progress,
    )
