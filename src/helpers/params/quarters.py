"""Per-quarter parameters: ``params/quarters/<FY2027Q1>.yml``.

Each quarter, analysts write one file: the reporting dates, each initiative's status and the
quarter's narrative (what we have been doing, what's next, commentary on the data). Everything
else on the pages comes from the plan or is computed from the data.
"""

from __future__ import annotations

import difflib
from datetime import date
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from ..core.config import ConfigError, ConfigProblem, StrictModel, load_model
from ..core.language import ENGLISH
from ..core.paths import ProjectPaths
from ..core.periods import FiscalQuarter, QuarterField, quarters_named
from ..core.records import Publication, read_record
from ..core.templates import TemplateError
from ..core.templates import check as check_template
from .measure import StalePolicy
from .plan import Plan

StatusId = Literal["in_progress", "on_hold", "complete_ongoing"]
Narrative = str | list[str] | dict[str, str | list[str]]


class InitiativeUpdate(StrictModel):
    translated: ClassVar[tuple[str, ...]] = ("analysis", "texts")
    translated_whole: ClassVar[tuple[str, ...]] = ("what_we_have_been_doing", "whats_next")
    templates: ClassVar[tuple[str, ...]] = ("texts",)

    status: StatusId
    analysis: str | None = None
    what_we_have_been_doing: Narrative
    whats_next: Narrative
    # Sentences, headings and labels of the notebook's own analysis, by name; {names} are filled
    # with numbers the notebook computes: page.say("2.13.weekdays_finding", before=...).
    texts: dict[str, str] = {}

    @field_validator("texts")
    @classmethod
    def _plain_placeholders(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            try:
                check_template(text)
            except TemplateError as exc:
                raise ValueError(f"texts.{name}: {exc}. Fix: {exc.fix}") from None
        return value

    @field_validator("what_we_have_been_doing", "whats_next")
    @classmethod
    def _not_placeholder(cls, value: Narrative) -> Narrative:
        texts = (
            [value]
            if isinstance(value, str)
            else (
                value
                if isinstance(value, list)
                else [t for v in value.values() for t in ([v] if isinstance(v, str) else v)]
            )
        )
        if not texts or any(
            not str(t).strip() or str(t).strip() in {"-", "TBD", "tbd", "..."} for t in texts
        ):
            raise ValueError(
                "this update is empty or a placeholder. Fix: write at least one "
                "sentence for residents, or say plainly that there is no change"
            )
        return value


class FeedbackReview(StrictModel):
    """What residents said about one measure this quarter, as counted and reviewed by staff, and
    what the City did about it. Counts only: no resident's words are ever published."""

    translated: ClassVar[tuple[str, ...]] = ("action",)

    responses: int = Field(ge=0)
    clear_yes: int = Field(ge=0)
    clear_no: int = Field(ge=0)
    action: str = Field(min_length=3)  # the City's own words: what changed, or why not

    @model_validator(mode="after")
    def _adds_up(self) -> FeedbackReview:
        if self.clear_yes + self.clear_no > self.responses:
            raise ValueError(
                f"clear_yes ({self.clear_yes}) and clear_no ({self.clear_no}) add up to more than "
                f"responses ({self.responses}). Fix: count each response once"
            )
        return self


class QuarterParams(StrictModel):
    translated: ClassVar[tuple[str, ...]] = ("highlights",)

    quarter: QuarterField
    data_as_of: date
    next_update: date
    highlights: str | None = None
    if_stale: dict[str, StalePolicy] = {}
    # Sources that must cover the whole quarter: the build stops when one has a gap, instead of
    # publishing the gap (for example cad_events, which most measures read).
    require_complete: list[str] = []
    # A text with no translation yet stops the build (stop), or is published in English with a
    # visible "translation pending" note in that place (publish_english).
    translation_pending: Literal["stop", "publish_english"] = "stop"
    initiatives: dict[str, InitiativeUpdate]
    # "You said, we did": the reviewed feedback counts by measure, and what was done.
    you_said_we_did: dict[str, FeedbackReview] = {}

    def facts(self) -> dict[str, str]:
        """The quarter's reporting facts, as the run manifest and the site's provenance record them."""
        return {
            "quarter": self.quarter.id,
            "reporting_period": ENGLISH.quarter_long(self.quarter),
            "data_as_of": self.data_as_of.isoformat(),
            "next_update": self.next_update.isoformat(),
        }

    @model_validator(mode="after")
    def _dates(self) -> QuarterParams:
        quarter = self.quarter
        if self.data_as_of <= quarter.end:
            raise ValueError(
                f"data_as_of ({self.data_as_of}) is not after the quarter ends "
                f"({quarter.end}). Fix: use the date the data was extracted, after "
                "the quarter closed"
            )
        if self.next_update <= self.data_as_of:
            raise ValueError(
                "next_update is not after data_as_of. Fix: give the date residents can expect the next report"
            )
        return self


def available_quarters(paths: ProjectPaths) -> list[FiscalQuarter]:
    """Quarters that have a params file, oldest first."""
    return quarters_named(path.stem for path in paths.quarters.glob("FY*Q*.yml"))


def latest_quarter(paths: ProjectPaths) -> FiscalQuarter:
    quarters = available_quarters(paths)
    if not quarters:
        raise ConfigError(
            [
                ConfigProblem(
                    str(paths.quarters),
                    None,
                    "(folder)",
                    "there is no quarter file",
                    "add params/quarters/FY<year>Q<n>.yml (copy the latest one and edit it)",
                )
            ]
        )
    return quarters[-1]


def load_quarter(
    paths: ProjectPaths, plan: Plan, quarter: FiscalQuarter, sources: set[str] | None = None
) -> QuarterParams:
    """The quarter's file, validated, and checked against the plan and the sources."""
    path = paths.quarter_file(quarter)
    shown = str(path.relative_to(paths.root)) if path.is_relative_to(paths.root) else str(path)
    params = load_model(path, QuarterParams)
    problems = [
        ConfigProblem(shown, None, key, problem, fix) for key, problem, fix in _against_plan(params, plan)
    ]
    if params.quarter != quarter:
        problems.append(
            ConfigProblem(
                shown,
                None,
                "quarter",
                f"the file says {params.quarter} but is named for {quarter}",
                "make them agree",
            )
        )
    for source in params.require_complete:
        if sources is not None and source not in sources:
            problems.append(
                ConfigProblem(
                    shown,
                    None,
                    "require_complete",
                    f"'{source}' is not a source in params/sources.yml",
                    f"use one of {', '.join(sorted(sources))}",
                )
            )
    if problems:
        raise ConfigError(problems)
    return params


def _against_plan(params: QuarterParams, plan: Plan) -> list[tuple[str, str, str]]:
    """(key, problem, fix) for every initiative unknown to the plan or missing from the file,
    and every measure of ``if_stale`` or ``you_said_we_did`` the plan does not have."""
    known = [i.id for i in plan.initiatives]
    problems = []
    for initiative_id in params.initiatives:
        if initiative_id not in known:
            guess = difflib.get_close_matches(initiative_id, known, n=1)
            hint = f" (did you mean {guess[0]}?)" if guess else ""
            problems.append(
                (
                    f"initiatives.{initiative_id}",
                    "this initiative is not in params/plan.yml",
                    f"use one of {', '.join(known)}{hint}",
                )
            )
    for initiative_id in known:
        if initiative_id not in params.initiatives:
            problems.append(
                (
                    f"initiatives.{initiative_id}",
                    "every initiative needs a status and an update",
                    f"add an entry for {initiative_id} with status, what_we_have_been_doing and whats_next",
                )
            )
    for key, measure_ids in (("if_stale", params.if_stale), ("you_said_we_did", params.you_said_we_did)):
        for measure_id in measure_ids:
            if measure_id not in plan.measures_by_id:
                problems.append(
                    (
                        f"{key}.{measure_id}",
                        "this is not a measure in params/plan.yml",
                        f"use one of {', '.join(sorted(plan.measures_by_id))}",
                    )
                )
    return problems


def stale_policy(plan: Plan, params: QuarterParams, measure_id: str) -> StalePolicy:
    return params.if_stale.get(measure_id, plan.measure(measure_id).if_stale)


def read_publication(paths: ProjectPaths, quarter: FiscalQuarter) -> Publication | None:
    """The record the measures stage wrote for a quarter: statuses, hashes, privacy summary."""
    return read_record(paths.publication(quarter), Publication)
