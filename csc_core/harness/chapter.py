"""What the book's chapters share: finding the repository, and the data sets and seeds each profile runs."""

from __future__ import annotations

import os
from pathlib import Path

#: What the real-data chapters run in each profile: ``"quick"`` the two 2,100-cell data sets with seed 0 (or read back
#: from ``results/``); ``"paper"`` every data set with seeds 0, 1, 2.
REAL_DATA_PROFILES = {
    "quick": {"datasets": ["10X_PBMC_select_2100_top2000", "worm_neuron_cell_select_2100"], "seeds": [0]},
    "paper": {"datasets": None, "seeds": [0, 1, 2]},  # None: every paper data set of csc_core.data.available
}


def find_root(start: str | os.PathLike = ".") -> Path:
    """The nearest folder at or above ``start`` holding ``_toc.yml`` (the book's root).

    Parameters
    ----------
    start
        Where to start looking.

    Returns
    -------
    pathlib.Path
        The book's root, resolved.

    Raises
    ------
    FileNotFoundError
        If no folder at or above ``start`` holds ``_toc.yml``.
    """
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "_toc.yml").exists():
            return folder
    raise FileNotFoundError(f"No _toc.yml at or above {start}: run this from inside the book's repository.")


def real_data_plan(profile: str, datasets=None, seeds=None) -> tuple[list[str], list[int]]:
    """The data sets and seeds a real-data chapter runs.

    Those given, else the profile's (:data:`REAL_DATA_PROFILES`); of the profile's data sets, those that can be
    neither found locally nor downloaded are skipped.

    Parameters
    ----------
    profile
        ``"quick"`` or ``"paper"``.
    datasets
        Data set names to run; ``None``: the profile's.
    seeds
        Seeds to run; ``None`` (or empty): the profile's.

    Returns
    -------
    datasets : list of str
        The data sets to run.
    seeds : list of int
        The seeds to run.

    Raises
    ------
    ValueError
        If ``profile`` is not a key of :data:`REAL_DATA_PROFILES`.
    """
    from .. import data

    if profile not in REAL_DATA_PROFILES:
        raise ValueError(f"profile must be one of {list(REAL_DATA_PROFILES)}, got {profile!r}.")
    plan = REAL_DATA_PROFILES[profile]
    if datasets is None:
        datasets = [d for d in (plan["datasets"] or data.available(paper=True)) if data.fetchable(d)]
    return list(datasets), list(seeds or plan["seeds"])
