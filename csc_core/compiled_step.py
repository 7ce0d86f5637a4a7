"""The training step of :mod:`csc_core.fused_step`, compiled with numba for the CPU ("batch" gene mask), and Adam.

Why: :mod:`csc_core.fused_step` does a step of the default ensemble in about 40 PyTorch operations, and on a CPU the
~30 element-wise ones (BatchNorm, ReLU masks, the softmax, gathers) cost more in dispatch than in arithmetic — each
touches only some 50,000 numbers — while its batched matrix products each use the cores for a few microseconds at a
time. Here a step is one compiled function. Its work is split into tasks, one per encoder and view (``2K`` of them:
six for the default ensemble, so two cores share them evenly), and the tasks of each phase run in parallel with
``numba.prange``, each calling a single-threaded BLAS (scipy's OpenBLAS, through numba) for its own matrix products:
six products at once on two cores ran in 190 µs, one after the other on a two-thread BLAS in 260 µs. Results do not
depend on the number of threads: every task's arithmetic is its own, and sums across tasks are taken in a fixed order.
Measured on worm (AMD EPYC with AVX-512, two cores, speed bench of 2026-12-02): training 0.72 s against 1.16 s through
PyTorch, 1.4 against 2.2 ms a step with Adam and the gene draws (the step itself ~1.0 ms, of which the seven matrix
products take about 0.75 ms); on an AVX2-only EPYC, 0.94 s against 1.43 s.

Inputs that are mostly one value per gene — z-scored counts, where every zero count of a gene has the same value —
go through a sparse first layer (:func:`offset_rows`, :data:`SPARSE_MAX_DENSITY`): a view's product is the offset's
row plus one row of weights per entry off it, and so is its weight gradient. On worm (1.1 % of entries off their
gene's floor; Intel Xeon with AVX-512) a step took 0.59 instead of 0.95 ms; on the full PBMC set (10 %), 0.88 ms.

It computes the closed forms of :func:`csc_core.fused_step.contrastive_step` (see there) in float32;
``tests/test_compiled_step.py`` checks the losses, every gradient, the BatchNorm running statistics and the Adam
update against autograd and ``torch.optim.Adam``. Rounding differs from PyTorch's (other summation orders), so the
same seed trains other encoders than ``kernel="torch"`` does, as on another processor. The compiled code is kept in
numba's on-disk cache (``cache=True``): the first process on a machine pays the compilation (about 30 s for one
encoder depth, as much again for each other depth); later processes load it in a fraction of a second.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import NamedTuple

import numba
import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  the BLAS numba's np.dot calls: loaded now, so threadpoolctl can limit it
import torch
from threadpoolctl import threadpool_limits

from .ensemble import EncoderEnsemble
from .fused_step import SYMMETRIC_MIN_TEMPERATURE
from .loss import check_temperature

#: LLVM may reorder sums (so reductions vectorise) and use reciprocals; it may not assume there is no NaN or infinity.
_FAST = {"reassoc", "contract", "nsz", "arcp", "afn"}
#: error_model="numpy": a division by zero gives inf/NaN instead of raising, so loops with divisions vectorise.
_JIT = {"cache": True, "error_model": "numpy", "fastmath": _FAST}
# Every helper is declared inline="always" (numba inlines it into its caller's own code): otherwise a process that
# compiles the step lets LLVM inline the helpers, while one that loads it from numba's cache calls them — code that
# rounds differently, so the first run on a machine trained other encoders than every later one (worm, seed 0: ARI
# 0.51 and 0.62). tests/test_compiled_step.py compares a compiling and a cache-loading process.
#: Only the explicit ``prange`` loops run in parallel: numba would otherwise turn every array expression outside them
#: (a bias added to a row, say) into a parallel region of its own, each costing more than its work.
_PARALLEL = {"prange": True, "numpy": False, "reduction": False, "setitem": False, "comprehension": False,
             "stencil": False, "inplace_binop": False}

_LOG2E = np.float32(1.4426950408889634)
# ln 2 in two parts (Cody & Waite): n · _LN2_HI is exact in float32 for the |n| <= 126 used here
_LN2_HI = np.float32(0.693359375)
_LN2_LO = np.float32(-2.12194440e-4)
#: Arguments below this are clamped: exp(−87.3) ≈ 1.2e−38 is the smallest normal float32 the bit trick can build.
_EXP_MIN = np.float32(-87.3)


@numba.njit(inline="always", **_JIT)
def _exp_poly(x):
    """exp(x) for float32 x in [−87.3, 0] as ``p · 2^n``; returns ``p`` and ``n`` (the caller builds 2^n from bits).

    Written out because numba's ``math.exp`` is a scalar libm call here (numba vectorises it only with Intel's SVML,
    which PyPI's llvmlite does not use): 3.8 ns each, 0.75 ms a step for the 196,608 similarities of the default
    ensemble. This is the usual range reduction (Cody & Waite) and a degree-7 Taylor polynomial, which LLVM vectorises.
    Relative error below 3e-7 over the range (``tests/test_compiled_step.py``).
    """
    n = np.floor(x * _LOG2E + np.float32(0.5))
    y = (x - n * _LN2_HI) - n * _LN2_LO  # |y| <= ln(2) / 2: the remainder after degree 7 is below 5e-9
    p = np.float32(1.0 / 5040.0) + y * np.float32(1.0 / 40320.0)
    p = np.float32(1.0 / 720.0) + y * p
    p = np.float32(1.0 / 120.0) + y * p
    p = np.float32(1.0 / 24.0) + y * p
    p = np.float32(1.0 / 6.0) + y * p
    p = np.float32(0.5) + y * p
    p = np.float32(1.0) + y * p
    p = np.float32(1.0) + y * p
    return p, n


@numba.njit(inline="always", **_JIT)
def exp_nonpositive(x, out, bits):
    """``out[i] = exp(max(x[i], −87.3))`` for 1-D float32 ``x`` of values ≤ 0; ``bits``: int32 scratch of ``x``'s size.

    ``out`` must not be ``x``: in place, the loop would not vectorise (measured 17× slower).
    """
    for i in range(x.size):
        p, n = _exp_poly(max(x[i], _EXP_MIN))
        out[i] = p
        bits[i] = (np.int32(n) + np.int32(127)) << np.int32(23)
    scale = bits.view(np.float32)
    for i in range(x.size):
        out[i] *= scale[i]


@numba.njit(inline="always", **_JIT)
def _batchnorm_relu(a, ahat, rstd, r, mean, var, gamma, beta, eps):
    """Training-mode BatchNorm over the cells (rows) of ``a``, then ReLU, into ``ahat``, ``rstd`` and ``r``; the
    batch mean and biased variance into ``mean`` and ``var``."""
    b, h = a.shape
    mean[:] = 0.0
    var[:] = 0.0
    for i in range(b):
        for f in range(h):
            mean[f] += a[i, f]
    inv_b = np.float32(1.0 / b)
    for f in range(h):
        mean[f] *= inv_b
    for i in range(b):
        for f in range(h):
            c = a[i, f] - mean[f]
            var[f] += c * c
    for f in range(h):
        var[f] *= inv_b
        rstd[f] = np.float32(1.0) / np.sqrt(var[f] + eps)
    for i in range(b):
        for f in range(h):
            q = (a[i, f] - mean[f]) * rstd[f]
            ahat[i, f] = q
            y = gamma[f] * q + beta[f]
            r[i, f] = y if y > 0 else np.float32(0.0)


@numba.njit(inline="always", **_JIT)
def _batchnorm_relu_backward(dy, r, ahat, rstd, gamma, dgamma, dbeta):
    """Backward of :func:`_batchnorm_relu`: ``dy`` holds ∂loss/∂r on entry and ∂loss/∂a on return; this view's
    ∂γ and ∂β into ``dgamma`` and ``dbeta``."""
    b, h = dy.shape
    dgamma[:] = 0.0
    dbeta[:] = 0.0
    for i in range(b):
        for f in range(h):
            q = dy[i, f] if r[i, f] > 0 else np.float32(0.0)  # the ReLU's mask
            dy[i, f] = q
            dbeta[f] += q
            dgamma[f] += q * ahat[i, f]
    inv_b = np.float32(1.0 / b)
    for i in range(b):
        for f in range(h):
            dy[i, f] = (dy[i, f] - dbeta[f] * inv_b - ahat[i, f] * dgamma[f] * inv_b) * gamma[f] * rstd[f]


# The helpers below each do one task's share of a phase on 2-D or 1-D slices, with every loop counted from 0 and
# every gathered index unsigned: numba then emits no negative-index checks, and LLVM vectorises the loops (a loop
# from ``lo`` to ``hi`` over the same data measured 4-8× slower).


@numba.njit(inline="always", **_JIT)
def _copy_row(src, dst):
    for j in range(src.size):
        dst[j] = src[j]


@numba.njit(inline="always", **_JIT)
def _first_layer(xb, kept, w0, bias, xs, ws, a):
    """One view's first layer: ``xs = xb[:, kept]``, ``ws = w0[kept]``, ``a = xs @ ws + bias``."""
    for i in range(xb.shape[0]):
        row, out = xb[i], xs[i]
        for j in range(kept.size):
            out[j] = row[kept[j]]
    for j in range(kept.size):
        _copy_row(w0[kept[j]], ws[j])
    np.dot(xs, ws, a)
    _add_bias(a, bias)


