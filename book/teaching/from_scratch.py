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
# # Contrastive clustering from scratch
#
# This chapter takes contrastive-sc apart and builds it again, one piece at a time, on a small simulated data set — so
# that every step can be looked at. It uses `csc_core`'s public pieces (the same ones `csc_core.contrastive_sc` calls)
# and runs in a few minutes on a laptop CPU. Exercises at the end of some sections have their solutions folded
# away: click to unfold them.
#
# What we will build:
#
# 1. **two augmented views** of each cell — the same cell with different genes hidden;
# 2. an **encoder** that maps a cell to a point on a sphere;
# 3. the **NT-Xent loss**, written out by hand and checked against the library's, which pulls the two views of a cell
#    together and pushes other cells away;
# 4. training, then what the **temperature** and the **augmentation strength** do;
# 5. why an **ensemble** of encoders, and why **Leiden** clusters without being told how many clusters there are.
#
# ```{admonition} Key takeaways
# :class: tip
# - The augmentation is the method's only source of supervision: two views of a cell, each keeping a random
#   {glue:text}`keep_pct` of its genes, are pulled together; every other cell in the minibatch is pushed away.
# - A few hundred optimizer steps turn an embedding on which KMeans scores an ARI of {glue:text}`ari_untrained:.2f`
#   into one where it scores {glue:text}`ari_trained:.2f` (told the number of types, {glue:text}`n_groups`).
# - On this small data set the ARI spans {glue:text}`keep_spread:.2f` over the shares of genes kept and
#   {glue:text}`temp_spread:.2f` over the temperatures tried: {glue:text}`what_matters`.
# - Leiden needs no number of clusters; `csc_core` picks its resolution by the silhouette of the partitions. Here it
#   finds {glue:text}`chosen_k` clusters for {glue:text}`n_groups` types; on the harder data of exercise 4 it
#   chooses {glue:text}`ex4_k` clusters for {glue:text}`ex4_types` types.
# ```

# %% tags=["parameters"]
profile = "quick"  # the chapter is the same in every profile
seeds = None  # None: seed 0 (the chapter uses the first seed given)
device = "auto"  # "auto", "cpu" or "cuda"
n_cells = 800  # cells in the simulated data set
n_groups = 4  # cell types
steps = 300  # optimizer steps per training in this chapter

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import torch
import torch.nn.functional as F
from IPython.display import display

import csc_core
from csc_core.competitors import baselines
from csc_core.data import metrics, simulate
from csc_core.harness.chapter import glue, setup
from csc_core.harness.figures import embedding_scatter
from csc_core.harness.tables import pretty
from csc_core.harness.teaching import kmeans_ari, resolution_table, sweep, train_encoder
from csc_core.method import augment
from csc_core.method.device import resolve_device
from csc_core.method.encoder import EncoderEnsemble, embed
from csc_core.method.loss import nt_xent
from csc_core.method.preprocess import preprocess
from csc_core.pipeline.train import train_contrastive

plan = setup(profile, part="teaching", seeds=seeds)
seed = plan.seeds[0]
dev = resolve_device(device)
_ = torch.manual_seed(seed)
glue("n_groups", n_groups)
glue("keep_pct", f"{csc_core.DEFAULTS.keep:.0%}")

# %% [markdown]
# ## The data
# Splat {cite:p}`zappia2017splatter` simulates counts for `n_groups` cell types that differ in a few of their genes
# (10 %, by small factors), with the heavy dropout of droplet data (`csc_core.data.simulate.splat`, a Python port of
# splatter's model). We keep the 300 most variable genes and z-score them, as the method does
# (`csc_core.method.preprocess.preprocess`).

# %%
adata = simulate.splat(
    n_cells,
    2000,
    group_prob=[1 / n_groups] * n_groups,
    de_prob=0.1,
    de_fac_scale=0.25,
    dropout_type="experiment",
    dropout_mid=1.0,
    seed=seed,
)
truth = adata.obs["cell_type"].to_numpy()
pre = preprocess(adata, n_genes=300, seed=seed)
x = torch.from_numpy(pre.X).to(dev)
embedding_scatter(pre.X, truth, title="the input: 300 genes, coloured by simulated type")
plt.show()

# %% tags=["hide-input"]
glue("n_cells", f"{adata.n_obs:,}")
glue("n_genes_all", f"{adata.n_vars:,}")
glue("zeros", f"{1 - adata.X.nnz / np.prod(adata.shape):.0%}")
glue("input_ari", kmeans_ari(pre.X, truth, seed=seed))

