import pytest
import torch

from csc_core.ensemble import embed, make_encoders
from csc_core.train import minibatches, train_contrastive


@pytest.mark.parametrize("n, batch", [(10, 4), (257, 256), (256, 256), (3, 256), (1000, 300)])
def test_minibatches_cover_every_cell_once_and_never_leave_one_alone(n, batch):
    parts = minibatches(n, batch, torch.Generator().manual_seed(0))
    assert sorted(torch.cat(parts).tolist()) == list(range(n))
    assert all(2 <= len(p) <= batch for p in parts) or n < 2


def test_encoders_differ_and_are_seeded():
    a = make_encoders(2, 10, seed=0)
    b = make_encoders(2, 10, seed=0)
    assert torch.equal(a[0].linears[0].weight, b[0].linears[0].weight)
    assert not torch.equal(a[0].linears[0].weight, a[1].linears[0].weight)


def test_embed_concatenates_the_models():
    models = make_encoders(3, 10, hidden=(8, 4))
    assert embed(models, torch.randn(5, 10)).shape == (5, 12)


def test_training_changes_the_weights_and_reports_loss():
    models = make_encoders(2, 12, hidden=(8, 4))
    w0 = models[1].linears[0].weight.clone()
    hist = train_contrastive(models, torch.randn(40, 12), epochs=3, batch_size=16, progress=False)
    assert hist.shape == (3, 2) and (hist > 0).all()
    assert not torch.equal(models[1].linears[0].weight, w0)


def test_rejects_bad_arguments():
    models = make_encoders(1, 4, hidden=(4, 2))
    with pytest.raises(ValueError, match="mask"):
        train_contrastive(models, torch.randn(10, 4), epochs=1, mask="gene", progress=False)
    with pytest.raises(ValueError, match="epochs"):
        train_contrastive(models, torch.randn(10, 4), epochs=0, progress=False)
    with pytest.raises(ValueError, match="at least 2 cells"):
        train_contrastive(models, torch.randn(1, 4), epochs=1, progress=False)
