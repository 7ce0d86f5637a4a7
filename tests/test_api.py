"""The public entry points: contrastive_sc and fit (csc_core.api), and what importing the package loads."""

import json
import subprocess
import sys
from pathlib import Path

import anndata
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

import csc_core
from csc_core.data import metrics
from csc_core.pipeline.resolution import AUTO_RULE
from tests.helpers import REJECTED_DATA, expected_device, make_counts, rejected_data

ROOT = Path(__file__).resolve().parents[1]
FAST = dict(n_genes=40, epochs=5, min_steps=0, batch_size=32, n_neighbors=10, progress=False)


def test_writes_embedding_clusters_and_params(adata):
    before = adata.X.copy()
    csc_core.contrastive_sc(adata, **FAST)
    assert adata.obsm["X_csc"].shape == (adata.n_obs, 3 * 32)
    assert isinstance(adata.obs["csc_cluster"].dtype, pd.CategoricalDtype)
    params = adata.uns["csc"]["params"]
    assert params["epochs"] == 5 and params["n_models"] == 3 and params["clustering"] == "leiden"
    assert params["temperature"] == csc_core.DEFAULTS.temperature and params["device"] == expected_device()
    assert adata.uns["csc"]["loss"].shape == (5, 3)
    assert set(adata.uns["csc"]["timings"]) == {"preprocess", "train", "graph", "cluster"}
    assert (adata.X != before).nnz == 0  # X untouched


def test_finds_well_separated_types(adata):
    # the default resolution ("auto"): a fixed 0.5 splits one type in two for some seeds of this 120-cell set
    csc_core.contrastive_sc(adata, n_genes=60, epochs=30, batch_size=32, n_neighbors=10, progress=False)
    ari = metrics.scores(adata.obs["cell_type"], adata.obs["csc_cluster"])["ari"]
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
        assert params[key] == (list(paper.hidden) if key == "hidden" else getattr(paper, key))
    assert adata.obsm["X_csc"].shape[1] == 3 * paper.hidden[-1]


def test_unknown_preset_is_named(adata):
    with pytest.raises(ValueError, match="settings must be one of"):
        csc_core.contrastive_sc(adata, settings="fast", progress=False)


def test_default_resolution_is_chosen_without_labels_and_recorded(adata):
    csc_core.contrastive_sc(adata, **FAST)
    rec = adata.uns["csc"]
    scores = pd.DataFrame(rec["resolution_scores"])
    assert sum(scores["chosen"]) == 1
    chosen = scores.loc[scores["chosen"]].iloc[0]
    params = rec["params"]
    assert params["resolution"] == chosen["resolution"] and params["resolution_rule"] == AUTO_RULE
    assert params["n_clusters"] == chosen["n_clusters"] == adata.obs["csc_cluster"].nunique()
    assert params["n_neighbors"] == FAST.get("n_neighbors", csc_core.DEFAULTS.n_neighbors)


class _Trained(Exception):
    """Raised by the stand-ins for preprocessing and training: reaching them means work began."""


def _no_work(monkeypatch):
    def work(*args, **kwargs):
        raise _Trained

    for name in ("_fit", "preprocess", "train_ensemble"):  # what contrastive_sc and fit run once the checks pass
        monkeypatch.setattr(csc_core.api, name, work)


def test_unknown_resolution_word_raises_before_training(adata, monkeypatch):
    """The resolution is checked when the settings are made (Settings.__post_init__), before any work.

    Before any preprocessing or training: the stand-ins show that a valid resolution does reach them, so they are on
    the path the API takes.
    """
    _no_work(monkeypatch)
    with pytest.raises(_Trained):
        csc_core.contrastive_sc(adata, resolution=0.5, **FAST)
    with pytest.raises(_Trained):
        csc_core.fit(adata, resolution=0.5, **FAST)
    with pytest.raises(ValueError, match="resolution must be a positive number or 'auto'"):
        csc_core.contrastive_sc(adata, resolution="high", **FAST)
    with pytest.raises(ValueError, match="resolution must be a positive number or 'auto'"):
        csc_core.fit(adata, resolution="high", **FAST)


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (dict(epochs=0), ValueError, "epochs"),
        (dict(hidden="64-32"), TypeError, "hidden"),
        (dict(mask="gene"), ValueError, "mask"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(kernel="fast"), ValueError, "kernel"),
        (dict(clustering="dbscan"), ValueError, "clustering"),
        (dict(settings="fast"), ValueError, "settings must be one of"),
        (dict(epoch=3), KeyError, "epoch"),
        (dict(n_clusters=0, clustering="kmeans"), ValueError, "n_clusters"),
        (dict(early_stopping="yes"), TypeError, "early_stopping"),
    ],
)
def test_every_argument_is_checked_before_any_work(adata, monkeypatch, bad, error, match):
    _no_work(monkeypatch)
    with pytest.raises(error, match=match):
        csc_core.contrastive_sc(adata, **{**FAST, **bad})


