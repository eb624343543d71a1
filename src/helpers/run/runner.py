"""The quarterly run: ingest when raw data changed, build the quarter's tables, execute the
notebooks (``helpers.notebooks``), then hand over to the site build. One command, idempotent,
all or nothing, with a manifest of what ran (``records.RunManifest``).

Every stage is skipped when its inputs are unchanged (``helpers.cache``). A failing stage stops
the quarter and nothing is published.
"""

from __future__ import annotations

import logging
import os
import platform
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..core.cache import StepCache, code_version, digest, file_sha256, helpers_code_hash
from ..core.lock import RunLocked, project_lock
from ..core.paths import ProjectPaths
from ..core.periods import FiscalQuarter
from ..core.records import (
    IngestRecord,
    Publication,
    PublishedSummary,
    RunManifest,
    ValidationSummary,
    write_record,
)
from ..data.coverage import QuarterBeyondData, check_quarter_supported
from ..data.raw import raw_fingerprint, read_ingest_record
from ..params.editions import EditionReport, edition_reports, require_translations
from ..params.quarters import QuarterParams, load_quarter, read_publication
from ..params.settings import Settings, load_settings
from ..translation.catalogue import interface_messages
from .notebooks import NotebookFailed, execute_notebooks

if TYPE_CHECKING:
    from ..site.publish import SiteBuild
    from .kernels import KernelPool

log = logging.getLogger("helpers.runner")

__all__ = ["NotebookFailed", "RunLocked", "RunResult", "ensure_ingested", "ensure_measures", "run_quarter"]


@dataclass
class RunResult:
    quarter: FiscalQuarter
    manifest: RunManifest
    executed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    site: str = "not attempted"


# --------------------------------------------------------------------------------------------
# The data stages


def ensure_ingested(
    settings: Settings, code: str, force: bool = False, on_work: Callable[[], None] | None = None
) -> tuple[str, IngestRecord]:
    """Ingest only when the raw files, sources.yml or the code changed (``on_work`` is told
    first, so that the runner can start its kernels alongside). Returns whether it ingested
    (``ingested`` or ``skipped``) and the ingest record."""
    paths = settings.paths
    cache = StepCache(paths.ingest_record, field="cache_key")
    # A forced ingest reads (and hashes) every file anyway: no checksums beforehand.
    key = {
        "raw": {} if force else raw_fingerprint(paths, settings.sources),
        "sources": settings.file_hashes()["sources.yml"],
        "code": code,
    }
    record = read_ingest_record(paths)
    if not force and record is not None and cache.is_current(key):
        log.info("ingest: raw data unchanged, skipped")
        return "skipped", record
    if on_work:
        on_work()
    from ..data.ingest import ingest  # pandas and pandera are loaded only when there is work to do

    started = time.perf_counter()
    result = ingest(paths, settings.sources, code_version=code, fingerprint=key["raw"], cache_key=key)
    log.info(
        "ingest: %d sources validated and written in %.1fs",
        len(result.record.sources),
        time.perf_counter() - started,
    )
    return "ingested", result.record


def ensure_measures(
    settings: Settings,
    quarter: FiscalQuarter,
    params: QuarterParams,
    code: str,
    force: bool = False,
    on_work: Callable[[], None] | None = None,
) -> tuple[str, Publication]:
    """Rebuild the quarter's gated tables only when their inputs changed. Returns whether it
    built them (``built`` or ``skipped``) and the quarter's publication record."""
    paths = settings.paths
    supported(settings, params)
    previous = paths.publication(quarter.previous())
    key = {
        "canonical": {p.name: file_sha256(p) for p in sorted(paths.canonical.glob("*.parquet"))},
        "settings": settings.file_hashes(),
        "translations": settings.editions_fingerprint(),  # the other editions' CSVs
        # Only these quarter-file fields reach the tables; narrative edits must not rebuild them.
        "quarter_params": digest(
            {
                "if_stale": params.if_stale,
                "data_as_of": params.data_as_of.isoformat(),
                "next_update": params.next_update.isoformat(),
            }
        ),
        "previous_publication": file_sha256(previous) if previous.exists() else None,
        "code": code,
    }
    cache = StepCache(paths.measures_cache(quarter))
    status = "skipped"
    if force or not cache.is_current(key, paths.publication(quarter)):
        if on_work:
            on_work()
        from ..measures.build import build_quarter

        started = time.perf_counter()
        build_quarter(settings, quarter, params, code_version=code)
        cache.store(key)
        status = "built"
        log.info(
            "measures %s: %d measures computed and gated in %.1fs",
            quarter.id,
            len(settings.plan.measures),
            time.perf_counter() - started,
        )
    else:
        log.info("measures %s: inputs unchanged, skipped", quarter.id)
    publication = read_publication(paths, quarter)
    assert publication is not None  # written by build_quarter, or checked by is_current
    return status, publication