@numba.njit(inline="always", **_JIT)
def _add_bias(a, bias):
    for i in range(a.shape[0]):
        row = a[i]
        for c in range(bias.size):
            row[c] += bias[c]


@numba.njit(inline="always", **_JIT)
def _axpy(alpha, src, dst):
    """``dst += alpha * src`` for 1-D arrays of one size."""
    for c in range(src.size):
        dst[c] += alpha * src[c]


@numba.njit(inline="always", **_JIT)
def _first_layer_sparse(idx, indptr, indices, values, offset, kept, w0, bias, pos, base, a, nz_row, nz_col, nz_val):
    """One view's first layer from the offset-sparse rows (:class:`OffsetRows`): ``a = (s + offset)[idx][:, kept]
    @ w0[kept] + bias``, as the row ``base = bias + offset[kept] @ w0[kept]`` plus one row of ``w0`` per stored entry
    of a cell in a kept gene. Those entries (cell, position in ``kept``, value) go to ``nz_*`` for the weight
    gradient; returns their number. ``pos``: scratch of one entry per gene."""
    n_kept = np.uint32(kept.size)
    for gene in range(pos.size):
        pos[gene] = n_kept  # not kept
    for j in range(kept.size):
        pos[kept[j]] = j
    base[:] = bias
    for j in range(kept.size):
        _axpy(offset[kept[j]], w0[kept[j]], base)
    count = 0
    for i in range(idx.size):
        row = a[i]
        _copy_row(base, row)
        cell = idx[i]
        for p in range(indptr[cell], indptr[cell + 1]):
            j = pos[indices[p]]
            if j < n_kept:
                _axpy(values[p], w0[kept[j]], row)
                nz_row[count], nz_col[count], nz_val[count] = i, j, values[p]
                count += 1
    return count


