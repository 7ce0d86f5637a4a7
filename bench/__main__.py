"""``python -m bench <name> [options]``: run one benchmark (``--help`` after the name lists its options).

Benchmarks: speed, speed-frontier, timing, tune, tune-speed, tune-resolution, scale, early-stopping,
stopping-trajectory, seed-spread, clustering-spread, param-hash, generalisation, clustering-cost,
competitor-speed, lr-decay. ``bench/README.md``
says what each answers, where its rows go and how long it takes.
"""

import importlib
import sys

#: Benchmark name → its module (imported only when run, so ``python -m bench`` answers at once).
BENCHMARKS = {
    "speed": "bench.speed",
    "speed-frontier": "bench.speed_frontier",
    "timing": "bench.timing",
    "tune": "bench.tune_defaults",
    "tune-speed": "bench.tune_speed",
    "tune-resolution": "bench.tune_resolution",
    "scale": "bench.scale",
    "early-stopping": "bench.early_stopping",
    "stopping-trajectory": "bench.stopping_trajectory",
    "seed-spread": "bench.seed_spread",
    "clustering-spread": "bench.clustering_spread",
    "param-hash": "bench.param_hash",
    "generalisation": "bench.generalisation",
    "clustering-cost": "bench.clustering_cost",
    "competitor-speed": "bench.competitor_speed",
    "lr-decay": "bench.lr_decay",
}


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] not in BENCHMARKS:
        sys.exit(f"usage: python -m bench {{{','.join(BENCHMARKS)}}} [options]")
    importlib.import_module(BENCHMARKS[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    main()
