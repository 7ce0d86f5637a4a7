"""The denoising autoencoder's noisy minibatch: rows of the input plus Gaussian noise, drawn and gathered in one pass.

Hand-written because ``torch.randn`` alone takes as long on a CPU as the rest of this pass, and numba's own generator
is a sequential stream (its numbers would depend on how rows are split over threads). Here each number comes from a
counter-based generator — a hash of (counter, key) — so a seeded key gives the same noise on any number of threads.
It is not ``torch.randn``'s stream: the fast step draws other noise than the reference for the same seed.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from ._math import _JIT, _PARALLEL, log32, store

_TWO_POW_M24 = np.float32(2.0**-24)
_HALF_PI = np.float32(np.pi / 2)


@intrinsic
def _hash24(typingctx, counter, key):
    """24 random bits (an int32 in [0, 2^24)) of a counter and a key.

    A Weyl step ``counter · φ32 + key`` through a 32-bit integer finaliser, in 32-bit lanes so LLVM vectorises it.
    """
    if not (isinstance(counter, types.Integer) and isinstance(key, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)

        def low(v, ty):
            return builder.trunc(v, i32) if ty.bitwidth > 32 else v

        c, k = low(args[0], counter), low(args[1], key)
        x = builder.add(builder.mul(c, ir.Constant(i32, 0x9E3779B9)), k)
        for shift, mult in ((16, 0x21F0AAAD), (15, 0x735A2D97), (15, None)):
            x = builder.xor(x, builder.lshr(x, ir.Constant(i32, shift)))
            if mult is not None:
                x = builder.mul(x, ir.Constant(i32, mult))
        return builder.lshr(x, ir.Constant(i32, 8))

    return types.int32(counter, key), codegen


@numba.njit(inline="always", **_JIT)
def _box_muller(c, key1, key2):
    """The pair of independent N(0, 1) draws of counter ``c`` (Box–Muller).

    Radius ``√(−2 log u₁)``, an angle uniform on the circle as a quadrant plus an offset in [−π/4, π/4) whose sine
    and cosine are short Taylor series.
    """
    u1 = (np.float32(_hash24(c, key1)) + np.float32(1.0)) * _TWO_POW_M24  # in (0, 1]
    v = np.float32(_hash24(c, key2)) * np.float32(2.0**-22)  # 4 u₂, in [0, 4)
    quadrant = np.floor(v)
    phi = (v - quadrant - np.float32(0.5)) * _HALF_PI
    p2 = phi * phi
    sin_phi = phi * (
        np.float32(1.0) - p2 * (np.float32(1.0 / 6.0) - p2 * (np.float32(1.0 / 120.0) - p2 * np.float32(1.0 / 5040.0)))
    )
    cos_phi = np.float32(1.0) - p2 * (
        np.float32(0.5)
        - p2 * (np.float32(1.0 / 24.0) - p2 * (np.float32(1.0 / 720.0) - p2 * np.float32(1.0 / 40320.0)))
    )
    odd = (quadrant == np.float32(1.0)) | (quadrant == np.float32(3.0))
    flip = quadrant >= np.float32(2.0)
    cos_a = -sin_phi if odd else cos_phi
    sin_a = cos_phi if odd else sin_phi
    radius = np.sqrt(np.float32(-2.0) * log32(u1))
    return (-radius * cos_a if flip else radius * cos_a), (-radius * sin_a if flip else radius * sin_a)


@numba.njit(inline="always", **_JIT)
def _noisy_row(x_lo, x_hi, sd, base, key1, key2, out_lo, out_hi):
    """``out_lo[k] = x_lo[k] + sd · n₁`` and ``out_hi[k] = x_hi[k] + sd · n₂``, (n₁, n₂) of counter ``base + k``."""
    for k in range(x_lo.size):
        cos_a, sin_a = _box_muller(base + k, key1, key2)
        store(out_lo, k, x_lo[k] + sd * cos_a)
        store(out_hi, k, x_hi[k] + sd * sin_a)


@numba.njit(parallel=_PARALLEL, **_JIT)
def noisy_rows(x, cells, sd, key1, key2, out):
    """``out[i] = x[cells[i]] + sd · N(0, 1)`` noise from a counter-based generator keyed by ``key1``, ``key2``.

    Parameters
    ----------
    x
        float32, cells × genes.
    cells
        int64, the rows of ``x`` to take.
    sd
        Standard deviation of the noise.
    key1, key2
        32-bit keys of the generator (drawn from a seeded generator for every minibatch).
    out
        len(cells) × genes, written: float32, or bfloat16 as uint16 (rounded to nearest).
    """
    n_rows, n_genes = out.shape
    m = n_genes // 2
    pairs = np.int64((n_genes + 1) // 2)
    sd32 = np.float32(sd)
    k1, k2 = np.int64(key1), np.int64(key2)
    for i in numba.prange(n_rows):
        row, dest = x[cells[i]], out[i]
        base = np.int64(i) * pairs
        _noisy_row(row[:m], row[m : 2 * m], sd32, base, k1, k2, dest[:m], dest[m : 2 * m])
        if n_genes % 2:
            cos_a, _ = _box_muller(base + m, k1, k2)
            store(dest, n_genes - 1, row[n_genes - 1] + sd32 * cos_a)
