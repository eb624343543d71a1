"""The pages of the site, and exactly which inputs each page's notebook may read.

Kept free of heavy imports: the runner consults it on every run, including runs with nothing to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .quarters import QuarterParams
from .settings import Settings

GOAL_PAGE = "goal"
ABOUT_PAGE = "about"
HIDDEN_ON_GOAL_PAGE = "(shown on the objective page)"


class UnknownPage(ValueError):
    """A page named on the command line (``--only``) is not a page of the report."""


@dataclass(frozen=True)
class PageSpec:
    """One page of the site and the notebook that produces it."""

    page: str  # goal | about | objective id
    notebook: Path
    output: str  # file name of the page, without extension
    title: str
    description: str

    @property
    def label(self) -> str:
        return {GOAL_PAGE: "Goal overview", ABOUT_PAGE: "About the data"}.get(
            self.page, f"Objective {self.page}"
        )


def report_pages(settings: Settings) -> list[PageSpec]:
    """Goal overview, one page per objective, and About the data, in site order."""
    plan, notebooks = settings.plan, settings.paths.notebooks
    pages = [
        PageSpec(GOAL_PAGE, notebooks / "goal-overview.ipynb", "index", plan.goal.title, plan.goal.statement)
    ]
    for objective in plan.objectives:
        pages.append(
            PageSpec(
                objective.id,
                notebooks / f"{objective.page}.ipynb",
                objective.page,
                f"Objective {objective.id}: {objective.title}",
                objective.summary,
            )
        )
    pages.append(
        PageSpec(
            ABOUT_PAGE,
            notebooks / "about-the-data.ipynb",
            "about-the-data",
            "About the data",
            "Definitions, sources, methods and privacy rules behind every figure.",
        )
    )
    return pages


def page_output(settings: Settings, page: str) -> str:
    """File name (without extension) of a page on the site."""
    for spec in report_pages(settings):
        if spec.page == page:
            return spec.output
    raise UnknownPage(f"'{page}' is not a page of the report")


def page_measures(settings: Settings, page: str) -> list[str]:
    """The measures a page may read, from the plan (the runner hashes exactly these)."""
    plan = settings.plan
    if page == GOAL_PAGE:
        return list(dict.fromkeys([*plan.goal.context_measures, *plan.card_measures()]))
    if page == ABOUT_PAGE:
        return []
    return plan.measures_for_objective(page)


def page_params(params: QuarterParams, settings: Settings, page: str) -> QuarterParams:
    """The part of the quarter's parameters a page may use (statuses only on the goal page)."""
    plan = settings.plan
    if page == GOAL_PAGE:
        keep = {
            i: u.model_copy(
                update={
                    "analysis": None,
                    "what_we_have_been_doing": HIDDEN_ON_GOAL_PAGE,
                    "whats_next": HIDDEN_ON_GOAL_PAGE,
                }
            )
            for i, u in params.initiatives.items()
        }
        return params.model_copy(update={"initiatives": keep, "if_stale": {}})
    if page == ABOUT_PAGE:
        return params.model_copy(update={"initiatives": {}, "highlights": None, "if_stale": {}})
    ids = {i.id for i in plan.objective(page).initiatives}
    keep = {i: u for i, u in params.initiatives.items() if i in ids}
    return params.model_copy(update={"initiatives": keep, "highlights": None, "if_stale": {}})


def page_params_fingerprint(params: QuarterParams, settings: Settings, page: str) -> str:
    sliced = page_params(params, settings, page)
    return json.dumps(sliced.model_dump(mode="json"), sort_keys=True)
