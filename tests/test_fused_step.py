"""The hand-derived training step against autograd (the slow reference), closed forms and bad input."""

import copy

import pytest
import torch

import csc_core.fused_step as fused
from csc_core.fused_step import contrastive_step
from csc_core.loss import nt_xent

from .conftest import batchnorm_ensemble

K, B, GENES, KEPT = 3, 10, 24, 6


def _ensemble(hidden):
    return batchnorm_ensemble(K, GENES, hidden)


def _views(xb, mask, seed=0):
    g = torch.Generator().manual_seed(seed)
    if mask == "batch":
        return {"genes": torch.rand(K, 2, GENES, generator=g).argsort(-1)[..., :KEPT]}
    return {"dropped": xb.expand(K, 2, *xb.shape) * (torch.rand(K, 2, *xb.shape, generator=g) < 0.3)}


def _autograd_step(ens, xb, temperature, genes=None, dropped=None):
    """The same step the slow way: the ensemble's own forward, once per view, NT-Xent and backward()."""
    if genes is not None:
        z = [ens(xb[:, genes[:, v]].transpose(0, 1), genes[:, v]) for v in range(2)]
    else:
        z = [ens(dropped[:, v]) for v in range(2)]
    losses = nt_xent(z[0], z[1], temperature)
    losses.sum().backward()
    return losses.detach()


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
    expected = _autograd_step(ref, xb, temperature, **views)
    got = contrastive_step(ens, xb, temperature=temperature, **views)
    tol = TOLERANCE[dtype]
    assert got.dtype == dtype and torch.allclose(got, expected, rtol=tol)
    feeds_norm = {f"biases.{i}" for i in range(len(ens.norms))}
    scale = max(float(q.grad.abs().max()) for q in ref.parameters())
    for (name, p), (_, q) in zip(ens.named_parameters(), ref.named_parameters()):
        if name in feeds_norm:  # exactly zero; autograd gives rounding noise around zero
            assert torch.equal(p.grad, torch.zeros_like(p)) and q.grad.abs().max() < 1e-4 * scale, name
        else:
            assert torch.allclose(p.grad, q.grad, rtol=10 * tol, atol=tol * q.grad.abs().max()), name
    for (name, p), (_, q) in zip(ens.named_buffers(), ref.named_buffers()):
        assert torch.allclose(p.double(), q.double(), atol=tol), name


def test_both_softmax_shifts_agree(monkeypatch):
    z = torch.nn.functional.normalize(torch.randn(2, 2 * B, 5), dim=2)
    symmetric = fused._nt_xent_and_grad(z, B, 0.1)
    monkeypatch.setattr(fused, "SYMMETRIC_MIN_TEMPERATURE", 1.0)  # force the row-shifted form at the same temperature
    shifted = fused._nt_xent_and_grad(z, B, 0.1)
    for a, b in zip(symmetric, shifted):
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
    assert all(torch.equal(a, b) for a, b in zip(*grads))


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
