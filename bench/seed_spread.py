"""ARI of contrastive-sc's defaults over many seeds on one data set, for this checkout or a past git revision.

Three seeds cannot tell a small change in accuracy from noise on the harder data sets (worm's ARI moves by ±0.04 from
seed to seed), and another processor moves single seeds too. This bench answers "did a change cost accuracy?" on the
machine at hand: it runs the defaults of this checkout, or of any earlier commit (``--rev``, checked out into a
temporary git worktree and imported from there), for every seed, in a fresh process per revision. Rows go to
``bench/results/seed_spread.csv`` with the processor and the revision.

    python -m bench seed-spread [--dataset worm_neuron_cell] [--seeds 0 1 ... 10] [--rev 5f31d1b]
                                [--recluster auto 0.3]

Each row is the ARI of ``contrastive_sc(adata, seed=s)`` with that revision's defaults: the revision's own
preprocessing, training and clustering, whatever they were then.

``--recluster`` separates training from clustering: each seed's embedding (the revision's training) is clustered
again by *this checkout's* Leiden, with the defaults' neighbours and each resolution given (``auto``: the defaults'
rule; a number: that fixed resolution) and the same seed. Those rows go to ``bench/results/seed_spread_reclustered.csv``
(``clustering`` names the resolution), so that "did the training change cost accuracy?" can be asked with the
clustering held fixed — e.g. the first implementation's training under today's ``resolution="auto"``, and today's
training at the first implementation's fixed 0.3.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from bench import common

REPO = common.REPO

#: Runs inside the revision's own code; uses only what every revision of csc_core had: ``data.load`` and
#: ``contrastive_sc(adata, seed=, progress=, copy=)`` writing one ``obs`` column whose name starts with "csc" and the
#: embedding in ``obsm["X_csc"]``, saved to ``$CSC_SPREAD_EMBEDDINGS/<seed>.npy`` when that folder is given.
_JOB = """
import json, os, sys, time, warnings
warnings.filterwarnings("ignore")
import numpy as np
import csc_core
from sklearn.metrics import adjusted_rand_score
dataset, seeds = sys.argv[1], [int(s) for s in sys.argv[2:]]
keep = os.environ.get("CSC_SPREAD_EMBEDDINGS")
adata = csc_core.data.load(dataset)
for seed in seeds:
    t0 = time.perf_counter()
    out = csc_core.contrastive_sc(adata, seed=seed, progress=False, copy=True)
    (column,) = [c for c in out.obs.columns if c.startswith("csc")]
    if keep:
        np.save(os.path.join(keep, f"{seed}.npy"), out.obsm["X_csc"])
    print(json.dumps({"seed": seed, "ari": adjusted_rand_score(adata.obs["cell_type"], out.obs[column]),
                      "n_clusters": int(out.obs[column].nunique()), "seconds": time.perf_counter() - t0}),
          flush=True)
