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


def test_timing_fits_recover_lines_and_power_laws():
    cells = np.array([1000, 2000, 5000, 10000])
    rows = pd.concat(
        [
            pd.DataFrame({"method": "linear", "n_cells": cells, "seconds": 2.0 + 0.003 * cells}),
            pd.DataFrame({"method": "quadratic", "n_cells": cells, "seconds": 1e-6 * cells.astype(float) ** 2}),
        ]
    )
    fits = timing.timing_fits(rows, "n_cells")
    assert fits.loc["linear", "per_1000"] == pytest.approx(3.0)
    assert fits.loc["linear", "intercept"] == pytest.approx(2.0)
    assert fits.loc["linear", "r2"] == pytest.approx(1.0)
    assert fits.loc["quadratic", "exponent"] == pytest.approx(2.0)
    assert fits.loc["quadratic", "r2"] < 1.0


def test_label_kernels_names_contrastive_sc_rows_by_their_kernel():
    rows = pd.DataFrame(
        {
            "method": [timing.CSC, timing.CSC, timing.SCANPY, timing.CSC],
            "kernel": ["torch", "compiled", None, None],
            "seconds": [2.0, 1.0, 0.5, 3.0],
        }
    )
    assert list(timing.label_kernels(rows)["method"]) == [
        f"{timing.CSC} (torch)",
        f"{timing.CSC} (compiled)",
        timing.SCANPY,
        timing.CSC,
    ]
    assert list(rows["method"])[0] == timing.CSC  # a copy
    assert timing.label_kernels(rows.drop(columns="kernel")).equals(rows.drop(columns="kernel"))


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
