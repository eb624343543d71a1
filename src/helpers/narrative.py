"""Words and numbers for residents: formatting, comparisons, and safe Markdown/HTML.

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

from .fragments import Block, Bullets, Strong, para
from .measure_spec import Measure
from .periods import FiscalQuarter


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def fmt_number(value: float, decimals: int = 0) -> str:
    if is_missing(value):
        return "not available"
    return f"{value:,.{decimals}f}"


def fmt_value(measure: Measure, value: float) -> str:
    """A measure's value as residents read it: ``1,234``, ``87.3%``, ``40.5``."""
    if is_missing(value):
        return "not available"
    text = fmt_number(value, measure.value_decimals)
    return text + "%" if measure.unit == "percent" else text


@dataclass(frozen=True)
class Change:
    """A change from ``then`` to ``now`` that reads as words: "38% fewer", "12% more"."""

    now: float
    then: float
    counting: bool = True

    @property
    def percent(self) -> float:
        if is_missing(self.now) or is_missing(self.then) or self.then == 0:
            return math.nan
        return 100.0 * (self.now - self.then) / self.then

    def __str__(self) -> str:
        change = self.percent
        if math.isnan(change):
            return "not comparable"
        if abs(change) < 0.5:
            return "about the same"
        more, less = ("more", "fewer") if self.counting else ("higher", "lower")
        return f"{abs(change):.0f}% {more if change > 0 else less}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def fmt_date(d: date | str) -> str:
    d = date.fromisoformat(d) if isinstance(d, str) else d
    return f"{d:%B} {d.day}, {d.year}"


def unit_noun(measure: Measure) -> str:
    return measure.value_label.lower().removesuffix(" (%)")


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    hidden: bool
    status: str = "complete"  # complete | partial | missing | not_available
    note: str = ""  # why it is not complete, in words

    @property
    def comparable(self) -> bool:
        """Only a complete, published figure is compared with another."""
        return self.status == "complete" and not self.hidden and not is_missing(self.value)


def _status_of(rows: pd.DataFrame) -> tuple[str, str]:
    """The combined status of the rows making one figure: its weakest part decides."""
    statuses = set(rows["status"]) if "status" in rows else {"complete"}
    notes = [n for n in rows.get("status_note", pd.Series(dtype=str)) if n]
    for status in ("not_available", "missing", "partial"):
        if status in statuses:
            if status == "missing" and statuses != {"missing"}:
                status = "partial"  # some months missing: the total is incomplete
            return status, notes[0] if notes else ""
    return "complete", ""


def _period_value(rows: pd.DataFrame, measure: Measure, start: date, end: date) -> Point | None:
    """The value over ``start``..``end``: a row of that exact period, or months combined."""
    exact = rows[(rows["period_start"] == start) & (rows["period_end"] == end)]
    if len(exact):
        row = exact.iloc[0]
        status, note = _status_of(exact.iloc[:1])
        return Point(str(row["period_label"]), float(row["value"]), bool(row["suppressed"]), status, note)
    inside = rows[(rows["period_start"] >= start) & (rows["period_end"] <= end)]
    if inside.empty or rows["grain"].iloc[0] != "month":
        return None
    label = FiscalQuarter.containing(start).long_label if (end - start).days > 40 else ""
    # A month without a row had nothing to count (no sessions held); a gap has a "missing" row.
    status, note = _status_of(inside)
    if inside["suppressed"].any():
        return Point(label, math.nan, True, status, note)
    published = inside[inside["value"].notna()]
    if published.empty:
        return Point(label, math.nan, False, "missing" if status != "not_available" else status, note)
    if measure.kind in {"count", "sum"}:
        return Point(label, float(published["value"].sum()), False, status, note)
    if measure.kind == "mean":
        value = float(published["numerator"].sum() / published["denominator"].sum())
        return Point(label, value, False, status, note)
    return None


