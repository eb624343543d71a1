"""One measure told on a page: its one-sentence summary and comparisons, its chart with a
caption giving source and date, a data table, a CSV download and "About this data" (definition,
method, source, caveats, privacy and dates). A measure whose source does not cover the quarter
gets a notice saying so.
"""

from __future__ import annotations

import pandas as pd

from ..core.language import Language
from ..core.records import CoverageRecord, MeasureRecord
from ..data.coverage import note_words, records_words
from ..measures.spc import assurance_of_limits
from ..params.measure import Measure
from .data import PageData
from .fragments import Block, Heading, Html, esc
from .measure_chart import measure_chart
from .narrative import comparison_sentence, fmt_value, latest_rows
from .verdict import (
    Judgement,
    assurance_sentence,
    figure_sentence,
    judge,
    reset_sentence,
    trial_note,
    verdict,
)

# --------------------------------------------------------------------------------------------
# Sentences about a measure


def headline_series(page: PageData, measure_id: str) -> str:
    """The series a one-sentence summary is about: the plan's ``headline``, else the total if
    there is one, else the first."""
    measure = page.measure(measure_id)
    names = page.rows(measure_id).sort_values("series_order")["series"].drop_duplicates()
    if (
        measure.series_by
        and measure.headline
        and measure.series_by.label(measure.headline, page.lang) in set(names)
    ):
        return measure.series_by.label(measure.headline, page.lang)
    if measure.series_by and measure.series_by.total in set(names):
        return measure.series_by.total
    return str(names.iloc[0]) if len(names) else measure.series_label


def other_series(page: PageData, measure_id: str) -> list[str]:
    names = page.rows(measure_id).sort_values("series_order")["series"].drop_duplicates()
    headline = headline_series(page, measure_id)
    return [str(n) for n in names if n != headline]


def subject_of(page: PageData, measure_id: str, series: str) -> str:
    """What a sentence about one series of a measure is about: "Part I crimes (Violent crimes)"."""
    measure = page.measure(measure_id)
    names = page.rows(measure_id)["series"].drop_duplicates().tolist()
    if len(names) == 1:
        return measure.short_label
    return page.lang._("{measure} ({series})", measure=measure.short_label, series=series)


def compare(page: PageData, measure_id: str, series: str | None = None) -> str:
    """The quarter of one series in plain sentences, led by the verdict of its process limits:
    within the usual range, or a real change and since when; then the figure, the same period a
    year earlier, and whether the target will be met. A measure the plan does not judge says
    why, then compares the quarter with the previous one and a year earlier."""
    measure = page.measure(measure_id)
    rows = page.rows(measure_id)
    chosen = series or headline_series(page, measure_id)
    subject = subject_of(page, measure_id, chosen)
    mine = rows[rows["series"] == chosen]
    t = page.lang
    if measure.process.chart == "none":
        lead = not_judged(measure, subject, t)
        old = comparison_sentence(
            measure,
            mine,
            page.quarter,
            page.suppressed_text,
            subject=subject,
            lang=t,
            gender=page.gender.get(measure_id, ""),
        )
        return f"{lead} {old}"
    judgement = judge(mine, page.quarter)
    figure = figure_sentence(
        measure, mine, page.quarter, subject, page.suppressed_text, t, named=judgement.judged
    )
    if not judgement.judged:
        return figure
    sentences = [
        verdict(judgement, subject, t.quarter_span(page.quarter), t),
        reset_sentence(judgement, measure, t),
        trial_note(judgement, t),
        figure,
        assurance_sentence(measure, assurance_of(judgement, measure), t),
    ]
    return " ".join(s for s in sentences if s)


def not_judged(measure: Measure, subject: str, t: Language) -> str:
    """Why a measure the plan does not judge by process limits is not judged."""
    return t._(
        "{subject}: not judged against a usual range, because {reason}.",
        subject=subject,
        reason=measure.process.reason,
    )


