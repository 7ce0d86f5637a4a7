"""The training step compiled with numba for the CPU (the ``"batch"`` gene mask), and Adam.

Why: the closed-form PyTorch step (:mod:`csc_core.kernels.torch_step`) does a step of the default ensemble in about 40
PyTorch operations, and on a CPU the ~30 element-wise ones (BatchNorm, ReLU masks, the softmax, gathers) cost more in
dispatch than in arithmetic — each touches only some 50,000 numbers — while its batched matrix products each use the
cores for a few microseconds at a time. Here a step is one compiled function (:mod:`.step`). Its work is split into
tasks, one per encoder and view (``2K`` of them: six for the default ensemble, so two cores share them evenly), and
the tasks of each phase run in parallel with ``numba.prange``, each calling a single-threaded BLAS for its own matrix
products. ``bench/README.md`` has the measurements.

Inputs that are mostly one value per gene — z-scored counts, where every zero count of a gene has the same value —
go through a sparse first layer (:func:`.sparse.offset_rows`): a view's product is the offset's row plus one row of
weights per entry off it, and so is its weight gradient.

It computes the closed forms of :func:`csc_core.kernels.torch_step.contrastive_step` (see there) in float32;
``tests/kernels/test_compiled.py`` checks the losses, every gradient, the BatchNorm running statistics and the Adam
update against the autograd reference and ``torch.optim.Adam``. Rounding differs from PyTorch's (other summation
orders), so the same seed trains other encoders than ``kernel="torch"`` does, as on another processor. The compiled
code is kept in numba's on-disk cache (``cache=True``): the first process on a machine pays the compilation (tens of
seconds per encoder depth); later processes load it in a fraction of a second.

Files: :mod:`._jit` (numba settings, a vectorisable ``exp``), :mod:`.layers` (the encoder's pieces),
:mod:`.nt_xent` (the loss's pieces), :mod:`.step` (the step), :mod:`.adam`, :mod:`.sparse` (offset-sparse input) and
:mod:`.kernel` (:class:`CompiledStep`, the object holding it all, and the kernel interface).
"""

from ._cache import refresh_cache_stamp

refresh_cache_stamp()  # before the compiled functions are defined: numba reads their files' times then

from .kernel import CompiledKernel, CompiledStep  # noqa: E402
from .sparse import SPARSE_MAX_DENSITY, OffsetRows, offset_rows  # noqa: E402

__all__ = ["CompiledKernel", "CompiledStep", "OffsetRows", "offset_rows", "SPARSE_MAX_DENSITY"]
