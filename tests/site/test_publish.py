"""The site stage: staging, checks, archive and atomic publish.

These tests use the fake ``quarto`` of tests/fixtures (a test double) so that the publishing
machinery is tested everywhere; tests/test_site_quarto.py renders with the real Quarto where it
is installed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import stat

import nbformat
import pandas as pd
import pytest

from helpers.core.config import ConfigError
from helpers.core.paths import ProjectPaths
from helpers.core.periods import FiscalQuarter
from helpers.params.pages import report_pages
from helpers.params.quarters import load_quarter
from helpers.params.settings import load_settings
from helpers.run.runner import run_quarter
from helpers.site.checks import page_weight
from helpers.site.publish import SiteBuild
from helpers.site.quarto import QuartoMissing, SiteError, find_quarto
from helpers.site.staging import archive_page, check_site_sources
from helpers.translation.edition import ENGLISH_EDITION

from ..browser import browser_skip_reason, chromium, serious_violations, serve
from ..conftest import FIXTURES, LATEST, QUARTERS, REPO, SITE_PAGES, publish_quarter

pytestmark = pytest.mark.slow


def tree_hash(folder) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def add_output(paths, quarter: str, page: str, html: str) -> None:
    """Tamper with an executed notebook, as a careless analysis cell might."""
    path = paths.executed_notebooks(FiscalQuarter.parse(quarter)) / page
    notebook = nbformat.read(path, as_version=4)
    cell = nbformat.v4.new_code_cell("print('oops')")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html})]
    notebook.cells.append(cell)
    nbformat.write(notebook, path)


def test_publishes_the_latest_quarter_at_the_root_and_archives_both(published_once):
    site = published_once.site
    for page in SITE_PAGES:
        text = (site / page).read_text()
        assert "sample-data-banner" in text and "Content-Security-Policy" in text, page
        assert "July to September 2026 (FY2027 Q1)" in text, page
    for quarter in QUARTERS:
        assert (site / "archive" / quarter / "index.html").exists()
    archived = (site / "archive" / "FY2026Q4" / "objective-2-1.html").read_text()
    assert "Archived report." in archived and "April to June 2026 (FY2026 Q4)" in archived
    assert 'href="../../index.html"' in archived
    for page in SITE_PAGES:
        text = (site / page).read_text()
        assert "Analysts:" not in text and "NBVAL" not in text, page  # notes and checks stay out
    assert 'data-quarto-disable-processing="true"' in (site / "objective-2-1.html").read_text()
    listing = (site / "archive.html").read_text()
    assert 'href="archive/FY2027Q1/index.html"' in listing and "archive/FY2026Q4" in listing
    assert (published_once.previous_site / "index.html").exists()  # the fallback is kept


def test_archived_quarters_are_read_only_and_carried_forward_unchanged(published):
    archived = published.site / "archive" / "FY2026Q4"
    before = tree_hash(archived)
    for path in archived.rglob("*"):
        if path.is_file():
            assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), path
    assert publish_quarter(published, "FY2027Q1", force=True).status == "published"
    assert tree_hash(published.site / "archive" / "FY2026Q4") == before
    with pytest.raises(SiteError, match="read-only"):
        publish_quarter(published, "FY2026Q4")


def test_downloads_are_the_processed_csvs_and_nothing_private_is_published(published_once):
    site = published_once.site
    for csv in (published_once.quarter_dir(LATEST) / "csv").glob("*.csv"):
        assert (site / "data" / csv.name).read_bytes() == csv.read_bytes()
    suffixes = {p.suffix for p in site.rglob("*") if p.is_file()}
    assert not suffixes & {".ipynb", ".parquet", ".xlsx"}
    provenance = json.loads((site / "provenance.json").read_text())
    assert provenance["quarter"] == "FY2027Q1" and provenance["sample_data"] is True
    assert set(provenance["csv_sha256"]) == {
        f"data/{m.id}.csv" for m in load_settings(published_once).plan.measures
    }
    assert "/" + str(published_once.root).strip("/") not in (site / "provenance.json").read_text()


def test_a_second_publish_with_the_same_inputs_does_nothing(published):
    assert publish_quarter(published, "FY2027Q1").status == "unchanged"


@pytest.mark.parametrize("page", ["objective-2-1", "es/objective-2-1"], ids=["english", "spanish"])
def test_a_person_key_in_any_output_blocks_publication(published, page):
    settings = load_settings(published)
    raw = pd.read_csv(next((published.raw / "cad").glob("*.csv")), nrows=2000, dtype=str)
    key = raw["Person ID"].dropna().iloc[0]
    before = tree_hash(published.site)
    add_output(published, "FY2027Q1", f"{page}.ipynb", f"<p>Neighbor {key} again</p>")
    with pytest.raises(SiteError) as caught:
        publish_quarter(published, "FY2027Q1")
    assert f"{page}.html: raw person key" in str(caught.value)
    assert key not in str(caught.value)  # the error never repeats the key
    assert "nothing was published" in str(caught.value)
    assert tree_hash(published.site) == before
    assert settings  # settings still load: the failure is reported, not a crash


def test_broken_links_and_third_party_assets_block_publication(published):
    before = tree_hash(published.site)
    add_output(
        published,
        "FY2027Q1",
        "objective-2-2.ipynb",
        '<a href="objective-9-9.html">gone</a><a href="index.html#no-such-anchor">x</a>'
        '<script src="https://cdn.example.com/tracker.js"></script>',
    )
    with pytest.raises(SiteError) as caught:
        publish_quarter(published, "FY2027Q1")
    message = str(caught.value)
    assert "broken link objective-9-9.html" in message
    assert "link to missing anchor index.html#no-such-anchor" in message
    assert "third-party asset <script> https://cdn.example.com/tracker.js" in message
    assert tree_hash(published.site) == before


def test_without_quarto_the_build_stops_with_instructions(site_project, monkeypatch):
    monkeypatch.delenv("QUARTO_PATH", raising=False)
    monkeypatch.setattr("helpers.site.quarto.find_quarto", lambda: None)
    outcome = publish_quarter(site_project, "FY2027Q1")
    assert outcome.status == "quarto-missing"
    assert "pip install quarto-cli" in outcome.message and "conda-forge" in outcome.message
    assert "quarto.org" in outcome.message and "QUARTO_PATH" in outcome.message
    assert not site_project.site.exists()
    settings = load_settings(site_project)
    build = SiteBuild(
        settings, LATEST, load_quarter(site_project, settings.plan, LATEST), "1.0.0+test", require_quarto=True
    )
    with pytest.raises(QuartoMissing):
        build.publish()


def test_quarto_is_found_through_quarto_path(fake_quarto):
    assert find_quarto() == str(fake_quarto)


def test_every_page_of_the_plan_needs_its_notebook_and_no_hand_kept_page_list(site_project):
    settings = load_settings(site_project)
    (site_project.notebooks / "objective-2-3.ipynb").unlink()
    with pytest.raises(ConfigError, match=r"notebooks/objective-2-3\.ipynb.*Objective 2\.3 page is missing"):
        check_site_sources(site_project, report_pages(settings))
    shutil.copy2(REPO / "notebooks" / "objective-2-3.ipynb", site_project.notebooks)
    config = site_project.quarto_config  # a page list kept by hand, as before pages came from the plan
    config.write_text(config.read_text().replace("project:\n", "project:\n  render:\n    - index.ipynb\n", 1))
    with pytest.raises(ConfigError, match=r"_quarto\.yml.*project\.render.*comes from params/plan\.yml"):
        check_site_sources(site_project, report_pages(settings))
    # A language set by hand would make every edition claim to be English.
    config.write_text(
        config.read_text()
        .replace("  render:\n    - index.ipynb\n", "", 1)
        .replace("    toc: true\n", "    toc: true\n    lang: en\n", 1)
    )
    with pytest.raises(ConfigError, match=r"format\.html\.lang.*edition's language"):
        check_site_sources(site_project, report_pages(settings))


def test_archive_page_escapes_and_lists_newest_first():
    text = archive_page(
        [FiscalQuarter.parse("FY2026Q4"), FiscalQuarter.parse("FY2027Q1")],
        FiscalQuarter.parse("FY2027Q1"),
        ENGLISH_EDITION,
        load_settings(ProjectPaths(REPO)).prose,
    )
    assert text.index("FY2027 Q1") < text.index("FY2026 Q4")
    assert "(latest)" in text and 'tabindex="0"' in text


def test_goal_page_is_within_its_weight_budget(published_once):
    weight = page_weight(published_once.site, published_once.site / "index.html", {})
    assert weight < 1_500_000


def test_the_full_run_publishes_both_quarters_with_backfill(site_project, fake_quarto):
    from helpers.cli import main

    assert main(["--root", str(site_project.root), "run", "--backfill"]) == 0
    archived = sorted(p.name for p in (site_project.site / "archive").iterdir() if p.is_dir())
    assert archived == list(QUARTERS)
    manifest = json.loads(site_project.manifest(LATEST).read_text())
    assert manifest["site"]["status"] == "published"
    assert manifest["site"]["checks"]["archived_quarters"] == list(QUARTERS)
    again = run_quarter(site_project, LATEST, workers=2)
    assert again.executed == [] and again.site == "unchanged"


@pytest.mark.browser
def test_our_page_components_pass_axe_at_phone_width(published_once):
    reason = browser_skip_reason()
    if reason:
        pytest.skip(reason)
    problems = {}
    with serve(published_once.site) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 740})
        for name in SITE_PAGES:
            page.goto(base + name)
            found = serious_violations(page)
            if found:
                problems[name] = found
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 362, f"{name} scrolls sideways at 360 px ({width} px)"
    assert problems == {}


@pytest.mark.browser
def test_accessibility_script_fixes_quartos_search_box_and_toggle(tmp_path):
    """Quarto's search widget (autocomplete-js) and icon-only toggles fail axe; site/a11y.html
    must fix them. The fixture is the markup Quarto and the widget produce."""
    reason = browser_skip_reason()
    if reason:
        pytest.skip(reason)
    fixture = (FIXTURES / "quarto_search_dom.html").read_text()
    (tmp_path / "before.html").write_text(fixture)
    fix = (REPO / "site" / "a11y.html").read_text()
    (tmp_path / "after.html").write_text(fixture.replace("<!-- fix -->", fix))
    with serve(tmp_path) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 740})
        page.goto(base + "before.html")
        before = {v["id"] for v in serious_violations(page)}
        page.goto(base + "after.html")
        after = serious_violations(page)
    assert {"aria-input-field-name", "button-name"} <= before  # the problems are real
    assert after == []


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="


def add_analyst_chart(paths, quarter: str, source_line: str) -> int:
    """An analyst's own chart cell (plt.show()), in the source notebook and as executed."""
    source_path = paths.notebooks / "objective-2-1.ipynb"
    source = nbformat.read(source_path, as_version=4)
    cell = nbformat.v4.new_code_cell(source_line + "\nsns.barplot(data=table)\nplt.show()")
    cell.id = "analyst-chart"
    source.cells.append(cell)
    nbformat.write(source, source_path)
    executed_path = paths.executed_notebooks(FiscalQuarter.parse(quarter)) / "objective-2-1.ipynb"
    executed = nbformat.read(executed_path, as_version=4)
    ran = nbformat.v4.new_code_cell(cell.source)
    ran.id = "analyst-chart"
    ran.outputs = [nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]
    executed.cells.append(ran)
    nbformat.write(executed, executed_path)
    return len(source.cells)


