"""Tables the chapters show: measured against published ARI, tuning grids, resolution rules, presets; data-set names."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..pipeline.resolution import AUTO_RESOLUTIONS, SILHOUETTE_TOLERANCE, pick_resolution
from .labels import readable
from .methods import CSC_KMEANS, CSC_LEIDEN, METHODS, SCANPY

#: Column names for readers (:func:`pretty`).
COLUMN_LABELS = {
    "dataset": "data set",
    "method": "method",
    "ari": "ARI",
    "ari_sd": "± sd",
    "seeds": "seeds",
    "n_clusters": "clusters",
    "n_types": "types",
    "seconds": "seconds",
    "paper_ari": "paper",
    "vs_paper": "− paper",
}


def pretty(
    table: pd.DataFrame,
    *,
    decimals: int = 3,
    index: bool = True,
    caption: str | None = None,
    join_index: bool = False,
    merge_spread: bool = False,
):
    """A table as readers should see it: readers' names, whole numbers without decimals, missing values as a dash.

    Data set and method names are relabelled (:func:`csc_core.harness.labels.readable`), known columns renamed
    (:data:`COLUMN_LABELS`), columns whose values are all whole numbers (counts, cluster numbers) printed as integers,
    other numbers with ``decimals`` decimals.

    Parameters
    ----------
    table
        The table.
    decimals
        Decimals of the non-integer numbers.
    index
        Show the index (``False`` hides it, e.g. for a plain row number).
    caption
        A caption above the table; ``None``: none.
    join_index
        Write a row index of several levels as one column: values ``"10 · 0.01"`` under the name ``"epochs · lr"``
        (narrower than one column per level, so wide tables stay within the page).
    merge_spread
        Write each column ``"<c> ±"`` into its column ``"<c>"`` as ``"0.700 ± 0.016"`` (one column instead of two).

    Returns
    -------
    pandas.io.formats.style.Styler
        The styled table (Jupyter and MyST-NB render its HTML).
    """
    shown = readable(table)
    shown = shown.rename(columns={k: v for k, v in COLUMN_LABELS.items() if k in shown.columns})
    if shown.index.name in COLUMN_LABELS:
        shown.index.name = COLUMN_LABELS[shown.index.name]
    if isinstance(shown.index, pd.MultiIndex):
        shown.index.names = [COLUMN_LABELS.get(n, n) for n in shown.index.names]
    if isinstance(shown.columns, pd.MultiIndex):
        shown.columns.names = [COLUMN_LABELS.get(n, n) for n in shown.columns.names]
    elif shown.columns.name in COLUMN_LABELS:
        shown.columns.name = COLUMN_LABELS[shown.columns.name]
    if join_index and isinstance(shown.index, pd.MultiIndex):
        names = " · ".join(str(n) for n in shown.index.names)
        shown.index = pd.Index(
            [" · ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in key) for key in shown.index], name=names
        )
    if merge_spread:
        for col in [c for c in shown.columns if isinstance(c, str) and c.endswith(" ±") and c[:-2] in shown.columns]:
            mean, spread = shown[col[:-2]], shown[col]
            shown[col[:-2]] = [
                "—" if pd.isna(m) else f"{m:.{decimals}f}" if pd.isna(e) else f"{m:.{decimals}f} ± {e:.{decimals}f}"
                for m, e in zip(mean, spread, strict=True)
            ]
            shown = shown.drop(columns=col)
    formats = {}
    for col in shown.columns:
        values = shown[col]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            continue
        finite = values.dropna()
        whole = len(finite) and np.allclose(finite, np.round(finite))
        formats[col] = "{:,.0f}" if whole else f"{{:,.{decimals}f}}"
    styler = shown.style.format(formats, na_rep="—")
    if not isinstance(shown.index, pd.MultiIndex) and pd.api.types.is_float_dtype(shown.index):
        styler = styler.format_index("{:g}", axis=0)  # setting values as written: 0.05, not 0.050000
    if not index:
        styler = styler.hide(axis="index")
    if caption:
        styler = styler.set_caption(caption)
    return styler


def by_kind(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of simulated data sets with their ``kind`` (balanced, imbalanced) as the ``dataset``: per-kind bars.

    Parameters
    ----------
    rows
        Rows with a ``kind`` column.

    Returns
    -------
    pandas.DataFrame
        A copy, ``dataset`` set to ``kind``.
    """
    return rows.assign(dataset=rows["kind"])


