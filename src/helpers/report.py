"""What notebooks call: one ``Page`` per web page, rendering the City's story format.

A notebook opens its page with ``open_page`` and then, cell by cell, asks for the parts of the
template: goal introduction, context data, status legend, objective cards, and for each initiative
its status, Description, Key Measures & Data Analysis, Why is it important?, What have we been
doing? and What's next?. Each call returns Markdown (with raw HTML blocks for figures and tables)
that Quarto places on the page as written (cells carry ``#| output: asis``).

A page may read only the measures the plan assigns to it, and only its part of the quarter's
parameters; that is what lets the runner skip a notebook whose inputs did not change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import Markdown

from .charts import measure_chart
from .narrative import (
    comparison_sentence,
    esc,
    fmt_date,
    fmt_value,
    latest_rows,
    md,
    paragraphs,
)
from .pages import ABOUT_PAGE, GOAL_PAGE, page_measures, page_params
from .paths import ProjectPaths
from .periods import FiscalQuarter
from .plan import Initiative, Measure, Objective
from .quarters import PUBLICATION, QuarterParams, load_quarter
from .settings import Settings, load_settings


class UndeclaredMeasure(KeyError):
    pass


def _raw_html(content: str) -> str:
    return f"\n```{{=html}}\n{content}\n```\n"


def _badge(status_label: str, status_id: str, icon: str) -> str:
    return (
        f'<span class="status-badge status-{esc(status_id)}">'
        f'<span class="status-icon" aria-hidden="true">{esc(icon)}</span> '
        f'<span class="visually-hidden">Status: </span>{esc(status_label)}</span>'
    )


@dataclass
class Page:
    settings: Settings
    page: str
    quarter: FiscalQuarter
    params: QuarterParams
    publication: dict[str, Any]

    # ---------------------------------------------------------------- data access

    @cached_property
    def allowed(self) -> list[str]:
        return page_measures(self.settings, self.page)

    def measure(self, measure_id: str) -> Measure:
        return self.settings.plan.measure(measure_id)

    def table(self, measure_id: str) -> pd.DataFrame:
        """The privacy-gated rows of a measure this page declares."""
        if measure_id not in self.allowed:
            raise UndeclaredMeasure(
                f"The {self.page} page reads measure '{measure_id}', which params/plan.yml does "
                f"not assign to it (it may read: {', '.join(self.allowed) or 'no measures'}). "
                "Add the measure to one of the page's initiatives, so the runner re-runs this "
                "notebook when that measure changes."
            )
        return self._tables[measure_id]

    @cached_property
    def _tables(self) -> dict[str, pd.DataFrame]:
        folder = self.settings.paths.quarter_dir(self.quarter.id) / "measures"
        out = {}
        for measure_id in self.allowed:
            path = folder / f"{measure_id}.parquet"
            if not path.exists():
                raise FileNotFoundError(
                    f"{path} is missing: run `python -m helpers measures --quarter "
                    f"{self.quarter.id}` (or `make report`) before running this notebook."
                )
            frame = pd.read_parquet(path)
            for column in ("period_start", "period_end"):
                frame[column] = pd.to_datetime(frame[column]).dt.date
            out[measure_id] = frame
        return out

    @property
    def sample(self) -> bool:
        return bool(self.publication.get("sample_data"))

    @property
    def suppressed_text(self) -> str:
        return self.settings.privacy.suppressed_text

    def measure_status(self, measure_id: str) -> dict[str, Any]:
        return self.publication["measures"][measure_id]

    # ---------------------------------------------------------------- small pieces

    def say(self, text: str) -> Markdown:
        """An analyst's own sentence, escaped."""
        return Markdown("\n" + md(text) + "\n")

    def compare(self, measure_id: str, series: str | None = None) -> str:
        """This quarter against the previous quarter and a year earlier, as a sentence."""
        measure = self.measure(measure_id)
        rows = self.table(measure_id)
        names = rows.sort_values("series_order")["series"].drop_duplicates().tolist()
        chosen = series or self.headline_series(measure_id)
        subject = measure.short_label if len(names) == 1 else f"{measure.short_label}, {chosen}"
        return comparison_sentence(
            measure, rows[rows["series"] == chosen], self.quarter, self.suppressed_text, subject=subject
        )

    def reporting_line(self) -> str:
        return (
            f"**Reporting period:** {md(self.quarter.long_label)}. "
            f"**Data as of:** {md(fmt_date(self.params.data_as_of))}. "
            f"**Next update:** expected by {md(fmt_date(self.params.next_update))}."
        )

    def header(self) -> Markdown:
        return Markdown(
            "\n" + _raw_html(f'<p class="reporting-period">{_strip_md(self.reporting_line())}</p>')
        )

    # ---------------------------------------------------------------- goal page

    def goal_intro(self) -> Markdown:
        goal = self.settings.plan.goal
        blocks = [
            _raw_html(f'<p class="reporting-period">{_strip_md(self.reporting_line())}</p>'),
            f"[{md(goal.statement)}]{{.goal-statement}}",
            md(goal.framing),
        ]
        if self.params.highlights:
            blocks += ["## This quarter {#this-quarter}", md(self.params.highlights)]
        blocks += ["## Why this matters {#why-this-matters}", md(goal.why_this_matters)]
        return Markdown("\n\n".join(blocks) + "\n")

    def context(self) -> Markdown:
        plan = self.settings.plan
        blocks = [
            "## Setting the stage {#setting-the-stage}",
            md("These measures show the conditions every initiative works in."),
        ]
        for measure_id in plan.goal.context_measures:
            blocks.append(self._measure_block(measure_id, level=3))
        return Markdown("\n\n".join(blocks) + "\n")

    def status_legend(self) -> Markdown:
        items = "".join(
            f"<li>{_badge(s.label, s.id, s.icon)} <span>{esc(s.description)}</span></li>"
            for s in self.settings.plan.statuses
        )
        return Markdown(
            "\n## Status of initiatives {#status-legend}\n\n"
            + md("Each initiative shows one of three statuses, with a symbol and a word:")
            + "\n"
            + _raw_html(f'<ul class="status-legend">{items}</ul>')
        )

    def objective_cards(self, objective_id: str) -> Markdown:
        objective = self.settings.plan.objective(objective_id)
        anchor = "objective-" + objective.id.replace(".", "-")
        cards = "".join(self._card(objective, i) for i in objective.initiatives)
        return Markdown(
            f"\n## Objective {md(objective.id)}: {md(objective.title)} {{#{anchor}}}\n\n"
            f"{md(objective.summary)}\n" + _raw_html(f'<div class="initiative-cards">{cards}</div>')
        )

    def _card(self, objective: Objective, initiative: Initiative) -> str:
        status = self.settings.plan.status(self.params.initiatives[initiative.id].status)
        heading_id = f"card-{initiative.id.replace('.', '-')}"
        body = ""
        card = initiative.card
        if card.style != "none" and card.measure:
            measure = self.measure(card.measure)
            rows = self.table(card.measure)
            if card.style == "callout":
                body = self._callout(measure, rows)
            else:
                chart = measure_chart(measure, rows, self.suppressed_text, compact=True)
                sentence = self.compare(card.measure)
                body = (
                    f'<p class="card-measure">{esc(measure.caption)}</p>'
                    + (chart.img_tag("card-chart") if chart else "")
                    + f'<p class="card-summary">{esc(sentence)}</p>'
                )
        else:
            body = f'<p class="card-note">{esc(initiative.no_measure_note or "")}</p>'
        link = f"{objective.page}.html#{initiative.anchor}"
        return (
            f'<article class="initiative-card" aria-labelledby="{heading_id}">'
            f'<h3 id="{heading_id}"><span class="initiative-number">Initiative {esc(initiative.id)}'
            f"</span> {esc(initiative.title)}</h3>"
            f'<p class="card-status">{_badge(status.label, status.id, status.icon)}</p>'
            f"{body}"
            f'<p class="card-link"><a href="{esc(link)}">Learn more'
            f'<span class="visually-hidden"> about initiative {esc(initiative.id)}</span></a></p>'
            "</article>"
        )

    def _callout(self, measure: Measure, rows: pd.DataFrame) -> str:
        latest = latest_rows(rows)
        familiar = measure.familiar
        if latest.empty:
            return f'<p class="callout-figure">{esc(measure.caption)}: no data yet.</p>'
        row = latest.iloc[0]
        window = esc(row["period_label"])
        if row["suppressed"]:
            return (
                f'<p class="callout-figure">{esc(measure.caption)}: hidden this quarter to '
                f"protect privacy (the group is {esc(self.suppressed_text)} people).</p>"
            )
        share = familiar.top_share_percent if familiar else None
        first = f"{share:g}% of neighbors served" if share is not None else esc(measure.caption)
        return (
            f'<p class="callout-figure"><span class="callout-line">{esc(first)} make up</span> '
            f'<span class="callout-number">{esc(fmt_value(measure, row["value"]))}</span> '
            f'<span class="callout-line">of {esc(measure.denominator_label or "the total").lower()}'
            f'</span></p><p class="card-summary">{window}. {esc(measure.definition)}</p>'
        )

    # ---------------------------------------------------------------- objective pages

    def objective_intro(self) -> Markdown:
        objective = self.settings.plan.objective(self.page)
        return Markdown(
            "\n"
            + _raw_html(f'<p class="reporting-period">{_strip_md(self.reporting_line())}</p>')
            + "\n"
            + md(objective.summary)
            + "\n"
        )

    def initiative_intro(self, initiative_id: str) -> Markdown:
        initiative = self._initiative(initiative_id)
        status = self.settings.plan.status(self.params.initiatives[initiative.id].status)
        return Markdown(
            f"\n## {md(initiative.id)} {md(initiative.title)} {{#{initiative.anchor}}}\n"
            + _raw_html(f'<p class="initiative-status">{_badge(status.label, status.id, status.icon)}</p>')
            + f"\n### Description\n\n{md(initiative.description)}\n"
        )

    def key_measures(self, initiative_id: str) -> Markdown:
        initiative = self._initiative(initiative_id)
        update = self.params.initiatives[initiative.id]
        blocks = ["### Key Measures & Data Analysis"]
        if update.analysis:
            blocks.append(md(update.analysis))
        if not initiative.measures:
            blocks.append(md(initiative.no_measure_note or ""))
        for fact in initiative.context_facts:
            blocks.append(f"> {md(fact.text)} *{md('Source: ' + fact.source)}*")
        for measure_id in initiative.measures:
            blocks.append(self._measure_block(measure_id, level=4))
        return Markdown("\n" + "\n\n".join(blocks) + "\n")

    def initiative_outro(self, initiative_id: str) -> Markdown:
        initiative = self._initiative(initiative_id)
        update = self.params.initiatives[initiative.id]
        return Markdown(
            f"\n### Why is it important?\n\n{md(initiative.why_important)}\n\n"
            f"### What have we been doing?\n\n{paragraphs(update.what_we_have_been_doing)}\n\n"
            f"### What's next?\n\n{paragraphs(update.whats_next)}\n"
        )

    def _initiative(self, initiative_id: str) -> Initiative:
        initiative = self.settings.plan.initiative(initiative_id)
        if initiative.id not in self.params.initiatives:
            raise UndeclaredMeasure(f"initiative {initiative_id} is not on the {self.page} page")
        return initiative

    # ---------------------------------------------------------------- measure blocks

    def headline_series(self, measure_id: str) -> str:
        """The series a one-sentence summary is about: the total if there is one, else the first."""
        measure = self.measure(measure_id)
        names = self.table(measure_id).sort_values("series_order")["series"].drop_duplicates()
        if measure.series_by and measure.series_by.total in set(names):
            return measure.series_by.total
        return str(names.iloc[0]) if len(names) else measure.series_label

    def other_series(self, measure_id: str) -> list[str]:
        names = self.table(measure_id).sort_values("series_order")["series"].drop_duplicates()
        headline = self.headline_series(measure_id)
        return [str(n) for n in names if n != headline]

    def summary(self, measure_id: str) -> str:
        """The measure in one plain-language sentence (its headline series, for split measures)."""
        rows = self.table(measure_id)
        measure = self.measure(measure_id)
        if measure.chart.type == "bar_latest":
            latest = latest_rows(rows)
            of = measure.value == "numerator" and measure.denominator_label
            items = [
                f"{r.series}: "
                + (
                    self.suppressed_text
                    if r.suppressed
                    else fmt_value(measure, r.value)
                    + (f" of {fmt_value(measure, r.denominator)}" if of else "")
                )
                for r in latest.itertuples()
            ]
            if latest.empty:
                return "No data yet."
            return f"{measure.short_label}, {latest.iloc[0]['period_label']}: {'; '.join(items)}."
        return self.compare(measure_id, self.headline_series(measure_id))

    def _measure_block(self, measure_id: str, level: int) -> str:
        measure = self.measure(measure_id)
        rows = self.table(measure_id)
        info = self.measure_status(measure_id)
        hashes = "#" * level
        parts = [f"{hashes} {md(measure.caption)} {{#{measure.anchor}}}"]
        html_parts = []
        if info["status"] != "current":
            html_parts.append(
                '<p class="measure-stale"><strong>Not yet available for this quarter.</strong> '
                f"The newest data is through {esc(fmt_date(info['data_through']))}; this measure "
                "will be updated when the next extract arrives.</p>"
            )
        html_parts.append(f'<p class="measure-summary">{esc(self.summary(measure_id))}</p>')
        if measure.chart.type != "bar_latest" and self.other_series(measure_id):
            items = "".join(
                f"<li>{esc(self.compare(measure_id, name))}</li>" for name in self.other_series(measure_id)
            )
            html_parts.append(f'<ul class="measure-series">{items}</ul>')
        chart = measure_chart(measure, rows, self.suppressed_text)
        source = self.settings.sources.sources[measure.source]
        if chart:
            html_parts.append(
                f'<figure class="measure-figure">{chart.img_tag()}<figcaption>{esc(measure.caption)}. '
                f"Source: {esc(source.title)}, {esc(source.publisher)}. Data through "
                f"{esc(fmt_date(info['data_through']))}.</figcaption></figure>"
            )
        elif measure.chart.type == "callout":
            html_parts.append(self._callout(measure, rows))
        html_parts.append(self._data_table(measure, rows))
        html_parts.append(
            f'<p class="measure-download"><a href="data/{esc(measure.id)}.csv" download>'
            f"Download the data for {esc(measure.caption)} (CSV)</a></p>"
        )
        html_parts.append(self._about(measure, info))
        return "\n\n".join(parts) + "\n" + _raw_html("\n".join(html_parts))

    def _data_table(self, measure: Measure, rows: pd.DataFrame) -> str:
        columns = ["Period", "Series", measure.value_label]
        show_numerator = bool(measure.numerator_label) and measure.value != "numerator"
        if show_numerator:
            columns.append(measure.numerator_label)
        if measure.denominator_label:
            columns.append(measure.denominator_label)
        head = "".join(f'<th scope="col">{esc(c)}</th>' for c in columns)
        body = []
        count_measure = measure.model_copy(update={"unit": "count", "decimals": 0})
        for row in rows.sort_values(["period_end", "period_start", "series_order"]).itertuples():
            if row.suppressed:
                hidden = (
                    self.suppressed_text
                    if row.suppression != "secondary"
                    else "hidden (protects a smaller number)"
                )
                values = [hidden] + [""] * (len(columns) - 3)
            else:
                values = [fmt_value(measure, row.value)]
                if show_numerator:
                    values.append(fmt_value(count_measure, row.numerator))
                if measure.denominator_label:
                    values.append(fmt_value(count_measure, row.denominator))
            cells = "".join(f"<td>{esc(v)}</td>" for v in values)
            body.append(
                f'<tr><th scope="row">{esc(row.period_label)}</th><td>{esc(row.series)}</td>{cells}</tr>'
            )
        return (
            f'<details class="measure-table"><summary>Data table: {esc(measure.caption)}'
            f'</summary><div class="table-responsive" tabindex="0" role="region" '
            f'aria-label="Data table: {esc(measure.caption)}"><table class="table table-sm" '
            'data-quarto-disable-processing="true">'
            f"<caption>{esc(measure.caption)}, by {esc(measure.grain.replace('_', ' '))}"
            f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            "</table></div></details>"
        )

    def _about(self, measure: Measure, info: dict[str, Any]) -> str:
        source = self.settings.sources.sources[measure.source]
        caveats = "".join(f"<li>{esc(c)}</li>" for c in measure.caveats) or "<li>None known.</li>"
        privacy = {
            "aggregate": "Counts no individual people.",
            "people": f"Counts people: numbers from 1 to {self.settings.privacy.floor - 1} are shown "
            f"as \u201c{self.suppressed_text}\u201d, and so is anything calculated from them.",
            "person_events": f"Counts events involving people: numbers from 1 to "
            f"{self.settings.privacy.floor - 1} are shown as "
            f"\u201c{self.suppressed_text}\u201d.",
        }[measure.privacy]
        target = (
            (
                f"<dt>Target</dt><dd>{esc(measure.target.label)}"
                + (f" ({esc(measure.target.source)})" if measure.target.source else "")
                + "</dd>"
            )
            if measure.target
            else ""
        )
        return (
            f'<details class="measure-about"><summary>About this data: {esc(measure.caption)}'
            "</summary><dl>"
            f"<dt>Definition</dt><dd>{esc(measure.definition)}</dd>"
            f"<dt>How it is calculated</dt><dd>{esc(measure.method)}</dd>"
            f"<dt>Source</dt><dd>{esc(source.title)} ({esc(source.publisher)})</dd>"
            f"{target}"
            f"<dt>Things to know</dt><dd><ul>{caveats}</ul></dd>"
            f"<dt>Privacy</dt><dd>{esc(privacy)}</dd>"
            f"<dt>Data through</dt><dd>{esc(fmt_date(info['data_through']))}</dd>"
            f"<dt>Data as of</dt><dd>{esc(fmt_date(self.params.data_as_of))}</dd>"
            f"<dt>Next update</dt><dd>Expected by {esc(fmt_date(self.params.next_update))}</dd>"
            f"</dl></details>"
        )

    # ---------------------------------------------------------------- about the data

    def about_the_data(self) -> Markdown:
        plan, sources = self.settings.plan, self.settings.sources
        rules = self.settings.privacy
        blocks = [
            _raw_html(f'<p class="reporting-period">{_strip_md(self.reporting_line())}</p>'),
            "## How to read this report {#how-to-read}",
            md(
                "Every figure comes from City records, is counted the same way every quarter, and "
                "can be downloaded as a CSV file next to its chart. Each chart has a data table and "
                "an 'About this data' section with its definition, source and caveats."
            ),
            "## Privacy {#privacy}",
            md(
                f"This report never shows names, addresses, record numbers or anything else that "
                f"identifies a person. Counts of people or of events involving people from 1 to "
                f"{rules.floor - 1} are shown as '{rules.suppressed_text}', and any percentage or "
                "average built on them is hidden too. When hiding one number is not enough, because "
                "it could be worked out from a total or from last quarter's report, a second number "
                "is hidden as well. A figure such as 'x% of neighbors make up y% of responses' is "
                f"shown only when the group it describes has at least "
                f"{rules.concentration_floor} people."
            ),
            "## Measures {#measures}",
        ]
        where = {}
        for objective in plan.objectives:
            for initiative in objective.initiatives:
                for measure_id in initiative.measures:
                    where.setdefault(
                        measure_id, (objective.page, initiative.anchor, f"Initiative {initiative.id}")
                    )
        for measure_id in plan.goal.context_measures:
            where.setdefault(measure_id, ("index", "setting-the-stage", "Goal overview"))
        for measure in plan.measures:
            info = self.measure_status(measure.id)
            page, anchor, label = where.get(measure.id, ("index", "", "Goal overview"))
            blocks.append(f"### {md(measure.caption)} {{#about-{measure.anchor}}}")
            blocks.append(
                _raw_html(
                    f'<p>Shown in <a href="{esc(page)}.html#{esc(anchor)}">{esc(label)}</a>. '
                    f'<a href="data/{esc(measure.id)}.csv" download>Download the data for '
                    f"{esc(measure.caption)} (CSV)</a>.</p>" + self._about(measure, info)
                )
            )
        blocks.append("## Sources {#sources}")
        for name, source in sources.sources.items():
            blocks.append(f"### {md(source.title)} {{#source-{name.replace('_', '-')}}}")
            blocks.append(md(f"{source.description} Published by {source.publisher}."))
        blocks.append("## Fiscal years {#fiscal-years}")
        blocks.append(
            md(
                "The City's fiscal year runs from July 1 to June 30: FY2027 is July 2026 "
                "to June 2027, and its first quarter (Q1) is July to September 2026."
            )
        )
        return Markdown("\n" + "\n\n".join(blocks) + "\n")


def _strip_md(text: str) -> str:
    """Turn the escaped Markdown reporting line into HTML (bold labels, plain text)."""
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"\\(.)", r"\1", text)


def open_page(
    page: str,
    quarter: str,
    params_dir: str | Path = "../params",
    processed_dir: str | Path = "../data/processed",
) -> Page:
    """Open one page of the report for ``quarter``; the call every notebook makes first."""
    params_path = Path(params_dir).resolve()
    paths = ProjectPaths(
        params_path.parent, params_dir=params_path, processed_dir=Path(processed_dir).resolve()
    )
    settings = load_settings(paths)
    fiscal = FiscalQuarter.parse(quarter)
    params = load_quarter(paths, settings.plan, fiscal.id)
    if page not in {GOAL_PAGE, ABOUT_PAGE}:
        settings.plan.objective(page)
    publication_path = paths.quarter_dir(fiscal.id) / PUBLICATION
    if not publication_path.exists():
        raise FileNotFoundError(
            f"{publication_path} is missing: run `python -m helpers measures --quarter {fiscal.id}` "
            "(or `make report`) before running this notebook."
        )
    publication = json.loads(publication_path.read_text())
    return Page(settings, page, fiscal, page_params(params, settings, page), publication)
