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

from ..core.cache import file_sha256
from ..core.language import PENDING_MARKS
from ..core.periods import FiscalQuarter
from ..data.raw import pseudonym_key
from ..params.editions import EditionReport
from ..params.settings import Settings
from .archive import check_sealed
from .assembly import page_files
from .quarto import SiteError

if TYPE_CHECKING:
    from ..measures.gate import Finding

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
        self.security_policy = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "meta" and values.get("http-equiv", "").lower() == "content-security-policy":
            self.security_policy = True
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


def expected_anchors(reports: list[EditionReport]) -> dict[str, list[str]]:
    """Page file (``es/index.html``) -> the ids it must carry, from the page model of each
    edition: the same ids in every language, so a language link keeps the reader's place."""
    anchors: dict[str, list[str]] = {}
    for report in reports:
        prefix = report.edition.prefix
        for spec in report.pages:
            anchors[prefix + spec.html] = spec.anchors(report.settings.plan)
        anchors[prefix + "archive.html"] = []
    return anchors


def check_site(
    settings: Settings, site: Path, reports: list[EditionReport], sample: bool, quarter: FiscalQuarter
) -> dict[str, Any]:
    """Every check that must pass before a site is published; raises ``SiteError`` listing all."""
    html_files = sorted(site.rglob("*.html"))
    # Archived quarters were checked when they were published; this quarter's copy repeats the root.
    parsed = {p: _parse(p) for p in html_files if not p.relative_to(site).as_posix().startswith("archive/")}
    problems = _structure_problems(settings, site, reports, parsed)
    problems += untranslated_text(site, reports)
    for page, info in parsed.items():
        problems += _page_problems(site, page, info, parsed, sample)
    problems += _css_problems(site)
    problems += check_sealed(site, quarter)
    problems += _private_files(settings, site)
    problems += [f"{f.file}: {f.reason}" for f in scan_published(settings, site)]
    weights = {}
    for report in reports:
        goal = report.edition.prefix + "index.html"
        weights[goal] = page_weight(site, site / goal, parsed)
        if weights[goal] > GOAL_PAGE_BUDGET_BYTES:
            problems.append(
                f"{goal} weighs {weights[goal]:,} bytes with its assets (budget {GOAL_PAGE_BUDGET_BYTES:,})"
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
        "goal_page_bytes": weights["index.html"],
        "privacy_findings": 0,
        "links_checked": sum(len(p.refs) for p in parsed.values()),
    }


def _structure_problems(
    settings: Settings, site: Path, reports: list[EditionReport], parsed: dict[Path, _Links]
) -> list[str]:
    """Every page and anchor of the page model is there, with a status badge per initiative."""
    problems = []
    for name, ids in expected_anchors(reports).items():
        page = site / name
        if page not in parsed:
            problems.append(f"page missing: {name}")
            continue
        missing = [i for i in ids if i not in parsed[page].ids]
        if missing:
            problems.append(f"{name}: missing anchors {', '.join(missing)}")
    for report in reports:
        prefix = report.edition.prefix
        for spec in report.pages:
            wanted = len(spec.initiatives(settings.plan))
            page = parsed.get(site / (prefix + spec.html))
            if page is None or not wanted:
                continue
            badges = sum(c.count("status-badge status-") for c in page.classes)
            if badges < wanted:
                problems.append(f"{prefix}{spec.html}: {badges} status badges for {wanted} initiatives")
    return problems


def _page_problems(
    site: Path, page: Path, info: _Links, parsed: dict[Path, _Links], sample: bool
) -> list[str]:
    """One page: the sample banner, the security policy, self-hosting, alt text and links."""
    relative = page.relative_to(site).as_posix()
    problems = []
    banner = any("sample-data-banner" in c.split() for c in info.classes)
    if sample and not banner and relative != "404.html":
        problems.append(f"{relative}: the sample-data banner is missing")
    if not info.security_policy:
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
    return problems


def _css_problems(site: Path) -> list[str]:
    """Stylesheets load nothing from a third party."""
    problems = []
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^'\")]+)", text):
            problems.append(f"{css.relative_to(site)}: third-party url() {url}")
        for url in re.findall(r"@import\s+(?:url\()?['\"]?((?:https?:)?//[^'\")\s;]+)", text):
            problems.append(f"{css.relative_to(site)}: third-party @import {url}")
    return problems


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

    from ..measures.gate import scan_files

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


# --------------------------------------------------------------------------------------------
# English left in another edition


class _Texts(HTMLParser):
    """The words a reader meets on a page: text nodes and image descriptions, except script and
    style, and except passages marked ``lang="en"`` (English on purpose: a pending translation,
    or the link to the English edition)."""

    SKIP = {"script", "style", "noscript", "template"}
    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)

    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        # English on purpose inside another language's page; <html lang> is the page's own language.
        english = tag != "html" and values.get("lang", "").lower().startswith("en")
        if tag == "img" and not self._skipping() and not english and values.get("alt"):
            self.texts.append(values["alt"])
        if tag not in self.VOID:
            self.stack.append((tag, tag in self.SKIP or english))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not self._skipping() and data.strip():
            self.texts.append(data)


def _words(path: Path) -> list[str]:
    parser = _Texts()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return [" ".join(t.split()) for t in parser.texts]


def untranslated_text(site: Path, reports: list[EditionReport]) -> list[str]:
    """Text of another edition's pages that is word for word the English page's: a string that
    was never translated. Numbers, symbols and the edition's proper names (``language.yml``)
    do not count, and neither do passages marked as English on purpose."""
    problems = []
    for report in reports[1:]:
        code = report.edition.code
        names = sorted(report.edition.proper_names, key=len, reverse=True)
        editions = [r.edition for r in reports]
        for page in page_files(site / code, editions):
            english_page = site / page.relative_to(site / code)
            if not english_page.exists():
                continue
            english = set(_words(english_page))
            left = []
            for text in dict.fromkeys(_words(page)):
                if text not in english:
                    continue
                rest = text
                for name in names:
                    rest = rest.replace(name, " ")
                if re.search(r"[^\W\d_]{2,}", rest):  # words left once names are taken out
                    left.append(text)
            if left:
                shown = "; ".join(f'"{t[:60]}"' for t in left[:5])
                more = f" and {len(left) - 5} more" if len(left) > 5 else ""
                where = page.relative_to(site / code).as_posix()
                problems.append(
                    f"{code}/{where}: English left untranslated: {shown}{more}. Translate it in "
                    f"params/translations/{code}/ (helpers check lists what is missing), or add a "
                    f"proper name to params/translations/{code}/language.yml"
                )
    for report in reports[1:]:  # English standing in for a translation, when the quarter forbids it
        if report.params.translation_pending != "stop":
            continue
        for page in page_files(site / report.edition.code, [r.edition for r in reports]):
            if 'class="translation-pending"' in page.read_text(encoding="utf-8"):
                where = page.relative_to(site).as_posix()
                problems.append(
                    f"{where}: English marked as waiting for its translation, but the quarter file says "
                    "translation_pending: stop; a message of the code is missing from interface.po "
                    "(run `python -m helpers translations`, then translate it)"
                )
    for path in site.rglob("*"):
        if (
            path.suffix in {".html", ".csv", ".json", ".xml"}
            and path.is_file()
            and "archive" not in path.parts
        ):
            text = path.read_text(encoding="utf-8", errors="replace")
            if any(mark in text for mark in PENDING_MARKS):
                problems.append(f"{path.relative_to(site)}: a pending-translation marker reached the page")
    return problems
