"""On-demand benchmarks, not part of the test suite.

Run one with ``python -m bench <name>``; the shared plumbing is :mod:`bench.common`, the rows go to ``bench/results/``
and ``bench/README.md`` lists them all.
"""
