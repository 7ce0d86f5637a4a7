import pytest
import torch

from csc_core.augment import drop_genes, sample_genes
from csc_core.encoder import Encoder


@pytest.mark.parametrize("keep", [0.1, 0.2, 0.5, 1.0])
def test_drop_genes_keeps_the_requested_share_per_cell(keep):
    x = torch.rand(50, 40) + 0.5  # no zeros, so every zero in the view was made by the augmentation
    view = drop_genes(x, keep, generator=torch.Generator().manual_seed(0))
    assert ((view != 0).sum(dim=1) == round(keep * 40)).all()
    kept = view != 0
    assert torch.equal(view[kept], x[kept])  # kept genes keep their values


def test_drop_genes_leaves_input_unchanged_and_cells_differ():
    x = torch.rand(30, 20) + 0.5
    before = x.clone()
    view = drop_genes(x, 0.3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(x, before)
    masks = (view != 0)
    assert len({tuple(m.tolist()) for m in masks}) > 1  # per-cell masks, not one shared mask


def test_drop_genes_is_seeded():
    x = torch.rand(10, 20)
    a = drop_genes(x, 0.2, generator=torch.Generator().manual_seed(3))
    b = drop_genes(x, 0.2, generator=torch.Generator().manual_seed(3))
    c = drop_genes(x, 0.2, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("keep", [0.0, -0.1, 1.5])
def test_invalid_keep_raises(keep):
    with pytest.raises(ValueError, match="keep"):
        drop_genes(torch.rand(3, 4), keep)


def test_sample_genes_draws_distinct_genes_per_view_seeded():
    g = sample_genes(100, 0.15, shape=(4, 2), generator=torch.Generator().manual_seed(0))
    assert g.shape == (4, 2, 15) and int(g.max()) < 100
    assert all(len(v.unique()) == 15 for v in g.reshape(-1, 15))  # distinct genes within a view
    assert not torch.equal(g[0, 0].sort().values, g[0, 1].sort().values)  # views differ
    assert torch.equal(g, sample_genes(100, 0.15, shape=(4, 2), generator=torch.Generator().manual_seed(0)))


def test_sample_genes_is_uniform_over_genes():
    counts = torch.bincount(sample_genes(10, 0.3, shape=(20_000,), generator=torch.Generator().manual_seed(0)).flatten(),
                            minlength=10)
    assert torch.allclose(counts / counts.sum(), torch.full((10,), 0.1), atol=0.005)


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
    z = Encoder(20)(torch.randn(7, 20))
    assert z.shape == (7, 32)
    assert torch.allclose(z.norm(dim=1), torch.ones(7), atol=1e-5)
