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
# # Real data: every method, the competitors included
#
# The paper's real-data comparison — its Figure 6, the real-data panel of Figure 7 and Figure S4, numbered as in
# *BMC Bioinformatics* 22:280 (2021) {cite:p}`ciortan2021contrastive` — re-run with every method on the same files,
# seeds and machine. The paper's four real data sets are **10X PBMC**, **Mouse ES cells**, **Worm neuron cells** and
# **Mouse bladder cells**, each in two cuts. {glue:md}`coverage`
#
# - contrastive-sc's variants on one trained ensemble (3 encoders, `csc_core`'s defaults): **contrastive-sc** (Leiden
#   on the ensemble, not told the number of types), **Ensemble K-means** (told it), **Baseline K-means** /
#   **Baseline Leiden** (the first encoder alone, variant a) and **Cluster NN** (the clustering network of variant b,
#   told it);
# - **scanpy**'s standard Leiden pipeline {cite:p}`wolf2018scanpy`, **KMeans** on the preprocessed matrix and
#   **PCA + KMeans** (both told the number of types);
# - the two deep-learning competitors, re-implemented in `csc_core.competitors` from their papers: **scDeepCluster**
#   {cite:p}`tian2019scdeepcluster` — a ZINB denoising autoencoder {cite:p}`eraslan2019dca` pretrained, then DEC
#   {cite:p}`xie2016dec` on its latent space with the reconstruction loss kept — and **scziDesk**
#   {cite:p}`chen2020scziDesk` — the same autoencoder, then a weighted soft K-means with self-training. Both are told
#   the number of types and run with scDeepCluster's published settings (2,000 genes, 300 pretraining epochs,
#   minibatches of 256); they share one pretraining per data set and seed.
#
# ```{admonition} Key takeaways
# :class: tip
# - Over the {glue:text}`n_full` data sets where every method ran, {glue:md}`best_sentence`
# - contrastive-sc is above scDeepCluster on {glue:text}`wins_sdc` of {glue:text}`n_full` data sets, above scziDesk
#   on {glue:text}`wins_sczi` and above scanpy on {glue:text}`wins_scanpy` — counted over cuts, which share their
#   cells: {glue:text}`n_bases_full` biological data sets in all.
# - On Mouse ES cells, the paper's own numbers put contrastive-sc ({glue:text}`es_csc:.3f`) below scDeepCluster
#   ({glue:text}`es_sdc:.3f`), scziDesk ({glue:text}`es_sczi:.3f`) and scanpy ({glue:text}`es_scanpy:.3f`).
#   {glue:md}`es_here`
# - `csc_core`'s defaults were chosen on these same data sets (chapter
#   [Choosing the defaults](../choosing_defaults/choosing_defaults)), the competitors' settings were not: read the
#   comparison with that in mind.
# ```
#
# ```{admonition} Re-running this chapter
# :class: dropdown
# `profile = "quick"` computes the two 2,100-cell data sets with seed 0 when `results/` does not hold them yet, and
# shows every stored row of these settings; `profile = "paper"` every data set that can be found or downloaded,
# with seeds 0, 1 and 2 (the competitors take minutes per data set and seed on a laptop CPU). Rows go to
# `results/real_methods.csv` and `results/competitors.csv`; stored rows are read back:
#
#     jupytext --to ipynb book/real_data/all_methods.py -o - | \
#       papermill - all_methods_out.ipynb --cwd book/real_data -p profile paper
# ```

# %% tags=["parameters"]
profile = "quick"  # "quick" or "paper"
datasets = None  # None: the profile's data sets
seeds = None  # None: the profile's seeds for contrastive-sc and the reference pipelines
competitor_seeds = None  # None: the profile's seeds for scDeepCluster and scziDesk
device = "auto"  # "auto", "cpu" or "cuda"
kernel = "torch"  # training step: "torch" (the stored tables' kernel), or "auto" for the compiled CPU step
competitor_kernel = "auto"  # the competitors' step: "auto" (the fast CPU step, torch elsewhere) or "torch"
workers = 1  # processes for runs not yet stored: 2 on two cores, ~1.5x faster (harness.grid.local_workers)
results_dir = None  # None: the repository's results/ folder

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

import csc_core
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
from csc_core.harness.grids import competitor_grid, competitor_settings, csc_settings, real_data_grid
from csc_core.harness.labels import method_label, paper_base
from csc_core.harness.machine import idle_rows
from csc_core.harness.methods import (
    CSC_KMEANS,
    CSC_LEIDEN,
    REAL_DATA_METHODS,
    SCANPY,
    SCDEEPCLUSTER,
    SCZI,
    SIMULATED_METHODS,
)
from csc_core.harness.tables import above_or_below, measured_vs_published, pretty, summary_table

plan = setup(profile, part="real", datasets=datasets, seeds=seeds, results_dir=results_dir)
settings = csc_settings("default", kernel=kernel, device=device)
METHODS = REAL_DATA_METHODS

# %% [markdown]
# ## Running the grids