def above_or_below(value: float, reference: float) -> str:
    """``"above"`` or ``"below"`` (``"level with"`` when equal to three decimals): ``value`` against ``reference``.

    Parameters
    ----------
    value, reference
        The two numbers compared.

    Returns
    -------
    str
        The word; ``"not comparable with"`` when either is missing.
    """
    if pd.isna(value) or pd.isna(reference):
        return "not comparable with"
    if round(float(value), 3) == round(float(reference), 3):
        return "level with"
    return "above" if value > reference else "below"


def wins(rows: pd.DataFrame, method: str, rival: str, keys) -> tuple[int, int]:
    """On how many paired runs ``method`` scores a higher ARI than ``rival``, and how many pairs there are.

    Parameters
    ----------
    rows
        Rows with ``method``, ``ari`` and the ``keys`` columns.
    method, rival
        The two methods compared.
    keys
        The columns that pair two methods' rows (the data set and the seed).

    Returns
    -------
    wins : int
        Runs where ``method``'s ARI is strictly higher.
    pairs : int
        Runs where both were measured.
    """
    wide = rows.pivot_table(index=list(keys), columns="method", values="ari")
    if method not in wide or rival not in wide:
        return 0, 0
    both = wide[[method, rival]].dropna()
    return int((both[method] > both[rival]).sum()), len(both)


def summary_table(measured: pd.DataFrame, paper: pd.DataFrame, methods=METHODS) -> pd.DataFrame:
    """Per data set and method: mean ARI over seeds (± sd, n), median clusters, the paper's ARI, the difference.

    Parameters
    ----------
    measured
        Stored rows of :func:`csc_core.harness.methods.method_rows`, with ``dataset`` and ``seed``.
    paper
        The published values: ``dataset``, ``method``, ``ari``.
    methods
        The methods shown, in this order.

    Returns
    -------
    pandas.DataFrame
        One row per data set and method, sorted: ``ari``, ``ari_sd``, ``seeds``, ``n_clusters`` (the median over
        the seeds: a number of clusters, not a fraction of one, with an odd number of seeds), ``n_types`` (when
        ``measured`` has it), ``seconds`` (mean), ``paper_ari`` and ``vs_paper``, rounded to three decimals.
    """
    g = measured[measured["method"].isin(methods)].groupby(["dataset", "method"])
    types = {"n_types": ("n_types", "first")} if "n_types" in measured else {}
    table = g.agg(
        ari=("ari", "mean"),
        ari_sd=("ari", "std"),
        seeds=("seed", "nunique"),
        n_clusters=("n_clusters", "median"),
        **types,
        seconds=("seconds", "mean"),
    ).reset_index()
    pub = paper.rename(columns={"ari": "paper_ari"})[["dataset", "method", "paper_ari"]]
    table = table.merge(pub, on=["dataset", "method"], how="left")
    table["vs_paper"] = table["ari"] - table["paper_ari"]
    table["method"] = pd.Categorical(table["method"], categories=list(methods), ordered=True)
    return table.sort_values(["dataset", "method"]).reset_index(drop=True).round(3)