def supported(settings: Settings, params: QuarterParams) -> None:
    """Refuse (``QuarterBeyondData``) a quarter the ingested data cannot support: its end after
    every source's last complete day, or its ``data_as_of`` in the future."""
    record = read_ingest_record(settings.paths)
    sources = {
        name: (settings.sources.sources[name], info.days)
        for name, info in (record.sources.items() if record else [])
        if name in settings.sources.sources
    }
    quarter = params.quarter
    check_quarter_supported(quarter.id, quarter.end, params.data_as_of, sources)


def validation_summary(status: str, record: IngestRecord) -> ValidationSummary:
    return ValidationSummary(
        status=status,  # type: ignore[arg-type]
        sample_data=record.sample_data,
        failures=0,
        sources={
            name: {
                "rows": info.rows,
                "first_date": info.first_date,
                "last_date": info.last_date,
                "skipped_rows": info.skipped_rows,
            }
            for name, info in record.sources.items()
        },
    )


def published_summary(publication: Publication) -> PublishedSummary:
    return PublishedSummary(
        sample_data=publication.sample_data,
        privacy=publication.privacy,
        measures={
            k: v.model_dump(include={"status", "data_through", "csv_sha256", "suppressed"})
            for k, v in publication.measures.items()
        },
        coverage=publication.sources,
    )


def summarise_data(manifest: RunManifest) -> None:
    """Say in the run's log what the published figures rest on: rows dropped by a skip policy,
    and sources that do not cover the whole quarter (their gaps are shown on the site)."""
    if manifest.validation:
        for name, info in manifest.validation.sources.items():
            dropped = sum((info.get("skipped_rows") or {}).values())
            if dropped:
                log.warning("source %s: %d junk row(s) skipped by its skip_rows policy", name, dropped)
    if manifest.publication:
        for name, coverage in manifest.publication.coverage.items():
            if coverage.status != "complete":
                gaps = "; ".join(f"{a} to {b}" for a, b in coverage.gaps[:3])
                log.warning(
                    "source %s is %s for the quarter: %d of %d %ss have records (gaps: %s)",
                    name,
                    "incomplete" if coverage.status == "partial" else "missing",
                    coverage.covered,
                    coverage.expected,
                    coverage.unit,
                    gaps,
                )


def load_reports(settings: Settings, params: QuarterParams, code_hash: str) -> list[EditionReport]:
    """Every edition with its texts in its language; stops the run when a text has no
    translation, unless the quarter file says ``translation_pending: publish_english``."""
    several = len(settings.editions()) > 1
    messages = (
        interface_messages(settings.paths.build / "interface-messages.json", code_hash) if several else None
    )
    reports = edition_reports(settings, params, messages)
    require_translations(settings, params, reports)
    missing = sum(len(r.missing) for r in reports)
    if missing:
        log.warning(
            '%d text(s) have no current translation and are published in English, marked "translation '
            'pending" (translation_pending: publish_english); `python -m helpers check` lists them',
            missing,
        )
    return reports


def _import_ahead() -> None:
    """Import what the next stages need in the background, while the raw files are hashed."""
    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    from ..measures import build as measures  # noqa: F401 - pandas, pyarrow and pandera


# --------------------------------------------------------------------------------------------
# The run


def run_quarter(
    paths: ProjectPaths,
    quarter: FiscalQuarter,
    only: list[str] | None = None,
    force: bool = False,
    workers: int | None = None,
    render: bool = True,
    require_site: bool = False,
) -> RunResult:
    """The whole quarterly pipeline for one quarter, under the project's lock."""
    return QuarterRun(paths, quarter, only, force, workers, render, require_site).run()


