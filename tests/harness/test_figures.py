"""The chapters' figures draw what their tables hold (csc_core.harness.figures, csc_core.harness.cost_figures)."""

import matplotlib
import numpy as np
import pandas as pd

from csc_core.harness import runs, stopping_tables
from tests.helpers import stopping_trajectory, two_cpu_rows

matplotlib.use("Agg")

from csc_core.harness import cost_figures  # noqa: E402


def test_across_processors_plot_draws_every_seed():
    ax = cost_figures.across_cpus(runs.across_cpus(two_cpu_rows()), title="t")
    assert [c.get_offsets().shape[0] for c in ax.collections] == [4, 4]  # one point per data set × seed, per CPU
    assert len(ax.lines) == 4 and [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"]


def test_speed_frontier_plot_draws_each_data_set_and_labels_the_highlighted_steps():
    rows = pd.DataFrame(
        {
            "dataset": ["w", "w", "p", "p"],
            "steps": ["100", "default", "100", "default"],
            "seed": 0,
            "steps_run": [100, 500, 100, 500],
            "ari": [0.4, 0.6, 0.7, 0.7],
            "ratio": [2.0, 5.0, 2.2, 6.0],
        }
    )
    ax = cost_figures.speed_frontier(stopping_tables.training_frontier(rows), target=1.5, highlight="w")
    assert [line.get_label() for line in ax.get_lines()[:3]] == ["p", "w", "mean"]
    assert sorted(t.get_text() for t in ax.texts) == ["100", "default", "target 1.5×"]
    assert ax.get_lines()[-1].get_xdata()[0] == 1.5  # the target line


def test_ari_by_step_draws_one_line_per_data_set_with_the_seed_mean():
    rows = pd.concat(
        [stopping_trajectory().assign(data="d"), stopping_trajectory().assign(data="e", ari=lambda r: r["ari"] * 2)]
    )
    fig = cost_figures.ari_by_step(rows)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["d", "e"]
    # both seeds share these ARIs; the line ends at the full training (step 1,000, ARI 0.5)
    np.testing.assert_allclose(lines[0].get_xdata(), [200, 400, 600, 800, 1000])
    np.testing.assert_allclose(lines[0].get_ydata(), [0.1, 0.2, 0.3, 0.4, 0.5])
    np.testing.assert_allclose(lines[1].get_ydata(), [0.2, 0.4, 0.6, 0.8, 0.5])
