# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Computational cost
#
# How long contrastive-sc {cite:p}`ciortan2021contrastive` takes next to scanpy's standard pipeline
# {cite:p}`wolf2018scanpy` (normalise → PCA → kNN graph → Leiden) on the same data, where the time goes, how it grows
# up to a million cells beside the paper's own timings, how reproducible a run is, and what stopping training early
# saves.
#
# ```{admonition} Key takeaways
# :class: tip
# - On the paper's real data sets, contrastive-sc takes {glue:text}`ratio_median:.1f`× as long as scanpy's pipeline
#   (median of {glue:text}`n_ratios:d` measurements, from {glue:text}`ratio_low:.1f`× to
#   {glue:text}`ratio_high:.1f`×): at most {glue:text}`csc_max_s:.1f` s on {glue:text}`speed_threads:d` CPU cores,
#   where the paper's version took {glue:text}`paper_real_low:.0f` to {glue:text}`paper_real_high:.0f` s on a GPU.
# - Training grows in proportion to the cells (log–log slope {glue:text}`slope_train:.2f`; the paper's
#   {glue:text}`slope_paper:.2f`), as the paper says. At {glue:text}`cells_1m:,d` cells the kNN graph and Leiden take
#   {glue:text}`graph_share_1m:.0f` % of the {glue:text}`total_1m:.0f` s and grow a little faster than the cells.
# - Both the training seed and Leiden's seed move the ARI: even with the medoid of three Leiden starts, the clustering
#   seed moves it more than the training seed on {glue:text}`n_clustering_bigger:d` of {glue:text}`n_spread_sets:d`
#   data sets. Quote a mean over seeds.
# - Early stopping is an option for large data: at {glue:text}`cells_1m:,d` cells it cut training from
#   {glue:text}`es_steps_full:,d` to {glue:text}`es_steps_early:,d` steps at a cost of {glue:text}`es_ari_loss:.3f`
#   in ARI; on smaller data it rarely fires.
# - Rebuilding every grid of the book with the paper profile takes about {glue:text}`book_hours:.0f` hours on
#   {glue:text}`book_cores:d` cores, {glue:text}`book_competitor_share:.0f` % of it for the deep competitors.
# ```
#
# Every number here is read back from tables the benchmarks in `bench/` stored (`bench/README.md` says how each was
# measured, and keeps the history of how the method was made fast); with `measure_here = True` the chapter also times
# both pipelines on one data set on *your* machine. The timings come from small virtual machines with nothing else
# running; quote the ratios rather than the seconds.

# %% tags=["parameters", "hide-input"]
profile = "quick"  # "quick" or "paper": which seeds `measure_here` runs (0, or 0-2); the stored tables are the same
seeds = None  # None: the profile's seeds
device = "auto"  # "auto", "cpu" or "cuda"
measure_here = False  # time both pipelines on `dataset` in this kernel
dataset = "worm_neuron_cell"

# %% tags=["hide-input", "remove-output"]
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import csc_core
from csc_core.data.reference import paper_timing
from csc_core.harness import cost_figures, runs, timing
from csc_core.harness.book_cost import COST_COLUMNS, cost_summary, paper_profile_cost
from csc_core.harness.chapter import glue_values, setup
from csc_core.harness.labels import dataset_label
from csc_core.harness.machine import relabel_processors
from csc_core.harness.stopping_tables import early_stopping_summary, stopping_summary
from csc_core.harness.store import ResultStore
from csc_core.harness.tables import pretty
from csc_core.pipeline.graph import EXACT_KNN_MAX_CELLS
from csc_core.pipeline.medoid import LEIDEN_STARTS
from csc_core.pipeline.resolution import AUTO_RESOLUTIONS, AUTO_RULE
from csc_core.pipeline.stopping import STOP_DEFAULTS
from csc_core.settings import DEFAULTS, PAPER