@numba.njit(inline="always", **_JIT)
def _first_layer_grad_sparse(da0, offset, kept, nz_row, nz_col, nz_val, count, colsum, grad):
    """∂loss/∂w0[kept] of one view (into ``grad``, one row per kept gene) from the entries that
    :func:`_first_layer_sparse` found: ``offset[kept] ⊗ Σ_cells da0``, plus ``value · da0[cell]`` per entry."""
    colsum[:] = 0.0
    _sum_rows(da0, colsum)
    for j in range(kept.size):
        row, o = grad[j], offset[kept[j]]
        for c in range(colsum.size):
            row[c] = o * colsum[c]
    for p in range(count):
        _axpy(nz_val[p], da0[nz_row[p]], grad[nz_col[p]])


@numba.njit(inline="always", **_JIT)
def _normalise(a, z, length):
    """Rows of ``a`` scaled to unit length, as F.normalize (lengths below 1e-12 count as 1e-12)."""
    for i in range(a.shape[0]):
        row = a[i]
        s = np.float32(0.0)
        for c in range(row.size):
            s += row[c] * row[c]
        length[i] = max(np.sqrt(s), np.float32(1e-12))
        inv = np.float32(1.0) / length[i]
        out = z[i]
        for c in range(row.size):
            out[c] = row[c] * inv


@numba.njit(inline="always", **_JIT)
def _similarity_rows(z_all, z, z_other, offset, sim, arg, bits, total, inv_t, symmetric):
    """One view's rows of an encoder's NT-Xent. ``z``: its b unit rows, rows ``offset`` … of ``z_all`` (all 2b);
    ``z_other``: the other view of the same cells. ``sim`` (b × 2b) gets E = exp((cos − shift) / T) with a zero
    where a cell meets itself, ``total`` each row's sum; returns the sum over these rows of −log P(positive)."""
    b, m = sim.shape
    np.dot(z, z_all.T, sim)
    top = np.ones(b, np.float32)  # symmetric form: every row shifted by the largest possible cosine, 1
    if not symmetric:  # shift each row by its own largest similarity
        for i in range(b):
            sim[i, offset + i] = -3.0  # below every cosine: not a candidate for the maximum
            top[i] = sim[i].max()
    for i in range(b):
        row, out, shift = sim[i], arg[i], top[i]
        for j in range(m):
            out[j] = (row[j] - shift) * inv_t
    exp_nonpositive(arg.ravel(), sim.ravel(), bits)
    loss = 0.0
    for i in range(b):
        row = sim[i]
        row[offset + i] = 0.0  # a cell is not its own negative
        s = np.float32(0.0)
        for j in range(m):
            s += row[j]
        total[i] = s
        pos = np.float32(0.0)
        for c in range(z.shape[1]):
            pos += z[i, c] * z_other[i, c]
        loss += math.log(s) + (top[i] - pos) * inv_t
    return loss


@numba.njit(inline="always", **_JIT)
def _scaled_copy(z, total, zz):
    """``zz = [z, z / total]`` row by row: the right-hand side of the symmetric gradient's one product."""
    d = z.shape[1]
    for i in range(z.shape[0]):
        inv = np.float32(1.0) / total[i]
        src, out = z[i], zz[i]
        for c in range(d):
            out[c] = src[c]
            out[d + c] = src[c] * inv


@numba.njit(inline="always", **_JIT)
def _rows_grad(both, total, z, z_other, length, scale, da, symmetric):
    """∂loss/∂z of one view's rows from ``both`` (E·[z, z/total] rows, or [P z, Pᵀ z] rows when not symmetric), then
    back through the L2 normalisation into ``da``."""
    d = z.shape[1]
    for i in range(z.shape[0]):
        inv = np.float32(1.0) / total[i] if symmetric else np.float32(1.0)
        src, other, out = both[i], z_other[i], da[i]
        dot = np.float32(0.0)
        for c in range(d):
            g = (src[c] * inv + src[d + c] - np.float32(2.0) * other[c]) * scale
            out[c] = g
            dot += z[i, c] * g
        inv_length = np.float32(1.0) / length[i]
        for c in range(d):
            out[c] = (out[c] - z[i, c] * dot) * inv_length


