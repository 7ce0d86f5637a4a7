"""The hand-derived training step and its Adam.

The step against the autograd reference (csc_core.kernels.autograd.loss_and_grads: the spec), closed forms and bad
input; its Adam against torch.optim.Adam.
"""

import copy

import pytest
import torch

import csc_core.kernels.torch_step as fused
from csc_core.kernels.autograd import loss_and_grads
from csc_core.kernels.torch_step import FusedAdam, contrastive_step
from csc_core.method.encoder import EncoderEnsemble
from tests.helpers import batchnorm_ensemble

K, B, GENES, KEPT = 3, 10, 24, 6


def _ensemble(hidden):
    return batchnorm_ensemble(K, GENES, hidden)


def _views(xb, mask, seed=0):
    g = torch.Generator().manual_seed(seed)
    if mask == "batch":
        return {"genes": torch.rand(K, 2, GENES, generator=g).argsort(-1)[..., :KEPT]}
    return {"dropped": xb.expand(K, 2, *xb.shape) * (torch.rand(K, 2, *xb.shape, generator=g) < 0.3)}


#: Tolerances relative to the largest gradient. In float64 the two computations agree to rounding (~1e-15), so any
#: slip in a closed form shows. In float32 the order of the sums differs between the two paths and between CPUs'
#: kernels; at T = 0.01 the 1 / T in every exponent amplifies that rounding (an Intel Xeon showed 1.4e-6 of the
#: largest gradient where an AMD EPYC showed less), while a wrong formula is off by O(1).
TOLERANCE = {torch.float64: 1e-10, torch.float32: 1e-5}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("hidden", [(16, 8), (20, 12, 8), (8,)])
@pytest.mark.parametrize("mask", ["batch", "cell"])
@pytest.mark.parametrize("temperature", [0.07, 0.5, 0.01])  # 0.01: the row-shifted softmax
def test_loss_gradients_and_running_stats_equal_autograd(hidden, mask, temperature, dtype):
    ens = _ensemble(hidden).to(dtype)
    ref = copy.deepcopy(ens)
    xb = torch.randn(B, GENES, generator=torch.Generator().manual_seed(3)).to(dtype)
    views = _views(xb, mask)
    expected = loss_and_grads(ref, xb, temperature=temperature, genes=views.get("genes"), views=views.get("dropped"))
    got = contrastive_step(ens, xb, temperature=temperature, **views)
    tol = TOLERANCE[dtype]
    assert got.dtype == dtype and torch.allclose(got, expected, rtol=tol)
    feeds_norm = {f"biases.{i}" for i in range(len(ens.norms))}
    scale = max(float(q.grad.abs().max()) for q in ref.parameters())
    for (name, p), (_, q) in zip(ens.named_parameters(), ref.named_parameters(), strict=True):
        if name in feeds_norm:  # exactly zero; autograd gives rounding noise around zero
            assert torch.equal(p.grad, torch.zeros_like(p)) and q.grad.abs().max() < 1e-4 * scale, name
        else:
            assert torch.allclose(p.grad, q.grad, rtol=10 * tol, atol=tol * q.grad.abs().max()), name
    for (name, p), (_, q) in zip(ens.named_buffers(), ref.named_buffers(), strict=True):
        assert torch.allclose(p.double(), q.double(), atol=tol), name


def test_both_softmax_shifts_agree(monkeypatch):
    z = torch.nn.functional.normalize(torch.randn(2, 2 * B, 5), dim=2)
    symmetric = fused._nt_xent_and_grad(z, B, 0.1)
    monkeypatch.setattr(fused, "SYMMETRIC_MIN_TEMPERATURE", 1.0)  # force the row-shifted form at the same temperature
    shifted = fused._nt_xent_and_grad(z, B, 0.1)
    for a, b in zip(symmetric, shifted, strict=True):
        assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("temperature", [0.07, 0.01])
def test_identical_embeddings_give_log_2b_minus_1_and_no_gradient(temperature):
    # every similarity equal: the positive is one of 2B - 1 equally likely candidates, and nothing can improve
    z = torch.nn.functional.normalize(torch.ones(K, 2 * B, 4), dim=2)
    losses, dz = fused._nt_xent_and_grad(z, B, temperature)
    assert torch.allclose(losses, torch.full((K,), torch.log(torch.tensor(2.0 * B - 1))), atol=1e-5)
    assert dz.abs().max() < 1e-5


def test_same_input_same_gradients():
    xb = torch.randn(B, GENES)
    views = _views(xb, "batch")
    grads = []
    for _ in range(2):
        ens = _ensemble((16, 8))
        contrastive_step(ens, xb, temperature=0.07, **views)
        grads.append([p.grad.clone() for p in ens.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*grads, strict=True))


def test_rejects_bad_arguments():
    ens = _ensemble((16, 8))
    xb = torch.randn(B, GENES)
    views = _views(xb, "batch")
    with pytest.raises(ValueError, match="exactly one"):
        contrastive_step(ens, xb, temperature=0.07)
    with pytest.raises(ValueError, match="exactly one"):
        contrastive_step(ens, xb, temperature=0.07, **views, dropped=_views(xb, "cell")["dropped"])
    with pytest.raises(ValueError, match="at least 2 cells"):
        contrastive_step(ens, xb[:1], temperature=0.07, genes=views["genes"])
    with pytest.raises(ValueError, match="temperature"):
        contrastive_step(ens, xb, temperature=0.0, **views)


@pytest.mark.parametrize("lr", [1e-2, 1e-3])
def test_fused_adam_matches_torch_optim_adam_bit_for_bit(lr):
    """The wrapper-free Adam of the training loop is torch.optim.Adam(fused=True), not an approximation of it."""
    torch.manual_seed(0)
    ours, theirs = EncoderEnsemble(2, 30, (8, 4), seed=0), EncoderEnsemble(2, 30, (8, 4), seed=0)
    mine, reference = FusedAdam(ours.parameters(), lr=lr), torch.optim.Adam(theirs.parameters(), lr=lr, fused=True)
    for _ in range(5):
        grads = [torch.randn_like(p) for p in ours.parameters()]
        for p, q, g in zip(ours.parameters(), theirs.parameters(), grads, strict=True):
            p.grad, q.grad = g.clone(), g.clone()
        mine.step()
        reference.step()
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.equal(p, q)
    assert not torch.equal(ours.weights[0], EncoderEnsemble(2, 30, (8, 4), seed=0).weights[0])  # it did move


def test_the_torch_kernel_leaves_no_inference_gradients_behind():
    """Its gradients are inference tensors: the session must not leave them where backward() would fail."""
    from tests.helpers import train

    x = torch.rand(64, 30, generator=torch.Generator().manual_seed(0))
    ens = EncoderEnsemble(2, 30, (8, 4), seed=0)
    for mask in ("batch", "cell"):
        train(ens, x, epochs=1, batch_size=16, progress=False, kernel="torch", mask=mask)
        assert all(p.grad is None for p in ens.parameters())
    ens(x).sum().backward()
    assert all(p.grad is not None and not p.grad.is_inference() for p in ens.parameters())