def test_an_image_without_alt_text_stops_the_build_naming_page_and_cell(published):
    before = tree_hash(published.site)
    position = add_analyst_chart(published, "FY2027Q1", "# my own chart")
    with pytest.raises(SiteError) as caught:
        publish_quarter(published, "FY2027Q1")
    message = str(caught.value)
    assert f"Objective 2.1 (objective-2-1.ipynb), cell {position}: a figure has no alt text" in message
    assert "page.figure(" in message and "fig-alt" in message and "nothing was published" in message
    assert tree_hash(published.site) == before


def test_an_analysts_chart_with_alt_text_reaches_the_page(published):
    add_analyst_chart(published, "FY2027Q1", "#| fig-alt: Bars of crash calls by day, highest on Monday.")
    assert publish_quarter(published, "FY2027Q1").status == "published"
    html = (published.site / "objective-2-1.html").read_text()
    assert 'alt="Bars of crash calls by day, highest on Monday."' in html
    assert (published.site / "objective-2-1_files" / "figure-html").is_dir()


def test_an_html_image_without_alt_fails_the_site_check(published):
    add_output(published, "FY2027Q1", "objective-2-2.ipynb", '<img src="data:image/png;base64,AAAA">')
    with pytest.raises(SiteError, match=r"objective-2-2.html: an image has no alt text"):
        publish_quarter(published, "FY2027Q1")


