"""Executed notebooks -> the residents' website, every edition, published atomically.

1. Stage (``site_staging``): for each edition (English, and each language of
   ``params/translations``), a fresh folder with its configuration, assets, CSVs, Archive page
   and one notebook per page.
2. Render (``quarto``): the real Quarto renders each staged folder, never executing code. When
   notebooks are about to run, the renders start before them and wait for their pages.
3. Assemble (``site_assembly``): the other editions go under ``<code>/``; pages get what Quarto's
   template lacks, language links included; earlier quarters are copied in, read-only, under
   ``archive/<quarter>/``, and this quarter's archive copy is made.
4. Check (``site_checks``): pages, anchors, links, alt text, self-hosting, privacy, weight, and
   English left in another edition.
5. Swap: ``_site`` becomes ``_site.previous`` and the checked folder becomes ``_site``. A failure at
   any step leaves the published site exactly as it was.
"""

from __future__ import annotations

import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.cache import StepCache, file_sha256
from ..core.language import ENGLISH
from ..core.paths import ProjectPaths
from ..core.periods import FiscalQuarter
from ..data.raw import is_sample_data
from ..params.editions import EditionReport, edition_reports
from ..params.pages import SitePage
from ..params.quarters import QuarterParams, read_publication
from ..params.settings import Settings
from . import incremental
from . import quarto as quarto_cli
from .archive import expected_quarters, record_ledger, refuse_superseded, require_intact, seal_site
from .assembly import copy_archives, finish_pages, make_archive_copy, make_read_only
from .checks import check_site
from .quarto import QUARTO_INSTALL_HELP, GatedRender, QuartoMissing, SiteError
from .staging import (
    archived_quarters,
    check_site_sources,
    force_remove,
    stage_data,
    stage_notebook,
    stage_site,
)

log = logging.getLogger("helpers.site")

__all__ = ["PublishOutcome", "QuartoMissing", "SiteBuild", "SiteError"]


@dataclass
class PublishOutcome:
    status: str  # published | unchanged | quarto-missing | not-rendered
    quarto: str | None = None
    checks: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "quarto": self.quarto, "checks": self.checks, "message": self.message}


def site_inputs(
    settings: Settings, quarter: FiscalQuarter, reports: list[EditionReport], sample: bool
) -> dict[str, Any]:
    """What the published site is made of; unchanged inputs mean there is nothing to do."""
    paths = settings.paths
    notebooks = {
        f"{e.edition.prefix}{spec.output}": file_sha256(
            spec.edition.executed_notebook(paths, quarter, spec.output)
        )
        for e in reports
        for spec in e.pages
    }
    assets = {
        p.relative_to(paths.site_assets).as_posix(): file_sha256(p)
        for p in sorted(paths.site_assets.rglob("*"))
        if p.is_file()
    }
    csvs = {
        p.relative_to(paths.quarter_dir(quarter)).as_posix(): file_sha256(p)
        for p in sorted((paths.quarter_dir(quarter) / "csv").rglob("*.csv"))
    }
    return {
        "quarter": quarter.id,
        "quarto_yml": file_sha256(paths.quarto_config),
        "settings": settings.file_hashes(),
        "translations": settings.editions_fingerprint(),
        "notebooks": notebooks,
        "assets": assets,
        "csv": csvs,
        "sample": sample,
        "archive": {q: d for q, d in expected_quarters(paths, paths.site).items() if q != quarter.id}
        or [q.id for q in archived_quarters(paths.site) if q != quarter],
    }


def recover_publish(paths: ProjectPaths) -> None:
    """Put the last good site back in place when a publish was stopped between its renames: a
    missing ``_site`` is restored from the outgoing site or from ``_site.previous``, and an
    outgoing site left beside a new one becomes the fallback."""
    site, outgoing, previous = paths.site, paths.outgoing_site, paths.previous_site
    if not site.exists():
        for candidate in (outgoing, previous):
            if candidate.exists():
                log.warning(
                    "the published site %s was missing (a publish was interrupted): restored it from %s",
                    site,
                    candidate,
                )
                candidate.rename(site)
                break
    if outgoing.exists():
        if previous.exists():
            shutil.rmtree(previous, onerror=force_remove)
        outgoing.rename(previous)


