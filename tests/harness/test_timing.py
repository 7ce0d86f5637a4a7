"""Timing the pipelines stage by stage, and fitting how their time grows (csc_core.harness.timing)."""

import numpy as np
import pandas as pd
import pytest

from csc_core.harness import timing
from csc_core.kernels import resolve_kernel
from csc_core.settings import DEFAULTS
from tests.helpers import expected_device


def test_linear_fit_recovers_a_line_and_scores_noise_lower():
    x = np.array([1e4, 3e4, 1e5, 3e5, 1e6])
    slope, intercept, r2 = timing.linear_fit(x, 2e-3 * x + 5)
    assert slope == pytest.approx(2e-3) and intercept == pytest.approx(5) and r2 == pytest.approx(1.0)
    _, _, r2_curved = timing.linear_fit(x, 1e-9 * x**2)
    assert r2_curved < 0.99


def test_time_pipelines_times_every_stage_and_scores_both_methods(adata):
    rows = timing.time_pipelines(adata, seed=0, n_genes=30, epochs=2, n_neighbors=10)
    by_method = {r["method"]: r for r in rows}
    assert set(by_method) == {timing.CSC, timing.SCANPY}
    assert {"preprocess", "train", "graph", "cluster"} <= set(by_method[timing.CSC])
    assert {"preprocess", "pca", "graph", "cluster"} <= set(by_method[timing.SCANPY])
    for r in rows:
        stages = [v for k, v in r.items() if k in timing.STAGES]
        assert all(v >= 0 for v in stages) and r["total"] == pytest.approx(sum(stages))
        assert 0.5 < r["ari"] <= 1.0  # three well-separated types
    assert "X_csc" not in adata.obsm  # the caller's AnnData is left alone
    kernel = resolve_kernel("auto", device=expected_device(), mask=DEFAULTS.mask)  # "compiled" on a CPU
    assert by_method[timing.CSC]["kernel"] == kernel and "kernel" not in by_method[timing.SCANPY]
    with pytest.raises(ValueError, match="method must be one of"):
        timing.time_pipelines(adata, methods=("umap",))


def test_stage_table_and_ratio():
    rows = pd.DataFrame(
        [
            {"dataset": "d", "method": timing.CSC, "seed": 0, "train": 3.0, "total": 4.0},
            {"dataset": "d", "method": timing.CSC, "seed": 1, "train": 5.0, "total": 6.0},
            {"dataset": "d", "method": timing.SCANPY, "seed": 0, "pca": 1.0, "total": 2.0},
        ]
    )
    assert timing.speed_ratio(rows)["d"] == pytest.approx(2.5)
    table = timing.stage_table(rows)
    assert table.loc[("d", timing.CSC), "train"] == pytest.approx(4.0)


def test_timing_rows_run_the_requested_methods_on_simulated_cells():
    rows = timing.timing_rows(300, 120, methods=(timing.SCANPY, timing.PCA_KMEANS), n_groups=3)
    assert [r["method"] for r in rows] == [timing.SCANPY, timing.PCA_KMEANS]
    assert all(r["seconds"] > 0 and -1 <= r["ari"] <= 1 for r in rows)
    assert rows[1]["n_clusters"] == 3  # KMeans is told the number of groups
    with pytest.raises(ValueError, match="Unknown methods"):
        timing.timing_rows(300, 120, methods=("scVI",))


def test_timing_rows_name_the_kernel_contrastive_sc_trained_with():
    rows = timing.timing_rows(300, 120, methods=(timing.CSC,), n_groups=3)
    assert [r["method"] for r in rows] == [timing.CSC] and rows[0]["seconds"] > 0
    assert rows[0]["kernel"] == resolve_kernel("auto", device=expected_device(), mask=DEFAULTS.mask)
    torch_rows = timing.timing_rows(300, 120, methods=(timing.SCANPY,), n_groups=3, kernel="torch")
    assert "kernel" not in torch_rows[0]


def speed_rows():
    """Two speed runs on data sets "a" and "b", seeds 0 and 1.

    contrastive-sc takes twice scanpy's time on "a", three times on "b" (run "r2" on "b": four times).
    """
    rows = []
    for run in ("r1", "r2"):
        for dataset, factor in (("a", 2.0), ("b", 3.0 if run == "r1" else 4.0)):
            for seed in (0, 1):
                scanpy = 1.0 + seed
                rows.append({"run": run, "dataset": dataset, "seed": seed, "method": timing.SCANPY, "total": scanpy})
                rows.append(
                    {"run": run, "dataset": dataset, "seed": seed, "method": timing.CSC, "total": factor * scanpy}
                )
    return pd.DataFrame(rows)


def test_paired_ratios_pair_each_run_data_set_and_seed():
    paired = timing.paired_ratios(speed_rows())
    assert len(paired) == 8 and list(paired.columns) == ["run", "dataset", "seed", timing.CSC, timing.SCANPY, "ratio"]
    a = paired[paired["dataset"] == "a"]
    np.testing.assert_allclose(a["ratio"], 2.0)
    assert paired.loc[(paired["run"] == "r2") & (paired["dataset"] == "b"), "ratio"].tolist() == [4.0, 4.0]
    # a seed timed for one method only is left out, not paired with another seed
    lone = speed_rows().iloc[1:]  # run r1, data set a, seed 0: scanpy's row removed
    assert len(timing.paired_ratios(lone)) == 7