def assurance_of(judgement: Judgement, measure: Measure) -> str | None:
    """The assurance of the latest judged period's limits against the measure's target."""
    if measure.target is None or not judgement.judged:
        return None
    return assurance_of_limits(measure.target.value, measure.better, judgement.lower, judgement.upper)


def summary(page: PageData, measure_id: str) -> str:
    """The measure in one plain-language sentence (its headline series, for split measures)."""
    rows = page.rows(measure_id)
    measure = page.measure(measure_id)
    t = page.lang
    if measure.chart.type == "bar_latest":
        latest = latest_rows(rows)
        if latest.empty:
            return t._("No data yet.")
        of = measure.value == "numerator" and measure.denominator_label

        def figure(r: object) -> str:
            status = getattr(r, "status", "complete")
            if status in ROW_STATUS:
                return row_status(status, t)
            if r.suppressed:  # type: ignore[attr-defined]
                return page.suppressed_text
            value = fmt_value(measure, r.value, t)  # type: ignore[attr-defined]
            if of:
                return t._("{value} of {total}", value=value, total=fmt_value(measure, r.denominator, t))  # type: ignore[attr-defined]
            return value

        items = [f"{r.series}: {figure(r)}" for r in latest.itertuples()]
        figures = t._(
            "{subject}, {period}: {figures}.",
            subject=measure.short_label,
            period=latest.iloc[0]["period_label"],
            figures="; ".join(items),
        )
        if measure.process.chart == "none":
            return not_judged(measure, measure.short_label, t) + " " + figures
        headline = headline_series(page, measure_id)
        judgement = judge(rows[rows["series"] == headline], page.quarter)
        if not judgement.judged:
            return figures
        subject = subject_of(page, measure_id, headline)
        return verdict(judgement, subject, t.quarter_span(page.quarter), t) + " " + figures
    return compare(page, measure_id, headline_series(page, measure_id))


# --------------------------------------------------------------------------------------------
# Measure blocks: chart, summary, data table, download, about this data


def measure_blocks(page: PageData, measure_id: str, level: int) -> list[Block]:
    measure = page.measure(measure_id)
    parts = [
        *measure_figures(page, measure_id),
        permalink(page, measure),
        about_block(page, measure, page.measure_status(measure_id)),
    ]
    return [Heading(level, measure.caption, measure.anchor), Html("\n".join(parts))]


def measure_figures(
    page: PageData, measure_id: str, lead: str | None = None, figure: str | None = None
) -> list[str]:
    """A measure told: a notice if its data is incomplete, the verdict-led summary and its other
    series, the chart with its source line (or the figure in words), the data table, the CSV.
    ``lead`` and ``figure``: the summary and the chart, when the caller has them already."""
    measure = page.measure(measure_id)
    rows = page.rows(measure_id)
    parts = []
    if page.measure_status(measure_id).status != "current":
        parts.append(incomplete_notice(page, measure))
    lead = summary(page, measure_id) if lead is None else lead
    parts.append(f'<p class="measure-summary">{esc(lead)}</p>')
    others = other_series(page, measure_id)
    if measure.chart.type != "bar_latest" and others:
        items = "".join(f"<li>{esc(compare(page, measure_id, name))}</li>" for name in others)
        parts.append(f'<ul class="measure-series">{items}</ul>')
    figure = figure_html(page, measure_id) if figure is None else figure
    if figure:
        parts.append(figure)
    parts.append(data_table(page, measure, rows))
    parts.append(download_link(page.data_file(measure.id), measure.caption, page.lang))
    return parts


