import pytest
import torch

from csc_core.ensemble import EncoderEnsemble, embed, make_encoders
from csc_core.train import FusedAdam, epochs_for, minibatches, train_contrastive


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
    ens = EncoderEnsemble(2, 12, (8, 4)).eval()
    x = torch.randn(5, 12)
    genes = torch.tensor([[0, 3, 4], [2, 3, 11]])
    for k in range(2):
        zeroed = torch.zeros_like(x)
        zeroed[:, genes[k]] = x[:, genes[k]]
        assert torch.allclose(ens(x[:, genes].transpose(0, 1), genes)[k], ens(zeroed)[k], atol=1e-6)


def test_embed_concatenates_the_models():
    ens = EncoderEnsemble(3, 10, (8, 4))
    x = torch.randn(5, 10)
    z = embed(ens, x, chunk_size=2)
    assert z.shape == (5, 12)
    assert torch.allclose(z[:, 4:8], ens.encoders()[1].eval()(x), atol=1e-6)


@pytest.mark.parametrize("mask", ["batch", "cell"])
def test_training_changes_every_encoder_and_reports_loss(mask):
    ens = EncoderEnsemble(2, 12, (8, 4))
    w0 = ens.weights[0].detach().clone()
    hist = train_contrastive(ens, torch.randn(40, 12), epochs=3, batch_size=16, mask=mask, progress=False)
    assert hist.shape == (3, 2) and (hist > 0).all()
    assert not torch.equal(ens.weights[0][0], w0[0]) and not torch.equal(ens.weights[0][1], w0[1])


def test_encoders_of_an_ensemble_learn_independently():
    # making encoder 1 very different must not change how encoder 0 trains: nothing but the minibatch order is shared
    x = torch.randn(30, 12)
    a = EncoderEnsemble(2, 12, (8, 4), seed=1)
    b = EncoderEnsemble(2, 12, (8, 4), seed=1)
    with torch.no_grad():
        b.weights[0][1].mul_(3.0)  # a very different second encoder
    train_contrastive(a, x, epochs=1, batch_size=30, progress=False, seed=0)
    train_contrastive(b, x, epochs=1, batch_size=30, progress=False, seed=0)
    assert torch.allclose(a.weights[0][0], b.weights[0][0], atol=1e-6)
    assert not torch.allclose(a.weights[0][1], b.weights[0][1])


def test_rejects_bad_arguments():
    models = EncoderEnsemble(1, 4, (4, 2))
    with pytest.raises(ValueError, match="mask"):
        train_contrastive(models, torch.randn(10, 4), epochs=1, mask="gene", progress=False)
    with pytest.raises(ValueError, match="epochs"):
        train_contrastive(models, torch.randn(10, 4), epochs=0, progress=False)
    with pytest.raises(ValueError, match="at least 2 cells"):
        train_contrastive(models, torch.randn(1, 4), epochs=1, progress=False)


@pytest.mark.parametrize("n, epochs, min_steps, batch, expected", [
    (2100, 10, 500, 128, 30),  # 17 minibatches per epoch: 30 epochs reach 500 steps
    (4186, 10, 500, 128, 16),
    (100_000, 10, 500, 128, 10),  # already far more steps than the minimum
    (50, 3, 0, 256, 3),
])
def test_small_data_sets_get_enough_steps(n, epochs, min_steps, batch, expected):
    assert epochs_for(n, epochs=epochs, min_steps=min_steps, batch_size=batch) == expected


def test_min_steps_adds_epochs_to_the_loss_history():
    ens = EncoderEnsemble(1, 6, (4, 2))
    hist = train_contrastive(ens, torch.randn(20, 6), epochs=2, min_steps=12, batch_size=10, progress=False)
    assert hist.shape == (6, 1)


@pytest.mark.parametrize("lr", [1e-2, 1e-3])
def test_fused_adam_matches_torch_optim_adam_bit_for_bit(lr):
    """The wrapper-free Adam of the training loop is torch.optim.Adam(fused=True), not an approximation of it."""
    torch.manual_seed(0)
    ours, theirs = EncoderEnsemble(2, 30, (8, 4), seed=0), EncoderEnsemble(2, 30, (8, 4), seed=0)
    mine, reference = FusedAdam(ours.parameters(), lr=lr), torch.optim.Adam(theirs.parameters(), lr=lr, fused=True)
    for _ in range(5):
        grads = [torch.randn_like(p) for p in ours.parameters()]
        for p, q, g in zip(ours.parameters(), theirs.parameters(), grads):
            p.grad, q.grad = g.clone(), g.clone()
        mine.step()
        reference.step()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(p, q)
    assert not torch.equal(ours.weights[0], EncoderEnsemble(2, 30, (8, 4), seed=0).weights[0])  # it did move


def test_training_leaves_no_gradients_behind_and_autograd_still_works():
    """The fused step's gradients are inference tensors; training must not leave them where backward() would fail."""
    torch.manual_seed(0)
    x = torch.rand(64, 30)
    ens = EncoderEnsemble(2, 30, (8, 4), seed=0)
    train_contrastive(ens, x, epochs=2, batch_size=16, progress=False)
    assert all(p.grad is None for p in ens.parameters())
    ens(x).sum().backward()  # e.g. a clustering head trained on top of the encoders
    assert all(p.grad is not None and not p.grad.is_inference() for p in ens.parameters())