# %%
ours = real_data_grid(
    plan.datasets,
    plan.seeds,
    settings,
    plan.store("real_methods"),
    methods=SIMULATED_METHODS,
    device=device,
    **local_workers(workers),
)
theirs = competitor_grid(
    plan.datasets,
    competitor_seeds or plan.seeds,
    plan.store("competitors"),
    competitor_settings(competitor_kernel, device=device),
    device=device,
    **local_workers(workers),
)
print(run_summary(ours))
print(run_summary(theirs))

# %% tags=["hide-input"]
measured = pd.concat([ours, theirs], ignore_index=True)
shown = [d for d in csc_core.data.available() if d in set(measured["dataset"])]
drawn, published_only = paper_datasets(shown)
paper = paper_ari_for(drawn, METHODS)
table = summary_table(measured, paper, methods=METHODS)
wide = table.pivot_table(index="method", columns="dataset", values="ari", observed=True).reindex(METHODS)
published = paper.pivot_table(index="method", columns="dataset", values="ari").reindex(METHODS)
per_set = wide.T.dropna(axis=0, subset=[SCDEEPCLUSTER, SCZI])  # data sets every method has
full_mean = per_set.mean().reindex(METHODS)
glue("coverage", Markdown(coverage_sentence(shown)))
glue("n_full", len(per_set))
glue("n_bases_full", len({paper_base(d) for d in per_set.index}))
best = full_mean.idxmax()
glue(
    "best_sentence",
    Markdown(
        f"contrastive-sc, not told the number of types, has the highest mean ARI ({full_mean[best]:.3f})."
        if best == CSC_LEIDEN
        else f"the highest mean ARI is {method_label(best)}'s ({full_mean[best]:.3f}); contrastive-sc, not told the "
        f"number of types, reaches {full_mean[CSC_LEIDEN]:.3f}."
    ),
)
glue("csc_full", full_mean[CSC_LEIDEN])
for rival, tag in ((SCDEEPCLUSTER, "sdc"), (SCZI, "sczi"), (SCANPY, "scanpy")):
    glue(f"wins_{tag}", int((per_set[CSC_LEIDEN] > per_set[rival]).sum()))
    glue(f"full_{tag}", full_mean[rival])
glue_mouse_es(shown)

# %% [markdown]
# ## Figure 6: ARI per data set and method
# Bars: mean over the stored seeds (dots: single seeds); ✕: the paper's published value (mean of its 3 runs; scanpy
# and scDeepCluster single runs); hatched bars: published values of a data set not computed here. The paper's Figure
# 6 has no "Baseline Leiden"; its "PCA + KMeans" used 2 principal components, ours 50.

# %% tags=["hide-input"]
figures.ari_by_paper_dataset(measured, paper, methods=METHODS, datasets=drawn)
plt.show()
if absent_note(shown):  # every paper data set not shown is named, with why
    display(Markdown(absent_note(shown)))

# %% [markdown]
# **What this shows.** Over the {glue:text}`n_full` data sets where every method ran, contrastive-sc (mean ARI
# {glue:text}`csc_full:.3f`, not told the number of types) is above scDeepCluster ({glue:text}`full_sdc:.3f`) on
# {glue:text}`wins_sdc` of them, above scziDesk ({glue:text}`full_sczi:.3f`) on {glue:text}`wins_sczi` and above
# scanpy ({glue:text}`full_scanpy:.3f`) on {glue:text}`wins_scanpy`. The same numbers, measured and (in brackets)
# published:

# %% tags=["hide-input"]
display(pretty(measured_vs_published(table, paper, methods=METHODS, datasets=drawn)))

# %% [markdown]
# ## Figure 7 (real-data panel): mean over the data sets
# Mean ARI of each method over the {glue:text}`n_common` data sets where every method ran, beside the paper's mean
# over the same data sets (dots: single data sets and seeds).

# %% tags=["hide-input"]
common = list(per_set.index) or shown  # every method on the same data sets, where the competitors have any
same = paper[paper["dataset"].isin(common)]
in_common = table[table["dataset"].isin(common)]
summary = pd.DataFrame(
    {
        "measured": in_common.groupby("method", observed=True)["ari"].mean(),
        "paper": same.groupby("method")["ari"].mean(),
        "data sets": in_common.groupby("method", observed=True)["dataset"].nunique(),
    }
).reindex(METHODS)
glue("n_common", len(common))
summary["measured − paper"] = summary["measured"] - summary["paper"]
fig, ax = plt.subplots(figsize=(8, 3.6))
figures.ari_vs_paper(
    measured[measured["dataset"].isin(common)].assign(dataset="mean over the real data sets"),
    same.assign(dataset="mean over the real data sets").groupby(["dataset", "method"], as_index=False)["ari"].mean(),
    methods=METHODS,
    ax=ax,
)
ax.set_xticklabels([])
plt.show()
display(pretty(summary))
gap = summary["measured − paper"]
glue("n_below_paper", int((gap < 0).sum()))
glue("n_with_paper", int(gap.notna().sum()))
glue("sdc_vs_paper", above_or_below(summary.at[SCDEEPCLUSTER, "measured"], summary.at[SCDEEPCLUSTER, "paper"]))
glue("sczi_vs_paper", above_or_below(summary.at[SCZI, "measured"], summary.at[SCZI, "paper"]))
glue("csc_vs_paper", above_or_below(summary.at[CSC_LEIDEN, "measured"], summary.at[CSC_LEIDEN, "paper"]))
glue("csc_sum", summary.at[CSC_LEIDEN, "measured"])
glue("csc_sum_paper", summary.at[CSC_LEIDEN, "paper"])

