"""The compiled step as an object: numpy views of an ensemble, its buffers, threads, checks, and Adam."""

from __future__ import annotations

from contextlib import contextmanager

import numba
import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  the BLAS numba's np.dot calls: loaded now, so threadpoolctl can limit it
import torch
from threadpoolctl import threadpool_limits

from ...method.encoder import EncoderEnsemble
from ...method.validation import check_temperature
from ..base import StepKernel
from ..torch_step import SYMMETRIC_MIN_TEMPERATURE
from ._jit import _JIT, _PARALLEL
from .adam import _adam
from .sparse import OffsetRows, offset_rows
from .step import Gradients, Network, Scratch, _step


@numba.njit(parallel=_PARALLEL, **_JIT)
def _start_threads(a):
    for i in numba.prange(a.size):
        a[i] += 1.0


class CompiledStep:
    """The compiled training step and Adam for one ensemble on the CPU.

    Holds numpy views of the ensemble's parameters, gradients and BatchNorm statistics (the same memory: what a step
    or an update writes, the ensemble holds) and the step's buffers, sized for minibatches of up to ``max_batch``
    cells keeping ``n_kept`` genes per view. :meth:`step` computes what
    :func:`csc_core.kernels.torch_step.contrastive_step` computes; :meth:`adam` then updates the parameters as
    ``torch.optim.Adam(lr=lr)`` does. Use it inside ``with step.threads():``, which keeps the BLAS single-threaded
    while the step's own tasks run in parallel, on ``torch.get_num_threads()`` threads.

    Parameters
    ----------
    ensemble
        A float32 :class:`~csc_core.method.encoder.EncoderEnsemble` on the CPU (BatchNorm with running statistics).
    max_batch
        The largest minibatch.
    n_kept
        Genes each view keeps.
    lr
        Adam's learning rate.
    betas, eps
        Adam's constants (PyTorch's defaults).
    """

    def __init__(
        self,
        ensemble: EncoderEnsemble,
        *,
        max_batch: int,
        n_kept: int,
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        params = list(ensemble.parameters())
        if any(p.device.type != "cpu" or p.dtype != torch.float32 for p in params):
            raise ValueError("The compiled step runs float32 ensembles on the CPU; use kernel='torch' elsewhere.")
        if any(n.momentum is None or not n.track_running_stats for n in ensemble.norms):
            raise ValueError("The compiled step needs BatchNorm with running statistics and a momentum.")
        if max_batch < 2 or n_kept < 1:
            raise ValueError(f"Need max_batch >= 2 and n_kept >= 1, got {max_batch} and {n_kept}.")
        self.ensemble, self.max_batch, self.n_kept = ensemble, max_batch, n_kept
        self.lr, self.betas, self.eps, self.steps = lr, betas, eps, 0
        for p in params:
            if p.grad is None or p.grad.shape != p.shape:
                p.grad = torch.zeros_like(p)
        k, sizes, norms = ensemble.n_models, list(ensemble.hidden), list(ensemble.norms)
        hidden = sizes[:-1]
        spare1, spare3 = np.zeros(1, np.float32), np.zeros((1, 1, 1), np.float32)
        # an encoder without hidden layers has no BatchNorm: one unused placeholder keeps every tuple's type
        self.net = Network(
            weights=tuple(_view(w.data) for w in ensemble.weights),
            biases=tuple(_view(b.data) for b in ensemble.biases),
            gammas=tuple(_view(n.weight.data) for n in norms) or (spare1,),
            betas=tuple(_view(n.bias.data) for n in norms) or (spare1,),
            eps=np.float32(norms[0].eps if norms else 1e-5),
            run_means=tuple(_view(n.running_mean) for n in norms) or (spare1,),
            run_vars=tuple(_view(n.running_var) for n in norms) or (spare1,),
            momentum=np.float32(norms[0].momentum if norms else 0.1),
        )
        self.grad = Gradients(
            weights=tuple(_view(w.grad) for w in ensemble.weights),
            biases=tuple(_view(b.grad) for b in ensemble.biases),
            gammas=tuple(_view(n.weight.grad) for n in norms) or (spare1,),
            betas=tuple(_view(n.bias.grad) for n in norms) or (spare1,),
        )
        self.batches_tracked = [n.num_batches_tracked.numpy() for n in norms]  # 0-d int64 views
        b, g, h0, d = max_batch, n_kept, sizes[0], sizes[-1]
        m, tasks, n_genes = 2 * b, 2 * k, ensemble.n_genes
        f32 = np.float32
        self.scratch = Scratch(
            xb=np.empty(b * n_genes, f32),
            xs=np.empty(tasks * b * g, f32),
            ws=np.empty(tasks * g * h0, f32),
            acts=tuple(np.empty(tasks * b * h, f32) for h in sizes),
            ahats=tuple(np.empty(tasks * b * h, f32) for h in hidden) or (spare1,),
            rstds=tuple(np.empty((k, 2, h), f32) for h in hidden) or (spare3,),
            rs=tuple(np.empty(tasks * b * h, f32) for h in hidden) or (spare1,),
            means=tuple(np.empty((k, 2, h), f32) for h in hidden) or (spare3,),
            variances=tuple(np.empty((k, 2, h), f32) for h in hidden) or (spare3,),
            grads=tuple(np.empty(tasks * b * h, f32) for h in sizes),
            part_w=tuple(np.empty(tasks * h * h_next, f32) for h, h_next in zip(sizes, sizes[1:], strict=False))
            or (spare1,),
            part_gamma=tuple(np.empty((k, 2, h), f32) for h in hidden) or (spare3,),
            part_beta=tuple(np.empty((k, 2, h), f32) for h in hidden) or (spare3,),
            z=np.empty(tasks * b * d, f32),
            sim=np.empty(tasks * b * m, f32),
            arg=np.empty(tasks * b * m, f32),
            bits=np.empty(tasks * b * m, np.int32),
            total=np.empty(tasks * b, f32),
            zz=np.empty(tasks * b * 2 * d, f32),
            both=np.empty(tasks * b * 2 * d, f32),
            length=np.empty(tasks * b, f32),
            # the sparse first layer's scratch: gene positions, a row, and each view's stored entries
            pos=np.empty((tasks, n_genes), np.uint32),
            base=np.empty((tasks, h0), f32),
            nz_rows=np.empty((tasks, b * g), np.uint32),
            nz_cols=np.empty((tasks, b * g), np.uint32),
            nz_vals=np.empty((tasks, b * g), f32),
            nz_counts=np.zeros(tasks, np.int64),
            losses=np.empty(k, np.float64),
        )
        self._no_rows = OffsetRows(np.zeros(1, f32), np.zeros(1, np.int64), np.zeros(1, np.uint32), np.zeros(1, f32))
        # Adam's state, one flat array per parameter
        self.flat_params = tuple(_view(p.data).reshape(-1) for p in params)
        self.flat_grads = tuple(_view(p.grad).reshape(-1) for p in params)
        self.exp_avgs = tuple(np.zeros(p.numel(), np.float32) for p in params)
        self.exp_avg_sqs = tuple(np.zeros(p.numel(), np.float32) for p in params)

    @contextmanager
    def threads(self):
        """A context in which the BLAS is single-threaded and numba uses ``torch.get_num_threads()`` threads.

        The step parallelises over its own tasks; PyTorch's own thread count is the same afterwards. numba and PyTorch
        share the OpenMP runtime, and numba's first parallel call in a process sets OpenMP's thread count to all the
        cores, which PyTorch then reports as its own: it is read first, and put back after.

        Yields
        ------
        Nothing; run steps inside the ``with`` block.
        """
        wanted = torch.get_num_threads()
        before = numba.get_num_threads()
        numba.set_num_threads(max(1, min(wanted, numba.config.NUMBA_NUM_THREADS)))
        _start_threads(np.zeros(2, np.float32))  # numba's first parallel call, before PyTorch's count is put back
        torch.set_num_threads(wanted)
        try:
            with threadpool_limits(limits=1, user_api="blas"):
                yield
        finally:
            numba.set_num_threads(before)
            torch.set_num_threads(wanted)

    def check(
        self, x: np.ndarray, batches, genes: np.ndarray, *, temperature: float, rows: OffsetRows | None = None
    ) -> None:
        """Raise, naming the problem, unless :meth:`step` can run on these arguments.

        The compiled code does not check its indices (that is what lets it vectorise); the training loop checks an
        epoch's minibatches and gene subsets in one call instead of every step's.

        Parameters
        ----------
        x
            The input, cells × genes, float32, C-contiguous.
        batches
            Cell-index arrays, one per minibatch.
        genes
            ``(..., K, 2, n_kept)`` gene subsets: one step's or several's.
        temperature
            NT-Xent temperature.
        rows
            ``x`` as :func:`~csc_core.kernels.compiled.sparse.offset_rows` gives it, or ``None``.

        Raises
        ------
        ValueError, IndexError
            For a wrong dtype, shape or layout, a minibatch outside 2 … ``max_batch`` cells, or indices out of range.
        """
        check_temperature(temperature)
        if x.dtype != np.float32 or x.ndim != 2 or x.shape[1] != self.ensemble.n_genes or not x.flags.c_contiguous:
            raise ValueError(f"x must be a C-contiguous float32 cells × {self.ensemble.n_genes} array.")
        if rows is not None and rows.shape != x.shape:
            raise ValueError(f"rows hold a {rows.shape} matrix, x is {x.shape}.")
        sizes = [np.shape(idx)[0] for idx in batches]
        if not sizes or not 2 <= min(sizes) <= max(sizes) <= self.max_batch:
            raise ValueError(f"A minibatch needs 2 to {self.max_batch} cells here, got {sorted(set(sizes))}.")
        if genes.shape[-3:] != (self.ensemble.n_models, 2, self.n_kept):
            raise ValueError(f"genes must have shape {(self.ensemble.n_models, 2, self.n_kept)}, got {genes.shape}.")
        cells = np.concatenate([np.asarray(idx).ravel() for idx in batches])
        if cells.min() < 0 or cells.max() >= x.shape[0] or genes.min() < 0 or genes.max() >= x.shape[1]:
            raise IndexError("Cell or gene indices out of range.")

    def step(
        self,
        x: np.ndarray,
        idx: np.ndarray,
        genes: np.ndarray,
        *,
        temperature: float,
        rows: OffsetRows | None = None,
        checked: bool = False,
    ) -> np.ndarray:
        """One step's losses and gradients for the minibatch ``x[idx]`` and the gene subsets ``genes``.

        Sets every parameter's ``.grad`` and updates the BatchNorm running statistics.

        Parameters
        ----------
        x
            The input, cells × genes, float32.
        idx
            The minibatch's cell indices.
        genes
            ``(K, 2, n_kept)`` gene indices.
        temperature
            NT-Xent temperature.
        rows
            ``x`` as offset-sparse rows, read instead of ``x`` by the first layer (same result up to rounding, faster on
            sparse data).
        checked
            The caller has passed these arguments through :meth:`check` already.

        Returns
        -------
        The K losses (float64).
        """
        if not checked:
            if genes.ndim != 3:  # check() also takes several steps' subsets; one step takes one (K, 2, n_kept) array
                raise ValueError(
                    f"genes must have shape {(self.ensemble.n_models, 2, self.n_kept)}, got {genes.shape}."
                )
            self.check(x, [idx], genes, temperature=temperature, rows=rows)
        idx, genes = idx.astype(np.uint32, copy=False), genes.astype(np.uint32, copy=False)
        _step(
            x,
            idx,
            genes,
            self.net,
            self.grad,
            self.scratch,
            rows if rows is not None else self._no_rows,
            rows is not None,
            np.float32(temperature),
            temperature >= SYMMETRIC_MIN_TEMPERATURE,
        )
        for tracked in self.batches_tracked:
            tracked += 2  # two training-mode passes, one per view (numpy, in place: cheaper than a torch add_)
        return self.scratch.losses.copy()

    def adam(self) -> None:
        """One Adam update of every parameter from its ``.grad``."""
        self.steps += 1
        _adam(
            self.flat_params,
            self.flat_grads,
            self.exp_avgs,
            self.exp_avg_sqs,
            self.lr,
            self.betas[0],
            self.betas[1],
            self.eps,
            float(self.steps),
        )


def _view(t: torch.Tensor) -> np.ndarray:
    """The same memory as a numpy array (a contiguous float32 CPU tensor)."""
    if not t.is_contiguous():
        raise ValueError("The compiled step needs contiguous parameters.")
    return t.detach().numpy()


class CompiledKernel(StepKernel):
    """:class:`CompiledStep` behind the kernel interface: the CPU's default for the ``"batch"`` mask in float32.

    Reads ``x`` as offset-sparse rows when few of its entries are off their gene's floor.

    Parameters
    ----------
    ensemble
        The encoders (float32, CPU).
    x
        The training input, cells × genes.
    **kwargs
        ``lr``, ``temperature``, ``max_batch``, ``n_kept`` (:class:`~csc_core.kernels.base.StepKernel`).
    """

    name = "compiled"

    def __init__(self, ensemble: EncoderEnsemble, x: torch.Tensor, **kwargs):
        super().__init__(ensemble, x, **kwargs)
        self.compiled = CompiledStep(ensemble, max_batch=self.max_batch, n_kept=self.n_kept, lr=self.lr)
        self.x_np = x.contiguous().numpy()
        self.rows = offset_rows(self.x_np)  # None for dense data: the first layer then multiplies x itself

    def set_lr(self, lr: float) -> None:
        """Use learning rate ``lr`` from the next step on (see :meth:`StepKernel.set_lr`).

        Parameters
        ----------
        lr
            The new learning rate.
        """
        super().set_lr(lr)
        self.compiled.lr = lr

    @contextmanager
    def session(self):
        """:meth:`CompiledStep.threads`, and no gradient left on the parameters afterwards.

        Yields
        ------
        Nothing; train inside the ``with`` block.
        """
        with super().session(), self.compiled.threads():
            yield

    def begin_epoch(self, batches, genes):
        """The epoch's minibatches as numpy arrays and its gene subsets sorted, all checked at once.

        Sorted, the same subsets are gathered with fewer cache misses; checked once, not at every step.

        Parameters
        ----------
        batches
            Cell indices of each minibatch (CPU tensors).
        genes
            ``(batches, K, 2, kept)`` gene indices.

        Returns
        -------
        ``(batches, genes)`` as numpy arrays.
        """
        genes = np.sort(genes.numpy(), axis=-1).astype(np.uint32)  # numpy's sort: several times faster than torch's
        batches = [idx.numpy() for idx in batches]
        self.compiled.check(self.x_np, batches, genes, temperature=self.temperature, rows=self.rows)
        return batches, genes

    def zeros(self):
        """An accumulator for the epoch's summed losses.

        Returns
        -------
        K float64 zeros (numpy).
        """
        return np.zeros(self.ensemble.n_models)

    def step(self, idx, *, genes=None, views=None):
        """One step (see :meth:`StepKernel.step`); only the ``"batch"`` mask.

        Parameters
        ----------
        idx
            The minibatch's cell indices (numpy, from :meth:`begin_epoch`).
        genes
            ``(K, 2, kept)`` sorted gene indices.
        views
            Not supported (the ``"cell"`` mask runs with ``kernel="torch"``).

        Returns
        -------
        The K losses (float64).
        """
        losses = self.compiled.step(self.x_np, idx, genes, temperature=self.temperature, rows=self.rows, checked=True)
        self.compiled.adam()
        return losses
