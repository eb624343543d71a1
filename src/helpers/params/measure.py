"""How the plan defines a measure: its words (caption, definition, method, caveats), its kind and
the columns it reads, how it is split into series, its target, chart and privacy class.

Every field is validated when ``params/plan.yml`` loads, with an error that names the key and the
fix; ``helpers.plan`` checks the measures against the sources.
"""

from __future__ import annotations

import re
from datetime import date
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from ..core.config import StrictModel
from ..core.language import ENGLISH, Language

Unit = Literal["count", "percent", "average", "positions"]
Better = Literal["increase", "decrease", "neutral"]
ProcessChart = Literal["xmr", "p_prime", "u_prime", "none"]
PrivacyClass = Literal["people", "person_events", "aggregate"]
MeasureKind = Literal[
    "count",
    "share",
    "mean",
    "sum",
    "snapshot",
    "familiar_neighbor_interactions",
    "familiar_neighbor_concentration",
    "familiar_neighbor_bands",
]
GrainName = Literal["month", "quarter", "calendar_year", "fiscal_year", "rolling_12_months"]
ChartType = Literal["line", "column", "bar_latest", "callout"]
StalePolicy = Literal["fail", "mark_unavailable"]

_MEASURE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_DEFAULT_DECIMALS = {"count": 0, "positions": 0, "percent": 1, "average": 1}


class Condition(StrictModel):
    """One filter on a canonical column; several keys on one column must all hold."""

    in_: list[str] | None = Field(default=None, alias="in")
    not_in: list[str] | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    notnull: bool | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Condition:
        if not self.model_dump(exclude_none=True):
            raise ValueError(
                "the condition is empty. Fix: give at least one of in, not_in, ge, gt, le, lt, notnull"
            )
        return self


DateParts = Literal["weekday", "hour"]
DATE_PART_CODES: dict[str, list[str]] = {
    "weekday": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "hour": [f"{h:02d}" for h in range(24)],
}


def date_part_label(part: str, code: str, lang: Language) -> str:
    """``Monday`` (``lunes``) for ``mon``; ``07:00 to 07:59`` for hour ``07``."""
    index = DATE_PART_CODES[part].index(code)
    if part == "weekday":
        return lang.weekday(index)
    return lang._("{hour}:00 to {hour}:59", hour=code)


class SeriesBy(StrictModel):
    """Split a measure into series by the values of a canonical column, or by a part of a date
    column (``part: weekday`` gives one series per day of the week, ``part: hour`` per hour)."""

    translated: ClassVar[tuple[str, ...]] = ("labels", "total")
    column: str
    part: DateParts | None = None
    labels: dict[str, str] = {}
    order: list[str] | None = None
    total: str | None = None

    @model_validator(mode="after")
    def _part_codes(self) -> SeriesBy:
        if self.part:
            codes = DATE_PART_CODES[self.part]
            unknown = [c for c in [*self.labels, *(self.order or [])] if c not in codes]
            if unknown:
                raise ValueError(
                    f"series of part '{self.part}' are named {', '.join(codes[:7])}"
                    f"{'...' if len(codes) > 7 else ''}, not {', '.join(unknown)}. "
                    "Fix: use those codes in labels and order"
                )
        return self

    def label(self, code: str, lang: Language) -> str:
        """A series' name in the language the plan's texts are in (``lang`` for date parts)."""
        if code in self.labels:
            return self.labels[code]
        if self.part:
            return date_part_label(self.part, code, lang)
        return code

    def code_of(self, label: str) -> str | None:
        """The code an English series name was made from (the measure tables keep names)."""
        for code in self.labels:
            if self.labels[code] == label:
                return code
        if self.part:
            for code in DATE_PART_CODES[self.part]:
                if date_part_label(self.part, code, ENGLISH) == label:
                    return code
        return None

    @property
    def default_order(self) -> list[str] | None:
        return self.order or (DATE_PART_CODES[self.part] if self.part else None)


class Target(StrictModel):
    """A target the City has stated, or a published standard: never one made up for a chart.
    ``source`` says which (for example "NENA call answering standard (NENA-STA-020)")."""

    translated: ClassVar[tuple[str, ...]] = ("label", "source")

    value: float
    label: str
    source: str = Field(min_length=3)


class Change(StrictModel):
    """A known, lasting change in how the work is done, from which the process limits start
    anew (a new programme, a dispatch protocol, a pay raise); never a date on a calendar."""

    translated: ClassVar[tuple[str, ...]] = ("reason",)

    date: date
    reason: str


class ProcessSpec(StrictModel):
    """How the measure's series is judged: its process chart (``xmr``; ``p_prime`` for shares and
    ``u_prime`` for rates with large denominators; ``none`` with the ``reason`` when process
    limits would mislead, such as overlapping rolling windows), the changes where its limits start
    anew, and whether limits are screened for outlying moving ranges (the default)."""

    translated: ClassVar[tuple[str, ...]] = ("reason",)

    chart: ProcessChart
    changes: list[Change] = []
    reason: str | None = None
    screen: bool = True

    @model_validator(mode="after")
    def _reason_when_none(self) -> ProcessSpec:
        if self.chart == "none" and not (self.reason and self.reason.strip()):
            raise ValueError(
                "a measure that is not judged by process limits says why. Fix: add reason: "
                "with one plain sentence, for example 'each figure covers 12 months, so figures overlap'"
            )
        if [c.date for c in self.changes] != sorted(c.date for c in self.changes):
            raise ValueError("the changes are not in date order. Fix: list them oldest first")
        return self


class Annotation(StrictModel):
    translated: ClassVar[tuple[str, ...]] = ("label",)

    date: date
    label: str


