"""On-demand benchmarks (not part of the test suite). Results are written beside each script."""
