"""What notebooks call: one ``Page`` per web page of the report.

A notebook opens its page with ``open_page`` and then, cell by cell, asks for the parts of the
City's story format (``helpers.story`` builds them) or for data to analyse (``page.table``). Every
part is a ``Fragment`` that shows formatted in JupyterLab and renders on the site.

A page may read only the measures the plan assigns to it, and only its part of the quarter's
parameters; that is what lets the runner skip a notebook whose inputs did not change.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .core.language import Language
from .core.paths import ProjectPaths
from .core.periods import FiscalQuarter
from .core.templates import SPECS, TemplateError, fill
from .page import district_charts, districts, measure_page, story
from .page.analysis import BeforeAfter, NotComputable, before_after
from .page.data import PageData, UndeclaredMeasure
from .page.fragments import Fragment, Heading, para
from .page.glance import at_a_glance
from .page.narrative import fmt_number
from .params.pages import page_of, page_params, report_pages
from .params.quarters import load_quarter, read_publication
from .params.settings import load_settings
from .translation.edition import edition

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .params.plan import Plan


class UnknownText(KeyError):
    pass


__all__ = ["Page", "UndeclaredMeasure", "UnknownText", "open_page"]

_TEXT_KEY = re.compile(r"^(\d+\.\d\d)\.([a-z][a-z0-9_]*)$")


def _events(plan: Plan) -> list[tuple[str, date]]:
    """The plan's dated events, in plan order: process changes and chart annotations."""
    return [
        (event.label if hasattr(event, "label") else event.reason, event.date)
        for measure in plan.measures
        for event in (*measure.process.changes, *measure.chart.annotations)
    ]


def _number_writer(lang: Language) -> Callable[[Any, str], str]:
    """How a sentence of the quarter file writes its values: numbers the page's language's way
    (whole, or with the decimals its spec asks for), anything else as its text."""

    def write(value: Any, spec: str) -> str:
        if isinstance(value, float) and math.isnan(value):
            return lang._("not available")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
            if spec:
                return fmt_number(number, SPECS[spec], lang)
            return fmt_number(number, 0 if number.is_integer() or abs(number) >= 100 else 1, lang)
        return str(value)

    return write


