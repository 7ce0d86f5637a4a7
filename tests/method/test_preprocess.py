import numpy as np
import pytest
import scanpy as sc
import scipy.sparse as sp

from csc_core.method.preprocess import preprocess


def test_matches_the_recipe_written_out_in_numpy(adata):
    counts = adata.X.toarray().astype(np.float64)
    counts[:, 5] = 0  # an empty gene must be dropped
    adata.X = sp.csr_matrix(counts)
    out = preprocess(adata, n_genes=10_000)  # more than available: keep every expressed gene
    kept = counts[:, counts.sum(0) > 0]
    lib = kept.sum(1, keepdims=True)
    logged = np.log1p(kept / lib * np.median(lib))
    expected = (logged - logged.mean(0)) / logged.std(0, ddof=1)
    assert out.shape == (adata.n_obs, adata.n_vars - 1)
    assert "g5" not in out.var_names
    np.testing.assert_allclose(out.X, expected, atol=1e-4)
    assert out.X.dtype == np.float32


def test_keeps_scanpy_highly_variable_genes(adata):
    out = preprocess(adata, n_genes=20)
    ref = adata.copy()
    sc.pp.normalize_total(ref)
    sc.pp.log1p(ref)
    sc.pp.highly_variable_genes(ref, n_top_genes=20, flavor="seurat")
    assert set(out.var_names) == set(ref.var_names[ref.var["highly_variable"]])
    assert out.uns["preprocess"]["params"]["n_genes_kept"] == 20


@pytest.mark.parametrize("as_type", [None, np.float32, np.int32])
def test_does_not_touch_the_input(adata, as_type):
    if as_type is not None:  # float32 CSR is what the simulator and most .h5ad files hold: no copy would be made
        adata.X = sp.csr_matrix(adata.X, dtype=as_type)
    before = adata.X.copy()
    preprocess(adata, n_genes=20)
    assert (adata.X != before).nnz == 0 and adata.obsm == {} and list(adata.var.columns) == []


def test_reads_a_layer(adata):
    expected = preprocess(adata, n_genes=20).X
    adata.layers["counts"] = adata.X.copy()
    adata.X = sp.csr_matrix(np.random.default_rng(0).poisson(3, adata.shape).astype(np.float32))  # other counts
    np.testing.assert_allclose(preprocess(adata, n_genes=20, layer="counts").X, expected)


def test_rejects_zero_genes_requested(adata):
    with pytest.raises(ValueError, match="n_genes"):
        preprocess(adata, n_genes=0)


def test_large_data_ranks_genes_on_a_subsample_but_normalises_every_cell_by_all_its_genes(adata, monkeypatch):
    import csc_core.method.preprocess as pp

    monkeypatch.setattr(pp, "HVG_MAX_CELLS", 50)  # the fixture has 120 cells
    out = preprocess(adata, n_genes=20)
    assert out.shape == (adata.n_obs, 20) and out.uns["preprocess"]["params"]["hvg_cells"] == 50
    counts = adata.X.toarray().astype(np.float64)
    lib = counts.sum(1, keepdims=True)  # totals over all 60 genes, not over the 20 kept
    logged = np.log1p(counts / lib * np.median(lib))[:, [adata.var_names.get_loc(g) for g in out.var_names]]
    np.testing.assert_allclose(out.X, (logged - logged.mean(0)) / logged.std(0, ddof=1), atol=1e-4)
    assert preprocess(adata, n_genes=20).var_names.equals(out.var_names)  # same seed, same subsample