def test_ratio_table_and_speed_summary_give_the_median_and_the_range():
    paired = timing.paired_ratios(speed_rows())
    table = timing.ratio_table(paired)
    assert list(table.index) == ["b", "a"]  # names not in the registry stay as they are; largest ratio first
    assert table.columns.name == "data set" and table.index.name is None
    assert table.loc["b", f"{timing.CSC} ÷ {timing.SCANPY}"] == "3.50× (3.00–4.00)"
    assert table.loc["a", f"{timing.SCANPY} (s)"] == 1.5 and table.loc["a", f"{timing.CSC} (s)"] == 3.0
    summary = timing.speed_summary(paired)
    assert summary["ratio_median"] == 2.5 and (summary["ratio_low"], summary["ratio_high"]) == (2.0, 4.0)
    assert (summary["n_ratios"], summary["n_speed_sets"], summary["n_speed_seeds"], summary["n_speed_runs"]) == (
        8,
        2,
        2,
        2,
    )
    assert summary["csc_max_s"] == 8.0 and all(type(v) in (int, float) for v in summary.values())


def test_ratio_table_names_registered_data_sets_for_readers():
    rows = speed_rows().replace({"dataset": {"a": "worm_neuron_cell_select_2100"}})
    assert "Worm neuron cells (2,100 cells)" in timing.ratio_table(timing.paired_ratios(rows)).index


def test_stage_summary_shares_and_leiden_cost():
    rows = pd.DataFrame(
        [
            {"dataset": "d", "method": timing.CSC, "preprocess": 1.0, "train": 6.0, "graph": 1.0, "cluster": 2.0},
            {"dataset": "d", "method": timing.SCANPY, "preprocess": 1.0, "pca": 2.0, "graph": 1.0, "cluster": 0.5},
        ]
    )
    rows["total"] = rows[["preprocess", "train", "pca", "graph", "cluster"]].sum(axis=1)
    summary = timing.stage_summary(timing.stage_table(rows))
    assert summary == {"train_share": pytest.approx(60.0), "pca_share": pytest.approx(100 * 2 / 4.5), "leiden_x": 4.0}


def scale_run():
    """A scale run whose training is linear in cells and whose graph + Leiden grow as cells^1.5."""
    cells = np.array([10_000, 100_000, 1_000_000])
    graph = 1e-5 * cells**1.5
    return pd.DataFrame(
        {
            "n_cells": cells,
            "train": 1e-4 * cells,
            "graph": graph / 2,
            "cluster": graph / 2,
            "csc_total": 1e-4 * cells + graph,
            "peak_rss_gb": [1.0, 2.0, 12.5],
            "ari": [0.8, 0.85, 0.9],
            "cpu": "CPU X",
        }
    )


def test_scaling_slopes_tell_linear_from_faster_growth():
    from csc_core.data.reference import paper_timing

    paper = paper_timing("training")
    series = timing.scaling_series(scale_run(), paper)
    assert list(series) == list(timing.SCALING_SERIES)
    assert series[timing.SCALING_SERIES[3]]["seconds"].tolist() == paper["seconds_low"].tolist()
    slopes = timing.scaling_slopes(series)
    assert slopes.loc[timing.SCALING_SERIES[1], "slope"] == pytest.approx(1.0)
    assert slopes.loc[timing.SCALING_SERIES[2], "slope"] == pytest.approx(1.5)
    assert slopes.loc[timing.SCALING_SERIES[1], "ms per cell"] == pytest.approx(0.1)
    assert slopes.loc[timing.SCALING_SERIES[0], "cells"] == "10,000–1,000,000"
    summary = timing.scaling_summary(scale_run(), paper)
    assert summary["slope_train"] == pytest.approx(1.0) and summary["slope_graph_top"] == pytest.approx(1.5)
    assert 1.0 < summary["slope_total"] < summary["slope_total_top"] < 1.5  # the graph takes over at the top
    assert summary["cells_1m"] == 1_000_000 and summary["peak_1m"] == 12.5 and summary["scale_cpu"] == "CPU X"
    assert summary["graph_share_1m"] == pytest.approx(100 * 10_000 / (100 + 10_000))
    assert (summary["paper_genes"], summary["paper_epochs"], summary["paper_cells"]) == (500, 30, "1,000–50,000")
    assert timing.scaling_series(scale_run()).keys() == set(timing.SCALING_SERIES[:3])  # without the paper's


def test_loglog_slope_is_the_power_of_a_power_law():
    x = np.array([1.0, 10.0, 100.0])
    assert timing.loglog_slope(x, 3 * x**2) == pytest.approx(2.0)
    assert timing.loglog_slope(x, 5 * x) == pytest.approx(1.0)
