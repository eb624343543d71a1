"""The real site: rendered by the real Quarto, opened in Chromium, scanned with axe-core.

Runs wherever Quarto (PATH or QUARTO_PATH) exists; the browser part also needs Chromium. Both
skip with the reason otherwise. Screenshots and axe results go to test-artifacts/.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from helpers.pages import report_pages
from helpers.periods import FiscalQuarter
from helpers.quarters import load_quarter
from helpers.settings import load_settings
from helpers.site import publish

from .browser import SCREENS, browser_skip_reason, chromium, serious_violations, serve
from .conftest import QUARTERS, SITE_PAGES, clone_project, real_quarto

NO_QUARTO = (
    "Quarto is not installed here (install it with `pip install quarto-cli`, conda-forge "
    "`quarto`, or from quarto.org; or set QUARTO_PATH)"
)
pytestmark = [
    pytest.mark.quarto,
    pytest.mark.slow,
    pytest.mark.skipif(real_quarto() is None, reason=NO_QUARTO),
]


@pytest.fixture(scope="module")
def rendered(executed_project, tmp_path_factory):
    paths = clone_project(executed_project, tmp_path_factory.mktemp("quarto") / "project")
    shutil.copytree(executed_project.build, paths.build)
    settings = load_settings(paths)
    outcomes = {}
    for quarter in QUARTERS:
        manifest = json.loads((paths.build_quarter(quarter) / "manifest.json").read_text())
        outcomes[quarter] = publish(
            settings,
            FiscalQuarter.parse(quarter),
            load_quarter(paths, settings.plan, quarter),
            report_pages(settings),
            manifest,
        )
    return paths, outcomes


def test_every_page_and_archive_is_published(rendered):
    paths, outcomes = rendered
    assert {q: o.status for q, o in outcomes.items()} == dict.fromkeys(QUARTERS, "published")
    for page in SITE_PAGES:
        assert (paths.site / page).exists(), page
    for quarter in QUARTERS:
        assert (paths.site / "archive" / quarter / "index.html").exists()
    assert (paths.site / "search.json").exists()


def test_pages_show_sections_anchors_badges_banner_and_downloads(rendered):
    paths, _ = rendered
    settings = load_settings(paths)
    for objective in settings.plan.objectives:
        html = (paths.site / f"{objective.page}.html").read_text()
        for initiative in objective.initiatives:
            assert f'id="{initiative.anchor}"' in html
            section = html.split(f'id="{initiative.anchor}"')[1]
            for heading in (
                "Description",
                "Key Measures &amp; Data Analysis",
                "Why is it important?",
                "What have we been doing?",
                "What’s next?",
            ):
                assert heading in section or heading.replace("’", "'") in section, heading
        assert html.count('class="status-badge status-') >= len(objective.initiatives)
        for measure_id in settings.plan.measures_for_objective(objective.id):
            assert f'href="data/{measure_id}.csv"' in html
            assert (paths.site / "data" / f"{measure_id}.csv").exists()
    for objective in settings.plan.objectives:
        toc = (paths.site / f"{objective.page}.html").read_text().split('id="TOC"')[1].split("</nav>")[0]
        for initiative in objective.initiatives:
            assert f'href="#{initiative.anchor}"' in toc, initiative.id  # headings reach the TOC
    index = (paths.site / "index.html").read_text()
    assert index.count('<article class="initiative-card"') == 9
    for page in SITE_PAGES:
        html = (paths.site / page).read_text()
        assert "sample-data-banner" in html, page
        assert "July to September 2026 (FY2027 Q1)" in html, page


def test_no_code_parameters_or_analyst_notes_reach_the_page(rendered):
    paths, _ = rendered
    for page in SITE_PAGES:
        html = (paths.site / page).read_text()
        assert "sourceCode" not in html and "cell-code" not in html, page
        for leaked in (
            "open_page(",
            "NBVAL_CHECK_OUTPUT",
            "processed_dir",
            "Analysts:",
            "output: asis",
            "injected-parameters",
        ):
            assert leaked not in html, (page, leaked)
        assert not re.search(r"<script[^>]+src=\"https?://", html), page


@pytest.fixture(scope="module")
def browser_pages(rendered):
    reason = browser_skip_reason()
    if reason:
        pytest.skip(reason)
    paths, _ = rendered
    SCREENS.mkdir(parents=True, exist_ok=True)
    with serve(paths.site) as base, chromium() as browser:
        yield base, browser


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 360])
def test_axe_finds_no_serious_or_critical_violation(browser_pages, width):
    base, browser = browser_pages
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    report = {}
    for name in [*SITE_PAGES, "archive/FY2026Q4/index.html"]:
        page.goto(base + name, wait_until="networkidle")
        page.screenshot(path=str(SCREENS / f"{name.replace('/', '_')}-{width}.png"), full_page=True)
        report[name] = serious_violations(page)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width + 2, f"{name} scrolls sideways at {width} px ({overflow} px)"
    (SCREENS / f"axe-{width}.json").write_text(json.dumps(report, indent=1))
    print(f"screenshots and axe results in {SCREENS}")
    assert {k: v for k, v in report.items() if v} == {}
    assert not [e for e in errors if "Content Security Policy" in e], errors


@pytest.mark.browser
def test_keyboard_reaches_learn_more_links_and_opens_tables(browser_pages):
    base, browser = browser_pages
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base + "index.html", wait_until="networkidle")
    seen = []
    for _ in range(250):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement && document.activeElement.textContent.trim()"))
        if seen[-1] and seen[-1].startswith("Learn more"):
            break
    assert seen[-1].startswith("Learn more"), seen[-10:]
    page.goto(base + "objective-2-1.html", wait_until="networkidle")
    summary = page.locator("details.measure-table summary").first
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("details.measure-table").first.evaluate("d => d.open")


@pytest.mark.browser
def test_search_widget_has_an_accessible_name(browser_pages):
    base, browser = browser_pages
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base + "index.html", wait_until="networkidle")
    unnamed = page.evaluate("""() => [...document.querySelectorAll('#quarto-search button, '
        + '.aa-DetachedSearchButton')].filter(b => !(b.getAttribute('aria-label')
        || b.textContent.trim())).length""")
    assert unnamed == 0
