"""The paper's variant (b): a clustering network on top of a contrastive encoder.

Centres are initialised by KMeans on the encoder's embedding; then encoder and centres are trained together on two
losses of DEC-style soft assignments (Xie et al. 2016): ``q`` — a Student-t kernel of the distance of each cell to each
centre, normalised over centres — is pulled towards DEC's sharpened target ``p`` (KL(p‖q), ``p`` recomputed from all
cells once per epoch), and a soft K-means term, the ``q``-weighted squared distances to the centres, tightens the
clusters (as scziDesk's weighted soft K-means). Labels are the most probable cluster. Needs the number of clusters.

Written here because no library offers DEC on a user-supplied torch encoder; the module never sees AnnData.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..method.dec import ClusteringHead, centres_of, kl_divergence, target_distribution
from .cluster import kmeans


def clustering_loss(q: torch.Tensor, p: torch.Tensor, d2: torch.Tensor, *, kmeans_weight: float) -> torch.Tensor:
    """KL(p‖q) per cell plus ``kmeans_weight`` × the soft K-means term Σ_j q_ij d²_ij, both averaged over cells.

    Parameters
    ----------
    q
        Soft assignments, cells × clusters.
    p
        DEC's target for the same cells.
    d2
        Squared distances to the centres.
    kmeans_weight
        Weight of the soft K-means term.

    Returns
    -------
    The loss (a scalar tensor).
    """
    return kl_divergence(p, q) + kmeans_weight * (q * d2).sum(dim=1).mean()


def train_cluster_network(
    encoder: nn.Module,
    x: torch.Tensor,
    *,
    n_clusters: int,
    epochs: int = 30,
    batch_size: int = 256,
    lr: float = 1e-3,
    kmeans_weight: float = 0.1,
    alpha: float = 1.0,
    seed: int = 0,
) -> tuple[np.ndarray, dict]:
    """Fine-tune ``encoder`` (cells × genes → cells × d) with a clustering head; return labels and a record.

    Parameters
    ----------
    encoder
        A trained encoder (e.g. one of :meth:`csc_core.method.encoder.EncoderEnsemble.encoders`); trained in place.
    x
        Preprocessed expression, cells × genes, on the encoder's device.
    n_clusters
        Number of clusters (centres).
    epochs
        Passes over the cells; DEC's target is recomputed from every cell at the start of each.
    batch_size, lr
        Minibatch size and Adam learning rate for encoder and centres.
    kmeans_weight
        Weight of the soft K-means term against KL(p‖q). The encoder is trained too, and the soft K-means term alone
        is minimised by moving every cell onto one centre: at weight 0.3 and above the embedding collapsed on the
        test data, at 0.1 it did not.
    alpha
        Degrees of freedom of the Student-t kernel (DEC: 1).
    seed
        Seeds KMeans and the minibatch order.

    Returns
    -------
    labels
        Most probable cluster of each cell after training.
    record
        ``loss`` per epoch, ``init_labels`` (KMeans on the encoder's embedding before fine-tuning) and ``changed``
        (share of cells whose label differs from that initialisation).
    """
    n = x.shape[0]
    if not 1 < n_clusters <= n:
        raise ValueError(f"n_clusters must be between 2 and the number of cells ({n}), got {n_clusters}.")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")

    def embed_all() -> torch.Tensor:
        encoder.eval()
        with torch.no_grad():
            return torch.cat([encoder(c) for c in x.split(8192)])

    z0 = embed_all()
    init = kmeans(z0.cpu().numpy(), n_clusters=n_clusters, seed=seed)
    centres = centres_of(z0, init, n_clusters)
    head = ClusteringHead(centres, alpha=alpha).to(x.device)
    opt = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=lr)
    gen = torch.Generator().manual_seed(seed)
    history = []
    for _ in range(epochs):
        with torch.no_grad():
            p_all = target_distribution(head(embed_all())[0])
        encoder.train()
        total, steps = 0.0, 0
        for idx in torch.randperm(n, generator=gen).split(batch_size):
            if idx.numel() < 2:  # BatchNorm needs two cells
                continue
            idx = idx.to(x.device)
            q, d2 = head(encoder(x[idx]))
            loss = clustering_loss(q, p_all[idx], d2, kmeans_weight=kmeans_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total, steps = total + loss.item(), steps + 1
        history.append(total / max(steps, 1))
    with torch.no_grad():
        labels = head(embed_all())[0].argmax(dim=1).cpu().numpy()
    return labels, {"loss": np.asarray(history), "init_labels": init, "changed": float(np.mean(labels != init))}
