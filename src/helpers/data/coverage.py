"""Coverage: which days (or months) a source's records cover, so that a gap is shown as a gap.

Real exports have holes: an outage, a monthly file that never arrived, a system migration. A
count over a period with no records is not 0, and a count over half a period is not comparable
with a whole one. Ingest records how many records each day has; this module turns that into a
verdict for any period: complete, partial (with the share covered) or missing.

- ``daily`` sources (911 calls, crime reports) cover a day when it has records, and at least
  ``low_day_share`` of the usual number: the median of the non-empty days in the four weeks on
  either side. A day with far fewer records than usual is a partial outage.
- ``monthly`` sources (position snapshots, page views) cover a month when it has any record.
- ``sparse`` sources (event logs) have no expectation: they cover every day from the month of
  their first record to ``freshness_days`` after their newest one.
"""

from __future__ import annotations

import math
import re
import statistics
import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

from ..core.language import Language
from ..core.periods import month_end, months_between
from ..params.sources import SourceSpec

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


def records_per_day(dates: pa.Array | pa.ChunkedArray) -> dict[str, int]:
    """How many records each day has (the days with none are absent): a source's coverage,
    counted by ingest and by the measures from the same records."""
    import pyarrow as pa  # a run with nothing to do never loads pyarrow
    import pyarrow.compute as pc

    days = pc.cast(pc.cast(dates, pa.date32()).drop_null(), pa.int32())
    if isinstance(days, pa.ChunkedArray):
        days = days.combine_chunks()
    return records_per_day_number(days.to_numpy(zero_copy_only=False))


def records_per_day_number(days: np.ndarray) -> dict[str, int]:
    """``records_per_day`` from day numbers (days since 1970-01-01, as the measures' pieces
    keep them): the one count, without making dates again."""
    import numpy as np

    if not len(days):
        return {}
    low = int(days.min())
    counts = np.bincount(days - low)  # a piece spans weeks: counted in one pass, not sorted
    found = np.flatnonzero(counts)
    names = np.datetime_as_string((found + low).astype("datetime64[D]"), unit="D")
    return {str(day): int(n) for day, n in zip(names, counts[found].tolist(), strict=True)}


Status = Literal["complete", "partial", "missing"]
WINDOW_DAYS = 28


@dataclass(frozen=True)
class Coverage:
    """How much of a period a source's records cover."""

    status: Status
    covered: int  # days (or months) with records
    expected: int  # days (or months) in the period
    unit: Literal["day", "month"]
    gaps: tuple[tuple[date, date], ...] = ()  # the spans without (enough) records

    @property
    def share(self) -> float:
        return self.covered / self.expected if self.expected else 0.0

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    def describe(self, lang: Language) -> str:
        """Plain words: "61 of 92 days have records"."""
        return records_words(self.covered, self.expected, self.unit, lang)


def records_words(covered: int, expected: int, unit: str, lang: Language) -> str:
    """ "61 of 92 days have records"; "61 de 92 días tienen registros"."""
    if unit == "day":
        return lang.n_(
            "{covered} of {n} day have records",
            "{covered} of {n} days have records",
            expected,
            covered=covered,
        )
    return lang.n_(
        "{covered} of {n} month have records",
        "{covered} of {n} months have records",
        expected,
        covered=covered,
    )


# The status notes a measure's rows carry (in English, in the tables and the English CSVs), and
# how any language says them: "no data: 0 of 91 days have records".
NOT_AVAILABLE_NOTE = "not available: the export has no values in {columns} for this period"
_RECORDS_NOTE = re.compile(r"^(no data|incomplete): (\d+) of (\d+) (day|month)s? have records$")
_NOT_AVAILABLE = re.compile(r"^not available: the export has no values in (.+) for this period$")


