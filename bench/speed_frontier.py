"""What training length buys: ARI and the csc / scanpy wall-time ratio against the number of optimizer steps.

The issue's target — contrastive-sc end to end within 1.5× scanpy's standard pipeline on ``worm_neuron_cell`` — needs
training to fit in what is left of that budget after preprocessing, the kNN graph and the Leiden runs. This benchmark
measures the trade-off directly: for each data set and seed, contrastive-sc trained for a fixed number of steps
(``epochs=1, min_steps=S``: whole epochs until at least ``S`` minibatches of 128) and, in the same process right after,
scanpy's standard pipeline, so every row carries its own ratio. ``"default"`` is the current defaults (10 epochs, at
least 500 steps). Everything else is the defaults (3 encoders 64 → 32, ``resolution="auto"``).

The ratio here is measured in one long-lived process (after numba's compilation), not in a fresh process per
measurement as ``python -m bench speed`` does; ratios agree within noise. Rows go to
``bench/results/speed_frontier.csv``; rerunning skips what is stored.

    python -m bench speed-frontier [--seeds 0 1 2] [--steps 100 150 250 350 500] [--datasets ...] [--kernel auto]
"""

from __future__ import annotations

import argparse
from functools import lru_cache
from pathlib import Path

import torch

from csc_core import cost, data
from csc_core.contrastive import DEFAULTS
from csc_core.experiments import ResultStore, run_grid
from csc_core.train import batches_per_epoch, epochs_for, resolve_kernel

OUT = Path(__file__).parent / "results" / "speed_frontier.csv"
STEPS = (100, 150, 250, 350, 500)


@lru_cache(maxsize=1)
def _load(dataset: str):
    return data.load(dataset)  # one data set at a time: tasks are ordered by data set


def _run(dataset: str, seed: int, steps: str, kernel: str = "torch") -> list[dict]:
    adata = _load(dataset)
    params = {} if steps == "default" else {"epochs": 1, "min_steps": int(steps)}
    csc, scanpy = cost.time_pipelines(adata, seed=seed, kernel=kernel, **params)
    s = {**DEFAULTS, **params}
    steps_run = batches_per_epoch(adata.n_obs, s["batch_size"]) * epochs_for(
        adata.n_obs, epochs=s["epochs"], min_steps=s["min_steps"], batch_size=s["batch_size"])
    return [{**csc, "steps_run": steps_run, "scanpy_total": scanpy["total"], "scanpy_ari": scanpy["ari"],
             "ratio": csc["total"] / scanpy["total"]}]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench speed-frontier", description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", nargs="+", default=[str(s) for s in STEPS] + ["default"])
    p.add_argument("--datasets", nargs="+", default=[n for n in data.available() if data.fetchable(n)])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--kernel", default="auto", help="contrastive-sc's training step: auto, compiled or torch")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    kernel = resolve_kernel(args.kernel, device="cpu")  # stored with each row: the two kernels round differently
    cost.warm_up(kernel=kernel)  # numba's one-off compilation outside every timing
    tasks = [dict(dataset=d, seed=s, steps=str(n), kernel=kernel) for d in args.datasets for s in args.seeds
             for n in args.steps]
    run_grid(tasks, _run, ResultStore(OUT), desc="speed-frontier")


if __name__ == "__main__":
    main()
