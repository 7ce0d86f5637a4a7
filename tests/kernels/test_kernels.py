"""Choosing a training-step kernel and making it (csc_core.kernels)."""

import pytest
import torch

from csc_core.kernels import KERNELS, StepKernel, make_kernel, resolve_kernel
from csc_core.method.encoder import EncoderEnsemble


def test_kernel_choice():
    assert resolve_kernel("auto", device="cpu", mask="batch") == "compiled"
    assert resolve_kernel("auto", device="cpu", mask="cell") == "torch"
    assert resolve_kernel("auto", device="cpu", mask="batch", dtype=torch.float64) == "torch"
    assert resolve_kernel("auto", device="cuda", mask="batch") == "torch"
    assert resolve_kernel("torch", device="cpu", mask="batch") == "torch"
    for device, mask in (("cpu", "batch"), ("cpu", "cell"), ("cuda", "batch")):  # the reference runs anywhere
        assert resolve_kernel("autograd", device=device, mask=mask) == "autograd"
    with pytest.raises(ValueError, match="mask='batch'"):
        resolve_kernel("compiled", device="cpu", mask="cell")
    with pytest.raises(ValueError, match="mask='batch'"):
        resolve_kernel("compiled", device="cuda", mask="batch")
    with pytest.raises(ValueError, match="kernel must be one of"):
        resolve_kernel("fast", device="cpu", mask="batch")
    assert KERNELS == ("auto", "compiled", "torch", "autograd")


def test_make_kernel_builds_each_named_kernel_behind_one_interface():
    from csc_core.kernels.autograd import AutogradKernel
    from csc_core.kernels.compiled import CompiledKernel
    from csc_core.kernels.torch_step import TorchKernel

    x = torch.randn(20, 10, generator=torch.Generator().manual_seed(0))
    for name, cls in (("autograd", AutogradKernel), ("torch", TorchKernel), ("compiled", CompiledKernel)):
        kernel = make_kernel(
            name, EncoderEnsemble(2, 10, (8, 4), seed=0), x, lr=1e-3, temperature=0.07, max_batch=10, n_kept=3
        )
        assert type(kernel) is cls and isinstance(kernel, StepKernel) and kernel.name == name
        assert (kernel.lr, kernel.temperature, kernel.max_batch, kernel.n_kept) == (1e-3, 0.07, 10, 3)
    with pytest.raises(ValueError, match="resolve 'auto'"):
        make_kernel(
            "auto", EncoderEnsemble(2, 10, (8, 4), seed=0), x, lr=1e-3, temperature=0.07, max_batch=10, n_kept=3
        )


@pytest.mark.parametrize("name", ["autograd", "torch", "compiled"])
def test_set_lr_takes_effect_at_the_next_step(name):
    """At learning rate 0 a step leaves every weight where it was; back at 1e-2 the next step moves them."""
    x = torch.randn(20, 10, generator=torch.Generator().manual_seed(0))
    ensemble = EncoderEnsemble(2, 10, (8, 4), seed=0)
    kernel = make_kernel(name, ensemble, x, lr=1e-2, temperature=0.07, max_batch=10, n_kept=3)
    genes = torch.stack([torch.randperm(10, generator=torch.Generator().manual_seed(s))[:3] for s in range(4)])
    batches, genes = kernel.begin_epoch(
        [torch.arange(10), torch.arange(10, 20)], genes.view(1, 2, 2, 3).repeat(2, 1, 1, 1)
    )
    before = [p.detach().clone() for p in ensemble.parameters()]
    with kernel.session():
        kernel.set_lr(0.0)
        kernel.step(batches[0], genes=genes[0])
        unchanged = all(torch.equal(p, q) for p, q in zip(ensemble.parameters(), before, strict=True))
        kernel.set_lr(1e-2)
        kernel.step(batches[1], genes=genes[1])
    assert unchanged and kernel.lr == 1e-2
    assert not all(torch.equal(p, q) for p, q in zip(ensemble.parameters(), before, strict=True))
