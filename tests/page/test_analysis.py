"""Analysts' building blocks on gated tables: before/after averages that never use a hidden value."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers.core.language import ENGLISH
from helpers.core.periods import FiscalQuarter
from helpers.page.analysis import NotComputable, before_after
from helpers.page.narrative import Change
from helpers.translation.edition import edition

from ..conftest import REPO
from ..measures.test_build import measure


def quarterly(values: dict[str, list[float]], first: str = "FY2024Q4") -> pd.DataFrame:
    """Gated rows of a quarterly measure split into series, NaN meaning hidden."""
    rows = []
    start = FiscalQuarter.parse(first)
    for order, (series, numbers) in enumerate(values.items()):
        for i, value in enumerate(numbers):
            q = start.shift(i)
            rows.append(
                {
                    "period": q.id,
                    "period_start": q.start,
                    "period_end": q.end,
                    "series": series,
                    "series_order": order,
                    "value": value,
                    "suppressed": math.isnan(value),
                }
            )
    return pd.DataFrame(rows)


WEEKDAYS = measure(grain="quarter", series_by={"column": "received_at", "part": "weekday"})
EVENT = "2025-06-01"  # FY2024Q4..FY2025Q3 are before; FY2026Q2..FY2027Q1 are the latest four


def test_averages_before_and_after_and_the_facts_for_a_sentence():
    rows = quarterly({"Monday": [300, 290, 310, 300, 250, 180, 170, 160, 170, 180], "Sunday": [100] * 10})
    result = before_after(WEEKDAYS, rows, EVENT, ENGLISH, quarters=4)
    assert [q.id for q in result.before] == ["FY2024Q4", "FY2025Q1", "FY2025Q2", "FY2025Q3"]
    assert [q.id for q in result.after] == ["FY2026Q2", "FY2026Q3", "FY2026Q4", "FY2027Q1"]
    table = result.table
    assert table.index.name == "Day of the week" and list(table.index) == ["Monday", "Sunday"]
    assert (
        table.iloc[0, 0] == 300
        and table.iloc[0, 1] == 170
        and table.iloc[0, 2] == pytest.approx(-43.33, 0.01)
    )
    facts = result.facts()
    assert facts["before"] == 400 and facts["after"] == 270
    assert str(facts["change"]) == "32% fewer"
    assert facts["largest_fall"] == "Monday" and facts["smallest_fall"] == "Sunday"
    assert facts["before_span"] == "April 2024 to March 2025"


def test_a_hidden_quarter_makes_an_average_unknown_never_smaller():
    rows = quarterly(
        {"Monday": [300, math.nan, 310, 300, 250, 180, 170, 160, 170, 180], "Sunday": [100] * 10}
    )
    result = before_after(WEEKDAYS, rows, EVENT, ENGLISH, quarters=4)
    assert math.isnan(result.averages.loc["Monday", "before"])
    assert math.isnan(result.totals[0])  # no total either
    assert result.facts()["largest_fall"] == "Sunday"  # only comparable series are compared


def test_fewer_complete_quarters_make_a_shorter_window_that_says_so():
    rows = quarterly({"Monday": [300, 290, 250, 180, 170, 160, 170, 180]}, first="FY2025Q2")
    facts = before_after(WEEKDAYS, rows, EVENT, ENGLISH, quarters=4).facts()
    assert facts["before_quarters"] == "2 quarters" and facts["before"] == 295
    assert facts["after_quarters"] == "4 quarters"


def test_without_a_quarter_on_each_side_the_analysis_says_why_in_plain_words():
    rows = quarterly({"Monday": [300, 290, 250, 180, 170, 160, 170, 180]}, first="FY2025Q2")
    early = before_after(WEEKDAYS, rows[rows["period"] <= "FY2025Q4"], EVENT, ENGLISH, event_name="Start")
    assert isinstance(early, NotComputable) and not early.available
    assert early.reason == (
        "This comparison cannot be made yet. The data end in April to June 2025 (FY2025 Q4), and it "
        "needs a full quarter after Start (June 1, 2025). It will appear once that quarter is published."
    )
    late = before_after(WEEKDAYS, rows[rows["period"] >= "FY2025Q4"], EVENT, ENGLISH)
    assert "The data start in April to June 2025 (FY2025 Q4), after June 1, 2025" in late.reason
    spanish = before_after(
        WEEKDAYS, rows[rows["period"] <= "FY2025Q4"], EVENT, edition(REPO / "params", "es").language
    )
    assert spanish.reason.startswith("Esta comparación")


def test_every_series_hidden_in_a_period_is_not_computable_never_a_guess():
    rows = quarterly({"Monday": [math.nan] * 4 + [180] * 6, "Sunday": [100] * 3 + [math.nan] + [90] * 6})
    result = before_after(WEEKDAYS, rows, EVENT, ENGLISH, quarters=4)
    assert not result.available and "too few cases to publish" in result.reason


def test_change_reads_as_words():
    assert str(Change(80, 100, ENGLISH)) == "20% fewer" and str(Change(120, 100, ENGLISH)) == "20% more"
    assert str(Change(100.2, 100, ENGLISH)) == "about the same"
    assert (
        str(Change(5, 0, ENGLISH)) == "not comparable"
        and str(Change(5, 4, ENGLISH, counting=False)) == "25% higher"
    )


def test_an_incomplete_quarter_is_left_out_and_said_so():
    rows = quarterly({"Monday": [300, 290, 310, 300, 250, 180, 170, 160, 170, 180]})
    rows["status"] = ["partial" if p == "FY2026Q4" else "complete" for p in rows["period"]]
    result = before_after(WEEKDAYS, rows, EVENT, ENGLISH, quarters=4)
    assert [q.id for q in result.after] == ["FY2026Q1", "FY2026Q2", "FY2026Q3", "FY2027Q1"]
    facts = result.facts()
    assert facts["after_span"] == "July 2025 to March 2026 and July 2026 to September 2026"
    assert facts["left_out"] == "April to June 2026 (FY2026 Q4)"
    assert facts["after"] == (180 + 170 + 160 + 180) / 4