def swap_in(paths: ProjectPaths, staged_site: Path) -> None:
    """Publish ``staged_site``; the site it replaces becomes the fallback ``_site.previous``.
    The older fallback is deleted only once the new site is in place, and every step is a
    rename, so a publish stopped at any point leaves a good site that ``recover_publish`` puts
    back."""
    recover_publish(paths)
    if paths.site.exists():
        paths.site.rename(paths.outgoing_site)
    try:
        staged_site.rename(paths.site)
    except BaseException:
        if paths.outgoing_site.exists() and not paths.site.exists():
            paths.outgoing_site.rename(paths.site)
        raise
    recover_publish(paths)  # the outgoing site becomes _site.previous


# --------------------------------------------------------------------------------------------
# Publishing


@dataclass
class EditionRender:
    """One edition's staging folder and its (early) Quarto render."""

    report: EditionReport
    staging: Path
    log_file: Path
    render: GatedRender | None = None
    staged: set[str] = field(default_factory=set)  # pages whose executed notebook is in place
    data_staged: bool = False
    staging_only: bool = False  # staged to compare with the kept render before rendering
    rendered_pages: list[str] | None = None  # pages Quarto rendered alone; None: all of them


class SiteBuild:
    """Publishing one quarter's site, every edition. ``start_early`` (optional) stages what does
    not depend on the notebooks and starts Quarto while they execute; ``publish`` finishes the
    job, or says why not."""

    def __init__(
        self,
        settings: Settings,
        quarter: FiscalQuarter,
        params: QuarterParams,
        code_version: str,
        force: bool = False,
        require_quarto: bool = False,
        reports: list[EditionReport] | None = None,
    ) -> None:
        self.settings, self.quarter, self.params = settings, quarter, params
        self.code_version, self.force, self.require_quarto = code_version, force, require_quarto
        self.paths = settings.paths
        self.reports = reports if reports is not None else edition_reports(settings, params)
        self.renders = {
            e.edition.code: EditionRender(
                e, e.edition.staging(self.paths, quarter), e.edition.render_log(self.paths, quarter)
            )
            for e in self.reports
        }
        self.problems: list[str] = []
        check_site_sources(self.paths, self.reports[0].pages)
        recover_publish(self.paths)
        refuse_superseded(require_intact(self.paths), quarter)  # every archived quarter as sealed

    @property
    def pages(self) -> list[SitePage]:
        return [spec for e in self.reports for spec in e.pages]

    @property
    def sample(self) -> bool:
        """Built from sample data: the raw folder says so, or the tables were built from it."""
        publication = read_publication(self.paths, self.quarter)
        return is_sample_data(self.paths) or bool(publication and publication.sample_data)

    def _start(self, quarto: str, render: EditionRender, now: bool = True) -> None:
        """Stage the edition and start Quarto on it; or, not ``now``, only stage it, to compare
        with the kept render before deciding what to render."""
        edition = render.report
        stage_site(edition.settings, self.quarter, self.sample, edition.pages, render.staging)
        if now:
            render.render = GatedRender(quarto, render.staging, render.log_file).start()
        else:
            render.staging_only = True

    def start_early(self, pages_only: bool = False) -> None:
        """Stage what does not depend on this run's data and start Quarto now (if installed), one
        render per edition, so that it starts up and compiles the theme while the data and
        notebooks are processed. ``pages_only``: the run's data did not change, so unless forced
        Quarto waits, to render only the pages that changed (``site.incremental``)."""
        if quarto_cli.find_quarto() is None or all(r.render is not None for r in self.renders.values()):
            return
        if pages_only and not self.force:
            return
        quarto = quarto_cli.checked_quarto()
        for render in self.renders.values():
            if render.render is None:
                self._start(quarto, render)
        log.info(
            "site: Quarto started (%d editions); it renders the pages once they are ready", len(self.renders)
        )

    def page_ready(self, spec: SitePage) -> None:
        """A page's notebook is executed: stage it, so an early render can go on to it."""
        render = self.renders[spec.edition.code]
        if render.render is None and not render.staging_only:
            return
        edition = render.report
        if not render.data_staged:  # the data is final before any notebook runs
            stage_data(edition.settings, self.quarter, edition.params, self.code_version, render.staging)
            render.data_staged = True
        executed = spec.edition.executed_notebook(self.paths, self.quarter, spec.output)
        self.problems += stage_notebook(executed, render.staging / spec.source, spec, render.staging / "data")
        render.staged.add(spec.page)
        if render.render is not None:
            render.render.page_ready(spec.source)

    def abandon(self) -> None:
        for render in self.renders.values():
            if render.render is not None:
                render.render.abandon()
                render.render = None

    def publish(self) -> PublishOutcome:
        """Render (or finish the early renders), check and swap in the site."""
        try:
            return self._publish()
        finally:
            self.abandon()

    def _publish(self) -> PublishOutcome:
        paths, quarter = self.paths, self.quarter
        for spec in self.pages:
            if not spec.edition.executed_notebook(paths, quarter, spec.output).exists():
                return PublishOutcome(
                    "not-rendered",
                    message=f"The {spec.label} page ({spec.edition.code}) has not been executed for "
                    f"{quarter.id}; run without --only first.",
                )
        wanted = site_inputs(self.settings, quarter, self.reports, self.sample)
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
        rendered = self._render()
        copied, checks, sealed = self._assemble(rendered)
        swap_in(paths, rendered)
        record_ledger(paths, sealed)
        cache.store(wanted)
        checks["archived_quarters"] = [*copied, quarter.id]
        checks["editions"] = [report.edition.code for report in self.reports]
        checks["rendered"] = {
            code: "all" if r.rendered_pages is None else r.rendered_pages for code, r in self.renders.items()
        }
        log.info(
            "site: published %s to %s (previous site kept in %s)", quarter.id, paths.site, paths.previous_site
        )
        return PublishOutcome(
            "published",
            quarto=quarto,
            checks=checks,
            message=f"Published {ENGLISH.quarter_long(quarter)} to {paths.site}.",
        )

    def _render(self) -> Path:
        """Every edition rendered (the early renders finished, or only the changed pages
        rendered), the others moved under the first's folder: the site as Quarto made it."""
        quarto = quarto_cli.checked_quarto()
        for render in self.renders.values():
            if render.render is None:
                self._start(quarto, render, now=self.force)
        for report in self.reports:
            for spec in report.pages:
                if spec.page not in self.renders[report.edition.code].staged:
                    self.page_ready(spec)
        if self.problems:
            raise SiteError(
                f"{len(self.problems)} problem(s) in the executed notebooks; nothing was published:\n"
                + "\n".join(f"  - {p}" for p in self.problems)
            )
        with ThreadPoolExecutor(len(self.renders)) as pool:  # the editions' renders side by side
            futures = {code: pool.submit(self._output, quarto, r) for code, r in self.renders.items()}
            outputs = {code: future.result() for code, future in futures.items()}
        editions = [report.edition for report in self.reports]
        rendered = outputs[editions[0].code]
        for edition in editions[1:]:
            outputs[edition.code].rename(rendered / edition.prefix)
        return rendered

    def _output(self, quarto: str, render: EditionRender) -> Path:
        """One edition's finished render, copied out of the folder that is kept for next time."""
        if render.staging_only:
            pages = incremental.changed_pages(render.staging, quarto)
            if pages is not None:
                render.rendered_pages = pages
                output = incremental.render_pages(quarto, render.staging, pages, render.log_file)
                return _copy_out(output, render.staging)
            render.staging_only = False
            render.render = GatedRender(quarto, render.staging, render.log_file).start()
        assert render.render is not None
        render.render.wait()
        render.render = None
        kept = incremental.keep(render.staging, quarto)
        return _copy_out(kept / "_site", render.staging)

    def _assemble(self, rendered: Path) -> tuple[list[str], dict[str, Any], dict[str, str]]:
        """The pages finished, the archive carried over, this quarter's copy made and sealed, and
        every check passed: (quarters copied, the checks' figures, the sealed manifests)."""
        editions = [report.edition for report in self.reports]
        for edition in editions:
            finish_pages(rendered / edition.prefix, edition, editions)
        copied = copy_archives(self.paths.site, rendered, self.quarter)
        make_archive_copy(rendered, self.quarter, editions)
        sealed = seal_site(self.paths, rendered, self.quarter)
        checks = check_site(self.settings, rendered, self.reports, self.sample, self.quarter)
        (rendered / ".nojekyll").write_text("")
        make_read_only(rendered / "archive")
        return copied, checks, sealed


def _copy_out(output: Path, staging: Path) -> Path:
    """A copy of a kept render's output, to assemble and publish (the kept one stays as Quarto
    made it, for the next build to start from)."""
    target = staging.with_name(staging.name + ".site")
    if target.exists():
        shutil.rmtree(target, onerror=force_remove)
    shutil.copytree(output, target)
    return target
