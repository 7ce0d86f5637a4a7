"""The chapters' figures draw what their tables hold (csc_core.harness.figures, csc_core.harness.cost_figures)."""

import matplotlib
import numpy as np
import pandas as pd

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
    assert texts[0] == "Worm neurons (4,186 cells)" and texts[1:] == [" 0.60 s", " 0.40 s"]
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
