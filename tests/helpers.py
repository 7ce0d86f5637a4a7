"""Helpers the tests share (imported as ``from tests.helpers import ...``); the fixtures are in ``conftest.py``."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

#: What ``train_contrastive`` took by default before its settings became required: the tests' small trainings pass
#: these unless they say otherwise (:func:`train`).
TRAIN_DEFAULTS = dict(
    min_steps=0, batch_size=256, lr=1e-3, lr_decay=0.0, keep=0.2, temperature=0.07, mask="batch", seed=0
)


def train(ensemble, x, **kwargs):
    """``csc_core.pipeline.train.train_contrastive`` with :data:`TRAIN_DEFAULTS` for every setting not given."""
    from csc_core.pipeline.train import train_contrastive

    return train_contrastive(ensemble, x, **{**TRAIN_DEFAULTS, **kwargs})


def expected_device() -> str:
    """What ``device="auto"`` resolves to on this machine."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def make_counts(n_per_type: int = 40, n_genes: int = 60, n_types: int = 3, seed: int = 0) -> ad.AnnData:
    """Negative-binomial counts where each type over-expresses its own block of genes."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_types), n_per_type)
    means = np.full((n_types, n_genes), 1.0)
    block = n_genes // n_types
    for t in range(n_types):
        means[t, t * block : (t + 1) * block] = 8.0
    mu = means[labels] * rng.lognormal(0, 0.3, size=(labels.size, 1))  # library-size variation
    counts = rng.negative_binomial(5, 5 / (5 + mu)).astype(np.float32)
    adata = ad.AnnData(
        X=sp.csr_matrix(counts),
        obs=pd.DataFrame(index=[f"c{i}" for i in range(labels.size)]),
        var=pd.DataFrame(index=[f"g{j}" for j in range(n_genes)]),
    )
    adata.obs["cell_type"] = pd.Categorical(labels.astype(str))
    return adata


def batchnorm_ensemble(n_models: int, n_genes: int, hidden):
    """An ensemble in training mode whose BatchNorms are away from their initial identity (γ, β random).

    So that a gradient check sees every term of their backward.
    """
    import torch

    from csc_core.method.encoder import EncoderEnsemble

    ens = EncoderEnsemble(n_models, n_genes, hidden, seed=1).train()
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for norm in ens.norms:
            norm.weight.copy_(torch.rand(norm.weight.shape, generator=g) + 0.5)
            norm.bias.copy_(torch.rand(norm.bias.shape, generator=g) * 0.4 - 0.2)
    return ens


def _sparse_like(n=50, genes=24, density=0.15, seed=0):
    """Like z-scored counts: each gene at its own constant (its zero counts) except for a few entries."""
    import torch

    g = torch.Generator().manual_seed(seed)
    floor = -torch.rand(genes, generator=g) - 0.2
    other = torch.rand(n, genes, generator=g) < density
    return torch.where(other, floor + 3 * torch.rand(n, genes, generator=g), floor).float().contiguous()


def write_h5(path, n_cells=12, n_genes=7, one_based=True):
    """A small file in the scDeepCluster layout (``X`` cells × genes, ``Y`` labels); returns ``(x, y)``."""
    import h5py

    rng = np.random.default_rng(0)
    x = rng.poisson(2, (n_cells, n_genes)).astype(np.float64)
    y = np.arange(n_cells) % 3 + (1 if one_based else 0)
    with h5py.File(path, "w") as fh:
        fh["X"] = x
        fh["Y"] = y.astype(np.float64)
    return x, y


def two_cpu_rows():
    """Benchmark rows of contrastive-sc and scanpy on two processors.

    Two complete runs on processor A (an old and a new one), one on B, one partial run on B.
    """
    from csc_core.harness.timing import CSC, SCANPY

    rows = []
    for run, cpu, datasets, shift in (
        ("1", "A", "xy", 0.0),
        ("2", "A", "xy", 0.1),
        ("3", "B", "xy", 0.3),
        ("4", "B", "x", 0.5),
    ):
        for dataset in datasets:
            for seed in (0, 1):
                rows.append(
                    {
                        "run": run,
                        "cpu": cpu,
                        "dataset": dataset,
                        "seed": seed,
                        "method": CSC,
                        "ari": 0.2 + shift + 0.01 * seed,
                        "total": 2.0,
                    }
                )
                rows.append(
                    {
                        "run": run,
                        "cpu": cpu,
                        "dataset": dataset,
                        "seed": seed,
                        "method": SCANPY,
                        "ari": 0.4,
                        "total": 1.0,
                    }
                )
    return pd.DataFrame(rows)


def stopping_trajectory(min_steps=0):
    """Two observed trainings of early stopping's checks: run 0 settles from step 400 on, run 1 never does."""
    nan = float("nan")
    rows = []
    for seed, agreements in ((0, [nan, 0.96, 0.97, 0.99]), (1, [nan, 0.5, 0.96, 0.6])):
        for i, a in enumerate(agreements):
            rows.append(
                {
                    "data": "d",
                    "settings": "default",
                    "seed": seed,
                    "step": 200 * (i + 1),
                    "agreement_1": a,
                    "ari": 0.1 * (i + 1),
                    "min_steps": min_steps,
                    "steps_total": 1000,
                    "ari_final": 0.5,
                }
            )
    return pd.DataFrame(rows).sample(frac=1, random_state=0)  # the order of stored rows must not matter