def test_the_worked_example_is_on_the_page_with_alt_text_table_and_csv(published_once):
    html = (published_once.site / "objective-2-1.html").read_text()
    start = html.index("Which days changed since civilian investigators started?")
    example = html[start : html.index("Why is it important?", start)]
    assert 'alt="Chart: No-fault crash calls handled by police, average per quarter' in example
    assert "Data table: No-fault crash calls handled by police" in example
    assert "police handled an average of" in example and "% fewer" in example
    csv = "objective-2-1-weekdays.csv"
    assert f'href="data/{csv}"' in example
    lines = (published_once.site / "data" / csv).read_text().splitlines()
    assert lines[0].startswith("Day of the week,") and len(lines) == 8


def test_preview_renders_one_page_and_never_touches_the_site(published):
    from helpers.cli import main

    before = tree_hash(published.site)
    notebook = published.notebooks / "objective-2-2.ipynb"
    notebook.write_text(notebook.read_text().replace("# Objective 2.2", "# Objective 2.2 (draft)"))
    assert main(["--root", str(published.root), "preview", "--only", "2.2"]) == 0
    output = published.build / "preview" / "site-src" / "_site"
    # The page, and the small Archive page that holds an early render until the page is ready.
    assert sorted(p.name for p in output.glob("*.html")) == ["archive.html", "objective-2-2.html"]
    assert "Build Trust" in (output / "objective-2-2.html").read_text()
    assert tree_hash(published.site) == before
    assert main(["--root", str(published.root), "preview", "--only", "9.9"]) == 1
    # The same page as Spanish readers will see it.
    assert main(["--root", str(published.root), "preview", "--only", "2.2", "--lang", "es"]) == 0
    spanish = (output / "objective-2-2.html").read_text()
    assert '<html lang="es"' in spanish and "Generar confianza" in spanish
    assert tree_hash(published.site) == before
    assert main(["--root", str(published.root), "preview", "--only", "2.2", "--lang", "fr"]) == 1