def kind_summary(measured: pd.DataFrame, published: pd.DataFrame, methods) -> pd.DataFrame:
    """Per method and kind of simulated data: mean ARI over the data sets, its spread over seeds, the paper's mean.

    The spread is the standard deviation, across seeds, of each seed's mean over the data sets: how much the summary
    itself moves with the seed (the per-data-set spread is larger and shown in the figures' dots).

    Parameters
    ----------
    measured
        Rows with ``kind``, ``n_groups``, ``dropout_mid``, ``seed``, ``method``, ``ari``.
    published
        The paper's values, same columns without ``seed``, for the data sets shown.
    methods
        The methods shown, in this order (those without rows are left out).

    Returns
    -------
    pandas.DataFrame
        Indexed by method; per kind ``<kind>`` (mean ARI), ``<kind> ± seeds`` (NaN with one seed) and
        ``<kind>, paper``; also ``seeds`` and ``data sets`` (counted over both kinds), rounded to three decimals.
    """
    rows = measured[measured["method"].isin(methods)]
    per_seed = rows.groupby(["method", "kind", "seed"])["ari"].mean()
    mean = per_seed.groupby(["method", "kind"]).mean().unstack("kind")
    spread = per_seed.groupby(["method", "kind"]).std().unstack("kind").add_suffix(" ± seeds")
    paper = published.groupby(["method", "kind"])["ari"].mean().unstack("kind").add_suffix(", paper")
    table = pd.concat([mean, spread, paper], axis=1)
    kinds = [k for k in ("balanced", "imbalanced") if k in mean.columns]
    table = table.reindex(columns=[c for k in kinds for c in (k, f"{k} ± seeds", f"{k}, paper")])
    table["seeds"] = rows.groupby("method")["seed"].nunique()
    table["data sets"] = rows.groupby("method")[["kind", "n_groups", "dropout_mid"]].apply(
        lambda r: len(r.drop_duplicates())
    )
    present = [m for m in methods if m in mean.index]
    return table.reindex(present).round(3)


def training_comparison(
    tuning: pd.DataFrame, *, n_neighbors: int, resolution: float, settings=("mask", "epochs", "batch_size", "lr")
) -> pd.DataFrame:
    """Mean Leiden ARI per data set for each training setting of a tuning grid at one graph setting.

    Parameters
    ----------
    tuning
        The tuning grid's rows: ``n_neighbors``, ``resolution``, ``dataset``, ``ari``, the ``settings`` columns, and
        optionally ``clustering`` (only ``"leiden"`` rows are used) and ``train_seconds``.
    n_neighbors, resolution
        The graph setting compared at.
    settings
        The columns that tell the training settings apart (those missing from the grid are ignored).

    Returns
    -------
    pandas.DataFrame
        Indexed by training setting; one column per data set, ``mean``, and — when the grid stored ``train_seconds``
        — ``train seconds``, their mean over every run of the setting; rounded to three decimals.
    """
    rows = tuning[(tuning["n_neighbors"] == n_neighbors) & (tuning["resolution"] == resolution)]
    if "clustering" in rows.columns:
        rows = rows[rows["clustering"] == "leiden"]
    setting = [c for c in settings if c in rows.columns]
    table = rows.pivot_table(index=setting, columns="dataset", values="ari", aggfunc="mean")
    table["mean"] = table.mean(axis=1)
    if "train_seconds" in rows.columns:
        table["train seconds"] = rows.groupby(setting)["train_seconds"].mean()
    return table.round(3)


#: The rules ``resolution="auto"`` followed before, replayed for comparison: the lowest resolution from 0.3 whose
#: silhouette is within 0.02 of the best over 0.3-1.0 (until the generalisation panel), then the best silhouette over
#: today's resolutions.
EARLIER_AUTO = dict(lowest=0.3, tolerance=0.02)
PREVIOUS_AUTO = dict(tolerance=0.0)
#: The names stored rows carry for ``"auto"`` with one Leiden start (the rule before the medoid of three), and for the
#: medoid over five evenly spaced resolutions (tried, not kept).
ONE_START_RULE = "lowest-within-0.2-silhouette-range-0.2-1.0"
FIVE_RESOLUTIONS_RULE = "lowest-within-0.2-silhouette-range-0.2-1.0-by-0.2-medoid-of-3"