def test_fit_returns_the_trained_model_and_the_record_contrastive_sc_writes(adata):
    model = csc_core.fit(adata, seed=4, **FAST)
    assert isinstance(model, csc_core.ContrastiveModel) and model.ensemble.n_models == 3
    assert model.embedding.shape == (adata.n_obs, 3 * 32) and isinstance(model.embedding, np.ndarray)
    assert set(model.record) == {"params", "loss", "timings"} and model.record["loss"].shape == (5, 3)
    assert set(model.record["timings"]) == {"preprocess", "train"}
    assert model.params is model.record["params"] and model.params["seed"] == 4
    assert model.params["device"] == expected_device() and len(model.genes) == 40
    np.testing.assert_allclose(model.embed(adata), model.embedding, atol=1e-4)  # the training cells, embedded again
    run = csc_core.contrastive_sc(adata, seed=4, copy=True, **FAST)
    np.testing.assert_array_equal(run.obsm["X_csc"], model.embedding)  # the same training
    np.testing.assert_array_equal(run.uns["csc"]["loss"], model.record["loss"])
    assert {k: v for k, v in run.uns["csc"]["params"].items() if k in model.params} == model.params
    assert "X_csc" not in adata.obsm  # fit writes nothing into the AnnData


def test_fit_with_early_stopping_records_the_checks(adata):
    model = csc_core.fit(
        adata, early_stopping={"every": 1, "agreement": 1.0, "patience": 99, "n_neighbors": 10}, **{**FAST, "epochs": 2}
    )
    stopping = model.record["stopping"]
    assert stopping["stopped_at"] is None and stopping["history"]["step"] == list(range(1, 9))  # 2 epochs of 4 steps
    assert model.params["steps_run"] == 8 and model.params["early_stopping"]["patience"] == 99


def test_settings_objects_and_presets_give_the_same_run(adata):
    settings = csc_core.Settings(n_genes=40, epochs=2, min_steps=0, batch_size=32, n_neighbors=10)
    a = csc_core.contrastive_sc(adata, settings=settings, progress=False, copy=True)
    b = csc_core.contrastive_sc(
        adata, n_genes=40, epochs=2, min_steps=0, batch_size=32, n_neighbors=10, progress=False, copy=True
    )
    np.testing.assert_array_equal(a.obsm["X_csc"], b.obsm["X_csc"])
    assert a.uns["csc"]["params"]["settings"] == "custom" and b.uns["csc"]["params"]["settings"] == "default"
    c = csc_core.contrastive_sc(adata, settings=settings, epochs=1, progress=False, copy=True)  # overrides apply
    assert c.uns["csc"]["params"]["epochs"] == 1


# --- inputs and interruptions a user will meet: each case fails without its guard ----------------------------------
HARDENING = dict(n_genes=40, epochs=2, min_steps=20, progress=False)


def test_all_zero_genes_are_dropped_not_turned_into_nan():
    adata = make_counts()
    x = adata.X.toarray()
    x[:, :5] = 0  # five genes never detected
    adata.X = sp.csr_matrix(x)
    csc_core.contrastive_sc(adata, n_neighbors=10, **{**HARDENING, "n_genes": 200})
    assert np.isfinite(adata.obsm["X_csc"]).all()
    assert adata.uns["csc"]["params"]["n_genes_kept"] == adata.n_vars - 5