def shared_data_available(name: str) -> bool:
    from csc_core import data

    try:
        return data.fetchable(name)
    except Exception:
        return False


#: Data the API and the command line refuse (exit 4): the kind → what the message says (a regular expression).
REJECTED_DATA = {
    "one gene": r"Only 1 gene has counts; .* needs at least 2",
    "identical cells": r"All 120 cells have the same counts: there is nothing to cluster",
    "cells alike up to library size": r"All 120 cells have the same counts up to library size",
    "repeated gene names": r"Gene names \(var_names\) must be unique: 1 are repeated, e.g. 'g0'",
    "log-normalised": r"The matrix is log-normalised \(adata.uns\['log1p'\] is set.*use_raw=True \(--use-raw\).*layer=",
}


def rejected_data(kind: str) -> ad.AnnData:
    """:func:`make_counts` (120 cells) made into data of the kind :data:`REJECTED_DATA` names."""
    adata = make_counts()
    x = adata.X.toarray()
    if kind == "one gene":
        adata = adata[:, :1].copy()
        x = x[:, :1] + 1  # every cell has counts in it
    elif kind == "identical cells":
        x = np.tile(x[:1] + 1, (adata.n_obs, 1))
    elif kind == "cells alike up to library size":
        x = (x[:1] + 1) * (np.arange(adata.n_obs)[:, None] % 4 + 1)
    elif kind == "repeated gene names":
        adata.var_names = [adata.var_names[0], *adata.var_names[:-1]]
    elif kind == "log-normalised":
        adata.raw = adata.copy()
        x = np.log1p(x / x.sum(axis=1, keepdims=True) * 1e4)
        adata.uns["log1p"] = {"base": None}
    else:
        raise ValueError(f"unknown kind {kind!r}")
    adata.X = sp.csr_matrix(x.astype(np.float32))
    return adata


def small_model(n_genes: int = 60):
    """An untrained one-encoder model reading :func:`make_counts`' genes (``g0``, …): for embedding without training."""
    from csc_core.method.encoder import EncoderEnsemble
    from csc_core.model import ContrastiveModel

    ens = EncoderEnsemble(1, n_genes, (4,), seed=0).eval()
    zeros = np.zeros(n_genes, np.float32)
    return ContrastiveModel(
        ensemble=ens, genes=[f"g{j}" for j in range(n_genes)], mean=zeros, std=zeros + 1, target_sum=1e3
    )
