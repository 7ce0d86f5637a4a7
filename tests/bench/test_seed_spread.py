"""The seed-spread bench's plumbing: a past revision checked out apart and cleaned up, labels, the summary."""

import shutil
import subprocess

import pandas as pd
import pytest

from bench import seed_spread

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (seed_spread.REPO / ".git").exists(), reason="needs git and a git checkout"
)


def test_a_revision_is_checked_out_into_its_own_tree_and_removed_after():
    with seed_spread.source_tree("HEAD~1") as tree:
        assert tree != seed_spread.REPO and (tree / "csc_core" / "__init__.py").is_file()  # any revision has it
        listed = subprocess.run(["git", "worktree", "list"], cwd=seed_spread.REPO, capture_output=True, text=True)
        assert str(tree) in listed.stdout
    assert not tree.exists()
    listed = subprocess.run(["git", "worktree", "list"], cwd=seed_spread.REPO, capture_output=True, text=True)
    assert str(tree) not in listed.stdout


def test_this_checkout_needs_no_worktree_and_labels_name_commits():
    with seed_spread.source_tree(None) as tree:
        assert tree == seed_spread.REPO
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=seed_spread.REPO, capture_output=True, text=True
    ).stdout.strip()
    assert seed_spread.revision_label("HEAD") == head
    assert seed_spread.revision_label(None) in (head, head + "+changes")


def test_summary_per_processor_and_revision():
    rows = pd.DataFrame({"dataset": "w", "cpu": ["A", "A", "B", "B"], "revision": "r", "ari": [0.5, 0.6, 0.4, 0.4]})
    table = seed_spread.summary(rows)
    assert table.loc[("w", "A", "r"), "mean"] == pytest.approx(0.55)
    assert table.loc[("w", "B", "r"), "std"] == 0 and table.loc[("w", "A", "r"), "count"] == 2


def test_reclustering_reproduces_the_defaults_clustering_and_fixed_resolutions(adata):
    from csc_core import DEFAULTS, contrastive_sc
    from csc_core.data import metrics
    from csc_core.pipeline import cluster

    run = contrastive_sc(adata, seed=1, progress=False, copy=True, epochs=2, min_steps=20)
    truth = adata.obs["cell_type"].to_numpy()
    rows = seed_spread.recluster(run.obsm["X_csc"], truth, seed=1, resolutions=["auto", 0.3])
    assert [r["clustering"] for r in rows] == ["auto", "0.3"]
    assert rows[0]["ari"] == metrics.scores(truth, run.obs["csc_cluster"])["ari"]
    fixed = cluster.leiden(run.obsm["X_csc"], n_neighbors=DEFAULTS.n_neighbors, resolution=0.3, seed=1)
    assert rows[1]["ari"] == metrics.scores(truth, fixed)["ari"]


def test_resolutions_are_auto_or_positive():
    assert seed_spread.parse_resolution("auto") == "auto" and seed_spread.parse_resolution("0.3") == 0.3
    for bad in ("0", "-1", "nan", "fast"):
        with pytest.raises(ValueError):
            seed_spread.parse_resolution(bad)
