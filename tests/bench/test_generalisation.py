"""The generalisation panel: its data sets and their seeded samples."""

import pytest

from bench import generalisation
from csc_core import data
from tests.helpers import make_counts


def test_a_sample_is_seeded_and_of_the_size_named(monkeypatch):
    adata = make_counts(n_per_type=20)
    monkeypatch.setattr(data, "load", lambda name: adata.copy())
    a, b = generalisation.load("tiny@20"), generalisation.load("tiny@20")
    assert a.n_obs == 20 and list(a.obs_names) == list(b.obs_names)
    assert generalisation.load("tiny").n_obs == 60


def test_every_panel_set_is_registered():
    for name in generalisation.PANEL:
        data.info(name.partition("@")[0])


def test_rows_of_another_rule_are_refused():
    with pytest.raises(ValueError, match="not 'some-old-rule'"):
        generalisation._run("tiny", 0, "some-old-rule", 0.3)


def test_rows_of_other_defaults_are_refused():
    from csc_core import DEFAULTS
    from csc_core.pipeline.resolution import AUTO_RULE

    with pytest.raises(ValueError, match="lr_decay is"):
        generalisation._run("tiny", 0, AUTO_RULE, DEFAULTS.lr_decay + 0.1)
