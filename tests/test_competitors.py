"""The ZINB autoencoder and the two competitors built on it (scDeepCluster-style, scziDesk-style)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.distributions import NegativeBinomial

from csc_core import competitors, metrics
from csc_core.zinb import ZINBAutoencoder, pretrain, zinb_nll

from .conftest import make_counts


def _nb(mean, theta):  # torch's NB counts failures with success probability p: mean = theta * p / (1 - p)
    return NegativeBinomial(total_count=theta, probs=mean / (mean + theta))


def test_zinb_without_inflation_is_the_negative_binomial():
    gen = torch.Generator().manual_seed(0)
    mean = torch.rand(50, 7, generator=gen) * 10 + 0.1
    theta = torch.rand(50, 7, generator=gen) * 5 + 0.2
    x = torch.poisson(mean, generator=gen)
    expected = -_nb(mean, theta).log_prob(x).mean()
    got = zinb_nll(x, mean, theta, torch.zeros_like(mean))
    assert torch.allclose(got, expected, atol=1e-4)


def test_zinb_zero_and_nonzero_cases_follow_the_mixture():
    mean, theta, pi = torch.tensor([[3.0]]), torch.tensor([[2.0]]), torch.tensor([[0.3]])
    nb = _nb(mean, theta)
    zero = -torch.log(0.3 + 0.7 * nb.log_prob(torch.tensor(0.0)).exp())
    assert torch.allclose(zinb_nll(torch.tensor([[0.0]]), mean, theta, pi), zero, atol=1e-5)
    four = -(torch.log(torch.tensor(0.7)) + nb.log_prob(torch.tensor(4.0)))
    assert torch.allclose(zinb_nll(torch.tensor([[4.0]]), mean, theta, pi), four, atol=1e-5)
    ridge = zinb_nll(torch.tensor([[4.0]]), mean, theta, pi, ridge=2.0) - zinb_nll(torch.tensor([[4.0]]), mean,
                                                                                    theta, pi)
    assert torch.allclose(ridge, torch.tensor(2.0 * 0.09), atol=1e-6)


def test_autoencoder_heads_noise_and_size_factors():
    torch.manual_seed(0)
    model = ZINBAutoencoder(20, hidden=(16, 8), latent=4, noise_sd=1.0)
    x = torch.randn(10, 20)
    model.eval()
    z, mean, disp, pi = model(x, torch.ones(10))
    assert z.shape == (10, 4) and mean.shape == disp.shape == pi.shape == (10, 20)
    assert (mean > 0).all() and (disp > 0).all() and ((pi > 0) & (pi < 1)).all()
    _, doubled, _, _ = model(x, torch.full((10,), 2.0))
    assert torch.allclose(doubled, 2 * mean)
    assert torch.equal(model(x, torch.ones(10))[0], z)  # eval: no noise
    model.train()
    assert not torch.equal(model(x, torch.ones(10))[0], z)  # training: noisy input


def test_pretraining_lowers_the_zinb_loss_and_is_seeded():
    adata = make_counts(n_per_type=30, n_genes=40)
    x, raw, sf = (torch.from_numpy(a) for a in competitors.zinb_inputs(adata, n_genes=40))
    losses = []
    for _ in range(2):
        torch.manual_seed(0)
        model = ZINBAutoencoder(x.shape[1], hidden=(32, 16), latent=8)
        losses.append(pretrain(model, x, raw, sf, epochs=15, batch_size=32, seed=3, progress=False))
    assert losses[0][-1] < 0.9 * losses[0][0]
    np.testing.assert_array_equal(losses[0], losses[1])


def test_inputs_are_the_selected_genes_counts_and_median_scaled_size_factors(adata):
    x, raw, sf = competitors.zinb_inputs(adata, n_genes=30)
    assert x.shape == raw.shape == (adata.n_obs, 30)
    totals = np.asarray(adata.X.sum(axis=1)).ravel()
    np.testing.assert_allclose(sf, totals / np.median(totals), rtol=1e-6)
    assert np.all(raw == np.round(raw)) and raw.sum() > 0


@pytest.mark.parametrize("method", competitors.METHODS)
def test_competitor_recovers_separated_types_seeded(method):
    adata = make_counts(n_per_type=40, n_genes=60)
    truth = adata.obs["cell_type"].to_numpy()
    runs = [competitors.fit_competitor(adata, method, n_clusters=3, n_genes=60, pretrain_epochs=30,
                                       cluster_epochs=20, batch_size=32, seed=1, progress=False) for _ in range(2)]
    labels, latent, record = runs[0]
    assert metrics.scores(truth, labels)["ari"] > 0.9
    np.testing.assert_array_equal(labels, runs[1][0])
    np.testing.assert_array_equal(latent, runs[1][1])
    assert latent.shape == (adata.n_obs, 32)
    assert 1 <= record["params"]["epochs_run"] <= 20
    assert set(record["timings"]) == {"preprocess", "pretrain", "cluster"}


def test_sczidesk_moves_to_self_training_once_labels_settle():
    adata = make_counts(n_per_type=30, n_genes=40)
    _, _, record = competitors.fit_competitor(adata, "sczidesk", n_clusters=3, n_genes=40, pretrain_epochs=20,
                                              cluster_epochs=30, batch_size=32, progress=False)
    starts = record["params"]["stage_starts"]
    assert starts[0] == 0 and len(starts) == 2 and starts[1] < record["params"]["epochs_run"]


def test_anndata_wrapper_writes_scanpy_style_fields(adata):
    out = competitors.scdeepcluster(adata, n_clusters=3, n_genes=60, pretrain_epochs=5, cluster_epochs=3,
                                    batch_size=32, progress=False, copy=True)
    assert "X_scdeepcluster" not in adata.obsm
    assert out.obsm["X_scdeepcluster"].shape == (adata.n_obs, 32)
    assert out.obs["scdeepcluster_cluster"].dtype == "category"
    assert out.uns["scdeepcluster"]["params"]["pretrain_epochs"] == 5


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


def test_benchmark_row_of_a_competitor_scores_against_the_truth(adata):
    from csc_core import benchmark

    rows = benchmark.competitor_rows(adata, 0, n_genes=60, pretrain_epochs=20, cluster_epochs=10, batch_size=32)
    assert [r["method"] for r in rows] == [benchmark.SCDEEPCLUSTER, benchmark.SCZI]
    for row in rows:
        assert row["n_types"] == 3 and row["ari"] > 0.9
        assert row["seconds"] >= row["pretrain_seconds"] + row["cluster_seconds"]
    assert rows[0]["pretrain_seconds"] == rows[1]["pretrain_seconds"]  # one shared pretraining
    with pytest.raises(ValueError, match="Unknown competitors"):
        benchmark.competitor_rows(adata, 0, methods=["scVI"])


def test_shared_pretraining_gives_each_method_its_solo_result(adata):
    both = competitors.fit_competitors(adata, n_clusters=3, n_genes=60, pretrain_epochs=10, cluster_epochs=5,
                                       batch_size=32, seed=2, progress=False)
    alone = competitors.fit_competitor(adata, "sczidesk", n_clusters=3, n_genes=60, pretrain_epochs=10,
                                       cluster_epochs=5, batch_size=32, seed=2, progress=False)
    np.testing.assert_array_equal(both["sczidesk"][0], alone[0])
    np.testing.assert_array_equal(both["sczidesk"][1], alone[1])
