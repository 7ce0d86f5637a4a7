import pandas as pd
import pytest

from csc_core.experiments import (
    ResultStore,
    computed_on,
    describe_cpuinfo,
    local_workers,
    processor,
    relabel_processors,
    run_grid,
)


def test_rows_round_trip_and_are_found_by_their_parameters(tmp_path):
    store = ResultStore(tmp_path / "sub" / "r.csv")
    assert store.load().empty and not store.contains({"dataset": "a"})
    store.add([{"dataset": "a", "seed": 0, "lr": 0.001, "ari": 0.5}, {"dataset": "a", "seed": 1, "lr": 0.001, "ari": 0.6}])
    assert store.contains({"dataset": "a", "seed": 1, "lr": 1e-3})
    assert not store.contains({"dataset": "a", "seed": 2})
    assert not store.contains({"dataset": "a", "unknown_column": 1})
    assert list(store.select(seed=1)["ari"]) == [0.6]


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
    out = run_grid([{"seed": 0}], lambda seed: [{"ari": 0.5, "cpu": "elsewhere"}, {"ari": 0.6}],
                   ResultStore(tmp_path / "r.csv"), progress=False)
    assert list(out["cpu"]) == ["elsewhere", processor()]
    assert processor().strip() and processor() != "unknown"


def test_the_processor_label_names_the_vector_extension():
    """Two generations of one model name round differently: the label tells them apart."""
    def cpuinfo(flags):
        core = f"processor\t: {{}}\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: {flags}\n"
        return "\n".join(core.format(i) for i in range(2))

    assert describe_cpuinfo(cpuinfo("fpu sse2 avx avx2 fma")) == "AMD EPYC (AVX2)"
    assert describe_cpuinfo(cpuinfo("fpu avx2 avx512f avx512bw")) == "AMD EPYC (AVX-512)"
    assert describe_cpuinfo(cpuinfo("fpu sse2")) == "AMD EPYC"
    assert describe_cpuinfo("processor\t: 0\nflags\t: avx2\n") is None  # no model name: platform's answer instead


def test_a_failed_write_leaves_the_previous_table_intact(tmp_path, monkeypatch):
    store = ResultStore(tmp_path / "r.csv")
    store.add([{"k": 1, "v": 1.0}])
    before = (tmp_path / "r.csv").read_bytes()

    def broken(self, fh, **kw):
        fh.write("k,v\n1,")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError):
        store.add([{"k": 2, "v": 2.0}])
    assert (tmp_path / "r.csv").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == ["r.csv"]  # no temporary file left


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
    done = set(zip(stored["dataset"], stored["seed"]))
    assert ("b", 2) not in done and len(stored) == len(done)  # whole tasks only, never the crashed one
    (calls / "fail").unlink()
    before = {p.name for p in calls.iterdir()}
    out = run_grid(tasks, _slow_square, store, backend="joblib", n_jobs=2, progress=False)
    ran_again = {p.name.rsplit("-", 1)[0] for p in calls.iterdir() if p.name not in before}
    assert ran_again == {f"{d}-{s}" for d in "ab" for s in range(3)} - {f"{d}-{s}" for d, s in done}
    key = ["dataset", "seed"]
    assert out.sort_values(key)[["ari"]].to_numpy().tolist() == serial.sort_values(key)[["ari"]].to_numpy().tolist()


def test_dask_grid_on_a_local_cluster(tmp_path, by_value):
    distributed = pytest.importorskip("distributed")
    calls = tmp_path / "calls"
    calls.mkdir()
    store = ResultStore(tmp_path / "r.csv")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        with distributed.Client(lc) as client:
            out = run_grid(_tasks(calls), _slow_square, store, backend="dask", scheduler=client, progress=False)
            assert len({p.name for p in calls.iterdir()}) == 6
            again = run_grid(_tasks(calls), _slow_square, store, backend="dask", scheduler=lc.scheduler_address,
                             progress=False)
    assert len(list(calls.iterdir())) == 6  # everything was stored, nothing ran twice
    assert sorted(out["ari"]) == sorted(again["ari"]) == sorted(s**2 / 100 for _ in "ab" for s in range(3))
    assert (out["cpu"] == processor()).all()  # read in the workers (here the same machine)


def _add_rows(path, start):
    store = ResultStore(path)
    for i in range(start, start + 15):
        store.add([{"i": i}])


def test_concurrent_writers_never_lose_rows(tmp_path):
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_add_rows, args=(tmp_path / "r.csv", start)) for start in (0, 100, 200)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert sorted(ResultStore(tmp_path / "r.csv").load()["i"]) == [s + i for s in (0, 100, 200) for i in range(15)]


