"""Early stopping's tables and replays (csc_core.harness.stopping_tables)."""

import numpy as np
import pandas as pd
import pytest

from csc_core.harness import stopping_tables
from tests.helpers import stopping_trajectory


def test_early_stopping_summary_pairs_the_modes_per_size_and_counts_stops():
    rows = pd.DataFrame(
        {
            "n_cells": [10, 10, 10, 10, 20, 20],
            "early_stopping": [False, True, False, True, "False", "True"],  # as read back from CSV, too
            "csc_total": [4.0, 2.0, 6.0, 6.0, 9.0, 3.0],
            "train": [2.0, 1.0, 3.0, 3.0, 6.0, 1.0],
            "steps_run": [100, 40, 100, 100, 300, 50],
            "ari": [0.8, 0.7, 0.6, 0.6, 0.9, 0.85],
            "stopped_at": [np.nan, 40, np.nan, np.nan, np.nan, 50],
        }
    )
    out = stopping_tables.early_stopping_summary(rows)
    assert out.loc[10, "seconds (full)"] == 5.0 and out.loc[10, "seconds (early)"] == 4.0
    assert out.loc[10, "steps (early)"] == 70 and out.loc[20, "ARI (early)"] == 0.85
    assert list(out.columns) == [
        "seconds (full)",
        "seconds (early)",
        "steps (full)",
        "steps (early)",
        "ARI (full)",
        "ARI (early)",
        "stopped early",
    ]
    assert out["stopped early"].tolist() == ["1 of 2", "1 of 1"]
    per_set = stopping_tables.early_stopping_summary(rows.assign(dataset=["a", "a", "b", "b", "b", "b"]), by="dataset")
    assert per_set.loc["b", "ARI (full)"] == 0.75 and per_set["stopped early"].tolist() == ["1 of 1", "1 of 2"]
    compact = stopping_tables.early_stopping_summary(rows, compact=True)
    assert list(compact.columns) == ["seconds", "steps", "ARI", "stopped early"]
    assert compact.loc[10].tolist() == ["5.0 → 4.0", "100 → 70", "0.700 → 0.650", "1 of 2"]
    assert compact.loc[20, "steps"] == "300 → 50"
    with pytest.raises(ValueError, match="bench early-stopping"):
        stopping_tables.early_stopping_summary(rows.iloc[:0])


def test_replay_stops_at_the_first_check_ending_a_streak_after_the_floor():
    t = stopping_tables.replay_stopping(stopping_trajectory(), resolution=1.0, agreement=0.95, patience=2).set_index(
        "seed"
    )
    assert t.loc[0, "stopped_at"] == 600 and t.loc[0, "ari_early"] == pytest.approx(0.3)
    assert np.isnan(t.loc[1, "stopped_at"]) and t.loc[1, "ari_early"] == t.loc[1, "ari_full"] == 0.5
    late = stopping_tables.replay_stopping(stopping_trajectory(min_steps=700), resolution=1.0).set_index("seed")
    assert late.loc[0, "stopped_at"] == 800  # the streak holds on, the floor decides
    strict = stopping_tables.replay_stopping(stopping_trajectory(), resolution=1.0, agreement=0.98).set_index("seed")
    assert strict["stopped_at"].isna().all()
    once = stopping_tables.replay_stopping(stopping_trajectory(), resolution=1.0, patience=1).set_index("seed")
    assert once.loc[0, "stopped_at"] == 400 and once.loc[1, "stopped_at"] == 600
    with pytest.raises(KeyError, match="resolution 0.3"):
        stopping_tables.replay_stopping(stopping_trajectory(), resolution=0.3)


def test_stopping_rules_summary_counts_cut_runs_saved_steps_and_ari_change():
    table = stopping_tables.stopping_rules_summary(stopping_trajectory(), resolutions=(1.0,), agreements=(0.95, 0.98))
    loose, strict = table.loc[(1.0, 0.95)], table.loc[(1.0, 0.98)]
    assert loose["cut short"] == "1 of 2" and loose["steps saved (%)"] == 20.0  # 400 of 2,000 steps
    assert loose["ARI change (mean)"] == pytest.approx(-0.1) and loose["ARI change (worst)"] == pytest.approx(-0.2)
    assert strict["cut short"] == "0 of 2" and strict["steps saved (%)"] == 0.0 and strict["ARI change (worst)"] == 0


def test_stopping_summary_quotes_the_largest_size_and_the_real_sets():
    sizes = pd.DataFrame(
        {
            "n_cells": [10, 10, 1000, 1000],
            "early_stopping": [False, True, False, True],
            "csc_total": [4.0, 4.0, 100.0, 60.0],
            "steps_run": [100, 100, 5000, 800],
            "ari": [0.8, 0.8, 0.9, 0.88],
            "stopped_at": [np.nan, np.nan, np.nan, 800],
        }
    )
    real = sizes.assign(dataset=["a", "a", "b", "b"], stopped_at=[np.nan, 80, np.nan, np.nan])
    summary = stopping_tables.stopping_summary(sizes, real)
    assert (summary["es_steps_full"], summary["es_steps_early"]) == (5000, 800)
    assert (summary["es_s_full"], summary["es_s_early"]) == (100.0, 60.0)
    assert summary["es_ari_loss"] == pytest.approx(0.02) and summary["es_never_below"] == "10"
    assert (summary["es_real_fired"], summary["es_real_runs"], summary["n_real_sets"]) == (1, 2, 2)
    always = stopping_tables.stopping_summary(sizes.assign(stopped_at=[np.nan, 50, np.nan, 800]), real)
    assert always["es_never_below"] == "none"
