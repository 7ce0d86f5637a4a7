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
# The paper's two real-data ablations, re-run with `csc_core`'s defaults, changing one setting at a time:
#
# - **number of highly variable genes** (Figure 10), 100 to 8,000: the paper finds the method robust to it, with a
#   mild optimum in the low thousands;
# - **number of training epochs** (Figure 11), 5 to 300: the paper finds that a few tens of epochs suffice and more
#   do not help.
#
# Every run scores contrastive-sc (Leiden, k-free) and Ensemble K-means (told k) on the same embedding. The paper's
# ablation values are not in its public result files, so only its conclusions are quoted.
#
# ```{admonition} Re-running this chapter
# :class: tip
# `profile = "quick"` runs (or reads back) the two 2,100-cell data sets with seed 0; `profile = "paper"` every
# available data set with seeds 0, 1, 2 (about 35 minutes on 2 CPU cores). Rows go to
# `results/real_ablations.csv`; stored rows are read back:
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

# %%
# %matplotlib inline
import time
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

import csc_core
from csc_core.harness import figures
from csc_core.harness.chapter import find_root, real_data_plan
from csc_core.harness.grid import local_workers
from csc_core.harness.grids import csc_settings, real_data_grid
from csc_core.harness.methods import CSC_KMEANS, CSC_LEIDEN
from csc_core.harness.store import ResultStore
from csc_core.harness.timing import warm_up

plt.rcParams["figure.dpi"] = 90
#: Settings changed one at a time. ``epochs`` runs with ``min_steps=0``: the defaults' minimum of 500 optimizer
#: steps would otherwise hide the short trainings on small data sets.
ABLATIONS = {
    "n_genes": ({}, [100, 250, 500, 1000, 1500, 2000, 4000, 8000]),
    "epochs": ({"min_steps": 0}, [5, 10, 20, 50, 100, 200, 300]),
}
datasets, seeds = real_data_plan(profile, datasets, seeds)  # skips data sets that cannot be downloaded here
results_dir = Path(results_dir) if results_dir else find_root() / "results"
methods = (CSC_LEIDEN, CSC_KMEANS)
print(f"profile={profile}  datasets={datasets}  seeds={seeds}")

# %% [markdown]
# ## Running the grids

# %%
warm_up()
store = ResultStore(results_dir / "real_ablations.csv")
tables = {}
t0 = time.perf_counter()
for name, (fixed, values) in ABLATIONS.items():
    parts = [
        real_data_grid(
            datasets,
            seeds,
            csc_settings(**fixed, **{name: v}, kernel=kernel, device=device),
            store,
            methods=methods,
            device=device,
            **local_workers(workers),
        ).assign(**{name: v})
        for v in values
    ]
    tables[name] = pd.concat(parts, ignore_index=True)
print(f"{time.perf_counter() - t0:.0f} s in this run")
for name, t in tables.items():
    print(f"{name}: {t['dataset'].nunique()} data sets, seeds {sorted(int(s) for s in t['seed'].unique())}")

# %% [markdown]
# ```{admonition} How the stored results were produced
# :class: note
# `results/real_ablations.csv` was written by this chapter's grids with `profile="paper"` (6 data sets, seeds 0–2,
# all in one run of 1,562 s with the fused training step of `csc_core.kernels.torch_step`), serially on a 2-core AMD
# EPYC CPU without GPU (torch 2.13 CPU, scanpy 1.11). The rows' `seconds` are not shown here; the chapter "Computational
# cost" has clean timings (training time grows linearly with the number of optimizer steps).
# ```
#
# ## Figure 10: how many highly variable genes
# One line per data set (band: range over seeds). The PBMC and bladder files hold 2,000 genes and the 2,100-cell PBMC
# file 2,000 too, so on them every value from 2,000 up is the same run with all genes; worm and the 2,100-cell
# bladder file have more.


# %%
def show(name):
    table = tables[name]
    # values as evenly spaced categories (in increasing order): the grids are roughly geometric
    labels = table.sort_values(name).assign(**{name: lambda t: t[name].astype(str)})
    fig, axes = plt.subplots(2, 1, figsize=(8, 7), sharex=True, sharey=True)
    for ax, method in zip(axes, methods, strict=True):
        figures.ari_by_setting(labels[labels["method"] == method], x=name, ax=ax, title=method)
    axes[1].get_legend().remove()
    fig.suptitle(f"ARI against {name} (one line per data set; band: range over seeds)")
    fig.tight_layout()
    plt.show()
    mean = table.pivot_table(index=name, columns="method", values="ari").reindex(columns=list(methods))
    mean["runs"] = table[table["method"] == CSC_LEIDEN].groupby(name).size()
    display(mean.round(3))
    return mean


genes = show("n_genes")

# %% [markdown]
# ## Figure 11: how many epochs

# %%
epochs = show("epochs")

# %% [markdown]
# In words — computed from the tables above:

# %%
for name, mean in (("n_genes", genes), ("epochs", epochs)):
    csc = mean[CSC_LEIDEN]
    near = csc[csc >= csc.max() - 0.02].index
    print(
        f"{name}: contrastive-sc's mean ARI over data sets and seeds is highest at {csc.idxmax()} "
        f"({csc.max():.3f}); within 0.02 of it: {list(near)}; lowest at {csc.idxmin()} ({csc.min():.3f})."
    )
default = csc_core.DEFAULTS
print(
    f"The defaults use {default.n_genes} genes and {default.epochs} epochs with at least "
    f"{default.min_steps} steps (chapter 'Choosing the defaults')."
)
