"""csc_core — contrastive self-supervised clustering of single-cell RNA-seq data (Ciortan & Defrance 2021)."""

from . import augment, cluster, cost, data, encoder, ensemble, loss, metrics, preprocess, simulate, train
from .contrastive import DEFAULTS, PAPER, contrastive_sc, fit_embedding, fit_ensemble

__all__ = ["contrastive_sc", "fit_embedding", "fit_ensemble", "DEFAULTS", "PAPER", "augment", "cluster", "cost", "data",
           "encoder", "ensemble", "loss", "metrics", "preprocess", "simulate", "train"]
__version__ = "0.1.0"
