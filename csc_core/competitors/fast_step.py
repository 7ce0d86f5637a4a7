"""The ZINB autoencoder's fast CPU training step: closed-form backward, compiled loss gradient, flat parameters.

Why: through autograd a pretraining step of the published protocol (minibatch 256, 2,000 genes) spends most of its
time outside the matrix products — thirty-odd element-wise operations over the three 2,000-wide ZINB heads, the
optimiser's pass over some two million parameters split into a dozen tensors, the input noise. Here a step is

1. the noisy minibatch drawn and gathered in one compiled pass (:mod:`.compiled.noise`);
2. the forward pass as ``addmm`` + in-place ReLU into preallocated buffers, the three heads as one product;
3. the ZINB loss and its gradient with respect to the heads' pre-activations in one compiled pass
   (:mod:`.compiled.zinb_grad`);
4. the backward pass written out (the MLP's closed form: ``gW = gᵀ h``, ``gb = Σ g``, ``g ← (g W) ⊙ [a > 0]``);
5. the optimiser once over one flat parameter vector (PyTorch's fused Adam for pretraining).

``precision="bfloat16"`` runs the matrix products in bfloat16 (AMX on recent Intel CPUs): the weights are float32
masters, copied to bfloat16 after every update, and the loss gradient is computed in float32. The model's parameters
become views of the flat vector, so the module (its ``embed_all``, a ``deepcopy``) works as before.
"""

from __future__ import annotations

from contextlib import contextmanager

import numba
import numpy as np
import torch
from torch import nn

from .compiled.noise import noisy_rows
from .compiled.zinb_grad import zinb_grad

#: Implementations of a training step: ``"torch"`` (autograd, the reference), ``"fast"`` (this module, CPU only);
#: ``"auto"`` is ``"fast"`` on a CPU and ``"torch"`` elsewhere.
KERNELS = ("auto", "fast", "torch")
#: Matrix-product precisions of the fast step (:func:`resolve_precision`).
PRECISIONS = ("auto", "float32", "bfloat16")


def resolve_kernel(kernel: str, device: torch.device | str) -> str:
    """``"fast"`` or ``"torch"``: the implementation of a step on ``device``.

    Parameters
    ----------
    kernel
        One of :data:`KERNELS`. The fast step is compiled for the CPU; elsewhere (CUDA) every choice runs
        ``"torch"``.
    device
        The model's device.

    Returns
    -------
    The implementation to run.
    """
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}.")
    if torch.device(device).type != "cpu":
        return "torch"
    return "torch" if kernel == "torch" else "fast"


def cpu_has_fast_bfloat16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (``amx_bf16`` or ``avx512_bf16`` in ``/proc/cpuinfo``).

    Returns
    -------
    True for AMX or AVX512-BF16; False where there is no such file.
    """
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return bool(set(line.split(":", 1)[1].split()) & {"amx_bf16", "avx512_bf16"})
    except OSError:
        pass
    return False


def resolve_precision(precision: str) -> str:
    """``"float32"`` or ``"bfloat16"``: the matrix products' precision of the fast step.

    Parameters
    ----------
    precision
        One of :data:`PRECISIONS`; ``"auto"`` is bfloat16 on a CPU with AMX or AVX512-BF16, float32 elsewhere.

    Returns
    -------
    The precision to use.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}.")
    if precision != "auto":
        return precision
    return "bfloat16" if cpu_has_fast_bfloat16() else "float32"


@contextmanager
def numba_threads():
    """numba's parallel loops on as many threads as PyTorch uses (numba's own count is set back afterwards).

    Yields
    ------
    None
        Inside the ``with`` block numba runs on PyTorch's thread count.
    """
    wanted = max(1, min(torch.get_num_threads(), numba.config.NUMBA_NUM_THREADS))
    before = numba.get_num_threads()
    numba.set_num_threads(wanted)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _numpy(t: torch.Tensor) -> np.ndarray:
    """A CPU tensor's memory as numpy: float32 as such, bfloat16 as its uint16 bits."""
    return t.view(torch.uint16).numpy() if t.dtype == torch.bfloat16 else t.numpy()


