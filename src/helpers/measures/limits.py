"""Every measure's process limits and verdicts, computed on the gated table (``spc``).

Each series of a measure is judged on its own, over its complete periods only: a period that is
incomplete, hidden to protect privacy, missing or not available never takes part in the limits
and is never flagged. An incomplete period is still drawn against its segment's limits (it is
charted, open); the others are not charted and carry no process columns. Limits are computed
from the values as published (rounded as the CSV shows them), so that anyone can recompute them
from the download.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..params.measure import Measure
from ..params.plan import Plan
from .spc import PROCESS_COLUMNS, process


def add_process(frame: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The gated rows of every measure with their process columns (empty where not charted)."""
    frame = frame.copy()
    frame["process_chart"] = ""
    frame["segment"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    for column in PROCESS_COLUMNS[2:7]:
        frame[column] = np.nan
    frame["trial_limits"] = False
    frame["rules"] = ""
    frame["point_type"] = ""
    for measure in plan.measures:
        if measure.process.chart == "none":
            continue
        rows = frame.index[frame["measure"] == measure.id]
        keys = ["district", "series"] if "district" in frame.columns else ["series"]
        for _, part in frame.loc[rows].groupby(keys, sort=False):
            ordered = part.sort_values(["period_end", "period_start"], kind="stable")
            _judge(frame, measure, ordered)
    return frame


def charted(rows: pd.DataFrame) -> pd.Series:
    """The rows a process chart draws: every published value, complete or incomplete."""
    status = rows["status"] if "status" in rows else pd.Series("complete", index=rows.index)
    return ~rows["suppressed"].astype(bool) & rows["value"].notna() & status.isin(["complete", "partial"])


def _judge(frame: pd.DataFrame, measure: Measure, rows: pd.DataFrame) -> None:
    shown = charted(rows)
    rows = rows[shown]
    if len(rows) < 2:
        return
    status = rows["status"] if "status" in rows else pd.Series("complete", index=rows.index)
    judged = (status == "complete").to_numpy()
    starts = [pd.Timestamp(c.date).date() for c in measure.process.changes]
    segments = [sum(start >= change for change in starts) for start in rows["period_start"]]
    values = rows["value"].round(measure.value_decimals).to_numpy(dtype=float)
    chart = measure.process.chart
    result = process(
        values,
        direction=measure.better,
        segments=segments,
        judged=judged,
        chart=chart,  # type: ignore[arg-type]
        numerators=rows["numerator"].to_numpy(dtype=float) if chart != "xmr" else None,
        denominators=rows["denominator"].to_numpy(dtype=float) if chart != "xmr" else None,
        screen=measure.process.screen,
        scale=100.0 if measure.unit == "percent" else 1.0,
    )
    index = rows.index
    frame.loc[index, "process_chart"] = chart
    frame.loc[index, "segment"] = result.segment
    frame.loc[index, "process_mean"] = result.mean
    frame.loc[index, "lower_process_limit"] = result.lower
    frame.loc[index, "upper_process_limit"] = result.upper
    frame.loc[index, "near_lower_limit"] = result.near_lower
    frame.loc[index, "near_upper_limit"] = result.near_upper
    frame.loc[index, "trial_limits"] = result.trial
    frame.loc[index, "rules"] = [";".join(r) for r in result.rules]
    frame.loc[index, "point_type"] = list(result.point_type)
    for position, row in enumerate(index):  # a segment too short for limits has none
        if math.isnan(result.mean[position]):
            frame.loc[row, "process_chart"] = ""
