"""Run a measurement in a fresh process, so its peak RSS and imports are its own."""

from __future__ import annotations

import multiprocessing as mp


def run_isolated(fn, *args):
    """``fn(*args)`` in a new spawned Python process; returns its result (``fn`` must be importable)."""
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)
