import re
from pathlib import Path

import anndata as ad
import h5py
import numpy as np
import pytest

import csc_core
from csc_core import cli
from csc_core.data import metrics
from tests.helpers import REJECTED_DATA, make_counts, rejected_data, shared_data_available, small_model

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
    assert "exit codes: 0 done; 2 bad arguments" in text and "``" not in text  # plain text, no reStructuredText
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", "x.h5ad", "-o", "o.h5ad", "--kernel", "fast"])
    assert exc.value.code == cli.EXIT_USAGE


def test_version_is_printed(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == cli.EXIT_OK and capsys.readouterr().out.strip() == f"csc {csc_core.__version__}"


# --- clean refusals: exit 2 bad arguments, 3 unwritable or unreadable paths, 4 rejected data --------------------------
def _no_work(monkeypatch):
    def work(*args, **kwargs):
        raise AssertionError("work began before the refusal")

    for name in ("_fit", "preprocess", "train_ensemble"):
        monkeypatch.setattr(csc_core.api, name, work)


def _nothing_written(tmp_path):
    return not list(tmp_path.glob("out.h5ad")) and not list(tmp_path.rglob("*partial*"))


@pytest.mark.parametrize(
    "args, message",
    [
        (["--seed", "-1"], "seed must be an integer from 0"),
        (["--clustering", "kmeans", "--n-clusters", "0"], "n_clusters must be an integer >= 1, got 0"),
        (["--clustering", "kmeans", "--n-clusters", "-3"], "n_clusters must be an integer >= 1, got -3"),
        (["--n-clusters", "3"], "n_clusters is only used by clustering='kmeans'"),
        (["--n-neighbors", "0"], "n_neighbors must be an integer >= 2, got 0"),
        (["--n-neighbors", "1"], "n_neighbors must be an integer >= 2, got 1"),
        (["--n-genes", "0"], "n_genes must be an integer >= 1, got 0"),
        (["--resolution", "-1"], "resolution must be a finite number > 0, got -1"),
        (["--resolution", "0"], "resolution must be a finite number > 0, got 0"),
        (["--device", "tpu"], "device must be 'auto', 'cpu' or 'cuda'"),
        (["--kernel", "compiled", "--settings", "paper"], "kernel='compiled' runs float32 training on the CPU"),
    ],
)
def test_bad_arguments_exit_2_before_any_work(tmp_path, adata, monkeypatch, capsys, args, message):
    _no_work(monkeypatch)
    code, _ = _run(tmp_path, adata, *args)
    assert code == cli.EXIT_USAGE and message in capsys.readouterr().err
    assert _nothing_written(tmp_path)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--seed", "a"], "argument --seed: invalid int value: 'a'"),
        (["--seed", "1.5"], "argument --seed: invalid int value: '1.5'"),
        (["--clustering", "kmeans", "--n-clusters", "2.5"], "argument --n-clusters: invalid int value: '2.5'"),
        (["--n-genes", "2.5"], "argument --n-genes: invalid int value: '2.5'"),
        (["--n-neighbors", "ten"], "argument --n-neighbors: invalid int value: 'ten'"),
        (["--resolution", "high"], "resolution must be a number or 'auto', got 'high'"),
    ],
)
def test_values_that_are_not_numbers_exit_2_naming_the_argument(tmp_path, adata, monkeypatch, capsys, args, message):
    _no_work(monkeypatch)
    monkeypatch.setattr("csc_core.data.readers.read_counts", lambda *a: pytest.fail("the input was read"))
    with pytest.raises(SystemExit) as exc:
        _run(tmp_path, adata, *args)
    assert exc.value.code == cli.EXIT_USAGE and message in capsys.readouterr().err
    assert _nothing_written(tmp_path)


def test_compiled_kernel_with_device_auto_on_a_cuda_machine_exits_2(tmp_path, adata, monkeypatch, capsys):
    """``--device auto`` is resolved (to CUDA here) before the kernel is checked against it."""
    import torch

    _no_work(monkeypatch)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    code, _ = _run(tmp_path, adata, "--kernel", "compiled", "--device", "auto")
    assert code == cli.EXIT_USAGE and "got device cuda" in capsys.readouterr().err
    assert _nothing_written(tmp_path)


def test_cuda_without_a_gpu_exits_2(tmp_path, adata, monkeypatch, capsys):
    import torch

    _no_work(monkeypatch)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    code, _ = _run(tmp_path, adata, "--device", "cuda")
    assert code == cli.EXIT_USAGE and "no CUDA device" in capsys.readouterr().err


@pytest.mark.parametrize(
    "where, flag, message",
    [
        ("proc", "-o", "cannot be written"),
        ("proc", "--save-model", "save_model='/proc/csc/o.h5ad' cannot be written"),
        ("under_file", "-o", "is a file, not a folder"),
        ("directory", "-o", "is a directory"),
        ("under_file", "--save-model", "is a file, not a folder"),
        ("directory", "--save-model", "is a directory"),
    ],
)
def test_unwritable_paths_exit_3_before_any_work(tmp_path, adata, monkeypatch, capsys, where, flag, message):
    _no_work(monkeypatch)
    src = tmp_path / "in.h5ad"
    adata.write_h5ad(src)
    (tmp_path / "file").write_text("")
    (tmp_path / "dir.h5ad").mkdir()
    bad = {"proc": "/proc/csc/o.h5ad", "under_file": tmp_path / "file" / "o.h5ad", "directory": tmp_path / "dir.h5ad"}
    out = bad[where] if flag == "-o" else tmp_path / "out.h5ad"
    extra = ["--save-model", str(bad[where])] if flag == "--save-model" else []
    assert cli.main(["run", str(src), "-o", str(out), *QUICK, *extra]) == cli.EXIT_UNREADABLE
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.h5ad", "file", "in.h5ad"]