class ZINBData:
    """A data set's inputs prepared once for the fast step: dense input, counts as CSR, Σ lgamma(x + 1) per cell.

    Parameters
    ----------
    x
        Cells × genes, the z-scored log expression (float32, CPU).
    counts
        The raw counts of the same cells and genes.
    size_factors
        Each cell's size factor.
    """

    def __init__(self, x: torch.Tensor, counts: torch.Tensor, size_factors: torch.Tensor):
        self.x = x.detach().float().contiguous()
        dense = counts.detach().float().contiguous().numpy()
        rows, cols = np.nonzero(dense)
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=dense.shape[0]))]).astype(np.int64)
        self.indices = cols.astype(np.int64)
        self.values = dense[rows, cols].astype(np.float64)
        self.lgamma_rows = torch.lgamma(torch.from_numpy(dense).double() + 1.0).sum(dim=1).numpy()
        self.size_factors = size_factors.detach().float().contiguous().numpy()


def _layers(model: nn.Module) -> list[tuple[list[nn.Linear], bool]]:
    """The autoencoder's layers in order: ``(linears, relu after)``; the three heads are one layer of three."""
    enc = [m for m in model.encoder if isinstance(m, nn.Linear)]
    dec = [m for m in model.decoder if isinstance(m, nn.Linear)]
    return [*[([m], True) for m in enc], ([model.to_latent], False), *[([m], True) for m in dec]] + [
        ([model.mean, model.disp, model.pi], False)
    ]


