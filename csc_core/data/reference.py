"""The paper's published ARI values (authors' result files), used as marks beside what the book measures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .registry import REGISTRY

_FILE = "paper_ari.csv"


def _path() -> Path:
    packaged = Path(__file__).with_name(_FILE)  # shipped inside a wheel
    return packaged if packaged.exists() else Path(__file__).resolve().parents[2] / "data" / _FILE


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
