"""The ZINB loss of a minibatch and its gradient with respect to the three heads' pre-activations, in one pass.

Why: through autograd, :func:`csc_core.competitors.zinb.zinb_nll` and the heads' activations are some thirty
element-wise PyTorch operations forward and as many backward on every (cell, gene) — more than the matrix products
cost. Hand-written here (no library has a fused ZINB likelihood gradient) from the closed forms below.

The model (:class:`csc_core.competitors.zinb.ZINBAutoencoder`): for pre-activations ``a_μ``, ``a_θ``, ``a_π`` of a
cell with size factor ``s``, ``μ = s · clamp(exp(a_μ), 1e-5, 1e6)``, ``θ = clamp(softplus(a_θ), 1e-4, 1e4)`` and
``π = σ(a_π)``; with ``t = θ (log(θ + ε) − log(θ + μ + ε))`` (log NB(0)) the loss of a count ``x`` is

- ``x = 0``: ``−log(π + (1 − π) e^t + ε)``;
- ``x > 0``: ``−log(1 − π + ε) − [lgamma(x + θ) − lgamma(θ) − lgamma(x + 1) + t + x (log(μ + ε) − log(θ + μ + ε))]``.

Most counts are zero (86–99 % of the 2,000 genes' entries on the paper's data), and a zero's loss has no gamma
function, so a row is done in two loops. A dense loop over every gene computes the zero branch in float32, without
branches (so LLVM vectorises it; :mod:`._math`'s polynomial ``exp``/``log``). A sparse loop over the cell's nonzero
counts (CSR, made once per data set) then overwrites those entries with the nonzero branch in float64:
``lgamma(x + θ) − lgamma(θ) = log Π_{k<x} (θ + k)`` and ``ψ(x + θ) − ψ(θ) = Σ_{k<x} 1 / (θ + k)`` for whole ``x`` up
to 32, ``math.lgamma`` and :func:`digamma` beyond. ``Σ lgamma(x + 1)`` of a cell is a constant of the data, added from
a per-cell table only to report the loss.

Gradients follow PyTorch where it chooses: ``clamp`` passes the gradient inside its bounds (bounds included) and zero
outside; ``softplus`` is the identity above 20; ``torch.where`` gives each branch's gradient only where it is chosen.
Rows run in parallel (``numba.prange``), each row's arithmetic its own and the row losses summed in order afterwards,
so results do not depend on the number of threads.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ._math import _JIT, _PARALLEL, exp32, log1p32, log32, store, widen

_EPS = np.float32(1e-10)  # csc_core.competitors.zinb._EPS, as float32 (what the float32 reference adds)
_MEAN_MIN, _MEAN_MAX = np.float32(1e-5), np.float32(1e6)
_DISP_MIN, _DISP_MAX = np.float32(1e-4), np.float32(1e4)
_SOFTPLUS_THRESHOLD = np.float32(20.0)  # torch.nn.functional.softplus's default
#: Counts up to this (whole numbers) get the gamma-function differences as a finite product and sum.
_SHORT_COUNT = 32


@numba.njit(inline="always", **_JIT)
def digamma(x):
    """ψ(x) = d/dx lgamma(x) in float64 for ``x > 0``.

    Parameters
    ----------
    x
        A positive float.

    Returns
    -------
    float
        ψ(x): the recurrence ψ(x) = ψ(x + 1) − 1/x up to ``x ≥ 10``, then the asymptotic series to the x⁻¹⁰ term
        (truncation error below 3e-14 there).
    """
    shift = 0.0
    while x < 10.0:
        shift -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    series = f * (-1.0 / 12.0 + f * (1.0 / 120.0 + f * (-1.0 / 252.0 + f * (1.0 / 240.0 + f * (-1.0 / 132.0)))))
    return shift + math.log(x) - 0.5 / x + series


@numba.njit(inline="always", **_JIT)
def _gamma_terms(x, theta):
    """``(lgamma(x + θ) − lgamma(θ), ψ(x + θ) − ψ(θ))`` in float64 for a count ``x > 0`` and ``θ > 0``."""
    if x <= _SHORT_COUNT and x == math.floor(x):
        prod, dpsi = 1.0, 0.0
        for k in range(int(x)):
            v = theta + k
            prod *= v
            dpsi += 1.0 / v
        return math.log(prod), dpsi
    return math.lgamma(x + theta) - math.lgamma(theta), digamma(x + theta) - digamma(theta)


@numba.njit(inline="always", **_JIT)
def _sum64(v):
    """Σ v in float64, in eight interleaved partial sums (a fixed order that vectorises without reassociation)."""
    partial = np.zeros(8)
    n8 = v.size // 8 * 8
    for j in range(0, n8, 8):
        for lane in range(8):
            partial[lane] += np.float64(v[j + lane])
    total = 0.0
    for j in range(n8, v.size):
        total += np.float64(v[j])
    for lane in range(8):
        total += partial[lane]
    return total


@numba.njit(inline="always", **_JIT)
def _zero_branch_row(pre_mean, pre_disp, pre_pi, s, scale, g_mean, g_disp, g_pi, loss):
    """Every gene of one cell as if its count were zero: ``loss[j]`` and the three gradients (times ``scale``).

    Everything is computed on every lane and chosen by selects: no branch, so the loop vectorises.
    """
    one = np.float32(1.0)
    zero = np.float32(0.0)
    for j in range(loss.size):
        a_mean = widen(pre_mean[j])
        a_disp = widen(pre_disp[j])
        a_pi = widen(pre_pi[j])
        e = exp32(a_mean)
        mu = min(max(e, _MEAN_MIN), _MEAN_MAX) * s
        fm = e * s if (e >= _MEAN_MIN) & (e <= _MEAN_MAX) else zero
        z = exp32(a_disp)
        inv_1z = one / (one + z)
        small = log1p32(z, inv_1z)
        big = a_disp > _SOFTPLUS_THRESHOLD
        sp = a_disp if big else small
        dsp = one if big else z * inv_1z
        theta = min(max(sp, _DISP_MIN), _DISP_MAX)
        fd = dsp if (sp >= _DISP_MIN) & (sp <= _DISP_MAX) else zero
        pi = one / (one + exp32(-a_pi))
        te = theta + _EPS
        tm = te + mu
        inv_te = one / te
        inv_tm = one / tm
        d_theta = -log1p32(mu * inv_te, te * inv_tm)  # log(θ + ε) − log(θ + μ + ε), without cancellation
        t = theta * d_theta
        dt_dtheta = d_theta + theta * mu * inv_te * inv_tm
        et = exp32(t)
        den = pi + (one - pi) * et + _EPS
        inv_den = one / den
        loss[j] = -log32(den)
        g_t = -(one - pi) * et * inv_den * scale
        store(g_mean, j, g_t * (-theta * inv_tm) * fm)
        store(g_disp, j, g_t * dt_dtheta * fd)
        store(g_pi, j, -(one - et) * inv_den * (pi * (one - pi)) * scale)


@numba.njit(inline="always", **_JIT)
def _nonzero_entry(a_mean, a_disp, a_pi, x, s, scale):
    """Loss and the three gradients (times ``scale``) of one nonzero count ``x``, in float64 (without lgamma(x + 1))."""
    eps = 1e-10
    e = math.exp(a_mean)
    mu = min(max(e, 1e-5), 1e6) * s
    fm = e * s if (e >= 1e-5) and (e <= 1e6) else 0.0
    if a_disp > 20.0:
        sp, dsp = a_disp, 1.0
    else:
        sp, dsp = math.log1p(math.exp(a_disp)), 1.0 / (1.0 + math.exp(-a_disp))
    theta = min(max(sp, 1e-4), 1e4)
    fd = dsp if (sp >= 1e-4) and (sp <= 1e4) else 0.0
    pi = 1.0 / (1.0 + math.exp(-a_pi))
    te = theta + eps
    tm = te + mu
    d_theta = -math.log1p(mu / te)
    t = theta * d_theta
    dt_dtheta = d_theta + theta * mu / (te * tm)
    d_mu = -math.log1p(theta / (mu + eps))  # log(μ + ε) − log(θ + μ + ε)
    dlg, dpsi = _gamma_terms(x, theta)
    loss = -math.log(1.0 - pi + eps) - (dlg + t + x * d_mu)
    g_mu = theta / tm - x / (mu + eps) + x / tm
    g_theta = -(dpsi + dt_dtheta - x / tm)
    g_pi = 1.0 / (1.0 - pi + eps)
    return loss, g_mu * fm * scale, g_theta * fd * scale, g_pi * pi * (1.0 - pi) * scale


@numba.njit(parallel=_PARALLEL, **_JIT)
def zinb_grad(pre, cells, size_factors, indptr, indices, values, lgamma_rows, scale, grad, scratch):
    """Mean ZINB loss of a minibatch (times ``scale``) and its gradient with respect to the heads' pre-activations.

    Parameters
    ----------
    pre
        minibatch × (3 · genes): the mean, dispersion and dropout heads' pre-activations side by side; float32, or
        bfloat16 as uint16.
    cells
        int64, each row's cell (row of ``size_factors``, ``indptr`` and ``lgamma_rows``).
    size_factors
        float32, one per cell.
    indptr, indices, values
        The counts as CSR (int64, int64, float64).
    lgamma_rows
        float64, Σ over genes of lgamma(x + 1) of each cell.
    scale
        Factor of the loss and gradient (``1 / (minibatch · genes)`` for the mean).
    grad
        Shape and type of ``pre``, written: ∂(scale · Σ loss)/∂pre (rounded to nearest for bfloat16).
    scratch
        float32, minibatch × genes: room for the entries' losses.

    Returns
    -------
    float
        ``scale`` × the summed loss, accumulated in float64.
    """
    n_rows = pre.shape[0]
    n_genes = pre.shape[1] // 3
    row_loss = np.zeros(n_rows)
    scale32 = np.float32(scale)
    for i in numba.prange(n_rows):
        cell = cells[i]
        s = size_factors[cell]
        prow, grow, lrow = pre[i], grad[i], scratch[i]
        g = n_genes
        _zero_branch_row(
            prow[:g], prow[g : 2 * g], prow[2 * g :], s, scale32, grow[:g], grow[g : 2 * g], grow[2 * g :], lrow
        )
        acc = lgamma_rows[cell]
        for k in range(indptr[cell], indptr[cell + 1]):
            x = values[k]
            if x < 0.5:  # the zero branch, as torch.where(x < 0.5, …) in zinb_nll
                continue
            j = indices[k]
            loss, g_mu, g_theta, g_pi = _nonzero_entry(
                np.float64(widen(prow[j])),
                np.float64(widen(prow[n_genes + j])),
                np.float64(widen(prow[2 * n_genes + j])),
                x,
                np.float64(s),
                scale,
            )
            lrow[j] = np.float32(0.0)
            acc += loss
            store(grow, j, np.float32(g_mu))
            store(grow, n_genes + j, np.float32(g_theta))
            store(grow, 2 * n_genes + j, np.float32(g_pi))
        row_loss[i] = acc + _sum64(lrow)
    total = 0.0
    for i in range(n_rows):
        total += row_loss[i]
    return total * scale
