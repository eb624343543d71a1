"""Words and numbers for residents: formatting and comparisons, in the page's language.

Sentences are whole templates in ``helpers.language`` catalogues, so that a translation can put
the words in its own order; numbers, dates and lists are formatted by the language (Babel).
All text that comes from data or from analysts' YAML passes through ``md`` or ``esc`` before it
becomes part of a page: Markdown output is passed to Quarto as-is, so unescaped text could inject
HTML, scripts or stray formatting.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..core.language import Language
from ..core.periods import FiscalQuarter
from ..data.coverage import combined_note, note_reason
from ..params.measure import Measure
from .fragments import Block, Bullets, Strong, para


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def fmt_number(value: float, decimals: int, lang: Language) -> str:
    if is_missing(value):
        return lang._("not available")
    return lang.number(value, decimals)


def fmt_value(measure: Measure, value: float, lang: Language) -> str:
    """A measure's value as residents read it: ``1,234``, ``87.3%``, ``40.5``."""
    if is_missing(value):
        return lang._("not available")
    if measure.unit == "percent":
        return lang.percent(value, measure.value_decimals)
    return lang.number(value, measure.value_decimals)


def percent_change(now: float, then: float) -> float:
    """The change from ``then`` to ``now`` in percent; NaN when either is unknown or ``then`` is 0."""
    if is_missing(now) or is_missing(then) or then == 0:
        return math.nan
    return 100.0 * (now - then) / then


@dataclass(frozen=True)
class Change:
    """A change from ``then`` to ``now`` that reads as words in ``lang``: "38% fewer", "12% more"."""

    now: float
    then: float
    lang: Language
    counting: bool = True

    @property
    def percent(self) -> float:
        return percent_change(self.now, self.then)

    def __str__(self) -> str:
        change, t = self.percent, self.lang
        if math.isnan(change):
            return t._("not comparable")
        if abs(change) < 0.5:
            return t._("about the same")
        percent = t.percent(abs(change), 0)
        if change > 0:
            return (
                t._("{percent} more", percent=percent)
                if self.counting
                else t._("{percent} higher", percent=percent)
            )
        return (
            t._("{percent} fewer", percent=percent)
            if self.counting
            else t._("{percent} lower", percent=percent)
        )

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def fmt_date(d: date | str, lang: Language) -> str:
    return lang.date(d)


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    hidden: bool
    status: str = "complete"  # complete | partial | missing | not_available
    note: str = ""  # why it is not complete, in words
    for_others: bool = False  # hidden only so that a smaller number elsewhere stays hidden

    @property
    def comparable(self) -> bool:
        """Only a complete, published figure is compared with another."""
        return self.status == "complete" and not self.hidden and not is_missing(self.value)


def _status_of(rows: pd.DataFrame) -> tuple[str, str]:
    """The combined status of the rows making one figure: its weakest part decides."""
    statuses = set(rows["status"]) if "status" in rows else {"complete"}
    column = rows["status_note"] if "status_note" in rows else pd.Series("", index=rows.index)
    notes = [n if isinstance(n, str) else "" for n in column]
    for status in ("not_available", "missing", "partial"):
        if status in statuses:
            if status == "missing" and statuses != {"missing"}:
                status = "partial"  # some months missing: the total is incomplete
            if status == "not_available" or len(rows) == 1:
                return status, next((n for n in notes if n), "")
            days = [(end - start).days + 1 for start, end in zip(rows["period_start"], rows["period_end"])]
            return status, combined_note(list(zip(notes, days)))
    return "complete", ""


def _for_others(rows: pd.DataFrame) -> bool:
    """Every hidden row is hidden to protect another number (secondary suppression)."""
    if "suppression" not in rows:
        return False
    hidden = rows[rows["suppressed"].astype(bool)]
    return bool(len(hidden)) and bool((hidden["suppression"] == "secondary").all())


