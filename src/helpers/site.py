"""Executed notebooks -> the residents' website, published atomically.

1. Stage: a fresh folder gets ``_quarto.yml``, the hand-written ``site/`` files, the executed
   notebooks (rendered from their stored outputs, never re-executed), the download CSVs, a
   generated Archive page and, for sample data, the banner include.
2. Render: the real Quarto (``QUARTO_PATH`` or ``quarto`` on PATH), into the staging folder.
3. Assemble: earlier quarters are copied in, read-only, under ``archive/<quarter>/``, and this
   quarter's own archive copy is made.
4. Check: every page and anchor present, internal links resolve, nothing private published
   (notebooks, raw files, diagnostics, person keys, record numbers), everything self-hosted, the
   goal page under its weight budget.
5. Swap: ``_site`` becomes ``_site.previous`` and the checked folder becomes ``_site``. A failure at
   any step leaves the published site exactly as it was.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import yaml

from .paths import ProjectPaths
from .periods import FiscalQuarter, quarter_ids
from .quarters import QuarterParams
from .settings import Settings
from .sources import file_sha256, is_sample_data, pseudonym_key

if TYPE_CHECKING:
    from .privacy import Finding

log = logging.getLogger("helpers.site")

MIN_QUARTO = (1, 6)
GOAL_PAGE_BUDGET_BYTES = 1_500_000
FORBIDDEN_SUFFIXES = {".ipynb", ".parquet", ".xlsx", ".pkl", ".feather", ".log"}
ARCHIVE_NOTICE = (
    '<div class="archive-notice" role="note" aria-label="Archived report">'
    "<p><strong>Archived report.</strong> "
    "This is the report for {period} as published. It is kept unchanged. "
    '<a href="../../index.html">Read the latest report</a> or '
    '<a href="../../archive.html">see all quarters</a>.</p></div>'
)
# A div, not an <aside>: Quarto moves asides into the margin column, away from the content.
SAMPLE_BANNER = (
    '<div class="sample-data-banner" role="note" aria-label="Sample data notice"><p><strong>Sample data.'
    "</strong> This report was built from synthetic sample data to show how the report works. "
    "The figures are not City of Durham records.</p></div>"
)

QUARTO_INSTALL_HELP = """\
Quarto was not found, so the website was not rendered. The notebooks were executed and are in
  {executed}