def test_the_say_it_once_check_catches_a_restated_statement_and_caption():
    from ..site_checks import repeated_text

    statement = "Support safe neighborhoods and communities by creating a shared sense of responsibility."
    old = (
        '<main><header><h1 class="title">Goal</h1><div class="description">'
        f"{statement}</div></header><p><strong>{statement}</strong></p>"
        "<h4>Public Safety Staffing</h4><figure><img alt='x'><figcaption>Public Safety Staffing. "
        "Source: HR.</figcaption></figure></main>"
    )
    problems = repeated_text(old)
    assert any(p.startswith("said twice: Support safe") for p in problems)
    assert any("repeats the heading 'Public Safety Staffing'" in p for p in problems)
    assert (
        repeated_text(old.replace(f"<p><strong>{statement}</strong></p>", "").replace("Staffing. S", "S"))
        == []
    )


def test_published_pages_say_each_thing_once(published_once):
    from ..site_checks import repeated_text

    for page in SITE_PAGES:
        assert repeated_text((published_once.site / page).read_text()) == [], page


# --------------------------------------------------------------------------------------------
# The Spanish edition


def test_every_page_is_published_in_spanish_with_a_switch_to_the_same_page(published_once):
    site = published_once.site
    for page in SITE_PAGES:
        english, spanish = (site / page).read_text(), (site / "es" / page).read_text()
        up = "../" * page.count("/")  # a district's page is one folder down
        assert '<html lang="es"' in spanish and '<html lang="en"' in english, page
        switch = '<a class="language-switch" href="{}" hreflang="{}" lang="{}">{}</a>'
        assert switch.format(f"{up}../{page}", "en", "en", "English") in spanish
        assert switch.format(f"{up}es/{page}", "es", "es", "Español") in english
        assert f'<link rel="alternate" hreflang="es" href="{up}es/{page}">' in english
        assert f'<link rel="alternate" hreflang="en" href="{up}../{page}">' in spanish
        assert "Datos de muestra." in spanish and "julio a septiembre de 2026 (AF2027 T1)" in spanish
    for quarter in QUARTERS:  # archived quarters keep both editions
        archived = (site / "archive" / quarter / "es" / "objective-2-1.html").read_text()
        assert "Informe archivado." in archived and 'href="../../../es/index.html"' in archived
    listing = (site / "es" / "archive.html").read_text()
    assert 'href="../archive/FY2027Q1/es/index.html"' in listing


