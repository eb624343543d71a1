"""The strategic plan as data: goal, objectives, initiatives, measures and how each is shown.

``params/plan.yml`` is the single place where titles, definitions, targets and labels live; pages,
charts, CSV headers and the runner's caching all read them from the ``Plan`` object built here.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from ..core.config import StrictModel, fail, load_model, slugify
from .districts import Districts
from .measure import Measure


class Card(StrictModel):
    style: Literal["callout", "chart", "none"]
    measure: str | None = None

    @model_validator(mode="after")
    def _measure_when_shown(self) -> Card:
        if self.style != "none" and not self.measure:
            raise ValueError(
                f"a '{self.style}' card needs a measure. Fix: add 'measure:' or set 'style: none'"
            )
        return self


class ContextFact(StrictModel):
    translated: ClassVar[tuple[str, ...]] = ("text", "source")

    text: str
    source: str
    url: str | None = None


class Initiative(StrictModel):
    translated: ClassVar[tuple[str, ...]] = ("title", "description", "why_important", "no_measure_note")

    id: str
    title: str
    description: str
    why_important: str
    measures: list[str] = []
    # Measures the page's notebook reads for its own analysis (page.table), shown only as the
    # analyst publishes them (page.figure); listed here so the runner knows when to re-run it.
    analysis_measures: list[str] = []
    card: Card
    no_measure_note: str | None = None
    context_facts: list[ContextFact] = []

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not re.fullmatch(r"\d+\.\d\d", value):
            raise ValueError(f"'{value}' is not an initiative number. Fix: quote it, e.g. \"2.11\"")
        return value

    @model_validator(mode="after")
    def _explain_missing_measure(self) -> Initiative:
        if not self.measures and not self.no_measure_note:
            raise ValueError(
                f"initiative {self.id} has no measures and no no_measure_note. "
                "Fix: list its measures, or explain in no_measure_note why it has none"
            )
        if self.card.measure and self.card.measure not in self.measures:
            raise ValueError(
                f"the card of initiative {self.id} shows '{self.card.measure}', which "
                "is not one of its measures. Fix: add it to measures or change the card"
            )
        return self

    @property
    def anchor(self) -> str:
        """The initiative's section on its objective's page."""
        return "initiative-" + self.id.replace(".", "-")

    @property
    def card_anchor(self) -> str:
        """The initiative's card on the goal page."""
        return "card-" + self.id.replace(".", "-")

    @property
    def slug(self) -> str:
        return slugify(self.title)


class Objective(StrictModel):
    translated: ClassVar[tuple[str, ...]] = ("title", "nav_title", "summary")

    id: str
    title: str
    # The objective in the navigation bar, after its number: a few words, e.g. "Build Trust".
    nav_title: str = Field(max_length=32)
    summary: str
    initiatives: list[Initiative]

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not re.fullmatch(r"\d+\.\d", value):
            raise ValueError(f"'{value}' is not an objective number. Fix: quote it, e.g. \"2.1\"")
        return value

    @model_validator(mode="after")
    def _initiatives_belong(self) -> Objective:
        for initiative in self.initiatives:
            if not initiative.id.startswith(self.id):
                raise ValueError(
                    f"initiative {initiative.id} is listed under objective {self.id}. "
                    f"Fix: number it {self.id}x or move it to objective "
                    f"{initiative.id[:-1]}"
                )
        return self

    @property
    def anchor(self) -> str:
        """The objective's section on the goal page."""
        return "objective-" + self.id.replace(".", "-")


class Goal(StrictModel):
    translated: ClassVar[tuple[str, ...]] = ("title", "label", "statement", "framing", "why_this_matters")

    id: str
    title: str
    label: str
    statement: str
    framing: str
    why_this_matters: str
    context_measures: list[str]


class StatusDef(StrictModel):
    translated: ClassVar[tuple[str, ...]] = ("label", "description")

    id: Literal["in_progress", "on_hold", "complete_ongoing"]
    label: str
    icon: Literal["half-circle", "pause", "check"]  # drawn as inline SVG (helpers.page.icons)
    description: str


