import numpy as np
import pandas as pd
import pytest

from csc_core import cost


def test_linear_fit_recovers_a_line_and_scores_noise_lower():
    x = np.array([1e4, 3e4, 1e5, 3e5, 1e6])
    slope, intercept, r2 = cost.linear_fit(x, 2e-3 * x + 5)
    assert slope == pytest.approx(2e-3) and intercept == pytest.approx(5) and r2 == pytest.approx(1.0)
    _, _, r2_curved = cost.linear_fit(x, 1e-9 * x**2)
    assert r2_curved < 0.99


def test_time_pipelines_times_every_stage_and_scores_both_methods(adata):
    rows = cost.time_pipelines(adata, seed=0, n_genes=30, epochs=2, n_neighbors=10)
    by_method = {r["method"]: r for r in rows}
    assert set(by_method) == {cost.CSC, cost.SCANPY}
    assert {"preprocess", "train", "graph", "cluster"} <= set(by_method[cost.CSC])
    assert {"preprocess", "pca", "graph", "cluster"} <= set(by_method[cost.SCANPY])
    for r in rows:
        stages = [v for k, v in r.items() if k in cost.STAGES]
        assert all(v >= 0 for v in stages) and r["total"] == pytest.approx(sum(stages))
        assert 0.5 < r["ari"] <= 1.0  # three well-separated types
    assert "X_csc" not in adata.obsm  # the caller's AnnData is left alone
    assert by_method[cost.CSC]["kernel"] == "compiled" and "kernel" not in by_method[cost.SCANPY]  # CPU default
    with pytest.raises(ValueError, match="method must be one of"):
        cost.time_pipelines(adata, methods=("umap",))


def test_stage_table_and_ratio():
    rows = pd.DataFrame([
        {"dataset": "d", "method": cost.CSC, "seed": 0, "train": 3.0, "total": 4.0},
        {"dataset": "d", "method": cost.CSC, "seed": 1, "train": 5.0, "total": 6.0},
        {"dataset": "d", "method": cost.SCANPY, "seed": 0, "pca": 1.0, "total": 2.0},
    ])
    assert cost.speed_ratio(rows)["d"] == pytest.approx(2.5)
    table = cost.stage_table(rows)
    assert table.loc[("d", cost.CSC), "train"] == pytest.approx(4.0)


def test_complete_runs_skip_partial_ones():
    rows = pd.DataFrame({"run": ["a", "a", "b", "c", "c"], "dataset": ["x", "y", "x", "x", "y"]})
    assert cost.complete_runs(rows) == ["a", "c"]


def _two_cpu_rows():
    """Two complete runs on processor A (an old and a new one), one on B, one partial run on B; csc and scanpy."""
    rows = []
    for run, cpu, datasets, shift in (("1", "A", "xy", 0.0), ("2", "A", "xy", 0.1), ("3", "B", "xy", 0.3),
                                      ("4", "B", "x", 0.5)):
        for dataset in datasets:
            for seed in (0, 1):
                rows.append({"run": run, "cpu": cpu, "dataset": dataset, "seed": seed, "method": cost.CSC,
                             "ari": 0.2 + shift + 0.01 * seed, "total": 2.0})
                rows.append({"run": run, "cpu": cpu, "dataset": dataset, "seed": seed, "method": cost.SCANPY,
                             "ari": 0.4, "total": 1.0})
    return pd.DataFrame(rows)


def test_runs_per_processor_and_ari_across_processors():
    rows = _two_cpu_rows()
    assert cost.complete_runs(rows) == ["1", "2", "3"]
    assert cost.complete_runs(rows, cpu="A") == ["1", "2"] and cost.complete_runs(rows, cpu="B") == ["3"]
    assert cost.latest_run_per_cpu(rows) == {"A": "2", "B": "3"}  # run 4 covers one data set only
    table = cost.across_cpus(rows)
    assert list(table.columns) == ["A", "B", "spread"] and len(table) == 4  # 2 data sets × 2 seeds
    assert table.loc[("x", 1), "A"] == pytest.approx(0.31) and table.loc[("x", 1), "B"] == pytest.approx(0.51)
    assert table["spread"].to_numpy() == pytest.approx([0.2] * 4)
    assert (cost.across_cpus(rows, method=cost.SCANPY)["spread"] == 0).all()


def test_across_processors_needs_two():
    rows = _two_cpu_rows()
    with pytest.raises(ValueError, match="two processors"):
        cost.across_cpus(rows[rows["cpu"] == "A"])


