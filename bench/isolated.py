"""Run a measurement in a fresh process, so its peak RSS and imports are its own."""

from __future__ import annotations

import multiprocessing as mp


def run_isolated(fn, *args):
    """``fn(*args)`` in a new spawned Python process; returns its result (``fn`` must be importable).

    The worker is asked to exit (``close`` + ``join``) rather than killed (what leaving ``with Pool()`` does): killed,
    it could not release the semaphores joblib's loky workers hold, and the resource tracker warned about each of them.
    """
    pool = mp.get_context("spawn").Pool(1)
    try:
        return pool.apply(fn, args)
    finally:
        pool.close()
        pool.join()
