"""The label of one benchmark run: its start in UTC, to the minute (the ``run`` column of the results files)."""

from datetime import datetime, timezone


def run_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
