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
# # Real data: contrastive-sc against scanpy and PCA + KMeans
#
# This chapter runs contrastive-sc {cite:p}`ciortan2021contrastive` on the real data sets of the paper's Table 1 that
# are public in the scDeepCluster and scDCC repositories, next to scanpy's standard Leiden pipeline
# {cite:p}`wolf2018scanpy` and PCA + KMeans, with the same preprocessing and seeds. Every number is computed by the
# code of `csc_core` when this notebook runs (or read back from the result table `results/real_data.csv` that earlier
# runs wrote with the same settings); the paper's published values are drawn beside them.
#
# - **contrastive-sc**: Leiden on the kNN graph of the concatenated embeddings of 3 encoders. It is not told the
#   number of cell types.
# - **Ensemble K-means**: KMeans with the true number of types on the same embedding.
# - **scanpy**: the same preprocessing, then 50 principal components → kNN graph → Leiden. Not told the number either.
# - **PCA + KMeans**: KMeans with the true number of types on 50 principal components (the paper used 2).
#
# ```{admonition} Re-running this chapter
# :class: tip
# `profile = "quick"` runs two small data sets with one seed in a few minutes on 2 CPU cores; `profile = "paper"`
# runs every available data set with seeds 0, 1, 2. From the repository root:
#
#     jupytext --to ipynb book/real_data/real_data.py -o - | \
#       papermill - real_data_out.ipynb --cwd book/real_data -p profile paper
#
# Rows already in `results/real_data.csv` for the same settings are not recomputed.
# ```

# %% tags=["parameters"]
profile = "quick"  # "quick" or "paper"
preset = "default"  # "default": csc_core's defaults; "paper": the paper's settings (csc_core.PAPER)
datasets = None  # None: the profile's data sets
seeds = None  # None: the profile's seeds
device = "auto"  # "auto", "cpu" or "cuda"
kernel = "torch"  # training step: "torch" (the stored tables' kernel), or "auto" for the compiled CPU step
workers = 1  # processes for runs not yet stored: 2 on two cores, ~1.5x faster (harness.grid.local_workers)
epochs = None  # None: csc_core's default
n_genes = 1500
umap_dataset = "10X_PBMC_select_2100_top2000"
results_dir = None  # None: the repository's results/ folder

# %%
# %matplotlib inline
from pathlib import Path

import matplotlib.pyplot as plt
import scanpy as sc
from IPython.display import Markdown, display

import csc_core
from csc_core.data import metrics
from csc_core.data.reference import paper_ari_for
from csc_core.harness import figures
from csc_core.harness.chapter import absent_note, find_root, real_data_plan
from csc_core.harness.grid import local_workers
from csc_core.harness.grids import csc_settings, real_data_grid
from csc_core.harness.methods import CSC_KMEANS, CSC_LEIDEN, METHODS, SCANPY
from csc_core.harness.store import ResultStore
from csc_core.harness.tables import summary_table
from csc_core.harness.timing import warm_up

sc.settings.set_figure_params(dpi=80, facecolor="white", frameon=False)
plt.rcParams["figure.dpi"] = 90

datasets, seeds = real_data_plan(profile, datasets, seeds)  # skips data sets that cannot be downloaded here
root = find_root()
results_dir = Path(results_dir) if results_dir else root / "results"
settings = csc_settings(preset, n_genes=n_genes, epochs=epochs, kernel=kernel, device=device)
print(f"profile={profile}  datasets={datasets}  seeds={seeds}\nsettings={settings}")

# %% [markdown]
# ## Running the grid
# One task is one data set and one seed; each writes one row per method. Tasks whose rows are already stored are
# skipped, so an interrupted run resumes.

# %%
warm_up()  # compile numba's kernels first, so the first task's seconds do not include it
store = ResultStore(results_dir / "real_data.csv")
measured = real_data_grid(datasets, seeds, settings, store, device=device, **local_workers(workers))