def note_reason(note: str, lang: Language) -> str:
    """The reason in a row's status note: "0 of 91 days have records"."""
    if match := _RECORDS_NOTE.match(note):
        _, covered, expected, unit = match.groups()
        return records_words(int(covered), int(expected), unit, lang)
    if match := _NOT_AVAILABLE.match(note):
        return lang._("the export has no values in {columns} for this period", columns=match.group(1))
    return note.split(":", 1)[1].strip() if ":" in note else note


def combined_note(parts: list[tuple[str, int]]) -> str:
    """One note for a figure made of several periods, from each part's note and its length in
    days (a complete part has no note): "incomplete: 61 of 92 days have records"."""
    covered = expected = 0
    for note, days in parts:
        if not note:
            covered, expected = covered + days, expected + days
            continue
        match = _RECORDS_NOTE.match(note)
        if not match or match.group(4) != "day":
            return next(n for n, _ in parts if n)  # not a count of days: the first note says it
        covered, expected = covered + int(match.group(2)), expected + int(match.group(3))
    prefix = "no data" if covered == 0 else "incomplete"
    return f"{prefix}: {covered} of {expected} days have records"


def note_words(note: str, lang: Language) -> str:
    """A row's whole status note: "no data: 0 of 91 days have records"."""
    if lang.is_source or not note:
        return note
    reason = note_reason(note, lang)
    if note.startswith("no data"):
        return lang._("no data: {reason}", reason=reason)
    if note.startswith("incomplete"):
        return lang._("incomplete: {reason}", reason=reason)
    if note.startswith("not available"):
        return lang._("not available: {reason}", reason=reason)
    return note


class SourceCoverage:
    """The days or months one source covers, from the ingest record's records per day."""

    def __init__(self, spec: SourceSpec, days: dict[str, int]) -> None:
        self.spec = spec
        self.counts = {date.fromisoformat(d): n for d, n in days.items() if n > 0}
        self.first = min(self.counts) if self.counts else None
        self.last = max(self.counts) if self.counts else None
        self.months = {date(d.year, d.month, 1) for d in self.counts}
        self._covered_days: dict[date, bool] = {}
        self._periods: dict[tuple[date, date], Coverage] = {}
        if spec.expected == "daily" and self.counts:
            self._covered_days = self._daily()

    def _daily(self) -> dict[date, bool]:
        import numpy as np  # a run with nothing to do never loads numpy

        assert self.first is not None
        assert self.last is not None
        span = (self.last - self.first).days + 1
        counts = np.zeros(span + 2 * WINDOW_DAYS)
        for day, n in self.counts.items():
            counts[(day - self.first).days + WINDOW_DAYS] = n
        windows = np.lib.stride_tricks.sliding_window_view(counts, 2 * WINDOW_DAYS + 1)
        nonzero = np.where(windows > 0, windows, np.nan)
        with warnings.catch_warnings():  # a window of empty days has no typical value: fine
            warnings.simplefilter("ignore", RuntimeWarning)
            typical = np.nanmedian(nonzero, axis=1)
        own = counts[WINDOW_DAYS : WINDOW_DAYS + span]
        enough = (own > 0) & ~(own < self.spec.low_day_share * np.nan_to_num(typical, nan=math.inf))
        return {self.first + timedelta(days=i): bool(ok) for i, ok in enumerate(enough)}

    def covers_day(self, day: date) -> bool:
        if self.first is None or self.last is None:
            return False
        if self.spec.expected == "daily":
            return self._covered_days.get(day, False)
        if self.spec.expected == "monthly":
            return self.covers_month(day)
        start = date(self.first.year, self.first.month, 1)
        return start <= day <= self.last + timedelta(days=self.spec.freshness_days)

    def covers_month(self, day: date) -> bool:
        return date(day.year, day.month, 1) in self.months

    def period(self, start: date, end: date) -> Coverage:
        """The verdict for ``start``..``end`` (inclusive): worked out day by day once, then
        remembered (the measures of a source share most of their periods)."""
        if (start, end) not in self._periods:
            self._periods[start, end] = self._period(start, end)
        return self._periods[start, end]

    def _period(self, start: date, end: date) -> Coverage:
        if self.spec.expected == "monthly":
            units = list(months_between(start, end))
            flags = [self.covers_month(m) for m in units]
            spans = [(m, month_end(m)) for m in units]
            unit: Literal["day", "month"] = "month"
        else:
            units = [start + timedelta(days=i) for i in range((end - start).days + 1)]
            flags = [self.covers_day(d) for d in units]
            spans = [(d, d) for d in units]
            unit = "day"
        covered = sum(flags)
        status: Status = "complete" if covered == len(units) else "missing" if covered == 0 else "partial"
        return Coverage(status, covered, len(units), unit, _gaps(spans, flags))

    def covered_through(self, end: date) -> date | None:
        """The last day up to ``end`` after which nothing is missing (None: nothing covered)."""
        day = end
        floor = date(self.first.year, self.first.month, 1) if self.first else end
        while day >= floor:
            if self.covers_day(day):
                return day
            day -= timedelta(days=1)
        return None