def test_across_processors_plot_draws_every_seed():
    import matplotlib

    matplotlib.use("Agg")
    from csc_core import plotting

    ax = plotting.across_cpus(cost.across_cpus(_two_cpu_rows()), title="t")
    assert [c.get_offsets().shape[0] for c in ax.collections] == [4, 4]  # one point per data set × seed, per CPU
    assert len(ax.lines) == 4 and [t.get_text() for t in ax.get_xticklabels()] == ["x", "y"]


def test_timing_fits_recover_lines_and_power_laws():
    cells = np.array([1000, 2000, 5000, 10000])
    rows = pd.concat([
        pd.DataFrame({"method": "linear", "n_cells": cells, "seconds": 2.0 + 0.003 * cells}),
        pd.DataFrame({"method": "quadratic", "n_cells": cells, "seconds": 1e-6 * cells.astype(float) ** 2}),
    ])
    fits = cost.timing_fits(rows, "n_cells")
    assert fits.loc["linear", "per_1000"] == pytest.approx(3.0)
    assert fits.loc["linear", "intercept"] == pytest.approx(2.0)
    assert fits.loc["linear", "r2"] == pytest.approx(1.0)
    assert fits.loc["quadratic", "exponent"] == pytest.approx(2.0)
    assert fits.loc["quadratic", "r2"] < 1.0


def test_label_kernels_names_contrastive_sc_rows_by_their_kernel():
    rows = pd.DataFrame({"method": [cost.CSC, cost.CSC, cost.SCANPY, cost.CSC],
                         "kernel": ["torch", "compiled", None, None], "seconds": [2.0, 1.0, 0.5, 3.0]})
    assert list(cost.label_kernels(rows)["method"]) == [f"{cost.CSC} (torch)", f"{cost.CSC} (compiled)", cost.SCANPY,
                                                         cost.CSC]
    assert list(rows["method"])[0] == cost.CSC  # a copy
    assert cost.label_kernels(rows.drop(columns="kernel")).equals(rows.drop(columns="kernel"))


def test_timing_rows_run_the_requested_methods_on_simulated_cells():
    rows = cost.timing_rows(300, 120, methods=(cost.SCANPY, cost.PCA_KMEANS), n_groups=3)
    assert [r["method"] for r in rows] == [cost.SCANPY, cost.PCA_KMEANS]
    assert all(r["seconds"] > 0 and -1 <= r["ari"] <= 1 for r in rows)
    assert rows[1]["n_clusters"] == 3  # KMeans is told the number of groups
    with pytest.raises(ValueError, match="Unknown methods"):
        cost.timing_rows(300, 120, methods=("scVI",))


def test_training_frontier_means_per_data_set_and_over_them_in_step_order():
    rows = pd.DataFrame({
        "dataset": ["a", "a", "a", "a", "b", "b"],
        "steps": ["default", "100", "100", "20", "100", "default"],
        "seed": [0, 0, 1, 0, 0, 0],
        "steps_run": [500, 100, 100, 20, 110, 520],
        "ari": [0.9, 0.5, 0.7, 0.1, 0.4, 0.8],
        "ratio": [5.0, 2.0, 3.0, 1.0, 2.5, 6.0],
    })
    table = cost.training_frontier(rows)
    assert list(table["dataset"].unique()) == ["a", "b", "mean"]
    table = table.set_index(["dataset", "steps"])
    assert list(table.loc["a"].index) == ["20", "100", "default"]  # numeric order, "default" last (not "100" < "20")
    assert table.loc[("a", "100"), "ari"] == pytest.approx(0.6)
    assert table.loc[("a", "100"), "seeds"] == 2
    assert table.loc[("mean", "100"), "ratio"] == pytest.approx((2.5 + 2.5) / 2)  # mean of data-set means
    assert table.loc[("mean", "default"), "ari"] == pytest.approx(0.85)
    with pytest.raises(ValueError, match="speed-frontier"):
        cost.training_frontier(pd.DataFrame())


