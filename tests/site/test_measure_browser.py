"""Measure pages, embeds and the feedback form in a real browser (Chromium), on the site the real
Quarto rendered: axe finds nothing at 1280 and 360 px; the form works with JavaScript off and
reaches the server with its fields; the embed works in an iframe on another origin."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from helpers.params.settings import load_settings
from helpers.site.inbox import handler_class

from ..browser import SCREENS, browser_skip_reason, chromium, serve
from ..conftest import LATEST, real_quarto
from .test_quarto_render import NO_QUARTO, SCROLL_THROUGH, findings

pytestmark = [
    pytest.mark.quarto,
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(real_quarto() is None, reason=NO_QUARTO),
]
# One page per kind of chart (process chart of counts, of a share, a callout, bars, hidden
# counts), two of them in Spanish too, and two embeds in both editions.
MEASURE_PAGES = [
    *(
        f"measures/{m}.html"
        for m in ("calls_911", "calls_911_answered_15s", "fn_concentration", "fn_repeat_bands")
    ),
    *(f"{prefix}measures/vacancy_rate.html" for prefix in ("", "es/")),
    "es/measures/calls_911.html",
]
EMBEDS = [
    f"{prefix}measures/{m}/embed.html" for prefix in ("", "es/") for m in ("calls_911", "fn_concentration")
]


@contextlib.contextmanager
def site_with_inbox(paths) -> Iterator[tuple[str, object]]:
    """The published site on a free port, receiving the feedback form at /feedback, as
    ``helpers serve`` does."""
    settings = load_settings(paths)
    inbox = paths.build / "feedback" / "received.jsonl"
    handler = handler_class(
        paths.site,
        inbox,
        settings.open_data.feedback.comment_max_length,
        {m.id for m in settings.plan.measures},
        {e.code: e.language for e in settings.editions()},
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", inbox
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def browser_site(rendered):
    reason = browser_skip_reason()
    if reason:
        pytest.skip(reason)
    paths, _ = rendered
    SCREENS.mkdir(parents=True, exist_ok=True)
    with site_with_inbox(paths) as (base, inbox), chromium() as browser:
        yield paths, base, inbox, browser


@pytest.mark.parametrize("width", [1280, 360])
def test_measure_pages_and_embeds_load_and_axe_finds_nothing(browser_site, width):
    from axe_playwright_python.sync_playwright import Axe

    _, base, _, browser = browser_site
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    missing: list[str] = []  # the browser asks every site for /favicon.ico; nothing else may be missing
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    axe, report = Axe(), {}
    for name in [*MEASURE_PAGES, *EMBEDS]:
        page.goto(base + name, wait_until="load")
        page.evaluate(SCROLL_THROUGH)
        broken = page.evaluate("[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length")
        assert broken == 0, name
        page.screenshot(
            path=str(SCREENS / f"{name.replace('/', '_').removesuffix('.html')}-{width}.png"), full_page=True
        )
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        report[name] = findings(axe, page)  # the data tables open: all of the page's content
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width + 2, f"{name} scrolls sideways at {width} px ({overflow} px)"
    (SCREENS / f"axe-measures-{width}.json").write_text(json.dumps(report, indent=1))
    assert {k: v for k, v in report.items() if v} == {}
    assert [url for url in missing if not url.endswith("/favicon.ico")] == []
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_the_feedback_form_works_with_javascript_off_by_keyboard_labels(browser_site):
    paths, base, inbox, browser = browser_site
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    page = context.new_page()
    endpoint = load_settings(paths).open_data.feedback.endpoint
    posted: list[str] = []

    def to_test_server(route):  # the City's endpoint, played here by the local test server
        posted.append(route.request.post_data or "")
        route.continue_(url=base + "feedback")

    page.route(endpoint, to_test_server)
    page.goto(base + "es/measures/calls_911.html")
    assert page.evaluate("1 + 1") == 2  # Playwright's own evaluation; the page's scripts are off
    page.get_by_label("No, no fue claro").check()
    comment = page.get_by_label("¿Qué podría ser más claro? (opcional)")
    comment.fill("¿Qué cuenta como llamada? " * 40)  # longer than the limit: the browser stops it
    assert len(comment.input_value()) == 500
    page.get_by_role("button", name="Enviar comentarios").click()
    page.wait_for_load_state()
    assert "Recibimos sus comentarios" in page.content()
    assert "919-560-4600" in page.content()
    assert posted and "website=" in posted[0] and "127.0.0.1" not in posted[0]
    received = [json.loads(line) for line in inbox.read_text(encoding="utf-8").splitlines()]
    last = received[-1]
    assert {k: last[k] for k in ("measure", "quarter", "lang", "page", "clear")} == {
        "measure": "calls_911",
        "quarter": LATEST.id,
        "lang": "es",
        "page": "/es/measures/calls_911.html",
        "clear": "no",
    }
    assert len(last["comment"]) == 500 and set(last) == {
        "received",
        "measure",
        "quarter",
        "lang",
        "page",
        "clear",
        "comment",
    }
    # a robot filling the hidden field is thanked and forgotten
    count = len(received)
    page.goto(base + "measures/calls_911.html")
    page.locator("#feedback-website").fill("http://spam.example", force=True)
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_load_state()
    assert "Thank you" in page.content()
    assert len(inbox.read_text(encoding="utf-8").splitlines()) == count
    context.close()


def test_an_embed_works_in_an_iframe_on_another_origin(browser_site, tmp_path):
    _, base, _, browser = browser_site
    host = tmp_path / "newsroom"
    host.mkdir()
    (host / "story.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><title>A local news story</title>'
        '<link rel="icon" href="data:,"></head><body>'
        f'<main><h1>Calls this summer</h1><iframe src="{base}measures/calls_911/embed.html" '
        'title="911 Calls Received" width="100%" height="560" style="border:0"></iframe></main></body></html>'
    )
    with serve(host) as other:
        assert other.split(":")[2] != base.split(":")[2]  # another port: another origin
        page = browser.new_page(viewport={"width": 720, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(other + "story.html", wait_until="networkidle")
        frame = page.frame_locator("iframe")
        assert frame.locator("h1").inner_text() == "911 Calls Received"
        image = frame.locator("img.chart")
        assert image.evaluate("i => i.complete && i.naturalWidth > 0")
        assert image.get_attribute("alt").startswith("Chart") or len(image.get_attribute("alt")) > 40
        link = frame.get_by_role("link", name="Download the data (CSV)")
        assert link.get_attribute("target") == "_blank"
        page.screenshot(path=str(SCREENS / "embed-in-another-origin.png"))
        assert errors == []