def period_value(
    rows: pd.DataFrame, measure: Measure, start: date, end: date, lang: Language
) -> Point | None:
    """The value over ``start``..``end``: a row of that exact period, or months combined."""
    exact = rows[(rows["period_start"] == start) & (rows["period_end"] == end)]
    if len(exact):
        row = exact.iloc[0]
        status, note = _status_of(exact.iloc[:1])
        hidden = bool(row["suppressed"])
        return Point(
            str(row["period_label"]), float(row["value"]), hidden, status, note, _for_others(exact.iloc[:1])
        )
    inside = rows[(rows["period_start"] >= start) & (rows["period_end"] <= end)]
    if inside.empty or rows["grain"].iloc[0] != "month":
        return None
    label = lang.quarter_long(FiscalQuarter.containing(start)) if (end - start).days > 40 else ""
    # A month without a row had nothing to count (no sessions held); a gap has a "missing" row.
    status, note = _status_of(inside)
    if inside["suppressed"].any():
        return Point(label, math.nan, True, status, note, _for_others(inside))
    published = inside[inside["value"].notna()]
    if published.empty:
        return Point(label, math.nan, False, "missing" if status != "not_available" else status, note)
    if measure.kind in {"count", "sum"}:
        return Point(label, float(published["value"].sum()), False, status, note)
    if measure.kind == "mean":
        value = float(published["numerator"].sum() / published["denominator"].sum())
        return Point(label, value, False, status, note)
    if measure.kind == "share":  # the quarter's share: all its months' numerators over denominators
        value = 100.0 * float(published["numerator"].sum() / published["denominator"].sum())
        return Point(label, value, False, status, note)
    if measure.kind == "snapshot":  # a count at one date: the quarter's last month
        last = published.sort_values("period_end").iloc[-1]
        return Point(label, float(last["value"]), False, status, note)
    return None


def _comparison(
    measure: Measure, now: float, then: float, period: str, lang: Language, gender: str = ""
) -> str:
    """``12% more than the previous quarter (95,678)``: one comparison, as one template."""
    t = lang
    value = fmt_value(measure, then, t)
    if measure.unit == "percent":
        diff = now - then
        if abs(diff) < 0.05:
            return t._("about the same as {period} ({value})", period=period, value=value)
        points = t.number(abs(diff), 1)
        if diff > 0:
            return t._(
                "{points} percentage points higher than {period} ({value})",
                points=points,
                period=period,
                value=value,
            )
        return t._(
            "{points} percentage points lower than {period} ({value})",
            points=points,
            period=period,
            value=value,
        )
    if then == 0:
        if gender == "feminine":
            return t.p_("feminine", "compared with none in {period} ({value})", period=period, value=value)
        return t._("compared with none in {period} ({value})", period=period, value=value)
    change = 100.0 * (now - then) / then
    if abs(change) < 0.5:
        return t._("about the same as {period} ({value})", period=period, value=value)
    counting = measure.unit in {"count", "positions"} and measure.kind != "mean"
    percent = t.percent(abs(change), 0)
    if counting:
        if change > 0:
            return t._("{percent} more than {period} ({value})", percent=percent, period=period, value=value)
        return t._("{percent} fewer than {period} ({value})", percent=percent, period=period, value=value)
    if change > 0:
        return t._("{percent} higher than {period} ({value})", percent=percent, period=period, value=value)
    return t._("{percent} lower than {period} ({value})", percent=percent, period=period, value=value)


def comparison_sentence(
    measure: Measure,
    rows: pd.DataFrame,
    quarter: FiscalQuarter,
    suppressed_text: str,
    subject: str | None = None,
    *,
    lang: Language,
    gender: str = "",
) -> str:
    """One plain sentence: this quarter's value against last quarter and a year earlier.

    Nothing is compared with a period whose data is hidden, missing or incomplete; when a
    comparison is left out for that reason, the sentence says so. ``gender`` is the grammatical
    gender of what the measure counts, for languages whose words agree with it."""
    t = lang
    rows = rows.sort_values(["period_end", "period_start"])
    subject = subject or measure.short_label
    if measure.grain in {"calendar_year", "fiscal_year"}:
        return _year_sentence(measure, rows, subject, t)
    current = period_value(rows, measure, *period_span(measure, rows, quarter), lang=t)
    if current is None:
        return t._(
            "There is no figure for {subject} for {period} yet.",
            subject=subject.lower(),
            period=t.quarter_long(quarter),
        )
    label = current.label or t.quarter_long(quarter)
    unmeasured = without_figure(current, subject, label, suppressed_text, t)
    if unmeasured:
        return unmeasured
    first = t._(
        "{subject}: {value} in {period}",
        subject=subject,
        value=fmt_value(measure, current.value, t),
        period=label,
    )
    if current.status == "partial":
        return t._(
            "{figure}, from incomplete data ({reason}), so it is not compared with other periods.",
            figure=first,
            reason=note_reason(current.note, t),
        )
    return _with_comparisons(first, measure, rows, quarter, current.value, t, gender)


