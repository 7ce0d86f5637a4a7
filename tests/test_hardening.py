"""Inputs and interruptions a user will meet: each case fails without its guard."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

import csc_core
from csc_core.experiments import ResultStore

from .conftest import make_counts

FAST = dict(n_genes=40, epochs=2, min_steps=20, progress=False)


def test_all_zero_genes_are_dropped_not_turned_into_nan():
    adata = make_counts()
    x = adata.X.toarray()
    x[:, :5] = 0  # five genes never detected
    adata.X = sp.csr_matrix(x)
    csc_core.contrastive_sc(adata, n_neighbors=10, **{**FAST, "n_genes": 200})
    assert np.isfinite(adata.obsm["X_csc"]).all()
    assert adata.uns["csc"]["params"]["n_genes_kept"] == adata.n_vars - 5


def test_fewer_cells_than_the_batch_size_train_on_one_minibatch():
    adata = make_counts(n_per_type=12)  # 36 cells, batch of 128
    csc_core.contrastive_sc(adata, batch_size=128, n_neighbors=10, **FAST)
    assert np.isfinite(adata.obsm["X_csc"]).all() and len(adata.uns["csc"]["loss"]) >= 1


def test_a_single_cell_type_gives_a_clustering_without_errors():
    adata = make_counts(n_types=1, n_per_type=60)
    csc_core.contrastive_sc(adata, n_neighbors=10, **FAST)
    assert adata.obs["csc_cluster"].notna().all()
    assert csc_core.metrics.scores(adata.obs["cell_type"], adata.obs["csc_cluster"])["n_clusters"] >= 1


_GRID = textwrap.dedent("""
    import sys, time
    from csc_core.experiments import ResultStore, run_grid

    def run(task_id):
        time.sleep(0.4)
        return [{"method": m, "value": task_id * 10 + i} for i, m in enumerate("abc")]

    run_grid([{"task_id": i} for i in range(50)], run, ResultStore(sys.argv[1]), progress=False)
""")


def test_a_grid_killed_mid_run_leaves_whole_tasks_and_resumes(tmp_path):
    path = tmp_path / "grid.csv"
    script = tmp_path / "grid.py"
    script.write_text(_GRID)
    proc = subprocess.Popen([sys.executable, str(script), str(path)], env={**os.environ, "PYTHONPATH": os.getcwd()})
    deadline = time.time() + 60
    while time.time() < deadline and (not path.exists() or len(pd.read_csv(path)) < 9):
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)  # no cleanup, no finally: as a crash or an out-of-memory kill
    proc.wait()
    stored = pd.read_csv(path)  # still a readable table
    per_task = stored.groupby("task_id").size()
    assert len(per_task) >= 3 and (per_task == 3).all()  # every stored task is whole
    done = set(per_task.index)

    ran = []

    def run(task_id):
        ran.append(task_id)
        return [{"method": m, "value": task_id * 10 + i} for i, m in enumerate("abc")]

    from csc_core.experiments import run_grid

    out = run_grid([{"task_id": i} for i in range(50)], run, ResultStore(path), progress=False)
    assert sorted(ran) == sorted(set(range(50)) - done)  # only the missing tasks ran again
    assert len(out) == 150 and len(ResultStore(path).load()) == 150
