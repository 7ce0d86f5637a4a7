"""The paper's two deep-learning competitors, re-implemented from their papers on one ZINB autoencoder.

- **scDeepCluster** (Tian et al. 2019): pretrain the ZINB denoising autoencoder (:mod:`csc_core.zinb`), initialise
  centres by KMeans on the latent space, then train autoencoder and centres together on the ZINB loss plus DEC's
  KL(p‖q) (Student-t q, sharpened target p recomputed each epoch), until fewer than ``tol`` of the cells change label.
- **scziDesk** (Chen et al. 2020): the same autoencoder, then a *weighted soft K-means*: each cell's weight on a centre
  is a softmax of minus its squared distances, the loss adds Σ_j w_ij d²_ij to the ZINB loss, and once the labels
  settle a self-training stage adds KL(p‖w) towards DEC's sharpened target.

Both need the number of clusters, as in the paper's comparison. They are written "-style": from the papers'
descriptions and their default settings, not from their code (TensorFlow / Keras), so details such as the optimiser of
the clustering stage follow the descriptions. ``scdeepcluster`` / ``sczidesk`` take AnnData (raw counts) and write
results the scanpy way; the torch parts never see AnnData.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable

import anndata as ad
import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .cluster import kmeans
from .cluster_network import ClusteringHead, target_distribution
from .contrastive import resolve_device
from .preprocess import preprocess
from .validation import check_counts
from .zinb import ZINBAutoencoder, pretrain, train_epoch

METHODS = ("scdeepcluster", "sczidesk")


def _kl(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    return (p * (torch.log(p.clamp_min(1e-12)) - torch.log(q.clamp_min(1e-12)))).sum(dim=1).mean()


class SoftKMeansHead(ClusteringHead):
    """scziDesk's weights: softmax over centres of ``-alpha`` × squared distance (rows sum to 1)."""

    def assign(self, d2: torch.Tensor) -> torch.Tensor:
        return torch.softmax(-self.alpha * d2, dim=1)


