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
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .core.language import Language
from .core.paths import ProjectPaths
from .core.periods import FiscalQuarter
from .core.records import MeasureRecord, Publication
from .core.templates import SPECS, TemplateError, fill
from .page import story
from .page.analysis import BeforeAfter, before_after
from .page.fragments import Fragment, Heading, para
from .page.narrative import fmt_number, rows_in_language
from .params.measure import Measure, local_series_name
from .params.pages import SitePage, page_measures, page_of, page_params, report_pages
from .params.quarters import QuarterParams, load_quarter, read_publication
from .params.settings import Settings, load_settings
from .translation.texts import edition

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class UndeclaredMeasure(KeyError):
    pass


class UnknownText(KeyError):
    pass


_TEXT_KEY = re.compile(r"^(\d+\.\d\d)\.([a-z][a-z0-9_]*)$")


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
class Page:
    """One page of the report for one quarter: its data, and the parts of its story."""

    settings: Settings  # in the page's language
    page: str
    quarter: FiscalQuarter
    params: QuarterParams  # the page's part of the quarter file, in the page's language
    publication: Publication
    english: Settings | None = None  # the City's own (English) texts, which the tables use

    @property
    def lang(self) -> Language:
        return self.settings.edition.language

    @property
    def source_settings(self) -> Settings:
        return self.english or self.settings

    # ---------------------------------------------------------------- data

    @cached_property
    def site_page(self) -> SitePage:
        """The page in the site's page model: its file name, title and anchors."""
        return page_of(report_pages(self.settings), self.page)

    @cached_property
    def allowed(self) -> list[str]:
        return page_measures(self.settings, self.page)

    def measure(self, measure_id: str) -> Measure:
        return self.settings.plan.measure(measure_id)

    def table(self, measure_id: str) -> pd.DataFrame:
        """The privacy-gated rows of a measure this page declares (a copy: change it freely)."""
        if measure_id not in self.allowed:
            raise UndeclaredMeasure(
                f"The {self.page} page reads measure '{measure_id}', which params/plan.yml does "
                f"not assign to it (it may read: {', '.join(self.allowed) or 'no measures'}). "
                "Add the measure to one of the page's initiatives, so the runner re-runs this "
                "notebook when that measure changes."
            )
        frame = self._tables[measure_id].copy()
        frame.attrs["measure"] = measure_id
        return frame

    @cached_property
    def _tables(self) -> dict[str, pd.DataFrame]:
        folder = self.settings.paths.quarter_dir(self.quarter) / "measures"
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
            out[measure_id] = self._in_language(measure_id, frame)
        return out

    def _in_language(self, measure_id: str, frame: pd.DataFrame) -> pd.DataFrame:
        """The table's names (series, periods) in the page's language; the numbers are shared."""
        english = self.source_settings.plan.measure(measure_id)
        return rows_in_language(frame, english, self.measure(measure_id), self.lang)

    def series_name(self, measure_id: str, series: str) -> str:
        """A series as the page names it, from its English name (as notebooks write it)."""
        english, local = self.source_settings.plan.measure(measure_id), self.measure(measure_id)
        return local_series_name(english, local, series, self.lang)

    def rows(self, measure_id: str) -> pd.DataFrame:
        """The gated rows as stored (no copy); for the story builders, which only read them."""
        self.table(measure_id)  # the same declaration check
        return self._tables[measure_id]

    @property
    def sample(self) -> bool:
        return self.publication.sample_data

    @property
    def suppressed_text(self) -> str:
        return self.lang._("fewer than {floor}", floor=self.settings.privacy.floor)

    @property
    def gender(self) -> dict[str, str]:
        """Grammatical gender of what each measure counts, in languages that need it."""
        return self.settings.grammar

    def measure_status(self, measure_id: str) -> MeasureRecord:
        return self.publication.measures[measure_id]

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

    def before_after(self, measure_id: str, event: date | str, quarters: int = 4) -> BeforeAfter:
        """Average per quarter of each series before ``event`` and over the latest quarters.

        ``event`` is a date, or the label of a dated annotation on a chart in the plan (such as
        "Civilian investigators start"), so the date is written in one place.
        """
        if isinstance(event, str) and not re.match(r"^\d{4}-\d\d-\d\d$", event):
            plan = self.source_settings.plan  # notebooks name annotations in English
            dates = {a.label: a.date for m in plan.measures for a in m.chart.annotations}
            if event not in dates:
                raise KeyError(f"'{event}' is not a date (YYYY-MM-DD) or a chart annotation: {list(dates)}")
            event = dates[event]
        return before_after(self.measure(measure_id), self.rows(measure_id), event, quarters, self.lang)

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
