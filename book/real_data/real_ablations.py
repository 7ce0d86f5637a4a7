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
# # Real data: how many genes, how much training
#
# The paper's two real-data ablations {cite:p}`ciortan2021contrastive` (Figures 10 and 11 of its version in *BMC
# Bioinformatics* 22:280, 2021), re-run with `csc_core`'s defaults, changing one setting at a time on the paper's
# real data sets. {glue:md}`coverage`
#
# - **number of highly variable genes** (Figure 10): the paper finds the method robust to it, with a mild optimum in
#   the low thousands;
# - **number of training epochs** (Figure 11): the paper finds that a few tens of epochs suffice and more do not
#   help.
#
# Every run scores contrastive-sc (Leiden, not told the number of types) and Ensemble K-means (told it) on the same
# embedding. The paper's ablation values are not in its public result files, so only its conclusions are quoted.
#
# ```{admonition} Key takeaways
# :class: tip
# - Genes: contrastive-sc's mean ARI is highest at {glue:text}`genes_best` genes ({glue:text}`genes_best_ari:.3f`)
#   and lowest at {glue:text}`genes_worst` ({glue:text}`genes_worst_ari:.3f`); {glue:text}`genes_near` of the
#   {glue:text}`genes_n` values tried lie within 0.02 of the best.
# - Epochs: highest at {glue:text}`epochs_best` epochs ({glue:text}`epochs_best_ari:.3f`), lowest at
#   {glue:text}`epochs_worst` ({glue:text}`epochs_worst_ari:.3f`).
# - The defaults ({glue:text}`default_genes` genes, {glue:text}`default_epochs` epochs with at least
#   {glue:text}`default_steps` optimizer steps) were chosen on these same data sets: these curves show how sensitive
#   the method is to each setting, not how well the chosen values generalise.
# ```
#
# ```{admonition} Re-running this chapter
# :class: dropdown
# `profile = "quick"` computes the two 2,100-cell data sets with seed 0 when `results/real_ablations.csv` does not
# hold them yet, and shows every stored row; `profile = "paper"` every data set that can be found or downloaded,
# with seeds 0, 1 and 2. Stored rows are read back:
#
#     jupytext --to ipynb book/real_data/real_ablations.py -o - | \
#       papermill - real_ablations_out.ipynb --cwd book/real_data -p profile paper
# ```

# %% tags=["parameters"]
profile = "quick"  # "quick" or "paper"
datasets = None  # None: the profile's data sets
seeds = None  # None: the profile's seeds
device = "auto"  # "auto", "cpu" or "cuda"
kernel = "torch"  # training step: "torch" (the stored tables' kernel), or "auto" for the compiled CPU step
workers = 1  # processes for runs not yet stored: 2 on two cores, ~1.5x faster (harness.grid.local_workers)
results_dir = None  # None: the repository's results/ folder

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import csc_core
from csc_core.harness import figures
from csc_core.harness.chapter import ablation_grids, coverage_sentence, glue, run_summary, setup
from csc_core.harness.grid import local_workers
from csc_core.harness.grids import REAL_ABLATIONS, csc_settings, real_data_grid
from csc_core.harness.methods import CSC_KMEANS, CSC_LEIDEN
from csc_core.harness.tables import extremes, pretty, setting_summary

plan = setup(profile, part="real", datasets=datasets, seeds=seeds, results_dir=results_dir)
methods = (CSC_LEIDEN, CSC_KMEANS)

# %% [markdown]
# ## Running the grids
# One grid per setting (`csc_core.harness.grids.REAL_ABLATIONS`: the values tried; `epochs` runs with `min_steps=0`,
# or the defaults' minimum number of optimizer steps would hide the short trainings on small data sets).

# %%
store = plan.store("real_ablations")
tables = ablation_grids(
    lambda overrides: real_data_grid(
        plan.datasets,
        plan.seeds,
        csc_settings(**overrides, kernel=kernel, device=device),
        store,
        methods=methods,
        device=device,
        **local_workers(workers),
    ),
    REAL_ABLATIONS,
)
for name, table in tables.items():
    print(f"{name}: {run_summary(table)}")

# %% tags=["hide-input"]
shown = sorted(set(tables["n_genes"]["dataset"]))
glue("coverage", Markdown(coverage_sentence(shown, published_bars=False)))
summaries = {name: setting_summary(t, x=name, methods=methods) for name, t in tables.items()}
for name, tag in (("n_genes", "genes"), ("epochs", "epochs")):
    e = extremes(summaries[name][CSC_LEIDEN])
    glue(f"{tag}_best", int(e["best"]))
    glue(f"{tag}_best_ari", e["best_value"])
    glue(f"{tag}_worst", int(e["worst"]))
    glue(f"{tag}_worst_ari", e["worst_value"])
    glue(f"{tag}_near", e["n_near"])
    glue(f"{tag}_n", e["n"])
default = csc_core.DEFAULTS
glue("default_genes", default.n_genes)
glue("default_epochs", default.epochs)
glue("default_steps", default.min_steps)

# %% [markdown]
# ## Figure 10: how many highly variable genes
# One line per data set (band: range over seeds). The PBMC and bladder files cut to 2,000 genes hold no more, so on
# them every value from 2,000 up is the same run with all genes; worm and the 2,100-cell bladder file have more.

# %% tags=["hide-input"]
figures.ablation_by_dataset(tables["n_genes"], x="n_genes", methods=methods)
plt.show()
display(pretty(summaries["n_genes"]))

# %% [markdown]
# **What this shows.** Averaged over data sets and seeds, contrastive-sc peaks at {glue:text}`genes_best` genes
# (ARI {glue:text}`genes_best_ari:.3f`) and does worst at {glue:text}`genes_worst` ({glue:text}`genes_worst_ari:.3f`);
# {glue:text}`genes_near` of {glue:text}`genes_n` values are within 0.02 of the peak. The single data sets move more
# than their mean, in both directions.
#
# ## Figure 11: how many epochs

# %% tags=["hide-input"]
figures.ablation_by_dataset(tables["epochs"], x="epochs", methods=methods)
plt.show()
display(pretty(summaries["epochs"]))

# %% [markdown]
# **What this shows.** contrastive-sc's mean ARI is highest at {glue:text}`epochs_best` epochs
# ({glue:text}`epochs_best_ari:.3f`) and lowest at {glue:text}`epochs_worst` ({glue:text}`epochs_worst_ari:.3f`);
# {glue:text}`epochs_near` of {glue:text}`epochs_n` values are within 0.02 of the best. The defaults use
# {glue:text}`default_epochs` epochs with at least {glue:text}`default_steps` optimizer steps; the chapter
# [Choosing the defaults](../choosing_defaults/choosing_defaults) shows why.