def without_figure(current: Point, subject: str, label: str, suppressed_text: str, t: Language) -> str:
    """The sentence for a period whose figure cannot be given: not available, missing or
    hidden (empty when there is a figure)."""
    if current.status == "not_available":
        return t._(
            "{subject}: not available for {period}, because {reason}.",
            subject=subject,
            period=label,
            reason=note_reason(current.note, t),
        )
    if current.status == "missing":
        return t._(
            "{subject}: no figure for {period}, because the data for that period is missing ({reason}).",
            subject=subject,
            period=label,
            reason=note_reason(current.note, t),
        )
    if current.hidden and current.for_others:
        return t._(
            "The figure for {subject} in {period} is hidden so that a smaller number elsewhere "
            "cannot be worked out.",
            subject=subject.lower(),
            period=label,
        )
    if current.hidden:
        return t._(
            "The figure for {subject} in {period} is hidden because it involves {count} people.",
            subject=subject.lower(),
            period=label,
            count=suppressed_text,
        )
    return ""


def _with_comparisons(
    first: str,
    measure: Measure,
    rows: pd.DataFrame,
    quarter: FiscalQuarter,
    now: float,
    t: Language,
    gender: str,
) -> str:
    """``first`` compared with the previous quarter and a year earlier, where their data allows."""
    comparisons, skipped = [], []
    for other_quarter, name in (
        (quarter.previous(), t._("the previous quarter")),
        (quarter.year_earlier(), t._("a year earlier")),
    ):
        other = period_value(rows, measure, *period_span(measure, rows, other_quarter), lang=t)
        if other is None or other.hidden or (is_missing(other.value) and other.status == "complete"):
            continue
        if not other.comparable:
            skipped.append(name)
            continue
        comparisons.append(_comparison(measure, now, other.value, name, t, gender))
    sentence = first
    if comparisons:
        sentence = t._("{figure}, {comparisons}.", figure=first, comparisons=t.join(comparisons))
    else:
        sentence += "."
    if skipped:
        sentence += " " + t._(
            "It is not compared with {periods}, whose data is incomplete.", periods=t.join(skipped)
        )
    return sentence


def period_span(measure: Measure, rows: pd.DataFrame, quarter: FiscalQuarter) -> tuple[date, date]:
    if measure.grain == "rolling_12_months":
        matching = rows[rows["period_end"] == quarter.end]
        if len(matching):
            return matching.iloc[0]["period_start"], quarter.end
    return quarter.start, quarter.end


def _year_sentence(measure: Measure, rows: pd.DataFrame, subject: str, t: Language) -> str:
    visible = rows[~rows["suppressed"] & rows["value"].notna()]
    if visible.empty:
        return t._("There is no published figure for {subject} yet.", subject=subject.lower())
    latest = visible.iloc[-1]
    figure = t._(
        "{subject}, {period}: {value}",
        subject=subject,
        period=latest["period_label"],
        value=fmt_value(measure, latest["value"], t),
    )
    if len(visible) > 1:
        before = visible.iloc[-2]
        if "status" in before and before["status"] != "complete":
            return (
                figure
                + ". "
                + t._(
                    "It is not compared with {periods}, whose data is incomplete.",
                    periods=before["period_label"],
                )
            )
        if "-YTD-" in str(latest["period"]) and "-YTD-" not in str(before["period"]):
            # Part of a year is not compared with a whole one: the year is only set beside it.
            return t._(
                "{figure}. In the whole of {period}: {value}.",
                figure=figure,
                value=fmt_value(measure, before["value"], t),
                period=before["period_label"],
            )
        return t._(
            "{figure}, compared with {value} in {period}.",
            figure=figure,
            value=fmt_value(measure, before["value"], t),
            period=before["period_label"],
        )
    return figure + "."


def latest_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of the most recent period, in series order."""
    if rows.empty:
        return rows
    last = rows["period_end"].max()
    return rows[rows["period_end"] == last].sort_values("series_order")


def narrative_blocks(text: str | Sequence[str] | dict[str, str | Sequence[str]]) -> list[Block]:
    """Analyst narrative (text, list, or department -> list) as blocks of escaped text."""
    if isinstance(text, str):
        return [para(text)]
    if isinstance(text, dict):
        blocks: list[Block] = []
        for heading, body in text.items():
            blocks.append(para(Strong(heading)))
            blocks.extend(narrative_blocks([body] if isinstance(body, str) else body))
        return blocks
    return [Bullets(tuple(text))]


def join_words(items: Iterable[str], lang: Language) -> str:
    return lang.join(items)
