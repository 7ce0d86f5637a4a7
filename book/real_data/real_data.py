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
# The paper {cite:p}`ciortan2021contrastive` tests contrastive-sc on four real data sets (its Table 1), each in two
# cuts — the whole file and a sample of 2,100 cells: **10X PBMC** (human blood mononuclear cells), **Mouse ES cells**
# (embryonic stem cells), **Worm neuron cells** and **Mouse bladder cells**. {glue:md}`coverage`
#
# Beside contrastive-sc run the pipelines a biologist would reach for first, with the same preprocessing and seeds:
#
# - **contrastive-sc**: Leiden on the kNN graph of the joined embeddings of 3 encoders, not told the number of cell
#   types;
# - **Ensemble K-means**: KMeans told the true number of types, on the same embedding;
# - **scanpy** {cite:p}`wolf2018scanpy`: 50 principal components → kNN graph → Leiden {cite:p}`traag2019leiden`, not
#   told the number either;
# - **PCA + KMeans**: KMeans told the true number of types, on 50 principal components (the paper used 2).
#
# Figure numbers and published values follow the paper's version in *BMC Bioinformatics* 22:280 (2021).
#
# ```{admonition} Key takeaways
# :class: tip
# - Not told the number of cell types, contrastive-sc reaches a mean ARI of {glue:text}`csc_mean:.3f` over the data
#   sets computed here, {glue:text}`csc_vs_paper` the {glue:text}`csc_paper_mean:.3f` the paper published for them.
# - It is above scanpy's standard pipeline on {glue:text}`wins_scanpy` of the {glue:text}`n_shown` data sets (mean
#   ARI {glue:text}`scanpy_mean:.3f`) — cuts of {glue:text}`n_bases` biological data sets, so not independent wins —
#   and above KMeans told the true number of types on its own embedding on {glue:text}`wins_ekm` of
#   {glue:text}`n_shown`.
# - Mouse ES cells is the paper's hardest case for contrastive-sc: published ARI {glue:text}`es_csc:.3f` against
#   {glue:text}`es_sdc:.3f` for scDeepCluster and {glue:text}`es_scanpy:.3f` for scanpy. {glue:md}`es_here`
# - `csc_core`'s defaults were chosen on these same data sets (chapter
#   [Choosing the defaults](../choosing_defaults/choosing_defaults)): the numbers here show what the defaults do, not
#   how they generalise; that chapter tests them on data they were not chosen on.
# ```
#
# ```{admonition} Re-running this chapter
# :class: dropdown
# `profile = "quick"` computes the two 2,100-cell data sets with seed 0 when `results/real_data.csv` does not hold
# them yet, and shows every stored row of these settings; `profile = "paper"` computes every data set that can be
# found or downloaded, with seeds 0, 1 and 2. Stored rows are read back, never recomputed. From the repository root:
#
#     jupytext --to ipynb book/real_data/real_data.py -o - | \
#       papermill - real_data_out.ipynb --cwd book/real_data -p profile paper
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

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import scanpy as sc
from IPython.display import Markdown, display

import csc_core
from csc_core.data import metrics
from csc_core.data.reference import paper_ari_for
from csc_core.harness import figures
from csc_core.harness.chapter import (
    absent_note,
    coverage_sentence,
    glue,
    glue_mouse_es,
    paper_datasets,
    run_summary,
    setup,
)
from csc_core.harness.grid import local_workers
from csc_core.harness.grids import csc_settings, real_data_grid
from csc_core.harness.labels import dataset_label, paper_base
from csc_core.harness.methods import CSC_KMEANS, CSC_LEIDEN, METHODS, PCA_KMEANS, SCANPY
from csc_core.harness.tables import above_or_below, measured_vs_published, pretty, summary_table

plan = setup(profile, part="real", datasets=datasets, seeds=seeds, results_dir=results_dir)
settings = csc_settings(preset, n_genes=n_genes, epochs=epochs, kernel=kernel, device=device)

# %% [markdown]
# ## Running the grid
# One task is one data set and one seed; it writes one row per method into `results/real_data.csv`. Tasks whose rows
# are stored are read back, so an interrupted run resumes.

# %%
measured = real_data_grid(
    plan.datasets, plan.seeds, settings, plan.store("real_data"), device=device, **local_workers(workers)
)
print(run_summary(measured))

# %% tags=["hide-input"]
shown = [d for d in csc_core.data.available() if d in set(measured["dataset"])]
drawn, published_only = paper_datasets(shown)
paper = paper_ari_for(drawn, METHODS)
table = summary_table(measured, paper)
mean_ari = table.pivot_table(index="dataset", columns="method", values="ari", observed=True)
published = paper.pivot_table(index="dataset", columns="method", values="ari").reindex(mean_ari.index)
csc = mean_ari[CSC_LEIDEN]
glue("coverage", Markdown(coverage_sentence(shown)))
glue("n_shown", len(csc))
glue("n_bases", len({paper_base(d) for d in csc.index}))
glue("csc_mean", csc.mean())
glue("csc_paper_mean", published[CSC_LEIDEN].mean())
glue("csc_vs_paper", above_or_below(csc.mean(), published[CSC_LEIDEN].mean()))
glue("scanpy_mean", mean_ari[SCANPY].mean())
glue("pca_mean", mean_ari[PCA_KMEANS].mean())
glue("wins_scanpy", int((csc > mean_ari[SCANPY]).sum()))
glue("wins_ekm", int((csc > mean_ari[CSC_KMEANS]).sum()))
glue("wins_pca", int((csc > mean_ari[PCA_KMEANS]).sum()))
glue("at_paper", int((csc >= published[CSC_LEIDEN]).sum()))
glue("worst_set", dataset_label(csc.idxmin()))
glue("worst_ari", csc.min())
glue("best_set", dataset_label(csc.idxmax()))
glue("best_ari", csc.max())
glue_mouse_es(shown)
glue("n_seeds", measured["seed"].nunique())