def test_speed_frontier_plot_draws_each_data_set_and_labels_the_highlighted_steps():
    import matplotlib

    matplotlib.use("Agg")
    from csc_core import plotting

    rows = pd.DataFrame({"dataset": ["w", "w", "p", "p"], "steps": ["100", "default", "100", "default"],
                         "seed": 0, "steps_run": [100, 500, 100, 500], "ari": [0.4, 0.6, 0.7, 0.7],
                         "ratio": [2.0, 5.0, 2.2, 6.0]})
    ax = plotting.speed_frontier(cost.training_frontier(rows), target=1.5, highlight="w")
    assert [line.get_label() for line in ax.get_lines()[:3]] == ["p", "w", "mean"]
    assert sorted(t.get_text() for t in ax.texts) == ["100", "default", "target 1.5×"]
    assert ax.get_lines()[-1].get_xdata()[0] == 1.5  # the target line


def test_early_stopping_summary_pairs_the_modes_per_size_and_counts_stops():
    rows = pd.DataFrame({
        "n_cells": [10, 10, 10, 10, 20, 20],
        "early_stopping": [False, True, False, True, "False", "True"],  # as read back from CSV, too
        "csc_total": [4.0, 2.0, 6.0, 6.0, 9.0, 3.0], "train": [2.0, 1.0, 3.0, 3.0, 6.0, 1.0],
        "steps_run": [100, 40, 100, 100, 300, 50], "ari": [0.8, 0.7, 0.6, 0.6, 0.9, 0.85],
        "stopped_at": [np.nan, 40, np.nan, np.nan, np.nan, 50]})
    out = cost.early_stopping_summary(rows)
    assert out.loc[10, "seconds (full)"] == 5.0 and out.loc[10, "seconds (early)"] == 4.0
    assert out.loc[10, "steps (early)"] == 70 and out.loc[20, "ARI (early)"] == 0.85
    assert list(out.columns) == ["seconds (full)", "seconds (early)", "steps (full)", "steps (early)", "ARI (full)",
                                 "ARI (early)", "stopped early"]
    assert out["stopped early"].tolist() == ["1 of 2", "1 of 1"]
    per_set = cost.early_stopping_summary(rows.assign(dataset=["a", "a", "b", "b", "b", "b"]), by="dataset")
    assert per_set.loc["b", "ARI (full)"] == 0.75 and per_set["stopped early"].tolist() == ["1 of 1", "1 of 2"]
    compact = cost.early_stopping_summary(rows, compact=True)
    assert list(compact.columns) == ["seconds", "steps", "ARI", "stopped early"]
    assert compact.loc[10].tolist() == ["5.0 → 4.0", "100 → 70", "0.700 → 0.650", "1 of 2"]
    assert compact.loc[20, "steps"] == "300 → 50"
    with pytest.raises(ValueError, match="bench early-stopping"):
        cost.early_stopping_summary(rows.iloc[:0])


def _trajectory(min_steps=0):
    """Two observed trainings: run 0 settles from step 400 on, run 1 never does."""
    nan = float("nan")
    rows = []
    for seed, agreements in ((0, [nan, 0.96, 0.97, 0.99]), (1, [nan, 0.5, 0.96, 0.6])):
        for i, a in enumerate(agreements):
            rows.append({"data": "d", "settings": "default", "seed": seed, "step": 200 * (i + 1), "agreement_1": a,
                         "ari": 0.1 * (i + 1), "min_steps": min_steps, "steps_total": 1000, "ari_final": 0.5})
    return pd.DataFrame(rows).sample(frac=1, random_state=0)  # the order of stored rows must not matter


def test_replay_stops_at_the_first_check_ending_a_streak_after_the_floor():
    t = cost.replay_stopping(_trajectory(), resolution=1.0, agreement=0.95, patience=2).set_index("seed")
    assert t.loc[0, "stopped_at"] == 600 and t.loc[0, "ari_early"] == pytest.approx(0.3)
    assert np.isnan(t.loc[1, "stopped_at"]) and t.loc[1, "ari_early"] == t.loc[1, "ari_full"] == 0.5
    late = cost.replay_stopping(_trajectory(min_steps=700), resolution=1.0).set_index("seed")
    assert late.loc[0, "stopped_at"] == 800  # the streak holds on, the floor decides
    strict = cost.replay_stopping(_trajectory(), resolution=1.0, agreement=0.98).set_index("seed")
    assert strict["stopped_at"].isna().all()
    once = cost.replay_stopping(_trajectory(), resolution=1.0, patience=1).set_index("seed")
    assert once.loc[0, "stopped_at"] == 400 and once.loc[1, "stopped_at"] == 600
    with pytest.raises(KeyError, match="resolution 0.3"):
        cost.replay_stopping(_trajectory(), resolution=0.3)


