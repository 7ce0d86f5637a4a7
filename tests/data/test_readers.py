"""Reading count matrices: the scDeepCluster layout (in slabs, with a sized chunk cache), CellBench, 10x .h5, .h5ad."""

import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from csc_core import data
from csc_core.data.readers import read_counts
from tests.helpers import shared_data_available, write_h5

PBMC = "10X_PBMC_select_2100_top2000"


def test_read_h5_rejects_a_foreign_layout(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as fh:
        fh["matrix"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match="scDeepCluster layout"):
        data.read_h5(tmp_path / "other.h5")


def test_reading_in_slabs_gives_the_same_matrix(tmp_path):
    x, _ = write_h5(tmp_path / "t.h5", n_cells=23, n_genes=7)
    slabs = data.read_h5(tmp_path / "t.h5", chunk_bytes=8 * 7 * 5)  # 5 rows at a time
    np.testing.assert_array_equal(slabs.X.toarray(), x)
    np.testing.assert_array_equal(slabs.X.toarray(), data.read_h5(tmp_path / "t.h5").X.toarray())


def test_one_gzip_chunk_read_in_slabs_gives_the_same_matrix(tmp_path):
    # the layout of worm_neuron_cell.h5: the whole matrix is one compressed chunk
    x = np.random.default_rng(1).poisson(0.5, (23, 7)).astype(np.float64)
    with h5py.File(tmp_path / "one.h5", "w") as fh:
        fh.create_dataset("X", data=x, chunks=x.shape, compression="gzip")
        fh["Y"] = np.arange(23.0) % 2
    np.testing.assert_array_equal(data.read_h5(tmp_path / "one.h5", chunk_bytes=8 * 7 * 5).X.toarray(), x)


def test_chunk_cache_holds_one_band_of_chunks(tmp_path):
    with h5py.File(tmp_path / "c.h5", "w") as fh:
        one = fh.create_dataset("one", shape=(4000, 3000), dtype="f8", chunks=(4000, 3000), compression="gzip")
        tiles = fh.create_dataset("tiles", shape=(1000, 5000), dtype="f4", chunks=(100, 1000))
        plain = fh.create_dataset("plain", shape=(10, 10), dtype="f8")
        assert data.chunk_cache_size(one)[0] >= 4000 * 3000 * 8  # the whole single chunk
        nbytes, slots = data.chunk_cache_size(tiles)
        assert nbytes >= 100 * 5000 * 4 and slots >= 5 * 100  # one band: 5 chunks of 100 rows
        assert data.chunk_cache_size(plain) == (1 << 20, 521)  # contiguous: HDF5's defaults
        columns = fh.create_dataset("columns", shape=(10**6, 3000), dtype="f4", chunks=(10**6, 1))
        assert data.chunk_cache_size(columns) == (1 << 20, 521)  # a 12 GB band: not cached


@pytest.mark.skipif(not shared_data_available(PBMC), reason="data not available offline")
def test_reads_the_scdeepcluster_layout_like_the_loader():
    a = read_counts(data.fetch(PBMC)[0])
    b = data.load(PBMC)
    assert a.shape == b.shape and (a.X != b.X).nnz == 0
    assert list(a.obs["cell_type"]) == list(b.obs["cell_type"])


def test_reads_a_10x_h5(tmp_path, adata):
    # the 10x Genomics v3 layout: a CSC matrix of genes × cells under "matrix"
    m = sp.csc_matrix(adata.X.T.astype(np.int32))
    path = tmp_path / "filtered_feature_bc_matrix.h5"
    with h5py.File(path, "w") as fh:
        g = fh.create_group("matrix")
        g["data"], g["indices"], g["indptr"], g["shape"] = m.data, m.indices, m.indptr, m.shape
        g["barcodes"] = np.array(adata.obs_names, dtype="S")
        f = g.create_group("features")
        f["id"] = f["name"] = np.array(adata.var_names, dtype="S")
        f["feature_type"] = np.array(["Gene Expression"] * adata.n_vars, dtype="S")
        f["genome"] = np.array(["test"] * adata.n_vars, dtype="S")
    read = read_counts(path)
    assert read.shape == adata.shape
    np.testing.assert_array_equal(read.X.toarray(), adata.X.toarray())


def test_reads_an_h5ad_and_names_what_it_cannot_read(tmp_path, adata):
    adata.write_h5ad(tmp_path / "in.h5ad")
    assert (read_counts(tmp_path / "in.h5ad").X != adata.X).nnz == 0
    (tmp_path / "counts.txt").write_text("1 2 3")
    with pytest.raises(ValueError, match="expected .h5ad or .h5"):
        read_counts(tmp_path / "counts.txt")
    with pytest.raises(FileNotFoundError):
        read_counts(tmp_path / "missing.h5ad")


def test_read_cellbench_keeps_singlets_labelled_by_cell_line(tmp_path):
    from csc_core.data import read_cellbench

    counts = pd.DataFrame(
        [[1, 0, 3, 2], [0, 5, 0, 1], [2, 2, 2, 2]],
        index=["ENSG1", "ENSG2", "ENSG3"],
        columns=["c1", "c2", "c3", "c4"],
    )
    counts.to_csv(tmp_path / "p.count.csv.gz")
    meta = pd.DataFrame(
        {"demuxlet_cls": ["SNG", "DBL", "SNG", "SNG"], "cell_line_demuxlet": ["A549", "H838", "H838", "A549"]},
        index=["c4", "c2", "c1", "c3"],  # not the counts' order: cells are matched by barcode
    )
    meta.to_csv(tmp_path / "p.metadata.csv.gz")
    adata = read_cellbench(tmp_path / "p.count.csv.gz", tmp_path / "p.metadata.csv.gz")
    assert list(adata.obs_names) == ["c4", "c1", "c3"] and list(adata.var_names) == ["ENSG1", "ENSG2", "ENSG3"]
    np.testing.assert_array_equal(adata.X.toarray(), counts[["c4", "c1", "c3"]].to_numpy().T)
    assert list(adata.obs["cell_type"]) == ["A549", "H838", "A549"]
    meta.drop(columns="demuxlet_cls").to_csv(tmp_path / "bad.metadata.csv.gz")
    with pytest.raises(ValueError, match="demuxlet_cls"):
        read_cellbench(tmp_path / "p.count.csv.gz", tmp_path / "bad.metadata.csv.gz")


@pytest.mark.skipif(not shared_data_available("cellbench_celseq2_p1"), reason="CellBench plate 1 not available offline")
def test_cellbench_plate_loads_with_its_published_singlets():
    adata = data.load("cellbench_celseq2_p1")
    assert adata.shape == (156, 15564) and adata.obs["cell_type"].nunique() == 5
    assert adata.shape == (data.info("cellbench_celseq2_p1").n_cells, data.info("cellbench_celseq2_p1").n_genes)


def test_read_counts_names_an_h5_of_unknown_layout(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as fh:
        fh["foo"] = np.zeros(3)
    with pytest.raises(ValueError, match="neither in 10x Genomics' layout.*'foo'"):
        read_counts(tmp_path / "other.h5")


@pytest.mark.parametrize(
    "name, message",
    [
        ("broken.h5", r"broken\.h5 looks like 10x Genomics' layout but cannot be read as one"),
        ("other.h5ad", r"other\.h5ad is not a readable AnnData \(\.h5ad\) file \(TypeError"),
    ],
)
def test_read_counts_names_a_file_scanpy_or_anndata_cannot_read(tmp_path, name, message):
    with h5py.File(tmp_path / name, "w") as fh:
        if name.endswith(".h5"):
            fh.create_group("matrix")["data"] = np.ones(3)  # 10x's group without its other datasets
        else:
            fh["foo"] = np.zeros(3)
    with pytest.raises(ValueError, match=message):
        read_counts(tmp_path / name)
    (tmp_path / "text.h5ad").write_text("not hdf5")
    with pytest.raises(ValueError, match=r"text\.h5ad is not a readable AnnData \(\.h5ad\) file \(OSError"):
        read_counts(tmp_path / "text.h5ad")


def test_read_counts_calls_a_file_that_is_not_hdf5_so(tmp_path):
    (tmp_path / "empty.h5").write_bytes(b"not an hdf5 file")
    with pytest.raises(ValueError, match=r"empty\.h5 is not a readable HDF5 \(\.h5\) file"):
        read_counts(tmp_path / "empty.h5")