# %% [markdown]
# ## ARI per data set
# Bars are the mean over the stored seeds (dots: single seeds); black crosses are the values published with the
# paper (mean of its 3 runs; scanpy a single run). Hatched bars: published values of a data set not computed here.
# The 2,000-gene cuts of PBMC and bladder are the scDCC repository's cuts of the paper's files, compared with the
# paper's rows for the whole files.

# %% tags=["hide-input"]
figures.ari_by_paper_dataset(measured, paper, methods=METHODS, datasets=drawn, ncols=2)
plt.show()
if absent_note(shown):  # every paper data set not shown is named, with why
    display(Markdown(absent_note(shown)))

# %% [markdown]
# **What this shows.** contrastive-sc, not told the number of cell types, is at or above its published value on
# {glue:text}`at_paper` of the {glue:text}`n_shown` data sets computed here, above scanpy on
# {glue:text}`wins_scanpy` and above PCA + KMeans — which is told the number of types — on {glue:text}`wins_pca`
# (mean ARI: contrastive-sc {glue:text}`csc_mean:.3f`, scanpy {glue:text}`scanpy_mean:.3f`, PCA + KMeans
# {glue:text}`pca_mean:.3f`). Its best data set is {glue:text}`best_set` ({glue:text}`best_ari:.3f`), its worst
# {glue:text}`worst_set` ({glue:text}`worst_ari:.3f`). The defaults behind these bars were chosen on these same data
# sets.
#
# The numbers behind the bars: mean ARI over {glue:text}`n_seeds` seed(s) and, in brackets, the paper's value; then
# the number of clusters each method found (median over the seeds) against the number of published cell types.

# %% tags=["hide-input"]
ari_table = measured_vs_published(table, paper, methods=METHODS, datasets=drawn).T.rename_axis("dataset", axis=0)
display(pretty(ari_table.rename_axis(None, axis=1), caption="ARI: measured (published)"))
clusters = table.pivot_table(index="dataset", columns="method", values="n_clusters", observed=True)
clusters = clusters.reindex(index=[d for d in drawn if d in clusters.index], columns=list(METHODS))
clusters = clusters.join(table.groupby("dataset")["n_types"].first()).rename(columns={"n_types": "published types"})
display(pretty(clusters.rename_axis(None, axis=1), caption="Clusters found (median over the seeds)"))

# %% [markdown]
# How long each method takes is measured, on an otherwise idle machine, in the chapter
# [Computational cost](../computational_cost/computational_cost).
#
# ## The embedding, seen in two dimensions
# A UMAP {cite:p}`mcinnes2018umap` of the contrastive embedding (`obsm["X_csc"]`) of one data set, coloured by the
# published cell types and by the Leiden clusters contrastive-sc found without knowing how many there are. The
# scDeepCluster files label cell types by number only, so the legend shows numbers.

# %%
adata = csc_core.data.load(umap_dataset)
csc_core.contrastive_sc(adata, settings=preset, n_genes=n_genes, epochs=epochs, seed=0, device=device, progress=False)

# %% tags=["hide-input"]
sc.pp.neighbors(adata, use_rep="X_csc", transformer="sklearn", random_state=0)
sc.tl.umap(adata, random_state=0)
with plt.rc_context({"figure.figsize": (3.3, 3.3)}):
    sc.pl.umap(
        adata,
        color=["cell_type", "csc_cluster"],
        title=["published cell type", "contrastive-sc cluster"],
        wspace=0.35,
    )
score = metrics.scores(adata.obs["cell_type"], adata.obs["csc_cluster"])
glue("umap_set", dataset_label(umap_dataset))
glue("umap_ari", score["ari"])
glue("umap_nmi", score["nmi"])
glue("umap_k", adata.obs["csc_cluster"].nunique())
glue("umap_types", adata.obs["cell_type"].nunique())

# %% [markdown]
# **What this shows.** On {glue:text}`umap_set` (seed 0; left: the published cell types, right: the clusters),
# contrastive-sc found {glue:text}`umap_k` clusters for
# {glue:text}`umap_types` published cell types (ARI {glue:text}`umap_ari:.3f`, NMI {glue:text}`umap_nmi:.3f`). Where
# a published type is split into several clusters, or two types share one, the two panels differ; the UMAP is
# computed from the embedding alone, so types that the embedding separates sit apart in both.