def resolution_rules(
    table: pd.DataFrame, *, tolerance: float = SILHOUETTE_TOLERANCE, resolutions=AUTO_RESOLUTIONS
) -> pd.DataFrame:
    """Replay ways of choosing the Leiden resolution on a table of partitions (``bench/tune_resolution``'s rows).

    For each data set × seed × ``n_neighbors``: fixed resolutions 0.3, 0.5 and the paper's 1.0; the best silhouette
    over every resolution; ``"auto"`` — :func:`csc_core.pipeline.resolution.pick_resolution` over the stored
    partitions at ``resolutions`` (the ones ``"auto"`` tries); ``"previous auto"`` and ``"earlier auto"`` — the
    rules before it (:data:`PREVIOUS_AUTO`, :data:`EARLIER_AUTO`); and the oracle (best ARI: uses the labels, an
    upper bound, never a method).

    Parameters
    ----------
    table
        ``bench/tune_resolution``'s rows: ``dataset``, ``seed``, ``n_neighbors``, ``resolution``, ``silhouette``,
        ``ari``, ``n_clusters``.
    tolerance
        How far below the best silhouette ``"auto"`` may pick, as a share of the silhouettes' range (the lowest
        resolution within it wins).
    resolutions
        The resolutions ``"auto"`` considers (those stored among them).

    Returns
    -------
    pandas.DataFrame
        One row per data set, seed, ``n_neighbors`` and rule: ``rule``, the chosen ``resolution``, its ``ari`` and
        ``n_clusters``.
    """
    rows = []
    grid = np.asarray(resolutions, dtype=float)
    for (dataset, seed, k), g in table.groupby(["dataset", "seed", "n_neighbors"]):
        g = g.sort_values("resolution").reset_index(drop=True)
        picks = {f"fixed {r:g}": g.index[np.isclose(g["resolution"], r)] for r in (0.3, 0.5, 1.0)}
        picks = {name: g.loc[idx[0]] for name, idx in picks.items() if len(idx)}
        picks["best silhouette"] = g.loc[g["silhouette"].idxmax()]
        tried = g[np.isclose(g["resolution"].to_numpy()[:, None], grid).any(axis=1)].reset_index(drop=True)
        picks["auto"] = tried.loc[pick_resolution(tried["resolution"], tried["silhouette"], tolerance=tolerance)]
        picks["previous auto"] = tried.loc[pick_resolution(tried["resolution"], tried["silhouette"], **PREVIOUS_AUTO)]
        earlier = g[(g["resolution"] >= EARLIER_AUTO["lowest"]) & (g["resolution"] <= 1.0)].reset_index(drop=True)
        picks["earlier auto"] = earlier.loc[
            pick_resolution(
                earlier["resolution"], earlier["silhouette"], tolerance=EARLIER_AUTO["tolerance"], relative=False
            )
        ]
        picks["oracle (uses labels)"] = g.loc[g["ari"].idxmax()]
        for rule, row in picks.items():
            rows.append(
                dict(
                    dataset=dataset,
                    seed=seed,
                    n_neighbors=k,
                    rule=rule,
                    resolution=row["resolution"],
                    ari=row["ari"],
                    n_clusters=row["n_clusters"],
                )
            )
    return pd.DataFrame(rows)


def rule_summary(partitions: pd.DataFrame) -> pd.DataFrame:
    """Each resolution rule's mean ARI per data set, replayed on stored partitions; smallest data sets first.

    Parameters
    ----------
    partitions
        Partition rows as ``bench/generalisation`` stores them (one graph: ``dataset``, ``seed``, ``n_neighbors``,
        ``resolution``, ``silhouette``, ``ari``, ``n_clusters``, ``n_cells``).

    Returns
    -------
    pandas.DataFrame
        One row per data set (ordered by its number of cells) and a last row ``"mean"``; one column per rule of
        :func:`resolution_rules`, the mean ARI over the seeds.
    """
    table = resolution_rules(partitions).pivot_table(index="dataset", columns="rule", values="ari")
    cells = partitions.groupby("dataset")["n_cells"].first()
    table = table.loc[cells.reindex(table.index).sort_values(kind="stable").index]
    table.loc["mean"] = table.mean()
    return table


