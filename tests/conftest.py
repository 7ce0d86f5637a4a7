"""Shared fixtures: a tiny in-memory AnnData of raw counts with three well-separated cell types."""

from __future__ import annotations

import os
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not os.environ.get("CSC_DATA_DIR") and SHARED_DATA.is_dir():
    os.environ["CSC_DATA_DIR"] = str(SHARED_DATA)  # the offline copies of the public files, when beside the repo


def make_counts(n_per_type: int = 40, n_genes: int = 60, n_types: int = 3, seed: int = 0) -> ad.AnnData:
    """Negative-binomial counts where each type over-expresses its own block of genes."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_types), n_per_type)
    means = np.full((n_types, n_genes), 1.0)
    block = n_genes // n_types
    for t in range(n_types):
        means[t, t * block:(t + 1) * block] = 8.0
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
    """An ensemble in training mode whose BatchNorms are away from their initial identity (γ, β random), so that a
    gradient check sees every term of their backward."""
    import torch

    from csc_core.ensemble import EncoderEnsemble

    ens = EncoderEnsemble(n_models, n_genes, hidden, seed=1).train()
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for norm in ens.norms:
            norm.weight.copy_(torch.rand(norm.weight.shape, generator=g) + 0.5)
            norm.bias.copy_(torch.rand(norm.bias.shape, generator=g) * 0.4 - 0.2)
    return ens


@pytest.fixture
def adata() -> ad.AnnData:
    return make_counts()


def shared_data_available(name: str) -> bool:
    from csc_core import data

    try:
        return data.fetchable(name)
    except Exception:
        return False