def figure_html(page: PageData, measure_id: str) -> str:
    """The measure's chart with its source and date, its figure in words for a callout, or ""."""
    measure = page.measure(measure_id)
    rows = page.rows(measure_id)
    chart = measure_chart(measure, rows, page.suppressed_text, lang=page.lang)
    if chart:
        source = page.settings.sources.sources[measure.source]
        through = page.measure_status(measure_id).data_through
        return (
            f'<figure class="measure-figure">{chart.img_tag()}<figcaption>'
            f"{source_line(source.title, source.publisher, through, page.lang)}"
            "</figcaption></figure>"
        )
    if measure.chart.type == "callout":
        return callout(page, measure, rows, on_card=False)
    return ""


def permalink(page: PageData, measure: Measure) -> str:
    """The link to the measure's own page: its permanent address, data, metadata and embed."""
    text = page.lang._("This measure's own page: its data, metadata and chart to embed")
    href = f"{page.site_page.root}measures/{measure.id}.html"
    link = f'<a href="{esc(href)}">{esc(text)}{hidden(" (" + measure.caption + ")")}</a>'
    return f'<p class="measure-permalink">{link}</p>'


def source_line(title: str, publisher: str, data_through: str, lang: Language) -> str:
    """What a figure's caption adds to its heading: where the numbers come from, and how recent."""
    return esc(
        lang._(
            "Source: {source}, {publisher}. Data through {date}.",
            source=title,
            publisher=publisher,
            date=lang.date(data_through),
        )
    )


def hidden(text: str) -> str:
    """Words for screen readers only: they give a repeated link or button its own name."""
    lead = " " if text[:1].isspace() else ""
    return f'<span class="visually-hidden">{lead}{esc(text)}</span>'


def download_link(href: str, caption: str, lang: Language) -> str:
    label = lang._("Download the data (CSV)")
    which = lang._("for {caption}", caption=caption)
    link = f'<a href="{esc(href)}" download>{esc(label)}{hidden(" " + which)}</a>'
    return f'<p class="measure-download">{link}</p>'


def text_table(caption: str, head: list[str], body: list[list[str]], caption_class: str = "") -> str:
    """A table of escaped text, left alone by Quarto; the first cell of each row is its row
    header."""
    header = "".join(f'<th scope="col">{esc(c)}</th>' for c in head)
    rows = "".join(
        f'<tr><th scope="row">{esc(cells[0])}</th>'
        + "".join(f"<td>{esc(c)}</td>" for c in cells[1:])
        + "</tr>"
        for cells in body
    )
    shown = f' class="{esc(caption_class)}"' if caption_class else ""
    return (
        '<table class="table table-sm" data-quarto-disable-processing="true">'
        f"<caption{shown}>{esc(caption)}</caption>"
        f"<thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"
    )


def details_table(
    caption: str, table_caption: str, head: list[str], body: list[list[str]], lang: Language
) -> str:
    """A collapsible data table. The caption is for screen readers: sighted readers see the
    heading just above."""
    name = lang._("Data table")
    return (
        f'<details class="measure-table"><summary>{esc(name)}{hidden(f": {caption}")}'
        f'</summary><div class="table-responsive" tabindex="0" role="region" '
        f'aria-label="{esc(name)}: {esc(caption)}">'
        + text_table(table_caption, head, body, "visually-hidden")
        + "</div></details>"
    )


def coverage_words(coverage: CoverageRecord, lang: Language) -> str:
    """A source's coverage of the quarter in plain words, gaps included."""
    t = lang
    words = records_words(coverage.covered, coverage.expected, coverage.unit, t)
    gaps = coverage.gaps
    if gaps:
        spans = [
            t.date(a) if a == b else t._("{first} to {last}", first=t.date(a), last=t.date(b))
            for a, b in gaps[:3]
        ]
        more = t.n_(" and {n} more gap", " and {n} more gaps", len(gaps) - 3) if len(gaps) > 3 else ""
        words = t._(
            "{records}; no records (or far fewer than usual) {spans}{more}",
            records=words,
            spans="; ".join(spans),
            more=more,
        )
    return words


