"""The site's pages come from the plan: one page model gives the render list, the navigation bar,
the anchors every page must carry and every file name."""

from __future__ import annotations

import shutil

import pytest
import yaml

from helpers.core.config import ConfigError
from helpers.core.paths import ProjectPaths
from helpers.params.pages import ARCHIVE_SOURCE, UnknownPage, page_of, report_pages, site_config
from helpers.params.settings import load_settings
from helpers.site.staging import check_site_sources, hand_written_config
from helpers.translation.edition import edition

from ..conftest import REPO


@pytest.fixture
def project(tmp_path) -> ProjectPaths:
    for name in ("params", "notebooks", "site"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy2(REPO / "_quarto.yml", tmp_path / "_quarto.yml")
    return ProjectPaths(tmp_path)


def add_objective(paths: ProjectPaths) -> None:
    """Objective 2.4, as the README says: one plan entry (the quarter file gives statuses)."""
    plan_file = paths.params / "plan.yml"
    plan = yaml.safe_load(plan_file.read_text())
    plan["objectives"].append(
        {
            "id": "2.4",
            "title": "Prepare Neighborhoods for Emergencies",
            "nav_title": "Prepared Neighborhoods",
            "summary": "Help every neighborhood plan for storms, floods and heat.",
            "initiatives": [
                {
                    "id": "2.41",
                    "title": "Neighborhood Emergency Plans",
                    "description": "Work with neighborhood associations on emergency plans.",
                    "why_important": "Neighbors are the first to help each other in an emergency.",
                    "measures": [],
                    "no_measure_note": "A measure will be reported once the first plans are written.",
                    "card": {"style": "none"},
                }
            ],
        }
    )
    plan_file.write_text(yaml.safe_dump(plan, sort_keys=False, allow_unicode=True))


def test_pages_render_list_navbar_and_file_names_follow_the_plan(project):
    settings = load_settings(project)
    pages = report_pages(settings)
    districts = ["D2", "D3", "D5", "D1", "D4"]  # the plan's fixed geographic order
    measures = [f"measures/{m.id}" for m in settings.plan.measures]  # one page each, after the story
    assert [p.page for p in pages] == [
        "goal",
        "2.1",
        "2.2",
        "2.3",
        "districts",
        *districts,
        "about",
        *measures,
    ]
    assert {p.notebook.name for p in pages if p.kind == "measure"} == {"measure.ipynb"}
    assert page_of(pages, "measures/calls_911").parameters == {"measure": "calls_911"}
    assert all(p.in_process for p in pages if p.kind == "measure") and not page_of(pages, "D3").in_process
    pages = [p for p in pages if p.kind != "measure"]
    assert [p.html for p in pages] == [
        "index.html",
        "objective-2-1.html",
        "objective-2-2.html",
        "objective-2-3.html",
        "districts/index.html",
        *(f"districts/{d.lower()}.html" for d in districts),
        "about-the-data.html",
    ]
    assert {p.notebook.name for p in pages if p.kind == "district"} == {"district.ipynb"}
    assert page_of(pages, "D3").district == "D3" and page_of(pages, "D3").root == "../"
    config = site_config(hand_written_config(project), report_pages(settings), settings)
    assert config["project"]["render"][0] == ARCHIVE_SOURCE  # an early render starts with it
    assert config["project"]["render"][1:] == [p.source for p in report_pages(settings)]
    navbar = config["website"]["navbar"]["left"]
    assert [item["text"] for item in navbar] == [
        "Goal overview",
        "2.1 Reduce Harm",
        "2.2 Build Trust",
        "2.3 Public Safety Workforce",
        "Districts",  # the overview; each district's page is reached from it
        "About the data",
        "Archive",
    ]
    assert config["website"]["title"] == "Create a Safer Community Together"
    assert config["website"]["page-footer"]["left"] == (
        "Published by the City of Durham, NC: Budget and Management Services Department, "
        "Office of Performance and Innovation."
    )
    assert config["format"]["html"]["lang"] == "en"
    assert config["format"]["html"]["theme"][1] == "site/theme.scss"  # the hand-written parts are kept
    anchors = page_of(pages, "2.1").anchors(settings.plan)
    assert "initiative-2-11" in anchors and "measure-fn-interactions" in anchors
    goal = page_of(pages, "goal").anchors(settings.plan)
    assert {"objective-2-3", "card-2-33", "setting-the-stage"} <= set(goal)


def test_adding_an_objective_is_a_plan_entry_and_a_notebook(project):
    add_objective(project)
    settings = load_settings(project)
    pages = report_pages(settings)
    new = page_of(pages, "2.4")
    assert new.notebook == project.notebooks / "objective-2-4.ipynb" and new.html == "objective-2-4.html"
    with pytest.raises(ConfigError) as caught:
        check_site_sources(project, pages)
    problem = caught.value.problems[0]
    assert problem.file == "notebooks/objective-2-4.ipynb"
    assert "Objective 2.4 page is missing" in problem.problem and "Add an objective" in problem.fix
    copied = (project.notebooks / "objective-2-3.ipynb").read_text()
    new.notebook.write_text(copied)
    with pytest.raises(ConfigError, match=r"opens page 2\.3, not 2\.4"):
        check_site_sources(project, pages)
    new.notebook.write_text(copied.replace('open_page(\\"2.3\\"', 'open_page(\\"2.4\\"'))
    check_site_sources(project, pages)
    navbar = site_config(hand_written_config(project), pages, settings)["website"]["navbar"]["left"]
    assert {"text": "2.4 Prepared Neighborhoods", "href": "objective-2-4.ipynb"} in navbar
    assert "card-2-41" in page_of(pages, "goal").anchors(settings.plan)


def test_an_unknown_page_lists_the_pages(project):
    with pytest.raises(
        UnknownPage, match=r"choose from goal, 2\.1, 2\.2, 2\.3, districts, D2, D3, D5, D1, D4, about"
    ):
        page_of(report_pages(load_settings(project)), "2.9")


def test_the_spanish_edition_config_is_in_spanish_from_the_same_plan(project):
    settings = load_settings(project)
    spanish = settings.in_edition(edition(project.params, "es"))
    pages = report_pages(spanish)
    assert [p.html for p in pages] == [p.html for p in report_pages(settings)]  # same pages, same anchors
    config = site_config(hand_written_config(project), pages, spanish)
    assert config["format"]["html"]["lang"] == "es"
    assert config["format"]["html"]["toc-title"] == "En esta página"
    assert config["website"]["title"] == "Crear juntos una comunidad más segura"
    navbar = [item["text"] for item in config["website"]["navbar"]["left"]]
    assert navbar[0] == "Resumen de la meta" and navbar[-1] == "Archivo"
    assert "Ciudad de Durham" in config["website"]["page-footer"]["left"]
    goal = page_of(pages, "goal")
    assert goal.anchors(spanish.plan) == page_of(report_pages(settings), "goal").anchors(settings.plan)
