"""Real scRNA-seq data sets, fetched with pooch and verified before they are read.

The registry (``data/registry.csv`` in the repository) lists every file of the paper's Table 1 with its public URL
and its sha256 — or, for the few files whose sha256 is not published, its git blob id. A file is read only after its
hash has been checked; a file that fails the check raises and is never used.

Set ``CSC_DATA_DIR`` to use another cache folder (for example a folder where the files already are: nothing is
downloaded then).
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import pooch
import scipy.sparse as sp

__all__ = ["available", "load", "fetch", "fetchable", "read_h5", "chunk_cache_size", "info", "DataHashError"]

ENV_VAR = "CSC_DATA_DIR"
_REPO_DATA = Path(__file__).resolve().parents[1] / "data"


class DataHashError(ValueError):
    """A data file does not have the hash the registry promises."""


@dataclass(frozen=True)
class Entry:
    """One registered file."""

    name: str
    file: str
    url: str
    sha256: str
    git_blob: str
    n_cells: int
    n_genes: int
    n_types: int
    paper_dataset: str
    source: str


def _registry_path() -> Path:
    # In a wheel the registry is shipped inside the package; in a checkout it lives in data/.
    packaged = Path(__file__).with_name("registry.csv")
    return packaged if packaged.exists() else _REPO_DATA / "registry.csv"


def _read_registry() -> dict[str, Entry]:
    with open(_registry_path(), newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {
        r["name"]: Entry(**{**r, "n_cells": int(r["n_cells"]), "n_genes": int(r["n_genes"]), "n_types": int(r["n_types"])})
        for r in rows
    }


REGISTRY = _read_registry()


def _cache_dir() -> Path:
    # A checkout keeps its downloads beside the registry (git-ignored); an installed package uses the OS cache.
    default = _REPO_DATA / "cache" if (_REPO_DATA / "registry.csv").exists() else pooch.os_cache("csc")
    return Path(os.environ.get(ENV_VAR) or default)


def available() -> list[str]:
    """Names of every registered data set (whether or not it is already downloaded)."""
    return list(REGISTRY)


def info(name: str) -> Entry:
    """The registry entry of ``name``; raises ``KeyError`` listing valid names if unknown."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"Unknown data set {name!r}. Valid names: {', '.join(available())}.") from None


def _digest(h, path: Path) -> str:
    """Feed the file to hash object ``h`` in 1 MiB chunks; return the hex digest."""
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sha256(path: Path) -> str:
    return _digest(hashlib.sha256(), path)


def _git_blob_id(path: Path) -> str:
    # git's object id: SHA-1 of b"blob <size>\0" + content; verifies a download as well as a sha256 does.
    return _digest(hashlib.sha1(f"blob {path.stat().st_size}\0".encode()), path)


def _verify(path: Path, entry: Entry) -> str:
    """Check ``path`` against the registry; return its sha256. Raises :class:`DataHashError` on mismatch."""
    if entry.sha256:
        actual, expected, kind = _sha256(path), entry.sha256, "sha256"
    else:
        actual, expected, kind = _git_blob_id(path), entry.git_blob, "git blob id"
    if actual != expected:
        raise DataHashError(
            f"{path} fails its {kind} check (expected {expected}, got {actual}); the file was not used. "
            f"Delete it to download it again from {entry.url}."
        )
    return actual if entry.sha256 else _sha256(path)


def fetch(name: str) -> Path:
    """Path of the verified local copy of data set ``name``, downloading it if needed."""
    return _fetch_verified(name)[0]


