"""Tables of the early-stopping benchmarks (``bench/``): what stopping earlier buys and costs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..pipeline.stopping import AgreementStreak


def early_stopping_summary(rows: pd.DataFrame, *, by: str = "n_cells", compact: bool = False) -> pd.DataFrame:
    """Full-length training against early stopping, per number of cells or data set.

    Mean end-to-end seconds, optimizer steps and ARI of each, and how many of the runs stopped early.

    Parameters
    ----------
    rows
        Rows of ``python -m bench early-stopping``: ``by``, ``early_stopping``, ``stopped_at``, ``csc_total``,
        ``steps_run``, ``ari``.
    by
        The column to group by: ``"n_cells"`` or ``"dataset"``.
    compact
        Give four columns instead of seven, each pair as one "full → early" text, so that a table with long data-set
        names still fits a book page.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``by``. Seven short columns: ``seconds``, ``steps`` and ``ARI``, each ``(full)`` and ``(early)``,
        then ``stopped early`` ("k of n"); with ``compact``, ``seconds``, ``steps``, ``ARI`` and ``stopped early``.

    Raises
    ------
    ValueError
        If ``rows`` is empty.
    """
    if rows.empty:
        raise ValueError("No early-stopping rows: run `python -m bench early-stopping` first.")
    rows = rows.assign(
        early_stopping=rows["early_stopping"].astype(str).str.lower() == "true", stopped=rows["stopped_at"].notna()
    )
    names = {"csc_total": "seconds", "steps_run": "steps", "ari": "ARI"}
    mean = rows.groupby([by, "early_stopping"])[list(names)].mean().unstack("early_stopping")
    out = pd.DataFrame(index=mean.index)
    for col, name in names.items():
        for early in (False, True):
            out[f"{name} ({'early' if early else 'full'})"] = mean[(col, early)]
    out[[c for c in out.columns if c.startswith("steps")]] = out.filter(like="steps").round().astype(int)
    stops = rows[rows["early_stopping"]].groupby(by)
    out["stopped early"] = stops["stopped"].sum().astype(int).astype(str) + " of " + stops.size().astype(str)
    if compact:
        formats = {"seconds": "{:.1f}", "steps": "{:,d}", "ARI": "{:.3f}"}
        pairs = {
            name: [
                f"{fmt.format(a)} → {fmt.format(b)}"
                for a, b in zip(out[f"{name} (full)"], out[f"{name} (early)"], strict=False)
            ]
            for name, fmt in formats.items()
        }
        out = pd.DataFrame({**pairs, "stopped early": out["stopped early"]}, index=out.index)
    return out


def replay_stopping(
    trajectory: pd.DataFrame, *, resolution: float = 1.0, agreement: float = 0.95, patience: int = 2
) -> pd.DataFrame:
    """Where a rule of :class:`csc_core.pipeline.stopping.StabilityStop`'s kind would have ended each training.

    The rule stops at the first check at or after ``min_steps`` that ends ``patience`` consecutive checks with
    agreement ≥ ``agreement``.

    Parameters
    ----------
    trajectory
        Rows of ``python -m bench stopping-trajectory``: one per check of a training that was never stopped, with the
        check's agreement at each resolution (``agreement_<resolution>``) and the ARI that stopping at that step would
        have given (``ari``), plus the run's ``data``, ``settings``, ``seed``, ``step``, ``min_steps``,
        ``steps_total`` and ``ari_final``.
    resolution
        The check's Leiden resolution, whose agreement column is read.
    agreement
        The agreement a check needs to count towards the streak.
    patience
        Consecutive agreeing checks needed to stop.

    Returns
    -------
    pandas.DataFrame
        One row per run (``data``, ``settings``, ``seed``): ``steps_total``, ``stopped_at`` (NaN when it would not
        have stopped), ``ari_full`` and ``ari_early`` (the full training's ARI when it did not stop).

    Raises
    ------
    KeyError
        If ``trajectory`` has no agreement column for ``resolution``.
    """
    column = f"agreement_{resolution:g}"
    if column not in trajectory.columns:
        raise KeyError(
            f"No checks at resolution {resolution:g} in the trajectory (columns {list(trajectory.columns)})."
        )
    out = []
    for (data, settings, seed), run in trajectory.sort_values("step").groupby(["data", "settings", "seed"]):
        rule = AgreementStreak(agreement=agreement, patience=patience, min_steps=run["min_steps"].iloc[0])
        stop = next(
            (
                (int(step), float(ari))
                for step, agreed, ari in zip(run["step"], run[column], run["ari"], strict=False)
                if rule.update(step, agreed)
            ),
            None,
        )
        full = float(run["ari_final"].iloc[0])
        out.append(
            {
                "data": data,
                "settings": settings,
                "seed": int(seed),
                "steps_total": int(run["steps_total"].iloc[0]),
                "stopped_at": np.nan if stop is None else stop[0],
                "ari_full": full,
                "ari_early": full if stop is None else stop[1],
            }
        )
    return pd.DataFrame(out)


def stopping_rules_summary(
    trajectory: pd.DataFrame, *, resolutions=(0.3, 0.5, 1.0), agreements=(0.95, 0.9, 0.85), patience: int = 2
) -> pd.DataFrame:
    """Each rule (check resolution × agreement threshold) replayed on every observed training.

    Parameters
    ----------
    trajectory
        As :func:`replay_stopping`.
    resolutions, agreements
        The rules' check resolutions and agreement thresholds; every combination is replayed.
    patience
        As :func:`replay_stopping`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(resolution, agreement)``: how many runs the rule would have cut short, the share of all steps
        saved (%), and the change in ARI (mean over all runs, and the worst run).

    Raises
    ------
    KeyError
        If ``trajectory`` has no agreement column for one of ``resolutions``.
    """
    rows = []
    for resolution in resolutions:
        for agreement in agreements:
            t = replay_stopping(trajectory, resolution=resolution, agreement=agreement, patience=patience)
            cut = t["stopped_at"] < t["steps_total"]
            saved = (t["steps_total"] - t["stopped_at"].fillna(t["steps_total"])).sum() / t["steps_total"].sum()
            change = t["ari_early"] - t["ari_full"]
            rows.append(
                {
                    "resolution": resolution,
                    "agreement": agreement,
                    "cut short": f"{int(cut.sum())} of {len(t)}",
                    "steps saved (%)": round(100 * saved, 1),
                    "ARI change (mean)": change.mean(),
                    "ARI change (worst)": change.min(),
                }
            )
    return pd.DataFrame(rows).set_index(["resolution", "agreement"])


def stopping_summary(simulated: pd.DataFrame, real: pd.DataFrame) -> dict:
    """The numbers the cost chapter quotes about early stopping, at the largest size and on real data.

    Parameters
    ----------
    simulated
        Rows of ``python -m bench early-stopping`` (by ``n_cells``).
    real
        Rows of ``python -m bench early-stopping --datasets all`` (by ``dataset``).

    Returns
    -------
    dict
        At the largest size: ``es_steps_full``, ``es_steps_early``, ``es_s_full``, ``es_s_early`` (mean seconds) and
        ``es_ari_loss`` (full-length ARI minus early); ``es_never_below`` (the largest size where it never stopped,
        as text; ``"none"``), ``es_real_fired`` and ``es_real_runs`` (runs on real data that stopped early, of all)
        and ``n_real_sets``.
    """
    by_size = early_stopping_summary(simulated)
    by_set = early_stopping_summary(real, by="dataset")
    top = by_size.loc[by_size.index.max()]
    never = by_size[by_size["stopped early"].str.startswith("0 of")]
    fired = by_set["stopped early"].str.split(" of ", expand=True).astype(int).sum()
    return {
        "es_steps_full": int(top["steps (full)"]),
        "es_steps_early": int(top["steps (early)"]),
        "es_s_full": float(top["seconds (full)"]),
        "es_s_early": float(top["seconds (early)"]),
        "es_ari_loss": float(top["ARI (full)"] - top["ARI (early)"]),
        "es_never_below": f"{int(never.index.max()):,}" if len(never) else "none",
        "es_real_fired": int(fired[0]),
        "es_real_runs": int(fired[1]),
        "n_real_sets": len(by_set),
    }
