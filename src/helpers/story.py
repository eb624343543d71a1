"""The City's "tell the story with data" format, built as fragments from a page's data.

Goal page: introduction, context data that sets the stage, the status legend, and one card per
initiative under each objective. Objective pages: for each initiative its status, Description, Key
Measures & Data Analysis (a chart, a one-sentence summary, a data table, a CSV download and "About
this data" per measure), Why is it important?, What have we been doing? and What's next?. About
the data: definitions, sources and privacy rules.

Everything here reads a ``Page`` (``helpers.report``) and returns ``Fragment`` objects; text from
the plan, the quarter file or the data is escaped by the fragment blocks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .charts import measure_chart
from .fragments import Block, Fragment, Heading, Html, Quote, Strong, esc, para
from .narrative import comparison_sentence, fmt_date, fmt_value, join_words, latest_rows, narrative_blocks
from .pages import objective_page, report_pages
from .plan import Initiative, Measure, Objective
from .records import CoverageRecord, MeasureRecord

if TYPE_CHECKING:
    from .report import Page


def badge(status_label: str, status_id: str, icon: str) -> str:
    """A status shown with a symbol and a word, never by colour alone."""
    return (
        f'<span class="status-badge status-{esc(status_id)}">'
        f'<span class="status-icon" aria-hidden="true">{esc(icon)}</span> '
        f'<span class="visually-hidden">Status: </span>{esc(status_label)}</span>'
    )


def reporting_line(page: Page) -> Block:
    """When the data was taken and when the next report is due (the period is the subtitle)."""
    return para(
        Strong("Data as of:"),
        f" {fmt_date(page.params.data_as_of)}. ",
        Strong("Next update:"),
        f" expected by {fmt_date(page.params.next_update)}.",
        css_class="reporting-period",
    )


def header(page: Page) -> Fragment:
    return Fragment([reporting_line(page)])


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
# Goal page


def goal_intro(page: Page) -> Fragment:
    goal = page.settings.plan.goal
    # The goal statement is the page's description, shown under its title by Quarto.
    blocks: list[Block] = [reporting_line(page), para(goal.framing)]
    if page.params.highlights:
        blocks += [Heading(2, "This quarter", "this-quarter"), para(page.params.highlights)]
    blocks += [Heading(2, "Why this matters", "why-this-matters"), para(goal.why_this_matters)]
    return Fragment(blocks)


def context(page: Page) -> Fragment:
    blocks: list[Block] = [
        Heading(2, "Setting the stage", "setting-the-stage"),
        para("These measures show the conditions every initiative works in."),
    ]
    for measure_id in page.settings.plan.goal.context_measures:
        blocks += measure_blocks(page, measure_id, level=3)
    return Fragment(blocks)


def status_legend(page: Page) -> Fragment:
    items = "".join(
        f"<li>{badge(s.label, s.id, s.icon)} <span>{esc(s.description)}</span></li>"
        for s in page.settings.plan.statuses
    )
    return Fragment(
        [
            Heading(2, "Status of initiatives", "status-legend"),
            para("Each initiative shows one of three statuses, with a symbol and a word:"),
            Html(f'<ul class="status-legend">{items}</ul>'),
        ]
    )


def objective_cards(page: Page, objective_id: str) -> Fragment:
    objective = page.settings.plan.objective(objective_id)
    cards = "".join(_card(page, objective, i) for i in objective.initiatives)
    return Fragment(
        [
            Heading(2, f"Objective {objective.id}: {objective.title}", objective.anchor),
            para(objective.summary),
            Html(f'<div class="initiative-cards">{cards}</div>'),
        ]
    )


def _card(page: Page, objective: Objective, initiative: Initiative) -> str:
    status = page.settings.plan.status(page.params.initiatives[initiative.id].status)
    heading_id = initiative.card_anchor
    card = initiative.card
    if card.style != "none" and card.measure:
        measure = page.measure(card.measure)
        rows = page.rows(card.measure)
        if card.style == "callout":
            body = _callout(page, measure, rows)
        else:
            headline = headline_series(page, card.measure)
            chart = measure_chart(measure, rows, page.suppressed_text, compact=True, headline=headline)
            body = (
                f'<p class="card-measure">{esc(measure.caption)}</p>'
                + (chart.img_tag("card-chart") if chart else "")
                + f'<p class="card-summary">{esc(compare(page, card.measure))}</p>'
            )
    else:
        body = f'<p class="card-note">{esc(initiative.no_measure_note or "")}</p>'
    link = f"{objective_page(page.settings, objective.id).html}#{initiative.anchor}"
    return (
        f'<article class="initiative-card" aria-labelledby="{heading_id}">'
        f'<h3 id="{heading_id}"><span class="initiative-number">Initiative {esc(initiative.id)}'
        f"</span> {esc(initiative.title)}</h3>"
        f'<p class="card-status">{badge(status.label, status.id, status.icon)}</p>'
        f"{body}"
        f'<p class="card-link"><a href="{esc(link)}">Learn more'
        f'<span class="visually-hidden"> about initiative {esc(initiative.id)}</span></a></p>'
        "</article>"
    )


def _callout(page: Page, measure: Measure, rows: pd.DataFrame, on_card: bool = True) -> str:
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


# --------------------------------------------------------------------------------------------
# Objective pages


def objective_intro(page: Page) -> Fragment:
    # The objective's summary is the page's description, shown under its title by Quarto.
    return Fragment([reporting_line(page)])


def _initiative(page: Page, initiative_id: str) -> Initiative:
    initiative = page.settings.plan.initiative(initiative_id)
    if initiative.id not in page.params.initiatives:
        raise KeyError(f"initiative {initiative_id} is not on the {page.page} page")
    return initiative


def initiative_intro(page: Page, initiative_id: str) -> Fragment:
    initiative = _initiative(page, initiative_id)
    status = page.settings.plan.status(page.params.initiatives[initiative.id].status)
    return Fragment(
        [
            Heading(2, f"{initiative.id} {initiative.title}", initiative.anchor),
            Html(f'<p class="initiative-status">{badge(status.label, status.id, status.icon)}</p>'),
            Heading(3, "Description"),
            para(initiative.description),
        ]
    )


def key_measures(page: Page, initiative_id: str) -> Fragment:
    initiative = _initiative(page, initiative_id)
    update = page.params.initiatives[initiative.id]
    blocks: list[Block] = [Heading(3, "Key Measures & Data Analysis")]
    if update.analysis:
        blocks.append(para(update.analysis))
    if not initiative.measures:
        blocks.append(para(initiative.no_measure_note or ""))
    for fact in initiative.context_facts:
        blocks.append(Quote(fact.text, "Source: " + fact.source))
    for measure_id in initiative.measures:
        blocks += measure_blocks(page, measure_id, level=4)
    return Fragment(blocks)


def initiative_outro(page: Page, initiative_id: str) -> Fragment:
    initiative = _initiative(page, initiative_id)
    update = page.params.initiatives[initiative.id]
    return Fragment(
        [
            Heading(3, "Why is it important?"),
            para(initiative.why_important),
            Heading(3, "What have we been doing?"),
            *narrative_blocks(update.what_we_have_been_doing),
            Heading(3, "What's next?"),
            *narrative_blocks(update.whats_next),
        ]
    )


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
        parts.append(_callout(page, measure, rows, on_card=False))
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


# --------------------------------------------------------------------------------------------
# About the data


def coverage_section(page: Page) -> list[Block]:
    """How completely each source covers the quarter, and the rows dropped on purpose."""
    coverage = page.publication.sources
    if not coverage:
        return []
    sources = page.settings.sources.sources
    verdicts = {"complete": "Complete", "partial": "Incomplete", "missing": "No records"}
    body = []
    for name, info in coverage.items():
        skipped = {f: n for f, n in info.skipped_rows.items() if n}
        left_out = join_words(f"{n:,} empty rows in {f}" for f, n in sorted(skipped.items())) or "none"
        body.append([sources[name].title, verdicts[info.status], coverage_words(info), left_out])
    head = ["Source", "This quarter", "Records", "Rows left out"]
    header = "".join(f'<th scope="col">{esc(c)}</th>' for c in head)
    rows = "".join(
        f'<tr><th scope="row">{esc(cells[0])}</th>'
        + "".join(f"<td>{esc(c)}</td>" for c in cells[1:])
        + "</tr>"
        for cells in body
    )
    table = (
        '<div class="table-responsive" tabindex="0" role="region" aria-label="Data coverage this quarter">'
        '<table class="table table-sm" data-quarto-disable-processing="true">'
        f"<caption>Data coverage, {esc(page.quarter.long_label)}</caption>"
        f"<thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table></div>"
    )
    return [
        Heading(2, "Data coverage this quarter", "coverage"),
        para(
            "Real exports can have gaps: an outage, a file that never arrived. A period with a gap "
            "is marked as incomplete wherever its figure is shown, and is not compared with other "
            "periods; a period with no records has no figure, never a zero. Rows left out are "
            "empty rows a department's export writes, dropped by a rule set for that source."
        ),
        Html(table),
    ]


def about_the_data(page: Page) -> Fragment:
    plan, sources = page.settings.plan, page.settings.sources
    rules = page.settings.privacy
    blocks: list[Block] = [
        reporting_line(page),
        Heading(2, "How to read this report", "how-to-read"),
        para(
            "Every figure comes from City records, is counted the same way every quarter, and "
            "can be downloaded as a CSV file next to its chart. Each chart has a data table and "
            "an 'About this data' section with its definition, source and caveats."
        ),
        Heading(2, "Privacy", "privacy"),
        para(
            f"This report never shows names, addresses, record numbers or anything else that "
            f"identifies a person. Counts of people or of events involving people from 1 to "
            f"{rules.floor - 1} are shown as '{rules.suppressed_text}', and any percentage or "
            "average built on them is hidden too. When hiding one number is not enough, because "
            "it could be worked out from a total or from last quarter's report, a second number "
            "is hidden as well. A figure such as 'x% of neighbors make up y% of responses' is "
            f"shown only when the group it describes has at least "
            f"{rules.concentration_floor} people."
        ),
        Heading(2, "Measures", "measures"),
    ]
    pages = report_pages(page.settings)
    goal = next(p for p in pages if p.kind == "goal")
    where: dict[str, tuple[str, str, str]] = {}
    for spec in pages:
        if spec.kind != "objective":
            continue
        for initiative in spec.initiatives(plan):
            for measure_id in initiative.measures:
                where.setdefault(measure_id, (spec.html, initiative.anchor, f"Initiative {initiative.id}"))
    for measure_id in plan.goal.context_measures:
        where.setdefault(measure_id, (goal.html, "setting-the-stage", goal.label))
    for measure in plan.measures:
        info = page.measure_status(measure.id)
        target_page, anchor, label = where.get(measure.id, (goal.html, "", goal.label))
        blocks.append(Heading(3, measure.caption, f"about-{measure.anchor}"))
        blocks.append(
            Html(
                f'<p>Shown in <a href="{esc(target_page)}#{esc(anchor)}">{esc(label)}'
                f"{hidden(f', {measure.caption}')}</a>. "
                f'<a href="data/{esc(measure.id)}.csv" download>Download the data (CSV)'
                f"{hidden(f' for {measure.caption}')}</a>.</p>" + about_block(page, measure, info)
            )
        )
    blocks.append(Heading(2, "Sources", "sources"))
    for name, source in sources.sources.items():
        blocks.append(Heading(3, source.title, f"source-{name.replace('_', '-')}"))
        blocks.append(para(f"{source.description} Published by {source.publisher}."))
    blocks += coverage_section(page)
    blocks.append(Heading(2, "Fiscal years", "fiscal-years"))
    blocks.append(
        para(
            "The City's fiscal year runs from July 1 to June 30: FY2027 is July 2026 "
            "to June 2027, and its first quarter (Q1) is July to September 2026."
        )
    )
    return Fragment(blocks)
