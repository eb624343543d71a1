"""The City's fiscal calendar: July to June."""

from datetime import date

import pytest

from helpers.core.language import ENGLISH
from helpers.core.periods import (
    FiscalQuarter,
    calendar_year_period,
    periods_for,
    rolling_period,
)


def label(period) -> str:
    """Periods write no words: the language labels them."""
    return ENGLISH.period_label(period.id, period.grain, period.start, period.end)


def test_fiscal_quarter_dates_and_labels():
    q = FiscalQuarter.parse("FY2027Q1")
    assert (q.start, q.end) == (date(2026, 7, 1), date(2026, 9, 30))
    assert ENGLISH.quarter(q) == "FY2027 Q1"
    assert ENGLISH.quarter_long(q) == "July to September 2026 (FY2027 Q1)"
    assert ENGLISH.quarter_span(FiscalQuarter.parse("fy2026q3")) == "January to March 2026"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 6, 30), "FY2026Q4"),
        (date(2026, 7, 1), "FY2027Q1"),
        (date(2026, 12, 31), "FY2027Q2"),
        (date(2027, 1, 1), "FY2027Q3"),
    ],
)
def test_quarter_containing(day, expected):
    assert FiscalQuarter.containing(day).id == expected


def test_shifts_cross_fiscal_years():
    q = FiscalQuarter.parse("FY2027Q1")
    assert q.previous().id == "FY2026Q4"
    assert q.year_earlier().id == "FY2026Q1"
    assert q.shift(3).id == "FY2027Q4"


def test_bad_quarter_says_how_to_write_it():
    with pytest.raises(ValueError, match="FY<year>Q<1-4>"):
        FiscalQuarter.parse("2026 Q5")


def test_calendar_year_to_date_is_labelled_as_such():
    period = calendar_year_period(2026, through=date(2026, 9, 30))
    assert period.id == "CY2026-YTD-09"
    assert period.end == date(2026, 9, 30)
    assert "year to date" in label(period)
    assert label(calendar_year_period(2025, through=date(2026, 9, 30))) == "2025"


def test_rolling_window_clipped_at_data_start_says_so():
    window = rolling_period(date(2022, 9, 30), floor=date(2022, 7, 1))
    assert window.start == date(2022, 7, 1)
    assert label(window) == "3 months to September 2022 (data begins July 2022)"
    full = rolling_period(date(2026, 9, 30), floor=date(2022, 7, 1))
    assert (full.start, label(full)) == (date(2025, 10, 1), "12 months to September 2026")


def test_periods_for_every_grain_end_at_the_cut():
    start, end = date(2022, 7, 1), date(2026, 9, 30)
    assert len(periods_for("month", start, end)) == 51
    quarters = periods_for("quarter", start, end)
    assert (quarters[0].id, quarters[-1].id, len(quarters)) == ("FY2023Q1", "FY2027Q1", 17)
    years = periods_for("calendar_year", start, end)
    assert [p.id for p in years] == ["CY2022", "CY2023", "CY2024", "CY2025", "CY2026-YTD-09"]
    assert periods_for("calendar_year", start, end)[0].start == date(2022, 1, 1)
    assert len(periods_for("rolling_12_months", start, end)) == 17
    # A quarter that has not ended is not reported.
    assert periods_for("quarter", start, date(2026, 9, 29))[-1].id == "FY2026Q4"
