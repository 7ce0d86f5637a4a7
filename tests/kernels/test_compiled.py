"""The numba-compiled training step and Adam, and numba's cache.

Compared with the autograd reference (csc_core.kernels.autograd.loss_and_grads: the spec), torch.optim.Adam and the
PyTorch step.
"""

import copy
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from csc_core.kernels import compiled
from csc_core.kernels.autograd import loss_and_grads
from csc_core.kernels.compiled import CompiledStep, offset_rows
from csc_core.kernels.compiled._cache import DEPENDENCIES, refresh_cache_stamp
from csc_core.kernels.compiled._jit import exp_nonpositive
from csc_core.kernels.torch_step import contrastive_step
from csc_core.method.encoder import EncoderEnsemble, embed
from tests.helpers import _sparse_like, batchnorm_ensemble, train

K, N, GENES, KEPT = 3, 50, 24, 6


def _ensemble(hidden):
    return batchnorm_ensemble(K, GENES, hidden)


def _batch(b, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(N, GENES, generator=g)
    idx = torch.randperm(N, generator=g)[:b]
    genes = torch.rand(K, 2, GENES, generator=g).argsort(-1)[..., :KEPT]
    return x, idx, genes


def _compiled_step(ens, x, idx, genes, temperature, max_batch=16, rows=None):
    step = CompiledStep(ens, max_batch=max_batch, n_kept=KEPT, lr=1e-3)
    with step.threads():
        return step.step(x.numpy(), idx.numpy(), genes.numpy(), temperature=temperature, rows=rows)


@pytest.mark.parametrize("hidden", [(16, 8), (20, 12, 8), (8,)])
@pytest.mark.parametrize("temperature", [0.07, 0.5, 0.01])  # 0.01: the row-shifted softmax
@pytest.mark.parametrize("b", [2, 11, 16])  # the smallest minibatch, one below the buffers' size, their full size
def test_loss_gradients_and_running_stats_equal_autograd(hidden, temperature, b):
    x, idx, genes = _batch(b)
    _assert_step_equals_autograd(hidden, x, idx, genes, temperature)


def _assert_step_equals_autograd(hidden, x, idx, genes, temperature, rows=None):
    """The compiled step (reading ``rows`` when given) against autograd on the dense ``x``.

    Losses, every gradient, the BatchNorm running statistics.
    """
    ens = _ensemble(hidden)
    ref = copy.deepcopy(ens)
    b = len(idx)
    expected = loss_and_grads(ref, x[idx], temperature=temperature, genes=genes)
    got = _compiled_step(ens, x, idx, genes, temperature, rows=rows)
    # Each loss is a mean over the 2b cells of terms in logits s / T (|s| <= 1), so float32 rounds it by some eps / T
    # (on an AVX2 processor, 5e-6 from autograd at b = 2, T = 0.07); a wrong formula is O(1), and 1e-4 off fails
    loss_tol = 30 * np.finfo(np.float32).eps / temperature
    assert np.allclose(got, expected.numpy(), rtol=1e-5, atol=loss_tol)
    feeds_norm = {f"biases.{i}" for i in range(len(ens.norms))}
    scale = max(float(q.grad.abs().max()) for q in ref.parameters())
    # float32 against float32, summed in other orders. BatchNorm over 2 cells maps every feature to ±1 and amplifies
    # rounding (PyTorch's own step is 7e-5 of the largest gradient away from autograd there); a wrong formula is O(1)
    tol = 1e-3 if b == 2 else 1e-5
    for (name, p), (_, q) in zip(ens.named_parameters(), ref.named_parameters(), strict=True):
        if name in feeds_norm:  # exactly zero; autograd gives rounding noise around zero
            assert torch.equal(p.grad, torch.zeros_like(p)) and q.grad.abs().max() < 1e-4 * scale, name
        else:
            assert torch.allclose(p.grad, q.grad, rtol=10 * tol, atol=tol * scale), name
    for (name, p), (_, q) in zip(ens.named_buffers(), ref.named_buffers(), strict=True):
        assert torch.allclose(p.double(), q.double(), atol=1e-6), name


@pytest.mark.parametrize("hidden", [(16, 8), (20, 12, 8), (8,)])  # (8,): the first layer has no BatchNorm after it
@pytest.mark.parametrize("b", [2, 16])
def test_the_sparse_first_layer_equals_autograd_on_the_dense_matrix(hidden, b):
    _, idx, genes = _batch(b)
    x = _sparse_like()
    rows = offset_rows(x.numpy())
    assert rows is not None and 0 < rows.values.size < 0.3 * x.numel()
    _assert_step_equals_autograd(hidden, x, idx, genes, 0.07, rows=rows)


def test_offset_rows_store_only_the_entries_off_their_genes_floor():
    x = _sparse_like(n=40, genes=10).numpy()
    rows = offset_rows(x)
    assert rows.shape == x.shape and np.array_equal(rows.offset, x.min(axis=0))
    rebuilt = np.tile(rows.offset, (40, 1))
    for i in range(40):
        span = slice(rows.indptr[i], rows.indptr[i + 1])
        rebuilt[i, rows.indices[span]] += rows.values[span]
    assert np.allclose(rebuilt, x, rtol=1e-6, atol=1e-6) and rows.values.size == np.count_nonzero(x != x.min(0))
    reference = sp.csr_matrix(x - rows.offset)  # scipy's CSR of the same differences
    assert np.array_equal(rows.indptr, reference.indptr) and np.array_equal(rows.indices, reference.indices)
    assert np.array_equal(rows.values, reference.data)
    assert offset_rows(x[:0]).shape == (0, 10)
    assert offset_rows(np.random.default_rng(0).standard_normal((40, 10), dtype=np.float32)) is None  # dense
    assert offset_rows(x, max_density=0.01) is None
    with pytest.raises(ValueError, match="float32"):
        offset_rows(x.astype(np.float64))


def test_training_reads_sparse_data_through_the_sparse_first_layer(monkeypatch):
    seen, step = [], CompiledStep.step

    def spy(self, *args, rows=None, **kwargs):
        seen.append(rows is not None)
        return step(self, *args, rows=rows, **kwargs)

    monkeypatch.setattr(compiled.CompiledStep, "step", spy)
    # Minibatches of 48 cells: with few cells, a kept gene is often at its floor in all of them; its weights' true
    # gradient is then 0 (the BatchNorm after the layer cancels a constant input), every kernel computes rounding
    # noise instead, and Adam turns noise into steps of ±lr — differences this comparison could not tell from an error
    _assert_one_epoch_follows_the_pytorch_kernel(_sparse_like(n=96, genes=40, density=0.2, seed=3), batch_size=48)
    assert seen and all(seen)
    seen.clear()
    train(
        EncoderEnsemble(3, 40, (16, 8), seed=0),
        torch.randn(64, 40),
        epochs=1,
        batch_size=16,
        progress=False,
        kernel="compiled",
    )
    assert seen and not any(seen)  # dense data: the dense first layer


def test_agrees_with_the_pytorch_step_on_the_default_shapes():
    """The defaults' sizes (128 cells, 1500 genes keeping 300, 64 → 32) against csc_core.kernels.torch_step."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 1500, generator=g)
    idx = torch.randperm(400, generator=g)[:127]
    genes = torch.rand(3, 2, 1500, generator=g).topk(300, dim=-1).indices
    ens = EncoderEnsemble(3, 1500, (64, 32), seed=0).train()
    ref = copy.deepcopy(ens)
    step = CompiledStep(ens, max_batch=128, n_kept=300, lr=1e-3)
    with step.threads():
        got = step.step(x.numpy(), idx.numpy(), genes.numpy(), temperature=0.07)
    expected = contrastive_step(ref, x[idx], temperature=0.07, genes=genes)
    assert np.allclose(got, expected.numpy(), rtol=1e-5)
    for p, q in zip(ens.parameters(), ref.parameters(), strict=True):
        assert torch.allclose(p.grad, q.grad, rtol=1e-4, atol=1e-5 * float(q.grad.abs().max())), p.shape


def test_gene_order_within_a_view_does_not_matter():
    """The training loop sorts each view's genes (fewer cache misses): the same subset, the same step."""
    x, idx, genes = _batch(12)
    a, b = _ensemble((16, 8)), _ensemble((16, 8))
    la = _compiled_step(a, x, idx, genes, 0.07)
    lb = _compiled_step(b, x, idx, genes.flip(-1), 0.07)
    assert np.allclose(la, lb, rtol=1e-6)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.allclose(p.grad, q.grad, rtol=1e-5, atol=1e-5 * float(q.grad.abs().max()))


def test_adam_equals_torch_optim_adam():
    torch.manual_seed(0)
    ours, theirs = EncoderEnsemble(2, 30, (8, 4), seed=0), EncoderEnsemble(2, 30, (8, 4), seed=0)
    step = CompiledStep(ours, max_batch=4, n_kept=3, lr=1e-2)
    reference = torch.optim.Adam(theirs.parameters(), lr=1e-2)
    for _ in range(5):
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            g = torch.randn_like(p)
            p.grad.copy_(g)  # the step's own gradient buffers: Adam reads them in place
            q.grad = g.clone()
        step.adam()
        reference.step()
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.allclose(p, q, rtol=1e-6, atol=1e-7)
    assert not torch.equal(ours.weights[0], EncoderEnsemble(2, 30, (8, 4), seed=0).weights[0])  # it did move


def test_exp_is_accurate_and_clamped():
    x = -np.linspace(0, 87.3, 200_001).astype(np.float32)
    out, bits = np.empty_like(x), np.empty(x.size, np.int32)
    exp_nonpositive(x, out, bits)
    assert np.max(np.abs(out / np.exp(x.astype(np.float64)) - 1)) < 5e-7
    far = np.array([-200.0, -1e30], dtype=np.float32)
    out, bits = np.empty_like(far), np.empty(2, np.int32)
    exp_nonpositive(far, out, bits)
    assert np.all(out > 0) and np.all(out < 2e-38)  # the smallest normal float32, not garbage


def _trained(kernel, threads, seed=0):
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        x = torch.randn(90, 40, generator=torch.Generator().manual_seed(5))
        ens = EncoderEnsemble(3, 40, (16, 8), seed=seed)
        hist = train(ens, x, epochs=4, batch_size=32, lr=1e-2, progress=False, seed=seed, kernel=kernel)
        return hist, embed(ens, x)
    finally:
        torch.set_num_threads(before)


def test_same_seed_same_result_and_any_number_of_threads():
    """Every task's arithmetic is its own and cross-task sums have a fixed order: 1 or 2 threads, same bits."""
    h1, z1 = _trained("compiled", 1)
    h2, z2 = _trained("compiled", 2)
    h3, z3 = _trained("compiled", 2)
    assert np.array_equal(h1, h2) and torch.equal(z1, z2)
    assert np.array_equal(h2, h3) and torch.equal(z2, z3)
    _, other = _trained("compiled", 2, seed=1)
    assert not torch.equal(z2, other)


def test_one_epoch_follows_the_pytorch_kernel():
    """The same minibatches and gene subsets, the same step up to rounding.

    After a few steps the two kernels' encoders are still close (rounding grows over a long training, so only the start
    is compared).
    """
    _assert_one_epoch_follows_the_pytorch_kernel(
        torch.randn(64, 40, generator=torch.Generator().manual_seed(3)), batch_size=16
    )


def _assert_one_epoch_follows_the_pytorch_kernel(x, *, batch_size):
    a, b = EncoderEnsemble(3, x.shape[1], (16, 8), seed=0), EncoderEnsemble(3, x.shape[1], (16, 8), seed=0)
    ha = train(a, x, epochs=1, batch_size=batch_size, lr=1e-3, progress=False, kernel="compiled")
    hb = train(b, x, epochs=1, batch_size=batch_size, lr=1e-3, progress=False, kernel="torch")
    assert np.allclose(ha, hb, rtol=1e-4)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.allclose(p, q, atol=1e-4), p.shape
    assert all(p.grad is None for p in a.parameters())


def test_rejects_bad_input():
    ens = _ensemble((16, 8))
    x, idx, genes = _batch(10)
    step = CompiledStep(ens, max_batch=10, n_kept=KEPT, lr=1e-3)
    xn, ixn, gn = x.numpy(), idx.numpy(), genes.numpy()
    with pytest.raises(ValueError, match="2 to 10 cells"):
        step.step(xn, ixn[:1], gn, temperature=0.07)
    with pytest.raises(ValueError, match="genes must have shape"):
        step.step(xn, ixn, gn[..., :3], temperature=0.07)
    with pytest.raises(ValueError, match="genes must have shape"):  # several steps' subsets: check() only
        step.step(xn, ixn, gn[None], temperature=0.07)
    with pytest.raises(ValueError, match="float32"):
        step.step(xn.astype(np.float64), ixn, gn, temperature=0.07)
    with pytest.raises(IndexError, match="out of range"):  # the compiled code itself does not check indices
        step.step(xn, np.where(ixn == ixn[0], N, ixn), gn, temperature=0.07)
    with pytest.raises(IndexError, match="out of range"):
        step.step(xn, ixn, np.where(gn == gn[0, 0, 0], -1, gn), temperature=0.07)
    with pytest.raises(ValueError, match="temperature"):
        step.step(xn, ixn, gn, temperature=0.0)
    with pytest.raises(ValueError, match="rows hold a"):
        step.step(xn, ixn, gn, temperature=0.07, rows=offset_rows(_sparse_like(n=N + 1).numpy()))
    with pytest.raises(ValueError, match="float32 ensembles on the CPU"):
        CompiledStep(_ensemble((16, 8)).double(), max_batch=10, n_kept=KEPT, lr=1e-3)
    with pytest.raises(TypeError, match="lr"):  # Adam's learning rate has no default of its own
        CompiledStep(_ensemble((16, 8)), max_batch=10, n_kept=KEPT)


def test_checks_a_whole_epoch_at_once():
    """What the training loop relies on when it skips the per-step checks: every minibatch and every step's genes."""
    ens = _ensemble((16, 8))
    x, idx, genes = _batch(10)
    step = CompiledStep(ens, max_batch=10, n_kept=KEPT, lr=1e-3)
    xn, ixn, epoch_genes = x.numpy(), idx.numpy(), np.stack([genes.numpy()] * 3)
    step.check(xn, [ixn, ixn[:4], ixn[4:]], epoch_genes, temperature=0.07)  # valid: no error
    with pytest.raises(ValueError, match="2 to 10 cells"):
        step.check(xn, [ixn, ixn[:1]], epoch_genes, temperature=0.07)
    with pytest.raises(IndexError, match="out of range"):  # only the last minibatch is wrong
        step.check(xn, [ixn, np.where(ixn == ixn[0], N, ixn)], epoch_genes, temperature=0.07)
    bad = epoch_genes.copy()
    bad[2, 0, 1, 0] = GENES
    with pytest.raises(IndexError, match="out of range"):  # only the last step's subsets are wrong
        step.check(xn, [ixn], bad, temperature=0.07)


def test_training_keeps_pytorchs_thread_count():
    """PyTorch's thread count is the caller's, during training and after.

    numba and PyTorch share OpenMP, and numba's first parallel call resets its thread count: the compiled step must
    leave PyTorch's as the caller set it (a one-thread grid worker stays one thread).
    """
    import numba

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        seen = []
        x = torch.randn(64, 30, generator=torch.Generator().manual_seed(0))
        train(
            EncoderEnsemble(3, 30, (8, 4), seed=0),
            x,
            epochs=1,
            batch_size=16,
            progress=False,
            kernel="compiled",
            stop=lambda ens, step: seen.append((torch.get_num_threads(), numba.get_num_threads())),
        )
        assert set(seen) == {(1, 1)} and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


_TRAIN_AND_HASH = """
import hashlib, torch
from csc_core.method.encoder import EncoderEnsemble, embed
from tests.helpers import _sparse_like, train
torch.set_num_threads(2)
digest = hashlib.sha256()
dense = torch.randn(300, 1500, generator=torch.Generator().manual_seed(0))
for x in (_sparse_like(n=300, genes=1500, density=0.05, seed=3), dense):  # the sparse and the dense first layer
    ens = EncoderEnsemble(3, 1500, (64, 32), seed=0)  # the defaults' shapes
    hist = train(ens, x, epochs=2, batch_size=100, lr=1e-2, progress=False, kernel="compiled")
    digest.update(hist.tobytes())
    digest.update(embed(ens, x).numpy().tobytes())
print(digest.hexdigest())
"""


def test_compiling_and_loading_from_numbas_cache_give_the_same_bits(tmp_path):
    """A process that compiles the step and one that loads it from numba's cache train the same encoders.

    The first process on a machine compiles the step and writes numba's cache; later ones load it. Both must train
    the same encoders: when LLVM inlined the helper functions into the freshly compiled step but the cached step called
    them, the two rounded differently and worm's seed-0 ARI was 0.51 on a first run and 0.62 on every later one.
    """
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    root = Path(__file__).resolve().parents[2]

    def run():
        out = subprocess.run([sys.executable, "-c", _TRAIN_AND_HASH], cwd=root, env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr[-2000:]
        return out.stdout.strip()

    fresh = run()
    assert any(tmp_path.rglob("*.nbi")), "the first run did not write numba's cache"
    assert run() == fresh


def _files(folder, mtimes):
    for name, mtime in mtimes.items():
        (folder / name).write_text("# " + name)
        os.utime(folder / name, (mtime, mtime))


def test_a_helper_newer_than_the_step_touches_the_step(tmp_path):
    """numba's cache checks only the defining file: an edited helper must make step.py (and adam.py) look edited."""
    _files(tmp_path, {"step.py": 1000, "adam.py": 1000, "layers.py": 2000, "nt_xent.py": 500, "_jit.py": 500})
    assert refresh_cache_stamp(tmp_path) == ["step.py"]
    assert (tmp_path / "step.py").stat().st_mtime > 2000 and (tmp_path / "adam.py").stat().st_mtime == 1000
    assert refresh_cache_stamp(tmp_path) == []  # touched once: now newer than its helpers
    os.utime(tmp_path / "step.py", (1000, 1000))
    os.utime(tmp_path / "_jit.py", (3000, 3000))  # _jit.py is compiled into both
    assert sorted(refresh_cache_stamp(tmp_path)) == ["adam.py", "step.py"]


def test_a_step_newer_than_its_helpers_is_left_alone(tmp_path):
    _files(tmp_path, {"step.py": 5000, "adam.py": 5000, "layers.py": 2000, "nt_xent.py": 3000, "_jit.py": 4000})
    assert refresh_cache_stamp(tmp_path) == []
    assert (tmp_path / "step.py").stat().st_mtime == 5000 and (tmp_path / "adam.py").stat().st_mtime == 5000


def test_missing_files_are_no_error(tmp_path):
    assert refresh_cache_stamp(tmp_path) == []  # an empty folder
    _files(tmp_path, {"step.py": 1000, "_jit.py": 2000})  # layers.py, nt_xent.py and adam.py missing
    assert refresh_cache_stamp(tmp_path) == [] and (tmp_path / "step.py").stat().st_mtime == 1000


def test_the_dependencies_name_every_file_compiled_into_the_step_and_adam():
    """Every module step.py and adam.py import from (and those import from, in turn) is listed.

    A helper file the list missed would leave a stale step in numba's cache after an edit.
    """
    import ast

    folder = Path(compiled.__file__).parent

    def imports(name):
        tree = ast.parse((folder / name).read_text())
        return {f"{node.module}.py" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1}

    for target, helpers in DEPENDENCIES.items():
        found, todo = set(), [target]
        while todo:
            for name in imports(todo.pop()) - found:
                found.add(name)
                todo.append(name)
        assert found == set(helpers), target
        assert all((folder / h).is_file() for h in (target, *helpers))