@numba.njit(inline="always", **_JIT)
def _shifted_products(sim_k, total_k, z_all, v, both):
    """``both = [P z, Pᵀ z]`` for view ``v``'s rows when P = E / total row-wise is not symmetric (T below
    :data:`~csc_core.fused_step.SYMMETRIC_MIN_TEMPERATURE`; a rare setting, so plain loops)."""
    _, b, m = sim_k.shape
    d = z_all.shape[1]
    both[:] = 0.0
    for i in range(b):
        inv = np.float32(1.0) / total_k[v, i]
        for j in range(m):
            p = sim_k[v, i, j] * inv
            for c in range(d):
                both[i, c] += p * z_all[j, c]
    for w in range(2):
        for j in range(b):
            inv = np.float32(1.0) / total_k[w, j]
            for i in range(b):
                p = sim_k[w, j, v * b + i] * inv
                for c in range(d):
                    both[i, d + c] += p * z_all[w * b + j, c]


@numba.njit(inline="always", **_JIT)
def _sum_rows(a, out):
    """``out += a.sum(axis=0)``, rows added in order."""
    for i in range(a.shape[0]):
        row = a[i]
        for c in range(out.size):
            out[c] += row[c]


@numba.njit(inline="always", **_JIT)
def _add_into(src, dst):
    """``dst += src`` for 1-D arrays of one size."""
    for c in range(src.size):
        dst[c] += src[c]


@numba.njit(inline="always", **_JIT)
def _scatter_rows(rows, kept, out):
    """``out[kept[j]] += rows[j]`` in order of j."""
    for j in range(kept.size):
        dst, src = out[kept[j]], rows[j]
        for c in range(src.size):
            dst[c] += src[c]