def panel_table(rows: pd.DataFrame, methods=(CSC_LEIDEN, SCANPY, "PCA + KMeans")) -> pd.DataFrame:
    """The generalisation panel (``bench/generalisation``'s rows), one line per data set, smallest first.

    Parameters
    ----------
    rows
        Rows with ``dataset``, ``seed``, ``method``, ``ari``, ``n_clusters``, ``n_cells``, ``n_types``; the
        contrastive-sc rows also ``warned``.
    methods
        The methods shown (contrastive-sc first), in this order.

    Returns
    -------
    pandas.DataFrame
        Indexed by data set: ``cells``, ``types``, each method's mean ARI and its standard error over the seeds
        (``<method> ±``), contrastive-sc's margin over scanpy, both methods' mean number of clusters, the runs that
        warned, and ``seeds``.
    """
    rows = rows[rows["method"].isin(methods)]
    by = rows.groupby(["dataset", "method"])
    ari = by["ari"].mean().unstack()[list(methods)]
    sem = by["ari"].sem().unstack()[list(methods)]
    k = by["n_clusters"].mean().unstack()
    first = rows.groupby("dataset")[["n_cells", "n_types"]].first()
    out = pd.DataFrame({"cells": first["n_cells"].astype(int), "types": first["n_types"].astype(int)})
    for m in methods:
        out[m] = ari[m]
        out[f"{m} ±"] = sem[m]
    out[f"{CSC_LEIDEN} − {SCANPY}"] = ari[CSC_LEIDEN] - ari[SCANPY]
    out[f"clusters, {CSC_LEIDEN}"] = k[CSC_LEIDEN]
    out[f"clusters, {SCANPY}"] = k[SCANPY]
    csc = rows[rows["method"] == CSC_LEIDEN]
    out["warned"] = csc.groupby("dataset")["warned"].apply(lambda w: int(w.astype(str).eq("True").sum()))
    out["seeds"] = csc.groupby("dataset")["seed"].nunique()
    return out.sort_values(["cells", "types"])


def rule_comparison(rows: pd.DataFrame, rules: dict) -> pd.DataFrame:
    """contrastive-sc on the generalisation panel under several rules of ``"auto"``, one line per data set.

    The same data sets and seeds train the same embeddings under every rule (training does not depend on it), so the
    differences are the clustering's alone. Only the data set × seed pairs that every rule has are compared.

    Parameters
    ----------
    rows
        ``bench/generalisation``'s rows: ``dataset``, ``seed``, ``method``, ``auto_rule``, ``ari``, ``n_cells``.
    rules
        Label → the rule's name (``auto_rule``), in the order shown; the last is compared with the first.

    Returns
    -------
    pandas.DataFrame
        Indexed by data set (smallest first; a last row ``"mean"``): ``cells``, each label's mean ARI and its standard
        error over the seeds (``<label> ±``), ``"<last> − <first>"``, scanpy's mean ARI over the same seeds, and
        ``seeds``.
    """
    labels = list(rules)
    csc = rows[(rows["method"] == CSC_LEIDEN) & rows["auto_rule"].isin(rules.values())]
    by_rule = {
        label: csc[csc["auto_rule"] == rule].set_index(["dataset", "seed"])["ari"] for label, rule in rules.items()
    }
    common = sorted(set.intersection(*(set(s.index) for s in by_rule.values())))
    if not common:
        raise ValueError(f"No data set and seed was run under every rule of {list(rules.values())}.")
    paired = pd.DataFrame({label: s.loc[common] for label, s in by_rule.items()})
    scanpy = rows[rows["method"] == SCANPY].groupby(["dataset", "seed"])["ari"].mean()
    paired[SCANPY] = scanpy.reindex(paired.index)
    by = paired.groupby(level="dataset")
    out = pd.DataFrame({"cells": rows.groupby("dataset")["n_cells"].first().astype(int).reindex(by.mean().index)})
    for label in labels:
        out[label] = by[label].mean()
        out[f"{label} ±"] = by[label].sem()
    out[f"{labels[-1]} − {labels[0]}"] = out[labels[-1]] - out[labels[0]]
    out[SCANPY] = by[SCANPY].mean()
    out["seeds"] = by.size()
    out = out.sort_values("cells", kind="stable")
    out.loc["mean"] = out.drop(columns=["cells", "seeds"]).mean()
    return out


