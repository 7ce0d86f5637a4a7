"""The two competitors' clustering stages on the pretrained ZINB autoencoder.

They are what sets scDeepCluster and scziDesk apart:

- **scDeepCluster** (Tian et al. 2019): DEC's Student-t head, KL(p‖q) towards the sharpened target (weight 1), the
  ZINB loss kept; Adadelta (lr 1, rho 0.95), one stage.
- **scziDesk** (Chen et al. 2020): a weighted soft K-means (each cell's weight on a centre a softmax of minus its
  squared distances), Σ_j w_ij d²_ij added to the ZINB loss; Adam 1e-3; once the labels settle, a second stage adds
  self-training, KL(p‖w) towards DEC's sharpened target.

Both are written from the papers' descriptions and default settings, not from their code (TensorFlow / Keras), so
details such as the optimiser of the clustering stage follow the descriptions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from ..method.dec import ClusteringHead, SoftKMeansHead, kl_divergence


@dataclass
class Stage:
    """A clustering stage ready to run with :func:`~csc_core.competitors.joint.joint_training`.

    Parameters
    ----------
    head
        The clustering head (its centres are trained).
    optimizer
        Over the autoencoder's and the head's parameters.
    loss
        ``loss(q, p, d2, stage)``: a minibatch's clustering term.
    n_stages
        How many stages ``joint_training`` runs.
    """

    head: nn.Module
    optimizer: torch.optim.Optimizer
    loss: Callable
    n_stages: int


def scdeepcluster_stage(model: nn.Module, centres: torch.Tensor, params=None) -> Stage:
    """scDeepCluster's clustering stage from KMeans ``centres`` on the latent space.

    Parameters
    ----------
    model
        The autoencoder to fine-tune.
    centres
        Initial centres, clusters × latent size.
    params
        The autoencoder's parameters for the optimiser (default ``model.parameters()``; the fast step's flat vector).

    Returns
    -------
    The stage.
    """
    head = ClusteringHead(centres).to(centres.device)
    # DEC's clustering stage: Adadelta (scDeepCluster: lr 1, rho 0.95), KL weight gamma = 1
    opt = torch.optim.Adadelta(
        [*(model.parameters() if params is None else params), *head.parameters()], lr=1.0, rho=0.95
    )
    return Stage(head, opt, lambda q, p, d2, stage: kl_divergence(p, q), 1)


def sczidesk_stage(model: nn.Module, centres: torch.Tensor, params=None) -> Stage:
    """scziDesk's clustering stage from KMeans ``centres``: weighted soft K-means, then self-training on top.

    Parameters
    ----------
    model
        The autoencoder to fine-tune.
    centres
        Initial centres, clusters × latent size.
    params
        The autoencoder's parameters for the optimiser (default ``model.parameters()``; the fast step's flat vector).

    Returns
    -------
    The stage.
    """
    head = SoftKMeansHead(centres).to(centres.device)
    opt = torch.optim.Adam([*(model.parameters() if params is None else params), *head.parameters()], lr=1e-3)

    def loss(q, p, d2, stage):
        out = (q * d2).sum(dim=1).mean()
        return out + kl_divergence(p, q) if stage == 1 else out

    return Stage(head, opt, loss, 2)


#: Each competitor's clustering stage, by the name ``fit_competitors`` takes.
STAGES = {"scdeepcluster": scdeepcluster_stage, "sczidesk": sczidesk_stage}
