"""Page views of the report from the web server's own access logs, not from a script in the
reader's browser: no cookie, no tracker, nothing sent to a third party.

``count_page_views`` reads Common or Combined Log Format files (nginx's and Apache's defaults,
gzip or not) and counts, by month and page, the views of the report's pages: GET requests
answered 2xx for an HTML page of the site, from clients that are not robots, and not a repeat
of the same client and page within 30 minutes. The client (address and browser) is used only
in memory to spot repeats; no address is written anywhere. ``write_page_views`` writes the
counts as the raw source initiative 2.23's measure reads (``webpage_views`` in
``params/sources.yml``), replacing that quarter's months and keeping the others.
"""

from __future__ import annotations

import gzip
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..core.periods import FiscalQuarter

# 127.0.0.1 - - [10/Oct/2026:13:55:36 -0400] "GET /a.html HTTP/1.1" 200 2326 "ref" "agent"
_LINE = re.compile(
    r'^(?P<client>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<target>\S+)(?: [^"]*)?" '
    r'(?P<status>\d{3}) (?:\d+|-)(?: "(?P<referrer>[^"]*)" "(?P<agent>[^"]*)")?'
)
_TIME = "%d/%b/%Y:%H:%M:%S %z"
# Crawlers, link previews, monitors and scripts say so in their user agent.
ROBOTS = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|monitor|uptime|"
    r"pingdom|headless|lighthouse|curl/|wget/|python-requests|python-urllib|httpx|go-http-client|"
    r"java/|libwww|okhttp|scrapy|feedfetcher|axios/",
    re.IGNORECASE,
)
REPEAT = timedelta(minutes=30)
SECTIONS = ("overview", "objectives", "districts", "measures", "embeds", "about")
NOT_A_LOG_AFTER = 50  # lines read without one access-log line: the file is something else


class NotAnAccessLog(ValueError):
    """A file given as an access log is not one; the message names it."""


@dataclass
class PageViews:
    """The counts, and why every other line was left out (for the command's report)."""

    views: Counter[tuple[date, str]] = field(default_factory=Counter)  # (month, page) -> views
    lines: int = 0
    malformed: int = 0
    malformed_examples: list[str] = field(default_factory=list)  # "file, line n"
    excluded: Counter[str] = field(default_factory=Counter)


def section_of(page: str) -> str | None:
    """The part of the report a page belongs to (``es/`` pages with their English ones), or None
    for anything that is not a report page."""
    path = page.removeprefix("es/")
    if path.endswith("/embed.html") and path.startswith("measures/"):
        return "embeds"
    if path == "index.html":
        return "overview"
    if path.startswith("objective-"):
        return "objectives"
    if path.startswith("districts/"):
        return "districts"
    if path.startswith("measures/"):
        return "measures"
    if path in {"about-the-data.html", "archive.html"} or path.startswith("archive/"):
        return "about"
    return None


def report_page(target: str, base_path: str) -> str | None:
    """The report page a request is for, as a path from the site's root (``measures/x.html``),
    without its query string; None for assets and anything outside the site."""
    path = unquote(urlsplit(target).path)
    if not path.startswith(base_path) or ".." in path.split("/"):
        return None
    relative = path[len(base_path) :]
    if relative == "" or relative.endswith("/"):
        relative += "index.html"
    return relative if relative.endswith(".html") else None


def _lines(path: Path) -> Iterator[str]:
    with path.open("rb") as probe:
        zipped = probe.read(2) == b"\x1f\x8b"
    opener = gzip.open if zipped else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:  # type: ignore[operator]
            yield from handle
    except (OSError, EOFError) as exc:
        raise NotAnAccessLog(f"{path}: cannot be read as an access log ({exc})") from None


def count_page_views(files: list[Path], quarter: FiscalQuarter, base_path: str = "/") -> PageViews:
    """Views of report pages in ``quarter``'s months, from every log file given."""
    result = PageViews()
    requests: list[tuple[datetime, tuple[str, str], str]] = []  # (time, client, page)
    for path in files:
        if not path.is_file():
            raise NotAnAccessLog(f"{path}: no such file")
        parsed_here = 0
        for number, line in enumerate(_lines(path), start=1):
            if not line.strip():
                continue
            result.lines += 1
            match = _LINE.match(line)
            when = None
            if match:
                try:
                    when = datetime.strptime(match["time"], _TIME)
                except ValueError:
                    when = None
            if match is None or when is None:
                result.malformed += 1
                if len(result.malformed_examples) < 5:
                    result.malformed_examples.append(f"{path.name}, line {number}")
                if parsed_here == 0 and number >= NOT_A_LOG_AFTER:
                    raise NotAnAccessLog(
                        f"{path}: none of its first {number} lines is an access-log line (Common or "
                        'Combined Log Format, e.g. 127.0.0.1 - - [10/Oct/2026:13:55:36 -0400] "GET / '
                        "HTTP/1.1\" 200 2326); give the web server's access logs"
                    )
                continue
            parsed_here += 1
            reason = _excluded(match, when, quarter, base_path)
            if reason:
                result.excluded[reason] += 1
                continue
            page = report_page(match["target"], base_path)
            requests.append((when, (match["client"], match["agent"] or ""), page))  # type: ignore[arg-type]
        if parsed_here == 0 and result.lines:
            raise NotAnAccessLog(f"{path}: it has no access-log lines (Common or Combined Log Format)")
    last_seen: dict[tuple[tuple[str, str], str], datetime] = {}
    for when, client, page in sorted(requests, key=lambda r: r[0]):
        key = (client, page)
        previous = last_seen.get(key)
        last_seen[key] = when
        if previous is not None and when - previous < REPEAT:
            result.excluded["repeat within 30 minutes"] += 1
            continue
        result.views[(date(when.year, when.month, 1), page)] += 1
    return result


def _excluded(match: re.Match[str], when: datetime, quarter: FiscalQuarter, base_path: str) -> str | None:
    if not quarter.start <= when.date() <= quarter.end:
        return "outside the quarter"
    if match["method"] not in {"GET"}:
        return "not a page request (method)"
    if not match["status"].startswith("2"):
        return "not a 2xx response"
    if match["agent"] and ROBOTS.search(match["agent"]):
        return "robot"
    page = report_page(match["target"], base_path)
    if page is None:
        return "asset or outside the site"
    if section_of(page) is None:
        return "not a report page"
    return None


def write_page_views(views: PageViews, quarter: FiscalQuarter, target: Path) -> int:
    """Write the counts as the ``webpage_views`` raw source: this quarter's months replaced,
    other months kept; rows sorted, so the same logs give the same bytes. Returns the rows."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {"month": pd.Timestamp(month), "page": page, "section": section_of(page), "views": count}
        for (month, page), count in views.views.items()
    ]
    frame = pd.DataFrame(rows, columns=["month", "page", "section", "views"])
    if target.exists():
        old = pd.read_parquet(target)
        if list(old.columns) != ["month", "page", "section", "views"]:
            raise NotAnAccessLog(
                f"{target} has columns {', '.join(map(str, old.columns))}, not month, page, section, "
                "views: it was not written by this command; move it away first"
            )
        months = pd.to_datetime(old["month"]).dt.date
        keep = old[(months < quarter.start) | (months > quarter.end)]
        frame = pd.concat([keep, frame], ignore_index=True)
    frame["month"] = pd.to_datetime(frame["month"]).astype("datetime64[ms]")
    frame["views"] = frame["views"].astype("int64")
    frame = frame.sort_values(["month", "page"]).reset_index(drop=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.tmp")
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, scratch, compression="zstd")
    scratch.replace(target)
    return len(frame)
