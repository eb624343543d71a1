"""One measure told on a page: its one-sentence summary and comparisons, its chart with a
caption giving source and date, a data table, a CSV download and "About this data" (definition,
method, source, caveats, privacy and dates). A measure whose source does not cover the quarter
gets a notice saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .charts import measure_chart
from .fragments import Block, Heading, Html, esc
from .measure_spec import Measure
from .narrative import comparison_sentence, fmt_date, fmt_value, latest_rows
from .records import CoverageRecord, MeasureRecord

if TYPE_CHECKING:
    from .report import Page


# --------------------------------------------------------------------------------------------
# Sentences about a measure


def headline_series(page: Page, measure_id: str) -> str:
    """The series a one-sentence summary is about: the plan's ``headline``, else the total if
    there is one, else the first."""
    measure = page.measure(measure_id)
    names = page.rows(measure_id).sort_values("series_order")["series"].drop_duplicates()
    if measure.series_by and measure.headline and measure.series_by.label(measure.headline) in set(names):
        return measure.series_by.label(measure.headline)
    if measure.series_by and measure.series_by.total in set(names):
        return measure.series_by.total
    return str(names.iloc[0]) if len(names) else measure.series_label


def other_series(page: Page, measure_id: str) -> list[str]:
    names = page.rows(measure_id).sort_values("series_order")["series"].drop_duplicates()
    headline = headline_series(page, measure_id)
    return [str(n) for n in names if n != headline]


def compare(page: Page, measure_id: str, series: str | None = None) -> str:
    """This quarter against the previous quarter and a year earlier, as a sentence."""
    measure = page.measure(measure_id)
    rows = page.rows(measure_id)
    names = rows.sort_values("series_order")["series"].drop_duplicates().tolist()
    chosen = series or headline_series(page, measure_id)
    subject = measure.short_label if len(names) == 1 else f"{measure.short_label}, {chosen}"
    return comparison_sentence(
        measure, rows[rows["series"] == chosen], page.quarter, page.suppressed_text, subject=subject
    )


def summary(page: Page, measure_id: str) -> str:
    """The measure in one plain-language sentence (its headline series, for split measures)."""
    rows = page.rows(measure_id)
    measure = page.measure(measure_id)
    if measure.chart.type == "bar_latest":
        latest = latest_rows(rows)
        if latest.empty:
            return "No data yet."
        of = measure.value == "numerator" and measure.denominator_label
        items = [
            f"{r.series}: "
            + (
                ROW_STATUS[r.status]
                if getattr(r, "status", "complete") in ROW_STATUS
                else page.suppressed_text
                if r.suppressed
                else fmt_value(measure, r.value) + (f" of {fmt_value(measure, r.denominator)}" if of else "")
            )
            for r in latest.itertuples()
        ]
        return f"{measure.short_label}, {latest.iloc[0]['period_label']}: {'; '.join(items)}."
    return compare(page, measure_id, headline_series(page, measure_id))


# --------------------------------------------------------------------------------------------
# Measure blocks: chart, summary, data table, download, about this data


def measure_blocks(page: Page, measure_id: str, level: int) -> list[Block]:
    measure = page.measure(measure_id)
    rows = page.rows(measure_id)
    info = page.measure_status(measure_id)
    parts = []
    if info.status != "current":
        parts.append(incomplete_notice(page, measure))
    parts.append(f'<p class="measure-summary">{esc(summary(page, measure_id))}</p>')
    others = other_series(page, measure_id)
    if measure.chart.type != "bar_latest" and others:
        items = "".join(f"<li>{esc(compare(page, measure_id, name))}</li>" for name in others)
        parts.append(f'<ul class="measure-series">{items}</ul>')
    chart = measure_chart(measure, rows, page.suppressed_text)
    source = page.settings.sources.sources[measure.source]
    if chart:
        parts.append(
            f'<figure class="measure-figure">{chart.img_tag()}<figcaption>'
            f"{source_line(source.title, source.publisher, info.data_through)}</figcaption></figure>"
        )
    elif measure.chart.type == "callout":
        parts.append(callout(page, measure, rows, on_card=False))
    parts.append(data_table(page, measure, rows))
    parts.append(download_link(f"data/{measure.id}.csv", measure.caption))
    parts.append(about_block(page, measure, info))
    return [Heading(level, measure.caption, measure.anchor), Html("\n".join(parts))]


def source_line(title: str, publisher: str, data_through: str) -> str:
    """What a figure's caption adds to its heading: where the numbers come from, and how recent."""
    return f"Source: {esc(title)}, {esc(publisher)}. Data through {esc(fmt_date(data_through))}."


