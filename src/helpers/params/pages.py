"""The pages of the site, all derived from the plan: one place for each fact about a page.

The goal overview, one page per objective of ``params/plan.yml`` and About the data, plus the
generated Archive page. For each: its notebook, its file on the site, its title, description and
navigation text, the anchors it must carry, and exactly which inputs its notebook may read. The
render list and the navigation bar of ``_quarto.yml`` are written from here when the site is
staged; adding an objective is its plan entry and its notebook.

Kept free of heavy imports: the runner consults it on every run, including runs with nothing to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from ..core.language import Language
from ..core.language import pending_plain as plain
from ..core.periods import FiscalQuarter
from ..translation.edition import Edition
from .plan import Initiative, Plan
from .quarters import QuarterParams
from .settings import Settings

GOAL_PAGE = "goal"
ABOUT_PAGE = "about"
DISTRICTS_PAGE = "districts"  # the overview; each district's page is its id (D3)
DISTRICTS_FOLDER = "districts"  # on the site: districts/index.html, districts/d3.html
MEASURES_FOLDER = "measures"  # on the site: measures/<id>.html, one page per measure, ids permanent
ARCHIVE_SOURCE = "archive.qmd"
HIDDEN_ON_GOAL_PAGE = "(shown on the objective page)"


class UnknownPage(ValueError):
    """A page named on the command line (``--only``) is not a page of the report."""


@dataclass(frozen=True)
class SitePage:
    """One page of the site, in one edition, and the notebook that produces it."""

    page: str  # goal | about | districts | an objective id | a district id
    kind: Literal["goal", "objective", "districts", "district", "about", "measure"]
    notebook: Path  # the analysts' notebook, in notebooks/
    output: str  # the page's file on the site, without extension: index, objective-2-1
    title: str  # these four in the edition's language
    description: str
    nav_text: str
    label: str  # "Goal overview", "Objective 2.1": what links and messages call the page
    edition: Edition  # its pages are under edition.prefix on the site, English at the root
    district: str | None = None  # a district page's district id: its notebook's parameter
    measure: str | None = None  # a measure page's measure id (current or retired): its parameter

    @property
    def parameters(self) -> dict[str, str]:
        """What the page's notebook is given beyond the quarter, paths and language."""
        if self.district is not None:
            return {"district": self.district}
        if self.measure is not None:
            return {"measure": self.measure}
        return {}

    @property
    def in_process(self) -> bool:
        """Executed in the run's own process from the template (``helpers.run.inline``), not in
        a kernel: a page per measure would otherwise cost a kernel each."""
        return self.kind == "measure"

    @property
    def root(self) -> str:
        """From the page to its edition's root: "" for most pages, "../" under districts/."""
        return "../" * self.output.count("/")

    @property
    def source(self) -> str:
        """The executed notebook's name in the staged site (what Quarto renders)."""
        return f"{self.output}.ipynb"

    @property
    def html(self) -> str:
        return f"{self.output}.html"

    def initiatives(self, plan: Plan) -> list[Initiative]:
        """The initiatives the page shows with their status: all on the goal page (as cards)."""
        if self.kind == "goal":
            return plan.initiatives
        if self.kind == "objective":
            return plan.objective(self.page).initiatives
        return []

    def anchors(self, plan: Plan) -> list[str]:
        """The ids the page must carry: the targets of links, the table of contents, the checks."""
        if self.kind == "goal":
            out = ["setting-the-stage", "status-legend"]
            out += [plan.measure(m).anchor for m in plan.goal.context_measures]
            for objective in plan.objectives:
                out.append(objective.anchor)
                out += [i.card_anchor for i in objective.initiatives]
            return out
        if self.kind == "about":
            return ["privacy", "measures", "coverage"]
        if self.kind == "districts":
            return ["district-map", "district-panels", "district-funnel", "district-pages"]
        if self.kind == "district":
            return [plan.measure(m).anchor for m in plan.districts.measures] if plan.districts else []
        if self.kind == "measure":
            if self.measure in plan.measures_by_id:
                return ["latest", "about-this-measure", "in-the-report", "downloads", "earlier-quarters"]
            return ["retired"]
        out = []
        for initiative in self.initiatives(plan):
            out.append(initiative.anchor)
            out += [plan.measure(m).anchor for m in initiative.measures]
        return out


