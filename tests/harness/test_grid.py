"""Resumable grids: serial, on local workers (joblib) or Dask, and killed mid-run (csc_core.harness.grid)."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

from csc_core.harness.grid import local_workers, run_grid
from csc_core.harness.machine import processor
from csc_core.harness.store import ResultStore


def test_grid_skips_tasks_already_stored_and_resumes(tmp_path):
    store = ResultStore(tmp_path / "r.csv")
    calls = []

    def run(dataset, seed):
        calls.append((dataset, seed))
        if (dataset, seed) == ("b", 1) and len(calls) < 5:
            raise KeyboardInterrupt  # the run is killed half way
        return [{"method": "m1", "ari": seed / 10}, {"method": "m2", "ari": 1.0}]

    tasks = [{"dataset": d, "seed": s} for d in "ab" for s in (0, 1)]
    with pytest.raises(KeyboardInterrupt):
        run_grid(tasks, run, store, progress=False)
    assert len(store.load()) == 6  # three tasks done, two rows each; nothing of the killed task
    out = run_grid(tasks, run, store, progress=False)
    assert calls[-1] == ("b", 1) and len(calls) == 5  # only the missing task ran again
    assert len(out) == 8 and set(out.columns) >= {"dataset", "seed", "method", "ari"}
    assert (out["cpu"] == processor()).all()  # where each row was computed


def test_a_row_that_names_its_processor_keeps_it(tmp_path):
    out = run_grid(
        [{"seed": 0}],
        lambda seed: [{"ari": 0.5, "cpu": "elsewhere"}, {"ari": 0.6}],
        ResultStore(tmp_path / "r.csv"),
        progress=False,
    )
    assert list(out["cpu"]) == ["elsewhere", processor()]


def test_rows_record_the_load_when_their_task_started(tmp_path, monkeypatch):
    from csc_core.harness import grid

    loads = iter([0.25, 1.75])
    monkeypatch.setattr(grid, "load_average", lambda: next(loads))
    out = run_grid(
        [{"seed": 0}, {"seed": 1}], lambda seed: [{"ari": seed}] * 2, ResultStore(tmp_path / "r.csv"), progress=False
    )
    assert list(out["load_1min"]) == [0.25, 0.25, 1.75, 1.75] and set(out["workers"]) == {1}
    assert processor().strip() and processor() != "unknown"


def test_a_task_that_waits_without_computing_is_not_an_idle_machine_row(tmp_path):
    import time

    from csc_core.harness.machine import idle_rows

    def run(seed):
        if seed == 0:
            time.sleep(0.3)  # like a suspended task: wall seconds pass, CPU seconds do not
        else:
            start = time.process_time()
            while time.process_time() - start < 0.3:  # 0.3 CPU seconds, however long other work makes them take
                pass
        return [{"seconds": 0.3}]

    out = run_grid([{"seed": 0}, {"seed": 1}], run, ResultStore(tmp_path / "r.csv"), progress=False)
    assert (out["task_seconds"] >= 0.3).all() and (out["other_cpu_seconds"] >= 0).all()
    assert out["task_cpu_seconds"].iloc[0] < 0.1 and out["task_cpu_seconds"].iloc[1] >= 0.3
    # judged on the CPU share alone: whatever else this machine runs now is not the test's business
    judged = out.assign(load_1min=0.0).drop(columns="other_cpu_seconds")
    assert 0 not in set(idle_rows(judged, cores=2)["seed"])


# --- parallel grids: workers compute in other processes, so the task function must travel by value --------------
def _slow_square(dataset, seed, calls_dir, fail_on=None):
    import pathlib
    import time
    import uuid

    calls = pathlib.Path(calls_dir)
    (calls / f"{dataset}-{seed}-{uuid.uuid4().hex}").touch()  # one new file per call, whatever runs beside it
    if fail_on is not None and (dataset, seed) == tuple(fail_on) and (calls / "fail").exists():
        raise RuntimeError("worker crashed")
    time.sleep(0.05 * seed)
    return [{"method": "m", "ari": seed**2 / 100}]


@pytest.fixture
def by_value():
    import sys

    import cloudpickle  # what both loky (joblib) and distributed pickle functions with

    module = sys.modules[__name__]  # not importable by the workers under --import-mode=importlib
    cloudpickle.register_pickle_by_value(module)
    yield
    cloudpickle.unregister_pickle_by_value(module)


def _tasks(calls_dir, **extra):
    return [{"dataset": d, "seed": s, "calls_dir": str(calls_dir), **extra} for d in "ab" for s in range(3)]


def test_joblib_grid_gives_the_serial_rows_and_resumes_after_a_worker_fails(tmp_path, by_value):
    calls = tmp_path / "calls"
    calls.mkdir()
    serial = run_grid(_tasks(calls), _slow_square, ResultStore(tmp_path / "serial.csv"), progress=False)

    store = ResultStore(tmp_path / "parallel.csv")
    (calls / "fail").touch()
    tasks = _tasks(calls, fail_on=("b", 2))
    with pytest.raises(RuntimeError, match="worker crashed"):
        run_grid(tasks, _slow_square, store, backend="joblib", n_jobs=2, progress=False)
    stored = store.load()
    done = set(zip(stored["dataset"], stored["seed"], strict=True))
    assert ("b", 2) not in done and len(stored) == len(done)  # whole tasks only, never the crashed one
    (calls / "fail").unlink()
    before = {p.name for p in calls.iterdir()}
    out = run_grid(tasks, _slow_square, store, backend="joblib", n_jobs=2, progress=False)
    ran_again = {p.name.rsplit("-", 1)[0] for p in calls.iterdir() if p.name not in before}
    assert ran_again == {f"{d}-{s}" for d in "ab" for s in range(3)} - {f"{d}-{s}" for d, s in done}
    key = ["dataset", "seed"]
    assert out.sort_values(key)[["ari"]].to_numpy().tolist() == serial.sort_values(key)[["ari"]].to_numpy().tolist()
    assert set(serial["workers"]) == {1} and set(out["workers"]) == {2}  # how many runs shared the machine


def test_dask_grid_on_a_local_cluster(tmp_path, by_value):
    distributed = pytest.importorskip("distributed")
    calls = tmp_path / "calls"
    calls.mkdir()
    store = ResultStore(tmp_path / "r.csv")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        with distributed.Client(lc) as client:
            out = run_grid(_tasks(calls), _slow_square, store, backend="dask", scheduler=client, progress=False)
            assert len({p.name for p in calls.iterdir()}) == 6
            again = run_grid(
                _tasks(calls), _slow_square, store, backend="dask", scheduler=lc.scheduler_address, progress=False
            )
    assert len(list(calls.iterdir())) == 6  # everything was stored, nothing ran twice
    assert sorted(out["ari"]) == sorted(again["ari"]) == sorted(s**2 / 100 for _ in "ab" for s in range(3))
    assert (out["cpu"] == processor()).all()  # read in the workers (here the same machine)


def test_unknown_backend_and_missing_scheduler_are_named(tmp_path):
    with pytest.raises(ValueError, match="backend must be one of"):
        run_grid([{"a": 1}], lambda a: [], ResultStore(tmp_path / "r.csv"), backend="spark")
    with pytest.raises(ValueError, match="needs scheduler"):
        run_grid([{"a": 1}], lambda a: [], ResultStore(tmp_path / "r.csv"), backend="dask")


def test_local_workers_picks_serial_for_one_and_joblib_above(tmp_path, by_value):
    assert local_workers(1) == {"backend": "serial"}
    assert local_workers(3) == {"backend": "joblib", "n_jobs": 3}
    for bad in (0, -2, 1.5, "2"):
        with pytest.raises(ValueError, match="workers must be a positive integer"):
            local_workers(bad)
    calls = tmp_path / "calls"
    calls.mkdir()
    rows = run_grid(_tasks(calls), _slow_square, ResultStore(tmp_path / "r.csv"), progress=False, **local_workers(2))
    assert sorted(rows["ari"]) == sorted(s**2 / 100 for _ in "ab" for s in range(3))


_GRID = textwrap.dedent("""
    import sys, time
    from csc_core.harness.grid import run_grid
    from csc_core.harness.store import ResultStore

    def run(task_id):
        time.sleep(0.4)
        return [{"method": m, "value": task_id * 10 + i} for i, m in enumerate("abc")]

    run_grid([{"task_id": i} for i in range(50)], run, ResultStore(sys.argv[1]), progress=False)
""")


def test_a_grid_killed_mid_run_leaves_whole_tasks_and_resumes(tmp_path):
    path = tmp_path / "grid.csv"
    script = tmp_path / "grid.py"
    script.write_text(_GRID)
    proc = subprocess.Popen([sys.executable, str(script), str(path)], env={**os.environ, "PYTHONPATH": os.getcwd()})
    deadline = time.time() + 60
    while time.time() < deadline and (not path.exists() or len(pd.read_csv(path)) < 9):
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)  # no cleanup, no finally: as a crash or an out-of-memory kill
    proc.wait()
    stored = pd.read_csv(path)  # still a readable table
    per_task = stored.groupby("task_id").size()
    assert len(per_task) >= 3 and (per_task == 3).all()  # every stored task is whole
    done = set(per_task.index)

    ran = []

    def run(task_id):
        ran.append(task_id)
        return [{"method": m, "value": task_id * 10 + i} for i, m in enumerate("abc")]

    out = run_grid([{"task_id": i} for i in range(50)], run, ResultStore(path), progress=False)
    assert sorted(ran) == sorted(set(range(50)) - done)  # only the missing tasks ran again
    assert len(out) == 150 and len(ResultStore(path).load()) == 150
