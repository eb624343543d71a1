"""A fast loop for analysts: re-execute one page and render only that page, never the site.

``python -m helpers preview --only 2.1`` brings the tables up to date (cached), re-executes the
page's notebook when it changed, stages the site configuration with every executed page (so the
navigation works) and asks Quarto to render just the one page into ``build/preview/``. The
published ``_site`` is never touched, and nothing is checked for publication: the full run does
that.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from .pages import UnknownPage, report_pages
from .periods import FiscalQuarter
from .quarters import QuarterParams
from .runner import ensure_ingested, ensure_measures, execute_notebooks, helpers_code_hash
from .settings import Settings
from .site import QuartoMissing, checked_quarto, find_quarto, render, stage_common, stage_notebook
from .sources import is_sample_data

log = logging.getLogger("helpers.preview")


@dataclass
class Preview:
    page: str
    html: Path
    executed: bool
    seconds: float


def preview_dir(settings: Settings) -> Path:
    return settings.paths.build / "preview"


def preview_page(
    settings: Settings, quarter: FiscalQuarter, params: QuarterParams, page: str, force: bool = False
) -> Preview:
    """Execute (if needed) and render one page; returns the HTML file to open."""
    started = time.perf_counter()
    pages = report_pages(settings)
    spec = next((s for s in pages if s.page == page), None)
    if spec is None:
        raise UnknownPage(f"'{page}' is not a page; choose from {', '.join(s.page for s in pages)}")
    if find_quarto() is None:
        raise QuartoMissing(
            "Quarto was not found, so the page cannot be rendered. Install it (see README.md, "
            "'Installing Quarto') or set QUARTO_PATH. The notebook itself runs in JupyterLab."
        )
    quarto = checked_quarto()
    code = helpers_code_hash()
    ensure_ingested(settings, code)
    ensure_measures(settings, quarter, params, code)
    executed, _ = execute_notebooks(settings, quarter, params, [page], force, workers=1)
    staging = preview_dir(settings) / "site-src"
    stage_common(settings, quarter, is_sample_data(settings.paths), staging)
    problems: list[str] = []
    for other in pages:
        source = settings.paths.build_quarter(quarter.id) / "notebooks" / f"{other.output}.ipynb"
        if source.exists():  # every executed page, so the navigation bar's links resolve
            found = stage_notebook(source, staging / f"{other.output}.ipynb", other, staging / "data")
            problems += found if other.page == page else []
    for problem in problems:
        log.warning("this page would not be published: %s", problem)
    output = render(quarto, staging, preview_dir(settings) / "quarto-render.log", page=f"{spec.output}.ipynb")
    return Preview(page, output / f"{spec.output}.html", bool(executed), time.perf_counter() - started)


def serve(folder: Path, port: int = 8000) -> None:
    """Serve ``folder`` on localhost until interrupted (search and the contents need http://)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        log.info("serving %s at http://127.0.0.1:%d/ (Ctrl-C to stop)", folder, server.server_address[1])
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
