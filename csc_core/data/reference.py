"""The paper's published values — ARI (authors' result files) and timings (the paper's text) — as marks beside ours."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .registry import REGISTRY

_FILE = "paper_ari.csv"
_TIMING_FILE = "paper_timing.csv"


def _path(name: str = _FILE) -> Path:
    packaged = Path(__file__).with_name(name)  # shipped inside a wheel
    return packaged if packaged.exists() else Path(__file__).resolve().parents[2] / "data" / name


def paper_ari(category: str | None = None) -> pd.DataFrame:
    """The paper's published ARI (mean over its 3 runs; scanpy and scDeepCluster single runs).

    Parameters
    ----------
    category
        ``"real"``, ``"balanced"`` or ``"imbalanced"``; ``None`` for all.

    Returns
    -------
    Columns ``category``, ``dataset``, ``n_clusters``, ``dropout_mid``, ``method``, ``ari``.
    """
    df = pd.read_csv(_path())
    if category is not None:
        df = df[df["category"] == category].reset_index(drop=True)
    return df


def paper_ari_for(names, methods=None) -> pd.DataFrame:
    """Published real-data ARI rows for our data set ``names``.

    A published row can match several local files (the paper's full 10X PBMC and our 2000-gene cut of it).

    Parameters
    ----------
    names
        Names of :func:`csc_core.data.available`.
    methods
        Keep only these methods; ``None`` for all.

    Returns
    -------
    Columns as :func:`paper_ari`, ``dataset`` holding our name.
    """
    real = paper_ari("real")
    rows = []
    for name in names:
        sub = real[real["dataset"] == REGISTRY[name].paper_dataset].copy()
        sub["dataset"] = name
        rows.append(sub)
    out = pd.concat(rows, ignore_index=True) if rows else real.iloc[0:0]
    return out if methods is None else out[out["method"].isin(methods)].reset_index(drop=True)


def paper_ari_simulated(kind: str | None = None, methods=None) -> pd.DataFrame:
    """Published ARI on the simulated data sets, keyed like :func:`csc_core.harness.methods.simulated_rows`' tasks.

    Parameters
    ----------
    kind
        ``"balanced"`` or ``"imbalanced"``; ``None`` for both.
    methods
        Keep only these methods; ``None`` for all.

    Returns
    -------
    Columns ``kind``, ``n_groups``, ``dropout_mid``, ``method``, ``ari``.
    """
    df = paper_ari()
    df = df[df["category"].isin(["balanced", "imbalanced"] if kind is None else [kind])]
    df = df.rename(columns={"category": "kind", "n_clusters": "n_groups"})
    df["n_groups"] = df["n_groups"].astype(int)
    df["dropout_mid"] = df["dropout_mid"].astype(float)
    if methods is not None:
        df = df[df["method"].isin(methods)]
    return df[["kind", "n_groups", "dropout_mid", "method", "ari"]].reset_index(drop=True)


def paper_timing(measure: str | None = None) -> pd.DataFrame:
    """The paper's published timings of contrastive-sc (published version: one encoder, 30 epochs, on a GPU).

    Transcribed from the computational analysis of :cite:p:`ciortan2021contrastive` (BMC Bioinformatics 22:280, 2021;
    each row's ``source`` says so): training seconds against cells on simulated data with 500 genes (1,000 to 50,000
    cells, "linear"), and the whole pipeline (preprocessing, training and KMeans) on each real data set, given as a
    range.

    Parameters
    ----------
    measure
        ``"training"`` (seconds against cells) or ``"pipeline per real data set"``; ``None`` for both.

    Returns
    -------
    pandas.DataFrame
        Columns ``measure``, ``n_cells``, ``n_genes``, ``epochs``, ``hardware``, ``seconds_low``, ``seconds_high``
        (equal for a single value) and ``source``.
    """
    df = pd.read_csv(_path(_TIMING_FILE))
    if measure is not None:
        df = df[df["measure"] == measure].reset_index(drop=True)
    return df
