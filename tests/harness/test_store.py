"""The result store: rows found by their parameters, atomic and concurrent writes (csc_core.harness.store)."""

import pandas as pd
import pytest

from csc_core.harness.store import ResultStore


def test_rows_round_trip_and_are_found_by_their_parameters(tmp_path):
    store = ResultStore(tmp_path / "sub" / "r.csv")
    assert store.load().empty and not store.contains({"dataset": "a"})
    store.add(
        [{"dataset": "a", "seed": 0, "lr": 0.001, "ari": 0.5}, {"dataset": "a", "seed": 1, "lr": 0.001, "ari": 0.6}]
    )
    assert store.contains({"dataset": "a", "seed": 1, "lr": 1e-3})
    assert not store.contains({"dataset": "a", "seed": 2})
    assert not store.contains({"dataset": "a", "unknown_column": 1})
    assert list(store.select(seed=1)["ari"]) == [0.6]


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


def test_a_column_mixing_words_and_numbers_matches_after_the_csv_round_trip(tmp_path):
    store = ResultStore(tmp_path / "mixed.csv")
    store.add(
        [{"resolution": "auto", "hidden": "64-32", "ari": 0.7}, {"resolution": 1.0, "hidden": "256-64-32", "ari": 0.5}]
    )
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


def test_adding_rows_leaves_the_stored_ones_byte_for_byte(tmp_path):
    """Each add rewrites the table: floats must come back exactly as written, not drift in their last digit."""
    store = ResultStore(tmp_path / "r.csv")
    store.add([{"dataset": "a", "ari": 0.06898178899973573, "seconds": 0.34779348600022786}])
    before = store.path.read_text()
    store.add([{"dataset": "b", "ari": 0.5, "seconds": 1.0}])
    assert store.path.read_text().startswith(before)
