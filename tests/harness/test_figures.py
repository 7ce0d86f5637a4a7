"""The chapters' figures draw what their tables hold (csc_core.harness.figures, csc_core.harness.cost_figures)."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

from csc_core.harness import runs
from tests.helpers import two_cpu_rows

matplotlib.use("Agg")

from csc_core.harness import cost_figures  # noqa: E402


def test_across_processors_plot_draws_every_seed():
    ax = cost_figures.across_cpus(runs.across_cpus(two_cpu_rows()), title="t")
    assert [c.get_offsets().shape[0] for c in ax.collections] == [4, 4]  # one point per data set × seed, per CPU
    assert len(ax.lines) == 4 and [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"]


def test_stage_times_draws_a_bar_per_stage_and_method_under_each_data_set_heading():
    from csc_core.harness import timing

    rows = pd.DataFrame(
        [
            {"dataset": "worm_neuron_cell", "method": timing.CSC, "preprocess": 0.1, "train": 0.5, "total": 0.6},
            {"dataset": "worm_neuron_cell", "method": timing.SCANPY, "preprocess": 0.1, "pca": 0.3, "total": 0.4},
        ]
    )
    ax = cost_figures.stage_times(timing.stage_table(rows))
    assert len(ax.patches) == 2 * 3  # both methods, three stages (a missing stage is drawn with width 0)
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == "Worm neuron cells (4,186 cells)" and texts[1:] == [" 0.60 s", " 0.40 s"]
    assert [t.get_text() for t in ax.get_yticklabels()] == [timing.CSC, timing.SCANPY]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["preprocessing", "training", "PCA"]


def test_scaling_with_paper_draws_each_series_and_a_proportional_guide():
    from csc_core.harness import timing

    series = {
        timing.SCALING_SERIES[0]: pd.DataFrame({"n_cells": [10, 100], "seconds": [1.0, 10.0]}),
        timing.SCALING_SERIES[3]: pd.DataFrame({"n_cells": [1, 5], "seconds": [0.5, 2.0]}),
    }
    ax = cost_figures.scaling_with_paper(series)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == [*series, "proportional to cells"]
    guide = ax.get_lines()[-1]
    np.testing.assert_allclose(guide.get_ydata() / guide.get_xdata(), 0.1)  # through the first series' last point
    assert ax.get_lines()[1].get_color() == "black" and ax.get_xscale() == "log"


def test_spread_sources_draws_both_deviations_per_data_set():
    table = pd.DataFrame({"clustering sd": [0.05, 0.01], "training sd": [0.02, 0.03]}, index=["x", "y"])
    ax = cost_figures.spread_sources(table)
    widths = [p.get_width() for p in ax.patches]
    assert widths == [0.05, 0.01, 0.02, 0.03]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"]
    assert len(ax.get_legend().get_texts()) == 2


def _bars():
    measured = pd.DataFrame(
        {
            "dataset": ["worm_neuron_cell"] * 4,
            "method": ["contrastive-sc", "contrastive-sc", "scanpy", "scanpy"],
            "seed": [0, 1, 0, 1],
            "ari": [0.6, 0.8, 0.5, 0.5],
        }
    )
    paper = pd.DataFrame(
        {
            "dataset": ["worm_neuron_cell", "mouse_ES_cell", "mouse_ES_cell"],
            "method": ["contrastive-sc", "contrastive-sc", "scanpy"],
            "ari": [0.65, 0.658, 0.776],
        }
    )
    return measured, paper


def test_ari_vs_paper_draws_published_only_bars_hatched_and_names_data_sets_for_readers():
    from csc_core.harness import figures

    measured, paper = _bars()
    ax = figures.ari_vs_paper(
        measured, paper, methods=["contrastive-sc", "scanpy"], datasets=["worm_neuron_cell", "mouse_ES_cell"]
    )
    bars = [p for p in ax.patches if np.isfinite(p.get_height())]
    filled = [p for p in bars if not p.get_hatch()]
    hatched = [p for p in bars if p.get_hatch()]
    assert sorted(round(p.get_height(), 3) for p in filled) == [0.5, 0.7]  # means over seeds
    assert sorted(round(p.get_height(), 3) for p in hatched) == [0.658, 0.776]  # Mouse ES: published only
    ticks = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
    assert ticks == ["Worm neuron cells (4,186 cells)", "Mouse ES cells (2,717 cells)"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "published only (not run here)" in legend and "paper (published)" in legend


def test_ari_by_paper_dataset_draws_one_panel_per_paper_data_set():
    from csc_core.harness import figures

    measured, paper = _bars()
    fig = figures.ari_by_paper_dataset(
        measured, paper, methods=["contrastive-sc", "scanpy"], datasets=["mouse_ES_cell", "worm_neuron_cell"]
    )
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title(loc="left") for ax in visible] == ["Mouse ES cells", "Worm neuron cells"]
    assert len(fig.legends) == 1


def test_ari_by_dropout_lays_out_two_panels_per_row_with_one_legend():
    from csc_core.harness import figures

    rows = pd.DataFrame(
        [
            {"n_groups": k, "dropout_mid": d, "method": m, "ari": 0.5, "seed": 0}
            for k in (4, 8, 16, 32)
            for d in (0.0, 1.0)
            for m in ("contrastive-sc", "sczi")
        ]
    )
    fig = figures.ari_by_dropout(rows, rows.drop(columns="seed"), methods=["contrastive-sc", "sczi"])
    assert len(fig.axes) == 4 and fig.get_size_inches()[0] <= 8.0
    assert [ax.get_title() for ax in fig.axes] == ["4 groups", "8 groups", "16 groups", "32 groups"]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["contrastive-sc", "scziDesk", "paper (published)"]


def test_ablation_draws_medians_with_interquartile_bands():
    from csc_core.harness import figures

    rows = pd.DataFrame(
        [
            {"kind": "balanced", "n_groups": k, "dropout_mid": 0.0, "seed": 0, "keep": v, "ari": a}
            for k, base in ((4, 0.2), (8, 0.4), (16, 0.6), (32, 0.8))
            for v, a in ((0.1, base), (0.5, base + 0.1))
        ]
    )
    ax = figures.ablation(rows, x="keep")
    median = next(line for line in ax.get_lines() if line.get_label().startswith("balanced: median of 4"))
    np.testing.assert_allclose(median.get_ydata(), [0.5, 0.6])  # medians, not means ± sd
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(0.35) and band.max() == pytest.approx(0.75)  # quartiles of 0.3 … 0.9


def test_embedding_scatter_labels_its_axes_and_legend():
    from csc_core.harness import figures

    z = np.random.default_rng(0).normal(size=(40, 5))
    ax = figures.embedding_scatter(z, ["Group1"] * 20 + ["Group2"] * 20, title="t")
    assert ax.get_xlabel() == "PC 1" and ax.get_ylabel() == "PC 2"
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "cell type"
    assert [t.get_text() for t in legend.get_texts()] == ["Group1", "Group2"]