# %% [markdown]
# **What this shows.** {glue:text}`n_cells` cells × {glue:text}`n_genes_all` genes, {glue:text}`zeros` of the counts
# zero. In the first two principal components of the input the types overlap; KMeans on all 300 genes, told the
# number of types, scores an ARI of {glue:text}`input_ari:.2f`.

# %% [markdown]
# ## 1. Two views of a cell
# The augmentation is *gene dropout*: a view keeps a random 20 % of a cell's genes and sets the others to zero
# (`csc_core.method.augment.drop_genes`). Two views of the same cell share no more than chance overlap of genes, yet
# come from the same cell type — the network must learn what the views have in common.

# %%
g = torch.Generator().manual_seed(seed)
cell = x[:1, :60].cpu()
views = torch.cat([cell, augment.drop_genes(cell, 0.2, generator=g), augment.drop_genes(cell, 0.2, generator=g)])

# %% tags=["hide-input"]
fig, ax = plt.subplots(figsize=(8, 1.8))
sns.heatmap(views.numpy(), cmap="vlag", center=0, cbar_kws={"label": "z-score"}, ax=ax)
ax.set_yticklabels(["cell", "view 1", "view 2"], rotation=0)
ax.set(xlabel="the cell's first 60 genes (grey-white: zero)", xticks=[])
plt.show()
kept = (views[1:] != 0).numpy()
glue("kept_1", int(kept[0].sum()))
glue("kept_2", int(kept[1].sum()))
glue("kept_both", int((kept[0] & kept[1]).sum()))

# %% [markdown]
# **What this shows.** Of the first 60 genes, view 1 keeps {glue:text}`kept_1` and view 2 {glue:text}`kept_2`; only
# {glue:text}`kept_both` are kept by both.

# %% [markdown]
# ## 2. The encoder
# A small MLP (`genes → 64 → 32`, batch normalisation and ReLU between layers) whose output is normalised to unit
# length: every cell becomes a point on a 32-dimensional sphere, and the similarity of two cells is the cosine of the
# angle between them. Untrained, it is a random map of the cells: KMeans on it finds next to nothing.

# %%
untrained = EncoderEnsemble(1, x.shape[1], (64, 32), seed=seed).to(dev)
z0 = embed(untrained, x).cpu().numpy()
print(f"embedding: {z0.shape}; lengths {np.linalg.norm(z0, axis=1).min():.3f}–{np.linalg.norm(z0, axis=1).max():.3f}")
print(f"KMeans on the untrained embedding: ARI {kmeans_ari(z0, truth, seed=seed):.2f}")

# %% tags=["remove-cell"]
glue("ari_untrained", kmeans_ari(z0, truth, seed=seed))

# %% [markdown]
# ## 3. NT-Xent, written out
# Take a minibatch of N cells and two views of each: 2N embeddings. For the view $z_i$, its partner $z_{j(i)}$ (the
# other view of the same cell) is the *positive*; the other 2N − 2 embeddings are *negatives*. With cosine similarity
# $s$ and temperature $\tau$, the loss of $z_i$ is a cross-entropy that asks the positive to win:
#
# $$\ell_i = -\log \frac{\exp(s(z_i, z_{j(i)})/\tau)}{\sum_{k \neq i} \exp(s(z_i, z_k)/\tau)}$$
#
# and NT-Xent {cite:p}`chen2020simclr` is the mean of $\ell_i$ over the 2N embeddings. A slow, loop-by-loop version:


# %%
def nt_xent_by_hand(z1, z2, tau):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = z1.shape[0]
    total = 0.0
    for i in range(2 * n):
        partner = i + n if i < n else i - n
        sims = torch.stack([z[i] @ z[k] / tau for k in range(2 * n) if k != i])
        positive = z[i] @ z[partner] / tau
        total += -(positive - torch.logsumexp(sims, dim=0))
    return total / (2 * n)


z1, z2 = torch.randn(8, 32, generator=g), torch.randn(8, 32, generator=g)
print(f"by hand {nt_xent_by_hand(z1, z2, 0.5):.6f}   csc_core.method.loss.nt_xent {nt_xent(z1, z2, 0.5):.6f}")
assert torch.isclose(nt_xent_by_hand(z1, z2, 0.5), nt_xent(z1, z2, 0.5), atol=1e-5)
print(
    f"two identical views, far from everything else → {nt_xent(z1, z1, 0.07):.4f} "
    f"(the floor for N=8 is 0 only if the negatives are infinitely far)"
)

