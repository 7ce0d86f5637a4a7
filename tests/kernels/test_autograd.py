"""The reference training step (csc_core.kernels.autograd): the spec the fast kernels are compared with.

The ensemble's forward pass, NT-Xent, backward(); tests/kernels/test_torch_step.py and tests/kernels/test_compiled.py
compare the fast kernels with it.
"""

import copy

import numpy as np
import pytest
import torch

from csc_core.kernels.autograd import loss_and_grads
from csc_core.method.encoder import EncoderEnsemble
from csc_core.method.loss import nt_xent
from tests.helpers import batchnorm_ensemble, train

K, B, GENES, KEPT = 3, 10, 24, 6


def _batch(seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    xb = torch.randn(B, GENES, generator=g).to(dtype)
    genes = torch.rand(K, 2, GENES, generator=g).argsort(-1)[..., :KEPT]
    return xb, genes


@pytest.mark.parametrize("hidden", [(16, 8), (20, 12, 8), (8,)])
def test_each_encoder_gets_the_nt_xent_gradient_of_its_own_two_views(hidden):
    """The batched step is K separate encoders, each trained on its own loss.

    Compared with each encoder run alone as an Encoder module (two training-mode passes, nt_xent, backward).
    """
    ens = batchnorm_ensemble(K, GENES, hidden).double()
    alone = [e.double() for e in ens.encoders()]
    xb, genes = _batch()
    losses = loss_and_grads(ens, xb, temperature=0.07, genes=genes)
    assert losses.shape == (K,) and not losses.requires_grad
    for k, enc in enumerate(alone):
        z1, z2 = (enc(xb[:, genes[k, v]], genes[k, v]) for v in (0, 1))
        loss = nt_xent(z1, z2, 0.07)
        loss.backward()
        assert losses[k].item() == pytest.approx(loss.item(), rel=1e-12)
        for i, lin in enumerate(enc.linears):
            assert torch.allclose(ens.weights[i].grad[k], lin.weight.grad.T, rtol=1e-9, atol=1e-12), (k, i)
            assert torch.allclose(ens.biases[i].grad[k, 0], lin.bias.grad, rtol=1e-9, atol=1e-12), (k, i)
        for mine, norm in zip(ens.norms, enc.norms, strict=True):
            sl = slice(k * norm.num_features, (k + 1) * norm.num_features)
            assert torch.allclose(mine.weight.grad[sl], norm.weight.grad, rtol=1e-9, atol=1e-12)
            assert torch.allclose(mine.bias.grad[sl], norm.bias.grad, rtol=1e-9, atol=1e-12)
            # the running statistics as two training-mode passes, view 1 then view 2, leave them
            assert torch.allclose(mine.running_mean[sl], norm.running_mean, atol=1e-12)
            assert torch.allclose(mine.running_var[sl], norm.running_var, atol=1e-12)
            assert int(mine.num_batches_tracked) == int(norm.num_batches_tracked) == 2


def test_gene_subsets_and_the_views_they_stand_for_give_the_same_step():
    """The "batch" mask's gene subsets are views that zero the other genes: the same losses and gradients."""
    ens = batchnorm_ensemble(K, GENES, (16, 8)).double()
    ref = copy.deepcopy(ens)
    xb, genes = _batch()
    views = torch.zeros(K, 2, B, GENES, dtype=xb.dtype)
    for k in range(K):
        for v in range(2):
            views[k, v][:, genes[k, v]] = xb[:, genes[k, v]]
    by_genes = loss_and_grads(ens, xb, temperature=0.1, genes=genes)
    by_views = loss_and_grads(ref, xb, temperature=0.1, views=views)
    assert torch.allclose(by_genes, by_views, rtol=1e-12)
    for (name, p), (_, q) in zip(ens.named_parameters(), ref.named_parameters(), strict=True):
        assert torch.allclose(p.grad, q.grad, rtol=1e-9, atol=1e-12), name


def test_gradients_are_overwritten_not_accumulated():
    ens = batchnorm_ensemble(K, GENES, (16, 8)).double()
    xb, genes = _batch()
    loss_and_grads(ens, xb, temperature=0.07, genes=genes)
    first = [p.grad.clone() for p in ens.parameters()]
    loss_and_grads(ens, xb, temperature=0.07, genes=genes)  # training mode: the batch's own statistics again
    assert all(torch.allclose(a, p.grad, rtol=1e-12, atol=1e-15) for a, p in zip(first, ens.parameters(), strict=True))


def test_rejects_bad_arguments():
    ens = batchnorm_ensemble(K, GENES, (16, 8))
    xb, genes = _batch(dtype=torch.float32)
    with pytest.raises(ValueError, match="exactly one"):
        loss_and_grads(ens, xb, temperature=0.07)
    with pytest.raises(ValueError, match="exactly one"):
        loss_and_grads(ens, xb, temperature=0.07, genes=genes, views=xb.expand(K, 2, *xb.shape))
    with pytest.raises(ValueError, match="temperature"):
        loss_and_grads(ens, xb, temperature=0.0, genes=genes)


def _separable(n=96, genes=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 3
    centres = torch.zeros(3, genes)
    for t in range(3):
        centres[t, t * 10 : (t + 1) * 10] = 3.0
    return centres[labels] + torch.randn(n, genes, generator=g)


@pytest.mark.parametrize("mask", ["batch", "cell"])
def test_training_with_the_reference_kernel_lowers_the_loss(mask):
    x = _separable()
    ens = EncoderEnsemble(2, x.shape[1], (16, 8), seed=0)
    before = [p.detach().clone() for p in ens.parameters()]
    hist = train(ens, x, epochs=25, batch_size=32, lr=1e-2, keep=0.5, mask=mask, progress=False, kernel="autograd")
    assert hist.shape == (25, 2) and np.isfinite(hist).all()
    assert (hist[-3:].mean(0) < 0.9 * hist[:3].mean(0)).all()  # every encoder learns
    assert all(not torch.equal(a, p) for a, p in zip(before, ens.parameters(), strict=True))
    assert all(p.grad is None for p in ens.parameters())  # nothing left behind for a later backward()


@pytest.mark.parametrize("mask", ["batch", "cell"])
def test_one_epoch_of_the_pytorch_kernel_follows_the_reference(mask):
    """One epoch of the PyTorch kernel from the reference's initialisation gives the reference's encoders.

    The same minibatches and views from the same initialisation: after one epoch the PyTorch kernel's encoders are
    the reference's, within the one-epoch comparison's tolerance (tests/kernels/test_compiled.py). Except the biases
    that feed a BatchNorm: their true gradient is 0, which the PyTorch kernel sets exactly while autograd leaves
    rounding noise that Adam turns into steps of about lr — a shift the BatchNorm after them takes away again.
    """
    x = torch.randn(64, 40, generator=torch.Generator().manual_seed(3))
    lr, batch_size = 1e-3, 16
    ref, fast = EncoderEnsemble(3, 40, (16, 8), seed=0), EncoderEnsemble(3, 40, (16, 8), seed=0)
    h_ref = train(ref, x, epochs=1, batch_size=batch_size, lr=lr, mask=mask, progress=False, kernel="autograd")
    h_fast = train(fast, x, epochs=1, batch_size=batch_size, lr=lr, mask=mask, progress=False, kernel="torch")
    assert np.allclose(h_ref, h_fast, rtol=1e-4)
    steps = len(x) // batch_size
    feeds_norm = {f"biases.{i}" for i in range(len(ref.norms))}
    for (name, p), (_, q) in zip(ref.named_parameters(), fast.named_parameters(), strict=True):
        if name in feeds_norm:
            assert (p - q).abs().max() <= 1.5 * steps * lr, name
        else:
            assert torch.allclose(p, q, atol=1e-4), name
    for (name, p), (_, q) in zip(ref.named_buffers(), fast.named_buffers(), strict=True):
        tol = 1.5 * steps * lr if name.endswith("running_mean") else 1e-4  # follows those biases
        assert (p.double() - q.double()).abs().max() <= tol, name
    with torch.no_grad():  # with the cells' own statistics the two ensembles are the same function
        xs = x.expand(3, *x.shape)
        assert torch.allclose(ref.train()(xs), fast.train()(xs), atol=1e-4)
