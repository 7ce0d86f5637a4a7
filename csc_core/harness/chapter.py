"""What the book's chapters share: one setup call, one profile vocabulary, the data sets and seeds each profile runs.

Every chapter starts with :func:`setup`: it checks the profile (the same two names in every chapter, :data:`PROFILES`),
sets the figures' defaults once, finds the repository and its ``results/`` folder and returns the chapter's
:class:`Plan`. After its grids ran, a chapter prints one line about the rows it shows (:func:`run_summary`) instead of
a line per task.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: The profiles every chapter accepts: ``"quick"`` (about a minute per chapter on 2 cores: a few data sets with seed
#: 0, the rest read back from ``results/``) and ``"paper"`` (the paper's full grid: every data set, seeds 0, 1, 2).
PROFILES = ("quick", "paper")

#: What the real-data chapters run in each profile: ``"quick"`` the two 2,100-cell data sets with seed 0 (or read back
#: from ``results/``); ``"paper"`` every data set with seeds 0, 1, 2.
REAL_DATA_PROFILES = {
    "quick": {"datasets": ["10X_PBMC_select_2100_top2000", "worm_neuron_cell_select_2100"], "seeds": [0]},
    "paper": {"datasets": None, "seeds": [0, 1, 2]},  # None: every paper data set of csc_core.data.available
}


def _simulated(*datasets):
    return {"quick": {"datasets": list(datasets), "seeds": [0]}, "paper": {"datasets": "all", "seeds": [0, 1, 2]}}


#: Each part of the book's plan per profile. Real data: :data:`REAL_DATA_PROFILES`; simulated data: ``"all"`` stands
#: for the paper's 32 data sets (:data:`csc_core.data.simulate.PAPER_DATASETS`); teaching: seed 0, no data set list;
#: other: the profile's seeds, no data set list.
PLANS = {
    "real": REAL_DATA_PROFILES,
    "simulated": _simulated(("balanced", 4, 1.0), ("imbalanced", 8, 1.0)),
    "simulated ablations": _simulated(("imbalanced", 8, 1.5)),
    "teaching": {p: {"datasets": [], "seeds": [0]} for p in PROFILES},
    # a chapter with grids of its own (e.g. the timings): the seeds only; it names its data sets itself
    "other": {"quick": {"datasets": [], "seeds": [0]}, "paper": {"datasets": [], "seeds": [0, 1, 2]}},
}


def check_profile(profile: str) -> str:
    """``profile`` if every chapter accepts it, else a :class:`ValueError` naming the valid profiles.

    Parameters
    ----------
    profile
        The chapter's ``profile`` parameter.

    Returns
    -------
    str
        ``profile``.

    Raises
    ------
    ValueError
        If ``profile`` is not one of :data:`PROFILES`.
    """
    if profile not in PROFILES:
        raise ValueError(
            f"Unknown profile {profile!r}. Every chapter accepts {' or '.join(repr(p) for p in PROFILES)}: 'quick' "
            "runs a few data sets with seed 0 and reads the rest back from results/, 'paper' the paper's full grid "
            "(every data set, seeds 0, 1, 2). For fewer seeds pass seeds=[0]."
        )
    return profile


@dataclass(frozen=True)
class Plan:
    """What a chapter runs and where its results go, as :func:`setup` made it.

    Parameters
    ----------
    profile
        ``"quick"`` or ``"paper"``.
    datasets
        The data sets the chapter computes when they are not stored yet: registry names (real data) or
        ``(kind, n_groups, dropout_mid)`` (simulated data).
    seeds
        The seeds it computes.
    root
        The repository's root.
    results
        The folder of the result tables.
    """

    profile: str
    datasets: list = field(default_factory=list)
    seeds: list = field(default_factory=list)
    root: Path = Path(".")
    results: Path = Path("results")

    def store(self, name: str):
        """The result store ``<results>/<name>.csv``.

        Parameters
        ----------
        name
            The table's name, without ``.csv``.

        Returns
        -------
        csc_core.harness.store.ResultStore
            The store.
        """
        from .store import ResultStore

        return ResultStore(self.results / f"{name}.csv")


def setup(
    profile: str = "quick",
    *,
    part: str = "real",
    datasets=None,
    seeds=None,
    results_dir: str | os.PathLike | None = None,
    start: str | os.PathLike = ".",
) -> Plan:
    """A chapter's first call: check the profile, set the figure defaults, and plan the data sets and seeds.

    Warnings are printed as their category and message only (:func:`short_warning`): a reader needs what a warning
    says, not the temporary file of the cell that raised it.

    Parameters
    ----------
    profile
        ``"quick"`` or ``"paper"`` (:data:`PROFILES`); anything else is refused.
    part
        Which plan (:data:`PLANS`): ``"real"``, ``"simulated"``, ``"simulated ablations"``, ``"teaching"`` or
        ``"other"`` (a chapter that names its data sets itself: only the seeds are planned).
    datasets
        Data sets to compute instead of the profile's; ``None``: the profile's (real data: those that can be neither
        found nor downloaded are skipped, :func:`real_data_plan`).
    seeds
        Seeds to compute instead of the profile's; ``None`` or empty: the profile's.
    results_dir
        The result tables' folder; ``None``: the repository's ``results/``.
    start
        Where to start looking for the repository's root (:func:`find_root`).

    Returns
    -------
    Plan
        The chapter's plan.

    Raises
    ------
    ValueError
        For an unknown profile (the message lists the valid ones) or part.
    """
    from . import figures

    check_profile(profile)
    if part not in PLANS:
        raise ValueError(f"part must be one of {list(PLANS)}, got {part!r}.")
    figures.set_defaults()
    warnings.formatwarning = short_warning
    root = find_root(start)
    results = Path(results_dir) if results_dir else root / "results"
    if part == "real":
        datasets, seeds = real_data_plan(profile, datasets, seeds)
    else:
        plan = PLANS[part][profile]
        if datasets is None:
            datasets = plan["datasets"]
            if datasets == "all":
                from ..data.simulate import PAPER_DATASETS

                datasets = PAPER_DATASETS
        datasets, seeds = [tuple(d) if isinstance(d, list) else d for d in datasets], list(seeds or plan["seeds"])
    return Plan(profile=profile, datasets=list(datasets), seeds=[int(s) for s in seeds], root=root, results=results)


def glue(name: str, value) -> None:
    """Glue a value for the chapter's text (MyST-NB's ``{glue:text}`` / ``{glue:md}``), without displaying it.

    numpy scalars are glued as the Python numbers they hold: numpy 2 prints ``np.float64(0.5)``, which the text role
    can neither format (``:.3f``) nor show.

    Parameters
    ----------
    name
        The key the text refers to.
    value
        A number, text, or an object with a rich display (``IPython.display.Markdown``).
    """
    import numpy as np
    from myst_nb import glue as myst_glue

    if isinstance(value, np.generic):
        value = value.item()
    myst_glue(name, value, display=False)


def short_warning(message, category, filename, lineno, line=None) -> str:
    """A warning as a chapter prints it: ``"UserWarning: <message>"``, without the file and line that raised it.

    Parameters
    ----------
    message
        The warning's message.
    category
        Its class.
    filename, lineno, line
        Where it was raised (left out).

    Returns
    -------
    str
        The line printed.
    """
    return f"{category.__name__}: {message}\n"


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

    The markdown then quotes them as ``{glue:text}`name:.2f```; each value as :func:`glue` glues it.

    Parameters
    ----------
    values
        Name → value.
    """
    for name, value in values.items():
        glue(name, value)


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
        If ``profile`` is not one of :data:`PROFILES`.
    """
    from .. import data

    check_profile(profile)
    plan = REAL_DATA_PROFILES[profile]
    if datasets is None:
        datasets = [d for d in (plan["datasets"] or data.available(paper=True)) if data.fetchable(d)]
    return list(datasets), list(seeds or plan["seeds"])


def run_summary(rows, *, runs_of: str = "method") -> str:
    """One line saying what a chapter's rows are: how many runs, of what, computed now or read back, and where.

    Uses what the grid runners record in ``rows.attrs`` (:func:`csc_core.harness.grids.real_data_grid` and
    friends: ``computed``, ``read_back``, ``store``); several frames' lines are joined by the caller.

    Parameters
    ----------
    rows
        A grid's rows (one per data set × seed × method).
    runs_of
        The column whose values are counted as methods.

    Returns
    -------
    str
        E.g. ``"72 results shown (6 data sets × 3 seeds × 4 methods), stored in real_data.csv; this run computed 0
        of its 2 task(s), the others were read back; computed on AMD EPYC (AVX2) (72 rows)."``
    """
    from .machine import computed_on

    if rows.empty:
        return "No stored results for these settings yet."
    keys = ["dataset"] if "dataset" in rows else [c for c in ("kind", "n_groups", "dropout_mid") if c in rows]
    n_sets = len(rows[keys].drop_duplicates())
    parts = [f"{n_sets} data set{'s' if n_sets != 1 else ''}"]
    n_seeds = rows["seed"].nunique()
    parts.append(f"{n_seeds} seed{'s' if n_seeds != 1 else ''}")
    if runs_of in rows:
        n = rows[runs_of].nunique()
        parts.append(f"{n} method{'s' if n != 1 else ''}")
    line = f"{len(rows):,} results shown ({' × '.join(parts)})"
    attrs = rows.attrs
    if "store" in attrs:
        total = attrs.get("read_back", 0) + attrs.get("computed", 0)
        line += (
            f", stored in {attrs['store']}; this run computed {attrs.get('computed', 0)} of its {total} task(s), "
            "the others were read back"
        )
    return f"{line}; computed on {computed_on(rows)}."


def concat_runs(frames) -> pd.DataFrame:
    """Several grids' rows as one frame, with their run records (``attrs``) added up for :func:`run_summary`.

    Parameters
    ----------
    frames
        Frames returned by the grid runners (:func:`csc_core.harness.grids.real_data_grid` and friends).

    Returns
    -------
    pandas.DataFrame
        The rows, concatenated; ``attrs``: the tasks read back and computed, summed, and the stores' file names.
    """
    import pandas as pd

    frames = list(frames)
    rows = pd.concat(frames, ignore_index=True)
    stores = sorted({f.attrs["store"] for f in frames if "store" in f.attrs})
    rows.attrs = {}
    if stores:
        rows.attrs = {
            "store": ", ".join(stores),
            "read_back": sum(f.attrs.get("read_back", 0) for f in frames),
            "computed": sum(f.attrs.get("computed", 0) for f in frames),
        }
    return rows


def ablation_grids(grid, ablations: dict) -> dict:
    """One table per ablated setting: ``grid`` run at each of its values, rows labelled with the value.

    Parameters
    ----------
    grid
        Called as ``grid(overrides)`` with the settings to change (the setting's fixed ones and its value); returns
        a grid runner's frame (:func:`csc_core.harness.grids.real_data_grid` and friends).
    ablations
        Setting name → ``(settings held fixed, values tried)``
        (:data:`csc_core.harness.grids.REAL_ABLATIONS`, :data:`~csc_core.harness.grids.SIMULATED_ABLATIONS`).

    Returns
    -------
    dict
        Setting name → its rows (:func:`concat_runs`), with a column named after the setting holding its value.
    """
    return {
        name: concat_runs(grid({**fixed, name: value}).assign(**{name: value}) for value in values)
        for name, (fixed, values) in ablations.items()
    }


def glue_mouse_es(shown) -> None:
    """Glue the paper's Mouse ES cells numbers and whether this page computes that data set.

    Mouse ES cells is the paper's data set where contrastive-sc does worst; the real-data pages say so at the top
    whether or not its file could be obtained where the page was built.

    Parameters
    ----------
    shown
        The data sets the chapter's stored rows hold.

    Notes
    -----
    Glues ``es_csc``, ``es_sdc``, ``es_sczi`` and ``es_scanpy`` (the paper's ARI of contrastive-sc, scDeepCluster,
    scziDesk and scanpy on the whole file) and ``es_here`` (a sentence: computed on this page, or drawn from the
    published values only).
    """
    from IPython.display import Markdown

    from ..data.reference import paper_ari_for
    from .methods import CSC_LEIDEN, SCANPY, SCDEEPCLUSTER, SCZI

    es = paper_ari_for(["mouse_ES_cell"]).set_index("method")["ari"]
    for method, tag in ((CSC_LEIDEN, "csc"), (SCDEEPCLUSTER, "sdc"), (SCZI, "sczi"), (SCANPY, "scanpy")):
        glue(f"es_{tag}", es[method])
    computed = any(str(d).startswith("mouse_ES_cell") for d in shown)
    glue(
        "es_here",
        Markdown(
            "This page computes it too."
            if computed
            else "It is not computed on this page: its file could not be downloaded where the page was built; its "
            "published bars are drawn hatched."
        ),
    )


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
    from .labels import dataset_label

    absent = absent_datasets(shown)
    lines = {
        "no download": "**Not computed here: no download** — the file could not be found or downloaded where this page "
        "was built (the published book computes it where it can be downloaded: `make missing`): ",
        "not computed yet": "**Not computed yet** — downloadable, but not in the stored results; the paper profile "
        "(`make book PROFILE=paper`) computes it: ",
    }
    out = []
    for reason, text in lines.items():
        names = [n for n, r in absent.items() if r == reason]
        if names:
            out.append(text + ", ".join(f"{dataset_label(n)} (`{n}`)" for n in names) + ".")
    return "\n\n".join(out)


def paper_datasets(shown) -> tuple[list[str], list[str]]:
    """The paper's real data sets as a figure draws them: each of its cuts, computed or published only.

    For each of the paper's four data sets (:data:`csc_core.harness.labels.PAPER_REAL_DATASETS`, in that order) and
    each of its two cuts (the whole file, then 2,100 cells): the registry names among ``shown`` that are that cut, or,
    when none is, the cut's first registry name, to be drawn with the published values only.

    Parameters
    ----------
    shown
        The registry names the chapter's stored rows hold.

    Returns
    -------
    datasets : list of str
        Registry names in the figure's order.
    published_only : list of str
        Those of ``datasets`` not in ``shown``.
    """
    from ..data.registry import REGISTRY
    from .labels import PAPER_REAL_DATASETS

    shown = list(shown)
    datasets, published_only = [], []
    for base in PAPER_REAL_DATASETS:
        for cut in (base, f"{base} (2100)"):
            names = [n for n, e in REGISTRY.items() if e.paper_dataset == cut]
            here = [n for n in shown if n in names]
            if here:
                datasets += here
            elif names:
                datasets.append(names[0])
                published_only.append(names[0])
    return datasets, published_only


def coverage_sentence(shown, *, published_bars: bool = True) -> str:
    """Markdown: how many of the paper's four real data sets a page computes, in how many cuts, and which it cannot.

    Parameters
    ----------
    shown
        The registry names the chapter's stored rows hold.
    published_bars
        Whether the page draws the published values of the data sets it does not compute (hatched bars).

    Returns
    -------
    str
        E.g. "This page computes 3 of them in 2 cuts each (6 data sets: 3 data sets in 2 cuts, not 6 independent
        ones). Mouse ES cells is shown with the paper's published values only (hatched bars): …".
    """
    from ..data.registry import REGISTRY
    from .labels import PAPER_REAL_DATASETS, paper_base

    shown = [n for n in shown if paper_base(n)]
    computed = [b for b in PAPER_REAL_DATASETS.values() if any(paper_base(n) == b for n in shown)]
    missing = [b for b in PAPER_REAL_DATASETS.values() if b not in computed]
    cuts = {b: len({REGISTRY[n].paper_dataset for n in shown if paper_base(n) == b}) for b in computed}
    n_cuts = sum(cuts.values())
    if set(cuts.values()) == {2}:
        text = f"This page computes {len(computed)} of them in both cuts — {len(computed)} data sets in 2 cuts"
    else:
        text = f"This page computes {len(computed)} of them, {n_cuts} cuts in all"
    if len(shown) > n_cuts:
        text += f" ({len(shown)} files: some cuts also with all genes)"
    text += "; the cuts of one data set share their cells, so they are not independent tests."
    if missing:
        names = " and ".join(missing)
        verb, its = ("is", "its") if len(missing) == 1 else ("are", "their")
        reasons = {
            absent_datasets(shown).get(n) for n, e in REGISTRY.items() if paper_base(n) in missing and e.paper_dataset
        }
        why = (
            f"{its} files are public but could not be downloaded where this page was built"
            if reasons == {"no download"}
            else f"not all of {its} files are in the stored results yet (the paper profile computes them)"
        )
        shown_as = "shown with the paper's published values only (hatched bars)" if published_bars else "not shown"
        text += (
            f" **{names}** {verb} {shown_as}: {why}. The published book computes every data set wherever it can be "
            "downloaded (`make missing`, see the README), "
            + (f"so there {its} bars are measured too." if published_bars else "so it appears there.")
        )
    return text
