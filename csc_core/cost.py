"""Computational cost: time contrastive-sc and scanpy's standard pipeline stage by stage, and summarise the results.

Used by ``bench/`` (which runs each measurement in a fresh process and stores the rows) and by the book's
"Computational cost" chapter (which reads those rows back, and can measure the reader's own machine).
"""

from __future__ import annotations

import time

import anndata as ad
import numpy as np
import pandas as pd

from . import baselines, benchmark, cluster, metrics, simulate
from .benchmark import PCA_KMEANS, SCDEEPCLUSTER, SCZI
from .contrastive import contrastive_sc, resolve_device
from .stopping import AgreementStreak
from .train import resolve_kernel

CSC, SCANPY = "contrastive-sc", "scanpy"
STAGES = ("preprocess", "train", "pca", "graph", "cluster")
#: Every method of the timing analysis, as the paper names them.
TIMED_METHODS = (CSC, SCANPY, PCA_KMEANS, SCDEEPCLUSTER, SCZI)
#: Library-size location of the timing data: about 4,000 counts per cell, as droplet data (Splat's default, 11, gives
#: about 60,000 and a matrix most of whose entries are non-zero).
TIMING_LIB_LOC = 8.5


def time_pipelines(adata: ad.AnnData, *, seed: int = 0, methods=(CSC, SCANPY), device: str = "auto",
                   label_key: str = "cell_type", **csc_params) -> list[dict]:
    """Run each method on ``adata`` in this process and return one row each: seconds per stage, total, ARI.

    ``total`` is raw counts → labels (loading excluded). Call it once on a tiny data set first if numba's one-off
    compilation should not be timed. ``csc_params`` go to :func:`csc_core.contrastive_sc`; contrastive-sc's row also
    records the ``kernel`` its training ran on.
    """
    rows = []
    for method in methods:
        if method == CSC:
            run = contrastive_sc(adata, seed=seed, device=device, progress=False, copy=True, **csc_params)
            labels, timings = run.obs["csc_cluster"], dict(run.uns["csc"]["timings"])
            extra = {"kernel": run.uns["csc"]["params"]["kernel"]}  # how its training steps were computed
        elif method == SCANPY:
            timings, extra = {}, {}
            labels = baselines.scanpy_leiden(adata, seed=seed, timings=timings)
        else:
            raise ValueError(f"method must be one of {(CSC, SCANPY)}, got {method!r}.")
        row = {"method": method, "seed": seed, **timings, "total": sum(timings.values()), **extra}
        if label_key in adata.obs:
            row.update(metrics.scores(adata.obs[label_key], labels))
        rows.append(row)
    return rows


def timing_rows(n_cells: int, n_genes: int, *, seed: int = 0, methods=TIMED_METHODS, n_groups: int = 4,
                device: str = "auto", kernel: str = "auto") -> list[dict]:
    """Wall seconds of each method, raw counts → labels, on ``n_cells`` × ``n_genes`` Splat-simulated cells.

    The data: ``n_groups`` equal groups, the paper's dropout (experiment, midpoint 0), :data:`TIMING_LIB_LOC`;
    simulating is not timed. Every method keeps all ``n_genes`` genes (so the gene axis is the genes it models) and
    otherwise runs with its defaults; KMeans-based methods and the competitors are told ``n_groups``. One row per
    method: ``method``, ``seconds``, ``ari``, ``nmi``, ``n_clusters``; contrastive-sc's also its training ``kernel``.
    """
    unknown = set(methods) - set(TIMED_METHODS)
    if unknown:
        raise ValueError(f"Unknown methods {sorted(unknown)}; known: {list(TIMED_METHODS)}.")
    adata = simulate.splat(n_cells, n_genes, group_prob=[1.0 / n_groups] * n_groups, dropout_type="experiment",
                           dropout_mid=0.0, lib_loc=TIMING_LIB_LOC, seed=seed, keep_true_counts=False)
    truth = adata.obs["cell_type"].to_numpy()
    rows = []

    def timed(method, run, **extra):
        if method in methods:
            t = time.perf_counter()
            labels = run()
            rows.append({"method": method, "seconds": time.perf_counter() - t, **metrics.scores(truth, labels),
                         **extra})

    timed(CSC, lambda: contrastive_sc(adata, n_genes=n_genes, seed=seed, device=device, progress=False, copy=True,
                                      kernel=kernel).obs["csc_cluster"],
          kernel=resolve_kernel(kernel, device=resolve_device(device)))  # the defaults' "batch" mask
    timed(SCANPY, lambda: baselines.scanpy_leiden(adata, n_genes=n_genes, seed=seed))
    timed(PCA_KMEANS, lambda: baselines.pca_kmeans(adata, n_clusters=n_groups, n_genes=n_genes, seed=seed))
    deep = [m for m in (SCDEEPCLUSTER, SCZI) if m in methods]
    if deep:  # one shared pretraining; each row's seconds are what the method costs alone
        for row in benchmark.competitor_rows(adata, seed, methods=deep, device=device, n_genes=n_genes):
            rows.append({k: row[k] for k in ("method", "seconds", "ari", "nmi", "n_clusters")})
    return rows


