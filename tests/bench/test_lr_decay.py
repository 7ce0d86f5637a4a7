"""The learning-rate decay sweep: one contrastive-sc row per data set, seed and decay."""

import pytest

import csc_core
from bench import lr_decay
from csc_core import data
from csc_core.pipeline.resolution import AUTO_RULE
from tests.helpers import make_counts


def test_a_row_scores_the_run_with_that_decay(monkeypatch):
    adata = make_counts(n_per_type=20, n_genes=40)
    monkeypatch.setattr(data, "load", lambda name: adata.copy())
    seen = []
    real = csc_core.contrastive_sc
    monkeypatch.setattr(
        csc_core, "contrastive_sc", lambda a, **kw: seen.append(kw["lr_decay"]) or real(a, **kw, min_steps=20)
    )
    (row,) = lr_decay._run("tiny", 0, 0.5, AUTO_RULE)
    assert seen == [0.5] and row["n_cells"] == 60 and row["n_types"] == 3
    assert 0 <= row["ari"] <= 1 and row["n_clusters"] >= 1


def test_rows_of_another_rule_are_refused():
    with pytest.raises(ValueError, match="not 'some-old-rule'"):
        lr_decay._run("tiny", 0, 0.3, "some-old-rule")
