"""The compiled training step: one function that runs a whole step of every encoder, phase by phase.

Its work is split into tasks, one per encoder and view (``2K`` of them), and the tasks of each phase run in parallel
with ``numba.prange``, each calling a single-threaded BLAS for its own matrix products (:mod:`.layers`,
:mod:`.nt_xent`). Results do not depend on the number of threads: every task's arithmetic is its own, and sums across
tasks are taken in a fixed order. Its arguments come grouped: :class:`Network` (what the step reads and updates),
:class:`Gradients` (what it writes), :class:`Scratch` (its buffers) and the input's :class:`~.sparse.OffsetRows`.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from ._jit import _JIT, _PARALLEL
from .layers import (
    _add_bias,
    _add_into,
    _batchnorm_relu,
    _batchnorm_relu_backward,
    _copy_row,
    _first_layer,
    _first_layer_grad_sparse,
    _first_layer_sparse,
    _normalise,
    _scatter_rows,
    _sum_rows,
)
from .nt_xent import _rows_grad, _scaled_copy, _shifted_products, _similarity_rows


class Network(NamedTuple):
    """The ensemble as numpy views (the same memory as its tensors), as the compiled step reads and updates it.

    Parameters
    ----------
    weights, biases
        Per layer, ``(K, in, out)`` weights and ``(K, 1, out)`` biases.
    gammas, betas
        Per BatchNorm, the K encoders' γ and β side by side.
    eps
        BatchNorm's epsilon (float32).
    run_means, run_vars
        Per BatchNorm, the running statistics.
    momentum
        BatchNorm's momentum (float32).
    """

    weights: tuple
    biases: tuple
    gammas: tuple
    betas: tuple
    eps: np.float32
    run_means: tuple
    run_vars: tuple
    momentum: np.float32


class Gradients(NamedTuple):
    """Where the step writes each parameter's gradient (views of the tensors' ``.grad``), shaped as :class:`Network`.

    Parameters
    ----------
    weights, biases, gammas, betas
        As :class:`Network`'s fields of the same names.
    """

    weights: tuple
    biases: tuple
    gammas: tuple
    betas: tuple


class Scratch(NamedTuple):
    """The step's buffers, sized for the largest minibatch (flat arrays reshaped per step, or per-task rows).

    Parameters
    ----------
    xb, xs, ws
        The minibatch's rows, each view's kept columns and each view's kept rows of the first layer.
    acts, ahats, rstds, rs, means, variances, grads
        Per layer: pre-activations, normalised pre-activations, 1 / std, ReLU outputs, batch means and variances, and
        the gradients flowing back.
    part_w, part_gamma, part_beta
        Each view's share of a weight's, γ's and β's gradient (summed in a fixed order).
    z, sim, arg, bits, total, zz, both, length
        NT-Xent's unit embeddings, similarities, exponent arguments and bits, row sums, right-hand sides and products,
        and the embeddings' lengths before normalisation.
    pos, base, nz_rows, nz_cols, nz_vals, nz_counts
        The sparse first layer's gene positions, offset rows and each view's stored entries.
    losses
        The K losses (float64).
    """

    xb: np.ndarray
    xs: np.ndarray
    ws: np.ndarray
    acts: tuple
    ahats: tuple
    rstds: tuple
    rs: tuple
    means: tuple
    variances: tuple
    grads: tuple
    part_w: tuple
    part_gamma: tuple
    part_beta: tuple
    z: np.ndarray
    sim: np.ndarray
    arg: np.ndarray
    bits: np.ndarray
    total: np.ndarray
    zz: np.ndarray
    both: np.ndarray
    length: np.ndarray
    pos: np.ndarray
    base: np.ndarray
    nz_rows: np.ndarray
    nz_cols: np.ndarray
    nz_vals: np.ndarray
    nz_counts: np.ndarray
    losses: np.ndarray


@numba.njit(parallel=_PARALLEL, **_JIT)
def _step(x, idx, genes, net, grad, scratch, rows, sparse, temperature, symmetric):
    """Losses (into ``scratch.losses``) and gradients of one step of every encoder, and the running statistics.

    See :class:`~.kernel.CompiledStep`. Each ``prange`` below runs the 2K tasks (encoder k, view v) of
    one phase; ``idx`` and ``genes`` are unsigned. With ``sparse``, the first layer reads the rows of ``x`` as
    ``rows`` (:class:`~.sparse.OffsetRows`: an offset plus CSR arrays) and ``x`` is not read.
    """
    weights, biases, gammas, betas = net.weights, net.biases, net.gammas, net.betas
    eps, run_means, run_vars, momentum = net.eps, net.run_means, net.run_vars, net.momentum
    w_grads, b_grads, gamma_grads, beta_grads = grad.weights, grad.biases, grad.gammas, grad.betas
    xb_buf, xs_buf, ws_buf, acts, ahats = scratch.xb, scratch.xs, scratch.ws, scratch.acts, scratch.ahats
    rstds, rs, means, variances, grads = scratch.rstds, scratch.rs, scratch.means, scratch.variances, scratch.grads
    part_w, part_gamma, part_beta = scratch.part_w, scratch.part_gamma, scratch.part_beta
    z_buf, sim_buf, arg_buf, bits_buf, total_buf = scratch.z, scratch.sim, scratch.arg, scratch.bits, scratch.total
    zz_buf, both_buf, length_buf, losses = scratch.zz, scratch.both, scratch.length, scratch.losses
    pos_buf, base_buf, nz_rows, nz_cols = scratch.pos, scratch.base, scratch.nz_rows, scratch.nz_cols
    nz_vals, nz_counts = scratch.nz_vals, scratch.nz_counts
    offset, indptr, indices, values = rows.offset, rows.indptr, rows.indices, rows.values
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
            nz_counts[t] = _first_layer_sparse(
                idx,
                indptr,
                indices,
                values,
                offset,
                genes[k, v],
                weights[0][k],
                biases[0][k, 0],
                pos_buf[t],
                base_buf[t],
                a0[k, v],
                nz_rows[t],
                nz_cols[t],
                nz_vals[t],
            )
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
            _batchnorm_relu(
                a[k, v],
                ahat[k, v],
                rstds[layer][k, v],
                r[k, v],
                means[layer][k, v],
                variances[layer][k, v],
                gammas[layer][cols],
                betas[layer][cols],
                eps,
            )
            np.dot(r[k, v], weights[layer + 1][k], out[k, v])
            _add_bias(out[k, v], biases[layer + 1][k, 0])
        unbias = np.float32(b / (b - 1))
        for k in range(n_models):  # running statistics as two training-mode passes would leave them: view 1, view 2
            for v in range(2):
                run_m, run_v = run_means[layer][k * h : (k + 1) * h], run_vars[layer][k * h : (k + 1) * h]
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
        part_loss[t] = _similarity_rows(
            z_all[k], z[k, v], z[k, 1 - v], v * b, sim[k, v], arg[k, v], bits[k, v], total[k, v], inv_t, symmetric
        )
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
            _batchnorm_relu_backward(
                dy[k, v],
                r[k, v],
                ahat[k, v],
                rstds[layer][k, v],
                gammas[layer][cols],
                part_gamma[layer][k, v],
                part_beta[layer][k, v],
            )
        last_linear = layer + 1 == n_layers - 1
        for k in range(n_models):  # the two views' shares, summed in a fixed order
            w_grads[layer + 1][k] = 0.0
            for v in range(2):
                _add_into(pw[k, v].ravel(), w_grads[layer + 1][k].ravel())
            b_grads[layer + 1][k] = 0.0
            if last_linear:  # every other linear layer's bias feeds a BatchNorm: its gradient is exactly zero
                for v in range(2):
                    _sum_rows(da_next[k, v], b_grads[layer + 1][k, 0])
            gamma_grads[layer][k * h : (k + 1) * h] = 0.0
            beta_grads[layer][k * h : (k + 1) * h] = 0.0
            for v in range(2):
                _add_into(part_gamma[layer][k, v], gamma_grads[layer][k * h : (k + 1) * h])
                _add_into(part_beta[layer][k, v], beta_grads[layer][k * h : (k + 1) * h])
    da0 = grads[0][: n_tasks * b * h0].reshape((n_models, 2, b, h0))
    for t in numba.prange(n_tasks):  # first layer: the gradient of the view's kept rows (into ws, no longer needed)
        k, v = t // 2, t % 2
        if sparse:
            _first_layer_grad_sparse(
                da0[k, v], offset, genes[k, v], nz_rows[t], nz_cols[t], nz_vals[t], nz_counts[t], base_buf[t], ws[k, v]
            )
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