# %% [markdown]
# ## 4. Training
# `csc_core.pipeline.train.train_contrastive` repeats: draw a minibatch, make two views, embed them, compute NT-Xent,
# take an Adam step. We train one encoder for `steps` steps and look at the embedding. (The sections below repeat this
# call through `csc_core.harness.teaching.train_encoder`.)

# %%
encoder = EncoderEnsemble(1, x.shape[1], (64, 32), seed=seed).to(dev)
history = train_contrastive(
    encoder,
    x,
    epochs=1,
    min_steps=steps,
    batch_size=128,
    lr=1e-2,
    lr_decay=0.0,  # a constant rate; the library's defaults lower it to zero over the last 30 % of the steps
    keep=0.2,
    temperature=0.07,
    mask="batch",
    seed=seed,
    progress=False,
)
z = embed(encoder, x).cpu().numpy()

# %% tags=["hide-input"]
fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3.4), gridspec_kw={"width_ratios": [1, 1.3]})
a.plot(np.arange(1, len(history) + 1), history.mean(1))
a.set(xlabel="epoch (one pass over the cells)", ylabel="NT-Xent loss", title="training loss")
embedding_scatter(z, truth, ax=b, title="after training")
fig.tight_layout()
plt.show()
glue("ari_trained", kmeans_ari(z, truth, seed=seed))
glue("steps", steps)

# %% [markdown]
# **What this shows.** The loss falls over the {glue:text}`steps` steps, and the cells of one type gather: KMeans,
# told the number of types, now scores an ARI of {glue:text}`ari_trained:.2f` on the embedding, against
# {glue:text}`ari_untrained:.2f` before training.

# %% [markdown]
# ## 5. The temperature
# Dividing similarities by a small $\tau$ sharpens the softmax: the loss then cares mostly about the *hardest*
# negatives, the other cells closest to the anchor; a large $\tau$ weighs all negatives alike. The paper uses
# $\tau = 0.07$, as SimCLR does. We train one encoder per temperature.

# %% tags=["hide-input"]
temps = sweep(x, truth, "temperature", (0.03, 0.07, 0.2, 0.5, 1.0), steps=steps, seeds=(seed,))
ax = sns.lineplot(data=temps, x="temperature", y="ARI", marker="o")
ax.set(xscale="log", ylabel="ARI (KMeans, told the number of types)", ylim=(0, 1), title="temperature τ")
ax.set_xticks(sorted(temps["temperature"].unique()), [f"{t:g}" for t in sorted(temps["temperature"].unique())])
ax.minorticks_off()
plt.show()
mean_t = temps.groupby("temperature")["ARI"].mean()
glue("temp_lo", mean_t.min())
glue("temp_hi", mean_t.max())
glue("temp_spread", mean_t.max() - mean_t.min())
glue("temp_best", f"{mean_t.idxmax():g}")
glue("temp_fold", f"{mean_t.index.max() / mean_t.index.min():.0f}")
glue("temp_word", "hardly changes" if mean_t.max() - mean_t.min() < 0.1 else "changes")

# %% [markdown]
# **What this shows.** Over a {glue:text}`temp_fold`-fold range of $\tau$ the ARI {glue:text}`temp_word`: it
# stays between {glue:text}`temp_lo:.2f` and {glue:text}`temp_hi:.2f`, highest at $\tau$ =
# {glue:text}`temp_best`.

# %% [markdown]
# ## 6. How much of a cell a view keeps
# The paper's ablation (Figure 8a) finds that *strong* augmentation works best: views that keep 20 % of the genes or
# fewer. Keeping almost everything makes the two views nearly identical, and the task is solved without learning
# anything about cell types.

# %% tags=["hide-input"]
keeps = sweep(x, truth, "keep", (0.05, 0.1, 0.2, 0.5, 0.9), steps=steps, seeds=(seed,))
ax = sns.lineplot(data=keeps, x="keep", y="ARI", marker="o", errorbar=("pi", 100))
ax.set(xlabel="share of genes each view keeps", ylabel="ARI (KMeans, told the number of types)", ylim=(0, 1))
plt.show()
mean_k = keeps.groupby("keep")["ARI"].mean()
glue("keep_spread", mean_k.max() - mean_k.min())
glue("keep_best", f"{mean_k.idxmax():.0%}")
glue("keep_best_ari", mean_k.max())
glue("keep_most", f"{mean_k.index.max():.0%}")
glue("keep_most_ari", mean_k.iloc[-1])
keep_spread, temp_spread = mean_k.max() - mean_k.min(), mean_t.max() - mean_t.min()
glue(
    "what_matters",
    "the share of genes the views keep matters more than the temperature"
    if keep_spread > temp_spread
    else "the temperature matters more than the share of genes the views keep",
)