def warm_up(*, approximate_knn: bool = False, kernel: str = "auto") -> None:
    """Compile numba's kernels on tiny data sets, so that later timings exclude the one-off cost.

    Always scanpy's and the training step's of ``kernel`` (:mod:`csc_core.compiled_step`: loaded from numba's on-disk
    cache, or compiled on a machine's first run); with ``approximate_knn`` also pynndescent's and umap's, which only data
    sets above :data:`csc_core.cluster.EXACT_KNN_MAX_CELLS` cells use (about 30 s on first use: without this, the first
    such data set timed in a process pays it).
    """
    rng = np.random.default_rng(0)
    tiny = ad.AnnData(rng.poisson(2.0, size=(60, 40)).astype(np.float32))
    time_pipelines(tiny, n_genes=40, epochs=1, n_neighbors=5, kernel=kernel)
    if approximate_knn:
        cluster.knn_graph(rng.normal(size=(300, 8)).astype(np.float32), n_neighbors=5, method="approximate")


def label_kernels(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with contrastive-sc's ``method`` naming its training kernel ("contrastive-sc (compiled)"), so that
    the two kernels' rows are told apart in a table or figure; rows without a kernel are left as they are."""
    if "kernel" not in rows.columns:
        return rows
    rows = rows.copy()
    named = (rows["method"] == CSC) & rows["kernel"].notna() & (rows["kernel"].astype(str) != "")
    rows.loc[named, "method"] = CSC + " (" + rows.loc[named, "kernel"].astype(str) + ")"
    return rows


def stage_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean seconds of each stage and in total, per data set and method (rows as :func:`time_pipelines` returns)."""
    cols = [c for c in (*STAGES, "total") if c in rows.columns]
    return rows.groupby(["dataset", "method"], observed=True)[cols].mean()


def speed_ratio(rows: pd.DataFrame) -> pd.Series:
    """Mean end-to-end seconds of contrastive-sc divided by scanpy's, per data set."""
    total = rows.pivot_table(index="dataset", columns="method", values="total", aggfunc="mean")
    return (total[CSC] / total[SCANPY]).rename("csc / scanpy")


def linear_fit(x, y) -> tuple[float, float, float]:
    """Least-squares line ``y ≈ slope · x + intercept`` and its R²."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    r2 = 1.0 - (residual**2).sum() / ((y - y.mean()) ** 2).sum()
    return float(slope), float(intercept), float(r2)



def timing_fits(rows: pd.DataFrame, x: str) -> pd.DataFrame:
    """Per method, fits of ``seconds`` against ``x`` (``n_cells`` or ``n_genes``; rows of :func:`timing_rows`).

    Columns: ``per_1000`` (seconds per 1,000 more of ``x``, least-squares line), ``intercept``, ``r2`` of that line,
    ``exponent`` (slope on log–log axes: 1 is linear growth) and ``points``.
    """
    out = {}
    for method, g in rows.groupby("method", sort=False):
        g = g.groupby(x, as_index=False)["seconds"].mean()
        if len(g) < 2:
            continue
        slope, intercept, r2 = linear_fit(g[x], g["seconds"])
        exponent = np.polyfit(np.log(g[x].astype(float)), np.log(g["seconds"].astype(float)), 1)[0]
        out[method] = {"per_1000": 1000 * slope, "intercept": intercept, "r2": r2, "exponent": exponent,
                       "points": len(g)}
    return pd.DataFrame.from_dict(out, orient="index")


def training_frontier(rows: pd.DataFrame, *, kernel: str | None = None) -> pd.DataFrame:
    """Mean ARI, csc / scanpy ratio and optimizer steps per data set and training length (``bench speed-frontier``;
    with ``kernel``, only the rows trained with that kernel).

    ``rows`` hold one contrastive-sc run each, with ``dataset``, ``steps`` (a number of steps, or ``"default"``),
    ``steps_run``, ``ari`` and ``ratio`` (its end-to-end seconds over scanpy's, same process). Returns one row per data
    set and ``steps`` — plus ``dataset="mean"``, the mean over data sets, last — sorted by data set and number of
    steps (``"default"`` last), with columns ``steps_run``, ``ari``, ``ratio`` and ``seeds``.
    """
    if kernel is not None:
        rows = rows[rows["kernel"] == kernel] if "kernel" in rows.columns else rows.iloc[0:0]
    if rows.empty:
        raise ValueError("No frontier rows: run `python -m bench speed-frontier` first.")
    rows = rows.assign(steps=rows["steps"].astype(str))
    per = rows.groupby(["dataset", "steps"]).agg(steps_run=("steps_run", "mean"), ari=("ari", "mean"),
                                                 ratio=("ratio", "mean"), seeds=("seed", "nunique")).reset_index()
    mean = per.groupby("steps", as_index=False)[["steps_run", "ari", "ratio", "seeds"]].mean().assign(dataset="mean")
    out = pd.concat([per, mean], ignore_index=True)
    order = out["steps"].map(lambda s: float("inf") if not s.isdigit() else float(s))
    return (out.assign(_last=out["dataset"] == "mean", _order=order).sort_values(["_last", "dataset", "_order"])
            .drop(columns=["_last", "_order"]).reset_index(drop=True))


def early_stopping_summary(rows: pd.DataFrame, *, by: str = "n_cells", compact: bool = False) -> pd.DataFrame:
    """Per ``by`` (number of cells, or data set): mean end-to-end seconds, optimizer steps and ARI of full-length
    training and of early stopping, and how many of the runs stopped early (rows of ``python -m bench early-stopping``).

    Seven short columns: ``seconds``, ``steps`` and ``ARI``, each ``(full)`` and ``(early)``, then ``stopped early``
    ("k of n"). ``compact`` gives four instead, each pair as one "full → early" text, so that a table with long data-set
    names still fits a book page.
    """
    if rows.empty:
        raise ValueError("No early-stopping rows: run `python -m bench early-stopping` first.")
    rows = rows.assign(early_stopping=rows["early_stopping"].astype(str).str.lower() == "true",
                       stopped=rows["stopped_at"].notna())
    names = {"csc_total": "seconds", "steps_run": "steps", "ari": "ARI"}
    mean = rows.groupby([by, "early_stopping"])[list(names)].mean().unstack("early_stopping")
    out = pd.DataFrame(index=mean.index)
    for col, name in names.items():
        for early in (False, True):
            out[f"{name} ({'early' if early else 'full'})"] = mean[(col, early)]
    out[[c for c in out.columns if c.startswith("steps")]] = out.filter(like="steps").round().astype(int)
    stops = rows[rows["early_stopping"]].groupby(by)
    out["stopped early"] = stops["stopped"].sum().astype(int).astype(str) + " of " + stops.size().astype(str)
    if compact:
        formats = {"seconds": "{:.1f}", "steps": "{:,d}", "ARI": "{:.3f}"}
        pairs = {name: [f"{fmt.format(a)} → {fmt.format(b)}" for a, b in zip(out[f"{name} (full)"],
                                                                             out[f"{name} (early)"])]
                 for name, fmt in formats.items()}
        out = pd.DataFrame({**pairs, "stopped early": out["stopped early"]}, index=out.index)
    return out


def replay_stopping(trajectory: pd.DataFrame, *, resolution: float = 1.0, agreement: float = 0.95,
                    patience: int = 2) -> pd.DataFrame:
    """Where a stopping rule of :class:`csc_core.stopping.StabilityStop`'s kind would have ended each observed training.

    ``trajectory`` holds rows of ``python -m bench stopping-trajectory``: one per check of a training that was never
    stopped, with the check's agreement at each resolution (``agreement_<resolution>``) and the ARI that stopping at
    that step would have given (``ari``), plus the run's ``min_steps``, ``steps_total`` and ``ari_final``. The rule
    stops at the first check at or after ``min_steps`` that ends ``patience`` consecutive checks with agreement
    ≥ ``agreement``. Returns one row per run (``data``, ``settings``, ``seed``): ``steps_total``, ``stopped_at``
    (NaN when it would not have stopped), ``ari_full`` and ``ari_early`` (the full training's ARI when it did not
    stop).
    """
    column = f"agreement_{resolution:g}"
    if column not in trajectory.columns:
        raise KeyError(f"No checks at resolution {resolution:g} in the trajectory (columns {list(trajectory.columns)}).")
    out = []
    for (data, settings, seed), run in trajectory.sort_values("step").groupby(["data", "settings", "seed"]):
        rule = AgreementStreak(agreement=agreement, patience=patience, min_steps=run["min_steps"].iloc[0])
        stop = next(((int(step), float(ari)) for step, agreed, ari in zip(run["step"], run[column], run["ari"])
                     if rule.update(step, agreed)), None)
        full = float(run["ari_final"].iloc[0])
        out.append({"data": data, "settings": settings, "seed": int(seed),
                    "steps_total": int(run["steps_total"].iloc[0]), "stopped_at": np.nan if stop is None else stop[0],
                    "ari_full": full, "ari_early": full if stop is None else stop[1]})
    return pd.DataFrame(out)


def stopping_rules_summary(trajectory: pd.DataFrame, *, resolutions=(0.3, 0.5, 1.0), agreements=(0.95, 0.9, 0.85),
                           patience: int = 2) -> pd.DataFrame:
    """Each rule (check resolution × agreement threshold) replayed on every observed training
    (:func:`replay_stopping`): how many runs it would have cut short, the share of all steps saved, and the change in
    ARI (mean over all runs, and the worst run)."""
    rows = []
    for resolution in resolutions:
        for agreement in agreements:
            t = replay_stopping(trajectory, resolution=resolution, agreement=agreement, patience=patience)
            cut = t["stopped_at"] < t["steps_total"]
            saved = (t["steps_total"] - t["stopped_at"].fillna(t["steps_total"])).sum() / t["steps_total"].sum()
            change = t["ari_early"] - t["ari_full"]
            rows.append({"resolution": resolution, "agreement": agreement,
                         "cut short": f"{int(cut.sum())} of {len(t)}", "steps saved (%)": round(100 * saved, 1),
                         "ARI change (mean)": change.mean(), "ARI change (worst)": change.min()})
    return pd.DataFrame(rows).set_index(["resolution", "agreement"])


def complete_runs(rows: pd.DataFrame, *, cpu: str | None = None, over: str = "dataset",
                  kernel: str | None = None) -> list[str]:
    """The benchmark runs (``run`` column) that cover every value of ``over`` (data sets; ``"n_cells"`` for the scale
    benchmark) any run covered, oldest first; with ``cpu``, only the runs made on that processor (``cpu`` column);
    with ``kernel``, only those whose contrastive-sc rows trained with that kernel (``kernel`` column)."""
    coverage = rows.groupby("run")[over].nunique()
    runs = set(coverage.index[coverage == coverage.max()])
    if cpu is not None:
        runs &= set(rows.loc[rows["cpu"] == cpu, "run"])
    if kernel is not None:
        csc = rows[rows["method"] == CSC] if "method" in rows.columns else rows
        runs &= set(csc.loc[csc["kernel"] == kernel, "run"]) if "kernel" in csc.columns else set()
    return sorted(runs)


def latest_run_per_cpu(rows: pd.DataFrame, *, over: str = "dataset", kernel: str | None = None) -> dict[str, str]:
    """The latest complete benchmark run (:func:`complete_runs`; with ``kernel``, of that training kernel) made on
    each processor, ``{cpu: run}``."""
    latest = {}
    for cpu in rows["cpu"].dropna().unique():
        runs = complete_runs(rows, cpu=cpu, over=over, kernel=kernel)
        if runs:
            latest[cpu] = runs[-1]
    return dict(sorted(latest.items()))


def scaling_per_cpu(rows: pd.DataFrame, *, kernel: str | None = None) -> pd.DataFrame:
    """The latest complete scale run (``python -m bench scale``; with ``kernel``, of that training kernel) on each
    processor: its largest size's seconds, peak memory and ARI, and the least-squares line of seconds against cells
    over all its sizes (:func:`linear_fit`)."""
    out = {}
    for cpu, run in latest_run_per_cpu(rows, over="n_cells", kernel=kernel).items():
        picked = rows[rows["run"] == run].sort_values("n_cells")
        slope, _, r2 = linear_fit(picked["n_cells"], picked["csc_total"])
        top = picked.iloc[-1]
        out[cpu] = {"run": run, "largest (cells)": int(top["n_cells"]), "seconds": top["csc_total"],
                    "train (s)": top["train"], "peak RSS (GB)": top["peak_rss_gb"], "ARI": top["ari"],
                    "ms per cell": slope * 1e3, "R²": r2}
    return pd.DataFrame(out)


def across_cpus(rows: pd.DataFrame, *, method: str = CSC, kernel: str | None = None) -> pd.DataFrame:
    """ARI of ``method`` per data set and seed in the latest complete run on each processor (with ``kernel``: the
    latest whose contrastive-sc trained with it — compare one kernel across processors), side by side.

    One row per data set and seed, one column per processor, and ``spread``: the largest minus the smallest ARI of
    that seed across processors (0 where the runs agree exactly).
    """
    latest = latest_run_per_cpu(rows, kernel=kernel)
    if len(latest) < 2:
        raise ValueError(f"Need complete runs on at least two processors, found {list(latest) or 'none'}.")
    picked = rows[rows["run"].isin(latest.values()) & (rows["method"] == method)]
    table = picked.pivot_table(index=["dataset", "seed"], columns="cpu", values="ari").dropna()
    table.columns.name = None
    return table.assign(spread=table.max(axis=1) - table.min(axis=1))


def revision_comparison(rows: pd.DataFrame, *, before: str, exclude=()) -> pd.DataFrame:
    """Mean ARI of revision ``before`` against the latest other revision measured, per data set and processor.

    ``rows`` as ``python -m bench seed-spread`` stores them (``run``, ``cpu``, ``revision``, ``dataset``, ``seed``,
    ``ari``). Returns one row per data set and processor: both means, the change, its standard error (from the two
    samples' standard deviations) and the number of seeds of each. A seed measured again on the same processor and
    revision counts once, with its latest run. Revisions in ``exclude`` are never the one compared with (other past
    revisions measured again later, say).
    """
    rows = rows.sort_values("run", kind="stable").drop_duplicates(["dataset", "cpu", "revision", "seed"], keep="last")
    out = []
    for (dataset, cpu), group in rows.groupby(["dataset", "cpu"], sort=False):
        old = group[group["revision"] == before]
        others = group[(group["revision"] != before) & ~group["revision"].isin(list(exclude))]
        if old.empty or others.empty:
            continue
        after = others.loc[others["run"] == others["run"].max(), "revision"].iloc[0]
        new = others[others["revision"] == after]
        se = np.sqrt(old["ari"].var() / len(old) + new["ari"].var() / len(new))
        out.append({"dataset": dataset, "cpu": cpu, "before": old["ari"].mean(), "after": new["ari"].mean(),
                    "change": new["ari"].mean() - old["ari"].mean(), "standard error": se,
                    "seeds": f"{len(old)} / {len(new)}", "revision after": after})
    columns = ["dataset", "cpu", "before", "after", "change", "standard error", "seeds", "revision after"]
    return pd.DataFrame(out, columns=columns).set_index(["dataset", "cpu"])


def spread_sources(rows: pd.DataFrame) -> pd.DataFrame:
    """How much of the seed-to-seed spread of the ARI comes from training and how much from clustering, per data set.

    ``rows`` as ``python -m bench clustering-spread`` stores them: one per training ``seed`` and ``cluster_seed``.
    Columns: ``pipeline sd`` (standard deviation over training seeds of the runs that cluster with their own seed, as
    :func:`csc_core.contrastive_sc` does), ``clustering sd`` (over clustering seeds on one embedding, averaged over the
    embeddings), ``training sd`` (over training seeds of each embedding's mean ARI, the clustering's noise averaged
    out), ``clustering range`` (largest minus smallest ARI on one embedding, averaged), ``mean ARI`` and the seeds.
    """
    out = []
    for dataset, group in rows.groupby("dataset", sort=False):
        per_embedding = group.groupby("seed")["ari"]
        own = group[group["cluster_seed"] == group["seed"]]
        out.append({"dataset": dataset, "pipeline sd": own["ari"].std(), "clustering sd": per_embedding.std().mean(),
                    "training sd": per_embedding.mean().std(),
                    "clustering range": (per_embedding.max() - per_embedding.min()).mean(),
                    "mean ARI": group["ari"].mean(), "training seeds": group["seed"].nunique(),
                    "clustering seeds": group["cluster_seed"].nunique()})
    return pd.DataFrame(out).set_index("dataset")


def reclustered_comparison(rows: pd.DataFrame, *, before: str, seeds=None, exclude=()) -> pd.DataFrame:
    """:func:`revision_comparison` with the clustering held fixed: one comparison per ``clustering``.

    ``rows`` as ``python -m bench seed-spread --recluster`` stores them (those of :func:`revision_comparison` plus
    ``clustering``: the resolution this checkout's Leiden ran at on each revision's embedding). ``seeds``: only these
    seeds (e.g. the three of a speed target); ``exclude``: as there. Indexed by clustering, data set and processor.
    """
    if seeds is not None:
        rows = rows[rows["seed"].isin(list(seeds))]
    parts = {clustering: revision_comparison(group, before=before, exclude=exclude)
             for clustering, group in rows.groupby(rows["clustering"].astype(str), sort=False)}
    return pd.concat(parts, names=["clustering"]) if parts else pd.DataFrame()
