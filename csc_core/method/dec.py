"""The DEC clustering head (Xie et al. 2016): soft assignments of embeddings to trainable centres, and its target.

Shared by the paper's variant (b), the clustering network (:mod:`csc_core.pipeline.cluster_network`), and by the
competitors scDeepCluster and scziDesk (:mod:`csc_core.competitors`). Written here because no maintained library
offers DEC's head as a torch module to put on a user-supplied encoder; tensors only.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class ClusteringHead(nn.Module):
    """Soft assignments of embeddings to trainable centres with a Student-t kernel (``alpha`` degrees of freedom).

    Parameters
    ----------
    centres
        Initial centres, clusters × embedding size (copied).
    alpha
        Degrees of freedom of the Student-t kernel (DEC: 1); for :class:`SoftKMeansHead`, the softmax's sharpness.
    """

    def __init__(self, centres: torch.Tensor, *, alpha: float = 1.0):
        super().__init__()
        self.centres = nn.Parameter(centres.detach().clone())
        self.alpha = alpha

    def assign(self, d2: torch.Tensor) -> torch.Tensor:
        """Soft assignments from squared distances: the normalised Student-t kernel.

        Parameters
        ----------
        d2
            Squared distances, cells × clusters.

        Returns
        -------
        Cells × clusters, each row summing to 1.
        """
        kernel = (1.0 + d2 / self.alpha).pow(-(self.alpha + 1.0) / 2.0)
        return kernel / kernel.sum(dim=1, keepdim=True)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Soft assignments and squared distances of embeddings ``z`` (cells × d) to the centres.

        Parameters
        ----------
        z
            Embeddings, cells × d.

        Returns
        -------
        ``(q, d2)``: assignments (cells × clusters, rows sum to 1) and squared distances to the centres.
        """
        d2 = torch.cdist(z, self.centres).pow(2)
        return self.assign(d2), d2


class SoftKMeansHead(ClusteringHead):
    """scziDesk's weights: a softmax over centres of ``-alpha`` × squared distance (rows sum to 1).

    Parameters
    ----------
    centres
        Initial centres, clusters × embedding size (copied).
    alpha
        Sharpness of the softmax.
    """

    def assign(self, d2: torch.Tensor) -> torch.Tensor:
        """Soft K-means weights from squared distances.

        Parameters
        ----------
        d2
            Squared distances, cells × clusters.

        Returns
        -------
        Cells × clusters, each row summing to 1.
        """
        return torch.softmax(-self.alpha * d2, dim=1)


def target_distribution(q: torch.Tensor) -> torch.Tensor:
    """DEC's target: ``q`` squared and divided by each cluster's total, renormalised per cell (sharper, balanced).

    Parameters
    ----------
    q
        Soft assignments, cells × clusters.

    Returns
    -------
    The target ``p``, cells × clusters, rows summing to 1.
    """
    weight = q.pow(2) / q.sum(dim=0)
    return weight / weight.sum(dim=1, keepdim=True)


def kl_divergence(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """KL(p‖q) per cell, averaged over cells (both cells × clusters, rows summing to 1).

    Parameters
    ----------
    p, q
        Target and assignments.

    Returns
    -------
    A scalar tensor.
    """
    return (p * (torch.log(p.clamp_min(1e-12)) - torch.log(q.clamp_min(1e-12)))).sum(dim=1).mean()


def centres_of(z: torch.Tensor, labels, n_clusters: int) -> torch.Tensor:
    """Mean embedding of each cluster (the centres a KMeans initialisation gives).

    Parameters
    ----------
    z
        Embeddings, cells × d.
    labels
        Integer cluster of each cell (numpy), ``0 … n_clusters - 1``.
    n_clusters
        Number of clusters.

    Returns
    -------
    Centres, ``n_clusters`` × d.
    """
    labels = np.asarray(labels)
    return torch.stack([z[torch.from_numpy(labels == c).to(z.device)].mean(0) for c in range(n_clusters)])