@dataclass
class Page(PageData):
    """One page of the report for one quarter: its data (``PageData``), and the parts of its story."""

    # ---------------------------------------------------------------- an analyst's own parts

    def text(self, text: str, **values: Any) -> str:
        """A sentence of the quarter file (``"2.13.weekdays_finding"``: initiative, then the name
        under its ``texts``), or literal text, with ``{names}`` filled from ``values``."""
        match = _TEXT_KEY.match(text)
        template = text
        if match:
            initiative, name = match.groups()
            update = self.params.initiatives.get(initiative)
            if update is None or name not in update.texts:
                known = ", ".join(update.texts) if update else "none on this page"
                raise UnknownText(
                    f"'{text}' is not a text of this page: add `texts: {{{name}: ...}}` under "
                    f'initiatives."{initiative}" in params/quarters/{self.quarter.id}.yml '
                    f"(texts there now: {known})."
                )
            template = update.texts[name]
        try:
            return fill(template, values, _number_writer(self.lang))
        except KeyError as exc:
            raise UnknownText(
                f"the text '{text}' uses {{{exc.args[0]}}}, which was not given; pass it to "
                f"page.say / page.text (given: {', '.join(values) or 'nothing'})"
            ) from None
        except TemplateError as exc:
            raise UnknownText(f"the text '{text}' cannot be filled in: {exc}; {exc.fix}") from None

    def say(self, text: str, **values: Any) -> Fragment:
        """An analyst's sentence (a quarter-file text or literal text), shown escaped."""
        return Fragment([para(self.text(text, **values))])

    def heading(self, text: str, level: int = 4, anchor: str | None = None, **values: Any) -> Fragment:
        """A heading for an analyst's own part of the page (it reaches the table of contents)."""
        return Fragment([Heading(level, self.text(text, **values), anchor)])

    def before_after(
        self, measure_id: str, event: date | str, quarters: int = 4
    ) -> BeforeAfter | NotComputable:
        """Average per quarter of each series before ``event`` and over the latest quarters.

        ``event`` is a date, or the name of a dated event in the plan (a measure's process change
        or chart annotation, such as "Civilian investigators start"), so the date is written in
        one place. When the data cannot support the comparison the result says why
        (``result.available`` is False; show it with ``page.unavailable(result)``).
        """
        name = None
        if isinstance(event, str) and not re.match(r"^\d{4}-\d\d-\d\d$", event):
            # notebooks name events in English; the page shows the edition's name
            named = dict(zip(_events(self.source_settings.plan), _events(self.settings.plan)))
            english = {label: (day, local) for (label, day), (local, _) in named.items()}
            if event not in english:
                known = ", ".join(english)
                raise KeyError(f"'{event}' is not a date (YYYY-MM-DD) or an event of the plan: {known}")
            event, name = english[event]
        return before_after(
            self.measure(measure_id), self.rows(measure_id), event, self.lang, quarters, event_name=name
        )

    def unavailable(self, result: NotComputable) -> Fragment:
        """Why an analysis cannot be shown this quarter, in plain words, where it would have been."""
        return Fragment([para(result.reason, css_class="analysis-unavailable")])

    def compare(self, measure_id: str, series: str | None = None) -> str:
        """This quarter against the previous quarter and a year earlier, as a sentence; ``series``
        is named as in English (the notebook is the same for every edition)."""
        return story.compare(self, measure_id, self.series_name(measure_id, series) if series else None)

    def figure(
        self,
        fig: Figure,
        *,
        caption: str,
        alt: str | None = None,
        data: pd.DataFrame | None = None,
        measure: str | None = None,
        name: str | None = None,
        rates: Sequence[str] = (),
    ) -> Fragment:
        """Publish an analyst's own figure with a measure's guarantees (see ``helpers.figures``)."""
        from .page.figures import publish_figure

        return publish_figure(
            self, fig, caption=caption, alt=alt, data=data, measure=measure, name=name, rates=rates
        )

    # ---------------------------------------------------------------- the City's story format

    def header(self) -> Fragment:
        return story.header(self)

    def goal_intro(self) -> Fragment:
        return story.goal_intro(self)

    def context(self) -> Fragment:
        return story.context(self)

    def at_a_glance(self) -> Fragment:
        """Every measure: is the latest change real, will its target be met, its latest value."""
        return at_a_glance(self)

    def status_legend(self) -> Fragment:
        return story.status_legend(self)

    def objective_cards(self, objective_id: str) -> Fragment:
        return story.objective_cards(self, objective_id)

    def objective_intro(self) -> Fragment:
        return story.objective_intro(self)

    def initiative_intro(self, initiative_id: str) -> Fragment:
        return story.initiative_intro(self, initiative_id)

    def key_measures(self, initiative_id: str) -> Fragment:
        return story.key_measures(self, initiative_id)

    def initiative_outro(self, initiative_id: str) -> Fragment:
        return story.initiative_outro(self, initiative_id)

    def about_the_data(self) -> Fragment:
        return story.about_the_data(self)

    # ---------------------------------------------------------------- police districts

    def district_intro(self) -> Fragment:
        """A district's page: what its figures count."""
        return districts.district_intro(self)

    def district_measures(self) -> Fragment:
        """Each district measure on the district's own rows: chart, verdict, table, CSV."""
        return districts.district_measures(self)

    def district_limits(self) -> Fragment:
        """What a district's figures cannot show."""
        return districts.district_limits(self)

    def districts_intro(self) -> Fragment:
        """The overview: how the districts are compared, and the rate used."""
        return districts.overview_intro(self)

    def district_map(self) -> Fragment:
        """The map of the districts by the rate, with its table and CSV."""
        return district_charts.district_map(self)

    def district_panels(self) -> Fragment:
        """Small multiples: the city, then each district, on one scale."""
        return district_charts.district_panels(self)

    def district_funnel(self) -> Fragment:
        """Each district's rate inside (or outside) the funnel around the city's."""
        return district_charts.district_funnel(self)

    def district_links(self) -> Fragment:
        """A link to each district's page."""
        return districts.district_links(self)

    # ---------------------------------------------------------------- a measure's own page

    def measure_page(self) -> Fragment:
        """The whole of a measure's permanent page (its embed travels with it)."""
        return measure_page.measure_page(self)

    def you_said_we_did(self) -> Fragment:
        """Every measure's reviewed feedback this quarter and what was done (About the data)."""
        ids = [m.id for m in self.settings.plan.measures]
        return Fragment(measure_page.you_said_we_did(self, ids, level=2))


def open_page(
    page: str,
    quarter: str,
    params_dir: str | Path = "../params",
    processed_dir: str | Path = "../data/processed",
    lang: str = "en",
) -> Page:
    """Open one page of the report for ``quarter`` in the edition ``lang``; the call every
    notebook makes first.

    It also applies the report's chart style, so an analyst's own figures match the page.
    """
    from .page.chart_style import use_house_style

    params_path = Path(params_dir).resolve()
    paths = ProjectPaths(
        params_path.parent, params_dir=params_path, processed_dir=Path(processed_dir).resolve()
    )
    settings = load_settings(paths)
    fiscal = FiscalQuarter.parse(quarter)  # notebook parameters are text: parsed here, once
    params = load_quarter(paths, settings.plan, fiscal)
    page_of(report_pages(settings), page)  # an unknown page says which pages there are
    publication = read_publication(paths, fiscal)
    if publication is None:
        raise FileNotFoundError(
            f"{paths.publication(fiscal)} is missing: run `python -m helpers measures --quarter "
            f"{fiscal.id}` (or `make report`) before running this notebook."
        )
    use_house_style()
    local = settings.in_edition(edition(paths.params, lang))
    local_params, _ = local.quarter_in_edition(params)
    return Page(local, page, fiscal, page_params(local_params, local, page), publication, english=settings)
