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
# and runs in well under a minute on a laptop CPU. Exercises at the end of some sections have their solutions folded
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

# %% tags=["parameters"]
profile = "quick"  # the chapter is the same in every profile
seeds = None  # None: seed 0 (the chapter uses the first seed given)
device = "auto"  # "auto", "cpu" or "cuda"
n_cells = 800  # cells in the simulated data set
n_groups = 4  # cell types
steps = 300  # optimizer steps per training in this chapter

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
import torch.nn.functional as F

import csc_core
from csc_core.competitors import baselines
from csc_core.data import metrics, simulate
from csc_core.method import augment
from csc_core.method.device import resolve_device
from csc_core.method.encoder import EncoderEnsemble, embed
from csc_core.method.loss import nt_xent
from csc_core.method.preprocess import preprocess
from csc_core.pipeline import cluster, graph
from csc_core.pipeline.train import train_contrastive

plt.rcParams["figure.dpi"] = 90
seed = (seeds or [0])[0]
dev = resolve_device(device)
torch.manual_seed(seed)

# %% [markdown]
# ## The data
# Splat {cite:p}`zappia2017splatter` simulates counts for `n_groups` cell types that differ in a few of their genes
# (10 %, by small factors), with the heavy dropout of droplet data (`csc_core.data.simulate.splat`, a Python port of
# splatter's model). We keep the 300 most variable genes and z-score them, as the method does
# (`csc_core.method.preprocess.preprocess`). The types overlap in the first principal components.

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
zeros = 1 - adata.X.nnz / np.prod(adata.shape)
print(f"{adata.n_obs} cells × {adata.n_vars} genes, {zeros:.0%} of the counts zero; encoder input {tuple(x.shape)}")


def kmeans_ari(z, seed=seed):
    """ARI of KMeans, told the number of types, on an embedding (the labels only score)."""
    return metrics.scores(truth, cluster.kmeans(z, n_clusters=n_groups, seed=seed))["ari"]


def show_embedding(z, title, ax=None):
    """The first two principal components of an embedding, coloured by the true cell type."""
    ax = ax or plt.subplots(figsize=(4, 3.6))[1]
    pcs = np.linalg.svd(z - z.mean(0), full_matrices=False)[0][:, :2]
    sns.scatterplot(x=pcs[:, 0], y=pcs[:, 1], hue=truth, s=8, linewidth=0, ax=ax, legend=False)
    ax.set(title=title, xticks=[], yticks=[])
    return ax


show_embedding(pre.X, "the input: PCA of 300 genes, coloured by type")
plt.show()

# %% [markdown]
# ## 1. Two views of a cell
# The augmentation is *gene dropout*: a view keeps a random 20 % of a cell's genes and sets the others to zero
# (`csc_core.method.augment.drop_genes`). Two views of the same cell share no more than chance overlap of genes, yet
# come from the same cell type — the network must learn what the views have in common.

# %%
g = torch.Generator().manual_seed(seed)
cell = x[:1, :60].cpu()
views = torch.cat([cell, augment.drop_genes(cell, 0.2, generator=g), augment.drop_genes(cell, 0.2, generator=g)])
fig, ax = plt.subplots(figsize=(9, 1.8))
sns.heatmap(views.numpy(), cmap="vlag", center=0, cbar=False, yticklabels=["cell", "view 1", "view 2"], ax=ax)
ax.set(xlabel="first 60 genes", xticks=[])
plt.show()
print(
    f"genes kept: view 1 {(views[1] != 0).sum().item()}, view 2 {(views[2] != 0).sum().item()} of 60; "
    f"kept by both: {((views[1] != 0) & (views[2] != 0)).sum().item()}"
)

# %% [markdown]
# ## 2. The encoder
# A small MLP (`genes → 64 → 32`, batch normalisation and ReLU between layers) whose output is normalised to unit
# length: every cell becomes a point on a 32-dimensional sphere, and the similarity of two cells is the cosine of the
# angle between them. Untrained, it is a random map of the cells: KMeans on it finds next to nothing.

# %%
untrained = EncoderEnsemble(1, x.shape[1], (64, 32), seed=seed).to(dev)
z0 = embed(untrained, x).cpu().numpy()
print(f"embedding: {z0.shape}; lengths {np.linalg.norm(z0, axis=1).min():.3f}–{np.linalg.norm(z0, axis=1).max():.3f}")
print(f"KMeans on the untrained embedding: ARI {kmeans_ari(z0):.2f}")

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
# take an Adam step. We train one encoder for `steps` steps and look at the embedding.


# %%
def train_one(*, temperature=0.07, keep=0.2, n_models=1, model_seed=seed):
    ens = EncoderEnsemble(n_models, x.shape[1], (64, 32), seed=model_seed).to(dev)
    history = train_contrastive(
        ens,
        x,
        epochs=1,
        min_steps=steps,
        batch_size=128,
        lr=1e-2,
        keep=keep,
        temperature=temperature,
        mask="batch",
        seed=model_seed,
        progress=False,
    )
    return ens, history