def test_stopping_rules_summary_counts_cut_runs_saved_steps_and_ari_change():
    table = cost.stopping_rules_summary(_trajectory(), resolutions=(1.0,), agreements=(0.95, 0.98))
    loose, strict = table.loc[(1.0, 0.95)], table.loc[(1.0, 0.98)]
    assert loose["cut short"] == "1 of 2" and loose["steps saved (%)"] == 20.0  # 400 of 2,000 steps
    assert loose["ARI change (mean)"] == pytest.approx(-0.1) and loose["ARI change (worst)"] == pytest.approx(-0.2)
    assert strict["cut short"] == "0 of 2" and strict["steps saved (%)"] == 0.0 and strict["ARI change (worst)"] == 0


def test_ari_by_step_draws_one_line_per_data_set_with_the_seed_mean():
    import matplotlib

    matplotlib.use("Agg")
    from csc_core import plotting

    rows = pd.concat([_trajectory().assign(data="d"), _trajectory().assign(data="e", ari=lambda r: r["ari"] * 2)])
    fig = plotting.ari_by_step(rows)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["d", "e"]
    # both seeds share these ARIs; the line ends at the full training (step 1,000, ARI 0.5)
    np.testing.assert_allclose(lines[0].get_xdata(), [200, 400, 600, 800, 1000])
    np.testing.assert_allclose(lines[0].get_ydata(), [0.1, 0.2, 0.3, 0.4, 0.5])
    np.testing.assert_allclose(lines[1].get_ydata(), [0.2, 0.4, 0.6, 0.8, 0.5])


def test_revision_comparison_pairs_the_old_revision_with_the_latest_other():
    rows = pd.DataFrame({
        "run": ["1", "1", "2", "2", "3", "3", "1", "3"],
        "cpu": ["A"] * 6 + ["B", "B"],
        "revision": ["old", "old", "mid", "mid", "new", "new", "old", "new"],
        "dataset": "w", "seed": [0, 1] * 4,
        "ari": [0.50, 0.60, 0.0, 0.0, 0.60, 0.70, 0.5, 0.4],
    })
    table = cost.revision_comparison(rows, before="old")
    a = table.loc[("w", "A")]
    assert a["revision after"] == "new" and a["change"] == pytest.approx(0.10)  # "mid" is older than "new"
    assert a["standard error"] == pytest.approx(np.sqrt(0.005 / 2 + 0.005 / 2)) and a["seeds"] == "2 / 2"
    assert table.loc[("w", "B"), "change"] == pytest.approx(-0.1)
    assert cost.revision_comparison(rows[rows["revision"] == "old"], before="old").empty
    # a past revision measured again after "new" is not today's: excluded, "new" is compared with again
    again = pd.concat([rows, rows[rows["revision"] == "mid"].assign(run="9")])
    assert cost.revision_comparison(again, before="old").loc[("w", "A"), "revision after"] == "mid"
    kept = cost.revision_comparison(again, before="old", exclude=["mid"]).loc[("w", "A")]
    assert kept["revision after"] == "new" and kept["change"] == pytest.approx(0.10)


def test_revision_comparison_counts_a_remeasured_seed_once_with_its_latest_run():
    rows = pd.DataFrame({"run": ["1", "1", "4", "3", "3"], "cpu": "A", "revision": ["old", "old", "old", "new", "new"],
                         "dataset": "w", "seed": [0, 1, 1, 0, 1], "ari": [0.5, 0.9, 0.7, 0.6, 0.6]})
    a = cost.revision_comparison(rows, before="old").loc[("w", "A")]
    assert a["seeds"] == "2 / 2" and a["before"] == pytest.approx(0.6)  # seed 1: run 4's 0.7, not run 1's 0.9


def test_spread_sources_separate_training_from_clustering():
    # two embeddings (training seeds 0, 1), three clustering seeds each: clustering moves the ARI by ±0.1 on each
    # embedding, training moves the embedding's mean by 0.2
    rows = pd.DataFrame({"dataset": "d", "seed": [0, 0, 0, 1, 1, 1], "cluster_seed": [0, 1, 2, 0, 1, 2],
                         "ari": [0.4, 0.5, 0.6, 0.7, 0.6, 0.8]})
    t = cost.spread_sources(rows).loc["d"]
    assert t["clustering sd"] == pytest.approx(0.1)
    assert t["training sd"] == pytest.approx(np.std([0.5, 0.7], ddof=1))
    assert t["pipeline sd"] == pytest.approx(np.std([0.4, 0.6], ddof=1))  # (seed 0, cluster 0) and (1, 1)
    assert t["clustering range"] == pytest.approx(0.2) and t["mean ARI"] == pytest.approx(0.6)
    assert (t["training seeds"], t["clustering seeds"]) == (2, 3)


