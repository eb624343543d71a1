"""Times read from text: every day the calendar has, and never one it lacks, whether the text
is in a fixed layout (read through ISO order) or not (read by strptime, then checked)."""

from __future__ import annotations

import calendar
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from helpers.data import times
from helpers.data.times import iso_layout, parse_times

YEARS = [1999, 2000, 2023, 2024, 2100]  # 2000 is a leap year, 2100 is not


def python_reads(values: list[str | None], format: str) -> list[datetime | None]:
    """What Python's calendar makes of each value: None where it refuses it."""
    out = []
    for value in values:
        try:
            out.append(None if value is None else datetime.strptime(value, format))
        except ValueError:
            out.append(None)
    return out


def every_day(write, with_impossible: bool = True) -> list[str]:
    """Day 1 to 31 of every month of ``YEARS`` (only real days unless ``with_impossible``)."""
    return [
        write(y, m, d)
        for y in YEARS
        for m in range(1, 13)
        for d in range(1, 32)
        if with_impossible or d <= calendar.monthrange(y, m)[1]
    ]


LAYOUTS = {
    "%m/%d/%Y %H:%M:%S": lambda y, m, d: f"{m:02d}/{d:02d}/{y} {d % 24:02d}:{m * 4:02d}:{d:02d}",
    "%m/%d/%Y %H:%M": lambda y, m, d: f"{m:02d}/{d:02d}/{y} 23:59",
    "%Y-%m-%d": lambda y, m, d: f"{y}-{m:02d}-{d:02d}",
    "%d.%m.%Y": lambda y, m, d: f"{d:02d}.{m:02d}.{y}",
    "%Y0%m0%d": lambda y, m, d: f"{y}0{m:02d}0{d:02d}",  # literals that look like digits
    "%m/%d/%Y %H:0%M": lambda y, m, d: f"{m:02d}/{d:02d}/{y} {d % 24:02d}:0{m * 4:02d}",
}


@pytest.mark.parametrize("format", list(LAYOUTS))
def test_every_day_a_month_lacks_is_refused_and_every_real_day_kept(format):
    values = every_day(LAYOUTS[format])
    got = parse_times(pa.array(values, pa.string()), format).to_pylist()
    assert got == python_reads(values, format)
    assert got.count(None) == 7 * len(YEARS) - 2  # 29 Feb is real in 2000 and 2024


def test_text_not_zero_padded_is_checked_by_the_calendar():
    format = "%m/%d/%Y %H:%M"
    values = [*every_day(lambda y, m, d: f"{m}/{d}/{y} {d % 24}:{m}"), None, "", "3/1/2023 8:00"]
    got = parse_times(pa.array(values, pa.string()), format).to_pylist()
    assert got == python_reads(values, format)
    assert got[-1] == datetime(2023, 3, 1, 8, 0)


@pytest.mark.parametrize("format", list(LAYOUTS))
def test_real_days_in_a_fixed_layout_are_read_through_iso_order_as_strptime_reads_them(format):
    values = pa.array(every_day(LAYOUTS[format], with_impossible=False), pa.string())
    assert times._iso_times(values, format) is not None  # the quick way was taken
    assert parse_times(values, format).equals(pc.strptime(values, format=format, unit="s"))


@pytest.mark.parametrize(
    "value",
    [
        "07-01-2025 08:00",  # another separator
        "07/01/2025T08:00",
        "07/01/2025 24:00",  # an hour the day lacks
        "07/01/2025 08:60",
        "13/01/2025 08:00",
        "00/01/2025 08:00",
        "07/00/2025 08:00",
        "07/01/20x5 08:00",
    ],
)
def test_text_that_does_not_fit_the_layout_is_refused_as_strptime_refuses_it(value):
    format = "%m/%d/%Y %H:%M"
    good = ["07/02/2025 09:15"] * 3
    for values in ([value], [*good, value]):
        got = parse_times(pa.array(values, pa.string()), format).to_pylist()
        assert got == python_reads(values, format) and got[-1] is None


def test_blanks_and_nulls_stay_null_beside_times_that_are_read():
    values = pa.array([None, "02/30/2023", "03/02/2023", None], pa.string())
    assert parse_times(values, "%m/%d/%Y").to_pylist() == [None, None, datetime(2023, 3, 2), None]
    assert parse_times(pa.array([None, None], pa.string()), "%m/%d/%Y").to_pylist() == [None, None]
    assert parse_times(pa.array([], pa.string()), "%m/%d/%Y").to_pylist() == []


def test_only_fixed_layouts_of_numbers_go_through_iso_order():
    usual = iso_layout("%m/%d/%Y %H:%M:%S")
    assert usual is not None and (usual.length, usual.width) == (19, 19)
    # the year, month and day moved a word each; the time, with its colons, in one 8-byte word
    assert usual.copies == ((6, 0, 4), (0, 5, 2), (3, 8, 2), (11, 11, 8))
    assert usual.constants == ((4, ord("-")), (7, ord("-")), (10, ord(" ")))
    assert iso_layout("%Y-%m-%d").copies == ((0, 0, 8), (8, 8, 2))  # already ISO: copied whole
    assert iso_layout("%d%%%m%%%Y").length == 10  # a literal per cent sign is a character
    for format in ["%b %d %Y", "%m/%d/%y", "%Y-%m-%d %H", "%d/%m/%Y %I:%M %p", "%Y-%j", "%Y-%m-%d é"]:
        assert iso_layout(format) is None, format


def test_a_piece_spanning_centuries_is_checked_day_by_day():
    values = ["02/30/1901", "03/02/1901", "02/30/2199", "03/02/2199", "04/31/2150", "05/01/2150"]
    got = parse_times(pa.array(values, pa.string()), "%m/%d/%Y").to_pylist()
    assert got == python_reads(values, "%m/%d/%Y")