def incomplete_notice(page: PageData, measure: Measure) -> str:
    """The warning shown above a measure whose source does not cover the whole quarter."""
    t = page.lang
    coverage = page.publication.sources.get(measure.source)
    source = page.settings.sources.sources[measure.source]
    detail = f" {esc(source.title)}: {esc(coverage_words(coverage, t))}." if coverage else ""
    heading = t._("Incomplete data this quarter.")
    return (
        f'<p class="measure-stale"><strong>{esc(heading)}</strong>'
        f"{detail} "
        + esc(
            t._(
                "Figures for periods with gaps are marked, and are not compared with other periods; "
                "this measure will be updated when complete data arrives."
            )
        )
        + "</p>"
    )


ROW_STATUS = ("missing", "not_available")


def row_status(status: str, lang: Language) -> str:
    """What a table cell says instead of a number that was not measured."""
    return lang._("no data") if status == "missing" else lang._("not available")


def data_table(page: PageData, measure: Measure, rows: pd.DataFrame) -> str:
    t = page.lang
    columns = [t._("Period"), t._("Series"), measure.value_label]
    show_numerator = bool(measure.numerator_label) and measure.value != "numerator"
    if show_numerator:
        columns.append(str(measure.numerator_label))
    if measure.denominator_label:
        columns.append(measure.denominator_label)
    count_measure = measure.model_copy(update={"unit": "count", "decimals": 0})
    statuses = rows["status"] if "status" in rows else pd.Series("complete", index=rows.index)
    flagged = bool(statuses.ne("complete").any())
    if flagged:
        columns.append(t._("Data"))
    body = []
    for row in rows.sort_values(["period_end", "period_start", "series_order"]).itertuples():
        status = getattr(row, "status", "complete")
        if status in ROW_STATUS:
            values = [row_status(status, t)] + [""] * (len(columns) - 3 - flagged)
        elif row.suppressed:
            hidden = (
                page.suppressed_text
                if row.suppression != "secondary"
                else t._("hidden (protects a smaller number)")
            )
            values = [hidden] + [""] * (len(columns) - 3 - flagged)
        else:
            values = [fmt_value(measure, row.value, t)]
            if show_numerator:
                values.append(fmt_value(count_measure, row.numerator, t))
            if measure.denominator_label:
                values.append(fmt_value(count_measure, row.denominator, t))
        if flagged:
            values.append(t._("complete") if status == "complete" else note_words(str(row.status_note), t))
        body.append([str(row.period_label), str(row.series), *values])
    table_caption = t._("{caption}, by {grain}", caption=measure.caption, grain=grain_words(measure.grain, t))
    return details_table(measure.caption, table_caption, columns, body, t)


def grain_words(grain: str, lang: Language) -> str:
    """The period a table has a row for: "month", "quarter"..."""
    return {
        "month": lang._("month"),
        "quarter": lang._("quarter"),
        "calendar_year": lang._("calendar year"),
        "fiscal_year": lang._("fiscal year"),
        "rolling_12_months": lang._("rolling 12 months"),
    }[grain]


def about_block(page: PageData, measure: Measure, info: MeasureRecord) -> str:
    """ "About this data", collapsed under a measure's part of a page."""
    about = page.lang._("About this data")
    return (
        f'<details class="measure-about"><summary>{esc(about)}'
        f"{hidden(f': {measure.caption}')}</summary>{about_list(page, measure, info)}</details>"
    )


