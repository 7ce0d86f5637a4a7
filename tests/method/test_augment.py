import pytest
import torch

from csc_core.method.augment import drop_genes, n_kept, sample_genes


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
    masks = view != 0
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
    counts = torch.bincount(
        sample_genes(10, 0.3, shape=(20_000,), generator=torch.Generator().manual_seed(0)).flatten(), minlength=10
    )
    assert torch.allclose(counts / counts.sum(), torch.full((10,), 0.1), atol=0.005)


def test_a_view_keeps_a_rounded_share_and_at_least_one_gene():
    assert n_kept(1500, 0.2) == 300 and n_kept(24, 0.25) == 6 and n_kept(10, 0.01) == 1 and n_kept(7, 1.0) == 7
    for keep in (0.0, 1.01):
        with pytest.raises(ValueError, match="keep"):
            n_kept(10, keep)
