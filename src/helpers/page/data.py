"""What a page reads: the data half of a page of the report.

``PageData`` is a page's settings and quarter parameters in its language, the quarter's
publication record, and the privacy-gated tables of the measures the plan assigns to the page
(and only those, so that the runner knows when to re-run its notebook). The story builders
(``story``, ``parts``, ``figures``) take a ``PageData``; ``helpers.report.Page`` extends it with
the calls notebooks make.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from ..core.config import slugify
from ..core.language import Language
from ..core.periods import FiscalQuarter
from ..core.records import MeasureRecord, Publication
from ..measures.labels import rows_in_language
from ..measures.publication import DISTRICTS_FOLDER, district_csv_name
from ..params.measure import Measure, local_series_name
from ..params.pages import SitePage, page_measures, page_of, report_pages
from ..params.quarters import QuarterParams
from ..params.settings import Settings


class UndeclaredMeasure(KeyError):
    """A page read a measure the plan does not assign to it."""


@dataclass
class PageData:
    """What a page reads: its settings and quarter parameters in the page's language, the
    quarter's publication record, and the privacy-gated tables of the measures it declares."""

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

    @property
    def district(self) -> str | None:
        """The district a district page shows (its notebook's parameter); None elsewhere."""
        return self.site_page.district

    @property
    def by_district(self) -> bool:
        """The page reads the district tables (the overview, or one district)."""
        return self.site_page.kind in {"districts", "district"}

    def data_file(self, measure_id: str) -> str:
        """The link from this page to a measure's download CSV (its district's, on a district
        page)."""
        if self.district is not None:
            return self.district_data_file(self.district, measure_id)
        return f"{self.site_page.root}data/{measure_id}.csv"

    def district_data_file(self, district: str, measure_id: str) -> str:
        """The link from this page to one district's CSV of a measure (``not_recorded``: the
        calls with no district)."""
        return f"{self.site_page.root}data/{district_csv_name(slugify(district), measure_id)}"

    @cached_property
    def _tables(self) -> dict[str, pd.DataFrame]:
        out = {}
        for measure_id in self.allowed:
            frame = self.read_rows(measure_id, DISTRICTS_FOLDER if self.by_district else "measures")
            if self.district is not None:
                frame = frame[frame["district"] == self.district].reset_index(drop=True)
            out[measure_id] = frame
        return out

    def city_rows(self, measure_id: str) -> pd.DataFrame:
        """A district measure's citywide rows, for the district pages' comparisons."""
        self.table(measure_id)  # the same declaration check
        if not self.by_district:
            return self._tables[measure_id]
        return self.read_rows(measure_id, "measures")

    def read_rows(self, measure_id: str, folder_name: str) -> pd.DataFrame:
        """A declared measure's gated rows from one folder of the quarter (measures, districts)."""
        path = self.settings.paths.quarter_dir(self.quarter) / folder_name / f"{measure_id}.parquet"
        if not path.exists():
            raise FileNotFoundError(
                f"{path} is missing: run `python -m helpers measures --quarter "
                f"{self.quarter.id}` (or `make report`) before running this notebook."
            )
        frame = pd.read_parquet(path)
        for column in ("period_start", "period_end"):
            frame[column] = pd.to_datetime(frame[column]).dt.date
        return self._in_language(measure_id, frame)

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
