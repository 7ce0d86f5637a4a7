"""Tables the chapters show (csc_core.harness.tables)."""

import numpy as np
import pandas as pd
import pytest

from csc_core.harness import tables


def test_summary_table_sets_measured_beside_published():
    measured = pd.DataFrame(
        {
            "dataset": ["d"] * 4,
            "method": ["contrastive-sc"] * 2 + ["scanpy"] * 2,
            "seed": [0, 1, 0, 1],
            "ari": [0.5, 0.7, 0.4, 0.4],
            "n_clusters": [8, 10, 9, 9],
            "seconds": [2.0, 4.0, 1.0, 1.0],
        }
    )
    paper = pd.DataFrame({"dataset": ["d"], "method": ["contrastive-sc"], "ari": [0.55]})
    t = tables.summary_table(measured, paper).set_index("method")
    assert t.loc["contrastive-sc", "ari"] == pytest.approx(0.6)
    assert t.loc["contrastive-sc", "vs_paper"] == pytest.approx(0.05)
    assert t.loc["contrastive-sc", "seconds"] == pytest.approx(3.0)
    assert pd.isna(t.loc["scanpy", "paper_ari"])


def test_resolution_rules_replay_each_rule_on_stored_partitions():
    table = pd.DataFrame(
        dict(
            dataset="d",
            seed=0,
            n_neighbors=30,
            resolution=[0.1, 0.3, 0.5, 1.0],
            silhouette=[0.50, 0.30, 0.31, 0.33],
            ari=[0.2, 0.6, 0.7, 0.4],
            n_clusters=[2, 5, 7, 12],
        )
    )
    picks = tables.resolution_rules(table, tolerance=0.0, resolutions=(0.3, 0.5, 1.0)).set_index("rule")["resolution"]
    assert picks["best silhouette"] == 0.1  # over every resolution
    assert picks["auto"] == 1.0  # the best silhouette among the resolutions auto tries
    assert picks["earlier auto"] == 0.5  # from 0.3 up: best 0.33, the lowest within 0.02 is 0.5
    assert picks["oracle (uses labels)"] == 0.5 and picks["fixed 1"] == 1.0 and picks["fixed 0.3"] == 0.3


def test_preset_comparison_lines_up_presets_scanpy_and_published():
    def rows(method, aris, secs):
        return pd.DataFrame(dict(dataset="d", method=method, seed=[0, 1], ari=aris, seconds=secs))

    defaults = pd.concat([rows("contrastive-sc", [0.6, 0.8], [2, 4]), rows("scanpy", [0.5, 0.5], [1, 1])])
    paper_settings = pd.concat([rows("contrastive-sc", [0.4, 0.4], [30, 30]), rows("scanpy", [0.5, 0.5], [1, 1])])
    published = pd.DataFrame(dict(dataset="d", method=["contrastive-sc", "scanpy"], ari=[0.65, 0.55]))
    t = tables.preset_comparison(defaults, paper_settings, published).loc["d"]
    assert t["defaults"] == pytest.approx(0.7) and t["paper settings"] == pytest.approx(0.4)
    assert t["defaults − scanpy"] == pytest.approx(0.2) and t["defaults − published"] == pytest.approx(0.05)
    assert t["seconds, defaults"] == 3 and t["seconds, paper settings"] == 30 and t["seeds"] == 2


def test_kind_summary_means_data_sets_spreads_over_seeds_and_sets_the_paper_beside():
    rows = pd.DataFrame(
        [
            {"kind": kind, "n_groups": k, "dropout_mid": 1.0, "seed": seed, "method": m, "ari": ari}
            for kind, k, m, seed, ari in [
                ("balanced", 4, "a", 0, 0.2),
                ("balanced", 8, "a", 0, 0.4),  # seed 0 mean 0.3
                ("balanced", 4, "a", 1, 0.6),
                ("balanced", 8, "a", 1, 0.6),  # seed 1 mean 0.6
                ("imbalanced", 4, "a", 0, 0.5),
                ("balanced", 4, "b", 0, 0.9),
            ]
        ]
    )
    paper = pd.DataFrame(
        [dict(kind="balanced", n_groups=k, dropout_mid=1.0, method="a", ari=v) for k, v in ((4, 0.1), (8, 0.3))]
    )
    t = tables.kind_summary(rows, paper, methods=["b", "a", "absent"])
    assert list(t.index) == ["b", "a"]
    assert t.loc["a", "balanced"] == 0.45 and t.loc["a", "balanced ± seeds"] == round(np.std([0.3, 0.6], ddof=1), 3)
    assert t.loc["a", "balanced, paper"] == 0.2 and np.isnan(t.loc["b", "balanced, paper"])
    assert np.isnan(t.loc["a", "imbalanced ± seeds"]) and t.loc["a", "imbalanced"] == 0.5  # one seed: no spread
    assert t.loc["a", "seeds"] == 2 and t.loc["a", "data sets"] == 3 and t.loc["b", "data sets"] == 1


