"""The City's "tell the story with data" format, built as fragments from a page's data.

Goal page: introduction, context data that sets the stage, the status legend, and one card per
initiative under each objective. Objective pages: for each initiative its status, Description, Key
Measures & Data Analysis (each measure told by ``helpers.measure_parts``), Why is it important?,
What have we been doing? and What's next?. About the data: definitions, sources, coverage and
privacy rules.

Everything here reads a ``PageData`` (``helpers.page.data``) and returns ``Fragment`` objects; text from
the plan, the quarter file or the data is escaped by the fragment blocks.
"""

from __future__ import annotations

from ..core.language import Language, pending_html
from ..core.templates import fill
from ..params.pages import objective_page, report_pages, where_shown
from ..params.plan import Initiative, Objective
from .data import PageData
from .fragments import Block, Fragment, Heading, Html, Quote, Strong, esc, para
from .icons import status_icon
from .measure_chart import measure_chart
from .narrative import narrative_blocks
from .parts import (
    about_block,
    callout,
    compare,
    coverage_words,
    headline_series,
    hidden,
    measure_blocks,
    text_table,
)


def sample_banner(lang: Language) -> str:
    """The notice at the top of every page and embed built from the sample data."""
    # A div, not an <aside>: Quarto moves asides into the margin column, away from the content.
    notice, heading = lang._("Sample data notice"), lang._("Sample data.")
    text = lang._(
        "This report was built from synthetic sample data to show how the report works. "
        "The figures are not City of Durham records."
    )
    return pending_html(
        f'<div class="sample-data-banner" role="note" aria-label="{esc(notice)}"><p><strong>'
        f"{esc(heading)}</strong> {esc(text)}</p></div>"
    )


def badge(status_label: str, status_id: str, icon: str, lang: Language) -> str:
    """A status shown with a symbol and a word, never by colour alone."""
    status = lang._("Status:")
    return (
        f'<span class="status-badge status-{esc(status_id)}">'
        f"{status_icon(icon, status_label)} "
        f'<span class="visually-hidden">{esc(status)} </span>{esc(status_label)}</span>'
    )


def reporting_line(page: PageData) -> Block:
    """When the data was taken and when the next report is due (the period is the subtitle)."""
    t = page.lang
    return para(
        Strong(t._("Data as of:")),
        f" {t.date(page.params.data_as_of)}. ",
        Strong(t._("Next update:")),
        " " + t._("expected by {date}.", date=t.date(page.params.next_update)),
        css_class="reporting-period",
    )


def header(page: PageData) -> Fragment:
    return Fragment([reporting_line(page)])


# --------------------------------------------------------------------------------------------
# Goal page


def goal_intro(page: PageData) -> Fragment:
    t = page.lang
    goal = page.settings.plan.goal
    # The goal statement is the page's description, shown under its title by Quarto.
    blocks: list[Block] = [reporting_line(page), para(goal.framing)]
    if page.params.highlights:
        blocks += [Heading(2, t._("This quarter"), "this-quarter"), para(page.params.highlights)]
    blocks += [Heading(2, t._("Why this matters"), "why-this-matters"), para(goal.why_this_matters)]
    return Fragment(blocks)


def context(page: PageData) -> Fragment:
    t = page.lang
    blocks: list[Block] = [
        Heading(2, t._("Setting the stage"), "setting-the-stage"),
        para(t._("These measures show the conditions every initiative works in.")),
    ]
    for measure_id in page.settings.plan.goal.context_measures:
        blocks += measure_blocks(page, measure_id, level=3)
    overview = next((p for p in report_pages(page.settings) if p.kind == "districts"), None)
    if overview is not None:
        link = f'<a href="{esc(page.site_page.root + overview.html)}">{esc(overview.title)}</a>'
        words = esc(
            t._(
                "These figures are for the whole city. The page {link} shows the calls recorded in "
                "each district.",
                link="{link}",
            )
        )
        blocks.append(Html(f'<p class="districts-link">{fill(words, {"link": link})}</p>'))
    return Fragment(blocks)