def report_pages(settings: Settings) -> list[SitePage]:
    """Goal overview, one page per objective, and About the data, in site order, in the
    language of ``settings`` (``Settings.in_edition``)."""
    plan, notebooks = settings.plan, settings.paths.notebooks
    t = settings.edition.language
    goal = t._("Goal overview")
    pages = [
        SitePage(
            GOAL_PAGE,
            "goal",
            notebooks / "goal-overview.ipynb",
            "index",
            plan.goal.title,
            plan.goal.statement,
            goal,
            goal,
            settings.edition,
        )
    ]
    for objective in plan.objectives:
        output = "objective-" + objective.id.replace(".", "-")
        pages.append(
            SitePage(
                objective.id,
                "objective",
                notebooks / f"{output}.ipynb",
                output,
                t._("Objective {id}: {title}", id=objective.id, title=objective.title),
                objective.summary,
                f"{objective.id} {objective.nav_title}",
                t._("Objective {id}", id=objective.id),
                settings.edition,
            )
        )
    pages += district_pages(settings)
    about = t._("About the data")
    pages.append(
        SitePage(
            ABOUT_PAGE,
            "about",
            notebooks / "about-the-data.ipynb",
            "about-the-data",
            about,
            t._("Definitions, sources, methods and privacy rules behind every figure."),
            about,
            about,
            settings.edition,
        )
    )
    return pages + measure_pages(settings)


def measure_page_key(measure_id: str) -> str:
    return f"{MEASURES_FOLDER}/{measure_id}"


def measure_pages(settings: Settings) -> list[SitePage]:
    """A permanent page per measure of the plan, and one per retired measure saying so; all from
    ``notebooks/measure.ipynb``, reached from each measure's part of the report."""
    t = settings.edition.language
    notebook = settings.paths.notebooks / "measure.ipynb"
    pages = []
    for measure in settings.plan.measures:
        pages.append(
            SitePage(
                measure_page_key(measure.id),
                "measure",
                notebook,
                measure_page_key(measure.id),
                measure.caption,
                measure.definition,
                "",
                t._("Measure: {caption}", caption=measure.caption),
                settings.edition,
                measure=measure.id,
            )
        )
    for retired in settings.plan.retired_measures:
        pages.append(
            SitePage(
                measure_page_key(retired.id),
                "measure",
                notebook,
                measure_page_key(retired.id),
                retired.caption,
                t._("No longer reported: {reason}", reason=retired.reason),
                "",
                t._("Measure: {caption}", caption=retired.caption),
                settings.edition,
                measure=retired.id,
            )
        )
    return pages


def district_pages(settings: Settings) -> list[SitePage]:
    """The districts' overview (``notebooks/district-overview.ipynb``) and one page per
    district, all from ``notebooks/district.ipynb`` with the district as a parameter."""
    districts = settings.plan.districts
    if districts is None:
        return []
    t = settings.edition.language
    notebook = settings.paths.notebooks / "district.ipynb"
    overview = t._("Police districts")
    pages = [
        SitePage(
            DISTRICTS_PAGE,
            "districts",
            settings.paths.notebooks / "district-overview.ipynb",
            f"{DISTRICTS_FOLDER}/index",
            overview,
            t._("Calls and crash calls recorded in each police district, on one scale, with a map."),
            t._("Districts"),
            overview,
            settings.edition,
        )
    ]
    for district in districts.areas:
        title = t._("{district}: {area}", district=district.name, area=district.area)
        pages.append(
            SitePage(
                district.id,
                "district",
                notebook,
                f"{DISTRICTS_FOLDER}/{district.slug}",
                title,
                t._("Calls and crash calls recorded in {district}.", district=district.name),
                "",  # reached from the overview, not the navigation bar
                district.name,
                settings.edition,
                district.id,
            )
        )
    return pages


@dataclass(frozen=True)
class Place:
    """Where a measure is shown: a page, the anchor on it, and what a link there says."""

    page: str  # the page's file, e.g. objective-2-1.html
    anchor: str
    label: str


def where_shown(settings: Settings) -> dict[str, Place]:
    """Every measure of the plan and where the report shows it: its own part of the first
    initiative that lists it (or that initiative, when only its analysis uses it), else its part
    of the goal page's context, else the goal page."""
    t = settings.edition.language
    plan = settings.plan
    pages = report_pages(settings)
    goal = next(p for p in pages if p.kind == "goal")
    anchors = {m.id: m.anchor for m in plan.measures}
    where: dict[str, Place] = {}
    for spec in pages:
        if spec.kind != "objective":
            continue
        for initiative in spec.initiatives(plan):
            label = t._("Initiative {id}", id=initiative.id)
            for measure_id in initiative.measures:
                where.setdefault(measure_id, Place(spec.html, anchors[measure_id], label))
            for measure_id in initiative.analysis_measures:
                where.setdefault(measure_id, Place(spec.html, initiative.anchor, label))
    for measure_id in plan.goal.context_measures:
        where.setdefault(measure_id, Place(goal.html, anchors[measure_id], goal.label))
    overview = next((p for p in pages if p.kind == "districts"), None)
    if overview is not None and plan.districts is not None:
        for measure_id in plan.districts.measures:
            where.setdefault(measure_id, Place(overview.html, "district-panels", overview.label))
    return {m.id: where.get(m.id, Place(goal.html, "", goal.label)) for m in plan.measures}


def page_of(pages: list[SitePage], page: str) -> SitePage:
    for spec in pages:
        if spec.page == page:
            return spec
    raise UnknownPage(f"'{page}' is not a page of the report; choose from {', '.join(s.page for s in pages)}")