def test_fewer_cells_than_the_batch_size_train_on_one_minibatch():
    adata = make_counts(n_per_type=12)  # 36 cells, batch of 128
    csc_core.contrastive_sc(adata, batch_size=128, n_neighbors=10, **HARDENING)
    assert np.isfinite(adata.obsm["X_csc"]).all() and len(adata.uns["csc"]["loss"]) >= 1


def test_a_single_cell_type_gives_a_clustering_without_errors():
    adata = make_counts(n_types=1, n_per_type=60)
    csc_core.contrastive_sc(adata, n_neighbors=10, **HARDENING)
    assert adata.obs["csc_cluster"].notna().all()
    assert metrics.scores(adata.obs["cell_type"], adata.obs["csc_cluster"])["n_clusters"] >= 1


# --- what importing the package loads ---------------------------------------------------------------------------
def _modules_after(code: str) -> set[str]:
    """The modules loaded after running ``code`` in a fresh interpreter (from the repository's root)."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _loaded(modules: set[str], names) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


HEAVY = ("torch", "scanpy", "seaborn", "papermill", "jupytext", "selenium")
BOOK_ONLY = ("csc_core.harness", "seaborn", "papermill", "jupytext", "selenium")


def test_importing_the_package_loads_nothing_heavy():
    modules = _modules_after("import csc_core")
    assert "csc_core" in modules
    assert _loaded(modules, (*HEAVY, "csc_core.harness", "csc_core.competitors")) == []


def test_the_api_loads_none_of_the_books_machinery():
    modules = _modules_after("import csc_core\ncsc_core.contrastive_sc")
    assert "csc_core.api" in modules and "torch" in modules  # the API itself did load
    assert _loaded(modules, BOOK_ONLY) == []


def test_the_command_lines_help_does_not_load_pytorch():
    """``python -m csc_core --help``, as a user runs it; -X importtime lists every module the process imports."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "csc_core", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0 and "usage: csc" in out.stdout, out.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert "csc_core.cli" in imported  # the listing is of this process's imports
    assert _loaded(imported, ("torch", "scanpy", "numba")) == []


# --- clean refusals: every bad argument refused by our checks, before any work ------------------------------------
def _refused_before_work(monkeypatch, call, error, match):
    _no_work(monkeypatch)
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (dict(seed=-1), ValueError, r"seed must be an integer from 0 to 4294967295, got -1"),
        (dict(seed=None), TypeError, r"seed must be an integer .* got None"),
        (dict(seed="a"), TypeError, r"seed must be an integer .* got 'a'"),
        (dict(seed=1.5), TypeError, r"seed must be an integer .* got 1.5"),
        (dict(seed=True), TypeError, r"seed must be an integer .* got True"),
        (dict(seed=2**32), ValueError, r"seed must be an integer from 0 to 4294967295"),
        (dict(random_state=-2), ValueError, r"random_state must be an integer from 0"),
        (dict(seed=3, random_state=4), ValueError, r"seed=3 and random_state=4 disagree"),
    ],
)
@pytest.mark.parametrize("entry", ["contrastive_sc", "fit"])
def test_bad_seeds_are_refused_before_any_work(adata, monkeypatch, entry, bad, error, match):
    _refused_before_work(monkeypatch, lambda: getattr(csc_core, entry)(adata, **{**FAST, **bad}), error, match)


@pytest.mark.parametrize("given", [dict(seed=np.int64(3)), dict(random_state=3), dict(random_state=np.uint32(3))])
@pytest.mark.parametrize("entry", ["contrastive_sc", "fit"])
def test_numpy_seeds_and_scanpys_random_state_are_accepted(adata, monkeypatch, entry, given):
    seen = {}

    def work(*args, seed, **kwargs):
        seen["seed"] = seed
        raise _Trained

    monkeypatch.setattr(csc_core.api, "_fit", work)
    with pytest.raises(_Trained):
        getattr(csc_core, entry)(adata, **{**FAST, **given})
    assert seen["seed"] == 3 and type(seen["seed"]) is int  # recorded as a Python int, as seed=3 is


