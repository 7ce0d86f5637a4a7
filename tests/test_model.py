"""Saving a trained model, loading it safely, and embedding new cells with it (API and command line)."""

from __future__ import annotations

import warnings

import anndata
import numpy as np
import pytest
import torch

import csc_core
from csc_core import cli
from csc_core.model import ContrastiveModel, load_model
from tests.helpers import make_counts

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


def _small_model(n_genes=60):
    from csc_core.method.encoder import EncoderEnsemble

    ens = EncoderEnsemble(1, n_genes, (4,), seed=0).eval()
    zeros = np.zeros(n_genes, np.float32)
    return ContrastiveModel(
        ensemble=ens, genes=[f"g{j}" for j in range(n_genes)], mean=zeros, std=zeros + 1, target_sum=1e3
    )


def test_embed_on_cuda_without_a_gpu_is_refused_before_any_work(adata, monkeypatch):
    model = _small_model()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(ContrastiveModel, "transform", lambda *a, **k: pytest.fail("work began"))
    with pytest.raises(RuntimeError, match="device='cuda' was requested but PyTorch sees no CUDA device"):
        model.embed(adata, device="cuda")


def test_embed_names_a_missing_layer_and_the_layers_there_are(adata):
    adata.layers["counts"] = adata.X.copy()
    with pytest.raises(KeyError, match="layer='raw' is not a layer of the data; available layers: 'counts'"):
        _small_model().embed(adata, layer="raw")
    assert _small_model().embed(adata, layer="counts").shape == (adata.n_obs, 4)


def test_a_failed_save_leaves_no_partial_file(tmp_path, monkeypatch):
    def half_save(obj, path):
        open(path, "wb").write(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", half_save)
    with pytest.raises(OSError, match="No space left"):
        _small_model().save(tmp_path / "m.pt")
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
