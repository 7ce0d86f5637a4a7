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

from functools import lru_cache

from bench import common

STEPS = (100, 150, 250, 350, 500)


@lru_cache(maxsize=1)
def _load(dataset: str):
    import csc_core

    return csc_core.data.load(dataset)  # one data set at a time: tasks are ordered by data set


def _run(dataset: str, seed: int, steps: str, kernel: str = "torch") -> list[dict]:
    from csc_core import DEFAULTS
    from csc_core.harness.timing import time_pipelines
    from csc_core.pipeline.train import batches_per_epoch, epochs_for

    adata = _load(dataset)
    params = {} if steps == "default" else {"epochs": 1, "min_steps": int(steps)}
    csc, scanpy = time_pipelines(adata, seed=seed, kernel=kernel, **params)
    s = DEFAULTS.replace(**params)
    steps_run = batches_per_epoch(adata.n_obs, s.batch_size) * epochs_for(
        adata.n_obs, epochs=s.epochs, min_steps=s.min_steps, batch_size=s.batch_size
    )
    return [
        {
            **csc,
            "steps_run": steps_run,
            "scanpy_total": scanpy["total"],
            "scanpy_ari": scanpy["ari"],
            "ratio": csc["total"] / scanpy["total"],
        }
    ]


def main(argv=None) -> None:
    from csc_core import DEFAULTS
    from csc_core.kernels import resolve_kernel

    p = common.parser("speed-frontier", __doc__, threads=2, workers=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", nargs="+", default=[str(s) for s in STEPS] + ["default"])
    p.add_argument("--datasets", nargs="+", default=None)
    p.add_argument("--kernel", default="auto", help="contrastive-sc's training step: auto, compiled or torch")
    args = p.parse_args(argv)
    # stored with each row: the two kernels round differently
    kernel = resolve_kernel(args.kernel, device="cpu", mask=DEFAULTS.mask)
    common.setup(threads=args.threads, kernel=kernel)  # numba's one-off compilation outside every timing
    tasks = [
        dict(dataset=d, seed=s, steps=str(n), kernel=kernel)
        for d in common.real_datasets(args.datasets)
        for s in args.seeds
        for n in args.steps
    ]
    common.grid("speed_frontier", tasks, _run, workers=args.workers, desc="speed-frontier")


if __name__ == "__main__":
    main()
