"""Charts: house style, alt text written from the data, nothing hidden ever drawn or described."""

from __future__ import annotations

import base64

from helpers.core.language import ENGLISH
from helpers.page.alt_text import alt_text
from helpers.page.chart_style import PALETTE
from helpers.page.measure_chart import measure_chart

from ..measures.test_build import measure
from ..page.test_narrative import series


def test_alt_text_describes_span_latest_range_and_target():
    m = measure(
        caption="Calls Answered Within 15 Seconds",
        unit="percent",
        kind="share",
        numerator_where={"x": {"le": 1}},
        grain="quarter",
        target={"value": 90, "label": "National standard: 90%", "source": "NENA"},
    )
    text = alt_text(m, series([86.0, 88.0, 90.2, 88.6, 87.9]), "fewer than 10", ENGLISH)
    assert text == (
        "Line chart of Calls Answered Within 15 Seconds by quarter, July to September 2025 "
        "(FY2026 Q1) to July to September 2026 (FY2027 Q1). Latest 87.9% in July to September "
        "2026 (FY2027 Q1); lowest 86.0% in July to September 2025 (FY2026 Q1), highest 90.2% in "
        "January to March 2026 (FY2026 Q3). Dashed line: National standard: 90%."
    )


def test_hidden_values_are_not_described():
    m = measure(caption="Neighbors", grain="quarter")
    text = alt_text(m, series([50, 4, 60], hidden={1}), "fewer than 10", ENGLISH)
    assert "1 value is hidden to protect privacy" in text and " 4 " not in text


def test_bar_alt_text_uses_the_suppressed_wording():
    m = measure(caption="Neighbors Served Repeatedly", grain="quarter", chart={"type": "bar_latest"})
    rows = series([124, 5], hidden={1})
    rows["period_end"] = rows["period_end"].iloc[-1]
    rows["series"] = ["5 or more times", "40 or more times"]
    rows["series_order"] = [0, 1]
    text = alt_text(m, rows, "fewer than 10", ENGLISH)
    assert text.endswith("5 or more times: 124; 40 or more times: fewer than 10.")


def test_png_is_deterministic_sized_for_phones_and_carries_its_alt_text():
    m = measure(caption="Joint events", grain="month", chart={"type": "column"})
    rows = series([2, 3, 27, 1], grain="month")
    first = measure_chart(m, rows, "fewer than 10", lang=ENGLISH)
    second = measure_chart(m, rows, "fewer than 10", lang=ENGLISH)
    assert first.png_base64 == second.png_base64
    assert base64.b64decode(first.png_base64)[:8] == b"\x89PNG\r\n\x1a\n"
    assert first.width <= 800 and first.alt.startswith("Column chart of Joint events")
    tag = first.img_tag()
    assert 'alt="Column chart of Joint events' in tag and 'loading="lazy"' in tag


def test_palette_is_colour_blind_safe_without_yellow():
    assert PALETTE[:3] == ["#0072B2", "#D55E00", "#009E73"]
    assert "#F0E442" not in PALETTE


def test_callout_measures_have_no_chart():
    assert measure_chart(measure(chart={"type": "callout"}), series([1, 2]), "x", lang=ENGLISH) is None


def _four_series():
    import pandas as pd

    frames = []
    for order, (name, base) in enumerate(
        [("Emergency Communications", 22.0), ("Police", 21.0), ("Fire", 5.0), ("Community Safety", 5.5)]
    ):
        part = series([base + 0.3 * i for i in range(5)])
        part["series"], part["series_order"] = name, order
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def test_several_series_are_named_on_the_chart_without_overlapping_even_on_a_card():
    from helpers.page.chart_style import CARD_SIZE, FULL_SIZE, house_style
    from helpers.page.charts import draw_time_chart

    m = measure(unit="percent", kind="share", numerator_where={"x": {"le": 1}}, grain="quarter")
    rows = _four_series()  # two pairs of lines that end almost on top of each other
    for size, compact in ((CARD_SIZE, True), (FULL_SIZE, False)):
        with house_style():
            fig = draw_time_chart(m, rows, size=size, compact=compact, headline="Police", lang=ENGLISH)
            ax = fig.axes[0]
            assert ax.get_title() == ""  # the heading above the chart names it
            assert ax.get_legend() is None
            labels = {t.get_text().replace("\n", " "): t for t in ax.texts}
            assert set(labels) >= {"Emergency Communications", "Police", "Fire", "Community Safety"}
            renderer = fig.canvas.get_renderer()
            fig.draw_without_rendering()
            boxes = [
                labels[n].get_window_extent(renderer) for n in ("Emergency Communications", "Police", "Fire")
            ]
            boxes.append(labels["Community Safety"].get_window_extent(renderer))
            figure_box = fig.bbox
            for i, box in enumerate(boxes):
                assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1 + 1, "label cut off"
                for other in boxes[i + 1 :]:
                    assert not box.overlaps(other), "two series labels overlap"
            if compact:
                widths = {line.get_label(): line.get_linewidth() for line in ax.lines}
                assert widths["Police"] > widths["Fire"]  # the headline series stands out


def test_series_label_text_is_dark_enough_to_read():
    from helpers.page.charts import _contrast_text

    for color in PALETTE:
        text = _contrast_text(color)
        channels = [int(text[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        assert 1.05 / (luminance + 0.05) >= 4.5, color
