"""Comparing benchmark runs: per processor, across processors, across revisions (csc_core.harness.runs)."""

import numpy as np
import pandas as pd
import pytest

from csc_core.harness import runs, stopping_tables, timing
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


def test_revision_comparison_pairs_the_old_revision_with_the_latest_other():
    rows = pd.DataFrame(
        {
            "run": ["1", "1", "2", "2", "3", "3", "1", "3"],
            "cpu": ["A"] * 6 + ["B", "B"],
            "revision": ["old", "old", "mid", "mid", "new", "new", "old", "new"],
            "dataset": "w",
            "seed": [0, 1] * 4,
            "ari": [0.50, 0.60, 0.0, 0.0, 0.60, 0.70, 0.5, 0.4],
        }
    )
    table = runs.revision_comparison(rows, before="old")
    a = table.loc[("w", "A")]
    assert a["revision after"] == "new" and a["change"] == pytest.approx(0.10)  # "mid" is older than "new"
    assert a["standard error"] == pytest.approx(np.sqrt(0.005 / 2 + 0.005 / 2)) and a["seeds"] == "2 / 2"
    assert table.loc[("w", "B"), "change"] == pytest.approx(-0.1)
    assert runs.revision_comparison(rows[rows["revision"] == "old"], before="old").empty
    # a past revision measured again after "new" is not today's: excluded, "new" is compared with again
    again = pd.concat([rows, rows[rows["revision"] == "mid"].assign(run="9")])
    assert runs.revision_comparison(again, before="old").loc[("w", "A"), "revision after"] == "mid"
    kept = runs.revision_comparison(again, before="old", exclude=["mid"]).loc[("w", "A")]
    assert kept["revision after"] == "new" and kept["change"] == pytest.approx(0.10)


def test_revision_comparison_counts_a_remeasured_seed_once_with_its_latest_run():
    rows = pd.DataFrame(
        {
            "run": ["1", "1", "4", "3", "3"],
            "cpu": "A",
            "revision": ["old", "old", "old", "new", "new"],
            "dataset": "w",
            "seed": [0, 1, 1, 0, 1],
            "ari": [0.5, 0.9, 0.7, 0.6, 0.6],
        }
    )
    a = runs.revision_comparison(rows, before="old").loc[("w", "A")]
    assert a["seeds"] == "2 / 2" and a["before"] == pytest.approx(0.6)  # seed 1: run 4's 0.7, not run 1's 0.9


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


def test_scaling_per_cpu_takes_each_processors_latest_complete_run():
    rows = pd.DataFrame(
        {
            "run": ["a", "a", "a", "b", "b", "c", "c", "c"],
            "cpu": ["AMD", "AMD", "AMD", "AMD", "AMD", "Intel", "Intel", "Intel"],
            "n_cells": [10, 20, 40, 10, 20, 10, 20, 40],  # run b stopped before its largest size
            "csc_total": [1.0, 2.0, 4.0, 9.0, 9.0, 2.0, 3.0, 5.5],
            "train": [0.5, 1.0, 2.0, 1, 1, 1.0, 1.5, 2.5],
            "peak_rss_gb": [1, 1, 2, 1, 1, 1, 1, 3],
            "ari": [0.9, 0.9, 0.8, 0.1, 0.1, 0.9, 0.9, 0.7],
        }
    )
    table = runs.scaling_per_cpu(rows)
    assert list(table.columns) == ["AMD", "Intel"]
    assert table.loc["run", "AMD"] == "a" and table.loc["largest (cells)", "Intel"] == 40
    assert table.loc["seconds", "Intel"] == 5.5 and table.loc["ARI", "AMD"] == 0.8
    assert table.loc["ms per cell", "AMD"] == pytest.approx(100.0)  # 0.1 s per cell, exactly linear
    assert table.loc["R²", "AMD"] == pytest.approx(1.0) and table.loc["R²", "Intel"] < 1.0


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
    frontier = pd.DataFrame(
        {
            "dataset": ["x"] * 4,
            "seed": [0, 1, 0, 1],
            "steps": ["100"] * 4,
            "steps_run": [100] * 4,
            "ari": [0.1, 0.3, 0.5, 0.7],
            "ratio": [1.0, 1.0, 2.0, 2.0],
            "kernel": ["compiled", "compiled", "torch", "torch"],
        }
    )
    picked = stopping_tables.training_frontier(frontier, kernel="torch")
    assert picked.loc[picked["dataset"] == "x", "ari"].item() == pytest.approx(0.6)
    with pytest.raises(ValueError, match="No frontier rows"):
        stopping_tables.training_frontier(frontier, kernel="other")


def test_reclustered_comparison_holds_each_clustering_fixed():
    rows = pd.DataFrame(
        {
            "run": ["1"] * 4 + ["2"] * 4,
            "cpu": "A",
            "revision": ["old"] * 4 + ["new"] * 4,
            "dataset": "w",
            "seed": [0, 1, 0, 1] * 2,
            "clustering": ["auto", "auto", "0.3", "0.3"] * 2,
            "ari": [0.5, 0.6, 0.7, 0.8, 0.5, 0.8, 0.6, 0.6],
        }
    )
    table = runs.reclustered_comparison(rows, before="old")
    assert table.loc[("auto", "w", "A"), "change"] == pytest.approx(0.1)
    assert table.loc[("0.3", "w", "A"), "change"] == pytest.approx(-0.15)
    first = runs.reclustered_comparison(rows, before="old", seeds=[0])
    assert first.loc[("auto", "w", "A"), "change"] == pytest.approx(0.0) and first["seeds"].eq("1 / 1").all()


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
    assert summary["clustering_range_max"] == 0.17 and summary["clustering_range_set"] == "Mouse bladder (2,100 cells)"
    assert (summary["training_sd_max"], summary["n_training_seeds"], summary["n_cluster_seeds"]) == (0.03, 5, 10)
    rows = two_cpu_rows()
    cpus = runs.processor_summary(runs.across_cpus(rows), runs.across_cpus(rows, method=timing.SCANPY))
    assert cpus["n_cpus"] == 2 and cpus["cpu_seed_change"] == pytest.approx(0.2)  # B's run is 0.3 above A's 0.1
    assert (cpus["cpu_mean_low"], cpus["cpu_mean_high"]) == (pytest.approx(0.305), pytest.approx(0.505))
    assert cpus["scanpy_seed_change"] == 0 and cpus["scanpy_changed"] == 0 and cpus["n_cpu_runs"] == 4