plan = setup(profile, part="other", seeds=seeds)  # checks the profile, sets the figures' defaults
seeds = plan.seeds
stored = plan.root / "bench" / "results"
speed = relabel_processors(ResultStore(stored / "speed.csv").load())
scale = relabel_processors(ResultStore(stored / "scale.csv").load())
spread = relabel_processors(ResultStore(stored / "clustering_spread.csv").load())
spread = spread[spread["lr_decay"] == DEFAULTS.lr_decay]  # trained as the defaults train
spread_one_start = spread[spread["auto_rule"].isna()]  # clustered with one Leiden start, before the medoid of three
spread = spread[spread["auto_rule"] == AUTO_RULE]  # clustered as the defaults cluster
stopping = ResultStore(stored / "early_stopping.csv").load()
stopping_real = ResultStore(stored / "early_stopping_real.csv").load()
published = paper_timing("pipeline per real data set").iloc[0]
glue_values(
    {
        "min_steps": DEFAULTS.min_steps,
        "n_models": DEFAULTS.n_models,
        "epochs": DEFAULTS.epochs,
        "paper_real_epochs": PAPER.epochs,
        "n_resolutions": len(AUTO_RESOLUTIONS),
        "n_starts": LEIDEN_STARTS,
        "exact_knn_max": EXACT_KNN_MAX_CELLS,
        "worm_label": dataset_label("worm_neuron_cell"),
        "paper_real_low": published["seconds_low"],
        "paper_real_high": published["seconds_high"],
        **{
            f"stop_{key.removeprefix('n_')}": STOP_DEFAULTS[key]
            for key in ("n_cells", "every", "patience", "agreement")
        },
    }
)

# %% [markdown]
# ## Speed against scanpy
#
# Each measurement runs one pipeline on one data set and seed in a fresh process, after numba's kernels have been
# compiled (a one-off cost of a machine's first run, and of a few seconds in each new Python process, which these
# timings leave out), from raw counts to cluster labels, loading excluded. The ratio below pairs contrastive-sc's
# seconds (the defaults, the compiled training step) with scanpy's for the same data set and seed in the same run.

# %% tags=["hide-input"]
picked = runs.speed_runs(speed, kernel="compiled", n=2)  # the two latest complete runs, on one processor
current = speed[speed["run"].isin(picked.index)]
paired = timing.paired_ratios(current)
threads = int(current["threads"].max())
load = f"at most {picked['max_load'].max():.1f}" if picked["idle"].notna().all() else "not recorded"
glue_values(timing.speed_summary(paired))
glue_values(
    {
        "speed_cpu": picked["cpu"].iloc[-1],
        "speed_threads": threads,
        "load_note": load,
    }
)
timing.ratio_table(paired)

# %% [markdown]
# **What this shows.** contrastive-sc is slower than scanpy on every data set: the median ratio is
# {glue:text}`ratio_median:.2f`× over {glue:text}`n_speed_sets:d` data sets × {glue:text}`n_speed_seeds:d` seeds ×
# {glue:text}`n_speed_runs:d` repeated runs, from {glue:text}`ratio_low:.2f`× to {glue:text}`ratio_high:.2f`×. It is
# closest on the larger sets, where scanpy's PCA costs more, and furthest on the smaller ones, where training has a
# floor of {glue:text}`min_steps:d` optimizer steps whatever the data's size. Neither takes long: contrastive-sc at
# most {glue:text}`csc_max_s:.2f` s, where the paper's version took {glue:text}`paper_real_low:.0f` to
# {glue:text}`paper_real_high:.0f` s per real data set on a GPU (preprocessing, training and KMeans). Measured on an
# {glue:text}`speed_cpu` with {glue:text}`speed_threads:d` threads. The machine's 1-minute load as each measurement
# started: {glue:text}`load_note` (rows stored before the benchmarks recorded it rest on their rule of running alone
# on the machine, `bench/README.md`, which also keeps the other processor types' runs: they measured earlier code).
#
# ## Where the time goes

# %% tags=["hide-input"]
stages = timing.stage_table(current)
glue_values({**timing.stage_summary(stages), "train_s_worm": stages.loc[("worm_neuron_cell", timing.CSC), "train"]})
cost_figures.stage_times(stages, title="Seconds per stage (mean over seeds and runs)")
plt.show()

# %% [markdown]
# **What this shows.** Training is {glue:text}`train_share:.0f` % of contrastive-sc's time on average
# ({glue:text}`train_s_worm:.2f` s on {glue:text}`worm_label`), and it is the stage scanpy does not have; scanpy spends
# {glue:text}`pca_share:.0f` % of its time on PCA instead. Preprocessing and the kNN graph cost both about the same.
# contrastive-sc's clustering costs {glue:text}`leiden_x:.1f`× scanpy's (median over data sets) because its automatic
# resolution runs Leiden at {glue:text}`n_resolutions:d` resolutions and scores each partition's silhouette before it
# picks one (the lowest resolution close to the best silhouette; "Choosing the defaults"), then keeps the medoid of
# {glue:text}`n_starts:d` Leiden starts there, where scanpy runs Leiden once at a fixed resolution.
#
# ## A million cells, beside the paper
#
# The paper timed training alone on a GPU for {glue:text}`paper_cells` simulated cells with {glue:text}`paper_genes:d`
# genes and called it linear in the number of cells. The scale benchmark runs the defaults, keeping as many genes, on
# {glue:text}`scale_cells` Splat-simulated cells {cite:p}`zappia2017splatter` on two CPU cores, one fresh process per
# size; above {glue:text}`exact_knn_max:,d` cells the kNN graph is approximate (pynndescent).