def about_list(page: PageData, measure: Measure, info: MeasureRecord, full: bool = False) -> str:
    """What a measure is and how it is made, as a definition list; ``full`` (a measure's own
    page) adds its unit and the source's description."""
    t = page.lang
    source = page.settings.sources.sources[measure.source]
    rules = page.settings.privacy
    caveats = "".join(f"<li>{esc(c)}</li>" for c in measure.caveats or [t._("None known.")])
    privacy = {
        "aggregate": t._("Counts no individual people."),
        "people": t._(
            "Counts people: numbers from 1 to {last} are shown as \u201c{hidden}\u201d, and so is "
            "anything calculated from them.",
            last=rules.floor - 1,
            hidden=page.suppressed_text,
        ),
        "person_events": t._(
            "Counts events involving people: numbers from 1 to {last} are shown as \u201c{hidden}\u201d.",
            last=rules.floor - 1,
            hidden=page.suppressed_text,
        ),
    }[measure.privacy]
    target = f"{measure.target.label} ({measure.target.source})" if measure.target else t._("No target set.")
    source_text = f"{source.title} ({source.publisher})" + (f". {source.description}" if full else "")

    def item(term: str, text: str) -> str:
        return f"<dt>{esc(term)}</dt><dd>{esc(text)}</dd>"

    return (
        '<dl class="measure-facts">'
        + item(t._("Definition"), measure.definition)
        + item(t._("How it is calculated"), measure.method)
        + (item(t._("Unit"), measure.value_label) if full else "")
        + item(t._("Source"), source_text)
        + item(t._("Target"), target)
        + item(t._("Is the change real?"), judged_how(measure, t))
        + "<dt>"
        + esc(t._("Things to know"))
        + f"</dt><dd><ul>{caveats}</ul></dd>"
        + item(t._("Privacy"), privacy)
        + item(t._("Data through"), t.date(info.data_through))
        + item(t._("Data as of"), t.date(page.params.data_as_of))
        + item(t._("Next update"), t._("Expected by {date}", date=t.date(page.params.next_update)))
        + "</dl>"
    )


def judged_how(measure: Measure, t: Language) -> str:
    """How the measure's changes are judged, in plain words, with the changes that reset limits."""
    if measure.process.chart == "none":
        return t._("Not judged against a usual range, because {reason}.", reason=measure.process.reason)
    how = t._(
        "Each figure is compared with the usual range of all the figures, not only with one earlier "
        "figure. A figure outside that range, or a long run on one side of the average, is a real "
        "change."
    )
    resets = [
        t._("The usual range starts again from {date}: {reason}.", date=t.date(c.date), reason=c.reason)
        for c in measure.process.changes
    ]
    return " ".join([how, *resets])


def callout(page: PageData, measure: Measure, rows: pd.DataFrame, on_card: bool = True) -> str:
    """The figure in words and one big number; on a card, with the period and definition (on an
    objective page those are in the summary sentence and "About this data")."""
    t = page.lang
    latest = latest_rows(rows)
    if latest.empty:
        empty = t._("{caption}: no data yet.", caption=measure.caption)
        return f'<p class="callout-figure">{esc(empty)}</p>'
    row = latest.iloc[0]
    if row.get("status") in ROW_STATUS:
        return (
            f'<p class="callout-figure">{esc(measure.caption)}: {esc(note_words(row["status_note"], t))}.</p>'
        )
    if row["suppressed"]:
        return (
            '<p class="callout-figure">'
            + esc(
                t._(
                    "{caption}: hidden this quarter to protect privacy (the group is {count} people).",
                    caption=measure.caption,
                    count=page.suppressed_text,
                )
            )
            + "</p>"
        )
    share = measure.familiar.top_share_percent if measure.familiar else None
    if share is not None:
        decimals = len(f"{share:g}".partition(".")[2])
        first = t._("{share} of neighbors served", share=t.percent(share, decimals))
    else:
        first = measure.caption
    before = t._("{who} make up", who=first)
    if measure.denominator_label:
        after = t._("of {what}", what=measure.denominator_label.lower())
    else:
        after = t._("of the total")
    figure = (
        f'<p class="callout-figure"><span class="callout-line">{esc(before)}</span> '
        f'<span class="callout-number">{esc(fmt_value(measure, row["value"], t))}</span> '
        f'<span class="callout-line">{esc(after)}'
        "</span></p>"
    )
    if not on_card:
        return figure
    return figure + f'<p class="card-summary">{esc(row["period_label"])}. {esc(measure.definition)}</p>'
