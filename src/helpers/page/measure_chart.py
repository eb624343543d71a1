"""Which chart a measure gets: its process chart where the plan judges it and its chart is a
line or columns over time; its time chart or bars otherwise; none for a callout."""

from __future__ import annotations

import pandas as pd

from ..core.language import Language
from ..params.measure import Measure
from .chart_style import CARD_SIZE, FULL_SIZE, Chart
from .charts import latest_bar_chart, time_chart
from .process_chart import process_chart


def measure_chart(
    measure: Measure,
    rows: pd.DataFrame,
    suppressed_text: str,
    compact: bool = False,
    headline: str | None = None,
    *,
    lang: Language,
) -> Chart | None:
    if rows.empty or measure.chart.type == "callout":
        return None
    limits = "process_chart" in rows and bool((rows["process_chart"] != "").any())
    judged = measure.process.chart != "none" and limits
    if judged and measure.chart.type in {"line", "column"}:
        return process_chart(measure, rows, suppressed_text, compact=compact, headline=headline, lang=lang)
    size = CARD_SIZE if compact else FULL_SIZE
    if measure.chart.type == "bar_latest":
        return latest_bar_chart(measure, rows, suppressed_text, size=size, compact=compact, lang=lang)
    return time_chart(
        measure, rows, suppressed_text, size=size, compact=compact, headline=headline, lang=lang
    )
