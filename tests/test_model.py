"""Saving a trained model, loading it safely, and embedding new cells with it (API and command line)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import anndata
import numpy as np
import pytest
import torch

import csc_core
from csc_core import cli
from csc_core.model import ContrastiveModel, load_model
from tests.helpers import REJECTED_DATA, make_counts, rejected_data, small_model

ROOT = Path(__file__).resolve().parents[1]
FAST = dict(n_genes=40, epochs=2, min_steps=20, n_neighbors=10, progress=False)


@pytest.fixture
def trained(tmp_path, adata):
    path = tmp_path / "model.pt"
    csc_core.contrastive_sc(adata, save_model=path, **FAST)
    return adata, path


def test_loaded_model_embeds_the_training_cells_as_training_did(trained):
    adata, path = trained
    model = load_model(path)
    assert isinstance(model, ContrastiveModel) and len(model.genes) == 40
    np.testing.assert_allclose(model.embed(adata), adata.obsm["X_csc"], atol=1e-4)
    assert adata.uns["csc"]["params"]["saved_model"] == str(path)
    assert "preprocessing" not in adata.uns["csc"]  # the model's arrays go to the file, not into uns


def test_new_cells_land_near_their_type_in_the_training_embedding(trained):
    adata, path = trained
    model = load_model(path)
    new = make_counts(n_per_type=10, seed=5)  # same genes and types, new cells
    z_new, z_old = model.embed(new), adata.obsm["X_csc"]
    old_types = adata.obs["cell_type"].to_numpy()
    centroids = np.stack([z_old[old_types == t].mean(0) for t in np.unique(old_types)])
    nearest = np.unique(old_types)[np.argmax(z_new @ centroids.T, axis=1)]
    assert (nearest == new.obs["cell_type"].to_numpy()).mean() > 0.9


def test_missing_genes_warn_and_no_shared_gene_raises(trained):
    adata, path = trained
    model = load_model(path)
    fewer = adata[:, [g for g in adata.var_names if g != model.genes[0]]].copy()
    with pytest.warns(UserWarning, match="1 of the model's 40 genes are missing"):
        model.embed(fewer)
    renamed = adata.copy()
    renamed.var_names = [f"other{i}" for i in range(renamed.n_vars)]
    with pytest.raises(ValueError, match="None of the model's genes"):
        model.embed(renamed)


def test_loading_refuses_arbitrary_objects_and_truncated_files(trained, tmp_path):
    _, path = trained
    evil = tmp_path / "evil.pt"
    torch.save({"format_version": 1, "payload": warnings.WarningMessage("x", UserWarning, "f", 1)}, evil)
    with pytest.raises(ValueError, match="not a readable csc_core model") as exc:
        load_model(evil)
    assert "weights_only" not in str(exc.value)  # never advise unpickling arbitrary objects
    text = tmp_path / "notes.pt"
    text.write_text("not a model")
    with pytest.raises(ValueError, match="written by `csc run --save-model`"):
        load_model(text)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="not a readable csc_core model"):
        load_model(truncated)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(ValueError, match="not a csc_core model file"):
        load_model(other)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.pt")


def test_command_line_saves_then_embeds(tmp_path, adata):
    data, model, out, emb = (tmp_path / n for n in ("in.h5ad", "m.pt", "out.h5ad", "emb.h5ad"))
    adata.write_h5ad(data)
    assert cli.main(["run", str(data), "-o", str(out), "--n-genes", "40", "--save-model", str(model), "--quiet"]) == 0
    new = tmp_path / "new.h5ad"
    make_counts(n_per_type=5, seed=9).write_h5ad(new)
    assert cli.main(["embed", str(new), "--model", str(model), "-o", str(emb), "--quiet"]) == 0
    result = anndata.read_h5ad(emb)
    np.testing.assert_allclose(
        result.obsm["X_csc"], load_model(model).embed(make_counts(n_per_type=5, seed=9)), atol=1e-5
    )
    assert cli.main(["embed", str(new), "--model", str(tmp_path / "absent.pt"), "-o", str(emb), "--quiet"]) == 3


def test_a_saved_model_keeps_the_ensemble_genes_preprocessing_and_params(tmp_path, adata):
    model = csc_core.fit(adata, **FAST)
    path = model.save(tmp_path / "sub" / "m.pt")
    assert path.is_file() and not list(path.parent.glob(".*partial"))  # written atomically
    loaded = load_model(path)
    assert loaded.genes == model.genes and loaded.target_sum == model.target_sum
    np.testing.assert_array_equal(loaded.mean, model.mean)
    np.testing.assert_array_equal(loaded.std, model.std)
    assert loaded.params == model.params and loaded.record == {} and loaded.embedding is None  # a loaded model
    assert not loaded.ensemble.training
    for p, q in zip(loaded.ensemble.state_dict().values(), model.ensemble.state_dict().values(), strict=True):
        assert torch.equal(p, q)
    np.testing.assert_allclose(loaded.embed(adata), model.embedding, atol=1e-4)
    np.testing.assert_array_equal(loaded.transform(adata), model.transform(adata))
    assert loaded.transform(adata).shape == (adata.n_obs, 40) and loaded.transform(adata).dtype == np.float32


def test_embed_on_cuda_without_a_gpu_is_refused_before_any_work(adata, monkeypatch):
    model = small_model()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(ContrastiveModel, "transform", lambda *a, **k: pytest.fail("work began"))
    with pytest.raises(RuntimeError, match="device='cuda' was requested but PyTorch sees no CUDA device"):
        model.embed(adata, device="cuda")


def test_embed_names_a_missing_layer_and_the_layers_there_are(adata):
    adata.layers["counts"] = adata.X.copy()
    with pytest.raises(KeyError, match="layer='raw' is not a layer of the data; available layers: 'counts'"):
        small_model().embed(adata, layer="raw")
    assert small_model().embed(adata, layer="counts").shape == (adata.n_obs, 4)


def test_a_failed_save_leaves_no_partial_file(tmp_path, monkeypatch):
    def half_save(obj, path):
        open(path, "wb").write(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", half_save)
    with pytest.raises(OSError, match="No space left"):
        small_model().save(tmp_path / "m.pt")
    assert list(tmp_path.iterdir()) == []


def test_generic_gene_names_warn_and_duplicate_ones_are_refused_at_embed(trained):
    adata, path = trained
    model = load_model(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # real gene names: no warning
        model.embed(adata)
    generic = ContrastiveModel(**{**model.__dict__, "genes": np.array([f"gene{i}" for i in range(len(model.genes))])})
    renamed = adata.copy()
    renamed.var_names = [f"gene{i}" for i in range(renamed.n_vars)]
    with pytest.warns(UserWarning, match="by position only"):
        generic.embed(renamed)
    dup = adata.copy()
    dup.var_names = [dup.var_names[0]] + list(dup.var_names[:-1])
    with pytest.raises(ValueError, match="must be unique"):
        model.embed(dup)


def _log_normalised_with_raw(adata):
    logged = adata.copy()
    logged.raw = adata.copy()
    logged.X = np.log1p(adata.X.toarray() if hasattr(adata.X, "toarray") else adata.X)
    logged.uns["log1p"] = {"base": None}
    return logged


def test_embed_refuses_log_normalised_x_and_reads_raw_when_told(trained):
    adata, path = trained
    model, logged = load_model(path), _log_normalised_with_raw(adata)
    with pytest.raises(ValueError, match=r"log-normalised.*use_raw=True"):
        model.embed(logged)
    np.testing.assert_allclose(model.embed(logged, use_raw=True), model.embed(adata), atol=1e-6)


def test_command_line_use_raw_runs_and_embeds_log_normalised_files(tmp_path, adata, capsys):
    src, out, model, emb = (tmp_path / n for n in ("in.h5ad", "out.h5ad", "m.pt", "emb.h5ad"))
    _log_normalised_with_raw(adata).write_h5ad(src)
    run = ["run", str(src), "-o", str(out), "--n-genes", "40", "--quiet"]
    assert cli.main(run) == cli.EXIT_BAD_INPUT and "--use-raw" in capsys.readouterr().err
    assert cli.main([*run, "--use-raw", "--save-model", str(model)]) == cli.EXIT_OK
    expected = csc_core.contrastive_sc(adata, n_genes=40, progress=False, copy=True)
    np.testing.assert_allclose(anndata.read_h5ad(out).obsm["X_csc"], expected.obsm["X_csc"], atol=1e-5)
    assert cli.main(["embed", str(src), "-m", str(model), "-o", str(emb), "--quiet"]) == cli.EXIT_BAD_INPUT
    assert cli.main(["embed", str(src), "-m", str(model), "-o", str(emb), "--quiet", "--use-raw"]) == cli.EXIT_OK
    np.testing.assert_allclose(anndata.read_h5ad(emb).obsm["X_csc"], expected.obsm["X_csc"], atol=1e-4)


# --- clean refusals at embed: before any cell is encoded, nothing written ------------------------------------------
def _no_encoding(monkeypatch):
    monkeypatch.setattr(csc_core.model, "embed", lambda *a, **k: pytest.fail("encoding began before the refusal"))


@pytest.mark.parametrize(
    "kind, error, match",
    [
        ("repeated gene names", ValueError, REJECTED_DATA["repeated gene names"]),
        ("log-normalised", ValueError, REJECTED_DATA["log-normalised"]),
        ("missing layer", KeyError, "layer='counts' is not a layer of the data; available layers: none"),
        ("use_raw without raw", ValueError, r"use_raw=True, but adata.raw is empty"),
        ("backed", ValueError, r"adata is backed by .*adata.to_memory\(\)"),
        ("cuda without a GPU", RuntimeError, "device='cuda' was requested but PyTorch sees no CUDA device"),
    ],
)
def test_embed_refuses_before_encoding(tmp_path, monkeypatch, kind, error, match):
    _no_encoding(monkeypatch)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    data, kwargs = make_counts(), {}
    if kind in REJECTED_DATA:
        data = rejected_data(kind)
    elif kind == "missing layer":
        kwargs = dict(layer="counts")
    elif kind == "use_raw without raw":
        kwargs = dict(use_raw=True)
    elif kind == "backed":
        data.write_h5ad(tmp_path / "cells.h5ad")
        data = anndata.read_h5ad(tmp_path / "cells.h5ad", backed="r")
    elif kind == "cuda without a GPU":
        kwargs = dict(device="cuda")
    try:
        with pytest.raises(error, match=match):
            small_model().embed(data, **kwargs)
    finally:
        if kind == "backed":
            data.file.close()
    assert [p.name for p in tmp_path.iterdir()] in ([], ["cells.h5ad"])


def _embed_inputs(tmp_path, kind):
    """The input file, model file and extra arguments of a ``csc embed`` case."""
    src, model, args = tmp_path / "in.h5ad", small_model().save(tmp_path / "m.pt"), []
    (rejected_data(kind) if kind in REJECTED_DATA else make_counts()).write_h5ad(src)
    if kind == "model missing":
        model = tmp_path / "absent.pt"
    elif kind == "model a directory":
        model = tmp_path / "dir.pt"
        model.mkdir()
    elif kind == "model a text file":
        model.write_text("not a model")
    elif kind == "model a pickle of objects":
        torch.save({"format_version": 1, "payload": warnings.WarningMessage("x", UserWarning, "f", 1)}, model)
    elif kind == "model of another format":
        torch.save({"weights": torch.zeros(3)}, model)
    elif kind == "missing layer":
        args = ["--layer", "counts"]
    elif kind == "output a directory":
        (tmp_path / "out.h5ad").mkdir()
    return src, model, args


@pytest.mark.parametrize(
    "kind, code, message",
    [
        ("model missing", cli.EXIT_UNREADABLE, "No such model file"),
        ("model a directory", cli.EXIT_UNREADABLE, "dir.pt is a directory, not a model file"),
        ("model a text file", cli.EXIT_UNREADABLE, "is not a readable csc_core model file"),
        ("model a pickle of objects", cli.EXIT_UNREADABLE, "PyTorch could not load it safely (UnpicklingError)"),
        ("model of another format", cli.EXIT_UNREADABLE, "is not a csc_core model file of format 1"),
        ("output a directory", cli.EXIT_UNREADABLE, "out.h5ad' is a directory; give a file name to write"),
        ("repeated gene names", cli.EXIT_BAD_INPUT, REJECTED_DATA["repeated gene names"]),
        ("log-normalised", cli.EXIT_BAD_INPUT, REJECTED_DATA["log-normalised"]),
        ("missing layer", cli.EXIT_BAD_INPUT, "layer='counts' is not a layer of the data; available layers: none"),
    ],
)
def test_command_line_embed_refuses_before_encoding(tmp_path, monkeypatch, capsys, kind, code, message):
    _no_encoding(monkeypatch)
    src, model, args = _embed_inputs(tmp_path, kind)
    out = tmp_path / "out.h5ad"
    assert cli.main(["embed", str(src), "-m", str(model), "-o", str(out), "--quiet", *args]) == code
    err = capsys.readouterr().err
    assert err.startswith("csc: ") and re.search(message if code == cli.EXIT_BAD_INPUT else re.escape(message), err)
    assert "weights_only" not in err  # never advise unpickling arbitrary objects
    assert out.is_dir() if kind == "output a directory" else not out.exists()
    assert not list(tmp_path.rglob("*partial*"))


def test_a_directory_as_the_model_is_called_one(tmp_path):
    (tmp_path / "m.pt").mkdir()
    with pytest.raises(IsADirectoryError, match="m.pt is a directory, not a model file"):
        load_model(tmp_path / "m.pt")


@pytest.mark.parametrize(
    "case, code, says",
    [
        ("generic gene names", cli.EXIT_OK, "csc: warning: The model's genes have generic names (gene0, gene1, …)"),
        ("repeated gene names", cli.EXIT_BAD_INPUT, "csc: input rejected: Gene names (var_names) must be unique"),
    ],
)
def test_the_command_warns_and_refuses_in_its_own_words(tmp_path, case, code, says):
    """The real ``python -m csc_core``: warnings as ``csc: warning:`` lines, refusals without a traceback."""
    model = small_model()
    data = make_counts()
    if case == "generic gene names":
        model.genes = [f"gene{j}" for j in range(len(model.genes))]
        data.var_names = model.genes
    else:
        data = rejected_data(case)
    src, path, out = tmp_path / "in.h5ad", model.save(tmp_path / "m.pt"), tmp_path / "out.h5ad"
    data.write_h5ad(src)
    run = subprocess.run(
        [sys.executable, "-m", "csc_core", "embed", str(src), "-m", str(path), "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == code and says in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and "UserWarning" not in run.stderr
    assert out.exists() == (code == cli.EXIT_OK) and not list(tmp_path.rglob("*partial*"))
