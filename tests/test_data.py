import hashlib

import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from csc_core import data
from tests.conftest import shared_data_available


def _write_h5(path, n_cells=12, n_genes=7, one_based=True):
    rng = np.random.default_rng(0)
    x = rng.poisson(2, (n_cells, n_genes)).astype(np.float64)
    y = np.arange(n_cells) % 3 + (1 if one_based else 0)
    with h5py.File(path, "w") as fh:
        fh["X"] = x
        fh["Y"] = y.astype(np.float64)
    return x, y


@pytest.fixture
def tiny_registry(tmp_path, monkeypatch):
    """A registry with one file that exists in a temporary cache folder."""
    x, y = _write_h5(tmp_path / "tiny.h5")
    content = (tmp_path / "tiny.h5").read_bytes()
    entry = data.Entry(name="tiny", file="tiny.h5", url="https://example.invalid/tiny.h5",
                       sha256=hashlib.sha256(content).hexdigest(), git_blob="", n_cells=12, n_genes=7, n_types=3,
                       paper_dataset="Tiny", source="tests")
    monkeypatch.setitem(data.REGISTRY, "tiny", entry)
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path))
    return tmp_path, entry, x, y


def test_load_returns_raw_counts_with_labels_and_provenance(tiny_registry):
    folder, entry, x, y = tiny_registry
    adata = data.load("tiny")
    assert sp.issparse(adata.X) and adata.X.format == "csr" and adata.X.dtype == np.float32
    np.testing.assert_array_equal(adata.X.toarray(), x)
    assert isinstance(adata.obs["cell_type"].dtype, pd.CategoricalDtype)
    assert list(adata.obs["cell_type"].astype(int)) == list(y)
    assert adata.obs_names.is_unique and adata.var_names.is_unique
    assert adata.uns["dataset"]["sha256"] == entry.sha256 and adata.uns["dataset"]["url"] == entry.url


def test_hash_mismatch_raises_and_the_file_is_not_used(tiny_registry, monkeypatch):
    folder, entry, _, _ = tiny_registry
    monkeypatch.setitem(data.REGISTRY, "tiny", data.Entry(**{**entry.__dict__, "sha256": "0" * 64}))
    with pytest.raises(data.DataHashError, match="sha256"):
        data.load("tiny")


def test_a_truncated_file_fails_its_hash(tiny_registry):
    folder, entry, _, _ = tiny_registry
    path = folder / "tiny.h5"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(data.DataHashError):
        data.load("tiny")


def test_git_blob_id_verifies_files_without_sha256(tiny_registry, monkeypatch):
    folder, entry, _, _ = tiny_registry
    content = (folder / "tiny.h5").read_bytes()
    blob = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
    monkeypatch.setitem(data.REGISTRY, "tiny", data.Entry(**{**entry.__dict__, "sha256": "", "git_blob": blob}))
    assert data.load("tiny").n_obs == 12
    monkeypatch.setitem(data.REGISTRY, "tiny", data.Entry(**{**entry.__dict__, "sha256": "", "git_blob": "1" * 40}))
    with pytest.raises(data.DataHashError, match="git blob id"):
        data.load("tiny")


def test_unknown_name_lists_valid_names():
    with pytest.raises(KeyError, match="worm_neuron_cell"):
        data.load("no_such_data")


def test_registry_has_both_tables_with_urls_and_a_hash_each():
    names = data.available()
    assert len(names) == 11
    for name in names:
        e = data.info(name)
        assert e.url.startswith("https://github.com/ttgump/")
        assert len(e.sha256) == 64 or len(e.git_blob) == 40


def test_read_h5_rejects_a_foreign_layout(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as fh:
        fh["matrix"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match="scDeepCluster layout"):
        data.read_h5(tmp_path / "other.h5")


@pytest.mark.skipif(not shared_data_available("worm_neuron_cell"), reason="worm_neuron_cell not available offline")
def test_real_file_loads_with_published_shape():
    adata = data.load("worm_neuron_cell")
    assert adata.shape == (4186, 13488)
    assert adata.obs["cell_type"].nunique() == 10


def test_reading_in_slabs_gives_the_same_matrix(tmp_path):
    x, _ = _write_h5(tmp_path / "t.h5", n_cells=23, n_genes=7)
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
