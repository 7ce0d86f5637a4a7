"""csc_core — contrastive self-supervised clustering of single-cell RNA-seq data (Ciortan & Defrance 2021)."""

import warnings

with warnings.catch_warnings():
    # umap (under scanpy's neighbours) imports tqdm.auto, which warns once in notebooks without ipywidgets; its bars
    # then print as text, which is what a rendered book wants — so import it here, quietly, once.
    from tqdm import TqdmWarning

    warnings.simplefilter("ignore", TqdmWarning)
    import tqdm.auto  # noqa: F401

from . import (augment, benchmark, cluster, competitors, cost, data, encoder, ensemble, loss, metrics, model, preprocess,
               simulate, stopping, train)
from .competitors import scdeepcluster, sczidesk
from .contrastive import DEFAULTS, PAPER, contrastive_sc, fit_embedding, fit_ensemble
from .model import ContrastiveModel, load_model

__all__ = ["contrastive_sc", "fit_embedding", "fit_ensemble", "load_model", "ContrastiveModel", "scdeepcluster",
           "sczidesk", "DEFAULTS", "PAPER", "augment", "benchmark", "cluster", "competitors", "cost", "data", "encoder",
           "ensemble", "loss", "metrics", "model", "preprocess", "simulate", "stopping", "train"]
__version__ = "0.1.0"
