import anndata as ad
import numpy as np
import pytest

import csc_core
from csc_core import cli
from csc_core.data import metrics
from tests.helpers import shared_data_available

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
    cli_ari = metrics.scores(truth, ad.read_h5ad(out).obs["csc_cluster"])["ari"]
    assert cli_ari == pytest.approx(metrics.scores(truth, adata.obs["csc_cluster"])["ari"])


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


def test_help_names_the_commands_and_their_choices(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", "--help"])
    assert exc.value.code == cli.EXIT_OK
    text = capsys.readouterr().out
    assert "--kernel" in text and "--settings" in text and "--save-model" in text
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", "x.h5ad", "-o", "o.h5ad", "--kernel", "fast"])
    assert exc.value.code == cli.EXIT_USAGE
