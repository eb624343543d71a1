"""Alt text written from a chart's own data: what kind of chart, over which periods, each
series' latest, lowest and highest value, the target, dated events, gaps and hidden values, so
a reader who cannot see the image learns what a sighted reader does."""

from __future__ import annotations

import math

import pandas as pd

from ..core.language import N_, Language
from ..params.measure import Measure
from .narrative import fmt_value, latest_rows


def statuses(rows: pd.DataFrame) -> pd.Series:
    """Each row's data status (complete when the table has no status column)."""
    return rows["status"] if "status" in rows else pd.Series("complete", index=rows.index)


def alt_text(measure: Measure, rows: pd.DataFrame, suppressed_text: str, lang: Language) -> str:
    """Describe what the chart shows: kind, span, latest values, range, target, hidden values."""
    t = lang
    rows = rows.sort_values(["period_end", "period_start", "series_order"])
    if rows.empty:
        return t._("{caption}: no data yet.", caption=measure.caption)
    if measure.chart.type == "bar_latest":
        return _bars(measure, rows, suppressed_text, t)
    parts = [_kind(measure, rows, t)]
    several = rows["series"].nunique() > 1
    for series, part in rows.groupby("series", sort=False):
        parts.append(_series(measure, str(series), part, several, t))
    if measure.target is not None:
        parts.append(t._("Dashed line: {target}.", target=measure.target.label))
    notes = [n for n in measure.chart.annotations]
    if notes:
        marked = t.join(f"{n.label} ({t.month(n.date)})" for n in notes)
        parts.append(t._("Marked: {events}.", events=marked))
    parts += _gaps(rows, t)
    return " ".join(parts)


def _bars(measure: Measure, rows: pd.DataFrame, suppressed_text: str, t: Language) -> str:
    """A bar chart of the latest period: every bar's value."""
    latest = latest_rows(rows)
    items = []
    for r in latest.itertuples():
        value = suppressed_text if r.suppressed else fmt_value(measure, r.value, t)
        if measure.value == "numerator" and measure.denominator_label and not r.suppressed:
            value = t._(
                "{value} of {total} {what}",
                value=value,
                total=fmt_value(measure, r.denominator, t),
                what=measure.denominator_label.lower(),
            )
        items.append(f"{r.series}: {value}")
    head = t._(
        "Bar chart of {caption} for {period}.",
        caption=measure.caption.lower(),
        period=latest.iloc[0]["period_label"],
    )
    return head + " " + "; ".join(items) + "."


def _kind(measure: Measure, rows: pd.DataFrame, t: Language) -> str:
    """The kind of chart, what it counts, by which period, from when to when."""
    grain = _grain_words(measure.grain, t)
    first, last = rows.iloc[0]["period_label"], rows.iloc[-1]["period_label"]
    values = {"caption": measure.caption, "grain": grain, "first": first, "last": last}
    if measure.chart.type == "column":
        return t._("Column chart of {caption} by {grain}, {first} to {last}.", **values)
    return t._("Line chart of {caption} by {grain}, {first} to {last}.", **values)


def _series(measure: Measure, series: str, part: pd.DataFrame, several: bool, t: Language) -> str:
    """One series: its latest value, and its lowest and highest over complete periods."""
    visible = part[~part["suppressed"] & part["value"].notna()]
    if visible.empty:
        return t._("{series}: no published values.", series=series)
    latest = visible.iloc[-1]
    whole = visible[statuses(visible).eq("complete")]
    ranged = whole if len(whole) else visible  # an incomplete period is no "lowest"
    low = ranged.loc[ranged["value"].idxmin()]
    high = ranged.loc[ranged["value"].idxmax()]
    figures = {
        "latest": fmt_value(measure, latest["value"], t),
        "latest_period": latest["period_label"],
        "flag": " " + t._("(incomplete data)") if statuses(visible.iloc[-1:]).eq("partial").any() else "",
        "lowest": fmt_value(measure, low["value"], t),
        "lowest_period": low["period_label"],
        "highest": fmt_value(measure, high["value"], t),
        "highest_period": high["period_label"],
    }
    if several:
        return t._(
            "{series}: latest {latest} in {latest_period}{flag}; lowest {lowest} in "
            "{lowest_period}, highest {highest} in {highest_period}.",
            series=series,
            **figures,
        )
    return t._(
        "Latest {latest} in {latest_period}{flag}; lowest {lowest} in {lowest_period}, "
        "highest {highest} in {highest_period}.",
        **figures,
    )


def _gaps(rows: pd.DataFrame, t: Language) -> list[str]:
    """Periods with no data, not available or incomplete, and how many values are hidden."""
    flags = statuses(rows)
    parts = []
    for status in ("missing", "not_available", "partial"):
        labels = list(dict.fromkeys(rows.loc[flags.eq(status), "period_label"]))
        if not labels:
            continue
        shown = t.join(labels[:4])
        if len(labels) > 4:
            shown = t.n_(
                "{shown} and {n} more period", "{shown} and {n} more periods", len(labels) - 4, shown=shown
            )
        if status == "missing":
            parts.append(t._("No data for {periods}.", periods=shown))
        elif status == "not_available":
            parts.append(t._("Not available for {periods}.", periods=shown))
        else:
            parts.append(t._("Incomplete data for {periods}.", periods=shown))
    hidden = int(rows["suppressed"].sum())
    if hidden:
        parts.append(
            t.n_(
                "{n} value is hidden to protect privacy.", "{n} values are hidden to protect privacy.", hidden
            )
        )
    return parts


