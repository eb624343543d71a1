"""Every measure at its own address, in both editions: its page, embed, CSV and metadata; the data
package and the catalogue, validated with their own standards' tools; structured data for
search engines; feedback without tracking; "You said, we did" through the privacy gate."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from helpers.measures.open_data import FIELD_NAMES
from helpers.params.settings import load_settings

from ..conftest import FIXTURES, LATEST, PREVIOUS

pytestmark = pytest.mark.slow
EDITIONS = ("", "es/")


def measure_ids(paths) -> list[str]:
    return [m.id for m in load_settings(paths).plan.measures]


def test_every_measure_has_its_page_embed_csv_and_metadata_in_both_editions(rendered):
    paths, outcomes = rendered
    assert {o.status for o in outcomes.values()} == {"published"}
    site = paths.site
    for prefix in EDITIONS:
        for measure_id in measure_ids(paths):
            base = site / prefix / "measures"
            for name in (f"{measure_id}.html", f"{measure_id}/embed.html", f"{measure_id}.csv"):
                assert (base / name).is_file(), prefix + name
            metadata = json.loads((base / f"{measure_id}.metadata.json").read_text())
            assert metadata["id"] == measure_id and metadata["language"] == (prefix.strip("/") or "en")
            assert [c["name"] for c in metadata["columns"]] == list(FIELD_NAMES)
            assert metadata["data_as_of"] == "2026-10-15" and metadata["next_update"] == "2027-01-31"
            assert metadata["licence"]["url"].startswith("https://")
            csv = pd.read_csv(base / f"{measure_id}.csv", dtype=str, keep_default_na=False)
            assert tuple(csv.columns) == FIELD_NAMES
    spanish = json.loads((site / "es/measures/calls_911.metadata.json").read_text())
    english = json.loads((site / "measures/calls_911.metadata.json").read_text())
    assert spanish["title"] != english["title"] and spanish["columns"] != english["columns"]
    # each quarter's archive keeps its frozen copy of all of this
    for quarter in (PREVIOUS.id, LATEST.id):
        for prefix in EDITIONS:
            frozen = site / "archive" / quarter / prefix / "measures"
            assert (frozen / "calls_911.html").is_file() and (frozen / "calls_911/embed.html").is_file()
            assert (frozen / "calls_911.csv").is_file() and (frozen / "calls_911.metadata.json").is_file()


def test_the_data_package_is_valid_frictionless_data_package_v2(rendered):
    frictionless = pytest.importorskip("frictionless")
    paths, _ = rendered
    for prefix in EDITIONS:
        package_path = paths.site / prefix / "datapackage.json"
        package = json.loads(package_path.read_text())
        assert package["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
        assert {r["path"] for r in package["resources"]} == {f"measures/{m}.csv" for m in measure_ids(paths)}
        report = frictionless.validate(str(package_path))
        assert report.valid, report.flatten(["type", "note"])[:5]
        assert report.stats["tasks"] == len(measure_ids(paths))


def dcat_validator():
    jsonschema = pytest.importorskip("jsonschema")
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    folder = FIXTURES / "dcat-us-1.1"
    schemas = {f.name: json.loads(f.read_text()) for f in folder.glob("*.json")}
    # Non-federal publishers skip the federal-only fields (../shared/reference/open-data-and-feedback.md)
    dataset = schemas["dataset.json"]
    dataset["required"] = [r for r in dataset["required"] if r not in {"bureauCode", "programCode"}]
    registry = Registry()
    for schema in schemas.values():
        registry = registry.with_resource(schema["id"].split("#")[0], Resource.from_contents(schema, DRAFT4))
    return jsonschema.Draft4Validator(
        schemas["catalog.json"], registry=registry, format_checker=jsonschema.FormatChecker()
    )


def test_the_catalogue_is_valid_dcat_us_with_the_quarters_as_a_series(rendered):
    paths, _ = rendered
    validator = dcat_validator()
    settings = load_settings(paths)
    for prefix in EDITIONS:
        catalogue = json.loads((paths.site / prefix / "data.json").read_text())
        errors = [f"{list(e.path)}: {e.message[:150]}" for e in validator.iter_errors(catalogue)]
        assert errors == []
        datasets = {d["identifier"]: d for d in catalogue["dataset"]}
        site = settings.open_data.site_url
        report = datasets[f"{site}{prefix}index.html"]
        for measure_id in measure_ids(paths):
            own = datasets[f"{site}{prefix}measures/{measure_id}.html"]
            assert own["isPartOf"] == report["identifier"]
            assert {d["mediaType"] for d in own["distribution"]} == {"text/csv", "text/html"}
            assert own["accrualPeriodicity"] == "R/P3M" and own["accessLevel"] == "public"
            frozen = datasets[f"{site}archive/{PREVIOUS.id}/{prefix}measures/{measure_id}.html"]
            assert frozen["isPartOf"] == own["identifier"]  # an earlier quarter, in the series
        for dataset in catalogue["dataset"]:  # every download the catalogue promises exists
            for distribution in dataset["distribution"]:
                url = distribution.get("downloadURL") or distribution["accessURL"]
                assert (paths.site / url.removeprefix(site)).is_file(), url


def json_ld(html: str) -> dict:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL)
    assert len(found) == 1
    return json.loads(found[0])


def test_each_measure_page_is_findable_with_schema_org_dataset_json_ld(rendered):
    paths, _ = rendered
    site_url = load_settings(paths).open_data.site_url
    for prefix in EDITIONS:
        for measure_id in measure_ids(paths):
            data = json_ld((paths.site / prefix / "measures" / f"{measure_id}.html").read_text())
            assert data["@type"] == "Dataset" and data["@context"] == "https://schema.org"
            assert data["url"] == f"{site_url}{prefix}measures/{measure_id}.html"
            assert data["license"].startswith("https://") and data["dateModified"] == "2026-10-15"
            assert data["spatialCoverage"]["name"] == "Durham, North Carolina"
            assert re.fullmatch(r"\d{4}-\d\d-\d\d/\d{4}-\d\d-\d\d", data["temporalCoverage"])
            downloads = {d["encodingFormat"]: d["contentUrl"] for d in data["distribution"]}
            assert downloads["text/csv"] == f"{site_url}{prefix}measures/{measure_id}.csv"
            assert all(d["@type"] == "DataDownload" for d in data["distribution"])
            assert data["creator"]["@type"] == "Organization" and len(data["description"]) >= 50


def form_of(html: str) -> str:
    return html.split('<form class="measure-feedback"')[1].split("</form>")[0]


def test_feedback_is_a_plain_form_with_its_fields_honeypot_warning_and_the_911_line(rendered):
    paths, _ = rendered
    settings = load_settings(paths)
    endpoint = settings.open_data.feedback.endpoint
    for prefix, lang, line in (
        ("", "en", "Not for emergencies or crime reports: call 911, or 919-560-4600 for non-emergencies."),
        ("es/", "es", "No es para emergencias ni denuncias de delitos: llame al 911, o al 919-560-4600"),
    ):
        html = (paths.site / prefix / "measures/calls_911.html").read_text()
        form = form_of(html)
        assert f'method="post" action="{endpoint}"' in form
        for name, value in (
            ("measure", "calls_911"),
            ("quarter", LATEST.id),
            ("lang", lang),
            ("page", f"/{prefix}measures/calls_911.html"),
        ):
            assert f'<input type="hidden" name="{name}" value="{value}">' in form
        assert 'maxlength="500"' in form and 'name="website" tabindex="-1"' in form
        assert 'class="feedback-honeypot" aria-hidden="true"' in form
        for field in ("feedback-clear-yes", "feedback-clear-no", "feedback-comment"):
            assert f'<label class="form-check-label" for="{field}">' in form or f'for="{field}"' in form
        assert line in html
    # the page's security policy lets the form post to the City's endpoint, and nowhere else
    assert "form-action 'self' http://127.0.0.1:8000" in (paths.site / "measures/calls_911.html").read_text()


def test_you_said_we_did_publishes_counts_through_the_gate_and_never_residents_words(rendered):
    paths, _ = rendered
    about = (paths.site / "about-the-data.html").read_text()
    vacancies = (paths.site / "measures/vacancy_rate.html").read_text()
    calls = (paths.site / "measures/calls_911.html").read_text()
    assert "<td>34</td><td>21</td><td>13</td>" in calls and "<td>34</td>" in about
    # 6 responses: below the floor of 10, so all three counts are hidden together
    row = vacancies.split("<caption>You said, we did")[1].split("</table>")[0]
    assert row.count("fewer than 10") == 3 and ">6<" not in row and ">4<" not in row
    actions = vacancies.split('<dl class="you-said-we-did">')[1].split("</dl>")[0]
    assert "Human Resources is reviewing the definition" in actions
    spanish = (paths.site / "es/measures/vacancy_rate.html").read_text()
    assert "Recursos Humanos está revisando" in spanish and "menos de 10" in spanish


def test_the_embed_is_the_chart_alone_with_its_summary_and_links(rendered):
    paths, _ = rendered
    embed = (paths.site / "measures/calls_911/embed.html").read_text()
    assert embed.startswith("<!DOCTYPE html>") and '<html lang="en">' in embed
    assert "navbar" not in embed and "quarto" not in embed.lower()
    assert '<img class="chart" src="data:image/png;base64,' in embed and 'alt="' in embed
    assert 'href="../calls_911.csv" target="_blank"' in embed and 'href="../calls_911.html#latest"' in embed
    assert "Content-Security-Policy" in embed and "sample-data-banner" in embed
    page = (paths.site / "measures/calls_911.html").read_text()
    snippet = html.unescape(re.search(r'class="embed-snippet"[^>]*><code>(.*?)</code>', page).group(1))
    assert snippet.startswith('<iframe src="http://127.0.0.1:8000/measures/calls_911/embed.html" title=')
    spanish = (paths.site / "es/measures/calls_911/embed.html").read_text()
    assert '<html lang="es">' in spanish and "Descargar los datos (CSV)" in spanish


def test_objective_pages_link_each_measure_to_its_own_page(rendered):
    paths, _ = rendered
    settings = load_settings(paths)
    for objective in settings.plan.objectives:
        page = "objective-" + objective.id.replace(".", "-") + ".html"
        html = (paths.site / page).read_text()
        for measure_id in (m for i in objective.initiatives for m in i.measures):
            assert f'href="measures/{measure_id}.html"' in html, (page, measure_id)


def test_a_measure_page_is_found_from_a_link_and_the_links_on_it_resolve(rendered):
    paths, _ = rendered
    html = (paths.site / "measures/no_fault_crashes.html").read_text()
    for href in re.findall(r'<a href="([^"#:]+)(?:#[^"]*)?"', html):
        target = (paths.site / "measures" / href).resolve()
        assert target.exists() or target.is_relative_to(Path(paths.site).resolve() / "site_libs"), href
