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
# # Simulated data: what each ingredient does
#
# The paper's ablations on simulated data {cite:p}`ciortan2021contrastive` (Figures 8a, 8b and 9 of its version in
# *BMC Bioinformatics* 22:280, 2021), re-run with `csc_core`'s defaults and the paper's simulated-data protocol
# (see the previous chapter), changing one setting at a time:
#
# - **share of genes each augmented view keeps** (`keep`, Figure 8a): the paper finds that strong augmentation —
#   keeping 20 % of the genes or fewer — works best;
# - **number of encoders in the ensemble** (`n_models`, Figure 8b);
# - **number of highly variable genes** (`n_genes`, Figure 9), up to all 2,500 genes.
#
# Every run scores contrastive-sc (Leiden, not told the number of groups) and Ensemble K-means (told it) on the same
# embedding. The paper's ablation values are not in its public result files, so only its conclusions are quoted here.
# Each curve is drawn over the data sets measured at every value of its setting, so the values are compared on the
# same data.
#
# ```{admonition} Key takeaways
# :class: tip
# - Augmentation: contrastive-sc's median ARI is highest when each view keeps {glue:text}`keep_best` of the genes
#   and lowest at {glue:text}`keep_worst`; the default keeps {glue:text}`keep_default`.
# - Encoders: the median is highest with {glue:text}`n_models_best` encoder(s) and lowest with
#   {glue:text}`n_models_worst`; the default trains {glue:text}`n_models_default`, and
#   {glue:text}`n_models_cost`.
# - Genes: highest at {glue:text}`n_genes_best` genes, lowest at {glue:text}`n_genes_worst`; the simulated-data
#   protocol uses {glue:text}`n_genes_default`.
# - Every curve is a median over {glue:text}`sets_range` data set(s) {glue:text}`sets_kinds`; the
#   figures also draw every single data set, whose ARIs spread far wider than the medians move.
# ```
#
# ```{admonition} Re-running this chapter
# :class: dropdown
# `profile = "quick"` computes one data set with seed 0 when `results/simulated_ablations.csv` does not hold it yet,
# and shows every stored row; `profile = "paper"` all 32 data sets with seeds 0, 1 and 2 (hours on a laptop CPU;
# pass `seeds=[0]` for one seed). Stored rows are read back:
#
#     jupytext --to ipynb book/simulated/ablations.py -o - | \
#       papermill - ablations_out.ipynb --cwd book/simulated -p profile paper -p seeds "[0]"
# ```

# %% tags=["parameters"]
profile = "quick"  # "quick" or "paper"
seeds = None  # None: the profile's seeds
device = "auto"  # "auto", "cpu" or "cuda"
kernel = "torch"  # training step: "torch" (the stored tables' kernel), or "auto" for the compiled CPU step
workers = 1  # processes for runs not yet stored: 2 on two cores, ~1.5x faster (harness.grid.local_workers)
results_dir = None  # None: the repository's results/ folder

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from IPython.display import display

from csc_core.harness import figures
from csc_core.harness.chapter import ablation_grids, glue, run_summary, setup
from csc_core.harness.grid import local_workers
from csc_core.harness.grids import SIMULATED_ABLATIONS, simulated_grid, simulated_settings
from csc_core.harness.machine import idle_rows, one_worker_count
from csc_core.harness.methods import CSC_KMEANS, CSC_LEIDEN
from csc_core.harness.tables import complete_sets, extremes, pretty

plan = setup(profile, part="simulated ablations", seeds=seeds, results_dir=results_dir)
methods = (CSC_LEIDEN, CSC_KMEANS)
base = simulated_settings(kernel=kernel, device=device)

# %% [markdown]
# ## Running the grids
# One grid per setting (`csc_core.harness.grids.SIMULATED_ABLATIONS`: the values tried). The run with every setting
# at its default is shared by the three ablations: the store keys rows by all settings.

# %%
store = plan.store("simulated_ablations")
tables = ablation_grids(
    lambda overrides: simulated_grid(
        plan.datasets,
        plan.seeds,
        simulated_settings(**overrides, kernel=kernel, device=device),
        store,
        methods=methods,
        device=device,
        **local_workers(workers),
    ),
    SIMULATED_ABLATIONS,
)
for name, table in tables.items():
    print(f"{name}: {run_summary(table)}")

