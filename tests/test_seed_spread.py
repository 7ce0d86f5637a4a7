"""The seed-spread bench's plumbing: a past revision checked out apart and cleaned up, labels, the summary."""

import shutil
import subprocess

import pandas as pd
import pytest

from bench import seed_spread

pytestmark = pytest.mark.skipif(shutil.which("git") is None or not (seed_spread.REPO / ".git").exists(),
                                reason="needs git and a git checkout")


def test_a_revision_is_checked_out_into_its_own_tree_and_removed_after():
    with seed_spread.source_tree("HEAD~1") as tree:
        assert tree != seed_spread.REPO and (tree / "csc_core" / "contrastive.py").is_file()
        listed = subprocess.run(["git", "worktree", "list"], cwd=seed_spread.REPO, capture_output=True, text=True)
        assert str(tree) in listed.stdout
    assert not tree.exists()
    listed = subprocess.run(["git", "worktree", "list"], cwd=seed_spread.REPO, capture_output=True, text=True)
    assert str(tree) not in listed.stdout


def test_this_checkout_needs_no_worktree_and_labels_name_commits():
    with seed_spread.source_tree(None) as tree:
        assert tree == seed_spread.REPO
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=seed_spread.REPO, capture_output=True,
                          text=True).stdout.strip()
    assert seed_spread.revision_label("HEAD") == head
    assert seed_spread.revision_label(None) in (head, head + "+changes")


def test_summary_per_processor_and_revision():
    rows = pd.DataFrame({"dataset": "w", "cpu": ["A", "A", "B", "B"], "revision": "r", "ari": [0.5, 0.6, 0.4, 0.4]})
    table = seed_spread.summary(rows)
    assert table.loc[("w", "A", "r"), "mean"] == pytest.approx(0.55)
    assert table.loc[("w", "B", "r"), "std"] == 0 and table.loc[("w", "A", "r"), "count"] == 2
