"""The paper profile's wall time, summed and estimated from stored runs (csc_core.harness.book_cost)."""

import pandas as pd
import pytest

from csc_core.harness import book_cost
from csc_core.pipeline.resolution import AUTO_RULE

CPU = "Test CPU (AVX2)"


def csc_rows(n_groups, seed=0, *, seconds=10.0, load=1.0, workers=1, rule=AUTO_RULE, cpu=CPU, **measured):
    """One contrastive-sc task on a balanced simulated set: two variants sharing training, and scanpy."""
    task = {"kind": "balanced", "n_groups": n_groups, "dropout_mid": 0.0, "seed": seed, "epochs": 10}
    common = {"cpu": cpu, "load_1min": load, "workers": workers, "auto_rule": rule, "kernel": "torch", "ari": 0.5}
    common |= measured  # the grid's task columns (task_seconds, ...) and other settings, as stored
    return [
        {**task, **common, "method": "contrastive-sc", "seconds": seconds},
        {**task, **common, "method": "Ensemble K-means", "seconds": seconds + 1},
        {**task, **common, "method": "scanpy", "seconds": 1.0},
    ]


def competitor_rows(n_groups, seed=0, *, pretrain=60.0, load=1.0, precision="float32", **measured):
    """One competitor task: both competitors share the pretrained autoencoder (``measured``: its task columns)."""
    task = {"kind": "balanced", "n_groups": n_groups, "dropout_mid": 0.0, "seed": seed, "n_genes": 2000}
    common = {"cpu": CPU, "load_1min": load, "workers": 1, "kernel": "fast", "precision": precision, **measured}
    return [
        {**task, **common, "method": "scDeepCluster", "seconds": pretrain + 40, "pretrain_seconds": pretrain},
        {**task, **common, "method": "sczi", "seconds": pretrain + 60, "pretrain_seconds": pretrain},
    ]


def test_a_task_counts_its_shared_training_once_and_its_share_of_the_workers():
    times = book_cost.task_times(pd.DataFrame(csc_rows(4, seconds=10.0, workers=2)))
    assert len(times) == 1
    # training + clustering 10 s, Ensemble K-means adds 1 s, scanpy 1 s: 12 s, on one of two cores
    assert times["seconds"].iloc[0] == pytest.approx(12.0)
    assert times["wall"].iloc[0] == pytest.approx(6.0)
    assert book_cost.task_cells(times.iloc[0]) == 1000


def test_competitors_count_their_shared_pretraining_once():
    times = book_cost.task_times(pd.DataFrame(competitor_rows(8, pretrain=60.0)))
    assert times["seconds"].iloc[0] == pytest.approx(60 + 40 + 60)
    assert book_cost.task_cells(times.iloc[0]) == 2000


def test_a_task_recorded_by_its_grid_counts_its_own_wall_time_and_stays_one_task():
    timed = {"task_seconds": 30.0, "task_cpu_seconds": 29.0, "other_cpu_seconds": 0.0}
    times = book_cost.task_times(pd.DataFrame(csc_rows(4, seconds=10.0, **timed)))
    assert len(times) == 1 and times["seconds"].iloc[0] == pytest.approx(30.0)  # data and preprocessing included
    assert times["task_cpu_seconds"].iloc[0] == pytest.approx(29.0)  # carried, so idleness can be judged on it
    # the same tasks stored again under an earlier rule and learning-rate decay (other wall times): still two tasks
    rows = (
        csc_rows(4, seed=0, lr_decay=0.3, **timed)
        + csc_rows(4, seed=1, lr_decay=0.3, **timed)
        + csc_rows(4, seed=0, rule="an earlier rule", lr_decay=0.0, **{**timed, "task_seconds": 41.0})
        + csc_rows(4, seed=1, rule="an earlier rule", lr_decay=0.0, **{**timed, "task_seconds": 43.0})
    )
    slower = {**timed, "task_seconds": 50.0, "task_cpu_seconds": 49.0}
    competitors = competitor_rows(4, seed=0, **timed) + competitor_rows(4, seed=1, **slower)
    tables = {"simulated": pd.DataFrame(rows), "simulated_competitors": pd.DataFrame(competitors)}
    cost = book_cost.chapter_cost(tables, cpu=CPU, cores=2)
    assert list(cost["tasks"]) == [2, 2] and list(cost["measured"]) == [2, 2]
    assert cost.loc["simulated", "hours"] * 3600 == pytest.approx(60.0)
    assert cost.loc["simulated_competitors", "hours"] * 3600 == pytest.approx(80.0)


