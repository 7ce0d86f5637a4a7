"""``python -m bench <name> [options]``: run one benchmark.

Benchmarks: speed, speed-frontier, timing, tune, tune-speed, tune-resolution, scale, early-stopping, stopping-trajectory,
seed-spread, clustering-spread.
"""

import sys

from bench import (clustering_spread, early_stopping, scale, seed_spread, speed, speed_frontier,
                   stopping_trajectory, timing, tune_defaults, tune_resolution, tune_speed)

BENCHMARKS = {"speed": speed.main, "tune": tune_defaults.main, "tune-speed": tune_speed.main,
              "tune-resolution": tune_resolution.main, "scale": scale.main,
              "speed-frontier": speed_frontier.main, "timing": timing.main,
              "early-stopping": early_stopping.main, "stopping-trajectory": stopping_trajectory.main,
              "seed-spread": seed_spread.main, "clustering-spread": clustering_spread.main}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in BENCHMARKS:
        sys.exit(f"usage: python -m bench {{{','.join(BENCHMARKS)}}} [options]")
    BENCHMARKS[sys.argv[1]](sys.argv[2:])