def objective_page(settings: Settings, objective_id: str) -> SitePage:
    """The page an objective's initiatives are on (for links from other pages)."""
    return page_of(report_pages(settings), objective_id)


# What the staged _quarto.yml gets from the plan and the edition's language, never by hand.
DERIVED_CONFIG = (
    ("project", "render"),
    ("website", "navbar", "left"),
    ("website", "title"),
    ("website", "description"),
    ("website", "page-footer"),
    ("format", "html", "lang"),
    ("format", "html", "toc-title"),
)


def site_config(hand_written: dict[str, Any], pages: list[SitePage], settings: Settings) -> dict[str, Any]:
    """``_quarto.yml`` for one edition's staged site: the hand-written file (theme, resources,
    options) plus what the plan and the edition's language decide: the render list (the Archive
    page first, as it needs no notebook and an early render starts with it), the navigation bar,
    the site's title, description and footer, the language and the contents' title."""
    t = settings.edition.language
    publisher = settings.plan.publisher
    config = json.loads(json.dumps(hand_written))  # a deep copy
    config.setdefault("project", {})["render"] = [ARCHIVE_SOURCE, *(p.source for p in pages)]
    website = config.setdefault("website", {})
    website["title"] = plain(publisher.site_title)
    website["description"] = t._(
        "The City of Durham's quarterly report on Strategic Plan Goal 2: data, initiatives and progress."
    )
    links = [{"text": plain(p.nav_text), "href": p.source} for p in pages if p.nav_text]
    website.setdefault("navbar", {})["left"] = [*links, {"text": t._("Archive"), "href": ARCHIVE_SOURCE}]
    website["page-footer"] = {
        "left": plain(
            t._(
                "Published by the City of Durham, NC: {department} Department, {office}.",
                department=publisher.department,
                office=publisher.office,
            )
        ),
        "right": [
            {"text": t._("City of Durham home page"), "href": publisher.home_url},
            {"text": plain(publisher.department), "href": publisher.budget_url},
        ],
    }
    html = config.setdefault("format", {}).setdefault("html", {})
    html["lang"] = t.code
    html["toc-title"] = t._("On this page")
    return json.loads(plain(json.dumps(config, ensure_ascii=False)))


def page_measures(settings: Settings, page: str) -> list[str]:
    """The measures a page may read, from the plan (the runner hashes exactly these)."""
    plan = settings.plan
    if page == GOAL_PAGE:  # its context and cards, and every measure at a glance
        return list(dict.fromkeys([*plan.goal.context_measures, *plan.card_measures(), *plan.measures_by_id]))
    if page == ABOUT_PAGE:
        return []
    if page.startswith(f"{MEASURES_FOLDER}/"):
        measure_id = page.partition("/")[2]
        return [measure_id] if measure_id in plan.measures_by_id else []
    if plan.districts and (page == DISTRICTS_PAGE or page in {d.id for d in plan.districts.areas}):
        return list(plan.districts.measures)
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
                    "texts": {},
                }
            )
            for i, u in params.initiatives.items()
        }
        return params.model_copy(update={"initiatives": keep, "if_stale": {}, "you_said_we_did": {}})
    quiet = {"highlights": None, "if_stale": {}, "you_said_we_did": {}}
    if page.startswith(f"{MEASURES_FOLDER}/"):  # its own "You said, we did", nothing else
        measure_id = page.partition("/")[2]
        reviews = {k: v for k, v in params.you_said_we_did.items() if k == measure_id}
        return params.model_copy(update={**quiet, "initiatives": {}, "you_said_we_did": reviews})
    if page == ABOUT_PAGE:  # every measure's "You said, we did", in one table
        return params.model_copy(
            update={**quiet, "initiatives": {}, "you_said_we_did": params.you_said_we_did}
        )
    if plan.districts and page in district_page_ids(settings):
        return params.model_copy(update={**quiet, "initiatives": {}})
    ids = {i.id for i in plan.objective(page).initiatives}
    keep = {i: u for i, u in params.initiatives.items() if i in ids}
    return params.model_copy(update={**quiet, "initiatives": keep})


def district_page_ids(settings: Settings) -> set[str]:
    """The district pages' ids: the overview's and each district's."""
    districts = settings.plan.districts
    return {DISTRICTS_PAGE, *(d.id for d in districts.areas)} if districts else set()


def page_params_fingerprint(params: QuarterParams, settings: Settings, page: str) -> str:
    sliced = page_params(params, settings, page)
    return json.dumps(sliced.model_dump(mode="json"), sort_keys=True)


def front_matter(spec: SitePage, quarter: FiscalQuarter, lang: Language) -> str:
    """The Quarto front matter of a page: title, subtitle, description, browser tab title."""
    meta = {
        "title": plain(spec.title),
        "subtitle": plain(lang._("Quarterly report: {period}", period=lang.quarter_long(quarter))),
        "description": plain(spec.description),
        "pagetitle": plain(f"{spec.title} | {lang.quarter(quarter)}"),
    }
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000) + "---"