VERDICT_WORDS = {
    "common_cause": N_("within the usual range"),
    "special_cause_improvement": N_("a real change for the better"),
    "special_cause_concern": N_("a real change for the worse"),
    "special_cause_neutral_high": N_("higher than usual: a real change"),
    "special_cause_neutral_low": N_("lower than usual: a real change"),
}


def process_alt(
    measure: Measure, rows: pd.DataFrame, suppressed_text: str, clipped: bool, lang: Language
) -> str:
    """The process chart in words: its span, each series' usual range and average, its latest
    value and verdict, the periods with a real change, new limits, the target and the gaps."""
    t = lang
    rows = rows.sort_values(["period_end", "period_start", "series_order"])
    if rows.empty:
        return t._("{caption}: no data yet.", caption=measure.caption)
    first, last = rows.iloc[0]["period_label"], rows.iloc[-1]["period_label"]
    grain = _grain_words(measure.grain, t)
    parts = [
        t._(
            "Process chart of {caption} by {grain}, {first} to {last}.",
            caption=measure.caption,
            grain=grain,
            first=first,
            last=last,
        )
    ]
    several = rows["series"].nunique() > 1
    for series, part in rows.groupby("series", sort=False):
        parts += _process_series(measure, str(series), part, several, t)
    for change in measure.process.changes:
        parts.append(
            t._("New limits from {month}: {reason}.", month=t.month(change.date), reason=change.reason)
        )
    if measure.target is not None:
        parts.append(t._("Target line: {target}.", target=measure.target.label))
    if clipped:
        parts.append(t._("Limits beyond what the measure can take are drawn at its edge."))
    parts += _gaps(rows, t)
    return " ".join(parts)


def _process_series(
    measure: Measure, series: str, part: pd.DataFrame, several: bool, t: Language
) -> list[str]:
    if part["suppressed"].astype(bool).any():  # not drawn point by point: see process_chart
        if several:
            return [t._("{series}: too few to show safely.", series=series)]
        return [t._("Too few to show safely.")]
    judged = part[part["point_type"].fillna("") != ""]
    if judged.empty:
        return [t._("{series}: no published values.", series=series)] if several else []
    latest = judged.iloc[-1]
    values = {
        "range": usual_range(measure, latest, t),
        "mean": fmt_value(measure, float(latest["process_mean"]), t),
        "latest": fmt_value(measure, float(latest["value"]), t),
        "period": latest["period_label"],
        "verdict": t._(VERDICT_WORDS[str(latest["point_type"])]),
    }
    if several:
        out = [
            t._(
                "{series}: usual range {range}, average {mean}; latest {latest} in {period}, {verdict}.",
                series=series,
                **values,
            )
        ]
    else:
        out = [t._("Usual range {range}, average {mean}; latest {latest} in {period}, {verdict}.", **values)]
    segment = judged[judged["segment"] == latest["segment"]].reset_index(drop=True)
    spans = _signal_spans(segment, t)
    if spans:
        shown = t.join(spans[:3])
        if len(spans) > 3:
            shown = t.n_(
                "{shown} and {n} more time", "{shown} and {n} more times", len(spans) - 3, shown=shown
            )
        out.append(t._("Real changes: {periods}.", periods=shown))
    if bool(latest["trial_limits"]):
        out.append(t._("The usual range is provisional: it rests on fewer than 13 periods."))
    return out


def _signal_spans(segment: pd.DataFrame, t: Language) -> list[str]:
    """The runs of periods with a real change, newest first: "July 2026 to August 2026"."""
    flagged = segment.index[segment["point_type"] != "common_cause"].tolist()
    runs: list[list[int]] = []
    for i in flagged:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    spans = []
    for run in reversed(runs):
        first, last = segment.at[run[0], "period_label"], segment.at[run[-1], "period_label"]
        spans.append(first if len(run) == 1 else t._("{first} to {last}", first=first, last=last))
    return spans


def _grain_words(grain: str, t: Language) -> str:
    return {
        "month": t._("month"),
        "quarter": t._("quarter"),
        "calendar_year": t._("year"),
        "fiscal_year": t._("fiscal year"),
        "rolling_12_months": t._("12-month period"),
    }[grain]


def floor_of(measure: Measure) -> float | None:
    """The least value the measure can take: 0 for counts and shares."""
    return 0.0 if measure.unit in {"count", "percent", "positions", "average"} else None


def usual_range(measure: Measure, row: pd.Series, lang: Language) -> str:
    """``27,962 to 35,338``: a row's process limits as residents read them (at the floor)."""
    lower, upper = float(row["lower_process_limit"]), float(row["upper_process_limit"])
    if math.isnan(lower) or math.isnan(upper):
        return ""
    floor = floor_of(measure)
    if floor is not None:
        lower = max(lower, floor)
    if measure.unit == "percent":
        upper = min(upper, 100.0)
    return lang._(
        "{lower} to {upper}", lower=fmt_value(measure, lower, lang), upper=fmt_value(measure, upper, lang)
    )
