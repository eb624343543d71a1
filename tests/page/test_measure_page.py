"""A measure's own page from the template: a retired measure keeps its address and says so; an
id is never reused."""

from __future__ import annotations

import shutil

import pytest
import yaml

from helpers.core.config import ConfigError
from helpers.core.paths import ProjectPaths
from helpers.params.settings import load_settings
from helpers.report import open_page

from ..conftest import LATEST, REPO

RETIRED = {
    "id": "response_time_old",
    "caption": "Police Response Time (old method)",
    "last_quarter": "FY2026Q4",
    "reason": "replaced by a measure that starts the clock when the call is answered",
}


def params_with(tmp_path, retired: dict) -> ProjectPaths:
    shutil.copytree(REPO / "params", tmp_path / "params")
    for name in ("notebooks", "site"):
        shutil.copytree(REPO / name, tmp_path / name)
    plan_file = tmp_path / "params" / "plan.yml"
    plan = yaml.safe_load(plan_file.read_text())
    plan["retired_measures"] = [retired]
    plan_file.write_text(yaml.safe_dump(plan, sort_keys=False, allow_unicode=True))
    spanish = tmp_path / "params" / "translations" / "es" / "plan.yml"
    translated = yaml.safe_load(spanish.read_text())
    translated["retired_measures"] = {
        retired["id"]: {"caption": "Tiempo de respuesta policial (método anterior)", "reason": "sustituida"}
    }
    spanish.write_text(yaml.safe_dump(translated, sort_keys=False, allow_unicode=True))
    return ProjectPaths(tmp_path)


@pytest.mark.slow
def test_a_retired_measure_keeps_a_page_that_says_so_and_where_its_last_copy_is(tmp_path, sample_project):
    paths = params_with(tmp_path, RETIRED)
    page = open_page(
        "measures/response_time_old", LATEST.id, paths.params, sample_project.processed, lang="en"
    )
    html = page.measure_page().html()
    assert "This measure is no longer reported: replaced by a measure that starts the clock" in html
    assert "It was last published for April to June 2026 (FY2026 Q4)." in html
    assert 'href="../archive.html"' in html  # that quarter had no measure pages: the Archive
    frozen = paths.site / "archive" / "FY2026Q4" / "measures"
    frozen.mkdir(parents=True)
    (frozen / "response_time_old.html").write_text("<html></html>")
    assert 'href="../archive/FY2026Q4/measures/response_time_old.html"' in page.measure_page().html()


def test_a_measures_id_is_never_reused(tmp_path):
    paths = params_with(tmp_path, {**RETIRED, "id": "calls_911"})
    with pytest.raises(ConfigError, match="calls_911 is both a measure and a retired measure"):
        load_settings(paths)


def with_feedback(paths: ProjectPaths, **feedback) -> None:
    path = paths.params / "open_data.yml"
    data = yaml.safe_load(path.read_text())
    data["feedback"] = feedback
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.slow
def test_without_an_endpoint_feedback_is_a_prefilled_email_and_without_either_nothing(
    tmp_path, sample_project
):
    from urllib.parse import unquote

    paths = params_with(tmp_path, RETIRED)
    with_feedback(paths, endpoint=None, email="performance@durhamnc.gov")
    html = (
        open_page("measures/calls_911", LATEST.id, paths.params, sample_project.processed)
        .measure_page()
        .html()
    )
    assert "<form" not in html
    href = unquote(html.split('href="mailto:')[1].split('"')[0].replace("&amp;", "&"))
    assert href.startswith("performance@durhamnc.gov?subject=Feedback on 911 Calls Received&body=")
    for line in ("measure: calls_911", f"quarter: {LATEST.id}", "lang: en", "page: /measures/calls_911.html"):
        assert line in href
    assert "Do not include personal details" in html and "call 911, or 919-560-4600" in html
    with_feedback(paths)
    html = (
        open_page("measures/calls_911", LATEST.id, paths.params, sample_project.processed)
        .measure_page()
        .html()
    )
    assert "mailto:" not in html and "<form" not in html and "919-560-4600" not in html