def status_legend(page: PageData) -> Fragment:
    t = page.lang
    items = "".join(
        f"<li>{badge(s.label, s.id, s.icon, t)} <span>{esc(s.description)}</span></li>"
        for s in page.settings.plan.statuses
    )
    return Fragment(
        [
            Heading(2, t._("Status of initiatives"), "status-legend"),
            para(t._("Each initiative shows one of three statuses, with a symbol and a word:")),
            Html(f'<ul class="status-legend">{items}</ul>'),
        ]
    )


def objective_cards(page: PageData, objective_id: str) -> Fragment:
    objective = page.settings.plan.objective(objective_id)
    cards = "".join(_card(page, objective, i) for i in objective.initiatives)
    return Fragment(
        [
            Heading(
                2,
                page.lang._("Objective {id}: {title}", id=objective.id, title=objective.title),
                objective.anchor,
            ),
            para(objective.summary),
            Html(f'<div class="initiative-cards">{cards}</div>'),
        ]
    )


def _card(page: PageData, objective: Objective, initiative: Initiative) -> str:
    t = page.lang
    status = page.settings.plan.status(page.params.initiatives[initiative.id].status)
    heading_id = initiative.card_anchor
    card = initiative.card
    if card.style != "none" and card.measure:
        measure = page.measure(card.measure)
        rows = page.rows(card.measure)
        if card.style == "callout":
            body = callout(page, measure, rows)
        else:
            headline = headline_series(page, card.measure)
            chart = measure_chart(
                measure, rows, page.suppressed_text, compact=True, headline=headline, lang=t
            )
            body = (
                f'<p class="card-measure">{esc(measure.caption)}</p>'
                + (chart.img_tag("card-chart") if chart else "")
                + f'<p class="card-summary">{esc(compare(page, card.measure))}</p>'
            )
    else:
        body = f'<p class="card-note">{esc(initiative.no_measure_note or "")}</p>'
    link = f"{objective_page(page.settings, objective.id).html}#{initiative.anchor}"
    number = t._("Initiative {id}", id=initiative.id)
    more, about = t._("Learn more"), t._("about initiative {id}", id=initiative.id)
    return (
        f'<article class="initiative-card" aria-labelledby="{heading_id}">'
        f'<h3 id="{heading_id}"><span class="initiative-number">{esc(number)}'
        f"</span> {esc(initiative.title)}</h3>"
        f'<p class="card-status">{badge(status.label, status.id, status.icon, t)}</p>'
        f"{body}"
        f'<p class="card-link"><a href="{esc(link)}">{esc(more)}{hidden(" " + about)}</a></p>'
        "</article>"
    )


# --------------------------------------------------------------------------------------------
# Objective pages


def objective_intro(page: PageData) -> Fragment:
    # The objective's summary is the page's description, shown under its title by Quarto.
    return Fragment([reporting_line(page)])


def _initiative(page: PageData, initiative_id: str) -> Initiative:
    initiative = page.settings.plan.initiative(initiative_id)
    if initiative.id not in page.params.initiatives:
        raise KeyError(f"initiative {initiative_id} is not on the {page.page} page")
    return initiative


def initiative_intro(page: PageData, initiative_id: str) -> Fragment:
    t = page.lang
    initiative = _initiative(page, initiative_id)
    status = page.settings.plan.status(page.params.initiatives[initiative.id].status)
    return Fragment(
        [
            Heading(2, f"{initiative.id} {initiative.title}", initiative.anchor),
            Html(f'<p class="initiative-status">{badge(status.label, status.id, status.icon, t)}</p>'),
            Heading(3, t._("Description")),
            para(initiative.description),
        ]
    )


def key_measures(page: PageData, initiative_id: str) -> Fragment:
    initiative = _initiative(page, initiative_id)
    t = page.lang
    update = page.params.initiatives[initiative.id]
    blocks: list[Block] = [Heading(3, t._("Key Measures & Data Analysis"))]
    if update.analysis:
        blocks.append(para(update.analysis))
    if not initiative.measures:
        blocks.append(para(initiative.no_measure_note or ""))
    for fact in initiative.context_facts:
        blocks.append(Quote(fact.text, t._("Source: {source}", source=fact.source)))
    for measure_id in initiative.measures:
        blocks += measure_blocks(page, measure_id, level=4)
    return Fragment(blocks)


