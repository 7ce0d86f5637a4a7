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


def glue_values(values: dict) -> None:
    """Glue each value under its name for the chapter's prose (MyST-NB ``glue``, not displayed where it is glued).

    The markdown then quotes them as ``{glue:text}`name:.2f```. numpy scalars are glued as the Python number they
    hold, so that the page never shows a repr such as ``np.float64(1.5)``.

    Parameters
    ----------
    values
        Name → value.
    """
    import numpy as np
    from myst_nb import glue

    for name, value in values.items():
        glue(name, value.item() if isinstance(value, np.generic) else value, display=False)


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


def absent_datasets(shown) -> dict[str, str]:
    """The paper data sets a chapter does not show, each with why: no download here, or not computed yet.

    Parameters
    ----------
    shown
        The data sets the chapter's stored rows hold.

    Returns
    -------
    dict
        Name → ``"no download"`` (neither here nor downloadable now) or ``"not computed yet"`` (downloadable: the
        paper profile computes it), for every paper data set of :func:`csc_core.data.available` not in ``shown``.
    """
    from .. import data

    shown = set(shown)
    return {
        name: "not computed yet" if data.fetchable(name) else "no download"
        for name in data.available(paper=True)
        if name not in shown
    }


def absent_note(shown) -> str:
    """Markdown naming each paper data set a chapter does not show and why (:func:`absent_datasets`); ``""`` if none.

    Parameters
    ----------
    shown
        The data sets the chapter's stored rows hold.

    Returns
    -------
    str
        One line per reason, the data sets named; empty when every paper data set is shown.
    """
    absent = absent_datasets(shown)
    lines = {
        "no download": "**Not computed here: no download** — the file could not be found or downloaded where this page "
        "was built: ",
        "not computed yet": "**Not computed yet** — downloadable, but not in the stored results; the paper profile "
        "(`make book PROFILE=paper`) computes it: ",
    }
    out = []
    for reason, text in lines.items():
        names = [n for n, r in absent.items() if r == reason]
        if names:
            out.append(text + ", ".join(f"`{n}`" for n in names) + ".")
    return "\n\n".join(out)
