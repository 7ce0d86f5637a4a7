"""Training-step kernels: one interface (:class:`~.base.StepKernel`), three implementations.

- ``"autograd"`` (:mod:`.autograd`): the ensemble's forward pass, :func:`~csc_core.method.loss.nt_xent`,
  ``backward()`` and ``torch.optim.Adam`` — the readable reference the others are tested against;
- ``"torch"`` (:mod:`.torch_step`): the same step with its backward written out in closed form, in PyTorch operations
  (any device, either gene mask; the GPU path);
- ``"compiled"`` (:mod:`.compiled`): the closed form compiled with numba for the CPU (the ``"batch"`` mask).

``"auto"`` picks ``"compiled"`` where it runs (CPU, float32, ``"batch"`` mask), else ``"torch"``.
"""

from __future__ import annotations

import torch

from .base import StepKernel

#: The names ``kernel=`` accepts.
KERNELS = ("auto", "compiled", "torch", "autograd")


def resolve_kernel(kernel: str, *, device: torch.device | str, mask: str, dtype: torch.dtype = torch.float32) -> str:
    """The kernel ``kernel`` stands for here: ``"compiled"``, ``"torch"`` or ``"autograd"``.

    Parameters
    ----------
    kernel
        One of :data:`KERNELS`.
    device
        Where training runs.
    mask
        The augmentation's gene mask (``"batch"`` or ``"cell"``).
    dtype
        The training input's dtype.

    Returns
    -------
    The kernel's name; ``"auto"`` is ``"compiled"`` on the CPU in float32 with the ``"batch"`` mask, else
    ``"torch"``. An explicit ``"compiled"`` where it cannot run raises instead of falling back.
    """
    if not isinstance(kernel, str) or kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {', '.join(map(repr, KERNELS))}; got {kernel!r}.")
    fits = torch.device(device).type == "cpu" and dtype == torch.float32 and mask == "batch"
    if kernel == "compiled" and not fits:
        raise ValueError(
            "kernel='compiled' runs float32 training on the CPU with mask='batch'; use kernel='torch' "
            f"(got device {device}, dtype {dtype}, mask {mask!r})."
        )
    if kernel == "auto":
        return "compiled" if fits else "torch"
    return kernel


def make_kernel(
    name: str, ensemble, x: torch.Tensor, *, lr: float, temperature: float, max_batch: int, n_kept: int
) -> StepKernel:
    """The kernel ``name`` (as :func:`resolve_kernel` returns it) for training ``ensemble`` on ``x``.

    Parameters
    ----------
    name
        ``"compiled"``, ``"torch"`` or ``"autograd"``.
    ensemble
        The :class:`~csc_core.method.encoder.EncoderEnsemble` to train.
    x
        The training input, cells × genes.
    lr, temperature, max_batch, n_kept
        As :class:`~.base.StepKernel` takes them.

    Returns
    -------
    The kernel.
    """
    if name == "compiled":
        from .compiled import CompiledKernel as cls  # numba: imported only where it runs
    elif name == "torch":
        from .torch_step import TorchKernel as cls
    elif name == "autograd":
        from .autograd import AutogradKernel as cls
    else:
        raise ValueError(f"No kernel named {name!r}; resolve 'auto' with resolve_kernel first.")
    return cls(ensemble, x, lr=lr, temperature=temperature, max_batch=max_batch, n_kept=n_kept)


__all__ = ["KERNELS", "StepKernel", "make_kernel", "resolve_kernel"]
