"""The compiled step's NT-Xent: one view's rows of the similarity matrix, their losses, and the gradient."""

from __future__ import annotations

import math

import numba
import numpy as np

from ._jit import _JIT, exp_nonpositive


@numba.njit(inline="always", **_JIT)
def _similarity_rows(z_all, z, z_other, offset, sim, arg, bits, total, inv_t, symmetric):
    """One view's rows of an encoder's NT-Xent.

    ``z``: its b unit rows, rows ``offset`` … of ``z_all`` (all 2b);
    ``z_other``: the other view of the same cells. ``sim`` (b × 2b) gets E = exp((cos − shift) / T) with a zero
    where a cell meets itself, ``total`` each row's sum; returns the sum over these rows of −log P(positive).
    """
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
    """∂loss/∂z of one view's rows, then back through the L2 normalisation into ``da``.

    ``both`` holds E·[z, z/total] rows, or [P z, Pᵀ z] rows when not symmetric.
    """
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
    """``both = [P z, Pᵀ z]`` for view ``v``'s rows when P = E / total row-wise is not symmetric.

    That is T below :data:`~csc_core.kernels.torch_step.SYMMETRIC_MIN_TEMPERATURE`: a rare setting, so plain loops.
    """
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
