"""Comparing benchmark runs: per processor, across processors, where the spread comes from (csc_core.harness.runs)."""

import numpy as np
import pandas as pd
import pytest

from csc_core.harness import runs, timing
from tests.helpers import two_cpu_rows


def test_complete_runs_skip_partial_ones():
    rows = pd.DataFrame({"run": ["a", "a", "b", "c", "c"], "dataset": ["x", "y", "x", "x", "y"]})
    assert runs.complete_runs(rows) == ["a", "c"]


def test_runs_per_processor_and_ari_across_processors():
    rows = two_cpu_rows()
    assert runs.complete_runs(rows) == ["1", "2", "3"]
    assert runs.complete_runs(rows, cpu="A") == ["1", "2"] and runs.complete_runs(rows, cpu="B") == ["3"]
    assert runs.latest_run_per_cpu(rows) == {"A": "2", "B": "3"}  # run 4 covers one data set only
    table = runs.across_cpus(rows)
    assert list(table.columns) == ["A", "B", "spread"] and len(table) == 4  # 2 data sets × 2 seeds
    assert table.loc[("x", 1), "A"] == pytest.approx(0.31) and table.loc[("x", 1), "B"] == pytest.approx(0.51)
    assert table["spread"].to_numpy() == pytest.approx([0.2] * 4)
    assert (runs.across_cpus(rows, method=timing.SCANPY)["spread"] == 0).all()


def test_across_processors_needs_two():
    rows = two_cpu_rows()
    with pytest.raises(ValueError, match="two processors"):
        runs.across_cpus(rows[rows["cpu"] == "A"])


def test_spread_sources_separate_training_from_clustering():
    # two embeddings (training seeds 0, 1), three clustering seeds each: clustering moves the ARI by ±0.1 on each
    # embedding, training moves the embedding's mean by 0.2
    rows = pd.DataFrame(
        {
            "dataset": "d",
            "seed": [0, 0, 0, 1, 1, 1],
            "cluster_seed": [0, 1, 2, 0, 1, 2],
            "ari": [0.4, 0.5, 0.6, 0.7, 0.6, 0.8],
        }
    )
    t = runs.spread_sources(rows).loc["d"]
    assert t["clustering sd"] == pytest.approx(0.1)
    assert t["training sd"] == pytest.approx(np.std([0.5, 0.7], ddof=1))
    assert t["pipeline sd"] == pytest.approx(np.std([0.4, 0.6], ddof=1))  # (seed 0, cluster 0) and (1, 1)
    assert t["clustering range"] == pytest.approx(0.2) and t["mean ARI"] == pytest.approx(0.6)
    assert (t["training seeds"], t["clustering seeds"]) == (2, 3)


def test_a_training_setting_is_compared_with_leidens_seed_averaged_out():
    # lr_decay 0 and 0.3 on seeds 0, 1 (two clustering seeds each); seed 2 only at 0: not compared
    rows = pd.DataFrame(
        {
            "dataset": "d",
            "lr_decay": [0.0] * 6 + [0.3] * 4,
            "seed": [0, 0, 1, 1, 2, 2, 0, 0, 1, 1],
            "cluster_seed": [0, 1] * 5,
            "ari": [0.5, 0.7, 0.4, 0.6, 0.0, 0.0, 0.7, 0.9, 0.8, 0.8],
        }
    )
    t = runs.training_effect(rows, "lr_decay").loc["d"]
    assert t[0.0] == pytest.approx(0.55) and t[0.3] == pytest.approx(0.8)  # embeddings 0.6, 0.5 and 0.8, 0.8
    assert t["0.0 ±"] == pytest.approx(np.std([0.6, 0.5], ddof=1) / np.sqrt(2)) and t["0.3 ±"] == pytest.approx(0)
    assert t["difference"] == pytest.approx(0.25) and t["difference ±"] == pytest.approx(t["0.0 ±"])
    assert t["training seeds"] == 2


def test_runs_can_be_restricted_to_one_training_kernel():
    """A newer run with another kernel must not stand in for a processor's latest run of the kernel compared."""
    rows = two_cpu_rows()
    rows["kernel"] = None
    csc = rows["method"] == timing.CSC
    rows.loc[csc, "kernel"] = "torch"
    rows.loc[csc & (rows["run"] == "2"), "kernel"] = "compiled"  # A's newest run used the compiled step
    assert runs.complete_runs(rows, kernel="torch") == ["1", "3"]
    assert runs.latest_run_per_cpu(rows, kernel="torch") == {"A": "1", "B": "3"}
    assert runs.latest_run_per_cpu(rows, kernel="compiled") == {"A": "2"}
    assert runs.latest_run_per_cpu(rows) == {"A": "2", "B": "3"}
    table = runs.across_cpus(rows, kernel="torch")
    assert table.loc[("x", 0), "A"] == pytest.approx(0.2)  # run 1's, not run 2's 0.3
    assert runs.complete_runs(rows.drop(columns="kernel"), kernel="torch") == []  # no kernel recorded: no match


def test_speed_runs_take_the_latest_on_one_processor_and_leave_out_busy_ones():
    base = two_cpu_rows()  # complete runs: 1 and 2 on A, 3 on B
    picked = runs.speed_runs(base, n=2)
    assert list(picked.index) == ["3"] and picked["cpu"].tolist() == ["B"]  # the latest run's processor only
    assert picked["idle"].isna().all() and picked["max_load"].isna().all()  # no load recorded: kept, not checked
    on_a = runs.speed_runs(base[base["cpu"] == "A"], n=2)
    assert list(on_a.index) == ["1", "2"] and runs.speed_runs(base[base["cpu"] == "A"], n=1).index.tolist() == ["2"]
    busy = base.assign(load_1min=np.where(base["run"] == "3", 5.0, 1.0))
    picked = runs.speed_runs(busy, n=2, cores=2)  # run 3 was measured on a busy machine: A's runs instead
    assert list(picked.index) == ["1", "2"] and picked["idle"].tolist() == [True, True]
    assert picked["max_load"].tolist() == [1.0, 1.0]
    assert runs.speed_runs(busy.assign(load_1min=9.0)).empty


def test_spread_and_processor_summaries_count_what_the_chapter_quotes():
    sources = pd.DataFrame(
        {
            "clustering sd": [0.05, 0.01, 0.04],
            "training sd": [0.02, 0.03, 0.01],
            "clustering range": [0.1, 0.02, 0.17],
            "training seeds": 5,
            "clustering seeds": 10,
        },
        index=["a", "b", "mouse_bladder_cell_select_2100"],
    )
    summary = runs.spread_summary(sources)
    assert summary["n_clustering_bigger"] == 2 and summary["n_spread_sets"] == 3
    assert summary["clustering_range_max"] == 0.17
    assert summary["clustering_range_set"] == "Mouse bladder cells (2,100 cells)"
    assert (summary["training_sd_max"], summary["n_training_seeds"], summary["n_cluster_seeds"]) == (0.03, 5, 10)
    rows = two_cpu_rows()
    cpus = runs.processor_summary(runs.across_cpus(rows), runs.across_cpus(rows, method=timing.SCANPY))
    assert cpus["n_cpus"] == 2 and cpus["cpu_seed_change"] == pytest.approx(0.2)  # B's run is 0.3 above A's 0.1
    assert (cpus["cpu_mean_low"], cpus["cpu_mean_high"]) == (pytest.approx(0.305), pytest.approx(0.505))
    assert cpus["scanpy_seed_change"] == 0 and cpus["scanpy_changed"] == 0 and cpus["n_cpu_runs"] == 4
