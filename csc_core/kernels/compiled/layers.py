"""The compiled step's per-task pieces of the encoder.

First layer (dense and offset-sparse), BatchNorm + ReLU and its backward, L2 normalisation, and small row operations.

The helpers each do one task's share of a phase on 2-D or 1-D slices, with every loop counted from 0 and every
gathered index unsigned: numba then emits no negative-index checks, and LLVM vectorises the loops (a loop from ``lo``
to ``hi`` over the same data is several times slower: ``bench/README.md``).
"""

from __future__ import annotations

import numba
import numpy as np

from ._jit import _JIT


@numba.njit(inline="always", **_JIT)
def _batchnorm_relu(a, ahat, rstd, r, mean, var, gamma, beta, eps):
    """Training-mode BatchNorm over the cells (rows) of ``a``, then ReLU, into ``ahat``, ``rstd`` and ``r``.

    The batch mean and biased variance go into ``mean`` and ``var``.
    """
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
    """Backward of :func:`_batchnorm_relu`: ``dy`` holds ∂loss/∂r on entry and ∂loss/∂a on return.

    This view's ∂γ and ∂β go into ``dgamma`` and ``dbeta``.
    """
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
    """One view's first layer from the offset-sparse rows (:class:`OffsetRows`).

    ``a = (s + offset)[idx][:, kept] @ w0[kept] + bias``, as the row ``base = bias + offset[kept] @ w0[kept]`` plus
    one row of ``w0`` per stored entry of a cell in a kept gene. Those entries (cell, position in ``kept``, value) go
    to ``nz_*`` for the weight gradient; returns their number. ``pos``: scratch of one entry per gene.
    """
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
    """∂loss/∂w0[kept] of one view (into ``grad``, one row per kept gene) from :func:`_first_layer_sparse`'s entries.

    It is ``offset[kept] ⊗ Σ_cells da0``, plus ``value · da0[cell]`` per entry.
    """
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
