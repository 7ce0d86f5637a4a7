"""The result store: a tidy CSV of results keyed by the parameters that produced them, written atomically.

Every chapter writes its numbers through :class:`ResultStore`: one CSV, one row per measurement, rewritten atomically
(write a temporary file, then rename) so a killed run never leaves a half-written table, and tasks whose rows are
already stored are skipped, so an interrupted grid resumes where it stopped.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
from filelock import FileLock


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it; done once, at import, and put back at once
    os.umask(mask)
    return mask


#: The mode ``open`` would give a new result file (0644 under the usual umask 022).
_NEW_FILE_MODE = 0o666 & ~_umask()


def _normalise(value):
    # CSV round-trips turn everything into str/float; compare on a canonical string form. A column mixing words and
    # numbers (resolution "auto" and 1.0) is read back as strings, so numeric strings are canonicalised like numbers.
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class ResultStore:
    """A tidy CSV of results keyed by the parameters that produced them.

    Parameters
    ----------
    path
        The CSV file (created on first write, with its folder).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = FileLock(self.path.with_name(f".{self.path.name}.lock"))

    def load(self) -> pd.DataFrame:
        """All stored rows (an empty frame if nothing is stored yet).

        Returns
        -------
        pandas.DataFrame
            The table as stored, one row per measurement.
        """
        if not self.path.exists():
            return pd.DataFrame()
        # round_trip: floats read back exactly as written, so rewriting the table leaves stored rows unchanged
        return pd.read_csv(self.path, keep_default_na=True, float_precision="round_trip")

    def contains(self, params: Mapping) -> bool:
        """Whether some stored row was produced by exactly ``params``.

        Values are compared in a canonical string form, so ``1``, ``1.0`` and ``"1"`` match as they do after a CSV
        round trip.

        Parameters
        ----------
        params
            Column → value; every column must be in the table.

        Returns
        -------
        bool
            ``True`` when some row has all of ``params``' values.
        """
        df = self.load()
        if df.empty or not set(params) <= set(df.columns):
            return False
        hit = pd.Series(True, index=df.index)
        for k, v in params.items():
            hit &= df[k].map(_normalise) == _normalise(v)
        return bool(hit.any())

    def add(self, rows: Iterable[Mapping]) -> None:
        """Append ``rows`` and rewrite the file atomically (under a lock shared by every process using the file).

        Parameters
        ----------
        rows
            Column → value, one mapping per row; columns new to the table are added (empty in the old rows).
        """
        new = pd.DataFrame(list(rows))
        if new.empty:
            return
        # a column with no value in these rows (e.g. all None) becomes NaN floats — what the CSV reads back anyway —
        # so that pandas does not have to guess its type when it meets the stored rows (a FutureWarning otherwise)
        new = new.apply(lambda col: col.astype(float) if col.isna().all() else col)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:  # read-modify-write: without the lock two writers could each drop the other's rows
            self._write(pd.concat([self.load(), new], ignore_index=True))

    def _write(self, table: pd.DataFrame) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", newline="") as fh:
                table.to_csv(fh, index=False)
            # mkstemp creates the file private (0600); give it the table's own mode, or a new file's usual one
            os.chmod(tmp, self.path.stat().st_mode & 0o777 if self.path.exists() else _NEW_FILE_MODE)
            os.replace(tmp, self.path)  # atomic on POSIX and Windows
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def select(self, **params) -> pd.DataFrame:
        """Stored rows whose columns equal ``params`` (columns not in the table never match).

        Parameters
        ----------
        **params
            Column → value, compared as in :meth:`contains`.

        Returns
        -------
        pandas.DataFrame
            The matching rows, re-indexed from 0 (empty when none match).
        """
        df = self.load()
        if df.empty:
            return df
        for k, v in params.items():
            if k not in df.columns:
                return df.iloc[0:0]
            df = df[df[k].map(_normalise) == _normalise(v)]
        return df.reset_index(drop=True)