class Department(StrictModel):
    translated: ClassVar[tuple[str, ...]] = ("name", "long_name")

    code: str
    name: str
    long_name: str


class Publisher(StrictModel):
    translated: ClassVar[tuple[str, ...]] = ("department", "office", "site_title")

    department: str
    office: str
    home_url: str
    budget_url: str
    site_title: str


class RetiredMeasure(StrictModel):
    """A measure no longer reported: its id keeps a page that says so and links its last archive."""

    translated: ClassVar[tuple[str, ...]] = ("caption", "reason")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    caption: str
    last_quarter: str = Field(pattern=r"^FY\d{4}Q[1-4]$")  # the last quarter that published it
    reason: str


class Plan(StrictModel):
    version: Literal[1]
    publisher: Publisher
    departments: list[Department]
    goal: Goal
    statuses: list[StatusDef]
    objectives: list[Objective]
    measures: list[Measure]
    districts: Districts | None = None
    # Ids are permanent: a measure taken out of the report moves here, never to another measure.
    retired_measures: list[RetiredMeasure] = []

    @model_validator(mode="after")
    def _references(self) -> Plan:
        measure_ids = [m.id for m in self.measures]
        reused = sorted({r.id for r in self.retired_measures} & set(measure_ids))
        if reused:
            raise ValueError(
                f"{', '.join(reused)} is both a measure and a retired measure. Fix: a measure's id is "
                "never reused; give the new measure a new id"
            )
        duplicates = sorted({m for m in measure_ids if measure_ids.count(m) > 1})
        if duplicates:
            raise ValueError(
                f"measure ids are repeated: {', '.join(duplicates)}. Fix: give every measure its own id"
            )
        known = set(measure_ids)
        for ref in self.goal.context_measures:
            if ref not in known:
                raise ValueError(
                    f"goal.context_measures names '{ref}', which is not a measure. "
                    "Fix: add it under measures or correct the id"
                )
        initiative_ids: list[str] = []
        for objective in self.objectives:
            for initiative in objective.initiatives:
                initiative_ids.append(initiative.id)
                for ref in [*initiative.measures, *initiative.analysis_measures]:
                    if ref not in known:
                        raise ValueError(
                            f"initiative {initiative.id} lists '{ref}', which is not "
                            "a measure. Fix: add it under measures or correct the id"
                        )
        repeated = sorted({i for i in initiative_ids if initiative_ids.count(i) > 1})
        if repeated:
            raise ValueError(
                f"initiative numbers are repeated: {', '.join(repeated)}. Fix: number every initiative once"
            )
        if {s.id for s in self.statuses} != {"in_progress", "on_hold", "complete_ongoing"}:
            raise ValueError(
                "statuses must define in_progress, on_hold and complete_ongoing. Fix: list all three"
            )
        codes = {d.code for d in self.departments}
        for measure in self.measures:
            if measure.familiar:
                unknown = [a for a in measure.familiar.agencies if a not in codes]
                if unknown:
                    raise ValueError(
                        f"measure {measure.id} names unknown agencies "
                        f"{', '.join(unknown)}. Fix: use department codes from "
                        f"departments ({', '.join(sorted(codes))})"
                    )
        return self

    @cached_property
    def measures_by_id(self) -> dict[str, Measure]:
        return {m.id: m for m in self.measures}

    def measure(self, measure_id: str) -> Measure:
        try:
            return self.measures_by_id[measure_id]
        except KeyError:
            raise KeyError(
                f"'{measure_id}' is not a measure in params/plan.yml; known measures: "
                f"{', '.join(sorted(self.measures_by_id))}"
            ) from None

    @property
    def initiatives(self) -> list[Initiative]:
        return [i for o in self.objectives for i in o.initiatives]

    def initiative(self, initiative_id: str) -> Initiative:
        for initiative in self.initiatives:
            if initiative.id == initiative_id:
                return initiative
        raise KeyError(
            f"'{initiative_id}' is not an initiative in params/plan.yml; known: "
            f"{', '.join(i.id for i in self.initiatives)}"
        )

    def objective(self, objective_id: str) -> Objective:
        for objective in self.objectives:
            if objective.id == objective_id:
                return objective
        raise KeyError(
            f"'{objective_id}' is not an objective in params/plan.yml; known: "
            f"{', '.join(o.id for o in self.objectives)}"
        )

    def objective_of(self, initiative_id: str) -> Objective:
        for objective in self.objectives:
            if any(i.id == initiative_id for i in objective.initiatives):
                return objective
        raise KeyError(initiative_id)

    def status(self, status_id: str) -> StatusDef:
        return next(s for s in self.statuses if s.id == status_id)

    def department(self, code: str) -> Department:
        for department in self.departments:
            if department.code == code:
                return department
        raise KeyError(f"'{code}' is not a department in params/plan.yml")

    def measures_for_objective(self, objective_id: str) -> list[str]:
        objective = self.objective(objective_id)
        return _unique(m for i in objective.initiatives for m in [*i.measures, *i.analysis_measures])

    def card_measures(self) -> list[str]:
        return _unique(i.card.measure for i in self.initiatives if i.card.measure)


