"""The Splat model of splatter (Zappia, Phipson & Oshlack 2017), written in numpy.

Written by hand because no Python port of splatter exists. It follows splatter's ``splatSimulate(method="groups")``
step by step (parameter names in snake_case, defaults equal to splatter's):

1. gene means ~ Gamma(``mean_shape``, rate ``mean_rate``); with probability ``out_prob`` a gene is an expression
   outlier whose mean becomes median(means) × LogNormal(``out_fac_loc``, ``out_fac_scale``);
2. library sizes ~ LogNormal(``lib_loc``, ``lib_scale``);
3. cells are assigned to groups with probabilities ``group_prob``; in each group a gene is differentially expressed
   with probability ``de_prob`` by a factor LogNormal(``de_fac_loc``, ``de_fac_scale``), inverted (down-regulated) with
   probability ``de_down_prob``;
4. each cell's gene proportions are scaled to its library size, then the biological coefficient of variation
   ``bcv = (bcv_common + 1/sqrt(mean)) * sqrt(bcv_df / chi2(bcv_df))`` (one chi-square draw per gene) gives
   Gamma-distributed cell means;
5. true counts ~ Poisson(cell means);
6. "experiment" dropout: each count is zeroed with probability logistic(log(cell mean); ``dropout_mid``,
   ``dropout_shape``).

The random streams are numpy's, not R's: the same parameters give data with the same distribution as splatter's,
not the same numbers. Cells are generated in fixed-size chunks (in parallel threads, each chunk with its own seeded
stream) into sparse matrices, so 100,000 cells never need a dense cells × genes array.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["splat", "paper_dataset", "PAPER_GROUP_PROB"]

_CHUNK = 4096  # cells per generation chunk (fixed: the output for a seed does not depend on machine or size)

#: Group probabilities of the paper's imbalanced data sets (``../reference`` of the paper's repository).
PAPER_GROUP_PROB = {
    4: [0.05, 0.05, 0.4, 0.5],
    8: [0.01, 0.01, 0.04, 0.04, 0.2, 0.2, 0.2, 0.3],
    16: [0.01, 0.01, 0.04, 0.04, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.04, 0.04, 0.1, 0.1, 0.1, 0.1],
    32: [
        0.02,
        0.04,
        0.03,
        0.03,
        0.02,
        0.03,
        0.02,
        0.03,
        0.03,
        0.04,
        0.03,
        0.03,
        0.03,
        0.03,
        0.04,
        0.03,
        0.04,
        0.02,
        0.06,
        0.04,
        0.02,
        0.02,
        0.04,
        0.03,
        0.03,
        0.03,
        0.02,
        0.04,
        0.04,
        0.03,
        0.03,
        0.03,
    ],
}


#: The paper's 32 simulated data sets as ``(kind, n_groups, dropout_mid)``, in the order of its figures.
PAPER_DATASETS = [
    (kind, k, mid) for kind in ("balanced", "imbalanced") for k in (4, 8, 16, 32) for mid in (-1.0, 0.0, 1.0, 1.5)
]


def _lognormal_factors(rng, n, prob, down_prob, loc, scale):
    """splatter's getLNormFactors: 1 for unselected genes, LogNormal(loc, scale) (or its inverse) for selected."""
    selected = rng.random(n) < prob
    facs = np.ones(n)
    facs[selected] = rng.lognormal(loc, scale, selected.sum())
    down = selected & (rng.random(n) < down_prob)
    facs[down] = 1.0 / facs[down]
    return facs