@numba.njit(parallel=_PARALLEL, **_JIT)
def _step(x, idx, genes, weights, biases, gammas, betas, eps, run_means, run_vars, momentum, w_grads, b_grads,
          gamma_grads, beta_grads, xb_buf, xs_buf, ws_buf, acts, ahats, rstds, rs, means, variances, grads, part_w,
          part_gamma, part_beta, z_buf, sim_buf, arg_buf, bits_buf, total_buf, zz_buf, both_buf, length_buf,
          temperature, symmetric, losses, sparse, offset, indptr, indices, values, pos_buf, base_buf, nz_rows,
          nz_cols, nz_vals, nz_counts):
    """Losses and gradients of one step of every encoder, and the BatchNorm running statistics (see
    :class:`CompiledStep`). Each ``prange`` below runs the 2K tasks (encoder k, view v) of one phase; ``idx`` and
    ``genes`` are unsigned. With ``sparse``, the first layer reads the rows of ``x`` as ``offset`` plus the CSR
    ``indptr, indices, values`` (:class:`OffsetRows`) and ``x`` is not read."""
    n_models, _, g = genes.shape
    n_tasks = 2 * n_models
    b, n_genes = idx.size, x.shape[1]
    m = 2 * b
    n_layers = len(weights)
    h0 = weights[0].shape[2]
    d = weights[n_layers - 1].shape[2]
    inv_t = np.float32(1.0 / temperature)
    xb = xb_buf[: b * n_genes].reshape((b, n_genes))
    xs = xs_buf[: n_tasks * b * g].reshape((n_models, 2, b, g))
    ws = ws_buf[: n_tasks * g * h0].reshape((n_models, 2, g, h0))
    a0 = acts[0][: n_tasks * b * h0].reshape((n_models, 2, b, h0))
    if sparse:  # first layer: one row of w0 per stored entry, on top of the offset's row
        for t in numba.prange(n_tasks):
            k, v = t // 2, t % 2
            nz_counts[t] = _first_layer_sparse(idx, indptr, indices, values, offset, genes[k, v], weights[0][k],
                                               biases[0][k, 0], pos_buf[t], base_buf[t], a0[k, v], nz_rows[t],
                                               nz_cols[t], nz_vals[t])
    else:
        for i in numba.prange(b):  # the minibatch's rows, read from memory once for all tasks
            _copy_row(x[idx[i]], xb[i])
        for t in numba.prange(n_tasks):  # first layer
            k, v = t // 2, t % 2
            _first_layer(xb, genes[k, v], weights[0][k], biases[0][k, 0], xs[k, v], ws[k, v], a0[k, v])
    for layer in range(n_layers - 1):  # BatchNorm and ReLU of layer `layer`, then linear layer + 1
        h, h_next = weights[layer].shape[2], weights[layer + 1].shape[2]
        a = acts[layer][: n_tasks * b * h].reshape((n_models, 2, b, h))
        ahat = ahats[layer][: n_tasks * b * h].reshape((n_models, 2, b, h))
        r = rs[layer][: n_tasks * b * h].reshape((n_models, 2, b, h))
        out = acts[layer + 1][: n_tasks * b * h_next].reshape((n_models, 2, b, h_next))
        for t in numba.prange(n_tasks):
            k, v = t // 2, t % 2
            cols = slice(k * h, (k + 1) * h)
            _batchnorm_relu(a[k, v], ahat[k, v], rstds[layer][k, v], r[k, v], means[layer][k, v],
                            variances[layer][k, v], gammas[layer][cols], betas[layer][cols], eps)
            np.dot(r[k, v], weights[layer + 1][k], out[k, v])
            _add_bias(out[k, v], biases[layer + 1][k, 0])
        unbias = np.float32(b / (b - 1))
        for k in range(n_models):  # running statistics as two training-mode passes would leave them: view 1, view 2
            for v in range(2):
                run_m, run_v = run_means[layer][k * h:(k + 1) * h], run_vars[layer][k * h:(k + 1) * h]
                mean, var = means[layer][k, v], variances[layer][k, v]
                for f in range(h):
                    run_m[f] += momentum * (mean[f] - run_m[f])
                    run_v[f] += momentum * (var[f] * unbias - run_v[f])
    last = acts[n_layers - 1][: n_tasks * b * d].reshape((n_models, 2, b, d))
    z = z_buf[: n_tasks * b * d].reshape((n_models, 2, b, d))
    z_all = z_buf[: n_tasks * b * d].reshape((n_models, m, d))
    length = length_buf[: n_tasks * b].reshape((n_models, 2, b))
    for t in numba.prange(n_tasks):  # L2 normalisation
        k, v = t // 2, t % 2
        _normalise(last[k, v], z[k, v], length[k, v])
    sim = sim_buf[: n_tasks * b * m].reshape((n_models, 2, b, m))
    arg = arg_buf[: n_tasks * b * m].reshape((n_models, 2, b, m))
    bits = bits_buf[: n_tasks * b * m].reshape((n_models, 2, b * m))
    total = total_buf[: n_tasks * b].reshape((n_models, 2, b))
    zz = zz_buf[: n_tasks * b * 2 * d].reshape((n_models, 2, b, 2 * d))
    zz_all = zz_buf[: n_tasks * b * 2 * d].reshape((n_models, m, 2 * d))
    part_loss = np.zeros(n_tasks)
    for t in numba.prange(n_tasks):  # NT-Xent: the view's rows of E, their sums and losses
        k, v = t // 2, t % 2
        part_loss[t] = _similarity_rows(z_all[k], z[k, v], z[k, 1 - v], v * b, sim[k, v], arg[k, v], bits[k, v],
                                        total[k, v], inv_t, symmetric)
        _scaled_copy(z[k, v], total[k, v], zz[k, v])
    both = both_buf[: n_tasks * b * 2 * d].reshape((n_models, 2, b, 2 * d))
    da = grads[n_layers - 1][: n_tasks * b * d].reshape((n_models, 2, b, d))
    scale = np.float32(1.0 / (2 * b * temperature))
    for t in numba.prange(n_tasks):  # ∂loss/∂z of the view's rows, then back through the normalisation
        k, v = t // 2, t % 2
        if symmetric:  # E symmetric: P z + Pᵀ z = (E z) / total + E (z / total), one product
            np.dot(sim[k, v], zz_all[k], both[k, v])
        else:
            _shifted_products(sim[k], total[k], z_all[k], v, both[k, v])
        _rows_grad(both[k, v], total[k, v], z[k, v], z[k, 1 - v], length[k, v], scale, da[k, v], symmetric)
    for k in range(n_models):
        losses[k] = (part_loss[2 * k] + part_loss[2 * k + 1]) / m
    for layer in range(n_layers - 2, -1, -1):  # layer `layer`: BatchNorm → ReLU → linear layer + 1
        h, h_next = weights[layer].shape[2], weights[layer + 1].shape[2]
        da_next = grads[layer + 1][: n_tasks * b * h_next].reshape((n_models, 2, b, h_next))
        ahat = ahats[layer][: n_tasks * b * h].reshape((n_models, 2, b, h))
        r = rs[layer][: n_tasks * b * h].reshape((n_models, 2, b, h))
        dy = grads[layer][: n_tasks * b * h].reshape((n_models, 2, b, h))
        pw = part_w[layer][: n_tasks * h * h_next].reshape((n_models, 2, h, h_next))
        for t in numba.prange(n_tasks):
            k, v = t // 2, t % 2
            cols = slice(k * h, (k + 1) * h)
            np.dot(r[k, v].T, da_next[k, v], pw[k, v])
            np.dot(da_next[k, v], weights[layer + 1][k].T, dy[k, v])
            _batchnorm_relu_backward(dy[k, v], r[k, v], ahat[k, v], rstds[layer][k, v], gammas[layer][cols],
                                     part_gamma[layer][k, v], part_beta[layer][k, v])
        last_linear = layer + 1 == n_layers - 1
        for k in range(n_models):  # the two views' shares, summed in a fixed order
            w_grads[layer + 1][k] = 0.0
            for v in range(2):
                _add_into(pw[k, v].ravel(), w_grads[layer + 1][k].ravel())
            b_grads[layer + 1][k] = 0.0
            if last_linear:  # every other linear layer's bias feeds a BatchNorm: its gradient is exactly zero
                for v in range(2):
                    _sum_rows(da_next[k, v], b_grads[layer + 1][k, 0])
            gamma_grads[layer][k * h:(k + 1) * h] = 0.0
            beta_grads[layer][k * h:(k + 1) * h] = 0.0
            for v in range(2):
                _add_into(part_gamma[layer][k, v], gamma_grads[layer][k * h:(k + 1) * h])
                _add_into(part_beta[layer][k, v], beta_grads[layer][k * h:(k + 1) * h])
    da0 = grads[0][: n_tasks * b * h0].reshape((n_models, 2, b, h0))
    for t in numba.prange(n_tasks):  # first layer: the gradient of the view's kept rows (into ws, no longer needed)
        k, v = t // 2, t % 2
        if sparse:
            _first_layer_grad_sparse(da0[k, v], offset, genes[k, v], nz_rows[t], nz_cols[t], nz_vals[t], nz_counts[t],
                                     base_buf[t], ws[k, v])
        else:
            np.dot(xs[k, v].T, da0[k, v], ws[k, v])
    for k in numba.prange(n_models):  # added into the full weight gradient, view 1 then view 2
        w_grads[0][k] = 0.0
        for v in range(2):
            _scatter_rows(ws[k, v], genes[k, v], w_grads[0][k])
        b_grads[0][k] = 0.0
        if n_layers == 1:  # the first layer is also the last: its bias does not feed a BatchNorm
            for v in range(2):
                _sum_rows(da0[k, v], b_grads[0][k, 0])