To build the website, install Quarto 1.6 or later, then run `make report` again:
  - with pip (into this project's environment):  .venv/bin/pip install quarto-cli
  - with conda (conda-forge):                      conda install -c conda-forge quarto
  - with the installer from                         https://quarto.org/docs/get-started/
If Quarto is installed somewhere unusual, set QUARTO_PATH to the quarto executable."""


class SiteError(RuntimeError):
    """The site could not be built or did not pass its checks; nothing was published."""


class QuartoMissing(SiteError):
    pass


@dataclass
class PublishOutcome:
    status: str  # published | unchanged | quarto-missing | not-rendered
    quarto: str | None = None
    checks: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "quarto": self.quarto, "checks": self.checks, "message": self.message}


# --------------------------------------------------------------------------------------------
# Quarto


def find_quarto() -> str | None:
    """``QUARTO_PATH``, then ``quarto`` on PATH, then next to this Python (pip's quarto-cli)."""
    explicit = os.environ.get("QUARTO_PATH")
    candidates = [explicit] if explicit else []
    candidates += [shutil.which("quarto"), str(Path(sys.executable).parent / "quarto")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def quarto_version(quarto: str) -> tuple[int, ...]:
    output = subprocess.run(
        [quarto, "--version"], capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()
    return tuple(int(p) for p in re.findall(r"\d+", output)[:3])


def checked_quarto() -> str:
    quarto = find_quarto()
    if quarto is None:
        raise QuartoMissing("Quarto is not installed")
    version = quarto_version(quarto)
    if version[:2] < MIN_QUARTO:
        raise SiteError(
            f"Quarto {'.'.join(map(str, version))} at {quarto} is too old: the site "
            f"needs {'.'.join(map(str, MIN_QUARTO))} or later (https://quarto.org)."
        )
    return quarto


# --------------------------------------------------------------------------------------------
# Staging


def archived_quarters(site: Path) -> list[str]:
    folder = site / "archive"
    if not folder.exists():
        return []
    return quarter_ids(child.name for child in folder.iterdir())


def check_quarto_config(paths: ProjectPaths, pages: list[Any]) -> None:
    """``_quarto.yml`` must render and link every page the plan defines."""
    from .params import fail

    for spec in pages:
        if not spec.notebook.exists():
            raise fail(
                str(spec.notebook.relative_to(paths.root)),
                "(file)",
                f"the notebook for the {spec.label} page is missing",
                "copy a notebook of the same kind and change its page id (see README)",
            )
    config = yaml.safe_load(paths.quarto_config.read_text())
    render = set(config.get("project", {}).get("render", []))
    navbar = [
        item.get("href")
        for item in config.get("website", {}).get("navbar", {}).get("left", [])
        if isinstance(item, dict)
    ]
    for spec in pages:
        name = f"{spec.output}.ipynb"
        if name not in render:
            raise fail(
                "_quarto.yml",
                "project.render",
                f"'{name}' is not rendered",
                f"add '- {name}' to project.render",
            )
        if name not in navbar:
            raise fail(
                "_quarto.yml",
                "website.navbar.left",
                f"'{name}' has no navbar entry",
                f"add an item with href: {name}",
            )


def archive_page(quarters: list[FiscalQuarter], current: FiscalQuarter) -> str:
    rows = []
    for quarter in sorted(quarters, reverse=True):
        label = "latest" if quarter == current else ""
        rows.append(
            f'<tr><th scope="row">{esc(quarter.label)}</th><td>{esc(quarter.span_label)}</td>'
            f'<td><a href="archive/{esc(quarter.id)}/index.html">Report for '
            f"{esc(quarter.span_label)}</a>{' (latest)' if label else ''}</td></tr>"
        )
    table = (
        '<div class="table-responsive" tabindex="0" role="region" aria-label="Published quarters">'
        '<table class="table table-sm" data-quarto-disable-processing="true">'
        "<caption>Published quarterly reports, newest first</caption>"
        '<thead><tr><th scope="col">Quarter</th><th scope="col">Months covered</th>'
        f'<th scope="col">Report</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )
    meta = {
        "title": "Archive of quarterly reports",
        "subtitle": f"Quarterly report: {current.long_label}",
        "description": "Every published quarter of the report, kept as it was published.",
    }
    return (
        "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n\n"
        "Each quarter's report stays online exactly as it was published, so that anyone can "
        "see what the City reported at the time. Figures in later reports can differ when "
        "records are corrected.\n\n```{=html}\n" + table + "\n```\n"
    )


def stage_common(settings: Settings, quarter: FiscalQuarter, sample: bool, staging: Path) -> None:
    """A fresh folder with the site configuration, the hand-written assets, the banner include
    and the quarter's download CSVs: everything a render needs but the pages."""
    paths = settings.paths
    if staging.exists():
        shutil.rmtree(staging, onerror=_force_remove)
    staging.mkdir(parents=True)
    shutil.copy2(paths.quarto_config, staging / "_quarto.yml")
    shutil.copytree(paths.site_assets, staging / "site")
    banner = SAMPLE_BANNER if sample else "<!-- built from City records: no sample-data banner -->"
    (staging / "site" / "banner.html").write_text(banner + "\n")
    data = staging / "data"
    data.mkdir()
    for csv in sorted((paths.quarter_dir(quarter.id) / "csv").glob("*.csv")):
        shutil.copy2(csv, data / csv.name)


def stage(
    settings: Settings,
    quarter: FiscalQuarter,
    params: QuarterParams,
    pages: list[Any],
    manifest: dict[str, Any],
    staging: Path,
) -> None:
    paths = settings.paths
    sample = bool(manifest.get("publication", {}).get("sample_data"))
    stage_common(settings, quarter, sample, staging)
    problems: list[str] = []
    for spec in pages:
        source = paths.build_quarter(quarter.id) / "notebooks" / f"{spec.output}.ipynb"
        if not source.exists():
            raise SiteError(f"{source} is missing: execute the notebooks first (`make report`).")
        problems += stage_notebook(source, staging / f"{spec.output}.ipynb", spec, staging / "data")
    if problems:
        raise SiteError(
            f"{len(problems)} problem(s) in the executed notebooks; nothing was published:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    quarters = [FiscalQuarter.parse(q) for q in archived_quarters(paths.site)]
    if quarter not in quarters:
        quarters.append(quarter)
    (staging / "archive.qmd").write_text(archive_page(quarters, quarter))
    provenance = {
        **params.facts(),
        "sample_data": bool(manifest.get("publication", {}).get("sample_data")),
        "code_version": manifest.get("code_version"),
        "csv_sha256": {
            f"data/{k}.csv": v["csv_sha256"]
            for k, v in manifest.get("publication", {}).get("measures", {}).items()
        },
    }
    (staging / "provenance.json").write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")


_FIG_ALT = re.compile(r"^#\|\s*fig-alt\s*:\s*\S", re.MULTILINE)
_NO_OUTPUT = re.compile(r"^#\|\s*output\s*:\s*false\s*$", re.MULTILINE)
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")


def stage_notebook(source: Path, target: Path, spec: Any, data: Path) -> list[str]:
    """Copy one executed notebook for Quarto: fragments keep their Markdown view only, the files
    they publish go to ``data/``, and any image without alt text is reported by page and cell."""
    import nbformat

    from .fragments import for_quarto

    notebook = nbformat.read(source, as_version=4)
    problems = []
    for name, text in for_quarto(notebook):
        if (data / name).exists():
            problems.append(f"{spec.label}: the download {name} is published twice; give the figure a name=")
            continue
        (data / name).write_text(text, encoding="utf-8")
    positions = _source_positions(spec.notebook)
    for cell in notebook.cells:
        tags = set(cell.metadata.get("tags", []))
        removed = tags & {"remove-cell", "remove-output"} or _NO_OUTPUT.search(cell.source)
        if cell.cell_type != "code" or _FIG_ALT.search(cell.source) or removed:
            continue
        if any(set(IMAGE_TYPES) & set(o.get("data", {})) for o in cell.get("outputs", [])):
            where = positions.get(cell.get("id"), "?")
            problems.append(
                f"{spec.label} ({spec.notebook.name}), cell {where}: a figure has no alt text. "
                "Publish it with page.figure(fig, caption=..., data=...) (alt text, table and CSV "
                "included), or add a `#| fig-alt: <what the figure shows>` line to the cell."
            )
    nbformat.write(notebook, str(target))
    return problems


def _source_positions(notebook: Path) -> dict[str, int]:
    """Cell id -> position (1-based) in the notebook as the analyst sees it in JupyterLab."""
    import nbformat

    if not notebook.exists():
        return {}
    cells = nbformat.read(notebook, as_version=4).cells
    return {cell.get("id"): i for i, cell in enumerate(cells, start=1)}


def render(quarto: str, staging: Path, log_file: Path, page: str | None = None) -> Path:
    """Render the staged site (or only ``page``, a file in it) with Quarto, never executing code."""
    env = {**os.environ, "QUARTO_PYTHON": sys.executable}
    started = time.perf_counter()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w") as handle:
        completed = subprocess.run(
            [quarto, "render", page or str(staging), "--no-execute"],
            cwd=staging,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            timeout=1800,
            check=False,
        )
    if completed.returncode != 0:
        tail = log_file.read_text(errors="replace").splitlines()[-25:]
        raise SiteError(
            "Quarto could not render the site (exit code "
            f"{completed.returncode}). Last lines of {log_file}:\n" + "\n".join(tail)
        )
    log.info("quarto render finished in %.1fs", time.perf_counter() - started)
    output = staging / "_site"
    expected = output / (Path(page).with_suffix(".html").name if page else "index.html")
    if not expected.exists():
        raise SiteError(f"Quarto finished but {expected} is missing.")
    return output


SKIP_LINK = '<a class="skip-link" href="#quarto-document-content">Skip to main content</a>'


def finish_pages(site: Path) -> None:
    """What Quarto's template lacks, added to every rendered page (archives were finished when
    they were published): a "Skip to main content" link first in the page (inside the header,
    so it is within a landmark), and a name for the navigation bar so that screen readers can
    tell it from the table of contents."""
    for page in site.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        header = re.search(r"<header\b[^>]*>", text) or re.search(r"<body\b[^>]*>", text)
        if header:
            text = text[: header.end()] + "\n" + SKIP_LINK + text[header.end() :]
        text = text.replace('<nav class="navbar', '<nav aria-label="Site" class="navbar', 1)
        text = text.replace(
            '<nav id="TOC" role="doc-toc"', '<nav id="TOC" role="doc-toc" aria-label="On this page"', 1
        )
        page.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Archive


def _force_remove(function: Any, path: str, _: Any) -> None:
    os.chmod(path, stat.S_IWRITE | stat.S_IREAD | stat.S_IEXEC)
    function(path)


def make_archive_copy(site: Path, quarter: FiscalQuarter) -> None:
    """``archive/<quarter>/``: this quarter's pages as published, with a notice, read-only."""
    target = site / "archive" / quarter.id
    if target.exists():
        shutil.rmtree(target, onerror=_force_remove)
    shutil.copytree(site, target, ignore=lambda d, names: ["archive"] if Path(d) == site else [])
    notice = ARCHIVE_NOTICE.format(period=esc(quarter.long_label))
    for page in target.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        text = re.sub(r"(<main\b[^>]*>)", lambda m: m.group(1) + notice, text, count=1)
        if page.name == "archive.html":
            text = text.replace('href="archive/', 'href="../../archive/')
        page.write_text(text, encoding="utf-8")


def copy_archives(published: Path, staged_site: Path, current: FiscalQuarter) -> list[str]:
    """Bring every earlier quarter's archive across unchanged; refuse to rewrite history."""
    copied = []
    for quarter_id in archived_quarters(published):
        quarter = FiscalQuarter.parse(quarter_id)
        if quarter == current:
            continue
        if quarter > current:
            raise SiteError(
                f"The published site already holds {quarter_id}, later than "
                f"{current.id}. Archived quarters are read-only: build the latest "
                "quarter instead."
            )
        shutil.copytree(published / "archive" / quarter_id, staged_site / "archive" / quarter_id)
        copied.append(quarter_id)
    return copied


def make_read_only(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(0o444)


# --------------------------------------------------------------------------------------------
# Checks


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


def expected_anchors(settings: Settings, pages: list[Any]) -> dict[str, list[str]]:
    plan = settings.plan
    anchors: dict[str, list[str]] = {
        "index.html": ["setting-the-stage", "status-legend"],
        "about-the-data.html": ["privacy", "measures"],
        "archive.html": [],
    }
    for measure_id in plan.goal.context_measures:
        anchors["index.html"].append(plan.measure(measure_id).anchor)
    for objective in plan.objectives:
        anchors["index.html"].append("objective-" + objective.id.replace(".", "-"))
        page = anchors.setdefault(f"{objective.page}.html", [])
        for initiative in objective.initiatives:
            anchors["index.html"].append(f"card-{initiative.id.replace('.', '-')}")
            page.append(initiative.anchor)
            page += [plan.measure(m).anchor for m in initiative.measures]
    return anchors


def check_site(
    settings: Settings, site: Path, pages: list[Any], sample: bool, quarter: FiscalQuarter
) -> dict[str, Any]:
    """Every check that must pass before a site is published; raises ``SiteError`` listing all."""
    problems: list[str] = []
    html_files = sorted(site.rglob("*.html"))
    parsed = {p: _parse(p) for p in html_files}

    anchors = expected_anchors(settings, pages)
    for name, ids in anchors.items():
        page = site / name
        if page not in parsed:
            problems.append(f"page missing: {name}")
            continue
        missing = [i for i in ids if i not in parsed[page].ids]
        if missing:
            problems.append(f"{name}: missing anchors {', '.join(missing)}")

    badges = sum(c.count("status-badge status-") for c in parsed.get(site / "index.html", _Links()).classes)
    initiatives = len(settings.plan.initiatives)
    if badges < initiatives:
        problems.append(f"index.html: {badges} status badges for {initiatives} initiatives")
    for objective in settings.plan.objectives:
        page = parsed.get(site / f"{objective.page}.html")
        if page is None:
            continue
        count = sum(c.count("status-badge status-") for c in page.classes)
        if count < len(objective.initiatives):
            problems.append(f"{objective.page}.html: status badge missing for an initiative")

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


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


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
    files = [p for p in site.rglob("*") if p.is_file()]
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
# Publishing


def site_inputs(settings: Settings, quarter: FiscalQuarter, pages: list[Any], sample: bool) -> dict[str, Any]:
    """What the published site is made of; unchanged inputs mean there is nothing to do."""
    paths = settings.paths
    notebooks = {
        spec.output: file_sha256(paths.build_quarter(quarter.id) / "notebooks" / f"{spec.output}.ipynb")
        for spec in pages
    }
    assets = {
        p.relative_to(paths.site_assets).as_posix(): file_sha256(p)
        for p in sorted(paths.site_assets.rglob("*"))
        if p.is_file()
    }
    csvs = {p.name: file_sha256(p) for p in sorted((paths.quarter_dir(quarter.id) / "csv").glob("*.csv"))}
    return {
        "quarter": quarter.id,
        "quarto_yml": file_sha256(paths.quarto_config),
        "notebooks": notebooks,
        "assets": assets,
        "csv": csvs,
        "sample": sample,
        "archive": [q for q in archived_quarters(paths.site) if q != quarter.id],
    }


def build_record_path(paths: ProjectPaths) -> Path:
    """What the published site was built from; kept beside the build, never published."""
    return paths.build / "published-site.json"


def swap_in(paths: ProjectPaths, staged_site: Path) -> None:
    """Publish ``staged_site``: the current site becomes the fallback ``_site.previous``."""
    if paths.previous_site.exists():
        shutil.rmtree(paths.previous_site, onerror=_force_remove)
    if paths.site.exists():
        paths.site.rename(paths.previous_site)
    staged_site.rename(paths.site)


def publish(
    settings: Settings,
    quarter: FiscalQuarter,
    params: QuarterParams,
    pages: list[Any],
    manifest: dict[str, Any],
    force: bool = False,
    require_quarto: bool = False,
) -> PublishOutcome:
    """Render, check and swap in the site for ``quarter``, or say exactly why not."""
    paths = settings.paths
    check_quarto_config(paths, pages)
    for spec in pages:
        if not (paths.build_quarter(quarter.id) / "notebooks" / f"{spec.output}.ipynb").exists():
            return PublishOutcome(
                "not-rendered",
                message=(
                    f"The {spec.label} page has not been executed for {quarter.id}; run without --only first."
                ),
            )
    sample = bool(manifest.get("publication", {}).get("sample_data")) or is_sample_data(paths)
    published = [FiscalQuarter.parse(q) for q in archived_quarters(paths.site)]
    if published and max(published) > quarter:
        raise SiteError(
            f"The published site already holds {max(published).id}, later than "
            f"{quarter.id}. Archived quarters are read-only; publish {max(published).id} "
            "or a later quarter."
        )
    wanted = site_inputs(settings, quarter, pages, sample)
    record_path = build_record_path(paths)
    if (
        not force
        and record_path.exists()
        and (paths.site / "index.html").exists()
        and json.loads(record_path.read_text()) == wanted
    ):
        log.info("site: inputs unchanged, nothing to publish")
        return PublishOutcome("unchanged", message="The published site is already up to date.")
    quarto = find_quarto()
    if quarto is None:
        executed = paths.build_quarter(quarter.id) / "notebooks"
        message = QUARTO_INSTALL_HELP.format(executed=executed)
        if require_quarto:
            raise QuartoMissing(message)
        log.warning("%s", message)
        return PublishOutcome("quarto-missing", message=message)
    quarto = checked_quarto()
    staging = paths.build_quarter(quarter.id) / "site-src"
    stage(settings, quarter, params, pages, manifest, staging)
    rendered = render(quarto, staging, paths.build_quarter(quarter.id) / "quarto-render.log")
    finish_pages(rendered)
    copied = copy_archives(paths.site, rendered, quarter)
    make_archive_copy(rendered, quarter)
    checks = check_site(settings, rendered, pages, sample, quarter)
    (rendered / ".nojekyll").write_text("")
    make_read_only(rendered / "archive")
    swap_in(paths, rendered)
    record_path.write_text(json.dumps(wanted, indent=2, sort_keys=True) + "\n")
    checks["archived_quarters"] = [*copied, quarter.id]
    log.info(
        "site: published %s to %s (previous site kept in %s)", quarter.id, paths.site, paths.previous_site
    )
    return PublishOutcome(
        "published", quarto=quarto, checks=checks, message=f"Published {quarter.long_label} to {paths.site}."
    )