# %% tags=["hide-input"]
paired = {name: complete_sets(t, x=name) for name, t in tables.items()}
counts = {name: len(t[["kind", "n_groups", "dropout_mid"]].drop_duplicates()) for name, t in paired.items()}
for name, t in paired.items():
    medians = t[t["method"] == CSC_LEIDEN].groupby(name)["ari"].median()
    e = extremes(medians)
    glue(f"{name}_best", f"{e['best']:g}")
    glue(f"{name}_worst", f"{e['worst']:g}")
    glue(f"{name}_best_ari", e["best_value"])
    glue(f"{name}_worst_ari", e["worst_value"])
    glue(f"{name}_default", f"{base[name]:g}")
    glue(f"{name}_default_ari", medians.get(base[name], float("nan")))
    glue(f"{name}_sets", counts[name])
kinds = sorted({kind for t in paired.values() for kind in t["kind"].unique()})
low, high = min(counts.values()), max(counts.values())
glue("sets_range", f"{low}" if low == high else f"{low} to {high}")
glue("sets_kinds", "of both kinds" if len(kinds) > 1 else f"({', '.join(kinds) or 'none'} only)")


# %% [markdown]
# ## Figure 8a: how much of each cell the augmentation keeps
# Thick lines: median ARI over the data sets of each kind; band: their interquartile range (the middle half of the
# data sets); thin lines: single data sets. The table gives the medians.

# %% tags=["hide-input"]
figures.ablation_by_method(paired["keep"], x="keep", methods=methods)
plt.show()
display(pretty(paired["keep"].pivot_table(index="keep", columns=["method", "kind"], values="ari", aggfunc="median")))

# %% [markdown]
# **What this shows.** Over {glue:text}`keep_sets` data sets, contrastive-sc's median ARI is highest when each view
# keeps {glue:text}`keep_best` of the genes ({glue:text}`keep_best_ari:.3f`) and lowest at {glue:text}`keep_worst`
# ({glue:text}`keep_worst_ari:.3f`); the default, {glue:text}`keep_default`, gives {glue:text}`keep_default_ari:.3f`.
#
# ## Figure 8b: how many encoders

# %% tags=["hide-input"]
figures.ablation_by_method(paired["n_models"], x="n_models", methods=methods)
plt.show()
display(
    pretty(paired["n_models"].pivot_table(index="n_models", columns=["method", "kind"], values="ari", aggfunc="median"))
)
n_models = paired["n_models"]
# runs that shared the cores took longer; a task of a two-worker grid had one core, of a one-worker grid two
timed = one_worker_count(idle_rows(n_models[n_models["method"] == CSC_LEIDEN]), "n_models")
seconds = timed.groupby("n_models")["seconds"].median()
lo, hi = (int(seconds.index.min()), int(seconds.index.max())) if len(seconds) else (0, 0)
n_workers = int(timed["workers"].fillna(1).iloc[0]) if "workers" in timed and len(timed) else 1
glue(
    "n_models_cost",
    f"{hi} encoders take {seconds[hi] / seconds[lo]:.1f}× the median time of {'one' if lo == 1 else lo} in the "
    f"{len(timed):,} runs made on an otherwise idle machine by "
    f"{'one worker with both cores' if n_workers == 1 else f'{n_workers} parallel one-core workers'}"
    if len(seconds) > 1
    else "none of these runs was made on an otherwise idle machine, so their times are not compared",
)

# %% [markdown]
# **What this shows.** Over {glue:text}`n_models_sets` data sets, the median is highest with
# {glue:text}`n_models_best` encoder(s) ({glue:text}`n_models_best_ari:.3f`) and lowest with
# {glue:text}`n_models_worst` ({glue:text}`n_models_worst_ari:.3f`); the default, {glue:text}`n_models_default`,
# gives {glue:text}`n_models_default_ari:.3f`. Each encoder is trained on its own, so the time grows with their
# number: {glue:text}`n_models_cost`.
#
# ## Figure 9: how many highly variable genes

# %% tags=["hide-input"]
figures.ablation_by_method(paired["n_genes"], x="n_genes", methods=methods)
plt.show()
display(
    pretty(paired["n_genes"].pivot_table(index="n_genes", columns=["method", "kind"], values="ari", aggfunc="median"))
)

# %% [markdown]
# **What this shows.** Over {glue:text}`n_genes_sets` data sets, the median is highest at {glue:text}`n_genes_best`
# genes ({glue:text}`n_genes_best_ari:.3f`) and lowest at {glue:text}`n_genes_worst`
# ({glue:text}`n_genes_worst_ari:.3f`); the simulated-data protocol's {glue:text}`n_genes_default` gives
# {glue:text}`n_genes_default_ari:.3f`. Only about a tenth of the 2,500 simulated genes differ between groups, so
# keeping many more genes than that dilutes the signal.