@numba.njit(inline="always", **_JIT)
def _adam_part(p, g, m, v, step_size, one_minus_b1, b2, one_minus_b2, bias2_sqrt, epsilon):
    for i in range(p.size):
        gi = g[i]
        mi = m[i] + one_minus_b1 * (gi - m[i])
        vi = b2 * v[i] + one_minus_b2 * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] -= step_size * mi / (np.sqrt(vi) / bias2_sqrt + epsilon)


#: Each parameter's Adam update is split into this many contiguous parts, run in parallel.
_ADAM_PARTS = 8


@numba.njit(parallel=_PARALLEL, **_JIT)
def _adam(params, grads, exp_avgs, exp_avg_sqs, lr, beta1, beta2, eps, step):
    """Adam (no weight decay, no amsgrad) on flat float32 arrays, as ``torch.optim.Adam`` computes it."""
    bias1 = 1.0 - beta1 ** step
    bias2_sqrt = np.float32(math.sqrt(1.0 - beta2 ** step))
    step_size = np.float32(lr / bias1)
    one_minus_b1, b2, one_minus_b2 = np.float32(1.0 - beta1), np.float32(beta2), np.float32(1.0 - beta2)
    epsilon = np.float32(eps)
    for t in numba.prange(len(params) * _ADAM_PARTS):
        a, part = t // _ADAM_PARTS, t % _ADAM_PARTS
        size = params[a].size
        lo, hi = size * part // _ADAM_PARTS, size * (part + 1) // _ADAM_PARTS
        _adam_part(params[a][lo:hi], grads[a][lo:hi], exp_avgs[a][lo:hi], exp_avg_sqs[a][lo:hi], step_size,
                   one_minus_b1, b2, one_minus_b2, bias2_sqrt, epsilon)


#: Inputs with at most this fraction of entries away from their gene's smallest value are read as offset-sparse rows
#: (:func:`offset_rows`). A z-scored count matrix is dense, but its zero counts all share one value per gene: 1.1 % of
#: worm's entries (1500 genes) differ from it, 7-10 % of the bladder and PBMC sets'.
SPARSE_MAX_DENSITY = 0.25


class OffsetRows(NamedTuple):
    """A cells × genes matrix ``x`` as ``offset + s``: ``offset`` (one float32 per gene, its smallest value) and ``s``
    as CSR arrays (``indptr`` int64, ``indices`` uint32, ``values`` float32) holding the entries where ``x`` is not
    its gene's offset."""

    offset: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.indptr.size - 1, self.offset.size


def offset_rows(x: np.ndarray, *, max_density: float = SPARSE_MAX_DENSITY) -> OffsetRows | None:
    """``x`` (cells × genes, float32, C-contiguous) as :class:`OffsetRows`, or ``None`` when more than
    ``max_density`` of its entries differ from their gene's smallest value (then the dense first layer is faster).

    Why: the first layer's product and its weight gradient are more than half a step's arithmetic, and after
    z-scoring nearly all of it multiplies the one value each gene takes at zero counts. The first layer feeds a
    BatchNorm, but the step does not rely on that: it adds the offset's product back (one row per view), so it
    computes the same function of ``x`` up to rounding. Two compiled passes over ``x`` (count, then fill), no copy of
    it: 8 ms for worm's 4186 × 1500 (scipy's ``csr_matrix(x - offset)`` took 47 ms).
    """
    if x.dtype != np.float32 or x.ndim != 2 or not x.flags.c_contiguous:
        raise ValueError("x must be a C-contiguous 2-D float32 array.")
    offset = x.min(axis=0) if x.shape[0] else np.zeros(x.shape[1], np.float32)
    indptr = np.zeros(x.shape[0] + 1, np.int64)
    _count_off_offset(x, offset, indptr[1:])
    np.cumsum(indptr, out=indptr)
    if indptr[-1] > max_density * x.size:
        return None
    indices, values = np.empty(indptr[-1], np.uint32), np.empty(indptr[-1], np.float32)
    _fill_off_offset(x, offset, indptr, indices, values)
    return OffsetRows(offset, indptr, indices, values)


