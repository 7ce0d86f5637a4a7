"""The closed-form training step in PyTorch operations: gradients derived by hand (also the GPU path).

Why not autograd: on a CPU the encoders are so small that PyTorch's cost per operation — recording and walking the
autograd graph, a separate pass per view, a fresh dense gradient for every gathered first layer — weighed as much as
the multiply-adds. The network is short — linear → BatchNorm → ReLU → … → linear → L2 normalisation → NT-Xent — and
each piece has a closed-form backward, so here both views of all K encoders go through each layer as one batched
matrix product, forward and backward, in about 40 operations, about half the time of the autograd step
(``bench/README.md``). It computes what :func:`csc_core.kernels.autograd.loss_and_grads` computes —
``tests/kernels/test_torch_step.py`` checks the losses, every gradient and the BatchNorm running statistics against
it.

The closed forms, per encoder (``B`` cells, two views, ``Z`` the ``2B × d`` unit embeddings, ``T`` the temperature):

* NT-Xent: ``S = Z Zᵀ / T`` without its diagonal, ``P`` its row-wise softmax, ``Q`` the permutation pairing each cell
  with its other view; ``loss = mean_i(−log P[i, Q(i)])`` and ``∂loss/∂S = (P − Q) / 2B``, so
  ``∂loss/∂Z = (P Z + Pᵀ Z − 2 Q Z) / (2B T)`` (``S`` is symmetric, ``Q`` a symmetric permutation).
* L2 normalisation ``z = h / |h|``: ``∂h = (∂z − z (z · ∂z)) / |h|``.
* Linear ``a = x W + b``: ``∂W = xᵀ ∂a``, ``∂b = Σ_cells ∂a``, ``∂x = ∂a Wᵀ``.
* ReLU: ``∂y = ∂r · [r > 0]``.
* BatchNorm over the ``B`` cells of one view (``â = (a − mean) / sqrt(var + eps)``, ``y = γ â + β``):
  ``∂γ = Σ ∂y â``, ``∂β = Σ ∂y``, ``∂a = γ / sqrt(var + eps) · (∂y − mean(∂y) − â · mean(∂y â))``.
  So the bias of a linear layer that feeds a BatchNorm has gradient exactly zero (the cells' mean takes it away
  again), and it is set to zero here. Autograd returns rounding noise of ~1e-7 for it, which Adam, dividing by its
  own running scale of that noise, turns into a random walk of ``lr`` per step that BatchNorm then removes.
"""

from __future__ import annotations

import torch
from torch.optim.adam import adam

from ..method.encoder import EncoderEnsemble
from ..method.validation import check_temperature
from .base import StepKernel

#: From this temperature up, NT-Xent's exponentials are shifted by the constant 1 / T (cosines are at most 1): the
#: smallest, exp(−2 / T), is still a normal float32 (exp(−80) ≈ 2e−35), and the matrix stays symmetric.
SYMMETRIC_MIN_TEMPERATURE = 0.025


def _first_layer(ensemble: EncoderEnsemble, xb: torch.Tensor, genes: torch.Tensor | None, dropped: torch.Tensor | None):
    """Pre-activations of the first layer for both views, ``(K, 2, B, h)``, and what its backward needs."""
    k, n_genes = ensemble.n_models, ensemble.n_genes
    w0, b0 = ensemble.weights[0], ensemble.biases[0]
    b = xb.shape[0]
    if genes is not None:  # (K, 2, g): each encoder's view keeps genes[k, v] for the whole minibatch
        g = genes.shape[2]
        rows = (genes + torch.arange(k, device=genes.device).view(k, 1, 1) * n_genes).flatten()
        x = xb.index_select(1, genes.flatten()).view(b, 2 * k, g).transpose(0, 1)  # (2K, B, g), a strided view
        w = w0.reshape(k * n_genes, -1).index_select(0, rows).view(2 * k, g, -1)  # the kept rows of W
        bias = b0.unsqueeze(1).expand(k, 2, 1, w.shape[2]).reshape(2 * k, 1, -1)
        a = torch.baddbmm(bias, x, w)
        return a.view(k, 2, b, -1), (x, rows)
    x = dropped.view(k, 2 * b, n_genes)  # (K, 2B, genes): every cell of every view masked on its own
    a = torch.baddbmm(b0, x, w0)
    return a.view(k, 2, b, -1), (x, None)


