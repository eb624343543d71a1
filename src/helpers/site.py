"""Executed notebooks -> the residents' website, published atomically.

1. Stage (``site_staging``): a fresh folder with the configuration, assets, CSVs, the Archive page
   and one notebook per page.
2. Render (``quarto``): the real Quarto renders the staged folder, never executing code. When
   notebooks are about to run, the render starts before them and waits for their pages.
3. Assemble: the pages get what Quarto's template lacks (``finish_pages``); earlier quarters are
   copied in, read-only, under ``archive/<quarter>/``, and this quarter's archive copy is made.
4. Check (``site_checks``): pages, anchors, links, alt text, self-hosting, privacy, weight.
5. Swap: ``_site`` becomes ``_site.previous`` and the checked folder becomes ``_site``. A failure at
   any step leaves the published site exactly as it was.
"""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import quarto as quarto_cli
from .cache import StepCache
from .fragments import esc
from .pages import SitePage
from .paths import ProjectPaths
from .periods import FiscalQuarter
from .quarters import QuarterParams, read_publication
from .quarto import QUARTO_INSTALL_HELP, GatedRender, QuartoMissing, SiteError
from .settings import Settings
from .site_checks import check_site
from .site_staging import (
    archived_quarters,
    check_site_sources,
    force_remove,
    stage_data,
    stage_notebook,
    stage_site,
)
from .sources import file_sha256, is_sample_data

log = logging.getLogger("helpers.site")

__all__ = ["PublishOutcome", "QuartoMissing", "SiteBuild", "SiteError", "publish"]

ARCHIVE_NOTICE = (
    '<div class="archive-notice" role="note" aria-label="Archived report">'
    "<p><strong>Archived report.</strong> "
    "This is the report for {period} as published. It is kept unchanged. "
    '<a href="../../index.html">Read the latest report</a> or '
    '<a href="../../archive.html">see all quarters</a>.</p></div>'
)
SKIP_LINK = '<a class="skip-link" href="#quarto-document-content">Skip to main content</a>'


@dataclass
class PublishOutcome:
    status: str  # published | unchanged | quarto-missing | not-rendered
    quarto: str | None = None
    checks: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "quarto": self.quarto, "checks": self.checks, "message": self.message}


# --------------------------------------------------------------------------------------------
# Assembling the rendered site


def finish_pages(site: Path) -> None:
    """What Quarto's template lacks, added to every rendered page (archives were finished when
    they were published): a "Skip to main content" link first in the page (inside the header,
    so it is within a landmark), and names for the navigation bar and the table of contents so
    that screen readers can tell them apart."""
    for page in site.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        header = re.search(r"<header\b[^>]*>", text) or re.search(r"<body\b[^>]*>", text)
        if header:
            text = text[: header.end()] + "\n" + SKIP_LINK + text[header.end() :]
        text = text.replace('<nav class="navbar', '<nav aria-label="Site" class="navbar', 1)
        toc = '<nav id="TOC" role="doc-toc"'
        text = text.replace(toc, toc + ' aria-label="On this page"', 1)
        page.write_text(text, encoding="utf-8")


def make_archive_copy(site: Path, quarter: FiscalQuarter) -> None:
    """``archive/<quarter>/``: this quarter's pages as published, with a notice, read-only."""
    target = site / "archive" / quarter.id
    if target.exists():
        shutil.rmtree(target, onerror=force_remove)
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
    for quarter in archived_quarters(published):
        if quarter == current:
            continue
        if quarter > current:
            raise SiteError(
                f"The published site already holds {quarter.id}, later than "
                f"{current.id}. Archived quarters are read-only: build the latest "
                "quarter instead."
            )
        shutil.copytree(published / "archive" / quarter.id, staged_site / "archive" / quarter.id)
        copied.append(quarter.id)
    return copied