# %% tags=["hide-input"]
latest_scale = scale[scale["run"] == scale["run"].max()]
paper_training = paper_timing("training")
series = timing.scaling_series(latest_scale, paper_training)
glue_values(timing.scaling_summary(latest_scale, paper_training))
cost_figures.scaling_with_paper(series, title="Seconds against cells: contrastive-sc here, and the paper's training")
plt.show()
timing.scaling_slopes(series).rename_axis(index=None, columns="seconds of")

# %% [markdown]
# **What this shows.** The paper's claim holds for training: its seconds grow with a log–log slope of
# {glue:text}`slope_train:.2f` here and {glue:text}`slope_paper:.2f` in the paper (1 is proportional). Per cell our
# training takes {glue:text}`ms_cell_train:.3f` ms on {glue:text}`speed_threads:d` CPU cores, the paper's
# {glue:text}`ms_cell_paper:.2f` ms on a GPU — not a like-for-like race: the paper trained one encoder for
# {glue:text}`paper_epochs:d` epochs, the defaults train {glue:text}`n_models:d` smaller ones for
# {glue:text}`epochs:d`. The whole pipeline is not quite linear: its slope is {glue:text}`slope_total:.2f` overall but
# {glue:text}`slope_total_top:.2f` over the last tenfold, because the kNN graph and Leiden grow with a slope of
# {glue:text}`slope_graph_top:.2f` there. At {glue:text}`cells_1m:,d` cells the run took {glue:text}`total_1m:.0f` s
# ({glue:text}`train_1m:.0f` s of training; the graph and Leiden {glue:text}`graph_share_1m:.0f` %), peaked at
# {glue:text}`peak_1m:.1f` GB of memory and scored ARI {glue:text}`ari_1m:.3f` ({glue:text}`scale_cpu`). Simulating
# the data is not counted.
#
# ## Reproducibility: seeds and processors
#
# A seed drives both halves of a run: training (initial weights, minibatches, gene subsets) and clustering (Leiden's
# visiting order, the silhouette sample of the automatic resolution). The clustering-spread benchmark trains the
# defaults with several seeds and clusters each embedding again with several clustering seeds, so the two can be told
# apart.

# %% tags=["hide-input"]
sources = runs.spread_sources(spread)
glue_values(runs.spread_summary(sources))
glue_values(
    {"n_clustering_bigger_one_start": runs.spread_summary(runs.spread_sources(spread_one_start))["n_clustering_bigger"]}
)
cost_figures.spread_sources(sources, title="Where the ARI's spread comes from")
plt.show()

# %% [markdown]
# **What this shows.** Both halves move the ARI. On {glue:text}`n_clustering_bigger:d` of
# {glue:text}`n_spread_sets:d` data sets it moves more between {glue:text}`n_cluster_seeds:d` clustering seeds on one
# embedding than between {glue:text}`n_training_seeds:d` trainings (their standard deviation at most
# {glue:text}`training_sd_max:.3f`); with one Leiden start instead of the medoid of three ("Choosing the defaults",
# Round 6) it did on {glue:text}`n_clustering_bigger_one_start:d`. On {glue:text}`clustering_range_set` the
# clustering seed alone still moves the ARI over a range of {glue:text}`clustering_range_max:.2f` on average. The
# number to quote is a mean over seeds.
#
# On one processor, the same code, data and seed give the same result to the bit, with one thread or two (the test
# suite checks it). Across processors they do not: the matrix products add their terms in another order on AVX2 than
# on AVX-512, a training of hundreds of steps amplifies the rounding, and Leiden may then land in another partition.
# The speed benchmark ran the same code (PyTorch's training step) with the same seeds on {glue:text}`n_cpus:d`
# processor types:

# %% tags=["hide-input"]
csc_cpus = runs.across_cpus(speed, kernel="torch")
glue_values(runs.processor_summary(csc_cpus, runs.across_cpus(speed, method=timing.SCANPY, kernel="torch")))
cost_figures.across_cpus(csc_cpus, title="contrastive-sc's ARI: same code and seeds on each processor")
plt.show()

