"""numba settings shared by the compiled step's files, and a vectorisable ``exp``."""

from __future__ import annotations

import numba
import numpy as np

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
# ln 2 in two parts (Cody & Waite): n · _LN2_HI is exact in float32 for the |n| <= 126 used here
_LN2_HI = np.float32(0.693359375)
_LN2_LO = np.float32(-2.12194440e-4)
#: Arguments below this are clamped: exp(−87.3) ≈ 1.2e−38 is the smallest normal float32 the bit trick can build.
_EXP_MIN = np.float32(-87.3)


@numba.njit(inline="always", **_JIT)
def _exp_poly(x):
    """exp(x) for float32 x in [−87.3, 0] as ``p · 2^n``; returns ``p`` and ``n`` (the caller builds 2^n from bits).

    Written out because numba's ``math.exp`` is a scalar libm call here (numba vectorises it only with Intel's SVML,
    which PyPI's llvmlite does not use): a large share of a step for the similarities of the default
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

    ``out`` must not be ``x``: in place, the loop would not vectorise (many times slower).
    """
    for i in range(x.size):
        p, n = _exp_poly(max(x[i], _EXP_MIN))
        out[i] = p
        bits[i] = (np.int32(n) + np.int32(127)) << np.int32(23)
    scale = bits.view(np.float32)
    for i in range(x.size):
        out[i] *= scale[i]
