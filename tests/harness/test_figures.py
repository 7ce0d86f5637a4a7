"""The chapters' figures draw what their tables hold (csc_core.harness.figures, csc_core.harness.cost_figures)."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

from csc_core.harness import runs, stopping_tables
from tests.helpers import stopping_trajectory, two_cpu_rows

matplotlib.use("Agg")

from csc_core.harness import cost_figures  # noqa: E402


def test_across_processors_plot_draws_every_seed():
    ax = cost_figures.across_cpus(runs.across_cpus(two_cpu_rows()), title="t")
    assert [c.get_offsets().shape[0] for c in ax.collections] == [4, 4]  # one point per data set × seed, per CPU
    assert len(ax.lines) == 4 and [t.get_text() for t in ax.get_xticklabels()] == ["x", "y"]


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