def test_rule_summary_orders_data_sets_by_size_and_adds_the_mean():
    rows = []
    for dataset, n_cells, best in (("big", 5000, 0.5), ("small", 100, 1.0)):
        for seed in (0, 1):
            for r, sil in ((0.2, 0.10), (0.5, 0.20), (1.0, 0.21)):
                ari = 0.9 if r == best else 0.3
                rows.append(
                    dict(
                        dataset=dataset,
                        seed=seed,
                        n_neighbors=30,
                        resolution=r,
                        silhouette=sil,
                        ari=ari,
                        n_clusters=int(r * 10),
                        n_cells=n_cells,
                    )
                )
    table = tables.rule_summary(pd.DataFrame(rows))
    assert list(table.index) == ["small", "big", "mean"]
    # today's rule: the lowest resolution within 20 % of the silhouettes' range (0.5 here); the best silhouette: 1.0
    assert table.loc["big", "auto"] == 0.9 and table.loc["small", "auto"] == 0.3
    assert table.loc["small", "previous auto"] == 0.9
    assert table.loc["mean", "auto"] == 0.6


def test_pretty_prints_counts_as_integers_names_for_readers_and_dashes_for_missing_values():
    t = pd.DataFrame(
        {
            "dataset": ["worm_neuron_cell", "worm_neuron_cell"],
            "method": ["contrastive-sc", "sczi"],
            "ari": [0.51234, np.nan],
            "n_clusters": [8.0, 11.0],
            "seeds": [3, 3],
        }
    )
    html = tables.pretty(t, index=False).to_html()
    assert "Worm neuron cells (4,186 cells)" in html and "scziDesk" in html and "worm_neuron_cell" not in html
    assert "0.512" in html and "0.51234" not in html
    assert ">8<" in html and "8.000" not in html and ">11<" in html  # clusters as whole numbers
    assert "—" in html and "nan" not in html
    assert ">clusters<" in html and ">ARI<" in html


def test_summary_table_gives_the_median_number_of_clusters():
    measured = pd.DataFrame(
        {
            "dataset": "d",
            "method": "contrastive-sc",
            "seed": [0, 1, 2],
            "ari": 0.5,
            "n_clusters": [7, 8, 8],
            "n_types": 8,
            "seconds": 1.0,
        }
    )
    t = tables.summary_table(measured, pd.DataFrame(columns=["dataset", "method", "ari"]))
    assert t.loc[0, "n_clusters"] == 8 and t.loc[0, "n_types"] == 8  # not 7.667


def test_above_or_below_and_wins_put_comparisons_into_words_and_counts():
    assert tables.above_or_below(0.41, 0.52) == "below" and tables.above_or_below(0.6, 0.5) == "above"
    assert tables.above_or_below(0.5001, 0.5) == "level with"
    assert tables.above_or_below(np.nan, 0.5) == "not comparable with"
    rows = pd.DataFrame(
        {
            "dataset": ["a", "a", "b", "b", "c"],
            "seed": 0,
            "method": ["x", "y", "x", "y", "x"],
            "ari": [0.9, 0.1, 0.2, 0.3, 0.5],
        }
    )
    assert tables.wins(rows, "x", "y", ["dataset", "seed"]) == (1, 2)  # c has no y: not a pair
    assert tables.wins(rows, "x", "z", ["dataset", "seed"]) == (0, 0)