def joint_training(model: ZINBAutoencoder, head: nn.Module, x: torch.Tensor, counts: torch.Tensor,
                   size_factors: torch.Tensor, *, loss: Callable, optimizer: torch.optim.Optimizer, epochs: int,
                   batch_size: int = 256, tol: float = 1e-3, n_stages: int = 1, seed: int = 0,
                   progress: bool = True, desc: str = "clustering") -> tuple[np.ndarray, dict]:
    """Train autoencoder and clustering head together, in ``n_stages`` stages of at most ``epochs`` epochs in all.

    Each epoch: assignments ``q`` of every (noise-free) cell and DEC's target ``p`` from them; then minibatches with
    ``zinb_nll`` of the noisy reconstruction plus ``loss(q_batch, p_batch, d2_batch, stage)``. A stage ends when fewer
    than ``tol`` of the cells changed label since the previous epoch; after the last, training stops.
    Returns the labels (most probable cluster) and a record (``epochs_run``, ``loss``, ``changed`` per epoch and
    ``stage_starts``, the epoch each stage began).
    """
    gen = torch.Generator().manual_seed(seed)
    previous, history, changed, stage, starts = None, [], [], 0, [0]
    bar = tqdm(range(epochs), desc=desc, unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        with torch.no_grad():
            q_all = head(model.embed_all(x))[0]
        labels = q_all.argmax(dim=1).cpu().numpy()
        if previous is not None:
            changed.append(float(np.mean(labels != previous)))
            if changed[-1] < tol:
                if stage + 1 == n_stages:
                    break
                stage += 1
                starts.append(epoch)
        previous, p_all = labels, target_distribution(q_all)

        def clustering_term(idx, p_all=p_all, stage=stage):
            q, d2 = head(model.embed(x[idx]))
            return loss(q, p_all[idx], d2, stage)

        total = train_epoch(model, x, counts, size_factors, optimizer, batch_size=batch_size, generator=gen,
                            extra_loss=clustering_term)
        history.append(total)
        bar.set_postfix(loss=f"{total:.3f}")
    with torch.no_grad():
        labels = head(model.embed_all(x))[0].argmax(dim=1).cpu().numpy()
    return labels, {"epochs_run": len(history), "loss": np.asarray(history), "changed": np.asarray(changed),
                    "stage_starts": starts}


def zinb_inputs(adata: ad.AnnData, *, n_genes: int = 2000, layer: str | None = None, seed: int = 0):
    """The autoencoder's inputs: z-scored log expression and raw counts of the ``n_genes`` most variable genes, and
    each cell's size factor (its total count over all genes divided by the median total), as float32 arrays."""
    counts = adata.X if layer is None else adata.layers[layer]
    pre = preprocess(adata, n_genes=n_genes, layer=layer, seed=seed)
    genes = adata.var_names.get_indexer(pre.var_names)
    totals = np.asarray(counts.sum(axis=1)).ravel().astype(np.float64)
    raw = counts[:, genes]
    raw = np.asarray(raw.toarray() if hasattr(raw, "toarray") else raw, dtype=np.float32)
    return pre.X, raw, (totals / np.median(totals)).astype(np.float32)


def _centres(z: torch.Tensor, labels: np.ndarray, n_clusters: int) -> torch.Tensor:
    return torch.stack([z[torch.from_numpy(labels == c).to(z.device)].mean(0) for c in range(n_clusters)])


def fit_competitors(adata: ad.AnnData, methods=METHODS, *, n_clusters: int, n_genes: int = 2000,
                    pretrain_epochs: int = 300, cluster_epochs: int = 200, batch_size: int = 256,
                    seed: int = 0, device: str | torch.device = "auto", layer: str | None = None,
                    progress: bool = True) -> dict[str, tuple[np.ndarray, np.ndarray, dict]]:
    """Pretrain one ZINB autoencoder, then run each of ``methods`` (``"scdeepcluster"``, ``"sczidesk"``) from a copy.

    Both methods pretrain the same autoencoder with the same settings, so one pretraining serves both (the run of
    each is exactly what it would be alone). See :func:`scdeepcluster` for the parameters. Returns, per method,
    ``(labels, latent embedding, record)``; the record holds ``params``, ``pretrain_loss``, ``cluster_loss``,
    ``init_labels`` and ``timings`` (``preprocess``, ``pretrain``, ``cluster`` seconds — the first two shared).
    """
    methods = [methods] if isinstance(methods, str) else list(methods)
    unknown = set(methods) - set(METHODS)
    if unknown or not methods:
        raise ValueError(f"method must be one of {METHODS}, got {sorted(unknown) or methods!r}.")
    if n_clusters < 2:
        raise ValueError(f"n_clusters must be at least 2, got {n_clusters}.")
    counts = adata.X if layer is None else adata.layers[layer]
    check_counts(counts, min_cells=n_clusters)
    dev = resolve_device(device)
    t0 = time.perf_counter()
    x, raw, sf = (torch.from_numpy(a).to(dev) for a in zinb_inputs(adata, n_genes=n_genes, layer=layer, seed=seed))
    t1 = time.perf_counter()
    with torch.random.fork_rng(devices=[]):  # seed the initialisation without touching the caller's global RNG
        torch.manual_seed(seed)
        pretrained = ZINBAutoencoder(x.shape[1]).to(dev)
    pre_loss = pretrain(pretrained, x, raw, sf, epochs=pretrain_epochs, batch_size=batch_size, seed=seed,
                        progress=progress)
    t2 = time.perf_counter()
    z0 = pretrained.embed_all(x)
    init = kmeans(z0.cpu().numpy(), n_clusters=n_clusters, seed=seed)
    t_init = time.perf_counter() - t2
    out = {}
    for method in methods:
        t3 = time.perf_counter()
        model = copy.deepcopy(pretrained)
        if method == "scdeepcluster":
            head = ClusteringHead(_centres(z0, init, n_clusters)).to(dev)
            # DEC's clustering stage: Adadelta (scDeepCluster: lr 1, rho 0.95), KL weight gamma = 1
            opt = torch.optim.Adadelta([*model.parameters(), *head.parameters()], lr=1.0, rho=0.95)
            loss, n_stages = (lambda q, p, d2, stage: _kl(p, q)), 1  # noqa: E731
        else:
            head = SoftKMeansHead(_centres(z0, init, n_clusters)).to(dev)
            opt = torch.optim.Adam([*model.parameters(), *head.parameters()], lr=1e-3)
            n_stages = 2  # soft K-means until the labels settle, then self-training on top

            def loss(q, p, d2, stage):
                out = (q * d2).sum(dim=1).mean()
                return out + _kl(p, q) if stage == 1 else out
        labels, rec = joint_training(model, head, x, raw, sf, loss=loss, optimizer=opt, epochs=cluster_epochs,
                                     batch_size=batch_size, n_stages=n_stages, seed=seed, progress=progress,
                                     desc=method)
        t4 = time.perf_counter()
        params = {"method": method, "n_clusters": int(n_clusters), "n_genes": int(n_genes),
                  "n_genes_kept": int(x.shape[1]), "pretrain_epochs": int(pretrain_epochs),
                  "cluster_epochs": int(cluster_epochs), "epochs_run": int(rec["epochs_run"]),
                  "stage_starts": [int(e) for e in rec["stage_starts"]], "batch_size": int(batch_size),
                  "seed": int(seed), "device": str(dev), "layer": layer}
        record = {"params": params, "pretrain_loss": pre_loss, "cluster_loss": rec["loss"], "init_labels": init,
                  "timings": {"preprocess": t1 - t0, "pretrain": t2 - t1, "cluster": t_init + t4 - t3}}
        out[method] = (labels, model.embed_all(x).cpu().numpy(), record)
    return out


def fit_competitor(adata: ad.AnnData, method: str, **kwargs) -> tuple[np.ndarray, np.ndarray, dict]:
    """One competitor (``"scdeepcluster"`` or ``"sczidesk"``): :func:`fit_competitors` with a single method."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    return fit_competitors(adata, [method], **kwargs)[method]


def _annotate(adata, method, key_added, copy, **kw):
    adata = adata.copy() if copy else adata
    labels, latent, record = fit_competitor(adata, method, **kw)
    adata.obsm[f"X_{key_added}"] = latent
    adata.obs[f"{key_added}_cluster"] = np.asarray(labels).astype(str)
    adata.obs[f"{key_added}_cluster"] = adata.obs[f"{key_added}_cluster"].astype("category")
    adata.uns[key_added] = {"params": record["params"], "timings": record["timings"],
                            "pretrain_loss": record["pretrain_loss"], "cluster_loss": record["cluster_loss"]}
    return adata if copy else None


def scdeepcluster(adata: ad.AnnData, *, n_clusters: int, n_genes: int = 2000, pretrain_epochs: int = 300,
                  cluster_epochs: int = 200, batch_size: int = 256, seed: int = 0,
                  device: str | torch.device = "auto", layer: str | None = None, key_added: str = "scdeepcluster",
                  progress: bool = True, copy: bool = False) -> ad.AnnData | None:
    """scDeepCluster-style clustering :cite:p:`tian2019scdeepcluster` of raw counts, told the number of clusters.

    Parameters
    ----------
    adata
        Raw counts, cells × genes, in ``X`` (or ``layers[layer]``). ``X`` is never modified.
    n_clusters
        Number of clusters.
    n_genes
        Highly variable genes modelled (scDeepCluster recommends 2,000).
    pretrain_epochs
        Epochs of autoencoder pretraining (scDeepCluster: 300).
    cluster_epochs
        At most this many epochs of the clustering stage; it stops earlier once fewer than 0.1 % of the cells change
        cluster between epochs (scDeepCluster's ``tol``).
    batch_size
        Cells per minibatch (256).
    seed
        Seeds initialisation, noise, minibatches and KMeans. Same seed ⇒ same result on the same kind of CPU.
    device
        ``"auto"``, ``"cpu"`` or ``"cuda"`` (an explicit ``"cuda"`` without a GPU raises).
    layer
        Read counts from ``adata.layers[layer]``.
    key_added
        Writes ``obsm["X_{key_added}"]`` (latent space), ``obs["{key_added}_cluster"]`` and ``uns[key_added]``
        (``params``, ``timings``, losses).
    progress
        Progress bars over epochs.
    copy
        Return a modified copy instead of writing into ``adata``.
    """
    return _annotate(adata, "scdeepcluster", key_added, copy, n_clusters=n_clusters, n_genes=n_genes,
                     pretrain_epochs=pretrain_epochs, cluster_epochs=cluster_epochs, batch_size=batch_size,
                     seed=seed, device=device, layer=layer, progress=progress)


def sczidesk(adata: ad.AnnData, *, n_clusters: int, n_genes: int = 2000, pretrain_epochs: int = 300,
             cluster_epochs: int = 200, batch_size: int = 256, seed: int = 0,
             device: str | torch.device = "auto", layer: str | None = None, key_added: str = "sczidesk",
             progress: bool = True, copy: bool = False) -> ad.AnnData | None:
    """scziDesk-style clustering :cite:p:`chen2020scziDesk` (ZINB autoencoder + weighted soft K-means with
    self-training) of raw counts, told the number of clusters. Parameters as :func:`scdeepcluster`; the clustering
    stage runs soft K-means until fewer than 0.1 % of the cells change cluster, then adds self-training until they
    settle again (``cluster_epochs`` in all)."""
    return _annotate(adata, "sczidesk", key_added, copy, n_clusters=n_clusters, n_genes=n_genes,
                     pretrain_epochs=pretrain_epochs, cluster_epochs=cluster_epochs, batch_size=batch_size,
                     seed=seed, device=device, layer=layer, progress=progress)
