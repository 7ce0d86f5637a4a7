"""The encoder, its ensemble (K encoders side by side as batched tensors) and the chunked embedding."""

import pytest
import torch

from csc_core.method.augment import sample_genes
from csc_core.method.encoder import Encoder, EncoderEnsemble, embed, make_encoders


@pytest.mark.parametrize("train", [True, False])
def test_gene_subset_forward_equals_zeroing_the_other_genes(train):
    torch.manual_seed(0)
    enc = Encoder(30, (16, 8, 4)).train(train)
    x = torch.randn(12, 30)
    genes = sample_genes(30, 0.2, generator=torch.Generator().manual_seed(1))
    zeroed = torch.zeros_like(x)
    zeroed[:, genes] = x[:, genes]
    assert torch.allclose(enc(x[:, genes], genes), enc(zeroed), atol=1e-5)


def test_encoder_output_is_on_the_unit_sphere():
    z = Encoder(20, (256, 64, 32))(torch.randn(7, 20))
    assert z.shape == (7, 32)
    assert torch.allclose(z.norm(dim=1), torch.ones(7), atol=1e-5)


def test_encoders_differ_and_are_seeded():
    a = make_encoders(2, 10, hidden=(256, 64, 32), seed=0)
    b = make_encoders(2, 10, hidden=(256, 64, 32), seed=0)
    assert torch.equal(a[0].linears[0].weight, b[0].linears[0].weight)
    assert not torch.equal(a[0].linears[0].weight, a[1].linears[0].weight)


def test_making_encoders_leaves_the_global_rng_alone():
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    make_encoders(2, 10, hidden=(8, 4), seed=5)
    EncoderEnsemble(2, 10, (8, 4), seed=5)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("hidden", [(8, 4), (16, 8, 4)])
@pytest.mark.parametrize("train", [True, False])
def test_ensemble_is_its_encoders_side_by_side(hidden, train):
    ens = EncoderEnsemble(3, 10, hidden, seed=5)
    encoders = make_encoders(3, 10, hidden=hidden, seed=5)  # the same initialisation, one module each
    x = torch.randn(3, 7, 10)
    if not train:  # give BatchNorm running statistics that are not the initial ones
        for _ in range(2):
            ens.train()(x)
            [e.train()(x[k]) for k, e in enumerate(encoders)]
    ens.train(train), [e.train(train) for e in encoders]
    z = ens(x)
    for k, enc in enumerate(encoders):
        assert torch.allclose(z[k], enc(x[k]), atol=1e-6)
        assert torch.allclose(z[k], ens.encoders()[k](x[k]), atol=1e-6)  # unstacking gives the same function


def test_ensemble_gene_subsets_equal_zeroing_the_other_genes():
    ens = EncoderEnsemble(2, 12, (8, 4), seed=0).eval()
    x = torch.randn(5, 12)
    genes = torch.tensor([[0, 3, 4], [2, 3, 11]])
    for k in range(2):
        zeroed = torch.zeros_like(x)
        zeroed[:, genes[k]] = x[:, genes[k]]
        assert torch.allclose(ens(x[:, genes].transpose(0, 1), genes)[k], ens(zeroed)[k], atol=1e-6)


def test_embed_concatenates_the_models():
    ens = EncoderEnsemble(3, 10, (8, 4), seed=0)
    x = torch.randn(5, 10)
    z = embed(ens, x, chunk_size=2)
    assert z.shape == (5, 12)
    assert torch.allclose(z[:, 4:8], ens.encoders()[1].eval()(x), atol=1e-6)
