"""``python -m helpers page-views LOG... --quarter Q``: the report's page views from the web
server's access logs, written as the raw source initiative 2.23's measure reads."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import log, project, quarter_of
from .exits import BadArgument


def cmd_page_views(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    from ..data.access_logs import NotAnAccessLog, count_page_views, write_page_views
    from ..params.settings import load_settings

    paths = project(args)
    settings = load_settings(paths)
    quarter = quarter_of(args, paths)
    source = settings.sources.sources.get("webpage_views")
    if source is None or any(c in source.files for c in "*?["):
        raise BadArgument(
            "params/sources.yml needs a webpage_views source with one file name (files: web/...parquet) "
            "for the page views to go to"
        )
    base = urlsplit(settings.open_data.site_url).path or "/"
    try:
        views = count_page_views([Path(f) for f in args.logs], quarter, base)
    except NotAnAccessLog as exc:
        raise BadArgument(str(exc)) from None
    target = paths.raw / source.files
    rows = write_page_views(views, quarter, target)
    counted = sum(views.views.values())
    log.info(
        "%d lines read from %d file(s); %d views of report pages counted in %s",
        views.lines,
        len(args.logs),
        counted,
        quarter.id,
    )
    for reason, count in sorted(views.excluded.items()):
        log.info("  left out, %s: %d", reason, count)
    if views.malformed:
        log.warning(
            "  %d line(s) are not access-log lines and were skipped (first: %s)",
            views.malformed,
            "; ".join(views.malformed_examples),
        )
    log.info("wrote %s (%d rows; no client address is kept)", target.relative_to(paths.root), rows)
    return 0


def add_page_views(add: Any) -> None:
    command = add(
        "page-views",
        cmd_page_views,
        "Count views of the report's pages by page and month from web server access logs (Common or "
        "Combined Log Format, gzip too): robots, assets, non-2xx answers and repeats of one client "
        "and page within 30 minutes left out, no address kept; writes the webpage_views raw source.",
        writes=True,
    )
    command.add_argument("logs", nargs="+", metavar="LOG", help="access log files (.gz read too)")
    command.add_argument("--quarter", help="the fiscal quarter to count, e.g. FY2027Q1 (default: the latest)")
