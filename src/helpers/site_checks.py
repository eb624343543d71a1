"""Site checks: everything that must hold before a rendered site is published.

Every page and anchor the plan defines is there, status badges are shown, internal links and
anchors resolve, every image has alt text, nothing is loaded from a third party, nothing private
is published (notebooks, raw files, build records, person keys, record numbers), and the goal
page stays within its weight budget. Any failure stops the build; the message lists them all.
Archived quarters were checked when they were published and are not checked again.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .pages import SitePage
from .periods import FiscalQuarter
from .quarto import SiteError
from .settings import Settings
from .sources import file_sha256, pseudonym_key

if TYPE_CHECKING:
    from .privacy import Finding

GOAL_PAGE_BUDGET_BYTES = 1_500_000
FORBIDDEN_SUFFIXES = {".ipynb", ".parquet", ".xlsx", ".pkl", ".feather", ".log"}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str]] = []
        self.ids: set[str] = set()
        self.external_assets: list[str] = []
        self.classes: list[str] = []
        self.images_without_alt: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "img" and not values.get("alt", "").strip():
            self.images_without_alt.append(values.get("src", "")[:80])
        if "class" in values:
            self.classes.append(values["class"])
        for attr in ("href", "src"):
            if attr in values:
                self.refs.append((tag, values[attr]))
        is_asset = tag in {"script", "img", "iframe", "source", "audio", "video"} or (
            tag == "link"
            and any(r in values.get("rel", "") for r in ("stylesheet", "preload", "icon", "modulepreload"))
        )
        url = values.get("src") or (values.get("href") if tag == "link" else "")
        if (is_asset and url and urlsplit(url).scheme in {"http", "https"}) or (
            is_asset and url.startswith("//")
        ):
            self.external_assets.append(f"<{tag}> {url}")


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def expected_anchors(settings: Settings, pages: list[SitePage]) -> dict[str, list[str]]:
    """Page file -> the ids it must carry, from the page model."""
    anchors = {spec.html: spec.anchors(settings.plan) for spec in pages}
    anchors["archive.html"] = []
    return anchors


def check_site(
    settings: Settings, site: Path, pages: list[SitePage], sample: bool, quarter: FiscalQuarter
) -> dict[str, Any]:
    """Every check that must pass before a site is published; raises ``SiteError`` listing all."""
    problems: list[str] = []
    html_files = sorted(site.rglob("*.html"))
    parsed = {p: _parse(p) for p in html_files if not p.relative_to(site).as_posix().startswith("archive/")}

    anchors = expected_anchors(settings, pages)
    for name, ids in anchors.items():
        page = site / name
        if page not in parsed:
            problems.append(f"page missing: {name}")
            continue
        missing = [i for i in ids if i not in parsed[page].ids]
        if missing:
            problems.append(f"{name}: missing anchors {', '.join(missing)}")

    for spec in pages:
        wanted = len(spec.initiatives(settings.plan))
        page = parsed.get(site / spec.html)
        if page is None or not wanted:
            continue
        badges = sum(c.count("status-badge status-") for c in page.classes)
        if badges < wanted:
            problems.append(f"{spec.html}: {badges} status badges for {wanted} initiatives")

    for page, info in parsed.items():
        relative = page.relative_to(site).as_posix()
        if relative.startswith("archive/"):
            continue  # earlier quarters were checked when they were published
        text = page.read_text(encoding="utf-8", errors="replace")
        if sample and "sample-data-banner" not in text and relative != "404.html":
            problems.append(f"{relative}: the sample-data banner is missing")
        if 'http-equiv="Content-Security-Policy"' not in text:
            problems.append(f"{relative}: the Content-Security-Policy meta tag is missing")
        problems += [f"{relative}: third-party asset {a}" for a in info.external_assets]
        for src in info.images_without_alt:
            cell = re.search(r"cell-(\d+)-output", src)
            where = f" (output of cell {cell.group(1)} of the executed notebook)" if cell else ""
            problems.append(f"{relative}: an image has no alt text{where}: {src}")
        for tag, ref in info.refs:
            problem = _check_ref(site, page, tag, ref, parsed)
            if problem:
                problems.append(f"{relative}: {problem}")
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^'\")]+)", text):
            problems.append(f"{css.relative_to(site)}: third-party url() {url}")
        for url in re.findall(r"@import\s+(?:url\()?['\"]?((?:https?:)?//[^'\")\s;]+)", text):
            problems.append(f"{css.relative_to(site)}: third-party @import {url}")

    problems += _private_files(settings, site)
    findings = scan_published(settings, site)
    problems += [f"{f.file}: {f.reason}" for f in findings]

    weight = page_weight(site, site / "index.html", parsed)
    if weight > GOAL_PAGE_BUDGET_BYTES:
        problems.append(
            f"index.html weighs {weight:,} bytes with its assets (budget {GOAL_PAGE_BUDGET_BYTES:,})"
        )
    if problems:
        shown = "\n".join(f"  - {p}" for p in problems[:60])
        more = f"\n  ... and {len(problems) - 60} more" if len(problems) > 60 else ""
        raise SiteError(
            f"The rendered site failed {len(problems)} check(s); nothing was "
            f"published and the current site is unchanged:\n{shown}{more}"
        )
    return {
        "pages": len(html_files),
        "goal_page_bytes": weight,
        "privacy_findings": 0,
        "links_checked": sum(len(p.refs) for p in parsed.values()),
    }


def _check_ref(site: Path, page: Path, tag: str, ref: str, parsed: dict[Path, _Links]) -> str | None:
    parts = urlsplit(ref)
    if parts.scheme or ref.startswith(("//", "data:", "mailto:", "tel:", "javascript:")):
        return None
    if not parts.path:
        if parts.fragment and parts.fragment not in parsed[page].ids and parts.fragment != "":
            return f"link to missing anchor #{parts.fragment}"
        return None
    target = (page.parent / unquote(parts.path)).resolve()
    try:
        target.relative_to(site.resolve())
    except ValueError:
        return f"link leaves the site: {ref}"
    if target.is_dir():
        target = target / "index.html"
    if not target.exists():
        return f"broken link {ref}"
    if parts.fragment and target.suffix == ".html":
        info = parsed.get(target) or _parse(target)
        if parts.fragment not in info.ids:
            return f"link to missing anchor {ref}"
    return None


def _private_files(settings: Settings, site: Path) -> list[str]:
    problems = []
    raw_hashes = set()
    for spec in settings.sources.sources.values():
        for path in settings.paths.raw.glob(spec.files):
            raw_hashes.add(file_sha256(path))
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        relative = path.relative_to(site).as_posix()
        if path.suffix.lower() in FORBIDDEN_SUFFIXES:
            problems.append(f"{relative}: {path.suffix} files are never published")
        if "diagnostics" in path.parts or path.name in {"_ingest.json", "publication.json", "manifest.json"}:
            problems.append(f"{relative}: private build files are never published")
        if (
            path.stat().st_size > 0
            and path.suffix.lower() in {".csv", ".json", ".txt", ""}
            and file_sha256(path) in raw_hashes
        ):
            problems.append(f"{relative}: a raw data file is never published")
    return problems


def scan_published(settings: Settings, site: Path) -> list[Finding]:
    """Person keys and record numbers from the canonical data, in any file about to go out."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .privacy import scan_files

    paths, config = settings.paths, settings.sources
    identifiers, people = {}, []
    for name, spec in config.sources.items():
        table_path = paths.canonical / f"{name}.parquet"
        if not table_path.exists():
            continue
        for column, col in spec.columns.items():
            if not (col.identifier or col.identifies_person):
                continue
            values = pq.read_table(table_path, columns=[column]).column(column).cast(pa.string())
            if col.identifier:
                identifiers[f"{name}.{column}"] = values
            else:
                people.append(values)
    hashed = pa.chunked_array([c for p in people for c in p.chunks], pa.string()) if people else None
    try:
        key, _ = pseudonym_key(config, paths)
    except RuntimeError:
        key = None
    # Archived quarters were scanned when published; this quarter's archive copy repeats the root.
    files = [p for p in site.rglob("*") if p.is_file() and p.relative_to(site).parts[0] != "archive"]
    return scan_files(
        files, site, identifiers, hashed, key, config.pseudonymisation.digest_chars, settings.privacy
    )


def page_weight(site: Path, page: Path, parsed: dict[Path, _Links]) -> int:
    """Bytes of a page plus the local scripts, styles and images it loads."""
    info = parsed.get(page) or _parse(page)
    total = page.stat().st_size
    seen = set()
    for tag, ref in info.refs:
        if tag not in {"script", "link", "img"}:
            continue
        parts = urlsplit(ref)
        if parts.scheme or not parts.path:
            continue
        target = (page.parent / unquote(parts.path)).resolve()
        if target in seen or not target.is_file() or target.suffix == ".html":
            continue
        seen.add(target)
        total += target.stat().st_size
    return total
