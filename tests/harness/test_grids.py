"""The paper's grids, keyed by the settings that identify a result (csc_core.harness.grids)."""

import pytest

import csc_core
from csc_core.harness import grids
from csc_core.harness import methods as benchmark
from csc_core.harness.store import ResultStore


def test_settings_resolve_defaults_and_reject_unknown_names():
    s = grids.csc_settings(epochs=7, n_genes=None)
    assert s["epochs"] == 7 and s["n_genes"] == csc_core.DEFAULTS.n_genes
    assert grids.csc_settings(hidden=(256, 64, 32))["hidden"] == "256-64-32"  # one CSV cell
    with pytest.raises(KeyError, match="epoch"):
        grids.csc_settings(epoch=7)
    assert grids.simulated_settings()["n_genes"] == 500 and grids.simulated_settings()["min_steps"] == 2000
    assert grids.simulated_settings("paper")["epochs"] == 500 and grids.simulated_settings("paper")["mask"] == "cell"


def test_settings_name_the_training_kernel(monkeypatch, tmp_path, adata):
    """The kernel is a key: the book's tables are the PyTorch kernel's; the compiled kernel's rows are kept apart."""
    assert grids.csc_settings()["kernel"] == grids.BOOK_KERNEL == "torch"
    assert grids.csc_settings(kernel="auto", device="cpu")["kernel"] == "compiled"
    assert grids.csc_settings("paper", kernel="auto", device="cpu")["kernel"] == "torch"  # the "cell" mask
    with pytest.raises(ValueError, match="mask='batch'"):
        grids.csc_settings("paper", kernel="compiled")
    monkeypatch.setattr(benchmark.simulate, "paper_dataset", lambda kind, k, mid: adata.copy())
    store, sets, methods = ResultStore(tmp_path / "sim.csv"), [("balanced", 4, 1.0)], (benchmark.CSC_LEIDEN,)
    fast = dict(n_genes=40, epochs=3, min_steps=0, batch_size=32, n_neighbors=10)
    trained = []
    real_train = benchmark.train_ensemble
    monkeypatch.setattr(
        benchmark, "train_ensemble", lambda *a, **kw: trained.append(kw["kernel"]) or real_train(*a, **kw)
    )
    for kernel in ("torch", "compiled"):
        rows = grids.simulated_grid(
            sets, [0], grids.csc_settings(kernel=kernel, **fast), store, methods=methods, device="cpu"
        )
        assert list(rows["kernel"]) == [kernel]
    assert trained == ["torch", "compiled"] and len(store.load()) == 2


def test_simulated_grid_stores_rows_by_data_set_and_reads_them_back(monkeypatch, tmp_path, adata, capsys):
    made = []
    monkeypatch.setattr(
        benchmark.simulate, "paper_dataset", lambda kind, k, mid: made.append((kind, k, mid)) or adata.copy()
    )
    settings = grids.csc_settings(n_genes=40, epochs=3, min_steps=0, batch_size=32, n_neighbors=10)
    store = ResultStore(tmp_path / "sim.csv")
    sets = [("balanced", 4, 1.0), ("imbalanced", 8, -1.0)]
    methods = (benchmark.CSC_LEIDEN, benchmark.SCANPY)
    rows = grids.simulated_grid(sets, [0], settings, store, methods=methods, device="cpu")
    assert made == sets and len(rows) == 4
    out, err = capsys.readouterr()
    assert "running the 2 of 2 tasks not stored in sim.csv" in err and "tasks not stored" not in out  # not on pages
    assert set(zip(rows["kind"], rows["n_groups"], rows["dropout_mid"], strict=True)) == {
        ("balanced", 4, 1.0),
        ("imbalanced", 8, -1.0),
    }
    again = grids.simulated_grid(sets[:1], [0], settings, store, methods=methods, device="cpu")
    assert len(made) == 2 and len(again) == 4  # nothing rerun; every stored row of these settings returned


def test_competitor_grid_runs_real_and_simulated_data_sets_and_resumes(monkeypatch, tmp_path, adata):
    made, ran = [], []
    monkeypatch.setattr(
        benchmark.simulate, "paper_dataset", lambda kind, k, mid: made.append((kind, k, mid)) or adata.copy()
    )
    monkeypatch.setattr(benchmark.data, "load", lambda name: made.append(name) or adata.copy())

    def fake_rows(data, seed, *, device, **protocol):  # what the grid passes: the data, the seed, the protocol
        ran.append((data.n_obs, seed, protocol["pretrain_epochs"]))
        return [{"method": m, "ari": 0.5 + seed} for m in benchmark.COMPETITORS]

    monkeypatch.setattr(benchmark, "competitor_rows", fake_rows)
    store = ResultStore(tmp_path / "comp.csv")
    sets = [("balanced", 4, 1.0), "some_real_set"]
    rows = grids.competitor_grid(sets, [0, 1], store, device="cpu")
    assert made == [("balanced", 4, 1.0)] * 2 + ["some_real_set"] * 2
    assert len(rows) == 8 and set(rows["pretrain_epochs"]) == {benchmark.COMPETITOR_SETTINGS["pretrain_epochs"]}
    simulated = rows[rows["kind"] == "balanced"]
    assert len(simulated) == 4 and simulated["dataset"].isna().all() and set(simulated["n_groups"]) == {4}
    grids.competitor_grid(sets, [0, 1, 2], store, device="cpu")
    assert len(ran) == 6 and [r[1] for r in ran[4:]] == [2, 2]  # only the new seed ran