def _first_layer_grads(ensemble: EncoderEnsemble, saved, da: torch.Tensor) -> None:
    """Set the first layer's gradients from ``da``, the gradient of its pre-activations, ``(K, 2, B, h)``."""
    x, rows = saved
    k, n_genes = ensemble.n_models, ensemble.n_genes
    w0, b0 = ensemble.weights[0], ensemble.biases[0]
    h = da.shape[-1]
    if rows is not None:
        dw = torch.bmm(x.mT, da.reshape(2 * k, -1, h))  # (2K, g, h): gradient of the kept rows, per view
        if w0.grad is None:
            w0.grad = torch.zeros_like(w0)
        # into last step's buffer: zeroing a fresh tensor each step cost as much in page faults as the product
        w0.grad.zero_().view(k * n_genes, h).index_add_(0, rows, dw.view(-1, h))
    else:
        w0.grad = torch.bmm(x.mT, da.reshape(k, -1, h))
    feeds_norm = len(ensemble.norms) > 0
    b0.grad = torch.zeros_like(b0) if feeds_norm else da.sum((1, 2)).unsqueeze(1)


@torch.inference_mode()  # as no_grad, and without version counters or view tracking (cheaper per step)
def contrastive_step(
    ensemble: EncoderEnsemble,
    xb: torch.Tensor,
    *,
    temperature: float,
    genes: torch.Tensor | None = None,
    dropped: torch.Tensor | None = None,
) -> torch.Tensor:
    """NT-Xent of two views of a minibatch for every encoder; sets every parameter's ``.grad``.

    Also updates the BatchNorm running statistics as two training-mode forward passes (view 1, then view 2) would.
    Runs in inference mode, so the gradients and losses are inference tensors: an optimizer may read them, but
    autograd cannot accumulate into them (:meth:`TorchKernel.session` sets the gradients back to ``None``).

    Parameters
    ----------
    ensemble
        The encoders (their parameters' ``.grad`` are overwritten).
    xb
        The minibatch, ``(B, genes)``.
    temperature
        NT-Xent temperature.
    genes
        ``(K, 2, g)`` gene indices: view ``v`` of encoder ``k`` keeps genes ``genes[k, v]`` of every cell (the
        ``"batch"`` mask). Give this or ``dropped``.
    dropped
        ``(K, 2, B, genes)``: the views themselves, each cell masked on its own (the ``"cell"`` mask).

    Returns
    -------
    The K losses.
    """
    if (genes is None) == (dropped is None):
        raise ValueError("Give exactly one of genes (one gene subset per view) or dropped (masked views).")
    k, b = ensemble.n_models, xb.shape[0]
    if b < 2:
        raise ValueError(f"A minibatch needs at least 2 cells (BatchNorm, negatives), got {b}.")
    a, first = _first_layer(ensemble, xb, genes, dropped)
    saved = []  # per hidden layer: normalised pre-activation, 1/std, ReLU output
    for norm, w, bias in zip(ensemble.norms, ensemble.weights[1:], ensemble.biases[1:], strict=True):
        a = a.view(k, 2, b, -1)  # BatchNorm statistics per encoder and view, over the B cells
        h = a.shape[-1]
        mean = a.mean(2, keepdim=True)
        centred = a - mean
        var = centred.square().mean(2, keepdim=True)
        _update_running_stats(norm, mean, var, b)
        rstd = (var + norm.eps).rsqrt_()
        a_hat = centred.mul_(rstd)
        gamma, beta = norm.weight.view(k, 1, 1, h), norm.bias.view(k, 1, 1, h)
        r = torch.addcmul(beta, a_hat, gamma).clamp_min_(0).view(k, 2 * b, h)
        saved.append((a_hat, rstd, r))
        a = torch.baddbmm(bias, r, w)
    a = a.view(k, 2 * b, -1)  # (already so unless the encoder is a single linear layer)
    length = torch.linalg.vector_norm(a, dim=2, keepdim=True).clamp_min_(1e-12)  # as F.normalize
    z = a / length  # (K, 2B, d): view 1's cells, then view 2's
    losses, dz = _nt_xent_and_grad(z, b, temperature)
    da = torch.addcmul(dz, z, torch.linalg.vecdot(z, dz, dim=2).unsqueeze(2), value=-1).div_(length)
    for j in reversed(range(len(saved))):  # hidden layer j: linear j → norms[j] → ReLU → linear j + 1
        norm, w, bias = ensemble.norms[j], ensemble.weights[j + 1], ensemble.biases[j + 1]
        a_hat, rstd, r = saved[j]
        h = a_hat.shape[-1]
        w.grad = torch.bmm(r.mT, da)
        bias.grad = da.sum(1, keepdim=True) if j == len(saved) - 1 else torch.zeros_like(bias)  # feeds a BatchNorm
        dy = torch.bmm(da, w.mT).mul_(r.sign()).view(k, 2, b, h)  # r ≥ 0: sign is [r > 0] as 0.0 / 1.0
        sum_dy = dy.sum(2, keepdim=True)
        sum_dy_ahat = (dy * a_hat).sum(2, keepdim=True)
        norm.weight.grad = sum_dy_ahat.sum(1).flatten()
        norm.bias.grad = sum_dy.sum(1).flatten()
        gamma = norm.weight.view(k, 1, 1, h)
        da = dy.sub_(sum_dy, alpha=1 / b).addcmul_(a_hat, sum_dy_ahat, value=-1 / b).mul_(gamma * rstd)
        da = da.view(k, 2 * b, h)
    _first_layer_grads(ensemble, first, da.view(k, 2, b, -1))
    return losses