def test_measured_vs_published_keeps_the_papers_value_beside_ours():
    table = pd.DataFrame({"dataset": ["a", "a"], "method": ["x", "y"], "ari": [0.5, 0.25]})
    paper = pd.DataFrame({"dataset": ["a", "es"], "method": ["x", "x"], "ari": [0.6, 0.658]})
    out = tables.measured_vs_published(table, paper, methods=["x", "y", "z"], datasets=["a", "es"])
    assert out.loc["x"].tolist() == ["0.500 (0.600)", "— (0.658)"]
    assert out.loc["y", "a"] == "0.250 (—)" and out.loc["y"].isna().tolist() == [False, True]
    assert "z" not in out.index


def test_setting_summary_and_extremes_describe_an_ablation_curve():
    rows = pd.DataFrame(
        {
            "keep": [0.1, 0.1, 0.2, 0.2, 0.5, 0.5],
            "method": ["m", "k"] * 3,
            "ari": [0.50, 0.4, 0.52, 0.4, 0.30, 0.4],
        }
    )
    s = tables.setting_summary(rows, x="keep", methods=["m", "k"])
    assert list(s.columns) == ["m", "k", "runs"] and s["runs"].tolist() == [1, 1, 1]
    e = tables.extremes(s["m"])
    assert (e["best"], e["worst"], e["n_near"], e["n"]) == (0.2, 0.5, 2, 3)
    assert e["best_value"] == pytest.approx(0.52)


def test_complete_sets_keeps_the_data_sets_measured_at_every_value():
    rows = pd.DataFrame(
        {
            "kind": ["b"] * 5,
            "n_groups": [4, 4, 8, 8, 16],
            "dropout_mid": 0.0,
            "x": [1, 2, 1, 2, 1],
        }
    )
    assert tables.complete_sets(rows, x="x")["n_groups"].tolist() == [4, 4, 8, 8]
    assert tables.by_kind(rows)["dataset"].tolist() == ["b"] * 5


def test_common_runs_keeps_the_runs_every_method_has():
    rows = pd.DataFrame(
        {
            "dataset": ["a", "a", "b", "b", "c"],
            "seed": [0, 0, 0, 0, 0],
            "method": ["x", "y", "x", "y", "x"],
            "ari": 0.5,
        }
    )
    out = tables.common_runs(rows, ["dataset", "seed"])
    assert sorted(set(out["dataset"])) == ["a", "b"] and len(out) == 4


def test_pretty_writes_a_numeric_index_as_its_values():
    t = pd.DataFrame({"ari": [0.5, 0.6]}, index=pd.Index([0.05, 0.2], name="keep"))
    html = tables.pretty(t).to_html()
    assert ">0.05<" in html and ">0.2<" in html and "0.050000" not in html


def test_pretty_joins_index_levels_and_merges_spreads_into_one_column():
    idx = pd.MultiIndex.from_tuples([("batch", 10, 0.01), ("cell", 50, 0.001)], names=["mask", "epochs", "lr"])
    t = pd.DataFrame({"csc": [0.71234, 0.5], "csc ±": [0.0161, np.nan], "other": [np.nan, 0.4]}, index=idx)
    shown = tables.pretty(t, join_index=True, merge_spread=True).data
    assert list(shown.index) == ["batch · 10 · 0.01", "cell · 50 · 0.001"] and shown.index.name == "mask · epochs · lr"
    assert list(shown.columns) == ["csc", "other"]
    assert list(shown["csc"]) == ["0.712 ± 0.016", "0.500"]  # no spread: the mean alone
    assert tables.pretty(t).data.index.nlevels == 3 and "csc ±" in tables.pretty(t).data.columns  # off by default


def test_coarse_runs_counts_two_cluster_runs_among_more_types_and_pairs_them_with_kmeans_told_k():
    def row(seed, method, ari, n_clusters, n_types=8):
        return dict(dataset="d", seed=seed, method=method, ari=ari, n_clusters=n_clusters, n_types=n_types)

    rows = pd.DataFrame(
        [
            row(0, "contrastive-sc", 0.0, 2),  # coarse; KMeans told 8 does better
            row(0, "Ensemble K-means", 0.2, 8),
            row(1, "contrastive-sc", 0.1, 2),  # coarse; KMeans does worse
            row(1, "Ensemble K-means", 0.05, 8),
            row(2, "contrastive-sc", 0.9, 8),  # found the groups
            row(2, "Ensemble K-means", 0.9, 8),
            row(3, "contrastive-sc", 0.8, 2, n_types=2),  # two clusters of two types: not coarse
        ]
    )
    out = tables.coarse_runs(rows, ["dataset", "seed"])
    assert (out["coarse_runs"], out["all_runs"], out["coarse_told_better"]) == (2, 4, 1)
    assert out["coarse_ari"] == pytest.approx(0.05)
    assert out["coarse_told_ari"] == pytest.approx(0.125)