def _unreadable(tmp_path, kind):
    """An input file of the kind named, in ``tmp_path``; its path."""
    path = tmp_path / {"h5ad": "in.h5ad", "txt": "in.txt"}.get(kind.split()[-1], "in.h5")
    if kind == "directory h5ad":
        path.mkdir()
    elif kind == "missing h5ad":
        pass
    elif kind == "counts txt":
        path.write_text("1 2 3")
    elif kind in ("not-hdf5 h5", "not-hdf5 h5ad"):
        path.write_bytes(b"not an hdf5 file")
    elif kind in ("unknown-layout h5", "not-anndata h5ad"):
        with h5py.File(path, "w") as fh:
            fh["foo"] = np.zeros(3)
    elif kind == "broken-10x h5":
        with h5py.File(path, "w") as fh:
            fh.create_group("matrix")["data"] = np.ones(3)
    return path


@pytest.mark.parametrize(
    "kind, message",
    [
        ("directory h5ad", "in.h5ad is a directory, not a file of counts"),
        ("missing h5ad", "No such file"),
        ("counts txt", "expected .h5ad or .h5"),
        ("not-hdf5 h5", "in.h5 is not a readable HDF5 (.h5) file"),
        ("unknown-layout h5", "in.h5 is neither in 10x Genomics' layout"),
        ("broken-10x h5", "in.h5 looks like 10x Genomics' layout but cannot be read as one"),
        ("not-hdf5 h5ad", "in.h5ad is not a readable AnnData (.h5ad) file (OSError"),
        ("not-anndata h5ad", "in.h5ad is not a readable AnnData (.h5ad) file (TypeError"),
    ],
)
@pytest.mark.parametrize("command", ["run", "embed"])
def test_unreadable_inputs_exit_3_naming_the_problem(tmp_path, monkeypatch, capsys, kind, message, command):
    _no_work(monkeypatch)
    monkeypatch.setattr("csc_core.model.embed", lambda *a: pytest.fail("embedding began"))
    src, out = _unreadable(tmp_path, kind), tmp_path / "out.h5ad"
    model = [] if command == "run" else ["--model", str(small_model().save(tmp_path / "m.pt"))]
    assert cli.main([command, str(src), "-o", str(out), *model, "--quiet"]) == cli.EXIT_UNREADABLE
    err = capsys.readouterr().err
    assert f"csc: cannot read {src}: " in err and message in err
    assert _nothing_written(tmp_path)


@pytest.mark.parametrize("kind", [*REJECTED_DATA, "missing layer"])
def test_rejected_data_exits_4_before_any_work(tmp_path, monkeypatch, capsys, kind):
    _no_work(monkeypatch)
    data = rejected_data(kind) if kind in REJECTED_DATA else make_counts()
    args = ["--layer", "counts"] if kind == "missing layer" else []
    code, _ = _run(tmp_path, data, *args)
    err = capsys.readouterr().err
    message = REJECTED_DATA.get(kind, r"layer='counts' is not a layer of the data; available layers: none")
    assert code == cli.EXIT_BAD_INPUT and re.search(r"csc: input rejected: " + message, err), err
    assert _nothing_written(tmp_path)


def test_a_directory_as_input_is_called_a_directory(tmp_path, capsys):
    (tmp_path / "in.h5ad").mkdir()
    assert cli.main(["run", str(tmp_path / "in.h5ad"), "-o", str(tmp_path / "out.h5ad")]) == cli.EXIT_UNREADABLE
    err = capsys.readouterr().err
    assert "is a directory" in err and "No such file" not in err
    assert _nothing_written(tmp_path)


def test_a_failed_write_leaves_no_partial_file(tmp_path, adata, monkeypatch, capsys):
    def half_write(self, path, *args, **kwargs):
        Path(path).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ad.AnnData, "write_h5ad", half_write)
    assert cli._write(adata, tmp_path / "out.h5ad") == cli.EXIT_UNREADABLE
    assert "No space left" in capsys.readouterr().err and list(tmp_path.iterdir()) == []


def test_too_few_cells_exit_4_naming_n_neighbors_and_the_flag_fixes_it(tmp_path, adata, capsys):
    small = adata[:20].copy()
    code, out = _run(tmp_path, small)
    assert code == cli.EXIT_BAD_INPUT
    assert "need at least 31 (n_neighbors=30" in capsys.readouterr().err and _nothing_written(tmp_path)
    code, out = _run(tmp_path, small, "--n-neighbors", "5")
    assert code == cli.EXIT_OK and ad.read_h5ad(out).uns["csc"]["params"]["n_neighbors"] == 5