def hidden(text: str) -> str:
    """Words for screen readers only: they give a repeated link or button its own name."""
    lead = " " if text[:1].isspace() else ""
    return f'<span class="visually-hidden">{lead}{esc(text)}</span>'


def download_link(href: str, caption: str) -> str:
    return (
        f'<p class="measure-download"><a href="{esc(href)}" download>'
        f"Download the data (CSV){hidden(f' for {caption}')}</a></p>"
    )


def details_table(caption: str, table_caption: str, head: list[str], body: list[list[str]]) -> str:
    """A collapsible data table; the first cell of each row is its row header. The caption is
    for screen readers: sighted readers see the heading just above."""
    header = "".join(f'<th scope="col">{esc(c)}</th>' for c in head)
    rows = "".join(
        f'<tr><th scope="row">{esc(cells[0])}</th>'
        + "".join(f"<td>{esc(c)}</td>" for c in cells[1:])
        + "</tr>"
        for cells in body
    )
    return (
        f'<details class="measure-table"><summary>Data table{hidden(f": {caption}")}'
        f'</summary><div class="table-responsive" tabindex="0" role="region" '
        f'aria-label="Data table: {esc(caption)}"><table class="table table-sm" '
        'data-quarto-disable-processing="true">'
        f'<caption class="visually-hidden">{esc(table_caption)}</caption><thead><tr>{header}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div></details>"
    )


def coverage_words(coverage: CoverageRecord) -> str:
    """A source's coverage of the quarter in plain words, gaps included."""
    unit = coverage.unit + ("" if coverage.expected == 1 else "s")
    words = f"{coverage.covered} of {coverage.expected} {unit} have records"
    gaps = coverage.gaps
    if gaps:
        spans = [fmt_date(a) if a == b else f"{fmt_date(a)} to {fmt_date(b)}" for a, b in gaps[:3]]
        more = f" and {len(gaps) - 3} more gaps" if len(gaps) > 3 else ""
        words += f"; no records (or far fewer than usual) {'; '.join(spans)}{more}"
    return words


def incomplete_notice(page: Page, measure: Measure) -> str:
    """The warning shown above a measure whose source does not cover the whole quarter."""
    coverage = page.publication.sources.get(measure.source)
    source = page.settings.sources.sources[measure.source]
    detail = f" {esc(source.title)}: {esc(coverage_words(coverage))}." if coverage else ""
    return (
        '<p class="measure-stale"><strong>Incomplete data this quarter.</strong>'
        f"{detail} Figures for periods with gaps are marked, and are not compared with other "
        "periods; this measure will be updated when complete data arrives.</p>"
    )


ROW_STATUS = {"missing": "no data", "not_available": "not available"}


def data_table(page: Page, measure: Measure, rows: pd.DataFrame) -> str:
    columns = ["Period", "Series", measure.value_label]
    show_numerator = bool(measure.numerator_label) and measure.value != "numerator"
    if show_numerator:
        columns.append(str(measure.numerator_label))
    if measure.denominator_label:
        columns.append(measure.denominator_label)
    count_measure = measure.model_copy(update={"unit": "count", "decimals": 0})
    statuses = rows["status"] if "status" in rows else pd.Series("complete", index=rows.index)
    flagged = bool(statuses.ne("complete").any())
    if flagged:
        columns.append("Data")
    body = []
    for row in rows.sort_values(["period_end", "period_start", "series_order"]).itertuples():
        status = getattr(row, "status", "complete")
        if status in ROW_STATUS:
            values = [ROW_STATUS[status]] + [""] * (len(columns) - 3 - flagged)
        elif row.suppressed:
            hidden = (
                page.suppressed_text
                if row.suppression != "secondary"
                else "hidden (protects a smaller number)"
            )
            values = [hidden] + [""] * (len(columns) - 3 - flagged)
        else:
            values = [fmt_value(measure, row.value)]
            if show_numerator:
                values.append(fmt_value(count_measure, row.numerator))
            if measure.denominator_label:
                values.append(fmt_value(count_measure, row.denominator))
        if flagged:
            values.append("complete" if status == "complete" else str(row.status_note))
        body.append([str(row.period_label), str(row.series), *values])
    table_caption = f"{measure.caption}, by {measure.grain.replace('_', ' ')}"
    return details_table(measure.caption, table_caption, columns, body)


