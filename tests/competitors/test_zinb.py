"""The zero-inflated negative binomial loss and autoencoder scDeepCluster and scziDesk share."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.distributions import NegativeBinomial

from csc_core.competitors.fit import zinb_inputs
from csc_core.competitors.zinb import ZINBAutoencoder, pretrain, zinb_nll
from tests.helpers import make_counts


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
    ridge = zinb_nll(torch.tensor([[4.0]]), mean, theta, pi, ridge=2.0) - zinb_nll(
        torch.tensor([[4.0]]), mean, theta, pi
    )
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
    x, raw, sf = (torch.from_numpy(a) for a in zinb_inputs(adata, n_genes=40))
    losses = []
    for _ in range(2):
        torch.manual_seed(0)
        model = ZINBAutoencoder(x.shape[1], hidden=(32, 16), latent=8)
        losses.append(pretrain(model, x, raw, sf, epochs=15, batch_size=32, seed=3, progress=False))
    assert losses[0][-1] < 0.9 * losses[0][0]
    np.testing.assert_array_equal(losses[0], losses[1])


def test_pretraining_needs_its_epochs_and_batch_size():
    adata = make_counts(n_per_type=10, n_genes=20)
    x, raw, sf = (torch.from_numpy(a) for a in zinb_inputs(adata, n_genes=20))
    model = ZINBAutoencoder(x.shape[1], hidden=(8, 4), latent=2)
    with pytest.raises(TypeError, match="batch_size"):
        pretrain(model, x, raw, sf, epochs=1, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        pretrain(model, x, raw, sf, epochs=0, batch_size=8, progress=False)
