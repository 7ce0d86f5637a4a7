"""numba settings of the competitors' compiled code, float32 ``exp``/``log`` that vectorise, and bfloat16 bit casts.

Hand-written because numba offers neither: its ``math.exp``/``math.log`` are scalar libm calls here (PyPI's llvmlite
has no SVML), and it has no bfloat16 type — a bfloat16 tensor is read as its ``uint16`` bits, which are the upper
half of a float32's.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic, overload

#: LLVM may contract to FMAs and use reciprocals but not reassociate: reassociation turns ``(1 − π) + ε`` into
#: ``(1 + ε) − π`` (0 for π = 1 in float32) and undoes the two-part ln 2 of :func:`exp32`.
_FAST = {"contract", "nsz", "arcp", "afn"}
#: error_model="numpy": a division by zero gives inf/NaN instead of raising, so loops with divisions vectorise.
_JIT = {"cache": True, "error_model": "numpy", "fastmath": _FAST}
#: Only the explicit ``prange`` loops run in parallel.
_PARALLEL = {
    "prange": True,
    "numpy": False,
    "reduction": False,
    "setitem": False,
    "comprehension": False,
    "stencil": False,
    "inplace_binop": False,
}

_LOG2E = np.float32(1.4426950408889634)
_LN2_HI = np.float32(0.693359375)  # ln 2 in two parts (Cody & Waite): n · _LN2_HI is exact for |n| <= 128
_LN2_LO = np.float32(-2.12194440e-4)
_EXP_LO, _EXP_HI = np.float32(-87.3), np.float32(88.3)  # e^x stays a normal, finite float32 inside
_SQRT_HALF = np.float32(0.70710678118654752)


@intrinsic
def bits_to_float32(typingctx, bits):
    """Reinterpret the low 32 bits of an integer as a float32 (a bit cast LLVM vectorises)."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        low = builder.trunc(args[0], ir.IntType(32)) if bits.bitwidth > 32 else args[0]
        return builder.bitcast(low, ir.FloatType())

    return types.float32(bits), codegen


@intrinsic
def float32_to_bits(typingctx, value):
    """Reinterpret a float32 as an int32."""
    if value != types.float32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))

    return types.int32(types.float32), codegen


@intrinsic
def bfloat16_to_float32(typingctx, bits):
    """The float32 value of a bfloat16 stored as uint16 (its bits are the float32's upper half)."""
    if bits != types.uint16:
        return None

    def codegen(context, builder, signature, args):
        wide = builder.shl(builder.zext(args[0], ir.IntType(32)), ir.Constant(ir.IntType(32), 16))
        return builder.bitcast(wide, ir.FloatType())

    return types.float32(types.uint16), codegen


@intrinsic
def float32_to_bfloat16(typingctx, value):
    """A finite float32 rounded to the nearest bfloat16 (ties to even, PyTorch's rounding), as uint16 bits."""
    if value != types.float32:
        return None

    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        bits = builder.bitcast(args[0], i32)
        odd = builder.and_(builder.lshr(bits, ir.Constant(i32, 16)), ir.Constant(i32, 1))
        rounded = builder.add(builder.add(bits, ir.Constant(i32, 0x7FFF)), odd)
        return builder.trunc(builder.lshr(rounded, ir.Constant(i32, 16)), ir.IntType(16))

    return types.uint16(types.float32), codegen


def widen(value):
    """float32 of a stored value (float32, or bfloat16 as uint16); compiled code only."""
    raise NotImplementedError


@overload(widen, inline="always")
def _widen_overload(value):
    if value == types.float32:
        return lambda value: value
    if value == types.uint16:
        return lambda value: bfloat16_to_float32(value)
    return None


def store(out, j, value):
    """``out[j] = value`` into float32, or bfloat16 as uint16 (rounded to nearest); compiled code only."""
    raise NotImplementedError


@overload(store, inline="always")
def _store_overload(out, j, value):
    if out.dtype == types.float32:

        def impl32(out, j, value):
            out[j] = value

        return impl32
    if out.dtype == types.uint16:

        def impl16(out, j, value):
            out[j] = float32_to_bfloat16(value)

        return impl16
    return None


@numba.njit(inline="always", **_JIT)
def exp32(x):
    """``exp(x)`` in float32, ``x`` clamped to [−87.3, 88.3] first: Cody & Waite's reduction, degree-7 Taylor.

    Relative error below 3e-7 (``tests/competitors/test_compiled.py``).
    """
    x = min(max(x, _EXP_LO), _EXP_HI)
    n = np.floor(x * _LOG2E + np.float32(0.5))
    y = (x - n * _LN2_HI) - n * _LN2_LO
    p = np.float32(1.0 / 5040.0) + y * np.float32(1.0 / 40320.0)
    p = np.float32(1.0 / 720.0) + y * p
    p = np.float32(1.0 / 120.0) + y * p
    p = np.float32(1.0 / 24.0) + y * p
    p = np.float32(1.0 / 6.0) + y * p
    p = np.float32(0.5) + y * p
    p = np.float32(1.0) + y * p
    p = np.float32(1.0) + y * p
    return p * bits_to_float32((np.int32(n) + np.int32(127)) << np.int32(23))


@numba.njit(inline="always", **_JIT)
def log32(x):
    """``log(x)`` in float32 for positive normal ``x``: exponent from the bits, Cephes' ``logf`` polynomial.

    Relative error below 3e-7.
    """
    bits = float32_to_bits(x)
    e = ((bits >> np.int32(23)) & np.int32(0xFF)) - np.int32(127)
    m = bits_to_float32((bits & np.int32(0x7FFFFF)) | np.int32(0x3F800000))  # in [1, 2)
    big = m > np.float32(2.0) * _SQRT_HALF
    m = m * np.float32(0.5) if big else m
    n = np.float32(e + np.int32(1)) if big else np.float32(e)
    f = m - np.float32(1.0)
    z = f * f
    p = np.float32(7.0376836292e-2) * f - np.float32(1.1514610310e-1)
    p = p * f + np.float32(1.1676998740e-1)
    p = p * f - np.float32(1.2420140846e-1)
    p = p * f + np.float32(1.4249322787e-1)
    p = p * f - np.float32(1.6668057665e-1)
    p = p * f + np.float32(2.0000714765e-1)
    p = p * f - np.float32(2.4999993993e-1)
    p = p * f + np.float32(3.3333331174e-1)
    y = p * f * z + n * _LN2_LO - np.float32(0.5) * z
    return (f + y) + n * _LN2_HI


@numba.njit(inline="always", **_JIT)
def log1p32(w, inv_u):
    """``log(1 + w)`` in float32 for ``w ≥ 0``, given ``inv_u ≈ 1 / (1 + w)``.

    ``log`` of the rounded ``u = 1 + w`` plus the first-order correction of its rounding (small ``w`` stays exact).
    """
    u = np.float32(1.0) + w
    return log32(u) - ((u - np.float32(1.0)) - w) * inv_u