def _gaps(spans: list[tuple[date, date]], flags: list[bool]) -> tuple[tuple[date, date], ...]:
    gaps: list[tuple[date, date]] = []
    for (first, last), covered in zip(spans, flags):
        if covered:
            continue
        if gaps and gaps[-1][1] + timedelta(days=1) >= first:
            gaps[-1] = (gaps[-1][0], last)
        else:
            gaps.append((first, last))
    return tuple(gaps)


# --------------------------------------------------------------------------------------------
# Can the data support a quarter at all?


class QuarterBeyondData(RuntimeError):
    """The quarter ends after the data does, or its params say the data was taken in the future:
    building it would publish a page of gaps. Nothing is written."""


def last_complete_day(spec: SourceSpec, days: dict[str, int]) -> date | None:
    """The last day a source's records fully cover: the last day of a daily source with at
    least ``low_day_share`` of the usual number of records (as ``SourceCoverage`` judges days),
    the end of the last month with records of a monthly one, the newest record of an event log.
    Only the last weeks are looked at, so a run with nothing to do stays quick."""
    counts = {date.fromisoformat(d): n for d, n in days.items() if n > 0}
    if not counts:
        return None
    last = max(counts)
    if spec.expected == "monthly":
        return month_end(last)
    if spec.expected != "daily":
        return last
    for day in sorted(counts, reverse=True):
        around = [
            n for d, n in counts.items() if abs((d - day).days) <= WINDOW_DAYS
        ]  # non-empty days in the four weeks either side, the day itself included
        if counts[day] >= spec.low_day_share * statistics.median(around):
            return day
    return None


def check_quarter_supported(
    quarter_id: str,
    quarter_end: date,
    data_as_of: date,
    sources: dict[str, tuple[SourceSpec, dict[str, int]]],
    today: date | None = None,
) -> None:
    """Refuse a quarter whose ``data_as_of`` is in the future, or whose end is after every
    source's last complete day (``sources``: name -> its spec and records per day)."""
    today = today or date.today()
    if data_as_of > today:
        raise QuarterBeyondData(
            f"{quarter_id}: its quarter file says the data is as of {data_as_of.isoformat()}, which is "
            f"in the future (today is {today.isoformat()}). Nothing was built. Set data_as_of to the "
            "date the extracts were taken, once they have been."
        )
    if not sources:
        return
    ends = {name: last_complete_day(spec, days) for name, (spec, days) in sources.items()}
    if any(end is not None and end >= quarter_end for end in ends.values()):
        return
    shown = ", ".join(
        f"{name} {end.isoformat() if end else '(no records)'}" for name, end in sorted(ends.items())
    )
    raise QuarterBeyondData(
        f"{quarter_id} ends on {quarter_end.isoformat()}, after the last complete day of every "
        f"source ({shown}). Nothing was built: its pages would show only gaps. Load extracts that "
        "reach the end of the quarter into data/raw, or build an earlier quarter."
    )