def about_block(page: Page, measure: Measure, info: MeasureRecord) -> str:
    source = page.settings.sources.sources[measure.source]
    rules = page.settings.privacy
    caveats = "".join(f"<li>{esc(c)}</li>" for c in measure.caveats) or "<li>None known.</li>"
    privacy = {
        "aggregate": "Counts no individual people.",
        "people": f"Counts people: numbers from 1 to {rules.floor - 1} are shown "
        f"as \u201c{page.suppressed_text}\u201d, and so is anything calculated from them.",
        "person_events": f"Counts events involving people: numbers from 1 to "
        f"{rules.floor - 1} are shown as \u201c{page.suppressed_text}\u201d.",
    }[measure.privacy]
    target = ""
    if measure.target:
        origin = f" ({esc(measure.target.source)})" if measure.target.source else ""
        target = f"<dt>Target</dt><dd>{esc(measure.target.label)}{origin}</dd>"
    return (
        f'<details class="measure-about"><summary>About this data{hidden(f": {measure.caption}")}'
        "</summary><dl>"
        f"<dt>Definition</dt><dd>{esc(measure.definition)}</dd>"
        f"<dt>How it is calculated</dt><dd>{esc(measure.method)}</dd>"
        f"<dt>Source</dt><dd>{esc(source.title)} ({esc(source.publisher)})</dd>"
        f"{target}"
        f"<dt>Things to know</dt><dd><ul>{caveats}</ul></dd>"
        f"<dt>Privacy</dt><dd>{esc(privacy)}</dd>"
        f"<dt>Data through</dt><dd>{esc(fmt_date(info.data_through))}</dd>"
        f"<dt>Data as of</dt><dd>{esc(fmt_date(page.params.data_as_of))}</dd>"
        f"<dt>Next update</dt><dd>Expected by {esc(fmt_date(page.params.next_update))}</dd>"
        f"</dl></details>"
    )


def callout(page: Page, measure: Measure, rows: pd.DataFrame, on_card: bool = True) -> str:
    """The figure in words and one big number; on a card, with the period and definition (on an
    objective page those are in the summary sentence and "About this data")."""
    latest = latest_rows(rows)
    if latest.empty:
        return f'<p class="callout-figure">{esc(measure.caption)}: no data yet.</p>'
    row = latest.iloc[0]
    if row.get("status") in ROW_STATUS:
        return f'<p class="callout-figure">{esc(measure.caption)}: {esc(row["status_note"])}.</p>'
    if row["suppressed"]:
        return (
            f'<p class="callout-figure">{esc(measure.caption)}: hidden this quarter to '
            f"protect privacy (the group is {esc(page.suppressed_text)} people).</p>"
        )
    share = measure.familiar.top_share_percent if measure.familiar else None
    first = f"{share:g}% of neighbors served" if share is not None else measure.caption
    figure = (
        f'<p class="callout-figure"><span class="callout-line">{esc(first)} make up</span> '
        f'<span class="callout-number">{esc(fmt_value(measure, row["value"]))}</span> '
        f'<span class="callout-line">of {esc(measure.denominator_label or "the total").lower()}'
        "</span></p>"
    )
    if not on_card:
        return figure
    return figure + f'<p class="card-summary">{esc(row["period_label"])}. {esc(measure.definition)}</p>'
