"""The book's and the benchmarks' machinery — never imported by ``import csc_core``.

- :mod:`.store` (the result store), :mod:`.grid` (resumable grids on local workers or Dask), :mod:`.machine` (which
  processor, how busy);
- :mod:`.methods` (one data set × seed: every method scored), :mod:`.grids` (the paper's grids, keyed by settings),
  :mod:`.tables` (tables the chapters show);
- :mod:`.timing` (timing the pipelines), :mod:`.stopping_tables`, :mod:`.runs` (comparing benchmark runs);
- :mod:`.figures` and :mod:`.cost_figures` (seaborn figures), :mod:`.chapter` (what chapters share),
  :mod:`.book` (the book runner), :mod:`.browser` (the real-browser check of the rendered book).
"""