# %% [markdown]
# **What this shows.** The ARI is highest when each view keeps {glue:text}`keep_best` of the genes
# ({glue:text}`keep_best_ari:.2f`) and is {glue:text}`keep_most_ari:.2f` when the views keep
# {glue:text}`keep_most`, nearly the whole cell: the ARI spans {glue:text}`keep_spread:.2f` over the shares tried.

# %% [markdown]
# ## 7. Why an ensemble
# Each encoder starts from its own random weights and sees its own random views, so each lands on a somewhat different
# embedding. Concatenating several is meant to average out the luck of one: does the spread across seeds shrink?

# %% tags=["hide-input"]
ensembles = sweep(x, truth, "n_models", (1, 3), steps=steps, seeds=range(seed, seed + 4))
ax = sns.stripplot(data=ensembles, x="n_models", y="ARI", size=7)
ax.set(xlabel="encoders in the ensemble", ylabel="ARI (KMeans, told the number of types)")
ax.set_title("one encoder or three, four seeds each")
plt.show()
spread = ensembles.groupby("n_models")["ARI"].agg(["mean", "std"])
display(pretty(spread.rename_axis("encoders").rename(columns={"mean": "mean ARI", "std": "sd over seeds"})))
glue("sd_1", spread.loc[1, "std"])
glue("sd_3", spread.loc[3, "std"])
glue("mean_1", spread.loc[1, "mean"])
glue("mean_3", spread.loc[3, "mean"])
glue("sd_word", "shrinks" if spread.loc[3, "std"] < spread.loc[1, "std"] else "does not shrink")

# %% [markdown]
# **What this shows.** Over four seeds the spread of the ARI {glue:text}`sd_word` with three encoders: standard
# deviation {glue:text}`sd_1:.3f` with one, {glue:text}`sd_3:.3f` with three (mean ARI {glue:text}`mean_1:.3f` and
# {glue:text}`mean_3:.3f`).

# %% [markdown]
# ## 8. Clustering without k
# KMeans needs the number of clusters. Leiden {cite:p}`traag2019leiden` instead finds communities in the graph that
# links each cell to its nearest neighbours in the embedding; its *resolution* says how finely to split. `csc_core`
# tries several resolutions (0.2 to 1.0) and scores each partition by its silhouette — a measure of how much closer
# cells are to their own cluster than to the next — computed from the embedding alone. It keeps the lowest resolution
# whose silhouette lies within 20 % of the silhouettes' range of the best: nearly as good, with fewer clusters. Leiden
# starts from a random order, so there it runs twice more from other seeds and keeps the partition the three starts
# agree on most (the table's `starts`): one unlucky start does not decide. The table scores each resolution's first
# start against the labels.

# %%
ens, _ = train_encoder(x, steps=steps, n_models=3, seed=seed)
e = embed(ens, x).cpu().numpy()
labels, table = resolution_table(e, truth, n_neighbors=30, seed=seed)

# %% tags=["hide-input"]
display(pretty(table.rename(columns={"n_clusters": "clusters"}).set_index("resolution")))
chosen = table[table["chosen"]].iloc[0]
glue("chosen_res", f"{chosen['resolution']:g}")
glue("chosen_k", len(set(labels)))  # the partition kept: the medoid of the starts at the chosen resolution
glue("chosen_ari", metrics.scores(truth, labels)["ari"])
n_partitions = table["n_clusters"].nunique()
glue(
    "partition_words",
    "all give the same number of clusters, so the choice hardly matters here"
    if n_partitions == 1
    else f"they give {n_partitions} different numbers of clusters, from {table['n_clusters'].min()} to "
    f"{table['n_clusters'].max()}",
)
glue("n_resolutions", len(table))

# %% [markdown]
# **What this shows.** Of the {glue:text}`n_resolutions` resolutions tried, {glue:text}`partition_words`. The
# silhouette chooses resolution {glue:text}`chosen_res`: {glue:text}`chosen_k` clusters for {glue:text}`n_groups`
# types, ARI {glue:text}`chosen_ari:.2f` — the labels were used only to score. Exercise 4 tries harder data.

# %% [markdown]
# ## 9. All of it in one call
# Everything above is what `csc_core.contrastive_sc` does, with the defaults chosen in the chapter "Choosing the
# defaults":

