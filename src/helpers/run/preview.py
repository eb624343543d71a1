"""A fast loop for analysts: re-execute one page and render only that page, never the site.

``python -m helpers preview --only 2.1`` brings the tables up to date (cached), starts Quarto,
re-executes the page's notebook meanwhile when it changed, and lets Quarto render just that page
(plus the small Archive page that holds the render until the notebook is ready) into
``build/preview/``. The published ``_site`` is never touched, and nothing is checked for
publication: the full run does that, but problems it would find in the page are logged.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..core.cache import code_version, helpers_code_hash
from ..core.periods import FiscalQuarter
from ..data.raw import is_sample_data
from ..params.editions import EditionReport
from ..params.pages import ARCHIVE_SOURCE, page_of, report_pages
from ..params.quarters import QuarterParams
from ..params.settings import Settings
from ..site.quarto import GatedRender, QuartoMissing, checked_quarto, find_quarto
from ..site.staging import stage_data, stage_notebook, stage_site
from ..translation.edition import edition
from .notebooks import execute_notebooks
from .runner import ensure_ingested, ensure_measures

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
    settings: Settings,
    quarter: FiscalQuarter,
    params: QuarterParams,
    page: str,
    force: bool = False,
    code: str = "en",
) -> Preview:
    """Execute (if needed) and render one page of one edition; returns the HTML file to open.
    A text without its translation yet shows in English, marked, as it would be published."""
    started = time.perf_counter()
    local = settings.in_edition(edition(settings.paths.params, code))
    local_params, _ = local.quarter_in_edition(params)
    pages = report_pages(local)
    spec = page_of(pages, page)
    if find_quarto() is None:
        raise QuartoMissing(
            "Quarto was not found, so the page cannot be rendered. Install it (see README.md, "
            "'Installing Quarto') or set QUARTO_PATH. The notebook itself runs in JupyterLab."
        )
    quarto = checked_quarto()
    code = helpers_code_hash()
    ensure_ingested(settings, code)
    ensure_measures(settings, quarter, params, code)
    paths = settings.paths
    staging = preview_dir(settings) / "site-src"
    stage_site(local, quarter, is_sample_data(paths), pages, staging)
    stage_data(local, quarter, local_params, code_version(paths.root), staging)
    config = yaml.safe_load((staging / "_quarto.yml").read_text())
    config["project"]["render"] = [ARCHIVE_SOURCE, spec.source]
    (staging / "_quarto.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    with GatedRender(quarto, staging, preview_dir(settings) / "quarto-render.log", spec.source) as render:
        reports = [EditionReport(local, local_params, pages)]
        executed, _ = execute_notebooks(settings, quarter, params, [page], force, workers=1, reports=reports)
        for other in pages:
            source = other.edition.executed_notebook(paths, quarter, other.output)
            if source.exists():  # every executed page, so the navigation bar's links resolve
                problems = stage_notebook(source, staging / other.source, other, staging / "data")
                for problem in problems if other.page == page else []:
                    log.warning("this page would not be published: %s", problem)
        output = render.wait()
    return Preview(page, output / spec.html, bool(executed), time.perf_counter() - started)


def serve(folder: Path, port: int = 8000, settings: Settings | None = None) -> None:
    """Serve ``folder`` on localhost until interrupted (search and the contents need http://);
    with ``settings``, also receive the feedback form at /feedback (``helpers.site.inbox``)."""
    handler: Any = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    if settings is not None:
        from ..site.inbox import handler_class

        languages = {e.code: e.language for e in settings.editions()}
        handler = handler_class(
            folder,
            settings.paths.build / "feedback" / "received.jsonl",
            settings.open_data.feedback.comment_max_length,
            {m.id for m in settings.plan.measures},
            languages,
        )
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        log.info("serving %s at http://127.0.0.1:%d/ (Ctrl-C to stop)", folder, server.server_address[1])
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
