import pandas as pd
import pytest

import csc_core
from csc_core import benchmark
from csc_core.reference import paper_ari, paper_ari_for


def test_settings_resolve_defaults_and_reject_unknown_names():
    s = benchmark.csc_settings(epochs=7, n_genes=None)
    assert s["epochs"] == 7 and s["n_genes"] == csc_core.DEFAULTS["n_genes"]
    assert benchmark.csc_settings(hidden=(256, 64, 32))["hidden"] == "256-64-32"  # one CSV cell
    with pytest.raises(KeyError, match="epoch"):
        benchmark.csc_settings(epoch=7)


def test_settings_name_the_training_kernel(monkeypatch, tmp_path, adata):
    """The kernel is a key: the book's tables are the PyTorch kernel's; the compiled kernel's rows are kept apart."""
    from csc_core.experiments import ResultStore

    assert benchmark.csc_settings()["kernel"] == benchmark.BOOK_KERNEL == "torch"
    assert benchmark.csc_settings(kernel="auto", device="cpu")["kernel"] == "compiled"
    assert benchmark.csc_settings("paper", kernel="auto", device="cpu")["kernel"] == "torch"  # the "cell" mask
    with pytest.raises(ValueError, match="mask='batch'"):
        benchmark.csc_settings("paper", kernel="compiled")
    monkeypatch.setattr(benchmark.simulate, "paper_dataset", lambda kind, k, mid: adata.copy())
    store, sets, methods = ResultStore(tmp_path / "sim.csv"), [("balanced", 4, 1.0)], (benchmark.CSC_LEIDEN,)
    fast = dict(n_genes=40, epochs=3, min_steps=0, batch_size=32, n_neighbors=10)
    trained = []
    real_fit = benchmark.fit_ensemble
    monkeypatch.setattr(benchmark, "fit_ensemble", lambda *a, **kw: trained.append(kw["kernel"]) or real_fit(*a, **kw))
    for kernel in ("torch", "compiled"):
        rows = benchmark.simulated_grid(sets, [0], benchmark.csc_settings(kernel=kernel, **fast), store,
                                        methods=methods, device="cpu")
        assert list(rows["kernel"]) == [kernel]
    assert trained == ["torch", "compiled"] and len(store.load()) == 2


def test_summary_table_sets_measured_beside_published():
    measured = pd.DataFrame({"dataset": ["d"] * 4, "method": ["contrastive-sc"] * 2 + ["scanpy"] * 2,
                             "seed": [0, 1, 0, 1], "ari": [0.5, 0.7, 0.4, 0.4], "n_clusters": [8, 10, 9, 9],
                             "seconds": [2.0, 4.0, 1.0, 1.0]})
    paper = pd.DataFrame({"dataset": ["d"], "method": ["contrastive-sc"], "ari": [0.55]})
    t = benchmark.summary_table(measured, paper).set_index("method")
    assert t.loc["contrastive-sc", "ari"] == pytest.approx(0.6)
    assert t.loc["contrastive-sc", "vs_paper"] == pytest.approx(0.05)
    assert t.loc["contrastive-sc", "seconds"] == pytest.approx(3.0)
    assert pd.isna(t.loc["scanpy", "paper_ari"])


def test_published_values_cover_the_paper_grid():
    ref = paper_ari()
    assert set(ref["category"]) == {"real", "balanced", "imbalanced"}
    real = paper_ari_for(["worm_neuron_cell", "10X_PBMC_top2000"], ["contrastive-sc"])
    assert dict(zip(real["dataset"], real["ari"])) == {"worm_neuron_cell": 0.352, "10X_PBMC_top2000": 0.627}