# %% [markdown]
# ## ARI per data set
# Bars are the mean over the seeds stored for these settings (dots: single seeds); the black crosses are the values
# published with the paper (mean of its 3 runs; scanpy a single run). The 2000-gene PBMC and bladder files are the
# scDCC cuts of the paper's full files, so they are compared with the paper's full-data rows.
#
# The stored table in `results/real_data.csv` was produced by `make book PROFILE=paper` (6 data sets × seeds 0, 1, 2,
# the defaults shown above; the chapter "Choosing the defaults" adds the paper preset) on a 2-core AMD EPYC CPU
# without GPU; that execution of this chapter took under 5 minutes. Re-run on another kind of processor, single seeds
# of contrastive-sc can land elsewhere (the dots), scanpy's do not: see "Reproducibility: seeds and processors" in the
# chapter "Computational cost".
# Mouse ES cells and the full-gene PBMC/bladder files are public but were not available offline where the table was
# made; the published book computes them before it is built (the README's "Publishing"), and any paper data set this
# page does not show is named below the figure, with the reason.

# %%
shown = [d for d in csc_core.data.available() if d in set(measured["dataset"])]
if absent_note(shown):  # every paper data set not shown is named, with why
    display(Markdown(absent_note(shown)))
paper = paper_ari_for(shown, METHODS)
figures.ari_vs_paper(
    measured, paper, methods=METHODS, datasets=shown, title="ARI on real data: measured (bars, dots) and published (✕)"
)
plt.show()

# %%
table = summary_table(measured, paper)
display(table)

# %% [markdown]
# In words — computed from the table above, wins and losses alike:

# %%
mean_ari = table.pivot_table(index="dataset", columns="method", values="ari", observed=True)
csc, scanpy_ari = mean_ari[CSC_LEIDEN], mean_ari[SCANPY]
published = paper.pivot_table(index="dataset", columns="method", values="ari").reindex(mean_ari.index)
print(
    f"contrastive-sc (Leiden, k-free): mean ARI {csc.mean():.3f} over {len(csc)} data sets "
    f"(paper's values for the same data sets: {published[CSC_LEIDEN].mean():.3f})."
)
print(f"  at or above the paper's published value on {(csc >= published[CSC_LEIDEN]).sum()} of {len(csc)};")
print(
    f"  above scanpy (same run, same preprocessing) on {(csc > scanpy_ari).sum()} of {len(csc)} "
    f"(scanpy mean {scanpy_ari.mean():.3f});"
)
print(f"  above Ensemble K-means, which is told the true k, on {(csc > mean_ari[CSC_KMEANS]).sum()} of {len(csc)}.")

# %% [markdown]
# ## Wall time
# Seconds from raw counts to labels on this machine (loading the file excluded): contrastive-sc's preprocessing,
# training and clustering against scanpy's whole pipeline.

# %%
times = table.pivot_table(index="dataset", columns="method", values="seconds", observed=True)
times["csc / scanpy"] = times[CSC_LEIDEN] / times[SCANPY]
display(times.round(2))
print(
    f"contrastive-sc takes {times['csc / scanpy'].min():.1f}–{times['csc / scanpy'].max():.1f}× the wall time of "
    "scanpy's whole pipeline here; the chapter 'Computational cost' shows where the time goes."
)

# %% [markdown]
# ## The embedding, seen in two dimensions
# A UMAP of the contrastive embedding (`obsm["X_csc"]`) of one data set, coloured by the published cell types and by
# the Leiden clusters contrastive-sc found without knowing how many there are.

# %%
adata = csc_core.data.load(umap_dataset)
csc_core.contrastive_sc(adata, settings=preset, n_genes=n_genes, epochs=epochs, seed=0, device=device, progress=False)
sc.pp.neighbors(adata, use_rep="X_csc", transformer="sklearn", random_state=0)
sc.tl.umap(adata, random_state=0)
sc.pl.umap(
    adata, color=["cell_type", "csc_cluster"], title=["published cell type", "contrastive-sc cluster"], wspace=0.35
)
print(metrics.scores(adata.obs["cell_type"], adata.obs["csc_cluster"]))
