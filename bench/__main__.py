"""``python -m bench <name> [options]``: run one benchmark (speed, tune, scale)."""

import sys

from bench import scale, speed, tune_defaults

BENCHMARKS = {"speed": speed.main, "tune": tune_defaults.main, "scale": scale.main}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in BENCHMARKS:
        sys.exit(f"usage: python -m bench {{{','.join(BENCHMARKS)}}} [options]")
    BENCHMARKS[sys.argv[1]](sys.argv[2:])
