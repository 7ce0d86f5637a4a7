"""Naming the step that runs on a progress bar (a million-cell graph or Leiden takes minutes)."""

from __future__ import annotations

from tqdm import tqdm


def stage(bar: tqdm | None, what: str) -> None:
    """Show ``what`` as the step about to run on ``bar`` (nothing without a bar).

    Parameters
    ----------
    bar
        A tqdm bar, or ``None``.
    what
        The step's description.
    """
    if bar is not None:
        bar.set_postfix_str(what)


def done(bar: tqdm | None) -> None:
    """Advance ``bar`` by one step (nothing without a bar).

    Parameters
    ----------
    bar
        A tqdm bar, or ``None``.
    """
    if bar is not None:
        bar.update(1)