def test_unknown_backend_and_missing_scheduler_are_named(tmp_path):
    with pytest.raises(ValueError, match="backend must be one of"):
        run_grid([{"a": 1}], lambda a: [], ResultStore(tmp_path / "r.csv"), backend="spark")
    with pytest.raises(ValueError, match="needs scheduler"):
        run_grid([{"a": 1}], lambda a: [], ResultStore(tmp_path / "r.csv"), backend="dask")


def test_a_column_mixing_words_and_numbers_matches_after_the_csv_round_trip(tmp_path):
    store = ResultStore(tmp_path / "mixed.csv")
    store.add([{"resolution": "auto", "hidden": "64-32", "ari": 0.7}, {"resolution": 1.0, "hidden": "256-64-32",
                                                                       "ari": 0.5}])
    assert store.contains({"resolution": 1.0, "hidden": "256-64-32"})  # read back as the string "1.0"
    assert store.contains({"resolution": "auto", "hidden": "64-32"})
    assert len(store.select(resolution=1.0)) == 1 and len(store.select(resolution="auto")) == 1
    assert not store.contains({"resolution": 0.5, "hidden": "64-32"})


def test_a_result_file_gets_the_usual_mode_and_keeps_its_own(tmp_path):
    import os
    import stat

    path = tmp_path / "r.csv"
    (tmp_path / "probe").touch()  # what open() gives a new file under this process's umask
    usual = stat.S_IMODE((tmp_path / "probe").stat().st_mode)
    store = ResultStore(path)
    store.add([{"k": 1}])
    assert stat.S_IMODE(path.stat().st_mode) == usual  # not mkstemp's private 0600
    os.chmod(path, 0o640)
    store.add([{"k": 2}])
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and len(store.load()) == 2


def test_rows_without_a_value_in_a_column_append_quietly_and_read_back_as_missing(tmp_path):
    import warnings

    store = ResultStore(tmp_path / "t.csv")
    store.add([{"n": 1, "stopped_at": 1800}, {"n": 2, "stopped_at": None}])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas' FutureWarning on all-missing columns would fail here
        store.add([{"n": 3, "stopped_at": None}, {"n": 4, "stopped_at": None}])
    table = store.load()
    assert table["n"].tolist() == [1, 2, 3, 4]
    assert table["stopped_at"].iloc[0] == 1800 and table["stopped_at"].iloc[1:].isna().all()


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


def test_computed_on_counts_rows_per_processor_and_the_unrecorded():
    rows = pd.DataFrame({"ari": [0.1, 0.2, 0.3, 0.4],
                         "cpu": ["AMD EPYC (AVX2)", "Intel Xeon", "AMD EPYC (AVX2)", None]})
    assert computed_on(rows) == "AMD EPYC (AVX2) (2 rows), Intel Xeon (1 row), not recorded (1 row)"
    assert computed_on(rows.drop(columns="cpu")) == "not recorded (4 rows)"  # tables stored before processors were
    assert computed_on(rows.iloc[0:0]) == "no rows"


def test_labels_stored_before_the_vector_extension_get_todays_names():
    rows = pd.DataFrame({"cpu": ["AMD EPYC", "AMD EPYC (AVX2)", "Intel(R) Xeon(R) Processor", "Other", None]})
    assert list(relabel_processors(rows)["cpu"].fillna("-")) == [
        "AMD EPYC (AVX-512)", "AMD EPYC (AVX2)", "Intel(R) Xeon(R) Processor (AVX-512)", "Other", "-"]
    assert list(rows["cpu"].fillna("-"))[0] == "AMD EPYC"  # the caller's table is left as stored
    assert computed_on(rows.iloc[:2]) == "AMD EPYC (AVX-512) (1 row), AMD EPYC (AVX2) (1 row)"
    assert relabel_processors(pd.DataFrame({"ari": [0.5]})).columns.tolist() == ["ari"]


def test_adding_rows_leaves_the_stored_ones_byte_for_byte(tmp_path):
    """Each add rewrites the table: floats must come back exactly as written, not drift in their last digit."""
    store = ResultStore(tmp_path / "r.csv")
    store.add([{"dataset": "a", "ari": 0.06898178899973573, "seconds": 0.34779348600022786}])
    before = store.path.read_text()
    store.add([{"dataset": "b", "ari": 0.5, "seconds": 1.0}])
    assert store.path.read_text().startswith(before)
