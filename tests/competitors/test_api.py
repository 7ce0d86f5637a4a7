"""The competitors for AnnData: scdeepcluster(adata, ...) and sczidesk(adata, ...)."""

from __future__ import annotations

import pytest

from csc_core import competitors
from csc_core.competitors import PROTOCOL


def test_anndata_wrapper_writes_scanpy_style_fields(adata):
    out = competitors.scdeepcluster(
        adata, n_clusters=3, n_genes=60, pretrain_epochs=5, cluster_epochs=3, batch_size=32, progress=False, copy=True
    )
    assert "X_scdeepcluster" not in adata.obsm
    assert out.obsm["X_scdeepcluster"].shape == (adata.n_obs, 32)
    assert out.obs["scdeepcluster_cluster"].dtype == "category"
    assert out.uns["scdeepcluster"]["params"]["pretrain_epochs"] == 5


def test_settings_left_out_take_the_published_protocol(adata, monkeypatch):
    seen = []

    def fake(adata, method, *, protocol, **kwargs):
        seen.append((method, protocol, kwargs))
        raise RuntimeError("stop here")

    monkeypatch.setattr(competitors.api, "fit_competitor", fake)
    with pytest.raises(RuntimeError, match="stop here"):
        competitors.sczidesk(adata, n_clusters=3, pretrain_epochs=7, seed=4, progress=False)
    method, protocol, kwargs = seen[0]
    assert method == "sczidesk" and protocol == PROTOCOL.replace(pretrain_epochs=7)
    assert kwargs == {"n_clusters": 3, "seed": 4, "device": "auto", "layer": None, "progress": False}
    with pytest.raises(ValueError, match="key_added"):
        competitors.scdeepcluster(adata, n_clusters=3, key_added="")
