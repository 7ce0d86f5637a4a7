"""Shared fixtures: a tiny in-memory AnnData of raw counts with three well-separated cell types.

Helper functions the tests share are in ``tests/helpers.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import anndata as ad
import pytest

from tests.helpers import make_counts

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not os.environ.get("CSC_DATA_DIR") and SHARED_DATA.is_dir():
    os.environ["CSC_DATA_DIR"] = str(SHARED_DATA)  # the offline copies of the public files, when beside the repo


@pytest.fixture
def adata() -> ad.AnnData:
    return make_counts()