class QuarterRun:
    """One run of the quarterly pipeline: its settings, the manifest it keeps, the kernels and
    the site render it starts early, and the stages in order."""

    def __init__(
        self,
        paths: ProjectPaths,
        quarter: FiscalQuarter,
        only: list[str] | None,
        force: bool,
        workers: int | None,
        render: bool,
        require_site: bool,
    ) -> None:
        self.started = time.perf_counter()
        self.paths, self.quarter, self.only, self.force = paths, quarter, only, force
        self.render, self.require_site = render, require_site
        self.settings = load_settings(paths)
        self.params = load_quarter(paths, self.settings.plan, quarter, set(self.settings.sources.sources))
        check_quarter_supported(quarter.id, quarter.end, self.params.data_as_of, {})  # nothing written yet
        self.code_hash = helpers_code_hash()
        self.reports = load_reports(self.settings, self.params, self.code_hash)
        self.workers = workers or os.cpu_count() or 1
        self.manifest = RunManifest(
            **self.params.facts(),
            code_version=code_version(paths.root),
            code_hash=self.code_hash,
            python=platform.python_version(),
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            parameters={
                "quarter": quarter.id,
                "only": only,
                "force": force,
                "workers": self.workers,
                "render": render,
            },
            settings=self.settings.file_hashes(),
            quarter_params=file_sha256(paths.quarter_file(quarter)),
        )
        self.result = RunResult(quarter, self.manifest)
        self.pool: KernelPool | None = None
        self.build: SiteBuild | None = None
        self.timings: dict[str, float] = {}

    def warm_up(self, pages_only: bool = False) -> KernelPool:
        """Work ahead means notebooks to run and a site to render: start their kernels and
        Quarto now, while the data is processed. ``pages_only``: the data is unchanged and only
        pages will be executed, so Quarto waits to render just the pages that changed."""
        if self.pool is None:
            from .kernels import KernelPool

            self.pool = KernelPool(self.workers, self.paths.notebooks).start()
            threading.Thread(target=_import_ahead, daemon=True).start()
        if self.build:
            self.build.start_early(pages_only=pages_only)
        return self.pool

    def warm_up_for_pages(self) -> KernelPool:
        return self.warm_up(pages_only=True)

    def shut_down_kernels(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None

    def run(self) -> RunResult:
        manifest = self.manifest
        try:
            with project_lock(self.paths):
                self.stages()
                manifest.timings_seconds = self.timings
                manifest.status = "succeeded"
        except BaseException as exc:
            if self.build:
                self.build.abandon()
            manifest.status = "failed"
            manifest.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self.shut_down_kernels()
            manifest.seconds = round(time.perf_counter() - self.started, 2)
            refused = manifest.error is not None and manifest.error.startswith(QuarterBeyondData.__name__)
            if not (
                refused and not self.paths.build_quarter(self.quarter).exists()
            ):  # refused: nothing written
                write_record(self.paths.manifest(self.quarter), manifest)
        return self.result

    def stages(self) -> None:
        """Ingest, measures, notebooks, site: each skipped when its inputs are unchanged."""
        from ..site.publish import SiteBuild

        settings, quarter, params, manifest, force = (
            self.settings,
            self.quarter,
            self.params,
            self.manifest,
            self.force,
        )
        t0 = time.perf_counter()
        if self.render:
            self.build = SiteBuild(
                settings, quarter, params, manifest.code_version, force, self.require_site, self.reports
            )
        if force:
            self.warm_up()  # every step will run: no need to wait for the raw files' checksums
        status, ingest_record = ensure_ingested(settings, self.code_hash, force=force, on_work=self.warm_up)
        self.timings["ingest"] = round(time.perf_counter() - t0, 2)
        manifest.validation = validation_summary(status, ingest_record)
        manifest.inputs = {"raw": ingest_record.raw_fingerprint}
        t0 = time.perf_counter()
        _, publication = ensure_measures(
            settings, quarter, params, self.code_hash, force=force, on_work=self.warm_up
        )
        self.timings["measures"] = round(time.perf_counter() - t0, 2)
        manifest.publication = published_summary(publication)
        summarise_data(manifest)
        self.notebooks()
        if self.build:
            t0 = time.perf_counter()
            outcome = self.build.publish()
            self.timings["site"] = round(time.perf_counter() - t0, 2)
            self.result.site = outcome.status
            manifest.site = outcome.as_dict()

    def notebooks(self) -> None:
        t0 = time.perf_counter()
        executed, skipped = execute_notebooks(
            self.settings,
            self.quarter,
            self.params,
            self.only,
            self.force,
            self.workers,
            on_start=self.warm_up_for_pages,
            on_done=self.build.page_ready if self.build else None,
            reports=self.reports,
        )
        self.shut_down_kernels()
        self.timings["notebooks"] = round(time.perf_counter() - t0, 2)
        self.result.executed = [e["page"] for e in executed]
        self.result.skipped = skipped
        self.manifest.notebooks = {"executed": executed, "skipped": skipped}
