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
