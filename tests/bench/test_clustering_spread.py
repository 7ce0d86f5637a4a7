"""The clustering-spread bench's plumbing: one training per data set, seed and lr_decay, skipped once stored."""

from bench import clustering_spread, common
from csc_core.pipeline.resolution import AUTO_RULE


def test_each_training_is_stored_once_and_a_rerun_skips_it(tmp_path, monkeypatch, capsys):
    calls = []

    def rows_for(dataset, seed, cluster_seeds, lr_decay):
        calls.append((dataset, seed, lr_decay))
        return [
            {"dataset": dataset, "seed": seed, "lr_decay": lr_decay, "cluster_seed": c, "ari": 0.5 + lr_decay + c / 10}
            for c in range(cluster_seeds)
        ]

    monkeypatch.setenv(common.RESULTS_ENV, str(tmp_path))
    monkeypatch.setattr(clustering_spread, "rows_for", rows_for)
    argv = ["--datasets", "x", "--seeds", "0", "1", "--cluster-seeds", "2", "--lr-decay", "0", "0.3"]
    clustering_spread.main(argv)
    assert sorted(calls) == [("x", 0, 0.0), ("x", 0, 0.3), ("x", 1, 0.0), ("x", 1, 0.3)]
    stored = common.store("clustering_spread").load()
    assert len(stored) == 8 and set(stored["lr_decay"]) == {0.0, 0.3}
    assert set(stored["auto_rule"]) == {AUTO_RULE}  # which rule "auto" stood for
    assert "difference" in capsys.readouterr().out  # the two shares compared
    clustering_spread.main(argv)
    assert len(calls) == 4 and len(common.store("clustering_spread").load()) == 8
