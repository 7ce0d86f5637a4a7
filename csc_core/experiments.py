"""Run a grid of independent tasks into a tidy, resumable result table.

Every chapter writes its numbers through :class:`ResultStore`: one CSV, one row per measurement, rewritten
atomically (write a temporary file, then rename) so a killed run never leaves a half-written table, and tasks
whose rows are already stored are skipped, so an interrupted grid resumes where it stopped.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pandas as pd
from tqdm import tqdm


def _normalise(value):
    # CSV round-trips turn everything into str/float; compare on a canonical string form.
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
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

    def load(self) -> pd.DataFrame:
        """All stored rows (an empty frame if nothing is stored yet)."""
        if not self.path.exists():
            return pd.DataFrame()
        return pd.read_csv(self.path, keep_default_na=True)

    def contains(self, params: Mapping) -> bool:
        """Whether some stored row was produced by exactly ``params``."""
        df = self.load()
        if df.empty or not set(params) <= set(df.columns):
            return False
        hit = pd.Series(True, index=df.index)
        for k, v in params.items():
            hit &= df[k].map(_normalise) == _normalise(v)
        return bool(hit.any())

    def add(self, rows: Iterable[Mapping]) -> None:
        """Append ``rows`` and rewrite the file atomically."""
        new = pd.DataFrame(list(rows))
        if new.empty:
            return
        table = pd.concat([self.load(), new], ignore_index=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", newline="") as fh:
                table.to_csv(fh, index=False)
            os.replace(tmp, self.path)  # atomic on POSIX and Windows
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def select(self, **params) -> pd.DataFrame:
        """Stored rows whose columns equal ``params`` (columns not in the table never match)."""
        df = self.load()
        if df.empty:
            return df
        for k, v in params.items():
            if k not in df.columns:
                return df.iloc[0:0]
            df = df[df[k].map(_normalise) == _normalise(v)]
        return df.reset_index(drop=True)


def run_grid(tasks: Iterable[Mapping], run: Callable[..., list[dict]], store: ResultStore, *,
             progress: bool = True, desc: str = "grid") -> pd.DataFrame:
    """Run ``run(**task)`` for every task whose rows are not yet in ``store``; return the rows of all tasks.

    ``run`` returns a list of rows (dicts); each row is stored together with the task's parameters, and all rows of
    one task are written at once, so a task is either wholly stored or not at all.
    """
    tasks = [dict(t) for t in tasks]
    todo = [t for t in tasks if not store.contains(t)]
    for task in tqdm(todo, desc=desc, disable=not progress or not todo):
        store.add({**task, **row} for row in run(**task))
    frames = [store.select(**t) for t in tasks]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