@pytest.mark.parametrize(
    "bad, error, match",
    [
        (dict(clustering="kmeans", n_clusters=0), ValueError, r"n_clusters must be an integer >= 1, got 0"),
        (dict(clustering="kmeans", n_clusters=-3), ValueError, r"n_clusters must be an integer >= 1, got -3"),
        (dict(clustering="kmeans", n_clusters=2.5), TypeError, r"n_clusters must be an integer >= 1, got 2.5"),
        (dict(n_neighbors=0), ValueError, r"n_neighbors must be an integer >= 2, got 0"),
        (dict(n_neighbors=1), ValueError, r"n_neighbors must be an integer >= 2, got 1"),
        (dict(hidden=()), TypeError, r"hidden must be a non-empty sequence"),
        (dict(hidden=32), TypeError, r"hidden must be a non-empty sequence .* got 32"),
        (dict(hidden=(0,)), ValueError, r"hidden\[0\] must be an integer >= 1, got 0"),
        (dict(n_genes=2.5), TypeError, r"n_genes must be an integer >= 1, got 2.5"),
        (dict(batch_size=0), ValueError, r"batch_size must be an integer >= 2, got 0"),
        (dict(lr=0), ValueError, r"lr must be a finite number > 0, got 0"),
        (dict(lr=-1), ValueError, r"lr must be a finite number > 0, got -1"),
        (dict(resolution=-1), ValueError, r"resolution must be a finite number > 0, got -1"),
        (dict(resolution=0), ValueError, r"resolution must be a finite number > 0, got 0"),
    ],
)
def test_out_of_range_settings_are_refused_before_any_work(adata, monkeypatch, bad, error, match):
    _refused_before_work(monkeypatch, lambda: csc_core.contrastive_sc(adata, **{**FAST, **bad}), error, match)


def test_numpy_integers_are_accepted_as_settings(adata, monkeypatch):
    _no_work(monkeypatch)
    with pytest.raises(_Trained):
        csc_core.contrastive_sc(
            adata,
            clustering="kmeans",
            **{**FAST, "n_clusters": np.int64(3), "n_genes": np.int32(30), "hidden": (np.int64(8),)},
        )


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(n_clusters=3), r"n_clusters is only used by clustering='kmeans', got n_clusters=3"),
        (dict(key_added=""), r"key_added must be a non-empty string without spaces .* got ''"),
        (dict(key_added="my key"), r"key_added must be a non-empty string without spaces .* got 'my key'"),
        (dict(key_added=3), r"key_added must be a non-empty string"),
    ],
)
def test_arguments_that_do_not_fit_together_are_refused_before_any_work(adata, monkeypatch, bad, match):
    _refused_before_work(monkeypatch, lambda: csc_core.contrastive_sc(adata, **{**FAST, **bad}), ValueError, match)