def splat(
    n_cells: int = 100,
    n_genes: int = 10000,
    *,
    group_prob: Sequence[float] = (1.0,),
    mean_shape: float = 0.6,
    mean_rate: float = 0.3,
    lib_loc: float = 11.0,
    lib_scale: float = 0.2,
    out_prob: float = 0.05,
    out_fac_loc: float = 4.0,
    out_fac_scale: float = 0.5,
    de_prob: float | Sequence[float] = 0.1,
    de_down_prob: float | Sequence[float] = 0.5,
    de_fac_loc: float | Sequence[float] = 0.1,
    de_fac_scale: float | Sequence[float] = 0.4,
    bcv_common: float = 0.1,
    bcv_df: float = 60.0,
    dropout_type: str = "none",
    dropout_mid: float = 0.0,
    dropout_shape: float = -1.0,
    seed: int = 0,
    keep_true_counts: bool = True,
) -> ad.AnnData:
    """Simulate counts with the Splat model (splatter's ``splatSimulate(method="groups")``).

    Parameters are splatter's, in snake_case (``nCells`` → ``n_cells``, ``de.facScale`` → ``de_fac_scale``, …);
    their defaults are splatter's.

    Parameters
    ----------
    n_cells, n_genes
        Size of the data set.
    group_prob
        Probability of each group (normalised).
    mean_shape, mean_rate
        Gamma distribution of the gene means.
    lib_loc, lib_scale
        Log-normal library sizes.
    out_prob, out_fac_loc, out_fac_scale
        Expression outliers: probability and log-normal factor.
    de_prob, de_down_prob, de_fac_loc, de_fac_scale
        Differential expression per group (one value, or one per group): probability, probability of
        down-regulation, log-normal factor.
    bcv_common, bcv_df
        Biological coefficient of variation.
    dropout_type
        ``"none"`` or ``"experiment"`` (logistic in log mean).
    dropout_mid, dropout_shape
        The dropout logistic's midpoint and shape.
    seed
        Seeds every draw (the result does not depend on the number of threads).
    keep_true_counts
        Keep the pre-dropout counts (``False`` halves the memory of large simulations).

    Returns
    -------
    AnnData with raw counts (``float32`` CSR) in ``X``, ``layers["true_counts"]`` (before dropout, unless
    ``keep_true_counts=False``), ``obs["cell_type"]`` (categorical ``Group1`` …), ``obs["lib_size"]``,
    ``var["base_mean"]``, ``var["outlier"]``, ``var["de_fac_group{k}"]``, and ``uns["splat"]`` with the parameters,
    the realised ``dropout_rate`` (zeros added by dropout / non-zero true counts) and the ``zero_fraction`` of ``X``.
    """
    params = {k: v for k, v in locals().items()}
    if n_cells < 1 or n_genes < 1:
        raise ValueError(f"n_cells and n_genes must be positive, got {n_cells} and {n_genes}.")
    if dropout_type not in ("none", "experiment"):
        raise ValueError(f"dropout_type must be 'none' or 'experiment', got {dropout_type!r}.")
    group_prob = np.asarray(group_prob, dtype=float)
    if (group_prob < 0).any() or group_prob.sum() <= 0:
        raise ValueError("group_prob must be non-negative and not all zero.")
    group_prob = group_prob / group_prob.sum()  # splatter normalises too
    n_groups = len(group_prob)

    def per_group(value):
        return np.broadcast_to(np.asarray(value, dtype=float), (n_groups,))

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))  # gene- and cell-level draws
    # 1. gene means with expression outliers
    base = rng.gamma(mean_shape, 1.0 / mean_rate, n_genes)
    out_facs = _lognormal_factors(rng, n_genes, out_prob, 0.0, out_fac_loc, out_fac_scale)
    outlier = out_facs != 1
    gene_means = base.copy()
    gene_means[outlier] = np.median(base) * out_facs[outlier]
    # 2. library sizes; 3. groups and DE factors
    lib_sizes = rng.lognormal(lib_loc, lib_scale, n_cells)
    groups = rng.choice(n_groups, size=n_cells, p=group_prob)
    de_facs = np.stack(
        [
            _lognormal_factors(rng, n_genes, p, d, loc, scale)
            for p, d, loc, scale in zip(
                per_group(de_prob), per_group(de_down_prob), per_group(de_fac_loc), per_group(de_fac_scale), strict=True
            )
        ]
    )  # groups × genes
    group_means = gene_means[None, :] * de_facs
    group_props = group_means / group_means.sum(axis=1, keepdims=True)
    # 4. BCV: one chi-square draw per gene, shared by all cells
    chi = np.sqrt(bcv_df / rng.chisquare(bcv_df, n_genes))

    def chunk(c: int):
        # each chunk has its own random stream (keyed by seed and chunk index): chunks can run on several threads
        # and the result for a seed never depends on how many threads did the work
        crng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, c)))
        start, stop = c * _CHUNK, min((c + 1) * _CHUNK, n_cells)
        base_cell = group_props[groups[start:stop]] * lib_sizes[start:stop, None]
        bcv = (bcv_common + 1.0 / np.sqrt(base_cell)) * chi[None, :]
        cell_means = crng.gamma(1.0 / bcv**2, base_cell * bcv**2)
        true = sp.csr_matrix(crng.poisson(cell_means).astype(np.float32))  # 5. true counts
        observed = true.copy()
        if dropout_type == "experiment":  # 6. dropout, logistic in log mean; only non-zero counts can drop
            rows = np.repeat(np.arange(true.shape[0]), np.diff(true.indptr))
            eta = np.log(cell_means[rows, true.indices])
            drop_prob = 1.0 / (1.0 + np.exp(-dropout_shape * (eta - dropout_mid)))
            observed.data[crng.random(drop_prob.size) < drop_prob] = 0
            observed.eliminate_zeros()
        return (true if keep_true_counts else None), observed, true.nnz

    with ThreadPoolExecutor(max_workers=max(1, min(os.cpu_count() or 1, 4))) as pool:
        parts = list(pool.map(chunk, range(-(-n_cells // _CHUNK))))
    nonzero_true = sum(p[2] for p in parts)
    dropped = nonzero_true - sum(p[1].nnz for p in parts)
    true_counts = _stack_rows([p[0] for p in parts]) if keep_true_counts else None
    counts = [p[1] for p in parts]
    del parts
    x = _stack_rows(counts)
    names = [f"Group{g + 1}" for g in range(n_groups)]
    obs = pd.DataFrame(
        {"cell_type": pd.Categorical([names[g] for g in groups], categories=names), "lib_size": lib_sizes},
        index=[f"Cell{i + 1}" for i in range(n_cells)],
    )
    var = pd.DataFrame(
        {"base_mean": base, "outlier": outlier, "gene_mean": gene_means}, index=[f"Gene{j + 1}" for j in range(n_genes)]
    )
    for g in range(n_groups):
        var[f"de_fac_group{g + 1}"] = de_facs[g]
    adata = ad.AnnData(X=x, obs=obs, var=var, layers={"true_counts": true_counts} if keep_true_counts else None)
    params["group_prob"] = group_prob.tolist()
    adata.uns["splat"] = {
        "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()},
        "dropout_rate": dropped / max(nonzero_true, 1),
        "zero_fraction": 1.0 - x.nnz / (n_cells * n_genes),
    }
    return adata


def _stack_rows(blocks: list[sp.csr_matrix]) -> sp.csr_matrix:
    """``scipy.sparse.vstack`` of CSR blocks, emptying ``blocks`` as it copies.

    Peak memory is one result plus one block instead of two results (a million simulated cells hold several GB).
    """
    n_rows, n_cols = sum(b.shape[0] for b in blocks), blocks[0].shape[1]
    nnz = sum(b.nnz for b in blocks)
    index_dtype = np.int32 if nnz < np.iinfo(np.int32).max else np.int64
    data = np.empty(nnz, dtype=blocks[0].dtype)
    indices = np.empty(nnz, dtype=index_dtype)
    indptr = np.empty(n_rows + 1, dtype=index_dtype)
    indptr[0] = row = pos = 0
    while blocks:
        b = blocks.pop(0)
        data[pos : pos + b.nnz], indices[pos : pos + b.nnz] = b.data, b.indices
        indptr[row + 1 : row + b.shape[0] + 1] = b.indptr[1:] + pos
        row, pos = row + b.shape[0], pos + b.nnz
    return sp.csr_matrix((data, indices, indptr), shape=(n_rows, n_cols))


def paper_n_cells(kind: str, n_groups: int) -> int:
    """Cells of the paper's simulated data set of ``kind`` with ``n_groups`` groups (:func:`paper_dataset`'s size).

    Parameters
    ----------
    kind
        ``"balanced"`` (250 cells per group) or ``"imbalanced"`` (3,000 cells).
    n_groups
        The number of groups.

    Returns
    -------
    int
        The number of cells.
    """
    if kind == "balanced":
        return 250 * int(n_groups)
    if kind == "imbalanced":
        return 3000
    raise ValueError(f"kind must be 'balanced' or 'imbalanced', got {kind!r}.")


def paper_dataset(kind: str, n_groups: int, dropout_mid: float, *, seed: int = 100) -> ad.AnnData:
    """One of the paper's 32 simulated data sets, ``data_{mid}c{K}`` (2,500 genes, experiment dropout, shape −1).

    Parameters
    ----------
    kind
        ``"balanced"``: 250 cells per group on average (equal probabilities), ``de_fac_scale=0.25``;
        ``"imbalanced"``: 3,000 cells with the paper's group probabilities, ``de_fac_scale=0.2``.
    n_groups
        4, 8, 16 or 32.
    dropout_mid
        The dropout logistic's midpoint (the paper's −1, 0, 1, 1.5).
    seed
        The simulation's seed (the paper's 100).

    Returns
    -------
    As :func:`splat`, with ``uns["dataset"]`` naming it.
    """
    if n_groups not in PAPER_GROUP_PROB:
        raise ValueError(f"n_groups must be one of {sorted(PAPER_GROUP_PROB)}, got {n_groups}.")
    n_cells = paper_n_cells(kind, n_groups)
    if kind == "balanced":
        prob, scale = [1.0 / n_groups] * n_groups, 0.25
    else:
        prob, scale = PAPER_GROUP_PROB[n_groups], 0.2
    adata = splat(
        n_cells,
        2500,
        group_prob=prob,
        de_fac_scale=scale,
        dropout_type="experiment",
        dropout_mid=dropout_mid,
        dropout_shape=-1.0,
        seed=seed,
    )
    mid = f"{dropout_mid:g}"
    adata.uns["dataset"] = {"name": f"data_{mid}c{n_groups}", "kind": kind, "source": "csc_core.data.simulate (Splat)"}
    return adata
