import pandas as pd
import pytest

from csc_core.experiments import ResultStore, run_grid


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
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]  # no temporary file left behind
