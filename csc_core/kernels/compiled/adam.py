"""Adam on the compiled step's flat parameter arrays, as ``torch.optim.Adam`` computes it (no weight decay)."""

from __future__ import annotations

import math

import numba
import numpy as np

from ._jit import _JIT, _PARALLEL


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
    bias1 = 1.0 - beta1**step
    bias2_sqrt = np.float32(math.sqrt(1.0 - beta2**step))
    step_size = np.float32(lr / bias1)
    one_minus_b1, b2, one_minus_b2 = np.float32(1.0 - beta1), np.float32(beta2), np.float32(1.0 - beta2)
    epsilon = np.float32(eps)
    for t in numba.prange(len(params) * _ADAM_PARTS):
        a, part = t // _ADAM_PARTS, t % _ADAM_PARTS
        size = params[a].size
        lo, hi = size * part // _ADAM_PARTS, size * (part + 1) // _ADAM_PARTS
        _adam_part(
            params[a][lo:hi],
            grads[a][lo:hi],
            exp_avgs[a][lo:hi],
            exp_avg_sqs[a][lo:hi],
            step_size,
            one_minus_b1,
            b2,
            one_minus_b2,
            bias2_sqrt,
            epsilon,
        )
