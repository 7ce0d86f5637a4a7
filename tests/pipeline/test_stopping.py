"""Early stopping by cluster stability (csc_core.pipeline.stopping) and its wiring into training and contrastive_sc."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import adjusted_rand_score

import csc_core
from csc_core.method.encoder import EncoderEnsemble
from csc_core.pipeline.stopping import STOP_DEFAULTS, AgreementStreak, StabilityStop, knn_partition
from tests.helpers import train


def blobs(n_per=60, dims=8, groups=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=10.0, size=(groups, dims))
    labels = np.repeat(np.arange(groups), n_per)
    return torch.from_numpy((centres[labels] + rng.normal(size=(labels.size, dims))).astype(np.float32)), labels


def test_knn_partition_finds_separated_groups():
    x, labels = blobs()
    assert adjusted_rand_score(labels, knn_partition(x, n_neighbors=10)) == 1.0


def test_knn_partition_needs_more_cells_than_neighbours():
    with pytest.raises(ValueError, match="Too few cells"):
        knn_partition(torch.zeros(10, 3), n_neighbors=10)


def test_an_unchanging_ensemble_stops_after_patience_checks_but_not_before_min_steps():
    x, _ = blobs()
    ensemble = EncoderEnsemble(2, x.shape[1], (16, 4), seed=0).train()
    before = [p.detach().clone() for p in ensemble.parameters()]
    stop = StabilityStop(x, every=2, patience=2, n_neighbors=10, min_steps=9)
    decisions = [stop(ensemble, step) for step in range(1, 11)]
    # checks at steps 2, 4, 6, 8, 10: the first has nothing to compare with, then each agrees perfectly
    assert [h["step"] for h in stop.history] == [2, 4, 6, 8, 10]
    assert np.isnan(stop.history[0]["agreement"]) and all(h["agreement"] == 1.0 for h in stop.history[1:])
    assert decisions == [False] * 9 + [True] and stop.stopped_at == 10  # stable since step 6, but min_steps is 9
    assert ensemble.training  # embedding the sample switched to eval mode and back
    assert all(torch.equal(a, b) for a, b in zip(before, ensemble.parameters(), strict=True))


def test_a_changing_partition_resets_the_streak(monkeypatch):
    a, b = np.repeat([0, 1, 2], 60), np.tile([0, 1, 2], 60)  # two unrelated partitions of the 180 cells
    partitions = iter([a, a, b, b, b])
    monkeypatch.setattr("csc_core.pipeline.stopping.knn_partition", lambda *args, **kwargs: next(partitions))
    x, _ = blobs()
    stop = StabilityStop(x, every=1, patience=2, n_neighbors=10)
    decisions = [stop(EncoderEnsemble(1, x.shape[1], (16, 4), seed=0), step) for step in range(1, 6)]
    assert [h["agreement"] for h in stop.history][1:] == [1.0, pytest.approx(0.0, abs=0.02), 1.0, 1.0]
    assert decisions == [False, False, False, False, True] and stop.stopped_at == 5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"agreement": 0.0}, "agreement"),
        ({"agreement": 1.5}, "agreement"),
        ({"every": 0}, "every"),
        ({"patience": 0}, "patience"),
        ({"n_neighbors": 500}, "more than 500 cells"),
    ],
)
def test_stability_stop_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        StabilityStop(blobs()[0], **kwargs)


def test_training_ends_when_stop_says_so_and_reports_the_cut_epoch():
    x, _ = blobs(n_per=100)  # 300 cells: 3 minibatches of 100 per epoch
    calls = []

    def stop(ensemble, step):
        calls.append(step)
        return step == 5

    history = train(
        EncoderEnsemble(2, x.shape[1], (16, 4), seed=0), x, epochs=10, batch_size=100, progress=False, stop=stop
    )
    assert calls == [1, 2, 3, 4, 5] and history.shape == (2, 2)  # stopped in the second epoch's second step
    assert np.isfinite(history).all() and (history > 0).all()


def test_contrastive_sc_without_a_stop_is_unchanged_by_the_monitor(adata):
    kwargs = dict(epochs=3, min_steps=0, n_genes=40, n_neighbors=10, progress=False, copy=True)
    plain = csc_core.contrastive_sc(adata, **kwargs)
    watched = csc_core.contrastive_sc(
        adata, early_stopping={"every": 1, "agreement": 1.0, "patience": 99, "n_neighbors": 10}, **kwargs
    )
    np.testing.assert_array_equal(plain.obsm["X_csc"], watched.obsm["X_csc"])
    rec = watched.uns["csc"]
    assert rec["stopping"]["stopped_at"] is None and rec["stopping"]["history"]["step"] == [1, 2, 3]
    assert rec["params"]["steps_run"] == plain.uns["csc"]["params"]["steps_run"] == 3
    assert rec["params"]["early_stopping"]["patience"] == 99 and rec["params"]["early_stopping"]["every"] == 1
    assert plain.uns["csc"]["params"]["early_stopping"] is False
    assert "stopping" not in plain.uns["csc"]


def test_contrastive_sc_records_where_it_stopped_and_is_deterministic(adata):
    kwargs = dict(
        epochs=50,
        min_steps=0,
        n_genes=40,
        n_neighbors=10,
        lr=1e-5,
        progress=False,
        copy=True,
        early_stopping={"every": 2, "agreement": 0.9, "patience": 1, "n_neighbors": 10},
    )
    first, second = csc_core.contrastive_sc(adata, **kwargs), csc_core.contrastive_sc(adata, **kwargs)
    rec = first.uns["csc"]
    stopped = rec["stopping"]["stopped_at"]
    assert stopped is not None and stopped < 50 and rec["params"]["steps_run"] == stopped
    assert rec["params"]["epochs_run"] == stopped  # one minibatch per epoch on 120 cells
    assert second.uns["csc"]["stopping"]["stopped_at"] == stopped
    np.testing.assert_array_equal(first.obsm["X_csc"], second.obsm["X_csc"])


@pytest.mark.parametrize(
    "value, error, match",
    [
        ({"every_n": 3}, KeyError, "early-stopping settings"),
        ("yes", TypeError, "early_stopping"),
        ({"agreement": 2.0}, ValueError, "agreement"),
    ],
)
def test_contrastive_sc_rejects_bad_early_stopping_before_any_work(adata, value, error, match, monkeypatch):
    def no_preprocessing(*args, **kwargs):
        raise AssertionError("preprocessing ran before the settings were checked")

    monkeypatch.setattr("csc_core.api.preprocess", no_preprocessing)
    with pytest.raises(error, match=match):
        csc_core.contrastive_sc(
            adata, epochs=1, n_genes=40, n_neighbors=10, progress=False, copy=True, early_stopping=value
        )
    with pytest.raises(AssertionError, match="preprocessing ran"):  # the patch is on the path valid settings take
        csc_core.contrastive_sc(
            adata, epochs=1, n_genes=40, n_neighbors=10, progress=False, copy=True, early_stopping=True
        )


def test_the_record_holds_the_resolved_settings(adata):
    run = csc_core.contrastive_sc(
        adata, epochs=1, min_steps=0, n_genes=40, n_neighbors=10, progress=False, copy=True, early_stopping=True
    )
    assert run.uns["csc"]["params"]["early_stopping"] == STOP_DEFAULTS


def test_agreement_streak_needs_patience_consecutive_agreements_and_the_floor():
    rule = AgreementStreak(agreement=0.95, patience=2, min_steps=0)
    assert [rule.update(s, a) for s, a in ((200, float("nan")), (400, 0.96), (600, 0.5), (800, 0.97))] == [False] * 4
    assert rule.update(1000, 0.95)  # two in a row, the second exactly at the threshold
    late = AgreementStreak(agreement=0.95, patience=2, min_steps=900)
    assert [late.update(s, 0.99) for s in (200, 400, 600, 800, 1000)] == [False, False, False, False, True]
