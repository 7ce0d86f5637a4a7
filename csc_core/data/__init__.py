"""Data: the registry of public files and their loading, the Splat simulator, the paper's published values, metrics.

``load(name)`` returns a registered data set as raw counts with ``obs["cell_type"]``, after checking the file's hash;
``available()`` lists the names. Set ``CSC_DATA_DIR`` to use another cache folder (for example a folder where the files
already are: nothing is downloaded then).
"""

from __future__ import annotations

import anndata as ad

from .readers import chunk_cache_size, read_h5
from .registry import REGISTRY, DataHashError, Entry, _fetch_verified, available, fetch, fetchable, info

__all__ = [
    "available",
    "load",
    "fetch",
    "fetchable",
    "read_h5",
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
    path, sha256 = _fetch_verified(name)
    adata = read_h5(path, name=name)
    adata.uns["dataset"] = {
        "name": name,
        "file": entry.file,
        "source": entry.source,
        "url": entry.url,
        "sha256": sha256,
        "paper_dataset": entry.paper_dataset,
    }
    return adata