class ChartSpec(StrictModel):
    type: ChartType
    annotations: list[Annotation] = []


class FamiliarNeighbors(StrictModel):
    """Parameters of the familiar-neighbor measures (initiative 2.11)."""

    person: str  # the column that identifies a person: marked identifies_person in sources.yml
    agency: str  # the column naming the department that responded
    agencies: list[str]
    threshold: int = Field(default=5, ge=2)
    window_months: int = Field(default=12, ge=3, le=24)
    top_share_percent: float = Field(default=0.5, gt=0, lt=50)
    bands: list[int] = [5, 10, 20, 40]

    @field_validator("bands")
    @classmethod
    def _ascending(cls, bands: list[int]) -> list[int]:
        if not bands or bands != sorted(set(bands)) or bands[0] < 1:
            raise ValueError(
                "bands must be distinct positive numbers in ascending order. "
                "Fix: write them like [5, 10, 20, 40]"
            )
        return bands


class Measure(StrictModel):
    translated: ClassVar[tuple[str, ...]] = (
        "caption",
        "short_label",
        "definition",
        "method",
        "value_label",
        "numerator_label",
        "denominator_label",
        "series_label",
        "caveats",
    )

    id: str
    caption: str
    short_label: str
    definition: str
    method: str
    unit: Unit
    value_label: str
    numerator_label: str | None = None
    denominator_label: str | None = None
    decimals: int | None = Field(default=None, ge=0, le=3)
    grain: GrainName
    # Which way is better: increase, decrease, or neutral (neither: more calls is not better or worse).
    better: Better
    target: Target | None = None
    source: str
    caveats: list[str] = []
    privacy: PrivacyClass
    population: str | None = None
    kind: MeasureKind
    date: str | None = None
    where: dict[str, Condition] = {}
    numerator_where: dict[str, Condition] = {}
    value: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    series_by: SeriesBy | None = None
    # The series a summary sentence and a goal-page card are about (a series_by code); default:
    # the total when there is one, else the first series.
    headline: str | None = None
    series_label: str = "All"
    chart: ChartSpec
    process: ProcessSpec
    if_stale: StalePolicy = "mark_unavailable"
    familiar: FamiliarNeighbors | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _MEASURE_ID.match(value):
            raise ValueError(
                f"'{value}' is not a usable measure id. Fix: use lower-case letters, "
                "digits and underscores, starting with a letter (e.g. no_fault_crashes)"
            )
        return value

    @model_validator(mode="after")
    def _kind_needs(self) -> Measure:
        needs = {
            "share": ("numerator_where",),
            "mean": ("value",),
            "sum": ("value",),
            "snapshot": ("value", "numerator", "denominator"),
            "familiar_neighbor_interactions": ("familiar",),
            "familiar_neighbor_concentration": ("familiar",),
            "familiar_neighbor_bands": ("familiar",),
        }.get(self.kind, ())
        missing = [key for key in needs if not getattr(self, key)]
        if missing:
            raise ValueError(
                f"a measure of kind '{self.kind}' needs {', '.join(missing)}. "
                f"Fix: add {', '.join(missing)} to measure '{self.id}'"
            )
        if self.kind == "snapshot" and self.value not in {"numerator", "rate", "gap_rate"}:
            raise ValueError(
                f"snapshot value '{self.value}' is not known. Fix: use numerator, rate or gap_rate"
            )
        if self.headline is not None:
            codes = (self.series_by.order or list(self.series_by.labels)) if self.series_by else []
            if self.series_by is None or (codes and self.headline not in codes):
                raise ValueError(
                    f"headline '{self.headline}' is not a series of measure '{self.id}'. "
                    f"Fix: use one of its series codes ({', '.join(codes) or 'it has no series_by'})"
                )
        if self.series_by and self.series_by.part and self.kind not in {"count", "sum", "share", "mean"}:
            raise ValueError(
                f"series_by.part works with the kinds count, sum, share and mean, not {self.kind}. "
                "Fix: split by a column instead"
            )
        if self.process.chart in {"p_prime", "u_prime"} and not (
            self.kind == "share" or self.value == "rate"
        ):
            raise ValueError(
                f"a {self.process.chart} chart needs a share or a rate (numerators and denominators). "
                "Fix: use chart: xmr"
            )
        if self.target is not None and self.better == "neutral":
            raise ValueError("a target needs a better direction. Fix: set better: increase or decrease")
        if self.unit == "percent" and self.kind in {"count", "sum"}:
            raise ValueError(f"a {self.kind} cannot be a percent. Fix: use unit count, or kind share")
        return self

    @property
    def population_key(self) -> str:
        """Measures that count the same people share atoms in the privacy audit."""
        return self.population or self.id

    @property
    def value_decimals(self) -> int:
        return self.decimals if self.decimals is not None else _DEFAULT_DECIMALS[self.unit]

    @property
    def counts_people(self) -> bool:
        return self.privacy in {"people", "person_events"}

    @property
    def anchor(self) -> str:
        return "measure-" + self.id.replace("_", "-")


_BAND = re.compile(r"^(\d+) or more times$")


def local_series_name(english: Measure, local: Measure, name: str, lang: Language) -> str:
    """A series' name as the measure tables store it (English, from the plan) in ``lang``:
    ``local`` is the same measure with its texts in that language."""
    if lang.is_source:
        return name
    if english.kind == "familiar_neighbor_bands" and (band := _BAND.match(name)):
        return lang._("{n} or more times", n=int(band.group(1)))
    spec = english.series_by
    if spec is None:
        return local.series_label if name == english.series_label else name
    assert local.series_by is not None
    if spec.total and name == spec.total:
        return local.series_by.total or name
    code = spec.code_of(name)
    return local.series_by.label(code, lang) if code is not None else name
