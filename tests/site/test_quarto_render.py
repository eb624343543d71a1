"""The real site: rendered by the real Quarto, opened in Chromium, scanned with axe-core.

Runs wherever Quarto (PATH or QUARTO_PATH) exists; the browser part also needs Chromium. Both
skip with the reason otherwise. Full-page screenshots at 1280 and 360 px and the axe results go
to test-artifacts/screens/.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from helpers.params.pages import report_pages
from helpers.params.settings import load_settings
from helpers.translation.edition import ENGLISH_EDITION

from ..browser import SCREENS, browser_skip_reason, chromium, serve
from ..conftest import LATEST, QUARTERS, SITE_PAGES, real_quarto
from ..site_checks import repeated_text, running_text

NO_QUARTO = (
    "Quarto is not installed here (install it with `pip install quarto-cli`, conda-forge "
    "`quarto`, or from quarto.org; or set QUARTO_PATH)"
)
pytestmark = [
    pytest.mark.quarto,
    pytest.mark.slow,
    pytest.mark.skipif(real_quarto() is None, reason=NO_QUARTO),
]
WIDTHS = (1280, 360)
SCROLL_THROUGH = """async () => {
  for (let y = 0; y < document.body.scrollHeight; y += 800) {
    window.scrollTo(0, y);
    await new Promise(r => setTimeout(r, 25));
  }
  await Promise.all([...document.images].map(i => i.complete ? null : i.decode().catch(() => null)));
  window.scrollTo(0, 0);
}"""


def all_pages(paths) -> list[str]:
    """The pages residents reach: the latest quarter in both editions, and in every archived
    quarter the English goal page and the Spanish first objective page (the archive notice's
    places in each edition; each page's own template is checked in the latest quarter, the
    measures' pages in test_measure_browser.py)."""
    places = ("index.html", "es/objective-2-1.html")
    archived = [f"archive/{quarter}/{page}" for quarter in QUARTERS for page in places]
    return [*SITE_PAGES, *SPANISH_PAGES, *archived]


def pages_at(width: int, paths) -> list[str]:
    """At phone width, one district page stands for the five (one template, same layout) and the
    archived copies are left to the desktop pass (the same pages with a notice): the suite stays
    within its time budget."""
    pages = all_pages(paths)
    if width >= 1000:
        return pages
    return [
        p for p in pages if not p.startswith("archive/") and not re.search(r"districts/d[1245]\.html$", p)
    ]


SPANISH_PAGES = [f"es/{page}" for page in SITE_PAGES]


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
    pages = {p.page: p for p in report_pages(settings)}
    for objective in settings.plan.objectives:
        html = (paths.site / pages[objective.id].html).read_text()
        for initiative in objective.initiatives:
            # ' id=' and not 'data-anchor-id=': Quarto repeats the anchor on the heading.
            assert f' id="{initiative.anchor}"' in html
            section = html.split(f' id="{initiative.anchor}"')[1]
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
            assert (paths.site / "data" / f"{measure_id}.csv").exists()
        for initiative in objective.initiatives:
            for measure_id in initiative.measures:
                assert f'href="data/{measure_id}.csv"' in html
    for objective in settings.plan.objectives:
        toc = (paths.site / pages[objective.id].html).read_text().split('id="TOC"')[1].split("</nav>")[0]
        for initiative in objective.initiatives:
            assert f'href="#{initiative.anchor}"' in toc, initiative.id  # headings reach the TOC
    index = (paths.site / "index.html").read_text()
    assert index.count('<article class="initiative-card"') == 9
    for page in SITE_PAGES:
        html = (paths.site / page).read_text()
        assert "sample-data-banner" in html, page
        assert "July to September 2026 (FY2027 Q1)" in html, page
        assert html.count(">Skip to main content</a>") == 1, page


def test_each_piece_of_text_appears_once(rendered):
    paths, _ = rendered
    for page in [*SITE_PAGES, *SPANISH_PAGES]:
        assert repeated_text((paths.site / page).read_text()) == [], page


def test_no_code_parameters_or_analyst_notes_reach_the_page(rendered):
    paths, _ = rendered
    for page in [*SITE_PAGES, *SPANISH_PAGES]:
        html = (paths.site / page).read_text()
        assert "sourceCode" not in html and "cell-code" not in html, page
        for leaked in (
            "open_page(",
            "NBVAL_CHECK_OUTPUT",
            "processed_dir",
            "Analysts:",
            "output: asis",
            "injected-parameters",
            "{=html}",
        ):
            assert leaked not in html, (page, leaked)
        assert not re.search(r"<script[^>]+src=\"https?://", html), page


def test_the_spanish_edition_has_every_section_in_spanish(rendered):
    paths, _ = rendered
    settings = load_settings(paths)
    pages = {p.page: p for p in report_pages(settings)}
    for objective in settings.plan.objectives:
        html = (paths.site / "es" / pages[objective.id].html).read_text()
        for initiative in objective.initiatives:
            section = html.split(f' id="{initiative.anchor}"')[1]  # the same anchors as in English
            for heading in (
                "Descripción",
                "Medidas clave y análisis de datos",
                "¿Por qué es importante?",
                "¿Qué hemos estado haciendo?",
                "¿Qué sigue?",
            ):
                assert heading in section, (objective.id, initiative.id, heading)
        assert html.count('class="status-badge status-') >= len(objective.initiatives)
    index = (paths.site / "es" / "index.html").read_text()
    assert index.count('<article class="initiative-card"') == 9 and "Más información" in index
    for page in SPANISH_PAGES:
        html = (paths.site / page).read_text()
        assert re.search(r'<html[^>]* lang="es"', html), page
        assert "julio a septiembre de 2026 (AF2027 T1)" in html and "Datos de muestra." in html, page
        assert html.count(">Saltar al contenido principal</a>") == 1, page
        assert 'class="language-switch" href="../' in html and "Volver arriba" in html, page
    header = (paths.site / "es" / "data" / "calls_911.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("medida,periodo,etiqueta_periodo")
    for quarter in QUARTERS:
        assert (paths.site / "archive" / quarter / "es" / "index.html").exists()


def test_running_text_reads_at_grade_8_or_easier_in_both_editions(rendered):
    """Flesch-Kincaid grade 8 or lower for every English page; for Spanish, Fernandez Huerta 60
    or higher (its "normal" band, read by grade 7 and 8 students; higher is easier)."""
    textstat = pytest.importorskip("textstat")
    paths, _ = rendered
    try:
        textstat.set_lang("en")
        english = {
            p: textstat.flesch_kincaid_grade(running_text((paths.site / p).read_text())) for p in SITE_PAGES
        }
        textstat.set_lang("es")
        spanish = {
            p: textstat.fernandez_huerta(running_text((paths.site / p).read_text())) for p in SPANISH_PAGES
        }
    finally:
        textstat.set_lang("en")
    assert {p: g for p, g in english.items() if g > 8.0} == {}, english
    assert {p: s for p, s in spanish.items() if s < 60.0} == {}, spanish


def test_a_measure_lead_is_its_verdict_never_a_two_point_comparison(rendered):
    paths, _ = rendered
    for page in SITE_PAGES:
        html = (paths.site / page).read_text()
        for summary in re.findall(r'<p class="measure-summary">(.*?)</p>', html, re.S):
            first = re.sub(r"<[^>]+>", "", summary).split(". ")[0]
            assert "previous quarter" not in first and "a year earlier" not in first, (page, first)
            assert re.search(r"usual (range|average)|kept (rising|falling)|not judged", first), (page, first)


def test_the_worked_example_reaches_the_page_with_alt_text_table_and_csv(rendered):
    paths, _ = rendered
    html = (paths.site / "objective-2-1.html").read_text()
    start = html.index("Which days changed since civilian investigators started?")
    example = html[start : html.index("Why is it important?", start)]
    assert 'alt="Chart: No-fault crash calls handled by police, average per quarter' in example
    assert '<details class="measure-table">' in example and "% fewer" in example
    assert 'href="data/objective-2-1-weekdays.csv"' in example
    assert (paths.site / "data" / "objective-2-1-weekdays.csv").read_text().startswith("Day of the week,")


@pytest.fixture(scope="module")
def browser_pages(rendered):
    reason = browser_skip_reason()
    if reason:
        pytest.skip(reason)
    paths, _ = rendered
    SCREENS.mkdir(parents=True, exist_ok=True)
    with serve(paths.site) as base, chromium() as browser:
        yield paths, base, browser


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_loads_its_images_and_axe_finds_nothing(browser_pages, width):
    """Every page, archived quarters included, scrolled so each lazy image loads: no axe finding of
    any impact (with the data tables open), no sideways scrolling, no empty band at the top,
    and the sample-data banner at the top of the content. Full-page screenshots are saved."""
    from axe_playwright_python.sync_playwright import Axe

    paths, base, browser = browser_pages
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    axe = Axe()
    report = {}
    for name in pages_at(width, paths):
        page.goto(base + name, wait_until="load")
        page.evaluate(SCROLL_THROUGH)
        broken = page.evaluate("[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length")
        assert broken == 0, f"{name}: {broken} image(s) did not load"
        shot = SCREENS / f"{name.replace('/', '_').removesuffix('.html')}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        # one axe pass with the data tables open: it sees the closed page's content and theirs
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        report[name] = findings(axe, page)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width + 2, f"{name} scrolls sideways at {width} px ({overflow} px)"
        layout = page.evaluate(
            """() => {
              const header = document.querySelector('#quarto-header').getBoundingClientRect();
              const first = document.querySelector('main').firstElementChild.getBoundingClientRect();
              const banner = document.querySelector('.sample-data-banner').getBoundingClientRect();
              const title = document.querySelector('h1.title').getBoundingClientRect();
              return {gap: first.top - header.bottom, banner: banner.bottom, title: title.top,
                      width: banner.width};
            }"""
        )
        where = f"{name} at {width} px"
        assert 0 <= layout["gap"] <= 40, f"{where}: {layout['gap']:.0f} px empty under the navbar"
        assert layout["title"] - layout["banner"] <= 40, f"{where}: the banner is not above the title"
        assert layout["width"] > width * 0.5, f"{where}: the banner is squeezed into a margin"
    (SCREENS / f"axe-{width}.json").write_text(json.dumps(report, indent=1))
    print(f"screenshots and axe results in {SCREENS}")
    assert {k: v for k, v in report.items() if v} == {}
    assert not [e for e in errors if "Content Security Policy" in e], errors


def findings(axe, page) -> list[tuple[str, str, list]]:
    """Every axe-core violation, whatever its impact: (rule, impact, first elements)."""
    violations = axe.run(page).response["violations"]
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)
    || (style.boxShadow && style.boxShadow !== 'none');
  const box = el.getBoundingClientRect();
  return {tag: el.tagName, text: (el.innerText || el.getAttribute('aria-label') || '').trim().slice(0, 60),
          cls: el.className && el.className.baseVal === undefined ? el.className : '',
          href: el.getAttribute('href') || '', ring, visible: box.width > 0 && box.height > 0};
}"""


def tab_through(page, stops: int = 400) -> list[dict]:
    seen = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        info = page.evaluate(FOCUS)
        if info is None:
            break
        if seen and info == seen[0]:
            break
        seen.append(info)
    return seen


@pytest.mark.browser
def test_keyboard_reaches_everything_with_a_visible_focus_ring(browser_pages):
    paths, base, browser = browser_pages
    settings = load_settings(paths)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base + "index.html", wait_until="networkidle")
    stops = tab_through(page)
    assert stops[0]["text"] == "Skip to main content" and stops[0]["visible"], stops[:2]
    texts = [s["text"] for s in stops]
    for label in ("Goal overview", "2.1 Reduce Harm", "About the data", "Archive"):
        assert any(t.startswith(label) for t in texts), label
    assert any("Search" in t for t in texts), "the search button is not reachable"
    assert sum(t.startswith("Learn more") for t in texts) == len(settings.plan.initiatives)
    for stop in stops:
        assert stop["ring"], f"no visible focus indicator on {stop}"
    page.keyboard.press("Escape")
    page.goto(base + "objective-2-1.html", wait_until="networkidle")
    stops = tab_through(page)
    texts = [s["text"] for s in stops]
    downloads = [s for s in stops if "/data/" in s["href"] and s["href"].endswith(".csv")]
    tables = [s for s in stops if s["tag"] == "SUMMARY" and s["text"].startswith("Data table")]
    measures = settings.plan.measures_for_objective("2.1")
    assert len(downloads) >= len(measures) and len(tables) >= len(measures), texts
    for stop in stops:
        assert stop["ring"], f"no visible focus indicator on {stop}"
    assert not [s for s in stops if s["text"] == "Anchor"], "unnamed heading anchors are tab stops"
    summary = page.locator("details.measure-table summary").first
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator("details.measure-table").first.evaluate("d => d.open")
    for start in ("index.html", "", "objective-2-2.html"):
        page.goto(base + start, wait_until="networkidle")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # the skip link moves the reader past the navigation, same page
        assert page.evaluate("location.hash") == "#quarto-document-content"
        assert page.evaluate("location.pathname") == "/" + start


@pytest.mark.browser
def test_the_spanish_pages_are_reached_and_named_in_spanish_by_keyboard(browser_pages):
    _, base, browser = browser_pages
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base + "es/objective-2-1.html", wait_until="networkidle")
    stops = tab_through(page)
    texts = [s["text"] for s in stops]
    assert texts[0] == "Saltar al contenido principal", texts[:2]
    switch = next(s for s in stops if s["text"] == "English")
    # Quarto's script makes links absolute once the page has loaded.
    assert switch["href"].endswith("/objective-2-1.html") and "/es/" not in switch["href"] and switch["ring"]
    assert "Buscar en este sitio" in texts
    for stop in stops:
        assert stop["ring"], f"no visible focus indicator on {stop}"
    page.goto(base + "es/objective-2-1.html", wait_until="networkidle")  # the navbar in view again
    page.click("a.language-switch")  # the switch leads to the same page in English
    page.wait_for_load_state("networkidle")
    assert page.evaluate("location.pathname") == "/objective-2-1.html"
    assert page.evaluate("document.documentElement.lang") == "en"


@pytest.mark.browser
def test_search_widget_has_an_accessible_name(browser_pages):
    _, base, browser = browser_pages
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base + "index.html", wait_until="networkidle")
    unnamed = page.evaluate("""() => [...document.querySelectorAll('#quarto-search button, '
        + '.aa-DetachedSearchButton, .aa-Autocomplete')].filter(b => !(b.getAttribute('aria-label')
        || b.textContent.trim())).length""")
    assert unnamed == 0


def edit_executed_page(paths, quarter, output: str, sentences: dict[str, str]) -> None:
    """What an analyst's edit to a page's text does to its executed notebooks: one more
    sentence in the page's first Markdown output, in each edition's language."""
    import nbformat

    for notebook in sorted(paths.executed_notebooks(quarter).rglob(f"{output}.ipynb")):
        relative = notebook.relative_to(paths.executed_notebooks(quarter))
        sentence = sentences[relative.parts[0] if len(relative.parts) > 1 else "en"]
        executed = nbformat.read(notebook, as_version=4)
        for cell in executed.cells:
            markdown = [o for o in cell.get("outputs", []) if "text/markdown" in o.get("data", {})]
            if markdown:
                markdown[0]["data"]["text/markdown"] += f"\n\n{sentence}\n"
                break
        nbformat.write(executed, notebook)


def test_an_edit_renders_that_page_alone_and_gives_the_site_a_plain_render_gives(rendered, tmp_path):
    """Editing one page's text re-renders that page and nothing else, in both editions; the
    site is byte for byte what a plain `quarto render` of the same staged folder gives (which
    also checks the render started early, where every other page comes from)."""
    from helpers.params.quarters import load_quarter
    from helpers.site.assembly import finish_pages
    from helpers.site.incremental import kept_folder
    from helpers.site.publish import SiteBuild
    from helpers.site.quarto import find_quarto, render
    from helpers.translation.edition import editions

    from ..conftest import clone_project

    source, _ = rendered
    paths = clone_project(source, tmp_path / "project")
    shutil.copytree(source.build, paths.build)
    shutil.copytree(source.site, paths.site)
    quarter = LATEST
    before = {p.relative_to(paths.site): p.read_bytes() for p in paths.site.rglob("*.html")}
    sentences = {"en": "An edited sentence for this test.", "es": "Una frase cambiada para esta prueba."}
    edit_executed_page(paths, quarter, "objective-2-2", sentences)
    settings = load_settings(paths)
    manifest = json.loads(paths.manifest(quarter).read_text())
    build = SiteBuild(
        settings, quarter, load_quarter(paths, settings.plan, quarter), manifest["code_version"]
    )
    outcome = build.publish()
    assert outcome.status == "published"
    assert outcome.checks["rendered"] == {"en": ["objective-2-2.ipynb"], "es": ["objective-2-2.ipynb"]}
    changed = {
        p
        for p, text in before.items()
        if not (paths.site / p).exists() or (paths.site / p).read_bytes() != text
    }
    assert changed == {
        Path(f"{folder}objective-2-2.html")
        for folder in ("", "es/", f"archive/{LATEST}/", f"archive/{LATEST}/es/")
    }
    assert sentences["en"] in (paths.site / "objective-2-2.html").read_text()
    assert sentences["es"] in (paths.site / "es" / "objective-2-2.html").read_text()

    staged = tmp_path / "staged"
    shutil.copytree(kept_folder(ENGLISH_EDITION.staging(paths, quarter)), staged)
    for leftover in ("_site", ".quarto"):
        shutil.rmtree(staged / leftover, ignore_errors=True)
    (staged / ".staged.json").unlink()
    plain = render(find_quarto(), staged, tmp_path / "render.log")
    finish_pages(plain, ENGLISH_EDITION, editions(paths.params))
    compared = 0
    for path in sorted(plain.rglob("*")):
        if path.is_file():
            relative = path.relative_to(plain)
            assert (paths.site / relative).read_bytes() == path.read_bytes(), relative
            compared += 1
    assert compared > 20


def test_an_early_render_gives_up_when_the_run_stops(tmp_path, rendered):
    import subprocess
    import sys
    import time

    from helpers.site.incremental import kept_folder

    paths, _ = rendered
    staged = tmp_path / "staged"
    shutil.copytree(kept_folder(ENGLISH_EDITION.staging(paths, LATEST)), staged)
    shutil.rmtree(staged / "_site", ignore_errors=True)
    script = (
        "import sys, time; from pathlib import Path\n"
        "from helpers.site.quarto import GatedRender, find_quarto\n"
        "r = GatedRender(find_quarto(), Path(sys.argv[1]), Path(sys.argv[2])).start()\n"
        "print(r.process.pid, flush=True); time.sleep(120)\n"
    )
    runner = subprocess.Popen(
        [sys.executable, "-c", script, str(staged), str(tmp_path / "log")], stdout=subprocess.PIPE, text=True
    )
    quarto_pid = int(runner.stdout.readline())
    time.sleep(4)
    runner.kill()  # the report run dies without a word (power cut, kill -9)
    runner.wait()
    deadline = time.time() + 20
    while time.time() < deadline and Path(f"/proc/{quarto_pid}").exists():
        status = Path(f"/proc/{quarto_pid}/stat").read_text().split()[2]
        if status == "Z":
            break
        time.sleep(0.5)
    alive = (
        Path(f"/proc/{quarto_pid}").exists()
        and Path(f"/proc/{quarto_pid}/stat").read_text().split()[2] != "Z"
    )
    assert not alive, "Quarto still waits for a run that has stopped"
    assert not (staged / "_site" / "index.html").exists()
