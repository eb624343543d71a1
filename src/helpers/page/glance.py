"""At a glance: every measure of the plan on the goal page, each with its variation icon (is the
latest change real?), its assurance icon where it has a target (will the target be met?), its
latest value and how recent its data is, linked to where the report shows it."""

from __future__ import annotations

import pandas as pd

from ..core.language import N_, Language
from ..params.measure import Measure
from ..params.pages import Place, where_shown
from .data import PageData
from .fragments import Block, Fragment, Heading, Html, esc, para
from .icons import assurance_icon, variation_icon
from .narrative import fmt_value
from .parts import ROW_STATUS, assurance_of, headline_series, row_status
from .verdict import Judgement, judge

VARIATION = {
    "common_cause": N_("Usual variation"),
    "special_cause_improvement": N_("Real change: better"),
    "special_cause_concern": N_("Real change: worse"),
    "special_cause_neutral_high": N_("Real change: higher"),
    "special_cause_neutral_low": N_("Real change: lower"),
}
ASSURANCE = {
    "consistent_pass": N_("Target will be met"),
    "consistent_fail": N_("Target will be missed"),
    "inconsistent": N_("Target met some of the time"),
}


def at_a_glance(page: PageData) -> Fragment:
    t = page.lang
    head = [t._("Measure"), t._("Is the change real?"), t._("Target"), t._("Latest"), t._("Data through")]
    header = "".join(f'<th scope="col" role="columnheader">{esc(c)}</th>' for c in head)
    places = where_shown(page.settings)
    body = "".join(_row(page, measure, places[measure.id], head) for measure in page.settings.plan.measures)
    caption = t._("Every measure at a glance, {period}", period=t.quarter_long(page.quarter))
    region = t._("Every measure at a glance")
    table = (
        f'<div class="table-responsive at-a-glance" tabindex="0" role="region" aria-label="{esc(region)}">'
        # explicit roles: on phones the rows are shown as cards, which must stay a table to
        # screen readers
        '<table class="table table-sm" role="table" data-quarto-disable-processing="true">'
        f'<caption class="visually-hidden">{esc(caption)}</caption>'
        f'<thead role="rowgroup"><tr role="row">{header}</tr></thead>'
        f'<tbody role="rowgroup">{body}</tbody></table></div>'
    )
    blocks: list[Block] = [
        Heading(2, t._("At a glance"), "at-a-glance"),
        para(
            t._(
                "Most ups and downs are the usual variation of the work. A figure outside its usual "
                "range, or a run of figures on one side of it, is a real change. H means higher than "
                "usual and L lower. Blue is better, orange is worse, and purple is neither."
            )
        ),
        Html(table),
    ]
    return Fragment(blocks)


def _row(page: PageData, measure: Measure, place: Place, head: list[str]) -> str:
    t = page.lang
    rows = page.rows(measure.id)
    headline = headline_series(page, measure.id)
    mine = rows[rows["series"] == headline]
    judgement = judge(mine, page.quarter) if measure.process.chart != "none" else Judgement(False, None)
    target = f"{place.page}#{place.anchor}" if place.anchor else place.page
    link = f'<a href="{esc(target)}">{esc(measure.caption)}</a>'
    cells = [
        _variation(measure, judgement, t),
        _assurance(measure, judgement, t),
        esc(_latest(page, measure, mine)),
        esc(t.date(page.measure_status(measure.id).data_through)),
    ]
    # data-label names each cell on phones, where the header row is not shown
    tds = "".join(
        f'<td role="cell" data-label="{esc(label)}">{cell}</td>' for label, cell in zip(head[1:], cells)
    )
    return f'<tr role="row"><th scope="row" role="rowheader">{link}</th>{tds}</tr>'


def _variation(measure: Measure, judgement: Judgement, t: Language) -> str:
    if measure.process.chart == "none":
        words = t._("Not judged")
        return variation_icon(None, "", words) + f" <span>{esc(words)}</span>"
    if not judgement.judged or judgement.point_type is None:
        words = t._("Not judged this quarter")
        return variation_icon(None, "", words) + f" <span>{esc(words)}</span>"
    words = t._(VARIATION[judgement.point_type])
    high = judgement.side > 0 if judgement.signal else True
    # the letters the explanation above the table names
    letter = t.p_("icon letter", "H") if high else t.p_("icon letter", "L")
    return variation_icon(judgement.point_type, letter, words) + f" <span>{esc(words)}</span>"


def _assurance(measure: Measure, judgement: Judgement, t: Language) -> str:
    if measure.target is None:
        none = t._("No target set")
        return f"<span>{esc(none)}</span>"
    kind = assurance_of(judgement, measure)
    if kind is None:
        unjudged = t._("Not judged")
        return f"<span>{esc(unjudged)}</span>"
    words = t._(ASSURANCE[kind])
    letter = {
        "consistent_pass": t.p_("icon letter", "P"),
        "consistent_fail": t.p_("icon letter", "F"),
        "inconsistent": "?",
    }[kind]
    return assurance_icon(kind, letter, words) + f" <span>{esc(words)} ({esc(measure.target.label)})</span>"


def _latest(page: PageData, measure: Measure, rows: pd.DataFrame) -> str:
    t = page.lang
    if rows.empty:
        return t._("No data yet.")
    latest = rows.sort_values(["period_end", "period_start"]).iloc[-1]
    status = latest.get("status", "complete")
    if status in ROW_STATUS:
        figure = row_status(str(status), t)
    elif latest["suppressed"]:
        figure = page.suppressed_text
    else:
        figure = fmt_value(measure, float(latest["value"]), t)
    return t._("{value} in {period}", value=figure, period=latest["period_label"])