def _change_phrase(measure: Measure, now: float, then: float) -> str:
    if measure.unit == "percent":
        diff = now - then
        if abs(diff) < 0.05:
            return "about the same as"
        word = "higher than" if diff > 0 else "lower than"
        return f"{abs(diff):.1f} percentage points {word}"
    if then == 0:
        return "compared with none in"
    change = 100.0 * (now - then) / then
    if abs(change) < 0.5:
        return "about the same as"
    counting = measure.unit in {"count", "positions"} and measure.kind != "mean"
    more, less = ("more", "fewer") if counting else ("higher", "lower")
    return f"{abs(change):.0f}% {more if change > 0 else less} than"


def _reason(note: str) -> str:
    """The words after "no data:" or "incomplete:" in a row's status note."""
    return note.split(":", 1)[1].strip() if ":" in note else note


def comparison_sentence(
    measure: Measure,
    rows: pd.DataFrame,
    quarter: FiscalQuarter,
    suppressed_text: str,
    subject: str | None = None,
) -> str:
    """One plain sentence: this quarter's value against last quarter and a year earlier.

    Nothing is compared with a period whose data is hidden, missing or incomplete; when a
    comparison is left out for that reason, the sentence says so."""
    rows = rows.sort_values(["period_end", "period_start"])
    subject = subject or measure.short_label
    if measure.grain in {"calendar_year", "fiscal_year"}:
        return _year_sentence(measure, rows, subject)
    current = _period_value(rows, measure, *_span(measure, rows, quarter))
    if current is None:
        return f"There is no figure for {subject.lower()} for {quarter.long_label} yet."
    label = current.label or quarter.long_label
    if current.status == "not_available":
        return f"{subject}: not available for {label}, because {_reason(current.note)}."
    if current.status == "missing":
        why = _reason(current.note)
        return f"{subject}: no figure for {label}, because the data for that period is missing ({why})."
    if current.hidden:
        who = f"{suppressed_text} people"
        return f"The figure for {subject.lower()} in {label} is hidden because it involves {who}."
    first = f"{subject}: {fmt_value(measure, current.value)} in {label}"
    if current.status == "partial":
        return (
            f"{first}, from incomplete data ({_reason(current.note)}), so it is not compared with "
            "other periods."
        )
    comparisons, skipped = [], []
    for other_quarter, name in (
        (quarter.previous(), "the previous quarter"),
        (quarter.year_earlier(), "a year earlier"),
    ):
        other = _period_value(rows, measure, *_span(measure, rows, other_quarter))
        if other is None or other.hidden or (is_missing(other.value) and other.status == "complete"):
            continue
        if not other.comparable:
            skipped.append(name)
            continue
        change = _change_phrase(measure, current.value, other.value)
        comparisons.append(f"{change} {name} ({fmt_value(measure, other.value)})")
    sentence = first
    if comparisons:
        sentence += ", " + " and ".join(comparisons)
    sentence += "."
    if skipped:
        sentence += f" It is not compared with {join_words(skipped)}, whose data is incomplete."
    return sentence


def _span(measure: Measure, rows: pd.DataFrame, quarter: FiscalQuarter) -> tuple[date, date]:
    if measure.grain == "rolling_12_months":
        matching = rows[rows["period_end"] == quarter.end]
        if len(matching):
            return matching.iloc[0]["period_start"], quarter.end
    return quarter.start, quarter.end


def _year_sentence(measure: Measure, rows: pd.DataFrame, subject: str) -> str:
    visible = rows[~rows["suppressed"] & rows["value"].notna()]
    if visible.empty:
        return f"There is no published figure for {subject.lower()} yet."
    latest = visible.iloc[-1]
    sentence = f"{subject}, {latest['period_label']}: {fmt_value(measure, latest['value'])}"
    if len(visible) > 1:
        before = visible.iloc[-2]
        if "status" in before and before["status"] != "complete":
            return sentence + f". It is not compared with {before['period_label']}, whose data is incomplete."
        sentence += f", compared with {fmt_value(measure, before['value'])} in {before['period_label']}"
    return sentence + "."


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


def join_words(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
