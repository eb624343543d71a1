"""Coverage: a gap in a source's records is recognised, so it is shown as a gap, never as 0."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from helpers.core.language import ENGLISH
from helpers.data.coverage import SourceCoverage, records_per_day, records_per_day_number

from ..measures.test_build import source_spec


def daily(start: date, end: date, per_day: int = 1000, skip=lambda d: False, low=lambda d: False) -> dict:
    days, day = {}, start
    while day <= end:
        if not skip(day):
            days[day.isoformat()] = 40 if low(day) else per_day
        day += timedelta(days=1)
    return days


def test_a_month_without_records_is_missing_and_its_quarter_partial():
    days = daily(date(2025, 7, 1), date(2026, 9, 30), skip=lambda d: (d.year, d.month) == (2026, 2))
    cover = SourceCoverage(source_spec(expected="daily"), days)
    february = cover.period(date(2026, 2, 1), date(2026, 2, 28))
    assert february.status == "missing" and february.covered == 0
    quarter = cover.period(date(2026, 1, 1), date(2026, 3, 31))
    assert quarter.status == "partial" and (quarter.covered, quarter.expected) == (62, 90)
    assert quarter.gaps == ((date(2026, 2, 1), date(2026, 2, 28)),)
    assert quarter.describe(ENGLISH) == "62 of 90 days have records"
    assert cover.period(date(2026, 4, 1), date(2026, 6, 30)).complete


def test_days_with_far_fewer_records_than_usual_are_gaps_too():
    outage = {date(2026, 8, 3), date(2026, 8, 4)}
    days = daily(date(2026, 1, 1), date(2026, 9, 30), low=lambda d: d in outage)
    cover = SourceCoverage(source_spec(expected="daily", low_day_share=0.25), days)
    august = cover.period(date(2026, 8, 1), date(2026, 8, 31))
    assert august.status == "partial" and august.covered == 29
    assert august.gaps == ((date(2026, 8, 3), date(2026, 8, 4)),)


def test_an_export_that_ends_early_leaves_the_rest_of_the_quarter_missing():
    days = daily(date(2013, 1, 1), date(2013, 11, 22))
    cover = SourceCoverage(source_spec(expected="daily"), days)
    november = cover.period(date(2013, 11, 1), date(2013, 11, 30))
    assert november.status == "partial" and november.covered == 22
    assert cover.period(date(2013, 12, 1), date(2013, 12, 31)).status == "missing"
    assert cover.covered_through(date(2013, 12, 31)) == date(2013, 11, 22)


def test_monthly_sources_need_one_record_a_month():
    days = {"2026-07-31": 4, "2026-09-30": 4}
    cover = SourceCoverage(source_spec(expected="monthly"), days)
    quarter = cover.period(date(2026, 7, 1), date(2026, 9, 30))
    assert (quarter.status, quarter.covered, quarter.expected, quarter.unit) == ("partial", 2, 3, "month")
    assert quarter.gaps == ((date(2026, 8, 1), date(2026, 8, 31)),)


def test_sparse_logs_are_covered_until_freshness_runs_out():
    days = {"2026-03-10": 1, "2026-08-15": 2}
    cover = SourceCoverage(source_spec(expected="sparse", freshness_days=62), days)
    assert cover.period(date(2026, 4, 1), date(2026, 6, 30)).complete  # no events is not a gap
    assert cover.period(date(2026, 7, 1), date(2026, 9, 30)).complete  # within 62 days
    assert cover.period(date(2026, 10, 1), date(2026, 12, 31)).status == "partial"  # to Oct 16
    assert cover.period(date(2027, 1, 1), date(2027, 3, 31)).status == "missing"


def test_records_per_day_from_day_numbers_count_each_day_before_and_after_1970():
    days = np.array([-1, 5, -1, 20000, 5, 5], dtype=np.int64)  # 1969-12-31, 1970-01-06, ...
    assert records_per_day_number(days) == {"1969-12-31": 2, "1970-01-06": 3, "2024-10-04": 1}
    assert records_per_day_number(days) == records_per_day(pa.array(days.astype("datetime64[D]")))
    assert records_per_day_number(np.zeros(0, dtype=np.int64)) == {}