def test_a_task_that_did_not_get_its_core_is_not_an_idle_measurement():
    starved = {"task_seconds": 30.0, "task_cpu_seconds": 6.0, "other_cpu_seconds": 0.0}  # a fifth of a core
    rows = csc_rows(4, seed=0, task_seconds=30.0, task_cpu_seconds=29.0) + csc_rows(4, seed=1, **starved)
    cost = book_cost.chapter_cost({"simulated": pd.DataFrame(rows)}, cpu=CPU, cores=2).loc["simulated"]
    assert (cost["tasks"], cost["measured"], cost["estimated"]) == (2, 1, 1)
    assert cost["hours"] * 3600 == pytest.approx(60.0)  # the starved task is estimated from the idle one


def test_missing_competitor_runs_are_estimated_from_measured_ones_by_their_cells():
    csc = pd.DataFrame(csc_rows(4) + csc_rows(8))
    competitors = pd.DataFrame(competitor_rows(4, pretrain=60.0))  # 160 s on 1,000 cells; the 8-group set missing
    cost = book_cost.chapter_cost({"simulated": csc, "simulated_competitors": competitors}, cpu=CPU, cores=2)
    line = cost.loc["simulated_competitors"]
    assert (line["tasks"], line["measured"], line["estimated"], line["from_shared_runs"]) == (2, 1, 1, 0)
    assert line["hours"] * 3600 == pytest.approx(160 + 2 * 160)  # twice the cells, twice the time
    assert line["measured_hours"] * 3600 == pytest.approx(160)
    assert cost.loc["simulated", "measured"] == 2


def test_runs_of_an_earlier_rule_another_processor_or_a_busy_machine_are_estimated_not_measured():
    rows = (
        csc_rows(4, seed=0, seconds=10.0)  # measured: idle, today's rule, this processor
        + csc_rows(4, seed=1, seconds=99.0, rule="an earlier rule")
        + csc_rows(4, seed=2, seconds=99.0, cpu="Another CPU")
        + csc_rows(4, seed=3, seconds=99.0, load=7.5)  # shared the machine
    )
    cost = book_cost.chapter_cost({"simulated": pd.DataFrame(rows)}, cpu=CPU, cores=2).loc["simulated"]
    assert (cost["tasks"], cost["measured"], cost["estimated"], cost["from_shared_runs"]) == (4, 1, 3, 0)
    assert cost["hours"] * 3600 == pytest.approx(4 * 12.0)  # every seed costs what the idle one measured


def test_a_table_without_an_idle_run_is_scaled_from_busy_runs_and_says_so():
    rows = csc_rows(4, seed=0, seconds=20.0, load=6.0) + csc_rows(4, seed=1, seconds=20.0, rule="an earlier rule")
    cost = book_cost.chapter_cost({"real_data": pd.DataFrame(rows)}, cpu=CPU, cores=2).loc["real_data"]
    assert (cost["measured"], cost["estimated"], cost["from_shared_runs"]) == (0, 2, 2)
    assert cost["hours"] * 3600 == pytest.approx(2 * 22.0)


def test_the_book_table_has_every_grid_chapter_a_total_and_the_processor_that_stored_most(tmp_path):
    pd.DataFrame(csc_rows(4) + csc_rows(8)).to_csv(tmp_path / "simulated.csv", index=False)
    pd.DataFrame(competitor_rows(4) + competitor_rows(4, precision="bfloat16")).to_csv(
        tmp_path / "simulated_competitors.csv", index=False
    )
    cost = book_cost.paper_profile_cost(tmp_path)
    assert cost.attrs["cpu"] == CPU
    assert list(cost.index.get_level_values("chapter").unique()) == ["Simulated data", "All grid chapters"]
    sim = cost.loc["Simulated data"]
    assert list(sim.index) == [book_cost.CONTRASTIVE, book_cost.COMPETITORS]
    assert sim.loc[book_cost.COMPETITORS, "tasks"] == 2  # the bfloat16 rows are the same runs, not more
    total = cost.loc[("All grid chapters", "all")]
    assert total["tasks"] == sim["tasks"].sum()
    assert total["hours"] == pytest.approx(sim["hours"].sum())
    summary = book_cost.cost_summary(cost)
    assert summary["book_tasks"] == total["tasks"] and summary["book_cpu"] == CPU
    competitors = sim.loc[book_cost.COMPETITORS, "hours"]
    assert summary["book_competitor_hours"] == pytest.approx(competitors)
    assert summary["book_competitor_share"] == pytest.approx(100 * competitors / total["hours"])
    assert summary["book_verdict"] == "within it"  # seconds of toy runs, far below the target