def fetchable(name: str) -> bool:
    """Whether data set ``name`` is here or can be downloaded now (False when offline); a bad hash still raises."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("ERROR")  # a probe: no download chatter
    try:
        _fetch_verified(name, retries=0)
    except OSError:  # network errors (requests' ConnectionError is an OSError)
        return False
    finally:
        logger.setLevel(level)
    return True


def _fetch_verified(name: str, retries: int = 2) -> tuple[Path, str]:
    entry = info(name)
    cache = _cache_dir()
    local = cache / entry.file
    if local.exists():  # pre-seeded or cached: check it ourselves, never let anything re-download over it
        return local, _verify(local, entry)
    fetcher = pooch.create(
        path=cache, base_url="", registry={entry.file: f"sha256:{entry.sha256}" if entry.sha256 else None},
        urls={entry.file: entry.url}, env=ENV_VAR, retry_if_failed=retries,
    )
    path = Path(fetcher.fetch(entry.file, progressbar=False))  # pooch verifies sha256 when known
    try:
        return path, _verify(path, entry)  # blob-id files are checked here, after the download
    except DataHashError:
        path.unlink(missing_ok=True)
        raise


#: Largest HDF5 chunk cache :func:`read_h5` sets up; a file whose band of chunks is bigger is read with HDF5's default
#: cache (slower, since chunks are then decompressed once per slab, but never holding more than one chunk).
CHUNK_CACHE_MAX_BYTES = 2 << 30


def chunk_cache_size(dset: h5py.Dataset) -> tuple[int, int]:
    """HDF5 chunk-cache bytes and hash slots that hold one band of ``dset``'s chunks (all its columns).

    A compressed chunk is decompressed whole whenever any of its rows is read. Several shared files are stored as
    *one* gzip chunk (worm_neuron_cell: 4,186 × 13,488 float64, 452 MB decompressed), far above HDF5's default 1 MB
    cache, so reading it in slabs decompressed all of it once per slab: 7 s instead of 1.5 s. With one band cached,
    every chunk is decompressed once. The memory is what decompressing one band needs anyway, up to
    :data:`CHUNK_CACHE_MAX_BYTES` (a file chunked by columns has the whole matrix in one band).
    """
    default = (1 << 20, 521)  # HDF5's defaults
    if dset.chunks is None or dset.ndim != 2:
        return default
    rows, cols = dset.chunks
    per_band = -(-dset.shape[1] // cols)
    band = rows * cols * per_band * dset.dtype.itemsize
    if band > CHUNK_CACHE_MAX_BYTES:
        return default
    # slots: HDF5 advises ~100 per cached chunk (fewer collisions evicting chunks that are still needed)
    return max(default[0], band + (1 << 16)), max(default[1], 100 * per_band + 1)


def read_h5(path: str | os.PathLike, *, name: str | None = None, chunk_bytes: int = 64 << 20) -> ad.AnnData:
    """Read a file in the scDeepCluster / scDCC layout (``X`` cells × genes counts, ``Y`` labels) as AnnData.

    Returns raw counts as ``float32`` CSR with ``obs["cell_type"]`` (categorical) and generated cell/gene names.
    """
    with h5py.File(path, "r") as fh:  # the layout and chunking first: they size the chunk cache below
        if "X" not in fh or "Y" not in fh:
            raise ValueError(f"{path}: expected datasets 'X' and 'Y' (scDeepCluster layout), found {list(fh)}")
        cache_bytes, cache_slots = chunk_cache_size(fh["X"])
    with h5py.File(path, "r", rdcc_nbytes=cache_bytes, rdcc_nslots=cache_slots) as fh:
        dset, y = fh["X"], np.asarray(fh["Y"][...]).ravel()
        if dset.ndim != 2 or dset.shape[0] != y.shape[0]:
            raise ValueError(f"{path}: X has shape {dset.shape} but Y has {y.shape[0]} labels")
        # the files store dense (often float64) matrices: convert slab by slab so no dense copy of the whole is made
        step = max(1, chunk_bytes // (8 * dset.shape[1]))
        x = sp.vstack([sp.csr_matrix(np.asarray(dset[i:i + step], dtype=np.float32))
                       for i in range(0, dset.shape[0], step)], format="csr")
    labels = y.astype(int) if np.all(np.mod(y, 1) == 0) else y
    prefix = name or Path(path).stem
    adata = ad.AnnData(
        X=x,
        obs=pd.DataFrame(index=[f"{prefix}_cell{i}" for i in range(x.shape[0])]),
        var=pd.DataFrame(index=[f"gene{j}" for j in range(x.shape[1])]),
    )
    adata.obs["cell_type"] = pd.Categorical(labels.astype(str), categories=[str(v) for v in np.unique(labels)])
    return adata


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
        "name": name, "file": entry.file, "source": entry.source, "url": entry.url,
        "sha256": sha256, "paper_dataset": entry.paper_dataset,
    }
    return adata