class FastZINBStep:
    """The fast training step of a :class:`~csc_core.competitors.zinb.ZINBAutoencoder` on the CPU.

    Building it moves the model's parameters into one flat float32 vector (:attr:`params`; the module's parameters
    become views of it, their ``.grad`` views of :attr:`grads`).

    Parameters
    ----------
    model
        The autoencoder (CPU).
    data
        The data set (:class:`ZINBData`).
    precision
        ``"float32"`` or ``"bfloat16"`` (:func:`resolve_precision`): the matrix products'.
    """

    def __init__(self, model: nn.Module, data: ZINBData, *, precision: str = "float32"):
        self.model, self.data = model, data
        self.dtype = torch.bfloat16 if resolve_precision(precision) == "bfloat16" else torch.float32
        layers = _layers(model)
        size = sum(p.numel() for group, _ in layers for m in group for p in (m.weight, m.bias))
        self.params = torch.empty(size)
        self.grads = torch.zeros(size)
        low = self.dtype != torch.float32
        self._cparams = torch.empty(size, dtype=self.dtype) if low else self.params  # the products' copy
        self._cgrads = torch.zeros(size, dtype=self.dtype) if low else self.grads  # the products' output
        self._layers = []  # (W, b, gW, gb in the products' type, relu)
        offset = 0
        for group, relu in layers:
            views = []
            for kind in ("weight", "bias"):  # the heads' weights side by side, then their biases
                tensors = [getattr(m, kind) for m in group]
                n = sum(t.numel() for t in tensors)
                rows = sum(t.shape[0] for t in tensors)
                shape = (rows, tensors[0].shape[1]) if kind == "weight" else (rows,)
                part = slice(offset, offset + n)
                at = offset
                for m, t in zip(group, tensors, strict=True):
                    k = t.numel()
                    self.params[at : at + k] = t.detach().reshape(-1)
                    p = getattr(m, kind)
                    p.data = self.params[at : at + k].view(t.shape)
                    p.grad = self.grads[at : at + k].view(t.shape)
                    at += k
                views.append((self._cparams[part].view(shape), self._cgrads[part].view(shape)))
                offset += n
            (w, gw), (b, gb) = views
            self._layers.append((w, b, gw, gb, relu))
        self.sync()
        self._latent = sum(isinstance(m, nn.Linear) for m in model.encoder)  # index of the latent layer
        self.params.grad = self.grads
        self._buffers = {}
        self.n_genes = self._layers[-1][0].shape[0] // 3

    def sync(self) -> None:
        """Copy the float32 parameters to the matrix products' copy (after every optimiser step in bfloat16)."""
        if self._cparams is not self.params:
            self._cparams.copy_(self.params)

    def _buffer(self, n: int) -> dict:
        if n not in self._buffers:
            dt, g = self.dtype, self.n_genes
            self._buffers[n] = {
                "x": torch.empty(n, self.data.x.shape[1], dtype=dt),
                "acts": [torch.empty(n, w.shape[0], dtype=dt) for w, *_ in self._layers],
                "grad": torch.empty(n, 3 * g, dtype=dt),
                "scratch": np.empty((n, g), dtype=np.float32),
            }
        return self._buffers[n]

    def _forward(self, h: torch.Tensor, acts: list[torch.Tensor], upto: int) -> None:
        for (w, b, _, _, relu), out in zip(self._layers[:upto], acts[:upto], strict=True):
            torch.addmm(b, h, w.t(), out=out)
            if relu:
                out.relu_()
            h = out

    def _backward(self, g: torch.Tensor, inputs: list[torch.Tensor], layers: range, *, accumulate: bool) -> None:
        """Backpropagate ``g`` (the gradient at the output of ``layers[-1]``) down to the first layer's weights."""
        for k in reversed(layers):
            w, _, gw, gb, relu = self._layers[k]
            out = inputs[k + 1]
            if relu:
                g = g * (out > 0)
            if accumulate:
                gw.addmm_(g.t(), inputs[k])
                gb.add_(g.sum(dim=0))
            else:
                torch.mm(g.t(), inputs[k], out=gw)
                torch.sum(g, dim=0, out=gb)
            if k > layers[0]:
                g = g @ w

    def gradient(self, idx: torch.Tensor, generator: torch.Generator, extra_loss=None) -> float:
        """The minibatch ``idx``'s loss; writes its gradient into :attr:`grads` (and the head's, by autograd).

        Parameters
        ----------
        idx
            The minibatch's cells (int64).
        generator
            The generator the noise's keys are drawn from.
        extra_loss
            ``extra_loss(z, idx)`` of the minibatch's noise-free latent embedding (a clustering stage's term): its
            gradient with respect to ``z`` is backpropagated through the encoder, its parameters' by autograd.

        Returns
        -------
        The minibatch's loss (ZINB mean plus the extra term).
        """
        data, n = self.data, idx.shape[0]
        buf = self._buffer(n)
        cells = idx.to(torch.int64).contiguous().numpy()
        keys = torch.randint(0, 2**31 - 1, (2,), generator=generator, dtype=torch.int64).tolist()
        n_layers, latent = len(self._layers), self._latent
        with numba_threads():
            noisy_rows(data.x.numpy(), cells, float(self.model.noise_sd), keys[0], keys[1], _numpy(buf["x"]))
            acts = buf["acts"]
            self._forward(buf["x"], acts, n_layers)
            loss = zinb_grad(
                _numpy(acts[-1]),
                cells,
                data.size_factors,
                data.indptr,
                data.indices,
                data.values,
                data.lgamma_rows,
                1.0 / (n * self.n_genes),
                _numpy(buf["grad"]),
                buf["scratch"],
            )
        inputs = [buf["x"], *acts]
        self._backward(buf["grad"], inputs, range(n_layers), accumulate=False)
        if extra_loss is not None:
            clean = [data.x[idx].to(self.dtype), *(torch.empty_like(a) for a in acts[: latent + 1])]
            self._forward(clean[0], clean[1:], latent + 1)
            z = clean[latent + 1].float().requires_grad_()
            term = extra_loss(z, idx)
            term.backward()
            self._backward(z.grad.to(self.dtype), clean, range(latent + 1), accumulate=True)
            loss += float(term.detach())
        if self._cgrads is not self.grads:
            self.grads.copy_(self._cgrads)
        self.params.grad = self.grads  # the optimiser's zero_grad(set_to_none=True) unset it
        return float(loss)


def train_epoch_fast(
    step: FastZINBStep, optimizer: torch.optim.Optimizer, *, batch_size: int, generator, extra_loss=None
) -> float:
    """One pass over shuffled minibatches with the fast step; the optimiser steps once per minibatch.

    Parameters
    ----------
    step
        The fast step of the model and data.
    optimizer
        Over :attr:`FastZINBStep.params` (and a clustering head's parameters).
    batch_size
        Cells per minibatch.
    generator
        The random generator of the order and the noise.
    extra_loss
        As :meth:`FastZINBStep.gradient`.

    Returns
    -------
    The mean loss over minibatches.
    """
    step.model.train()
    total = 0.0
    batches = torch.randperm(step.data.x.shape[0], generator=generator).split(batch_size)
    for idx in batches:
        optimizer.zero_grad(set_to_none=True)
        loss = step.gradient(idx, generator, extra_loss)
        optimizer.step()
        step.sync()
        total += loss / len(batches)
    return total