@numba.njit(**_JIT)
def _count_off_offset(x, offset, counts):
    """``counts[i]``: how many entries of row ``i`` differ from their column's ``offset``."""
    for i in range(x.shape[0]):
        row, c = x[i], 0
        for j in range(row.size):
            c += row[j] != offset[j]
        counts[i] = c


@numba.njit(**_JIT)
def _fill_off_offset(x, offset, indptr, indices, values):
    """The CSR arrays of ``x - offset`` at the entries where ``x`` differs from ``offset`` (``indptr`` given)."""
    for i in range(x.shape[0]):
        row, p = x[i], indptr[i]
        for j in range(row.size):
            if row[j] != offset[j]:
                indices[p] = j
                values[p] = row[j] - offset[j]
                p += 1


@numba.njit(parallel=_PARALLEL, **_JIT)
def _start_threads(a):
    for i in numba.prange(a.size):
        a[i] += 1.0


class CompiledStep:
    """The compiled training step and Adam for one :class:`~csc_core.ensemble.EncoderEnsemble` on the CPU.

    Holds numpy views of the ensemble's parameters, gradients and BatchNorm statistics (the same memory: what a step
    or an update writes, the ensemble holds) and the step's scratch buffers, sized for minibatches of up to
    ``max_batch`` cells keeping ``n_kept`` genes per view.

    * ``step(x, idx, genes, temperature=...)`` computes what :func:`csc_core.fused_step.contrastive_step` computes for
      the minibatch ``x[idx]`` (``x``: cells × genes, float32) and the ``(K, 2, n_kept)`` gene subsets ``genes``: sets
      every parameter's ``.grad``, updates the BatchNorm running statistics, returns the K losses (float64).
    * ``adam()`` then updates the parameters from their gradients as ``torch.optim.Adam(lr=lr)`` does.

    Use it inside ``with step.threads():``, which keeps the BLAS single-threaded while the step's own tasks run in
    parallel, on ``torch.get_num_threads()`` threads.
    """

    def __init__(self, ensemble: EncoderEnsemble, *, max_batch: int, n_kept: int, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        params = list(ensemble.parameters())
        if any(p.device.type != "cpu" or p.dtype != torch.float32 for p in params):
            raise ValueError("The compiled step runs float32 ensembles on the CPU; use csc_core.fused_step elsewhere.")
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
        self.weights = tuple(_view(w.data) for w in ensemble.weights)
        self.biases = tuple(_view(b.data) for b in ensemble.biases)
        self.w_grads = tuple(_view(w.grad) for w in ensemble.weights)
        self.b_grads = tuple(_view(b.grad) for b in ensemble.biases)
        # an encoder without hidden layers has no BatchNorm: one unused placeholder keeps every tuple's type
        spare1, spare3 = np.zeros(1, np.float32), np.zeros((1, 1, 1), np.float32)
        self.gammas = tuple(_view(n.weight.data) for n in norms) or (spare1,)
        self.betas_ = tuple(_view(n.bias.data) for n in norms) or (spare1,)
        self.gamma_grads = tuple(_view(n.weight.grad) for n in norms) or (spare1,)
        self.beta_grads = tuple(_view(n.bias.grad) for n in norms) or (spare1,)
        self.bn_eps = np.float32(norms[0].eps if norms else 1e-5)
        self.momentum = np.float32(norms[0].momentum if norms else 0.1)
        self.run_means = tuple(_view(n.running_mean) for n in norms) or (spare1,)
        self.run_vars = tuple(_view(n.running_var) for n in norms) or (spare1,)
        self.batches_tracked = [n.num_batches_tracked.numpy() for n in norms]  # 0-d int64 views
        b, g, h0, d = max_batch, n_kept, sizes[0], sizes[-1]
        m, tasks = 2 * b, 2 * k
        self.xs, self.ws = np.empty(tasks * b * g, np.float32), np.empty(tasks * g * h0, np.float32)
        self.xb = np.empty(b * ensemble.n_genes, np.float32)
        self.acts = tuple(np.empty(tasks * b * h, np.float32) for h in sizes)
        self.grads = tuple(np.empty(tasks * b * h, np.float32) for h in sizes)
        self.ahats = tuple(np.empty(tasks * b * h, np.float32) for h in hidden) or (spare1,)
        self.rs = tuple(np.empty(tasks * b * h, np.float32) for h in hidden) or (spare1,)
        self.rstds = tuple(np.empty((k, 2, h), np.float32) for h in hidden) or (spare3,)
        self.means = tuple(np.empty((k, 2, h), np.float32) for h in hidden) or (spare3,)
        self.variances = tuple(np.empty((k, 2, h), np.float32) for h in hidden) or (spare3,)
        pairs = zip(sizes, sizes[1:])
        self.part_w = tuple(np.empty(tasks * h * h_next, np.float32) for h, h_next in pairs) or (spare1,)
        self.part_gamma = tuple(np.empty((k, 2, h), np.float32) for h in hidden) or (spare3,)
        self.part_beta = tuple(np.empty((k, 2, h), np.float32) for h in hidden) or (spare3,)
        self.z, self.length = np.empty(tasks * b * d, np.float32), np.empty(tasks * b, np.float32)
        self.sim, self.arg = np.empty(tasks * b * m, np.float32), np.empty(tasks * b * m, np.float32)
        self.bits, self.total = np.empty(tasks * b * m, np.int32), np.empty(tasks * b, np.float32)
        self.zz, self.both = np.empty(tasks * b * 2 * d, np.float32), np.empty(tasks * b * 2 * d, np.float32)
        self.losses = np.empty(k, np.float64)
        # the sparse first layer's scratch (OffsetRows input): gene positions, a row, and each view's stored entries
        self.pos, self.base = np.empty((tasks, ensemble.n_genes), np.uint32), np.empty((tasks, h0), np.float32)
        self.nz_rows, self.nz_cols = np.empty((tasks, b * g), np.uint32), np.empty((tasks, b * g), np.uint32)
        self.nz_vals, self.nz_counts = np.empty((tasks, b * g), np.float32), np.zeros(tasks, np.int64)
        self._no_rows = OffsetRows(np.zeros(1, np.float32), np.zeros(1, np.int64), np.zeros(1, np.uint32),
                                   np.zeros(1, np.float32))
        # Adam's state, one flat array per parameter
        self.flat_params = tuple(_view(p.data).reshape(-1) for p in params)
        self.flat_grads = tuple(_view(p.grad).reshape(-1) for p in params)
        self.exp_avgs = tuple(np.zeros(p.numel(), np.float32) for p in params)
        self.exp_avg_sqs = tuple(np.zeros(p.numel(), np.float32) for p in params)

    @contextmanager
    def threads(self):
        """A context in which the BLAS is single-threaded (the step parallelises over its own tasks) and numba uses
        ``torch.get_num_threads()`` threads; PyTorch's own thread count is the same afterwards.

        numba and PyTorch share the OpenMP runtime, and numba's first parallel call in a process sets OpenMP's thread
        count to all the cores, which PyTorch then reports as its own: read it first, and put it back after.
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

    def check(self, x: np.ndarray, batches, genes: np.ndarray, *, temperature: float,
              rows: OffsetRows | None = None) -> None:
        """Raise, naming the problem, unless :meth:`step` can run on ``x`` for every minibatch of ``batches`` (a list
        of cell-index arrays) with the gene subsets ``genes`` (``(..., K, 2, n_kept)``: one step's or several's).

        The compiled code does not check its indices (that is what lets it vectorise). The training loop checks an
        epoch's minibatches and gene subsets in one call instead of every step's (30 µs a step: 3 % of training).
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

    def step(self, x: np.ndarray, idx: np.ndarray, genes: np.ndarray, *, temperature: float,
             rows: OffsetRows | None = None, checked: bool = False) -> np.ndarray:
        """One step's losses and gradients (see the class). ``rows``: ``x`` as :func:`offset_rows` gives it, read
        instead of ``x`` by the first layer (same result up to rounding, faster on sparse data). ``checked=True``:
        the caller has passed these arguments through :meth:`check` already."""
        if not checked:
            if genes.ndim != 3:  # check() also takes several steps' subsets; one step takes one (K, 2, n_kept) array
                raise ValueError(f"genes must have shape {(self.ensemble.n_models, 2, self.n_kept)}, got "
                                 f"{genes.shape}.")
            self.check(x, [idx], genes, temperature=temperature, rows=rows)
        idx, genes = idx.astype(np.uint32, copy=False), genes.astype(np.uint32, copy=False)
        sparse = rows if rows is not None else self._no_rows
        _step(x, idx, genes, self.weights, self.biases, self.gammas, self.betas_, self.bn_eps, self.run_means,
              self.run_vars, self.momentum, self.w_grads, self.b_grads, self.gamma_grads, self.beta_grads, self.xb,
              self.xs, self.ws, self.acts, self.ahats, self.rstds, self.rs, self.means, self.variances, self.grads,
              self.part_w, self.part_gamma, self.part_beta, self.z, self.sim, self.arg, self.bits, self.total,
              self.zz, self.both, self.length, np.float32(temperature), temperature >= SYMMETRIC_MIN_TEMPERATURE,
              self.losses, rows is not None, sparse.offset, sparse.indptr, sparse.indices, sparse.values, self.pos,
              self.base, self.nz_rows, self.nz_cols, self.nz_vals, self.nz_counts)
        for tracked in self.batches_tracked:
            tracked += 2  # two training-mode passes, one per view (numpy, in place: a torch add_ cost 20 µs)
        return self.losses.copy()

    def adam(self) -> None:
        """One Adam update of every parameter from its ``.grad``."""
        self.steps += 1
        _adam(self.flat_params, self.flat_grads, self.exp_avgs, self.exp_avg_sqs, self.lr, self.betas[0],
              self.betas[1], self.eps, float(self.steps))


def _view(t: torch.Tensor) -> np.ndarray:
    """The same memory as a numpy array (a contiguous float32 CPU tensor)."""
    if not t.is_contiguous():
        raise ValueError("The compiled step needs contiguous parameters.")
    return t.detach().numpy()
