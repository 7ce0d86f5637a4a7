"""The registry of real data files: public URLs and hashes, and the pooch download that checks them.

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

import pooch

ENV_VAR = "CSC_DATA_DIR"
_REPO_DATA = Path(__file__).resolve().parents[2] / "data"


class DataHashError(ValueError):
    """A data file does not have the hash the registry promises."""


@dataclass(frozen=True)
class Entry:
    """One registered file: where it is published and how to check it.

    Parameters
    ----------
    name
        The data set's name (:func:`available`).
    file
        The file name.
    url
        Its public URL.
    sha256
        Its sha256, or empty where none is published.
    git_blob
        Its git blob id (checked when there is no sha256).
    n_cells, n_genes, n_types
        Its size and number of labelled cell types.
    paper_dataset
        The paper's name for it.
    source
        The repository it comes from.
    """

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
        r["name"]: Entry(
            **{**r, "n_cells": int(r["n_cells"]), "n_genes": int(r["n_genes"]), "n_types": int(r["n_types"])}
        )
        for r in rows
    }


REGISTRY = _read_registry()


def _cache_dir() -> Path:
    # A checkout keeps its downloads beside the registry (git-ignored); an installed package uses the OS cache.
    default = _REPO_DATA / "cache" if (_REPO_DATA / "registry.csv").exists() else pooch.os_cache("csc")
    return Path(os.environ.get(ENV_VAR) or default)


def available() -> list[str]:
    """Names of every registered data set (whether or not it is already downloaded).

    Returns
    -------
    The names, in the registry's order.
    """
    return list(REGISTRY)


def info(name: str) -> Entry:
    """The registry entry of a data set.

    Parameters
    ----------
    name
        One of :func:`available`.

    Returns
    -------
    Its :class:`Entry`.

    Raises
    ------
    KeyError
        For an unknown name, listing the valid ones.
    """
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
    """Path of the verified local copy of a data set, downloading it if needed.

    Parameters
    ----------
    name
        One of :func:`available`.

    Returns
    -------
    The file's path (its hash checked).
    """
    return _fetch_verified(name)[0]


def fetchable(name: str) -> bool:
    """Whether a data set is here or can be downloaded now.

    Parameters
    ----------
    name
        One of :func:`available`.

    Returns
    -------
    ``False`` when it is not here and cannot be downloaded (offline); a file with a bad hash still raises.
    """
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
        path=cache,
        base_url="",
        registry={entry.file: f"sha256:{entry.sha256}" if entry.sha256 else None},
        urls={entry.file: entry.url},
        env=ENV_VAR,
        retry_if_failed=retries,
    )
    path = Path(fetcher.fetch(entry.file, progressbar=False))  # pooch verifies sha256 when known
    try:
        return path, _verify(path, entry)  # blob-id files are checked here, after the download
    except DataHashError:
        path.unlink(missing_ok=True)
        raise


#: Largest HDF5 chunk cache :func:`read_h5` sets up; a file whose band of chunks is bigger is read with HDF5's default
