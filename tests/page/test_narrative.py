"""Numbers and sentences for residents, and escaping of everything that comes from data or YAML."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pandas as pd
import pytest

from helpers.core.language import ENGLISH
from helpers.core.periods import FiscalQuarter, periods_for
from helpers.page.fragments import Fragment, esc, md
from helpers.page.narrative import comparison_sentence, fmt_date, fmt_value, narrative_blocks
from helpers.translation.edition import edition

from ..conftest import REPO
from ..measures.test_build import measure

HOSTILE = "<script>alert('x')</script> **bold** [link](http://evil.example) $5 & $6 # 1. _x_"


def series(
    values: list[float],
    grain: str = "quarter",
    hidden: set[int] = frozenset(),
    start: date = date(2025, 7, 1),
) -> pd.DataFrame:
    periods = periods_for(grain, start, date(2026, 9, 30))[-len(values) :]
    return pd.DataFrame(
        {
            "period": [p.id for p in periods],
            "grain": grain,
            "period_start": [p.start for p in periods],
            "period_end": [p.end for p in periods],
            "period_label": [ENGLISH.period_label(p.id, p.grain, p.start, p.end) for p in periods],
            "series": "All",
            "series_order": 0,
            "value": [float("nan") if i in hidden else v for i, v in enumerate(values)],
            "numerator": float("nan"),
            "denominator": float("nan"),
            "suppressed": [i in hidden for i in range(len(values))],
        }
    )


def test_formats():
    m = measure()
    assert fmt_value(m, 1234.0, ENGLISH) == "1,234"
    assert (
        fmt_value(measure(unit="percent", kind="share", numerator_where={"x": {"le": 1}}), 87.349, ENGLISH)
        == "87.3%"
    )
    assert fmt_value(m, float("nan"), ENGLISH) == "not available"
    assert fmt_date(date(2026, 10, 5), ENGLISH) == "October 5, 2026"


def test_comparison_with_previous_quarter_and_year_earlier():
    sentence = comparison_sentence(
        measure(short_label="Police applications"),
        series([300, 310, 290, 320, 354]),
        FiscalQuarter.parse("FY2027Q1"),
        "fewer than 10",
        lang=ENGLISH,
    )
    assert sentence == (
        "Police applications: 354 in July to September 2026 (FY2027 Q1), "
        "11% more than the previous quarter (320) and 18% more than a year "
        "earlier (300)."
    )


def test_part_of_a_year_is_not_compared_with_a_whole_year():
    applications = measure(short_label="Police applications", grain="calendar_year")
    rows = series([1410, 1375, 1032], grain="calendar_year", start=date(2024, 1, 1))
    sentence = comparison_sentence(
        applications, rows, FiscalQuarter.parse("FY2027Q1"), "fewer than 10", lang=ENGLISH
    )
    assert sentence == (
        "Police applications, 2026 (January to September, year to date): 1,032. In the whole of 2025: 1,375."
    )
    whole_years = series([1410, 1375, 1032], grain="calendar_year", start=date(2024, 1, 1)).iloc[:2]
    assert comparison_sentence(
        applications, whole_years, FiscalQuarter.parse("FY2026Q2"), "x", lang=ENGLISH
    ) == ("Police applications, 2025: 1,375, compared with 1,410 in 2024.")
    spanish = edition(REPO / "params", "es").language
    rows["period_label"] = [
        spanish.period_label(p, "calendar_year", s, e)
        for p, s, e in zip(rows["period"], rows["period_start"], rows["period_end"])
    ]
    sentence = comparison_sentence(applications, rows, FiscalQuarter.parse("FY2027Q1"), "x", lang=spanish)
    assert sentence == (
        "Police applications, 2026 (enero a septiembre, en lo que va de año): 1.032. En todo 2025: 1.375."
    )


def test_percentages_compare_in_percentage_points():
    m = measure(
        unit="percent",
        kind="share",
        numerator_where={"x": {"le": 1}},
        short_label="Answered within 15 seconds",
    )
    sentence = comparison_sentence(
        m,
        series([86.0, 88.0, 90.2, 88.6, 87.9]),
        FiscalQuarter.parse("FY2027Q1"),
        "fewer than 10",
        lang=ENGLISH,
    )
    assert "0.7 percentage points lower than the previous quarter (88.6%)" in sentence
    assert "1.9 percentage points higher than a year earlier (86.0%)" in sentence


def test_hidden_values_are_never_stated():
    sentence = comparison_sentence(
        measure(short_label="Neighbors"),
        series([50, 4, 60], hidden={1}),
        FiscalQuarter.parse("FY2027Q1"),
        "fewer than 10",
        lang=ENGLISH,
    )
    assert sentence.startswith("Neighbors: 60 in")
    assert "previous quarter" not in sentence  # the hidden quarter is not compared with
    hidden_now = comparison_sentence(
        measure(short_label="Neighbors"),
        series([50, 4], hidden={1}),
        FiscalQuarter.parse("FY2027Q1"),
        "fewer than 10",
        lang=ENGLISH,
    )
    assert "hidden because it involves fewer than 10 people" in hidden_now
    assert "4" not in hidden_now


def test_monthly_measures_compare_quarter_totals():
    rows = series([10.0] * 12 + [20.0, 30.0, 40.0], grain="month")
    sentence = comparison_sentence(
        measure(grain="month", short_label="Crash calls"),
        rows,
        FiscalQuarter.parse("FY2027Q1"),
        "fewer than 10",
        lang=ENGLISH,
    )
    assert sentence.startswith("Crash calls: 90 in July to September 2026 (FY2027 Q1)")
    assert "200% more than the previous quarter (30)" in sentence


def test_markdown_escaping_makes_text_literal():
    escaped = md(HOSTILE)
    assert "<" not in escaped.replace("\\<", "") and "*" not in escaped.replace("\\*", "")
    assert esc(HOSTILE).startswith("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;")
    assert Fragment(narrative_blocks(["<b>one</b>", "two"])).markdown().strip() == (
        "- \\<b\\>one\\</b\\>\n- two"
    )
    assert Fragment(narrative_blocks(["<b>one</b>"])).html() == "<ul><li>&lt;b&gt;one&lt;/b&gt;</li></ul>"
    assert Fragment(narrative_blocks({"Police": ["hired 5"]})).markdown().strip().startswith("**Police**")


def pandoc_command() -> list[str] | None:
    """pandoc itself, or the one inside Quarto (``quarto pandoc``)."""
    from ..conftest import real_quarto

    if shutil.which("pandoc"):
        return ["pandoc"]
    quarto = real_quarto()
    return [quarto, "pandoc"] if quarto else None


@pytest.mark.skipif(
    pandoc_command() is None, reason="neither pandoc nor Quarto (which carries it) is installed"
)
def test_escaped_markdown_stays_text_through_pandoc():
    html = subprocess.run(
        [*pandoc_command(), "--from", "markdown", "--to", "html"],
        input=md(HOSTILE),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "<script" not in html and "<strong>" not in html and "<a " not in html
    assert "&lt;script&gt;" in html and "$5 &amp; $6" in html and "math" not in html