def sweep_table(rows: pd.DataFrame, setting: str, groups: dict) -> pd.DataFrame:
    """Mean ARI per data set and value of one setting, with the mean of each group of data sets.

    Only the seeds run with every value of a data set are averaged, so each column compares the same runs.

    Parameters
    ----------
    rows
        One row per run: ``dataset``, ``seed``, ``setting`` and ``ari``; ``n_cells`` orders the data sets.
    setting
        The column that was varied.
    groups
        Group name → the data sets it averages (those without rows are left out of the mean).

    Returns
    -------
    pandas.DataFrame
        One row per data set (smallest first), then one per group; one column per value of ``setting``, ascending.
    """
    values = rows[setting].nunique()
    complete = rows.groupby(["dataset", "seed"])[setting].transform("nunique") == values
    rows = rows[complete]
    table = rows.pivot_table(index="dataset", columns=setting, values="ari").sort_index(axis=1)
    cells = rows.groupby("dataset")["n_cells"].first()
    table = table.loc[cells.reindex(table.index).sort_values(kind="stable").index]
    for name, members in groups.items():
        table.loc[name] = table.loc[[d for d in members if d in table.index]].mean()
    return table


def preset_comparison(defaults: pd.DataFrame, paper_settings: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Per data set: contrastive-sc's mean ARI with the defaults and with the paper's settings, against scanpy's.

    Also scanpy's ARI in the defaults' runs, the published values, the margins, and mean seconds of each preset.

    Parameters
    ----------
    defaults, paper_settings
        Stored rows of :func:`csc_core.harness.methods.real_data_rows`, one preset each.
    published
        :func:`csc_core.data.reference.paper_ari_for`'s frame.

    Returns
    -------
    pandas.DataFrame
        Indexed by data set, rounded to three decimals.
    """

    def mean(rows, method, value="ari"):
        return rows[rows["method"] == method].groupby("dataset")[value].mean()

    pub = published.pivot_table(index="dataset", columns="method", values="ari")
    table = pd.DataFrame(
        {
            "defaults": mean(defaults, CSC_LEIDEN),
            "paper settings": mean(paper_settings, CSC_LEIDEN),
            "scanpy (same runs)": mean(defaults, SCANPY),
            "published contrastive-sc": pub.get(CSC_LEIDEN),
            "published scanpy": pub.get(SCANPY),
        }
    )
    table["defaults − scanpy"] = table["defaults"] - table["scanpy (same runs)"]
    table["defaults − published"] = table["defaults"] - table["published contrastive-sc"]
    table["seeds"] = defaults[defaults["method"] == CSC_LEIDEN].groupby("dataset")["seed"].nunique()
    table["seconds, defaults"] = mean(defaults, CSC_LEIDEN, "seconds")
    table["seconds, paper settings"] = mean(paper_settings, CSC_LEIDEN, "seconds")
    table.index.name = "dataset"
    return table.round(3)


def measured_vs_published(table: pd.DataFrame, paper: pd.DataFrame, *, methods, datasets) -> pd.DataFrame:
    """One cell per method and data set: the mean measured ARI and, in brackets, the published one.

    A compact alternative to a measured and a published column per data set, so the paper's values stay on screen
    beside ours; a data set computed here but not in the paper, or published but not computed, shows a dash.

    Parameters
    ----------
    table
        :func:`summary_table`'s frame (``dataset``, ``method``, ``ari``).
    paper
        The published values: ``dataset``, ``method``, ``ari``.
    methods
        The rows, in order (methods without either value are left out).
    datasets
        The columns, in order.

    Returns
    -------
    pandas.DataFrame
        Strings such as ``"0.612 (0.627)"``, indexed by method, one column per data set.
    """
    ours = table.pivot_table(index="method", columns="dataset", values="ari", observed=True)
    theirs = paper.pivot_table(index="method", columns="dataset", values="ari")

    def cell(method, dataset):
        a = ours.at[method, dataset] if method in ours.index and dataset in ours.columns else np.nan
        b = theirs.at[method, dataset] if method in theirs.index and dataset in theirs.columns else np.nan
        if pd.isna(a) and pd.isna(b):
            return None
        return f"{'—' if pd.isna(a) else f'{a:.3f}'} ({'—' if pd.isna(b) else f'{b:.3f}'})"

    out = pd.DataFrame({d: [cell(m, d) for m in methods] for d in datasets}, index=pd.Index(list(methods)))
    out.index.name = "method"
    return out.dropna(how="all")


def setting_summary(table: pd.DataFrame, *, x: str, methods) -> pd.DataFrame:
    """Mean ARI per value of one setting, per method, over data sets and seeds; and the runs behind each value.

    Parameters
    ----------
    table
        Rows with ``method``, ``ari`` and the setting's column ``x``; one per data set, seed and method.
    x
        The setting's column.
    methods
        The methods, in order (one column each).

    Returns
    -------
    pandas.DataFrame
        Indexed by the setting's values, increasing: each method's mean ARI, then ``runs`` (rows of the first
        method).
    """
    out = table.pivot_table(index=x, columns="method", values="ari").reindex(columns=list(methods))
    out.columns.name = None
    out["runs"] = table[table["method"] == methods[0]].groupby(x).size()
    return out.sort_index()


def extremes(values: pd.Series, *, tolerance: float = 0.02) -> dict:
    """Where a curve is highest and lowest, and how many of its points lie within ``tolerance`` of the highest.

    Parameters
    ----------
    values
        One value per setting (e.g. a column of :func:`setting_summary`), indexed by the setting.
    tolerance
        How far below the best a value may be and still count as near it.

    Returns
    -------
    dict
        ``best``, ``best_value``, ``worst``, ``worst_value`` (settings and their values), ``n_near`` (values within
        ``tolerance`` of the best, the best included) and ``n`` (values).
    """
    values = values.dropna()
    return {
        "best": values.idxmax(),
        "best_value": float(values.max()),
        "worst": values.idxmin(),
        "worst_value": float(values.min()),
        "n_near": int((values >= values.max() - tolerance).sum()),
        "n": len(values),
    }


def complete_sets(table: pd.DataFrame, *, x: str, keys=("kind", "n_groups", "dropout_mid")) -> pd.DataFrame:
    """The rows of the data sets measured at every value of the setting ``x``: curves compared on the same data.

    Parameters
    ----------
    table
        Rows with the ``keys`` columns (which name a data set) and ``x``.
    x
        The setting's column.
    keys
        The columns naming a data set.

    Returns
    -------
    pandas.DataFrame
        The rows of the data sets that have every value of ``x`` the table holds.
    """
    keys = [k for k in keys if k in table.columns]
    n_values = table[x].nunique()
    counts = table.groupby(keys)[x].nunique()
    full = counts[counts == n_values].index
    return table[table.set_index(keys).index.isin(full)]


def common_runs(rows: pd.DataFrame, keys) -> pd.DataFrame:
    """The rows of the runs (``keys``: data set and seed) that every method of ``rows`` has: means compared fairly.

    Parameters
    ----------
    rows
        Rows with ``method`` and the ``keys`` columns.
    keys
        The columns naming one run (the data set's and the seed).

    Returns
    -------
    pandas.DataFrame
        The rows of the runs where every method in ``rows`` was measured.
    """
    keys = list(keys)
    n_methods = rows["method"].nunique()
    per_run = rows.groupby(keys)["method"].nunique()
    full = per_run[per_run == n_methods].index
    return rows[rows.set_index(keys).index.isin(full)]


def coarse_runs(rows: pd.DataFrame, keys, *, method: str = CSC_LEIDEN, told: str = CSC_KMEANS) -> dict:
    """Runs where ``method`` found at most two clusters among more cell types, beside ``told`` on the same runs.

    Silhouettes favour two clusters; on data whose embedding separates few groups the automatic resolution stops
    there. Comparing with KMeans told the true number on the same embedding (``told``) says whether the coarse choice
    cost anything: where the embedding separates more, ``told`` scores higher.

    Parameters
    ----------
    rows
        Rows with ``method``, ``ari``, ``n_clusters``, ``n_types`` and the ``keys`` columns.
    keys
        The columns naming one run (the data set's and the seed).
    method
        The method whose number of clusters is read.
    told
        The method told the number of types, on the same embedding.

    Returns
    -------
    dict
        ``coarse_runs`` and ``all_runs`` (of ``method``), ``coarse_ari`` and ``coarse_told_ari`` (their mean ARIs on the
        coarse runs ``told`` has too) and ``coarse_told_better`` (on how many of those ``told`` scores higher).
    """
    keys = list(keys)
    own = rows[rows["method"] == method].set_index(keys)
    coarse = own[(own["n_clusters"] <= 2) & (own["n_types"] > 2)]
    other = rows[rows["method"] == told].set_index(keys)["ari"]
    paired = coarse[["ari"]].join(other.rename("told"), how="inner")
    return {
        "coarse_runs": len(coarse),
        "all_runs": len(own),
        "coarse_ari": float(paired["ari"].mean()) if len(paired) else float("nan"),
        "coarse_told_ari": float(paired["told"].mean()) if len(paired) else float("nan"),
        "coarse_told_better": int((paired["told"] > paired["ari"]).sum()),
    }


def collapsed_runs(rows: pd.DataFrame, method: str, *, fraction: float = 0.5) -> dict:
    """Runs where ``method``, told the number of cell types, returned fewer than ``fraction`` of that many clusters.

    The deep competitors start from KMeans with the true number of clusters, then move cells between them until
    fewer than 0.1 % change per epoch (the originals' stopping rule); clusters can empty on the way, and once they have
    emptied few cells move, so the stage also stops early. Counting these runs says how often "told the number"
    still ended far from it.

    Parameters
    ----------
    rows
        One row per run, with ``method``, ``n_clusters``, ``n_types``, ``epochs_run`` and ``cluster_epochs``.
    method
        The method whose runs are read.
    fraction
        A run is collapsed when it ends with fewer than ``fraction × n_types`` clusters.

    Returns
    -------
    dict
        ``runs`` (of ``method``), ``collapsed`` (how many of them collapsed), ``stopped_early`` (collapsed runs whose
        clustering stage stopped before its epoch limit) and ``fewest_epochs`` / ``fewest_epochs_clusters`` (the
        shortest collapsed run's epochs and clusters; ``nan`` when none collapsed).
    """
    own = rows[rows["method"] == method]
    collapsed = own[own["n_clusters"] < fraction * own["n_types"]]
    shortest = collapsed.loc[collapsed["epochs_run"].idxmin()] if len(collapsed) else None
    return {
        "runs": len(own),
        "collapsed": len(collapsed),
        "stopped_early": int((collapsed["epochs_run"] < collapsed["cluster_epochs"]).sum()),
        "fewest_epochs": int(shortest["epochs_run"]) if shortest is not None else float("nan"),
        "fewest_epochs_clusters": int(shortest["n_clusters"]) if shortest is not None else float("nan"),
    }
