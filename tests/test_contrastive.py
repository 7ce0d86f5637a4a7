import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

import csc_core
from csc_core.contrastive import resolve_device

FAST = dict(n_genes=40, epochs=5, min_steps=0, batch_size=32, n_neighbors=10, progress=False)


def test_writes_embedding_clusters_and_params(adata):
    before = adata.X.copy()
    csc_core.contrastive_sc(adata, **FAST)
    assert adata.obsm["X_csc"].shape == (adata.n_obs, 3 * 32)
    assert isinstance(adata.obs["csc_cluster"].dtype, pd.CategoricalDtype)
    params = adata.uns["csc"]["params"]
    assert params["epochs"] == 5 and params["n_models"] == 3 and params["clustering"] == "leiden"
    assert params["temperature"] == csc_core.DEFAULTS["temperature"] and params["device"] == "cpu"
    assert adata.uns["csc"]["loss"].shape == (5, 3)
    assert set(adata.uns["csc"]["timings"]) == {"preprocess", "train", "graph", "cluster"}
    assert (adata.X != before).nnz == 0  # X untouched


def test_finds_well_separated_types(adata):
    # the default resolution ("auto"): a fixed 0.5 splits one type in two for some seeds of this 120-cell set
    csc_core.contrastive_sc(adata, n_genes=60, epochs=30, batch_size=32, n_neighbors=10, progress=False)
    ari = csc_core.metrics.scores(adata.obs["cell_type"], adata.obs["csc_cluster"])["ari"]
    assert ari > 0.9


def test_kmeans_uses_the_requested_number_of_clusters(adata):
    csc_core.contrastive_sc(adata, clustering="kmeans", n_clusters=3, **FAST)
    assert adata.obs["csc_cluster"].nunique() == 3
    assert adata.uns["csc"]["params"]["n_clusters"] == 3


def test_copy_leaves_the_input_alone(adata):
    out = csc_core.contrastive_sc(adata, copy=True, **FAST)
    assert "X_csc" in out.obsm and "X_csc" not in adata.obsm


def test_same_seed_same_result_and_other_seed_differs(adata):
    a, b, c = adata.copy(), adata.copy(), adata.copy()
    csc_core.contrastive_sc(a, seed=7, **FAST)
    csc_core.contrastive_sc(b, seed=7, **FAST)
    csc_core.contrastive_sc(c, seed=8, **FAST)
    np.testing.assert_array_equal(a.obsm["X_csc"], b.obsm["X_csc"])
    assert (a.obs["csc_cluster"] == b.obs["csc_cluster"]).all()
    assert not np.allclose(a.obsm["X_csc"], c.obsm["X_csc"])


def test_does_not_change_the_global_torch_rng(adata):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    csc_core.contrastive_sc(adata, **FAST)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("mask", ["cell", "batch"])
def test_both_augmentations_train(adata, mask):
    csc_core.contrastive_sc(adata, mask=mask, **{**FAST, "epochs": 20})
    loss = adata.uns["csc"]["loss"].mean(axis=1)
    assert loss[-5:].mean() < loss[:3].mean()  # training lowers the contrastive loss


def _with_value(adata, value):
    x = adata.X.toarray()
    x[0, 0] = value
    adata.X = sp.csr_matrix(x)
    return adata


@pytest.mark.parametrize("value, message", [(-1.0, "negative"), (np.nan, "NaN"), (np.inf, "infinite")])
def test_rejects_bad_counts(adata, value, message):
    with pytest.raises(ValueError, match=message):
        csc_core.contrastive_sc(_with_value(adata, value), **FAST)


def test_rejects_an_empty_matrix(adata):
    with pytest.raises(ValueError, match="empty"):
        csc_core.contrastive_sc(adata[:0].copy(), **FAST)


def test_rejects_too_few_cells(adata):
    with pytest.raises(ValueError, match="Too few cells"):
        csc_core.contrastive_sc(adata[:5].copy(), **FAST)


def test_rejects_cells_without_counts(adata):
    x = adata.X.toarray()
    x[3] = 0
    adata.X = sp.csr_matrix(x)
    with pytest.raises(ValueError, match="no counts"):
        csc_core.contrastive_sc(adata, **FAST)


def test_warns_on_non_integer_counts(adata):
    adata.X = adata.X * 1.5
    with pytest.warns(UserWarning, match="non-integer"):
        csc_core.contrastive_sc(adata, **FAST)


def test_kmeans_needs_n_clusters(adata):
    with pytest.raises(ValueError, match="n_clusters"):
        csc_core.contrastive_sc(adata, clustering="kmeans", **FAST)


def test_more_clusters_than_cells_raises(adata):
    with pytest.raises(ValueError, match="Too few cells"):
        csc_core.contrastive_sc(adata, clustering="kmeans", n_clusters=adata.n_obs + 1, **FAST)


def test_unknown_clustering_raises(adata):
    with pytest.raises(ValueError, match="clustering"):
        csc_core.contrastive_sc(adata, clustering="dbscan", **FAST)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU case")
def test_explicit_cuda_without_gpu_raises_instead_of_falling_back():
    assert resolve_device("auto").type == "cpu"
    with pytest.raises(RuntimeError, match="CUDA"):
        resolve_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_runs_on_cuda(adata):
    csc_core.contrastive_sc(adata, device="cuda", **FAST)
    assert adata.uns["csc"]["params"]["device"].startswith("cuda")


def test_paper_preset_fills_every_setting_not_given(adata):
    csc_core.contrastive_sc(adata, settings="paper", n_genes=40, epochs=1, progress=False)
    params = adata.uns["csc"]["params"]
    paper = csc_core.PAPER
    assert params["settings"] == "paper" and params["epochs"] == 1 and params["n_genes"] == 40  # explicit wins
    for key in ("hidden", "batch_size", "lr", "mask", "n_neighbors", "resolution", "keep"):
        assert params[key] == (list(paper[key]) if key == "hidden" else paper[key])
    assert adata.obsm["X_csc"].shape[1] == 3 * paper["hidden"][-1]


def test_unknown_preset_is_named(adata):
    with pytest.raises(ValueError, match="settings must be one of"):
        csc_core.contrastive_sc(adata, settings="fast", progress=False)


def test_default_resolution_is_chosen_without_labels_and_recorded(adata):
    csc_core.contrastive_sc(adata, **FAST)
    rec = adata.uns["csc"]
    assert rec["params"]["resolution"] == "auto"
    scores = pd.DataFrame(rec["resolution_scores"])
    assert sum(scores["chosen"]) == 1
    chosen = scores.loc[scores["chosen"], "n_clusters"].item()
    assert adata.obs["csc_cluster"].nunique() == chosen


def test_unknown_resolution_word_raises_before_training(adata, monkeypatch):
    monkeypatch.setattr(csc_core.contrastive, "fit_embedding", lambda *a, **k: pytest.fail("trained first"))
    with pytest.raises(ValueError, match="resolution must be a number or 'auto'"):
        csc_core.contrastive_sc(adata, resolution="high", **FAST)
