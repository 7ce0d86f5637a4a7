"""The two competitors on the ZINB autoencoder (scDeepCluster-style, scziDesk-style): one pretraining, both stages."""

from __future__ import annotations

import numpy as np
import pytest

from csc_core import competitors
from csc_core.competitors import Protocol
from csc_core.competitors.fit import zinb_inputs
from csc_core.data import metrics
from tests.helpers import make_counts


def test_inputs_are_the_selected_genes_counts_and_median_scaled_size_factors(adata):
    x, raw, sf = zinb_inputs(adata, n_genes=30)
    assert x.shape == raw.shape == (adata.n_obs, 30)
    totals = np.asarray(adata.X.sum(axis=1)).ravel()
    np.testing.assert_allclose(sf, totals / np.median(totals), rtol=1e-6)
    assert np.all(raw == np.round(raw)) and raw.sum() > 0


@pytest.mark.parametrize("method", competitors.METHODS)
def test_competitor_recovers_separated_types_seeded(method):
    adata = make_counts(n_per_type=40, n_genes=60)
    truth = adata.obs["cell_type"].to_numpy()
    protocol = Protocol(n_genes=60, pretrain_epochs=30, cluster_epochs=20, batch_size=32)
    runs = [
        competitors.fit_competitor(adata, method, n_clusters=3, protocol=protocol, seed=1, progress=False)
        for _ in range(2)
    ]
    labels, latent, record = runs[0]
    assert metrics.scores(truth, labels)["ari"] > 0.9
    np.testing.assert_array_equal(labels, runs[1][0])
    np.testing.assert_array_equal(latent, runs[1][1])
    assert latent.shape == (adata.n_obs, 32)
    assert 1 <= record["params"]["epochs_run"] <= 20
    assert set(record["timings"]) == {"preprocess", "pretrain", "cluster"}


def test_sczidesk_moves_to_self_training_once_labels_settle():
    adata = make_counts(n_per_type=30, n_genes=40)
    protocol = Protocol(n_genes=40, pretrain_epochs=20, cluster_epochs=30, batch_size=32)
    _, _, record = competitors.fit_competitor(adata, "sczidesk", n_clusters=3, protocol=protocol, progress=False)
    starts = record["params"]["stage_starts"]
    assert starts[0] == 0 and len(starts) == 2 and starts[1] < record["params"]["epochs_run"]


def test_competitors_reject_bad_input(adata):
    with pytest.raises(ValueError, match="method"):
        competitors.fit_competitor(adata, "scvi", n_clusters=3)
    with pytest.raises(ValueError, match="n_clusters"):
        competitors.fit_competitor(adata, "scdeepcluster", n_clusters=1, progress=False)
    bad = adata.copy()
    bad.X = bad.X.toarray()
    bad.X[0, 0] = -1
    with pytest.raises(ValueError, match="negative"):
        competitors.sczidesk(bad, n_clusters=3, progress=False)


def test_shared_pretraining_gives_each_method_its_solo_result(adata):
    protocol = Protocol(n_genes=60, pretrain_epochs=10, cluster_epochs=5, batch_size=32)
    both = competitors.fit_competitors(adata, n_clusters=3, protocol=protocol, seed=2, progress=False)
    alone = competitors.fit_competitor(adata, "sczidesk", n_clusters=3, protocol=protocol, seed=2, progress=False)
    np.testing.assert_array_equal(both["sczidesk"][0], alone[0])
    np.testing.assert_array_equal(both["sczidesk"][1], alone[1])