# %% [markdown]
# **What this shows.** Methods with a published value: {glue:text}`n_with_paper`; of these, below it on average:
# {glue:text}`n_below_paper`. contrastive-sc's mean ({glue:text}`csc_sum:.3f`) is {glue:text}`csc_vs_paper` its
# published {glue:text}`csc_sum_paper:.3f`; the re-implemented scDeepCluster lands {glue:text}`sdc_vs_paper` and
# scziDesk {glue:text}`sczi_vs_paper` theirs.
#
# **Why the competitors differ from the paper's numbers.** They are re-implementations from the papers'
# descriptions, not the authors' TensorFlow code, run with the published settings and *told the true number of
# clusters*. The clustering stage's stopping rule (0.1 % of cells changing label) and optimiser (Adadelta for DEC,
# Adam for the soft K-means) follow the descriptions; scziDesk's soft-K-means sharpness and stage switch are not fully
# specified there and were set as documented in `csc_core.competitors`; the gene selection is `csc_core`'s (2,000
# highly variable genes, as scDeepCluster recommends), so files already cut to 2,000 genes are used whole; and the
# paper's scDeepCluster values are single runs, whose spread across seeds the dots of Figure 6 show.
#
# ## Figure S4: Leiden or KMeans on the ensemble's embedding
# The same embedding clustered two ways: Leiden without the number of clusters (resolution chosen from the embedding
# alone) and KMeans told the true number.

# %% tags=["hide-input"]
s4 = [CSC_LEIDEN, CSC_KMEANS]
figures.ari_by_paper_dataset(measured, paper, methods=s4, datasets=drawn, ncols=2)
plt.show()
pair = wide.loc[s4].T.dropna()
pair = pair.reindex([d for d in drawn if d in pair.index])
pair["Leiden − KMeans"] = pair[CSC_LEIDEN] - pair[CSC_KMEANS]
display(pretty(pair))
published_pair = published.loc[s4].T.dropna()
glue("s4_wins", int((pair["Leiden − KMeans"] > 0).sum()))
glue("s4_n", len(pair))
glue("s4_mean", pair["Leiden − KMeans"].mean())
glue("s4_paper_wins", int((published_pair[s4[0]] > published_pair[s4[1]]).sum()))
glue("s4_paper_n", len(published_pair))
glue("s4_paper_mean", (published_pair[s4[0]] - published_pair[s4[1]]).mean())

# %% [markdown]
# **What this shows.** Leiden, not told the number of clusters, is above KMeans told it on {glue:text}`s4_wins` of
# {glue:text}`s4_n` data sets here (mean difference {glue:text}`s4_mean:+.3f`); in the paper's values for the
# {glue:text}`s4_paper_n` data sets drawn it is above on {glue:text}`s4_paper_wins` (mean difference
# {glue:text}`s4_paper_mean:+.3f`).
#
# ## Wall time per method
# Mean seconds per run, raw counts to labels (loading excluded), from the stored runs made on an otherwise idle
# machine only (`csc_core.harness.machine.idle_rows`): a run that shared the cores with other jobs took longer for
# reasons that are not the method's. contrastive-sc's variants share one ensemble, so each includes preprocessing and
# training it; the competitors' include their pretraining.

# %% tags=["hide-input"]
timed = idle_rows(measured)
if timed.empty:
    display(
        Markdown(
            f"**No wall times shown**: none of the {len(measured):,} stored runs shown here was made on an otherwise "
            "idle machine."
        )
    )
    glue("timing", Markdown("No wall time can be compared here."))
else:
    seconds = timed.pivot_table(index="method", columns="dataset", values="seconds").reindex(METHODS).dropna(how="all")
    seconds["mean"] = seconds.mean(axis=1)
    display(pretty(seconds, decimals=1))
    ratio = (
        seconds.loc[[m for m in (SCDEEPCLUSTER, SCZI) if m in seconds.index], "mean"] / seconds.loc[CSC_LEIDEN, "mean"]
    )
    words = ", ".join(f"{method_label(m)} {r:.0f}×" for m, r in ratio.dropna().items())
    glue(
        "timing",
        Markdown(
            f"From the {len(timed):,} of {len(measured):,} stored runs made on an idle machine: the competitors take "
            f"this multiple of contrastive-sc's wall time, on average over the data sets: {words}."
            if words
            else f"From the {len(timed):,} of {len(measured):,} stored runs made on an idle machine: none of the "
            "competitors' runs shown here was made on an idle machine, so their wall time is not compared."
        ),
    )

# %% [markdown]
# **What this shows.** {glue:md}`timing`