# %% [markdown]
# **What this shows.** One seed's ARI can change by up to {glue:text}`cpu_seed_change:.2f` from one processor to
# another, while the processors' means over the {glue:text}`n_speed_sets:d` data sets stay between
# {glue:text}`cpu_mean_low:.3f` and {glue:text}`cpu_mean_high:.3f`. scanpy is steadier but not immune:
# {glue:text}`scanpy_changed:d` of its {glue:text}`n_cpu_runs:d` runs changed, by at most
# {glue:text}`scanpy_seed_change:.3f`. So a single seed of contrastive-sc is one draw; on the harder sets a handful of
# seeds leaves a mean uncertain by a few hundredths, as large as many differences between settings in this book. We
# found no setting (such as forcing MKL's AVX2 code path) that makes runs portable.
#
# ## Stopping when the clusters settle
#
# The paper trains for a fixed number of epochs. `contrastive_sc(adata, early_stopping=True)` instead clusters a fixed
# sample of {glue:text}`stop_cells:,d` cells every {glue:text}`stop_every:d` optimizer steps and stops when
# {glue:text}`stop_patience:d` checks in a row agree with the partition before them (ARI ≥
# {glue:text}`stop_agreement:.2f`), never before the usual minimum of steps
# (`csc_core.pipeline.stopping.StabilityStop`). It is off by default. The benchmark ran both modes on the simulated
# data above (with PyTorch's training step, before the compiled one), one process per size and seed; each column
# reads full-length training → early stopping, means over the seeds:

# %% tags=["hide-input"]
glue_values(stopping_summary(stopping, stopping_real))
early_stopping_summary(stopping, compact=True).rename(index="{:,}".format).rename_axis(index=None, columns="cells")

# %% [markdown]
# ## Rebuilding the whole book
#
# The chapters' quick profile reads stored results back and builds the book in minutes. The paper profile
# (`profile="paper"`, or `make book PROFILE=paper`) computes every run of the paper's grids itself. How long that
# takes on a machine like the one that stored them ({glue:text}`book_cpu`, {glue:text}`book_cores:d` cores) is summed
# below from the stored runs' own wall times. A run measured on an otherwise idle machine counts as measured; every
# other run — not computed yet, computed under an earlier version of the defaults, or timed while other jobs shared
# the machine — is estimated from the idle runs of the same table and settings, in proportion to its cells (the costs
# grow linearly with the cells, as the section on a million cells shows). Where a table has no idle run at all, the
# estimate scales runs that shared the machine, and is an upper bound.

# %% tags=["hide-input"]
book_cost = paper_profile_cost(plan.root / "results")
glue_values(cost_summary(book_cost))
pretty(book_cost.rename(columns=COST_COLUMNS), decimals=2, join_index=True)

# %% [markdown]
# **What this shows.** The paper profile of the grid chapters takes about {glue:text}`book_hours:.0f` hours on
# {glue:text}`book_cores:d` cores: {glue:text}`book_tasks:,d` runs, {glue:text}`book_measured:d` of them measured on
# an idle machine ({glue:text}`book_shared:d` estimated from runs that shared it, so the total is if anything too
# high). The deep competitors (scDeepCluster, scziDesk) take {glue:text}`book_competitor_share:.0f` % of it
# ({glue:text}`book_competitor_hours:.1f` h); contrastive-sc, its variants and the baselines over every grid,
# ablations included, take {glue:text}`book_csc_hours:.1f` h. The project aims at {glue:text}`book_target:d` hours for
# the whole book; on a few CPU cores the competitors alone are {glue:text}`book_verdict`. Rebuild their tables on a
# GPU, or read them back as the quick profile does.
#
# ## On your machine
#
# With `measure_here = True` (for instance `-p measure_here True` to papermill) this cell times both pipelines on
# `dataset` here, after a warm-up that compiles numba's kernels.

# %% tags=["hide-input"]
if measure_here:
    timing.warm_up()
    here = pd.DataFrame(
        [r for s in seeds for r in timing.time_pipelines(csc_core.data.load(dataset), seed=s, device=device)]
    ).assign(run="here", dataset=dataset)
    display(timing.ratio_table(timing.paired_ratios(here)))  # noqa: F821 (IPython's display)

# %% [markdown]
# ```{admonition} Re-running the benchmarks behind this chapter
# :class: dropdown
# Run each alone on the machine (`bench/README.md`: nothing else may use the CPU while it times):
#
#     python -m bench speed --seeds 0 1 2                 # about 8 minutes
#     python -m bench scale --cells 10000 30000 100000 300000 1000000   # about 20 minutes
#     python -m bench clustering-spread                   # about 5 minutes
#     python -m bench early-stopping                      # about 20 minutes
#     python -m bench early-stopping --datasets all --settings paper
#
# New rows record the machine's 1-minute load; this chapter then leaves out runs made on a busy machine.
# ```