def make_read_only(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(0o444)


def site_inputs(
    settings: Settings, quarter: FiscalQuarter, pages: list[SitePage], sample: bool
) -> dict[str, Any]:
    """What the published site is made of; unchanged inputs mean there is nothing to do."""
    paths = settings.paths
    notebooks = {spec.output: file_sha256(paths.executed_notebook(quarter, spec.output)) for spec in pages}
    assets = {
        p.relative_to(paths.site_assets).as_posix(): file_sha256(p)
        for p in sorted(paths.site_assets.rglob("*"))
        if p.is_file()
    }
    csvs = {p.name: file_sha256(p) for p in sorted((paths.quarter_dir(quarter) / "csv").glob("*.csv"))}
    return {
        "quarter": quarter.id,
        "quarto_yml": file_sha256(paths.quarto_config),
        "notebooks": notebooks,
        "assets": assets,
        "csv": csvs,
        "sample": sample,
        "archive": [q.id for q in archived_quarters(paths.site) if q != quarter],
    }


def swap_in(paths: ProjectPaths, staged_site: Path) -> None:
    """Publish ``staged_site``: the current site becomes the fallback ``_site.previous``."""
    if paths.previous_site.exists():
        shutil.rmtree(paths.previous_site, onerror=force_remove)
    if paths.site.exists():
        paths.site.rename(paths.previous_site)
    staged_site.rename(paths.site)


# --------------------------------------------------------------------------------------------
# Publishing


class SiteBuild:
    """Publishing one quarter's site. ``start_early`` (optional) stages what does not depend on the
    notebooks and starts Quarto while they execute; ``publish`` finishes the job, or says why not."""

    def __init__(
        self,
        settings: Settings,
        quarter: FiscalQuarter,
        params: QuarterParams,
        pages: list[SitePage],
        code_version: str,
        force: bool = False,
        require_quarto: bool = False,
    ) -> None:
        self.settings, self.quarter, self.params, self.pages = settings, quarter, params, pages
        self.code_version, self.force, self.require_quarto = code_version, force, require_quarto
        self.paths = settings.paths
        self.staging = self.paths.staging(quarter)
        self.log_file = self.paths.render_log(quarter)
        self.early: GatedRender | None = None
        self.staged: set[str] = set()  # pages whose executed notebook is in place
        self.data_staged = False
        self.problems: list[str] = []
        check_site_sources(self.paths, pages)
        published = archived_quarters(self.paths.site)
        if published and max(published) > quarter:
            raise SiteError(
                f"The published site already holds {max(published).id}, later than "
                f"{quarter.id}. Archived quarters are read-only; publish {max(published).id} "
                "or a later quarter."
            )

    @property
    def sample(self) -> bool:
        """Built from sample data: the raw folder says so, or the tables were built from it."""
        publication = read_publication(self.paths, self.quarter)
        return is_sample_data(self.paths) or bool(publication and publication.sample_data)

    def start_early(self) -> None:
        """Stage what does not depend on this run's data and start Quarto now (if installed), so
        that it starts up and compiles the theme while the data and notebooks are processed."""
        if self.early is not None or quarto_cli.find_quarto() is None:
            return
        quarto = quarto_cli.checked_quarto()
        stage_site(self.settings, self.quarter, self.sample, self.pages, self.staging)
        self.early = GatedRender(quarto, self.staging, self.log_file).start()
        log.info("site: Quarto started; it renders the pages once they are ready")

    def page_ready(self, spec: SitePage) -> None:
        """A page's notebook is executed: stage it, so an early render can go on to it."""
        if self.early is None:
            return
        if not self.data_staged:  # the data is final before any notebook runs
            stage_data(self.settings, self.quarter, self.params, self.code_version, self.staging)
            self.data_staged = True
        executed = self.paths.executed_notebook(self.quarter, spec.output)
        self.problems += stage_notebook(executed, self.staging / spec.source, spec, self.staging / "data")
        self.staged.add(spec.page)
        self.early.page_ready(spec.source)

    def abandon(self) -> None:
        if self.early is not None:
            self.early.abandon()
            self.early = None

    def publish(self) -> PublishOutcome:
        """Render (or finish the early render), check and swap in the site."""
        try:
            return self._publish()
        finally:
            self.abandon()

    def _publish(self) -> PublishOutcome:
        paths, quarter = self.paths, self.quarter
        for spec in self.pages:
            if not paths.executed_notebook(quarter, spec.output).exists():
                return PublishOutcome(
                    "not-rendered",
                    message=f"The {spec.label} page has not been executed for {quarter.id}; "
                    "run without --only first.",
                )
        wanted = site_inputs(self.settings, quarter, self.pages, self.sample)
        cache = StepCache(paths.site_record)
        if not self.force and cache.is_current(wanted, paths.site / "index.html"):
            log.info("site: inputs unchanged, nothing to publish")
            return PublishOutcome("unchanged", message="The published site is already up to date.")
        quarto = quarto_cli.find_quarto()
        if quarto is None:
            message = QUARTO_INSTALL_HELP.format(executed=paths.executed_notebooks(quarter))
            if self.require_quarto:
                raise QuartoMissing(message)
            log.warning("%s", message)
            return PublishOutcome("quarto-missing", message=message)
        if self.early is None:
            stage_site(self.settings, quarter, self.sample, self.pages, self.staging)
            self.early = GatedRender(quarto_cli.checked_quarto(), self.staging, self.log_file).start()
        for spec in self.pages:
            if spec.page not in self.staged:
                self.page_ready(spec)
        if self.problems:
            raise SiteError(
                f"{len(self.problems)} problem(s) in the executed notebooks; nothing was published:\n"
                + "\n".join(f"  - {p}" for p in self.problems)
            )
        rendered = self.early.wait()
        self.early = None
        finish_pages(rendered)
        copied = copy_archives(paths.site, rendered, quarter)
        make_archive_copy(rendered, quarter)
        checks = check_site(self.settings, rendered, self.pages, self.sample, quarter)
        (rendered / ".nojekyll").write_text("")
        make_read_only(rendered / "archive")
        swap_in(paths, rendered)
        cache.store(wanted)
        checks["archived_quarters"] = [*copied, quarter.id]
        log.info(
            "site: published %s to %s (previous site kept in %s)", quarter.id, paths.site, paths.previous_site
        )
        return PublishOutcome(
            "published",
            quarto=quarto,
            checks=checks,
            message=f"Published {quarter.long_label} to {paths.site}.",
        )


def publish(
    settings: Settings,
    quarter: FiscalQuarter,
    params: QuarterParams,
    pages: list[SitePage],
    code_version: str,
    force: bool = False,
    require_quarto: bool = False,
) -> PublishOutcome:
    """Render, check and swap in the site for ``quarter`` from executed notebooks, or say why not."""
    return SiteBuild(settings, quarter, params, pages, code_version, force, require_quarto).publish()