def _unique(items: object) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:  # type: ignore[attr-defined]
        seen.setdefault(item, None)
    return list(seen)


def load_plan(path: Path) -> Plan:
    """Load and validate ``params/plan.yml``."""
    return load_model(path, Plan)


def check_plan_against_sources(
    plan: Plan,
    plan_file: str,
    source_columns: dict[str, set[str]],
    date_columns: dict[str, set[str]] | None = None,
    person_columns: dict[str, set[str]] | None = None,
) -> None:
    """Every measure must read an existing source and only columns that source defines; a series
    split by part of a date (``part: weekday``) must name a date or datetime column; the
    familiar-neighbor kinds must count people by a column that identifies them."""
    for index, measure in enumerate(plan.measures):
        key = f"measures[{index}] (id={measure.id})"
        if measure.source not in source_columns:
            raise fail(
                plan_file,
                f"{key}.source",
                f"'{measure.source}' is not a source in params/sources.yml",
                f"use one of: {', '.join(sorted(source_columns))}",
            )
        columns = source_columns[measure.source]
        referenced = {
            "date": [measure.date] if measure.date else [],
            "where": list(measure.where),
            "numerator_where": list(measure.numerator_where),
            "series_by": [measure.series_by.column] if measure.series_by else [],
            "value": [measure.value] if measure.kind in {"mean", "sum"} and measure.value else [],
            "numerator": [measure.numerator] if measure.numerator else [],
            "denominator": [measure.denominator] if measure.denominator else [],
            "familiar": [measure.familiar.person, measure.familiar.agency] if measure.familiar else [],
        }
        for field_name, names in referenced.items():
            for name in names:
                if name not in columns:
                    raise fail(
                        plan_file,
                        f"{key}.{field_name}",
                        f"column '{name}' is not a canonical column of source '{measure.source}'",
                        f"use one of: {', '.join(sorted(columns))}",
                    )
        people = (person_columns or {}).get(measure.source)
        if measure.familiar and people is not None and measure.familiar.person not in people:
            raise fail(
                plan_file,
                f"{key}.familiar.person",
                f"'{measure.familiar.person}' is not marked identifies_person in params/sources.yml, "
                "so it would not be pseudonymised",
                f"use one of: {', '.join(sorted(people)) or '(none: mark the column in sources.yml)'}",
            )
        split = measure.series_by
        dates = (date_columns or {}).get(measure.source)
        if split and split.part and dates is not None and split.column not in dates:
            raise fail(
                plan_file,
                f"{key}.series_by.column",
                f"part '{split.part}' needs a date or datetime column, and '{split.column}' is not one",
                f"use one of: {', '.join(sorted(dates))}",
            )
