"""The competitors' fast step against the reference: the compiled ZINB gradient, the noise, a whole step, seeding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from csc_core.competitors import fit_competitors
from csc_core.competitors.compiled.noise import noisy_rows
from csc_core.competitors.compiled.zinb_grad import zinb_grad
from csc_core.competitors.fast_step import (
    FastZINBStep,
    ZINBData,
    _numpy,
    resolve_kernel,
    resolve_precision,
)
from csc_core.competitors.fit import zinb_inputs
from csc_core.competitors.zinb import ZINBAutoencoder, pretrain, zinb_nll
from csc_core.method.dec import ClusteringHead, kl_divergence, target_distribution
from tests.helpers import make_counts


def _reference(pre, counts, sf):
    """Loss and gradient of ``zinb_nll`` with respect to the heads' pre-activations, through autograd, in float64.

    float64, because the float32 reference itself is inexact where the kernel is not: for a nonzero count with π near
    1, ``1 − π`` cancels in float32 (π = σ(11): 0.4 % off; σ(20) rounds to 1 and the loss to −log ε), while the kernel
    takes nonzero counts in float64.
    """
    counts, sf = counts.double(), sf.double()
    pre = pre.double().clone().requires_grad_()
    a_mean, a_disp, a_pi = pre.chunk(3, dim=1)
    mean = torch.exp(a_mean).clamp(1e-5, 1e6) * sf.unsqueeze(1)
    disp = torch.nn.functional.softplus(a_disp).clamp(1e-4, 1e4)
    loss = zinb_nll(counts, mean, disp, torch.sigmoid(a_pi))
    loss.backward()
    return loss.item(), pre.grad.float()


def _kernel(pre, counts, sf):
    data = ZINBData(torch.zeros(counts.shape), counts, sf)
    grad = torch.empty_like(pre)
    n, g = counts.shape
    loss = zinb_grad(
        _numpy(pre),
        np.arange(n, dtype=np.int64),
        data.size_factors,
        data.indptr,
        data.indices,
        data.values,
        data.lgamma_rows,
        1.0 / (n * g),
        _numpy(grad),
        np.empty((n, g), dtype=np.float32),
    )
    return loss, grad.float()


def _grid(seed=0, n=24, g=50):
    gen = torch.Generator().manual_seed(seed)
    pre = torch.randn(n, 3 * g, generator=gen) * 3.0
    pre[0, :g] = torch.linspace(-20, 20, g)  # the mean's clamp at both ends
    pre[1, g : 2 * g] = torch.linspace(-15, 30, g)  # softplus's threshold and the dispersion's clamp
    pre[2, 2 * g :] = torch.linspace(-30, 30, g)  # π near 0 and 1
    counts = torch.poisson(torch.rand(n, g, generator=gen) * 2) * (torch.rand(n, g, generator=gen) < 0.3)
    counts[3, :5] = torch.tensor([40.0, 100.0, 1000.0, 33.0, 2.5])  # beyond the short-count product; not whole
    return pre, counts, torch.rand(n, generator=gen) * 2 + 0.2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_zinb_gradient_matches_autograd_in_float32(seed):
    pre, counts, sf = _grid(seed)
    ref_loss, ref_grad = _reference(pre, counts, sf)
    loss, grad = _kernel(pre, counts, sf)
    # float32 polynomials (relative error < 3e-7 each) against libm: agreement to a few float32 ulps of the loss scale
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-4, atol=1e-4 * ref_grad.abs().max().item())


def test_zinb_gradient_in_bfloat16_is_the_float32_one_rounded():
    pre, counts, sf = _grid(3)
    pre16 = pre.bfloat16()
    ref_loss, ref_grad = _reference(pre16, counts, sf)  # the same bfloat16 inputs, in float32
    loss, grad = _kernel(pre16, counts, sf)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    # the gradient is stored in bfloat16: 8 significant bits, a relative rounding error up to 2^-9
    torch.testing.assert_close(grad, ref_grad, rtol=2**-8, atol=1e-4 * ref_grad.abs().max().item())


def test_noise_is_standard_normal_seeded_and_thread_independent():
    x = torch.zeros(64, 1001)
    cells = np.arange(64, dtype=np.int64)
    outs = []
    import numba

    for threads in (1, numba.config.NUMBA_NUM_THREADS):
        numba.set_num_threads(threads)
        out = np.empty((64, 1001), dtype=np.float32)
        noisy_rows(x.numpy(), cells, 2.0, 11, 12, out)
        outs.append(out)
    np.testing.assert_array_equal(outs[0], outs[1])
    assert abs(outs[0].mean()) < 0.03 and outs[0].std() == pytest.approx(2.0, rel=0.02)
    other = np.empty_like(outs[0])
    noisy_rows(x.numpy(), cells, 2.0, 11, 13, other)
    assert abs(np.corrcoef(other.ravel(), outs[0].ravel())[0, 1]) < 0.02


def _small(seed=0):
    adata = make_counts(n_per_type=20, n_genes=30)
    x, raw, sf = (torch.from_numpy(a) for a in zinb_inputs(adata, n_genes=30))
    torch.manual_seed(seed)
    return ZINBAutoencoder(x.shape[1], hidden=(16, 8), latent=4, noise_sd=0.0), x, raw, sf


def test_fast_step_gradients_match_autograd_with_a_clustering_term():
    model, x, raw, sf = _small()
    head = ClusteringHead(torch.randn(3, 4))
    idx = torch.arange(25)
    p = target_distribution(head(model.embed(x))[0]).detach()

    def term(z, cells):
        return kl_divergence(p[cells], head(z)[0])

    # the reference: autograd through the module, noise off
    _, mean, disp, pi = model(x[idx], sf[idx])
    loss = zinb_nll(raw[idx], mean, disp, pi) + term(model.embed(x[idx]), idx)
    loss.backward()
    expected = {name: prm.grad.clone() for name, prm in model.named_parameters()}
    head_expected = head.centres.grad.clone()
    for prm in [*model.parameters(), *head.parameters()]:
        prm.grad = None
    step = FastZINBStep(model, ZINBData(x, raw, sf), precision="float32")
    got = step.gradient(idx, torch.Generator().manual_seed(0), term)
    assert got == pytest.approx(loss.item(), rel=1e-5)
    for name, prm in model.named_parameters():
        torch.testing.assert_close(prm.grad, expected[name], rtol=1e-4, atol=1e-6, msg=name)
    torch.testing.assert_close(head.centres.grad, head_expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_fast_pretraining_is_seeded_across_thread_counts(precision):
    histories = []
    for threads in (1, 2):
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            model, x, raw, sf = _small()
            model.noise_sd = 2.5
            histories.append(
                pretrain(
                    model,
                    x,
                    raw,
                    sf,
                    epochs=4,
                    batch_size=16,
                    seed=1,
                    kernel="fast",
                    precision=precision,
                    progress=False,
                )
            )
            histories.append(model.embed_all(x).numpy())
        finally:
            torch.set_num_threads(before)
    np.testing.assert_array_equal(histories[0], histories[2])
    np.testing.assert_array_equal(histories[1], histories[3])
    assert histories[0][-1] < histories[0][0]


def test_fast_and_reference_pretraining_agree_without_noise():
    out = []
    for kernel in ("torch", "fast"):
        model, x, raw, sf = _small()
        out.append(pretrain(model, x, raw, sf, epochs=5, batch_size=16, seed=0, kernel=kernel, progress=False))
    # the first epoch's loss agrees closely; Adam's normalised steps then amplify float32 rounding differences
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-4)
    np.testing.assert_allclose(out[1], out[0], rtol=1e-2)


def test_kernel_and_precision_resolution():
    assert resolve_kernel("auto", "cpu") == "fast"
    assert resolve_kernel("torch", "cpu") == "torch"
    assert resolve_kernel("fast", "cuda") == "torch"  # the compiled step is CPU-only
    assert resolve_precision("float32") == "float32"
    assert resolve_precision("auto") in ("float32", "bfloat16")
    with pytest.raises(ValueError, match="kernel"):
        resolve_kernel("numba", "cpu")
    with pytest.raises(ValueError, match="precision"):
        resolve_precision("float16")


def test_fit_records_the_step_it_used():
    adata = make_counts(n_per_type=15, n_genes=30)
    kw = dict(n_clusters=3, seed=0, progress=False, device="cpu")
    from csc_core.competitors.protocol import Protocol

    protocol = Protocol(n_genes=30, pretrain_epochs=3, cluster_epochs=3, batch_size=16)
    rec = fit_competitors(adata, protocol=protocol, precision="float32", **kw)["sczidesk"][2]
    assert rec["params"]["kernel"] == "fast" and rec["params"]["precision"] == "float32"
    again = fit_competitors(adata, protocol=protocol, precision="float32", **kw)["sczidesk"]
    np.testing.assert_array_equal(again[2]["cluster_loss"], rec["cluster_loss"])
    ref = fit_competitors(adata, protocol=protocol, kernel="torch", **kw)["scdeepcluster"][2]
    assert ref["params"]["kernel"] == "torch" and ref["params"]["precision"] == "float32"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_the_same_call_runs_on_cuda_through_the_reference():
    from csc_core.competitors.protocol import Protocol

    adata = make_counts(n_per_type=15, n_genes=30)
    protocol = Protocol(n_genes=30, pretrain_epochs=2, cluster_epochs=2, batch_size=16)
    labels, _, rec = fit_competitors(adata, "sczidesk", n_clusters=3, protocol=protocol, device="cuda", progress=False)[
        "sczidesk"
    ]
    assert rec["params"]["kernel"] == "torch" and len(labels) == adata.n_obs
