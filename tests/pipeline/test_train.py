import pytest
import torch

from csc_core.method.encoder import EncoderEnsemble
from csc_core.pipeline.train import (
    batches_per_epoch,
    epochs_for,
    learning_rate,
    minibatches,
    train_contrastive,
    train_ensemble,
)
from tests.helpers import TRAIN_DEFAULTS, train


@pytest.mark.parametrize("n, batch", [(10, 4), (257, 256), (256, 256), (3, 256), (1000, 300)])
def test_minibatches_cover_every_cell_once_and_never_leave_one_alone(n, batch):
    parts = minibatches(n, batch, torch.Generator().manual_seed(0))
    assert sorted(torch.cat(parts).tolist()) == list(range(n))
    assert all(2 <= len(p) <= batch for p in parts) or n < 2
    assert len(parts) == batches_per_epoch(n, batch)


@pytest.mark.parametrize("mask", ["batch", "cell"])
def test_training_changes_every_encoder_and_reports_loss(mask):
    ens = EncoderEnsemble(2, 12, (8, 4), seed=0)
    w0 = ens.weights[0].detach().clone()
    hist = train(ens, torch.randn(40, 12), epochs=3, batch_size=16, mask=mask, progress=False)
    assert hist.shape == (3, 2) and (hist > 0).all()
    assert not torch.equal(ens.weights[0][0], w0[0]) and not torch.equal(ens.weights[0][1], w0[1])


def test_encoders_of_an_ensemble_learn_independently():
    # making encoder 1 very different must not change how encoder 0 trains: nothing but the minibatch order is shared
    x = torch.randn(30, 12)
    a = EncoderEnsemble(2, 12, (8, 4), seed=1)
    b = EncoderEnsemble(2, 12, (8, 4), seed=1)
    with torch.no_grad():
        b.weights[0][1].mul_(3.0)  # a very different second encoder
    train(a, x, epochs=1, batch_size=30, progress=False, seed=0)
    train(b, x, epochs=1, batch_size=30, progress=False, seed=0)
    assert torch.allclose(a.weights[0][0], b.weights[0][0], atol=1e-6)
    assert not torch.allclose(a.weights[0][1], b.weights[0][1])


def test_rejects_bad_arguments():
    models = EncoderEnsemble(1, 4, (4, 2), seed=0)
    with pytest.raises(ValueError, match="mask"):
        train(models, torch.randn(10, 4), epochs=1, mask="gene", progress=False)
    with pytest.raises(ValueError, match="epochs"):
        train(models, torch.randn(10, 4), epochs=0, progress=False)
    with pytest.raises(ValueError, match="at least 2 cells"):
        train(models, torch.randn(1, 4), epochs=1, progress=False)
    with pytest.raises(ValueError, match="kernel must be one of"):
        train(models, torch.randn(10, 4), epochs=1, progress=False, kernel="fast")


def test_every_setting_is_required():
    with pytest.raises(TypeError, match="lr"):
        train_contrastive(
            EncoderEnsemble(1, 4, (4, 2), seed=0),
            torch.randn(10, 4),
            epochs=1,
            **{k: v for k, v in TRAIN_DEFAULTS.items() if k != "lr"},
        )


@pytest.mark.parametrize(
    "n, epochs, min_steps, batch, expected",
    [
        (2100, 10, 500, 128, 30),  # 17 minibatches per epoch: 30 epochs reach 500 steps
        (4186, 10, 500, 128, 16),
        (100_000, 10, 500, 128, 10),  # already far more steps than the minimum
        (50, 3, 0, 256, 3),
    ],
)
def test_small_data_sets_get_enough_steps(n, epochs, min_steps, batch, expected):
    assert epochs_for(n, epochs=epochs, min_steps=min_steps, batch_size=batch) == expected


def test_min_steps_adds_epochs_to_the_loss_history():
    ens = EncoderEnsemble(1, 6, (4, 2), seed=0)
    hist = train(ens, torch.randn(20, 6), epochs=2, min_steps=12, batch_size=10, progress=False)
    assert hist.shape == (6, 1)


def test_training_leaves_no_gradients_behind_and_autograd_still_works():
    """The fused step's gradients are inference tensors; training must not leave them where backward() would fail."""
    torch.manual_seed(0)
    x = torch.rand(64, 30)
    ens = EncoderEnsemble(2, 30, (8, 4), seed=0)
    train(ens, x, epochs=2, batch_size=16, progress=False)
    assert all(p.grad is None for p in ens.parameters())
    ens(x).sum().backward()  # e.g. a clustering head trained on top of the encoders
    assert all(p.grad is not None and not p.grad.is_inference() for p in ens.parameters())


def test_train_ensemble_is_a_seeded_ensemble_trained_in_place():
    x = torch.randn(40, 12, generator=torch.Generator().manual_seed(0))
    settings = dict(
        n_models=2,
        hidden=(8, 4),
        epochs=2,
        min_steps=0,
        batch_size=16,
        lr=1e-2,
        lr_decay=0.3,
        keep=0.5,
        temperature=0.07,
        mask="batch",
        seed=3,
        kernel="torch",
        progress=False,
    )
    ensemble, history, stop = train_ensemble(x, **settings)
    assert stop is None and history.shape == (2, 2) and ensemble.hidden == (8, 4)
    by_hand = EncoderEnsemble(2, 12, (8, 4), seed=3)
    expected = train(by_hand, x, **{k: v for k, v in settings.items() if k not in ("n_models", "hidden")})
    assert (history == expected).all()
    assert all(torch.equal(p, q) for p, q in zip(ensemble.parameters(), by_hand.parameters(), strict=True))
    made = []
    train_ensemble(x, **settings, stop_factory=lambda data: made.append(data) or (lambda ens, step: step == 1))
    assert len(made) == 1 and made[0] is x


def test_the_learning_rate_falls_linearly_to_zero_over_the_last_share_of_the_steps():
    rates = [learning_rate(step, 10, lr=1.0, lr_decay=0.3) for step in range(10)]
    assert rates[:7] == [1.0] * 7  # constant until the last 30 %
    assert rates[7:] == pytest.approx([1.0, 2 / 3, 1 / 3])  # the last step still moves, at a third of the rate
    assert [learning_rate(s, 10, lr=0.5, lr_decay=0.0) for s in range(10)] == [0.5] * 10
    assert learning_rate(0, 4, lr=1.0, lr_decay=1.0) == 1.0 and learning_rate(3, 4, lr=1.0, lr_decay=1.0) == 0.25


def test_a_decaying_rate_changes_training_and_a_bad_share_is_refused():
    x = torch.randn(40, 12, generator=torch.Generator().manual_seed(0))
    constant, decayed = (EncoderEnsemble(1, 12, (8, 4), seed=0) for _ in range(2))
    train(constant, x, epochs=3, batch_size=16, lr=1e-2, progress=False)
    train(decayed, x, epochs=3, batch_size=16, lr=1e-2, lr_decay=0.5, progress=False)
    assert not all(torch.equal(p, q) for p, q in zip(constant.parameters(), decayed.parameters(), strict=True))
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="lr_decay"):
            train(constant, x, epochs=1, lr_decay=bad, progress=False)
