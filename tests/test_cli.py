import anndata as ad
import h5py
import numpy as np
import pytest
import scipy.sparse as sp

import csc_core
from csc_core import cli
from tests.conftest import shared_data_available

QUICK = ["--quiet", "--n-genes", "40"]
PBMC = "10X_PBMC_select_2100_top2000"


def _run(tmp_path, adata, *args):
    src, out = tmp_path / "in.h5ad", tmp_path / "out.h5ad"
    adata.write_h5ad(src)
    return cli.main(["run", str(src), "--output", str(out), *QUICK, *args]), out


def test_writes_clusters_equal_to_the_api_and_nothing_partial(tmp_path, adata):
    code, out = _run(tmp_path, adata, "--seed", "3")
    assert code == cli.EXIT_OK
    result = ad.read_h5ad(out)
    api = csc_core.contrastive_sc(adata, n_genes=40, seed=3, progress=False, copy=True)
    np.testing.assert_array_equal(result.obs["csc_cluster"].to_numpy(), api.obs["csc_cluster"].to_numpy())
    np.testing.assert_allclose(result.obsm["X_csc"], api.obsm["X_csc"])
    assert result.uns["csc"]["params"]["seed"] == 3
    assert [p.name for p in tmp_path.iterdir()] and not list(tmp_path.glob(".*partial"))


@pytest.mark.slow
@pytest.mark.skipif(not shared_data_available(PBMC), reason="data not available offline")
def test_shared_data_set_as_h5ad_gives_the_apis_ari(tmp_path):
    adata = csc_core.data.load(PBMC)
    src, out = tmp_path / "pbmc.h5ad", tmp_path / "out.h5ad"
    adata.write_h5ad(src)
    assert cli.main(["run", str(src), "-o", str(out), "--quiet"]) == cli.EXIT_OK
    truth = adata.obs["cell_type"]
    csc_core.contrastive_sc(adata, seed=0, progress=False)
    cli_ari = csc_core.metrics.scores(truth, ad.read_h5ad(out).obs["csc_cluster"])["ari"]
    assert cli_ari == pytest.approx(csc_core.metrics.scores(truth, adata.obs["csc_cluster"])["ari"])


@pytest.mark.skipif(not shared_data_available(PBMC), reason="data not available offline")
def test_reads_the_scdeepcluster_layout_like_the_loader():
    a = cli.read_counts(csc_core.data.fetch(PBMC))
    b = csc_core.data.load(PBMC)
    assert a.shape == b.shape and (a.X != b.X).nnz == 0
    assert list(a.obs["cell_type"]) == list(b.obs["cell_type"])


def test_reads_a_10x_h5(tmp_path, adata):
    # the 10x Genomics v3 layout: a CSC matrix of genes × cells under "matrix"
    m = sp.csc_matrix(adata.X.T.astype(np.int32))
    path = tmp_path / "filtered_feature_bc_matrix.h5"
    with h5py.File(path, "w") as fh:
        g = fh.create_group("matrix")
        g["data"], g["indices"], g["indptr"], g["shape"] = m.data, m.indices, m.indptr, m.shape
        g["barcodes"] = np.array(adata.obs_names, dtype="S")
        f = g.create_group("features")
        f["id"] = f["name"] = np.array(adata.var_names, dtype="S")
        f["feature_type"] = np.array(["Gene Expression"] * adata.n_vars, dtype="S")
        f["genome"] = np.array(["test"] * adata.n_vars, dtype="S")
    read = cli.read_counts(path)
    assert read.shape == adata.shape
    np.testing.assert_array_equal(read.X.toarray(), adata.X.toarray())


def test_exit_codes_name_the_problem(tmp_path, adata, capsys):
    out = str(tmp_path / "o.h5ad")
    assert cli.main(["run", str(tmp_path / "missing.h5ad"), "-o", out]) == cli.EXIT_UNREADABLE
    (tmp_path / "counts.txt").write_text("1 2 3")
    assert cli.main(["run", str(tmp_path / "counts.txt"), "-o", out]) == cli.EXIT_UNREADABLE
    assert "expected .h5ad or .h5" in capsys.readouterr().err
    bad = adata.copy()
    bad.X = bad.X.toarray()
    bad.X[0, 0] = -1
    code, _ = _run(tmp_path, bad)
    assert code == cli.EXIT_BAD_INPUT and "negative" in capsys.readouterr().err.lower()
    assert _run(tmp_path, adata, "--clustering", "kmeans")[0] == cli.EXIT_USAGE
    assert cli.main(["run", str(tmp_path / "in.h5ad"), "-o", str(tmp_path / "o.csv")]) == cli.EXIT_USAGE
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", "x.h5ad", "-o", out, "--resolution", "high"])
    assert exc.value.code == cli.EXIT_USAGE
    assert not (tmp_path / "o.h5ad").exists()


def test_kmeans_from_the_command_line(tmp_path, adata):
    code, out = _run(tmp_path, adata, "--clustering", "kmeans", "--n-clusters", "3")
    assert code == cli.EXIT_OK and ad.read_h5ad(out).obs["csc_cluster"].nunique() == 3


def test_early_stopping_from_the_command_line_is_recorded_in_the_file(tmp_path, adata):
    code, out = _run(tmp_path, adata, "--early-stopping")
    assert code == cli.EXIT_OK
    record = ad.read_h5ad(out).uns["csc"]
    assert bool(record["params"]["early_stopping"]) is True
    assert list(record["stopping"]["history"]["step"]) == [200, 400]  # checks every 200 of the 500 minimum steps


def test_kernel_from_the_command_line(tmp_path, adata):
    code, out = _run(tmp_path, adata, "--kernel", "torch", "--seed", "1")
    assert code == cli.EXIT_OK
    result = ad.read_h5ad(out)
    assert result.uns["csc"]["params"]["kernel"] == "torch"
    api = csc_core.contrastive_sc(adata, n_genes=40, seed=1, progress=False, copy=True, kernel="torch")
    np.testing.assert_allclose(result.obsm["X_csc"], api.obsm["X_csc"])
    code, out = _run(tmp_path, adata, "--kernel", "compiled", "--settings", "paper")  # the paper's per-cell masks
    assert code == cli.EXIT_USAGE
