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


def test_dataset_label_names_registered_data_sets_for_readers():
    from csc_core.harness.tables import dataset_label

    assert dataset_label("worm_neuron_cell_select_2100") == "Worm neurons (2,100 cells)"
    assert dataset_label("10X_PBMC_top2000") == "10X PBMC (4,271 cells, top 2,000 genes)"
    assert dataset_label("10X_PBMC") == "10X PBMC (4,271 cells)"  # the two cuts of one file stay apart
    assert dataset_label("mouse_ES_cell") == "Mouse ES cells (2,717 cells)"
    assert dataset_label("cellbench_celseq2_p2") == "CellBench CEL-seq2 plate 2 (163 cells)"
    assert dataset_label("sim_10000") == "sim_10000" and dataset_label("mean") == "mean"


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
