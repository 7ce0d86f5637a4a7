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
        files=("tiny.h5",),
        urls=(("https://example.invalid/tiny.h5",),),
        sha256=(hashlib.sha256(content).hexdigest(),),
        git_blob=("",),
        layout="scdeepcluster",
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
    assert adata.uns["dataset"]["sha256"] == entry.sha256[0] and adata.uns["dataset"]["url"] == entry.url


def test_hash_mismatch_raises_and_the_file_is_not_used(tiny_registry, monkeypatch):
    folder, entry, _, _ = tiny_registry
    monkeypatch.setitem(data.REGISTRY, "tiny", data.Entry(**{**entry.__dict__, "sha256": ("0" * 64,)}))
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
    monkeypatch.setitem(data.REGISTRY, "tiny", data.Entry(**{**entry.__dict__, "sha256": ("",), "git_blob": (blob,)}))
    assert data.load("tiny").n_obs == 12
    wrong = data.Entry(**{**entry.__dict__, "sha256": ("",), "git_blob": ("1" * 40,)})
    monkeypatch.setitem(data.REGISTRY, "tiny", wrong)
    with pytest.raises(data.DataHashError, match="git blob id"):
        data.load("tiny")


def test_unknown_name_lists_valid_names():
    with pytest.raises(KeyError, match="worm_neuron_cell"):
        data.load("no_such_data")


def test_registry_has_both_tables_and_the_sets_beyond_the_paper_with_urls_and_a_hash_each():
    paper, others = data.available(paper=True), data.available(paper=False)
    assert len(paper) == 11 and len(others) == 5 and data.available() == paper + others
    for name in paper:
        assert data.info(name).url.startswith("https://github.com/ttgump/")
    for name in data.available():
        e = data.info(name)
        for urls, sha, blob in zip(e.urls, e.sha256, e.git_blob, strict=True):
            assert all(u.startswith("https://") for u in urls)
            assert len(sha) == 64 or len(blob) == 40
    assert len(data.info("mouse_ES_cell").urls[0]) == 2  # a mirror


def test_an_entry_without_a_hash_for_each_file_is_refused(tiny_registry):
    _, entry, _, _ = tiny_registry
    with pytest.raises(ValueError, match="a hash for each"):
        data.Entry(**{**entry.__dict__, "files": ("a.csv", "b.csv")})
    with pytest.raises(ValueError, match="sha256 or git blob id"):
        data.Entry(**{**entry.__dict__, "sha256": ("abc",)})
    with pytest.raises(ValueError, match="unknown layout"):
        data.Entry(**{**entry.__dict__, "layout": "loom"})


def test_mirrors_are_tried_in_order_and_each_download_is_hash_checked(tmp_path, monkeypatch):
    content = b"counts"
    tried = []

    class FakeFetcher:  # stands in for pooch: the first mirror is unreachable, the second serves the file
        def __init__(self, path, urls, **kwargs):
            self.path, self.url = path, next(iter(urls.values()))

        def fetch(self, file, progressbar):
            tried.append(self.url)
            if "first" in self.url:
                raise ConnectionError("unreachable")
            (self.path / file).write_bytes(content)
            return str(self.path / file)

    monkeypatch.setattr(registry.pooch, "create", lambda **kw: FakeFetcher(kw["path"], kw["urls"]))
    monkeypatch.setenv(registry.ENV_VAR, str(tmp_path))
    urls = ("https://first.invalid/f", "https://second.invalid/f")
    path, sha = registry._fetch_file("f", urls, hashlib.sha256(content).hexdigest(), "", retries=0)
    assert tried == list(urls) and path.read_bytes() == content and sha == hashlib.sha256(content).hexdigest()
    path.unlink()
    with pytest.raises(data.DataHashError):  # a mirror serving other bytes is refused and its file deleted
        registry._fetch_file("f", urls, "0" * 64, "", retries=0)
    assert not path.exists()
    tried.clear()
    urls = ("https://first.invalid/f",)
    with pytest.raises(ConnectionError):  # every mirror unreachable: the last error is raised
        registry._fetch_file("f", urls, "0" * 64, "", retries=0)


@pytest.mark.skipif(not shared_data_available("worm_neuron_cell"), reason="worm_neuron_cell not available offline")
def test_real_file_loads_with_published_shape():
    adata = data.load("worm_neuron_cell")
    assert adata.shape == (4186, 13488)
    assert adata.obs["cell_type"].nunique() == 10