def test_spanish_downloads_have_spanish_headers_and_the_same_numbers(published_once):
    site = published_once.site
    for csv in (published_once.quarter_dir(LATEST) / "csv").glob("*.csv"):
        english = pd.read_csv(site / "data" / csv.name, dtype=str, keep_default_na=False)
        spanish = pd.read_csv(site / "es" / "data" / csv.name, dtype=str, keep_default_na=False)
        # a district's CSV names the district after the measure
        assert spanish.columns[0] == "medida" and "periodo" in spanish.columns[1:3], csv.name
        assert len(spanish) == len(english)
        assert list(spanish["periodo"]) == list(english["period"])  # ids stay the same
        for column in ("value", "numerator", "denominator"):
            if column in english:
                spanish_column = spanish.columns[list(english.columns).index(column)]
                assert list(spanish[spanish_column]) == list(english[column]), (csv.name, column)
        assert set(spanish["datos_de_muestra"]) == {
            "sí: datos de muestra sintéticos, no registros de la Ciudad"
        }


def test_english_left_in_the_spanish_edition_stops_publication(published):
    before = tree_hash(published.site)
    sentence = "<p>Calls for service rose sharply in the eastern districts this quarter.</p>"
    add_output(published, "FY2027Q1", "objective-2-1.ipynb", sentence)
    add_output(published, "FY2027Q1", "es/objective-2-1.ipynb", sentence)
    with pytest.raises(SiteError) as caught:
        publish_quarter(published, "FY2027Q1")
    message = str(caught.value)
    assert 'es/objective-2-1.html: English left untranslated: "Calls for service rose sharply' in message
    assert "params/translations/es/" in message
    assert tree_hash(published.site) == before


def test_english_marked_as_pending_or_a_proper_name_is_not_reported_as_untranslated(tmp_path):
    from helpers.core.language import PENDING_START
    from helpers.core.paths import ProjectPaths
    from helpers.params.editions import edition_reports
    from helpers.site.checks import untranslated_text

    paths = ProjectPaths(REPO)
    settings = load_settings(paths)
    quarter = load_quarter(paths, settings.plan, LATEST)
    editions = edition_reports(settings, quarter)
    # English standing in for a translation is allowed only where the quarter says so
    lenient = edition_reports(settings, quarter.model_copy(update={"translation_pending": "publish_english"}))
    site = tmp_path / "_site"
    (site / "es").mkdir(parents=True)
    english = "<p>Police applications stayed above their level before the pay raise.</p><p>Durham</p>"
    (site / "index.html").write_text(f'<html lang="en"><body>{english}</body></html>')
    pending = (
        '<p><span lang="en">Police applications stayed above their level before the pay raise.</span> '
        '<span class="translation-pending">(traducción pendiente)</span></p><p>Durham</p>'
    )
    (site / "es" / "index.html").write_text(f'<html lang="es"><body>{pending}</body></html>')
    assert untranslated_text(site, lenient) == []
    [stopped] = untranslated_text(site, editions)  # translation_pending: stop
    assert stopped.startswith("es/index.html: English marked as waiting for its translation")
    (site / "es" / "index.html").write_text(f'<html lang="es"><body>{english}</body></html>')
    [problem] = untranslated_text(site, editions)
    assert problem.startswith('es/index.html: English left untranslated: "Police applications stayed')
    (site / "es" / "index.html").write_text(f"<html lang='es'><body><p>{PENDING_START}x</p></body></html>")
    assert untranslated_text(site, editions) == [
        "es/index.html: a pending-translation marker reached the page"
    ]


def test_a_failed_render_exits_8_naming_its_log_and_publishes_nothing(
    published, tmp_path, monkeypatch, caplog
):
    from helpers.cli import EXIT_RENDER, main

    broken = tmp_path / "quarto"
    broken.write_text(
        '#!/bin/sh\nif [ "$1" = --version ]; then echo 1.7.34; exit 0; fi\n'
        "echo 'ERROR: YAML parse' >&2\nexit 1\n"
    )
    broken.chmod(0o755)
    monkeypatch.setenv("QUARTO_PATH", str(broken))
    before = tree_hash(published.site)
    assert main(["--root", str(published.root), "site", "--force"]) == EXIT_RENDER
    assert "Quarto could not render the site (exit code 1)" in caplog.text
    assert "quarto-render.log" in caplog.text and "ERROR: YAML parse" in caplog.text
    assert tree_hash(published.site) == before