# %%
csc_core.contrastive_sc(adata, n_genes=300, seed=seed, device=dev, progress=False)
print(
    f"{adata.obs['csc_cluster'].nunique()} clusters, ARI "
    f"{metrics.scores(truth, adata.obs['csc_cluster'])['ari']:.2f}; parameters in adata.uns['csc']['params']"
)

# %% [markdown]
# ## Exercises
#
# **1.** With the two views identical (`keep=1.0`), what does the loss become after training, and what happens to the
# ARI? Explain with section 6.

# %% tags=["hide-cell"]
ens, hist = train_encoder(x, steps=steps, keep=1.0, seed=seed)
e = embed(ens, x).cpu().numpy()
print(f"final loss {hist[-1].mean():.3f}; ARI {kmeans_ari(e, truth, seed=seed):.2f}")
# Identical views make the positive pair trivial (similarity 1): the loss only spreads cells apart, and nothing
# forces cells of the same type together — the embedding keeps whatever the random start gave.

# %% [markdown]
# **2.** Show that NT-Xent does not change when both views are rotated by the same orthogonal matrix. Why does that
# matter for clustering?

# %% tags=["hide-cell"]
q, _ = torch.linalg.qr(torch.randn(32, 32, generator=g))
print(f"{nt_xent(z1, z2, 0.1):.6f} vs rotated {nt_xent(z1 @ q, z2 @ q, 0.1):.6f}")
# The loss sees only cosines, which a rotation keeps: any rotation of a good embedding is as good, and clustering by
# cosine distances (kNN graph, KMeans on normalised vectors) does not care which one training lands on.

# %% [markdown]
# **3.** Make the problem harder: raise the dropout (`dropout_mid=1.5` in `simulate.splat`) and compare the ARI of
# contrastive-sc with scanpy's standard pipeline (`csc_core.competitors.baselines.scanpy_leiden`).

# %% tags=["hide-cell"]
hard = simulate.splat(
    n_cells,
    2000,
    group_prob=[1 / n_groups] * n_groups,
    de_prob=0.1,
    de_fac_scale=0.25,
    dropout_type="experiment",
    dropout_mid=1.5,
    seed=seed,
)
csc_core.contrastive_sc(hard, n_genes=300, seed=seed, device=dev, progress=False)
t = hard.obs["cell_type"]
print(
    f"contrastive-sc {metrics.scores(t, hard.obs['csc_cluster'])['ari']:.2f}, "
    f"scanpy {metrics.scores(t, baselines.scanpy_leiden(hard, n_genes=300, seed=seed))['ari']:.2f}"
)

# %% [markdown]
# **4.** Make the problem harder than section 8's — twice as many types, `2 * n_groups`, in 1.5 times as many cells
# — train an ensemble of three encoders and look at the resolution table again. Which partition does the silhouette
# choose, how many clusters does it have, and which resolution would the labels have chosen? Why can a partition
# with fewer clusters than types have the better silhouette?

# %% tags=["hide-cell"]
many = simulate.splat(
    n_cells * 3 // 2,
    2000,
    group_prob=[1 / (2 * n_groups)] * (2 * n_groups),
    de_prob=0.1,
    de_fac_scale=0.25,
    dropout_type="experiment",
    dropout_mid=1.0,
    seed=seed,
)
x_many = torch.from_numpy(preprocess(many, n_genes=300, seed=seed).X).to(dev)
ens, _ = train_encoder(x_many, steps=steps, n_models=3, seed=seed)
_, harder = resolution_table(embed(ens, x_many).cpu().numpy(), many.obs["cell_type"].to_numpy(), seed=seed)
display(pretty(harder.rename(columns={"n_clusters": "clusters"}).set_index("resolution")))
chosen, best = harder[harder["chosen"]].iloc[0], harder.loc[harder["ARI"].idxmax()]
print(
    f"silhouette's choice: resolution {chosen['resolution']:g}, {chosen['n_clusters']} clusters for "
    f"{2 * n_groups} types, ARI {chosen['ARI']:.2f}; the labels' choice: resolution {best['resolution']:g}, "
    f"{best['n_clusters']} clusters, ARI {best['ARI']:.2f}."
)
glue("ex4_k", int(chosen["n_clusters"]))
glue("ex4_types", 2 * n_groups)
# The silhouette compares how close cells are to their own cluster and to the next one. When several types overlap in
# the embedding, merging them into one large cluster removes the boundaries between them, where the silhouette is
# lowest, so coarser partitions can score higher; the rule cannot see types the embedding does not separate.