def _update_running_stats(norm: torch.nn.BatchNorm1d, mean: torch.Tensor, var: torch.Tensor, b: int) -> None:
    """BatchNorm's running mean and (unbiased) variance after view 1's, then view 2's, training-mode pass."""
    if not norm.track_running_stats:
        return
    if norm.momentum is None:
        raise ValueError("BatchNorm with momentum=None (a cumulative average) is not supported here.")
    for v in range(2):
        norm.running_mean.lerp_(mean[:, v].flatten(), norm.momentum)
        norm.running_var.lerp_(var[:, v].flatten() * (b / (b - 1)), norm.momentum)
    norm.num_batches_tracked.add_(2)


def _nt_xent_and_grad(z: torch.Tensor, b: int, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """NT-Xent per encoder of ``z``, and its gradient with respect to ``z`` (of the sum of the K losses).

    ``z`` is ``(K, 2B, d)`` unit rows; cell i's other view is row ``(i + B) mod 2B``.
    """
    d = z.shape[2]
    check_temperature(temperature)
    cos = torch.bmm(z, z.mT)
    cos.diagonal(dim1=1, dim2=2).fill_(-torch.inf)  # a cell is not its own negative
    other = z.roll(b, dims=1)  # Q z: each cell's other view
    positive = torch.linalg.vecdot(z, other, dim=2)
    if temperature >= SYMMETRIC_MIN_TEMPERATURE:
        # shift every exponent by the largest possible similarity, 1 / T: E = exp((cos − 1) / T) stays symmetric, so
        # P = E / rowsum gives P z + Pᵀ z = (E z) / rowsum + E (z / rowsum), one product instead of two
        p = cos.sub_(1).mul_(1 / temperature).exp_()
        total = p.sum(2, keepdim=True)
        both = torch.bmm(p, torch.cat([z, z / total], dim=2))
        dz = both[..., :d].div(total).add_(both[..., d:]).sub_(other, alpha=2)
        top = 1.0
    else:  # shift each row by its own largest similarity: exp cannot underflow, but E is no longer symmetric
        top = cos.amax(2, keepdim=True)
        p = cos.sub_(top).mul_(1 / temperature).exp_()
        total = p.sum(2, keepdim=True)
        p.div_(total)
        dz = torch.baddbmm(torch.baddbmm(other, p, z, beta=-2), p.mT, z)
        top = top.squeeze(2)
    dz.mul_(1 / (2 * b * temperature))
    losses = (total.squeeze(2).log() + (top - positive) / temperature).mean(1)
    return losses, dz


class FusedAdam:
    """Adam through PyTorch's fused kernel (one kernel for all parameters), called without ``torch.optim``'s wrapper.

    ``torch.optim.Adam(fused=True).step()`` regroups the tensors by device and dtype, checks hooks and records a
    profiler range on every call — a third of an update of the default ensemble — and the first ``torch.optim``
    optimizer of a process imports ``torch._dynamo`` (most of a second, which every fresh notebook kernel paid). This
    holds the state once and calls :func:`torch.optim.adam.adam`, PyTorch's functional Adam, with the same kernel and
    arithmetic: the parameters are bit-identical (``tests/kernels/test_torch_step.py`` checks).

    Parameters
    ----------
    params
        The parameters to update (their ``.grad`` is read).
    lr
        Learning rate.
    betas, eps
        Adam's constants (PyTorch's defaults).
    """

    def __init__(self, params, *, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.exp_avgs = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sqs = [torch.zeros_like(p) for p in self.params]
        # as torch.optim.Adam keeps it for the fused kernel: a float32 scalar tensor per parameter
        self.state_steps = [torch.zeros((), dtype=torch.float32, device=p.device) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        """One Adam update from every parameter's ``.grad``."""
        adam(
            self.params,
            [p.grad for p in self.params],
            self.exp_avgs,
            self.exp_avg_sqs,
            [],
            self.state_steps,
            fused=True,
            amsgrad=False,
            beta1=self.betas[0],
            beta2=self.betas[1],
            lr=self.lr,
            weight_decay=0.0,
            eps=self.eps,
            maximize=False,
        )


class TorchKernel(StepKernel):
    """:func:`contrastive_step`, then :class:`FusedAdam`: any device, either mask.

    Parameters
    ----------
    ensemble
        The encoders.
    x
        The training input, cells × genes.
    **kwargs
        ``lr``, ``temperature``, ``max_batch``, ``n_kept`` (:class:`~csc_core.kernels.base.StepKernel`).
    """

    name = "torch"

    def __init__(self, ensemble: EncoderEnsemble, x: torch.Tensor, **kwargs):
        super().__init__(ensemble, x, **kwargs)
        self.optimizer = FusedAdam(ensemble.parameters(), lr=self.lr)

    def set_lr(self, lr: float) -> None:
        """Use learning rate ``lr`` from the next step on (see :meth:`StepKernel.set_lr`).

        Parameters
        ----------
        lr
            The new learning rate.
        """
        super().set_lr(lr)
        self.optimizer.lr = lr

    def step(self, idx, *, genes=None, views=None):
        """One step (see :meth:`StepKernel.step`).

        Parameters
        ----------
        idx
            The minibatch's cell indices.
        genes, views
            The views, as :meth:`StepKernel.step` takes them.

        Returns
        -------
        The K losses.
        """
        xb = self.x.index_select(0, idx.to(self.x.device))
        losses = contrastive_step(self.ensemble, xb, temperature=self.temperature, genes=genes, dropped=views)
        self.optimizer.step()
        return losses