@pytest.mark.parametrize(
    "where, error, match",
    [
        ("proc", OSError, r"save_model='/proc/csc/m.pt' cannot be written"),
        ("under_file", NotADirectoryError, r"save_model=.* cannot be written: .* is a file, not a folder"),
        ("directory", IsADirectoryError, r"save_model=.* is a directory"),
    ],
)
def test_an_unwritable_model_path_is_refused_before_any_work(adata, monkeypatch, tmp_path, where, error, match):
    (tmp_path / "file").write_text("")
    (tmp_path / "dir.pt").mkdir()
    path = {"proc": "/proc/csc/m.pt", "under_file": tmp_path / "file" / "m.pt", "directory": tmp_path / "dir.pt"}
    _refused_before_work(
        monkeypatch, lambda: csc_core.contrastive_sc(adata, save_model=path[where], **FAST), error, match
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.pt", "file"]  # no temporary file left


@pytest.mark.parametrize("entry", ["contrastive_sc", "fit"])
def test_a_missing_layer_is_named_with_the_layers_there_are(adata, monkeypatch, entry):
    adata.layers["counts"] = adata.X.copy()
    _refused_before_work(
        monkeypatch,
        lambda: getattr(csc_core, entry)(adata, layer="raw", **FAST),
        KeyError,
        r"layer='raw' is not a layer of the data; available layers: 'counts'",
    )


def test_too_few_cells_for_the_neighbours_names_n_neighbors(adata, monkeypatch):
    _refused_before_work(
        monkeypatch,
        lambda: csc_core.contrastive_sc(adata[:20].copy(), **{**FAST, "n_neighbors": 30}),
        ValueError,
        r"Too few cells: got 20, need at least 31 \(n_neighbors=30: .*pass a smaller n_neighbors\)",
    )


@pytest.mark.parametrize("kind", list(REJECTED_DATA))
@pytest.mark.parametrize("entry", ["contrastive_sc", "fit"])
def test_data_that_cannot_be_clustered_is_refused_before_any_work(monkeypatch, entry, kind):
    """One gene, cells all alike (also up to library size: NaN after scaling), repeated names, log-normalised X."""
    data = rejected_data(kind)
    _refused_before_work(monkeypatch, lambda: getattr(csc_core, entry)(data, **FAST), ValueError, REJECTED_DATA[kind])


def test_duplicate_gene_names_are_refused_before_training(adata, monkeypatch):
    _no_work(monkeypatch)
    dup = adata.copy()
    dup.var_names = [dup.var_names[0]] + list(dup.var_names[:-1])
    for run in (csc_core.fit, csc_core.contrastive_sc):
        with pytest.raises(ValueError, match="must be unique: 1 are repeated"):
            run(dup, progress=False)


def test_log_normalised_input_is_refused_before_training(adata, monkeypatch):
    _no_work(monkeypatch)
    logged = adata.copy()
    logged.X = np.log1p(logged.X.toarray() if sp.issparse(logged.X) else logged.X)
    logged.uns["log1p"] = {"base": None}
    with pytest.raises(ValueError, match="log-normalised.*layer="):
        csc_core.contrastive_sc(logged, progress=False)
    logged.layers["counts"] = adata.X.copy()
    with pytest.raises(_Trained):  # the counts layer is accepted
        csc_core.contrastive_sc(logged, layer="counts", progress=False)


def test_use_raw_reads_the_counts_in_raw_and_gives_the_result_of_counts_in_x(adata):
    logged = adata.copy()
    logged.raw = adata.copy()
    logged.X = np.log1p(adata.X.toarray() if sp.issparse(adata.X) else adata.X)
    logged.uns["log1p"] = {"base": None}
    csc_core.contrastive_sc(logged, use_raw=True, **FAST)
    plain = adata.copy()
    csc_core.contrastive_sc(plain, **FAST)
    np.testing.assert_array_equal(logged.obsm["X_csc"], plain.obsm["X_csc"])
    assert logged.uns["csc"]["params"]["use_raw"] is True and plain.uns["csc"]["params"]["use_raw"] is False


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(use_raw=True), ValueError, "adata.raw is empty"),
        (dict(use_raw=True, layer="counts"), ValueError, "cannot be combined with layer='counts'"),
        (dict(use_raw="yes"), TypeError, "use_raw must be True or False"),
    ],
)
def test_use_raw_mistakes_are_refused_before_training(adata, monkeypatch, kwargs, error, match):
    _no_work(monkeypatch)
    data = adata.copy()
    data.layers["counts"] = data.X.copy()
    if "layer" in kwargs:
        data.raw = adata.copy()
    for run in (csc_core.fit, csc_core.contrastive_sc):
        with pytest.raises(error, match=match):
            run(data, progress=False, **kwargs)


def test_backed_anndata_is_refused_before_work_naming_to_memory(adata, monkeypatch, tmp_path):
    _no_work(monkeypatch)
    adata.write_h5ad(tmp_path / "cells.h5ad")
    backed = anndata.read_h5ad(tmp_path / "cells.h5ad", backed="r")
    for run in (csc_core.fit, csc_core.contrastive_sc):
        with pytest.raises(ValueError, match=r"backed by .*cells\.h5ad.*adata\.to_memory\(\)"):
            run(backed, progress=False)
    with pytest.raises(_Trained):  # the same file in memory is accepted
        csc_core.contrastive_sc(backed.to_memory(), progress=False)
    backed.file.close()
