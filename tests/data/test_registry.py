import hashlib

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from csc_core import data
from csc_core.data import registry
from tests.helpers import shared_data_available, write_h5


@pytest.fixture
def tiny_registry(tmp_path, monkeypatch):
    """A registry with one file that exists in a temporary cache folder."""
    x, y = write_h5(tmp_path / "tiny.h5")
    content = (tmp_path / "tiny.h5").read_bytes()
    entry = data.Entry(
        name="tiny",
        file="tiny.h5",
        url="https://example.invalid/tiny.h5",
        sha256=hashlib.sha256(content).hexdigest(),
        git_blob="",
        n_cells=12,
        n_genes=7,
        n_types=3,
        paper_dataset="Tiny",
        source="tests",
    )
    monkeypatch.setitem(data.REGISTRY, "tiny", entry)
    monkeypatch.setenv(registry.ENV_VAR, str(tmp_path))
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


@pytest.mark.skipif(not shared_data_available("worm_neuron_cell"), reason="worm_neuron_cell not available offline")
def test_real_file_loads_with_published_shape():
    adata = data.load("worm_neuron_cell")
    assert adata.shape == (4186, 13488)
    assert adata.obs["cell_type"].nunique() == 10
