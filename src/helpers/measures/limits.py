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
    # Filled by position, then set once per column: a frame written series by series is slow.
    found = {column: frame[column].to_numpy(dtype=object, copy=True) for column in PROCESS_COLUMNS}
    keys = ["district", "series"] if "district" in frame.columns else ["series"]
    series = frame.groupby(keys, sort=False).ngroup().to_numpy(dtype=float)  # NaN: no series
    drawn = charted(frame).to_numpy(dtype=bool) & ~np.isnan(series)
    columns = {
        "status": _statuses(frame).to_numpy(),
        "period_start": frame["period_start"].to_numpy(),
        "value": frame["value"].to_numpy(dtype=float),
        # counts, which only the p' and u' charts read (an XmR table may come without them)
        **{c: frame[c].to_numpy(dtype=float) for c in ("numerator", "denominator") if c in frame},
    }
    ends = pd.to_datetime(frame["period_end"]).to_numpy()
    starts = pd.to_datetime(frame["period_start"]).to_numpy()
    measures = frame["measure"].to_numpy()
    for measure in plan.measures:
        if measure.process.chart == "none":
            continue
        at = np.flatnonzero((measures == measure.id) & drawn)
        # each series in time order (ties as they came), one after another
        at = at[np.lexsort((starts[at], ends[at], series[at]))]
        for part in np.split(at, np.flatnonzero(np.diff(series[at])) + 1):
            _judge(found, columns, measure, part)
    for column, values in found.items():
        frame[column] = pd.array(values, dtype=frame[column].dtype)
    return frame


def _statuses(rows: pd.DataFrame) -> pd.Series:
    """Each row's data status; a table without one is complete."""
    return rows["status"] if "status" in rows else pd.Series("complete", index=rows.index)


def charted(rows: pd.DataFrame) -> pd.Series:
    """The rows a process chart draws: every published value, complete or incomplete."""
    drawn = _statuses(rows).isin(["complete", "partial"])
    return ~rows["suppressed"].astype(bool) & rows["value"].notna() & drawn


def _judge(
    found: dict[str, np.ndarray], columns: dict[str, np.ndarray], measure: Measure, at: np.ndarray
) -> None:
    """One series' limits and verdicts: its charted rows ``at`` (positions, in time order), into
    ``found`` (a column's values by row position)."""
    if len(at) < 2:
        return
    judged = columns["status"][at] == "complete"
    starts = [pd.Timestamp(c.date).date() for c in measure.process.changes]
    segments = [sum(start >= change for change in starts) for start in columns["period_start"][at]]
    values = np.round(columns["value"][at], measure.value_decimals)
    chart = measure.process.chart
    result = process(
        values,
        direction=measure.better,
        segments=segments,
        judged=judged,
        chart=chart,  # type: ignore[arg-type]
        numerators=columns["numerator"][at] if chart != "xmr" else None,
        denominators=columns["denominator"][at] if chart != "xmr" else None,
        screen=measure.process.screen,
        scale=100.0 if measure.unit == "percent" else 1.0,
    )
    # a segment too short for limits has none, and is not drawn against any
    found["process_chart"][at] = ["" if math.isnan(mean) else chart for mean in result.mean]
    found["segment"][at] = list(result.segment)
    found["process_mean"][at] = list(result.mean)
    found["lower_process_limit"][at] = list(result.lower)
    found["upper_process_limit"][at] = list(result.upper)
    found["near_lower_limit"][at] = list(result.near_lower)
    found["near_upper_limit"][at] = list(result.near_upper)
    found["trial_limits"][at] = list(result.trial)
    found["rules"][at] = [";".join(r) for r in result.rules]
    found["point_type"][at] = list(result.point_type)