"""


def _git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def revision_label(rev: str | None) -> str:
    """The short commit hash of ``rev``, or of this checkout.

    ``+changes`` is appended when the checkout's code has uncommitted changes (the result tables under
    ``bench/results`` do not count: every bench run adds to them).
    """
    if rev is not None:
        return _git("rev-parse", "--short", rev)
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results")  # not the results
    return _git("rev-parse", "--short", "HEAD") + ("+changes" if dirty else "")


@contextmanager
def source_tree(rev: str | None):
    """Yield this checkout, or ``rev`` checked out into a temporary git worktree (removed afterwards)."""
    if rev is None:
        yield REPO
        return
    with tempfile.TemporaryDirectory(prefix="csc-rev-") as tmp:
        tree = Path(tmp) / "tree"
        _git("worktree", "add", "--detach", str(tree), rev)
        try:
            yield tree
        finally:
            _git("worktree", "remove", "--force", str(tree))


def run_revision(dataset: str, seeds: list[int], rev: str | None = None, embeddings: Path | None = None) -> list[dict]:
    """One row per seed: the ARI of ``rev``'s (or this checkout's) defaults on ``dataset``, in a fresh process.

    With ``embeddings`` (a folder), each seed's embedding is also saved there as ``<seed>.npy``.
    """
    with source_tree(rev) as tree:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        if embeddings is not None:
            env["CSC_SPREAD_EMBEDDINGS"] = str(embeddings)
        proc = subprocess.run(
            [sys.executable, "-c", _JOB, dataset, *map(str, seeds)], cwd=tree, env=env, capture_output=True, text=True
        )
    if proc.returncode != 0:
        raise RuntimeError(f"revision {rev or 'HEAD'} failed on {dataset}:\n{proc.stderr[-2000:]}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def parse_resolution(text: str) -> float | str:
    """``"auto"`` or a positive number, as ``--recluster`` takes them."""
    if text == "auto":
        return text
    value = float(text)
    if not value > 0:
        raise ValueError(f"A resolution must be 'auto' or positive, got {text!r}.")
    return value


def recluster(embedding, truth, *, seed: int, resolutions) -> list[dict]:
    """ARI of this checkout's Leiden on ``embedding`` (the defaults' neighbours, ``seed``) at each resolution."""
    from csc_core import DEFAULTS
    from csc_core.data import metrics
    from csc_core.pipeline import cluster

    rows = []
    for resolution in resolutions:
        labels = cluster.leiden(embedding, n_neighbors=DEFAULTS.n_neighbors, resolution=resolution, seed=seed)
        scores = metrics.scores(truth, labels)
        rows.append(
            {"clustering": str(resolution), "seed": seed, "ari": scores["ari"], "n_clusters": scores["n_clusters"]}
        )
    return rows


def summary(rows):
    """Mean, standard deviation, range and count of the ARI per data set, processor and revision."""
    return rows.groupby(["dataset", "cpu", "revision"], sort=False)["ari"].agg(["mean", "std", "min", "max", "count"])


def main(argv=None) -> None:
    import pandas as pd

    p = common.parser("seed-spread", __doc__)
    p.add_argument("--dataset", default="worm_neuron_cell")
    p.add_argument("--seeds", type=int, nargs="+", default=list(range(11)))
    p.add_argument("--rev", default=None, help="a git revision to measure instead of this checkout")
    p.add_argument(
        "--recluster",
        nargs="+",
        default=[],
        type=parse_resolution,
        metavar="RESOLUTION",
        help="also cluster each embedding with this checkout's Leiden at these resolutions ('auto' or "
        "numbers); rows to bench/results/seed_spread_reclustered.csv",
    )
    args = p.parse_args(argv)
    if args.threads is not None:  # the revision runs in its own process: PyTorch reads the thread count from there
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    common.set_threads(args.threads)  # this process's reclustering
    when, info = common.run_stamp(), {"revision": revision_label(args.rev), "dataset": args.dataset}
    common.check_quiet("seed-spread")
    load = common.load_average()
    with tempfile.TemporaryDirectory(prefix="csc-embeddings-") as folder:
        kept = Path(folder) if args.recluster else None
        measured = run_revision(args.dataset, args.seeds, args.rev, embeddings=kept)
        rows = common.add(common.store("seed_spread"), [{**info, **row} for row in measured], run=when, load=load)
        print(summary(pd.DataFrame(rows)).round(3).to_string())
        if args.recluster:
            import numpy as np

            from csc_core import data

            truth = data.load(args.dataset).obs["cell_type"].to_numpy()
            load = common.load_average()
            again = [
                {**info, "clustered_by": revision_label(None), **row}
                for seed in args.seeds
                for row in recluster(np.load(kept / f"{seed}.npy"), truth, seed=seed, resolutions=args.recluster)
            ]
            if args.rev is None and "auto" in args.recluster:  # this checkout's own clustering, run again
                own = {row["seed"]: row["ari"] for row in rows}
                assert all(row["ari"] == own[row["seed"]] for row in again if row["clustering"] == "auto"), (
                    "reclustering did not reproduce contrastive_sc's own clustering"
                )
            common.add(common.store("seed_spread_reclustered"), again, run=when, load=load)
            print(pd.DataFrame(again).groupby("clustering", sort=False)["ari"].agg(["mean", "count"]).round(3))


if __name__ == "__main__":
    main()