def test_scaling_per_cpu_takes_each_processors_latest_complete_run():
    rows = pd.DataFrame({
        "run": ["a", "a", "a", "b", "b", "c", "c", "c"],
        "cpu": ["AMD", "AMD", "AMD", "AMD", "AMD", "Intel", "Intel", "Intel"],
        "n_cells": [10, 20, 40, 10, 20, 10, 20, 40],  # run b stopped before its largest size
        "csc_total": [1.0, 2.0, 4.0, 9.0, 9.0, 2.0, 3.0, 5.5],
        "train": [0.5, 1.0, 2.0, 1, 1, 1.0, 1.5, 2.5],
        "peak_rss_gb": [1, 1, 2, 1, 1, 1, 1, 3],
        "ari": [0.9, 0.9, 0.8, 0.1, 0.1, 0.9, 0.9, 0.7],
    })
    table = cost.scaling_per_cpu(rows)
    assert list(table.columns) == ["AMD", "Intel"]
    assert table.loc["run", "AMD"] == "a" and table.loc["largest (cells)", "Intel"] == 40
    assert table.loc["seconds", "Intel"] == 5.5 and table.loc["ARI", "AMD"] == 0.8
    assert table.loc["ms per cell", "AMD"] == pytest.approx(100.0)  # 0.1 s per cell, exactly linear
    assert table.loc["R²", "AMD"] == pytest.approx(1.0) and table.loc["R²", "Intel"] < 1.0


def test_runs_can_be_restricted_to_one_training_kernel():
    """A newer run with another kernel must not stand in for a processor's latest run of the kernel compared."""
    rows = _two_cpu_rows()
    rows["kernel"] = None
    csc = rows["method"] == cost.CSC
    rows.loc[csc, "kernel"] = "torch"
    rows.loc[csc & (rows["run"] == "2"), "kernel"] = "compiled"  # A's newest run used the compiled step
    assert cost.complete_runs(rows, kernel="torch") == ["1", "3"]
    assert cost.latest_run_per_cpu(rows, kernel="torch") == {"A": "1", "B": "3"}
    assert cost.latest_run_per_cpu(rows, kernel="compiled") == {"A": "2"}
    assert cost.latest_run_per_cpu(rows) == {"A": "2", "B": "3"}
    table = cost.across_cpus(rows, kernel="torch")
    assert table.loc[("x", 0), "A"] == pytest.approx(0.2)  # run 1's, not run 2's 0.3
    assert cost.complete_runs(rows.drop(columns="kernel"), kernel="torch") == []  # no kernel recorded: no match
    frontier = pd.DataFrame({"dataset": ["x"] * 4, "seed": [0, 1, 0, 1], "steps": ["100"] * 4,
                             "steps_run": [100] * 4, "ari": [0.1, 0.3, 0.5, 0.7], "ratio": [1.0, 1.0, 2.0, 2.0],
                             "kernel": ["compiled", "compiled", "torch", "torch"]})
    picked = cost.training_frontier(frontier, kernel="torch")
    assert picked.loc[picked["dataset"] == "x", "ari"].item() == pytest.approx(0.6)
    with pytest.raises(ValueError, match="No frontier rows"):
        cost.training_frontier(frontier, kernel="other")


def test_reclustered_comparison_holds_each_clustering_fixed():
    rows = pd.DataFrame({"run": ["1"] * 4 + ["2"] * 4, "cpu": "A", "revision": ["old"] * 4 + ["new"] * 4,
                         "dataset": "w", "seed": [0, 1, 0, 1] * 2, "clustering": ["auto", "auto", "0.3", "0.3"] * 2,
                         "ari": [0.5, 0.6, 0.7, 0.8, 0.5, 0.8, 0.6, 0.6]})
    table = cost.reclustered_comparison(rows, before="old")
    assert table.loc[("auto", "w", "A"), "change"] == pytest.approx(0.1)
    assert table.loc[("0.3", "w", "A"), "change"] == pytest.approx(-0.15)
    first = cost.reclustered_comparison(rows, before="old", seeds=[0])
    assert first.loc[("auto", "w", "A"), "change"] == pytest.approx(0.0) and first["seeds"].eq("1 / 1").all()
