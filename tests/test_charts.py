"""Charts: house style, alt text written from the data, nothing hidden ever drawn or described."""

from __future__ import annotations

import base64

from helpers.charts import PALETTE, alt_text, measure_chart

from .test_measures import measure
from .test_narrative import series


def test_alt_text_describes_span_latest_range_and_target():
    m = measure(
        caption="Calls Answered Within 15 Seconds",
        unit="percent",
        kind="share",
        numerator_where={"x": {"le": 1}},
        grain="quarter",
        target={"value": 90, "label": "National standard: 90%"},
    )
    text = alt_text(m, series([86.0, 88.0, 90.2, 88.6, 87.9]))
    assert text == (
        "Line chart of Calls Answered Within 15 Seconds by quarter, July to September 2025 "
        "(FY2026 Q1) to July to September 2026 (FY2027 Q1). Latest 87.9% in July to September "
        "2026 (FY2027 Q1); lowest 86.0% in July to September 2025 (FY2026 Q1), highest 90.2% in "
        "January to March 2026 (FY2026 Q3). Dashed line: National standard: 90%."
    )


def test_hidden_values_are_not_described():
    m = measure(caption="Neighbors", grain="quarter")
    text = alt_text(m, series([50, 4, 60], hidden={1}))
    assert "1 value is hidden to protect privacy" in text and " 4 " not in text


def test_bar_alt_text_uses_the_suppressed_wording():
    m = measure(caption="Neighbors Served Repeatedly", grain="quarter", chart={"type": "bar_latest"})
    rows = series([124, 5], hidden={1})
    rows["period_end"] = rows["period_end"].iloc[-1]
    rows["series"] = ["5 or more times", "40 or more times"]
    rows["series_order"] = [0, 1]
    text = alt_text(m, rows, "fewer than 10")
    assert text.endswith("5 or more times: 124; 40 or more times: fewer than 10.")


def test_png_is_deterministic_sized_for_phones_and_carries_its_alt_text():
    m = measure(caption="Joint events", grain="month", chart={"type": "column"})
    rows = series([2, 3, 27, 1], grain="month")
    first = measure_chart(m, rows, "fewer than 10")
    second = measure_chart(m, rows, "fewer than 10")
    assert first.png_base64 == second.png_base64
    assert base64.b64decode(first.png_base64)[:8] == b"\x89PNG\r\n\x1a\n"
    assert first.width <= 800 and first.alt.startswith("Column chart of Joint events")
    tag = first.img_tag()
    assert 'alt="Column chart of Joint events' in tag and 'loading="lazy"' in tag


def test_palette_is_colour_blind_safe_without_yellow():
    assert PALETTE[:3] == ["#0072B2", "#D55E00", "#009E73"]
    assert "#F0E442" not in PALETTE


def test_callout_measures_have_no_chart():
    assert measure_chart(measure(chart={"type": "callout"}), series([1, 2]), "x") is None