def test_resolution_rules_replay_each_rule_on_stored_partitions():
    table = pd.DataFrame(dict(dataset="d", seed=0, n_neighbors=30, resolution=[0.1, 0.3, 0.5, 1.0],
                              silhouette=[0.50, 0.30, 0.31, 0.33], ari=[0.2, 0.6, 0.7, 0.4], n_clusters=[2, 5, 7, 12]))
    picks = benchmark.resolution_rules(table, tolerance=0.02, lowest=0.3).set_index("rule")["resolution"]
    assert picks["best silhouette"] == 0.1  # over every resolution
    assert picks["auto"] == 0.5  # from 0.3 up: best 0.33, the lowest within 0.02 is 0.5
    assert picks["oracle (uses labels)"] == 0.5 and picks["fixed 1"] == 1.0 and picks["fixed 0.3"] == 0.3


def test_preset_comparison_lines_up_presets_scanpy_and_published():
    rows = lambda method, aris, secs: pd.DataFrame(dict(dataset="d", method=method, seed=[0, 1], ari=aris,  # noqa: E731
                                                        seconds=secs))
    defaults = pd.concat([rows("contrastive-sc", [0.6, 0.8], [2, 4]), rows("scanpy", [0.5, 0.5], [1, 1])])
    paper_settings = pd.concat([rows("contrastive-sc", [0.4, 0.4], [30, 30]), rows("scanpy", [0.5, 0.5], [1, 1])])
    published = pd.DataFrame(dict(dataset="d", method=["contrastive-sc", "scanpy"], ari=[0.65, 0.55]))
    t = benchmark.preset_comparison(defaults, paper_settings, published).loc["d"]
    assert t["defaults"] == pytest.approx(0.7) and t["paper settings"] == pytest.approx(0.4)
    assert t["defaults − scanpy"] == pytest.approx(0.2) and t["defaults − published"] == pytest.approx(0.05)
    assert t["seconds, defaults"] == 3 and t["seconds, paper settings"] == 30 and t["seeds"] == 2


FAST = dict(n_genes=40, epochs=3, min_steps=0, batch_size=32, n_neighbors=10, network_epochs=2, device="cpu")


def test_method_rows_score_every_variant_and_baseline(adata):
    rows = benchmark.method_rows(adata, 0, methods=benchmark.ALL_METHODS, **FAST)
    assert sorted(r["method"] for r in rows) == sorted(benchmark.ALL_METHODS)
    for r in rows:
        assert -0.5 <= r["ari"] <= 1 and r["n_types"] == 3 and r["seconds"] > 0
    told_k = {benchmark.CSC_KMEANS, benchmark.BASELINE_KMEANS, benchmark.CLUSTER_NN, benchmark.KMEANS,
              benchmark.PCA_KMEANS}
    assert all(r["n_clusters"] == 3 for r in rows if r["method"] in told_k)
    with pytest.raises(ValueError, match="Unknown methods"):
        benchmark.method_rows(adata, 0, methods=["DESC"], **FAST)


def test_simulated_grid_stores_rows_by_data_set_and_reads_them_back(monkeypatch, tmp_path, adata):
    from csc_core.experiments import ResultStore

    made = []
    monkeypatch.setattr(benchmark.simulate, "paper_dataset",
                        lambda kind, k, mid: made.append((kind, k, mid)) or adata.copy())
    settings = benchmark.csc_settings(n_genes=40, epochs=3, min_steps=0, batch_size=32, n_neighbors=10)
    store = ResultStore(tmp_path / "sim.csv")
    sets = [("balanced", 4, 1.0), ("imbalanced", 8, -1.0)]
    methods = (benchmark.CSC_LEIDEN, benchmark.SCANPY)
    rows = benchmark.simulated_grid(sets, [0], settings, store, methods=methods, device="cpu")
    assert made == sets and len(rows) == 4
    assert set(zip(rows["kind"], rows["n_groups"], rows["dropout_mid"])) == {("balanced", 4, 1.0),
                                                                            ("imbalanced", 8, -1.0)}
    again = benchmark.simulated_grid(sets[:1], [0], settings, store, methods=methods, device="cpu")
    assert len(made) == 2 and len(again) == 4  # nothing rerun; every stored row of these settings returned