def initiative_outro(page: PageData, initiative_id: str) -> Fragment:
    initiative = _initiative(page, initiative_id)
    update = page.params.initiatives[initiative.id]
    t = page.lang
    return Fragment(
        [
            Heading(3, t._("Why is it important?")),
            para(initiative.why_important),
            Heading(3, t._("What have we been doing?")),
            *narrative_blocks(update.what_we_have_been_doing),
            Heading(3, t._("What's next?")),
            *narrative_blocks(update.whats_next),
        ]
    )


# --------------------------------------------------------------------------------------------
# About the data


def coverage_section(page: PageData) -> list[Block]:
    """How completely each source covers the quarter, and the rows dropped on purpose."""
    t = page.lang
    coverage = page.publication.sources
    if not coverage:
        return []
    sources = page.settings.sources.sources
    verdicts = {"complete": t._("Complete"), "partial": t._("Incomplete"), "missing": t._("No records")}
    body = []
    for name, info in coverage.items():
        skipped = {f: n for f, n in info.skipped_rows.items() if n}
        left_out = t.join(
            t.n_("{count} empty row in {file}", "{count} empty rows in {file}", n, count=t.number(n), file=f)
            for f, n in sorted(skipped.items())
        ) or t._("none")
        body.append([sources[name].title, verdicts[info.status], coverage_words(info, t), left_out])
    head = [t._("Source"), t._("This quarter"), t._("Records"), t._("Rows left out")]
    title = t._("Data coverage this quarter")
    caption = t._("Data coverage, {period}", period=t.quarter_long(page.quarter))
    table = (
        f'<div class="table-responsive" tabindex="0" role="region" aria-label="{esc(title)}">'
        + text_table(caption, head, body)
        + "</div>"
    )
    explained = [para(text) for text in page.settings.prose.paragraphs("coverage")]
    return [Heading(2, title, "coverage"), *explained, Html(table)]


def about_the_data(page: PageData) -> Fragment:
    t = page.lang
    prose, rules = page.settings.prose, page.settings.privacy
    privacy = prose.paragraphs(
        "privacy", last=rules.floor - 1, hidden=page.suppressed_text, people=rules.concentration_floor
    )
    blocks: list[Block] = [
        reporting_line(page),
        Heading(2, t._("How to read this report"), "how-to-read"),
        *(para(text) for text in prose.paragraphs("how_to_read")),
        Heading(2, t._("Privacy"), "privacy"),
        *(para(text) for text in privacy),
        Heading(2, t._("Measures"), "measures"),
        *_measures_explained(page),
        Heading(2, t._("Sources"), "sources"),
    ]
    for name, source in page.settings.sources.sources.items():
        blocks.append(Heading(3, source.title, f"source-{name.replace('_', '-')}"))
        described = t._(
            "{description} Published by {publisher}.",
            description=source.description,
            publisher=source.publisher,
        )
        blocks.append(para(described))
    blocks += coverage_section(page)
    blocks.append(Heading(2, t._("Fiscal years"), "fiscal-years"))
    blocks += [para(text) for text in prose.paragraphs("fiscal_years")]
    return Fragment(blocks)


def _measures_explained(page: PageData) -> list[Block]:
    """Each measure of the plan: where it is shown, its download, and "About this data"."""
    t = page.lang
    where = where_shown(page.settings)
    blocks: list[Block] = []
    for measure in page.settings.plan.measures:
        info = page.measure_status(measure.id)
        place = where[measure.id]
        blocks.append(Heading(3, measure.caption, f"about-{measure.anchor}"))
        shown, download = t._("Shown in"), t._("Download the data (CSV)")
        which = t._("for {caption}", caption=measure.caption)
        blocks.append(
            Html(
                f'<p>{esc(shown)} <a href="{esc(place.page)}#{esc(place.anchor)}">{esc(place.label)}'
                f"{hidden(f', {measure.caption}')}</a>. "
                f'<a href="data/{esc(measure.id)}.csv" download>{esc(download)}{hidden(" " + which)}</a>.</p>'
                + about_block(page, measure, info)
            )
        )
    return blocks