encoder, history = train_one()
z = embed(encoder, x).cpu().numpy()
fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.6))
a.plot(history.mean(1))
a.set(xlabel="epoch", ylabel="NT-Xent", title="training loss")
show_embedding(z, "after training", b)
plt.show()
print(f"KMeans on the trained embedding: ARI {kmeans_ari(z):.2f}")

# %% [markdown]
# ## 5. The temperature
# Dividing similarities by a small $\tau$ sharpens the softmax: the loss then cares mostly about the *hardest*
# negatives, the other cells closest to the anchor. Too large and every negative counts the same, and cells of one type
# are pushed apart as hard as cells of different types.


# %%
def sweep(name, values):
    """Train one encoder per value of one setting; KMeans ARI of each embedding."""
    return pd.DataFrame(
        [{name: v, "ARI (KMeans)": kmeans_ari(embed(train_one(**{name: v})[0], x).cpu().numpy())} for v in values]
    )


temps = sweep("temperature", (0.03, 0.07, 0.2, 0.5, 1.0))
ax = temps.plot(x="temperature", y="ARI (KMeans)", marker="o", logx=True, legend=False, figsize=(5, 3))
ax.set(ylabel="ARI", ylim=(0, 1), title="temperature")
plt.show()

# %% [markdown]
# ## 6. How much of a cell a view keeps
# The paper's ablation (Figure 8a) finds that *strong* augmentation works best: views that keep 20 % of the genes or
# fewer. Keeping almost everything makes the two views nearly identical, and the task is solved without learning
# anything about cell types.

# %%
keeps = sweep("keep", (0.05, 0.1, 0.2, 0.5, 0.9))
ax = keeps.plot(x="keep", y="ARI (KMeans)", marker="o", legend=False, figsize=(5, 3))
ax.set(ylabel="ARI", ylim=(0, 1), title="share of genes each view keeps")
plt.show()

# %% [markdown]
# ## 7. Why an ensemble
# Each encoder starts from its own random weights and sees its own random views, so each lands on a somewhat different
# embedding. Concatenating several averages out the luck of one: the spread across seeds shrinks.

# %%
rows = []
for s in range(4):
    for k in (1, 3):
        ens, _ = train_one(n_models=k, model_seed=s)
        e = embed(ens, x).cpu().numpy()
        rows.append({"encoders": k, "seed": s, "ARI": kmeans_ari(e, seed=s)})
ensembles = pd.DataFrame(rows)
sns.stripplot(data=ensembles, x="encoders", y="ARI", size=7)
plt.title("one encoder or three, four seeds each")
plt.show()
print(ensembles.groupby("encoders")["ARI"].agg(["mean", "std"]).round(3))

# %% [markdown]
# ## 8. Clustering without k
# KMeans needs the number of clusters. Leiden {cite:p}`traag2019leiden` instead finds communities in the graph that
# links each cell to its nearest neighbours in the embedding; its *resolution* says how finely to split. `csc_core`
# tries several resolutions (0.2 to 1.0) and keeps the one whose partition has the best silhouette — a measure of how
# much closer cells are to their own cluster than to the next — computed from the embedding alone.

# %%
ens, _ = train_one(n_models=3)
e = embed(ens, x).cpu().numpy()
scores = []
labels = cluster.leiden(e, n_neighbors=30, resolution="auto", seed=seed, scores=scores)
table = scores[0]
table["ARI"] = [
    metrics.scores(truth, lab)["ari"]
    for lab in graph.leiden_resolutions(graph.knn_graph(e, n_neighbors=30, seed=seed), table["resolution"], seed=seed)
]
print(table.round(3).to_string(index=False))
print(
    f"chosen resolution {table.loc[table['chosen'], 'resolution'].item()}: {len(np.unique(labels))} clusters "
    f"for {n_groups} types, ARI {metrics.scores(truth, labels)['ari']:.2f} — the labels were used only to score."
)

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
ens, hist = train_one(keep=1.0)
e = embed(ens, x).cpu().numpy()
print(f"final loss {hist[-1].mean():.3f}; ARI {kmeans_ari(e):.2f}")
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
# **4.** An earlier version of the rule kept the *lowest* resolution whose silhouette was within 0.02 of the best.
# Which partition would it keep on the table of section 8, and why does such a tolerance favour coarse partitions on
# small data sets, where all silhouettes lie close together?

# %% tags=["hide-cell"]
tolerant = table.loc[table["silhouette"] >= table["silhouette"].max() - 0.02].sort_values("resolution").iloc[0]
best = table.loc[table["silhouette"].idxmax()]
print(
    f"best silhouette: resolution {best['resolution']}, {int(best['n_clusters'])} clusters, ARI {best['ARI']:.2f}; "
    f"lowest within 0.02: resolution {tolerant['resolution']}, {int(tolerant['n_clusters'])} clusters, "
    f"ARI {tolerant['ARI']:.2f}"
)
# Within a tolerance the lowest resolution wins, and the lowest resolutions give the fewest clusters; when every
# partition's silhouette is within the tolerance of the best — as on small data sets — the coarsest one is kept.
