"""The City's calendar: fiscal years run July to June, so FY2027 Q1 is July to September 2026.

Periods have a stable id used in file names and tables (``2026-09``, ``FY2027Q1``, ``CY2026``,
``FY2027``, ``12M-2026-09``). This module writes no words: a page asks its ``Language`` for a
period's label (``Language.period_label``, ``Language.quarter_long``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import BeforeValidator, PlainSerializer

Grain = Literal["month", "quarter", "calendar_year", "fiscal_year", "rolling_12_months"]
GRAINS: tuple[str, ...] = ("month", "quarter", "calendar_year", "fiscal_year", "rolling_12_months")

_QUARTER_RE = re.compile(r"^FY(\d{4})Q([1-4])$")


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def add_months(d: date, months: int) -> date:
    """First day of the month ``months`` after the month of ``d``."""
    index = d.year * 12 + (d.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def month_id(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def months_between(start: date, end: date) -> Iterator[date]:
    """First days of every month from the month of ``start`` to the month of ``end``, inclusive."""
    current = date(start.year, start.month, 1)
    while current <= end:
        yield current
        current = add_months(current, 1)


@dataclass(frozen=True, order=True)
class FiscalQuarter:
    """One quarter of the City's fiscal year."""

    fiscal_year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise ValueError(f"quarter must be 1 to 4, not {self.quarter}")

    @classmethod
    def parse(cls, text: str) -> FiscalQuarter:
        match = _QUARTER_RE.match(text.strip().upper().replace(" ", ""))
        if not match:
            raise ValueError(
                f"'{text}' is not a fiscal quarter. Write it as FY<year>Q<1-4>, for example FY2027Q1 "
                "(July to September 2026)."
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, d: date) -> FiscalQuarter:
        fiscal_year = d.year + 1 if d.month >= 7 else d.year
        quarter = ((d.month - 7) % 12) // 3 + 1
        return cls(fiscal_year, quarter)

    @property
    def id(self) -> str:
        return f"FY{self.fiscal_year}Q{self.quarter}"

    @property
    def start(self) -> date:
        return add_months(date(self.fiscal_year - 1, 7, 1), 3 * (self.quarter - 1))

    @property
    def end(self) -> date:
        return add_months(self.start, 3) - timedelta(days=1)

    @property
    def months(self) -> list[date]:
        return [add_months(self.start, i) for i in range(3)]

    def shift(self, quarters: int) -> FiscalQuarter:
        index = self.fiscal_year * 4 + (self.quarter - 1) + quarters
        return FiscalQuarter(index // 4, index % 4 + 1)

    def previous(self) -> FiscalQuarter:
        return self.shift(-1)

    def year_earlier(self) -> FiscalQuarter:
        return self.shift(-4)

    def __str__(self) -> str:
        return self.id


def quarters_named(names: Iterable[str]) -> list[FiscalQuarter]:
    """The names that are fiscal quarters (``FY2027Q1``), oldest first; other names are ignored."""
    found = []
    for name in names:
        try:
            found.append(FiscalQuarter.parse(name))
        except ValueError:
            continue
    return sorted(set(found))


@dataclass(frozen=True)
class Period:
    """A reporting period of any grain, with the dates it covers (inclusive)."""

    id: str
    grain: str
    start: date
    end: date

    @property
    def months(self) -> list[date]:
        return list(months_between(self.start, self.end))


def _period(period_id: str, grain: str, start: date, end: date) -> Period:
    return Period(period_id, grain, start, end)


def month_period(d: date) -> Period:
    first = date(d.year, d.month, 1)
    return _period(month_id(first), "month", first, month_end(first))


def quarter_period(q: FiscalQuarter) -> Period:
    return _period(q.id, "quarter", q.start, q.end)


def calendar_year_period(year: int, through: date | None = None) -> Period:
    """A calendar year, cut at ``through`` when the year is not over yet (year to date)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    if through is not None and through < end:
        end = month_end(through)
        return _period(f"CY{year}-YTD-{end.month:02d}", "calendar_year", start, end)
    return _period(f"CY{year}", "calendar_year", start, end)


def fiscal_year_period(fiscal_year: int, through: date | None = None) -> Period:
    start, end = date(fiscal_year - 1, 7, 1), date(fiscal_year, 6, 30)
    if through is not None and through < end:
        end = month_end(through)
        return _period(f"FY{fiscal_year}-YTD-{end.month:02d}", "fiscal_year", start, end)
    return _period(f"FY{fiscal_year}", "fiscal_year", start, end)


def rolling_period(end_month: date, months: int = 12, floor: date | None = None) -> Period:
    """The ``months`` months ending with the month of ``end_month``, clipped at ``floor``.

    A window that starts before the data does is clipped rather than dropped, and says so in its
    label, so the first quarters of a series still have an honest value.
    """
    last = date(end_month.year, end_month.month, 1)
    first = add_months(last, -(months - 1))
    if floor is not None and first < date(floor.year, floor.month, 1):
        first = date(floor.year, floor.month, 1)
    return _period(f"{months}M-{month_id(last)}", "rolling_12_months", first, month_end(last))


def periods_for(grain: str, start: date, end: date) -> list[Period]:
    """Every period of ``grain`` that overlaps ``start``..``end``, cut at ``end``.

    Rolling windows are reported at each quarter end, the cadence of the report.
    """
    if grain == "month":
        return [month_period(m) for m in months_between(start, end)]
    if grain == "quarter":
        first, last = FiscalQuarter.containing(start), FiscalQuarter.containing(end)
        out, q = [], first
        while q <= last:
            if q.end <= end:
                out.append(quarter_period(q))
            q = q.shift(1)
        return out
    if grain == "calendar_year":
        return [calendar_year_period(y, through=end) for y in range(start.year, end.year + 1)]
    if grain == "fiscal_year":
        first = FiscalQuarter.containing(start).fiscal_year
        last = FiscalQuarter.containing(end).fiscal_year
        return [fiscal_year_period(fy, through=end) for fy in range(first, last + 1)]
    if grain == "rolling_12_months":
        first, last = FiscalQuarter.containing(start), FiscalQuarter.containing(end)
        out, q = [], first
        while q <= last:
            if q.end <= end:
                out.append(rolling_period(q.end, floor=start))
            q = q.shift(1)
        return out
    raise ValueError(f"unknown grain '{grain}'; use one of {', '.join(GRAINS)}")


def _quarter_from_text(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return FiscalQuarter.parse(value)
    except ValueError as exc:
        raise ValueError(f"{exc} Fix: write the quarter like FY2027Q1") from None


# A fiscal quarter in a params file or a JSON record: written as "FY2027Q1", a FiscalQuarter inside.
QuarterField = Annotated[
    FiscalQuarter,
    BeforeValidator(_quarter_from_text),
    PlainSerializer(lambda quarter: quarter.id, return_type=str),
]