def test_collapsed_runs_counts_runs_told_k_that_ended_with_fewer_than_half_the_clusters():
    def row(method, n_clusters, epochs_run, n_types=16):
        return dict(method=method, n_clusters=n_clusters, n_types=n_types, epochs_run=epochs_run, cluster_epochs=200)

    rows = pd.DataFrame(
        [
            row("scDeepCluster", 16, 200),  # kept every cluster
            row("scDeepCluster", 8, 200),  # exactly half: not collapsed
            row("scDeepCluster", 7, 200),  # collapsed at the epoch limit
            row("scDeepCluster", 3, 2),  # collapsed and stopped after two epochs
            row("scziDesk", 1, 5),  # another method: not counted
        ]
    )
    out = tables.collapsed_runs(rows, "scDeepCluster")
    assert (out["runs"], out["collapsed"], out["stopped_early"]) == (4, 2, 1)
    assert (out["fewest_epochs"], out["fewest_epochs_clusters"]) == (2, 3)
    none = tables.collapsed_runs(rows.iloc[:2], "scDeepCluster")
    assert none["collapsed"] == 0 and np.isnan(none["fewest_epochs"])


def test_sweep_table_averages_the_seeds_run_with_every_value_and_each_group():
    rows = pd.DataFrame(
        [
            dict(dataset="big", n_cells=3000, seed=0, lr_decay=0.0, ari=0.6),
            dict(dataset="big", n_cells=3000, seed=0, lr_decay=0.3, ari=0.8),
            dict(dataset="big", n_cells=3000, seed=1, lr_decay=0.0, ari=0.1),  # no 0.3 run of seed 1: left out
            dict(dataset="small", n_cells=150, seed=0, lr_decay=0.3, ari=1.0),
            dict(dataset="small", n_cells=150, seed=0, lr_decay=0.0, ari=0.9),
            dict(dataset="small", n_cells=150, seed=1, lr_decay=0.0, ari=0.7),
            dict(dataset="small", n_cells=150, seed=1, lr_decay=0.3, ari=1.0),
        ]
    )
    table = tables.sweep_table(rows, "lr_decay", {"all": ["big", "small", "absent"], "large": ["big"]})
    assert list(table.index) == ["small", "big", "all", "large"] and list(table.columns) == [0.0, 0.3]
    assert table.loc["big"].tolist() == pytest.approx([0.6, 0.8])
    assert table.loc["small"].tolist() == pytest.approx([0.8, 1.0])
    assert table.loc["all"].tolist() == pytest.approx([0.7, 0.9])


def test_rule_comparison_pairs_the_seeds_every_rule_ran():
    rows = []
    for dataset, n_cells in (("big", 5000), ("small", 100)):
        for seed in (0, 1, 2):
            rows.append(dict(dataset=dataset, seed=seed, n_cells=n_cells, method="scanpy", auto_rule="", ari=0.5))
            rows.append(
                dict(
                    dataset=dataset,
                    seed=seed,
                    n_cells=n_cells,
                    method="contrastive-sc",
                    auto_rule="a",
                    ari=0.6 + 0.1 * seed,
                )
            )
            if seed < 2:  # rule b has seeds 0 and 1 only: seed 2 of rule a is left out
                rows.append(
                    dict(dataset=dataset, seed=seed, n_cells=n_cells, method="contrastive-sc", auto_rule="b", ari=0.9)
                )
    t = tables.rule_comparison(pd.DataFrame(rows), {"one": "a", "three": "b"})
    assert list(t.index) == ["small", "big", "mean"]
    assert t.loc["big", "one"] == pytest.approx(0.65) and t.loc["big", "three − one"] == pytest.approx(0.25)
    assert t.loc["big", "seeds"] == 2 and t.loc["big", "scanpy"] == 0.5
    assert t.loc["big", "one ±"] == pytest.approx(0.05)
    with pytest.raises(ValueError, match="every rule"):
        tables.rule_comparison(pd.DataFrame(rows), {"one": "a", "none": "c"})
