"""``python -m helpers <command>``: every stage of the report from the command line.

Exit codes (for schedulers):
  0  success (including "nothing to do")
  1  a parameter file or a command-line argument is invalid (the message names the fix)
  2  raw data failed validation, or a source does not cover the quarter
  3  a notebook failed (the failed notebook is kept in build/diagnostics, never published)
  4  the privacy gate or a site check failed; nothing was published
  5  Quarto is missing and --require-site was given
  6  another run is in progress
  7  any other error
  8  Quarto failed to render the site (its log is named); nothing was published
  9  the disk is full; nothing half-written was published
 10  permission denied reading or writing a file or folder (it is named)
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .core.config import ConfigError
from .core.paths import ProjectPaths

if TYPE_CHECKING:
    from .core.periods import FiscalQuarter
    from .params.quarters import QuarterParams
    from .params.settings import Settings

log = logging.getLogger("helpers")

EXIT_OK, EXIT_CONFIG, EXIT_DATA, EXIT_NOTEBOOK, EXIT_CHECK, EXIT_QUARTO, EXIT_LOCKED, EXIT_OTHER = range(8)
EXIT_RENDER, EXIT_DISK_FULL, EXIT_PERMISSION = 8, 9, 10


class BadArgument(ValueError):
    """A command-line argument is not valid; the message says what to write instead."""


def _paths(args: argparse.Namespace) -> ProjectPaths:
    return ProjectPaths(Path(args.root).resolve()) if args.root else ProjectPaths.discover()


def _lock(args: argparse.Namespace) -> contextlib.AbstractContextManager[None]:
    """The project's lock, which every command that writes holds (exit 6 when it is taken)."""
    from .core.lock import project_lock

    return project_lock(_paths(args))


def _quarter(args: argparse.Namespace, paths: ProjectPaths) -> FiscalQuarter:
    """``--quarter`` parsed here, at the edge (default: the latest params file)."""
    from .core.periods import FiscalQuarter
    from .params.quarters import latest_quarter

    if args.quarter is None:
        return latest_quarter(paths)
    if not args.quarter.strip():
        raise BadArgument(
            "--quarter is empty: give a fiscal quarter such as FY2027Q1, or leave the option out "
            "to build the latest quarter that has a params file"
        )
    try:
        return FiscalQuarter.parse(args.quarter)
    except ValueError as exc:
        raise BadArgument(f"--quarter {args.quarter}: {exc}") from None


def _quarter_context(args: argparse.Namespace) -> tuple[ProjectPaths, Settings, FiscalQuarter, QuarterParams]:
    """Settings, the chosen quarter and its parameters."""
    from .params.quarters import load_quarter
    from .params.settings import load_settings

    paths = _paths(args)
    settings = load_settings(paths)
    quarter = _quarter(args, paths)
    return paths, settings, quarter, load_quarter(paths, settings.plan, quarter)


def cmd_sample_data(args: argparse.Namespace) -> int:
    from .sample.generate import generate

    paths = _paths(args)
    started = time.perf_counter()
    result = generate(paths, seed=args.seed, scale=args.scale)
    rows = sum(result.files.values())
    log.info(
        "sample data written to %s: %d files, %s rows (seed %d, scale %d) in %.1fs",
        paths.raw,
        len(result.files),
        f"{rows:,}",
        result.seed,
        result.scale,
        time.perf_counter() - started,
    )
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace) -> int:
    from .core.cache import helpers_code_hash
    from .data.ingest import SourceValidationError
    from .params.settings import load_settings
    from .run.runner import ensure_ingested

    paths = _paths(args)
    settings = load_settings(paths)
    try:
        _, record = ensure_ingested(settings, helpers_code_hash(), force=True)
    except SourceValidationError as exc:
        if args.failures:
            exc.failures.to_csv(args.failures, index=False)
            log.error("all %d problems written to %s", len(exc.failures), args.failures)
        raise
    for name, info in record.sources.items():
        dropped = sum(info.skipped_rows.values())
        log.info(
            "  %-26s %12s rows  %s to %s%s",
            name,
            f"{info.rows:,}",
            info.first_date,
            info.last_date,
            f"  ({dropped:,} junk rows skipped by policy)" if dropped else "",
        )
    return EXIT_OK


def cmd_measures(args: argparse.Namespace) -> int:
    from .core.cache import helpers_code_hash
    from .run.runner import ensure_ingested, ensure_measures

    paths, settings, quarter, params = _quarter_context(args)
    code = helpers_code_hash()
    ensure_ingested(settings, code)
    _, publication = ensure_measures(settings, quarter, params, code, force=args.force)
    privacy = publication.privacy.model_dump()
    log.info(
        "tables for %s in %s (privacy: %s)",
        quarter.id,
        paths.quarter_dir(quarter),
        json.dumps({k: sum(v.values()) if isinstance(v, dict) else v for k, v in privacy.items()}),
    )
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from .params.quarters import available_quarters
    from .run.runner import run_quarter
    from .site.quarto import find_quarto
    from .site.staging import archived_quarters

    paths = _paths(args)
    quarter = _quarter(args, paths)
    render = not args.no_site
    if args.backfill and render:
        published = set(archived_quarters(paths.site))
        earlier = [q for q in available_quarters(paths) if q < quarter and q not in published]
        if earlier and find_quarto() is None:
            log.info(
                "backfill of %s skipped: it needs Quarto to publish the archive",
                ", ".join(q.id for q in earlier),
            )
            earlier = []
        for q in earlier:
            log.info("backfill: publishing %s first so that it is archived", q)
            run_quarter(
                paths, q, force=args.force, workers=args.workers, render=True, require_site=args.require_site
            )
    result = run_quarter(
        paths,
        quarter,
        only=args.only,
        force=args.force,
        workers=args.workers,
        render=render,
        require_site=args.require_site,
    )
    log.info(
        "run %s finished: %d notebook(s) executed, %d unchanged; site: %s",
        result.quarter.id,
        len(result.executed),
        len(result.skipped),
        result.site,
    )
    log.info("manifest: %s", paths.manifest(result.quarter))
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .params.pages import report_pages
    from .params.quarters import available_quarters, load_quarter
    from .params.settings import load_settings
    from .site.staging import check_site_sources

    paths = _paths(args)
    settings = load_settings(paths)
    quarters = available_quarters(paths)
    params = [load_quarter(paths, settings.plan, q, set(settings.sources.sources)) for q in quarters]
    check_site_sources(paths, report_pages(settings))
    log.info(
        "params OK: plan (%d objectives, %d initiatives, %d measures), %d sources, "
        "privacy floor %d, quarters %s, notebooks and _quarto.yml",
        len(settings.plan.objectives),
        len(settings.plan.initiatives),
        len(settings.plan.measures),
        len(settings.sources.sources),
        settings.privacy.floor,
        ", ".join(q.id for q in quarters),
    )
    return _check_translations(settings, params)


def _english_texts(settings: Settings, quarters: list[QuarterParams]) -> dict[str, Any]:
    """The English params files that have translations, by their name in a translation folder."""
    english: dict[str, Any] = {"plan.yml": settings.plan, "sources.yml": settings.sources}
    english.update({f"quarters/{p.quarter.id}.yml": p for p in quarters})
    return english


def _check_translations(settings: Settings, quarters: list[QuarterParams]) -> int:
    """Every text of every edition has its translation; list by file and key those that do not."""
    from .params.editions import edition_reports, publishable
    from .translation.catalogue import interface_messages
    from .translation.edition import VERSIONS_FILE
    from .translation.texts import record_versions

    if len(settings.editions()) == 1:
        return EXIT_OK
    for edition in settings.editions()[1:]:
        unrecorded, _ = record_versions(edition, _english_texts(settings, quarters), write=False)
        if unrecorded:
            log.warning(
                "edition %s: %d translation(s) are not in %s yet, so a later change to their English "
                "would go unnoticed: run `python -m helpers translations`",
                edition.code,
                unrecorded,
                VERSIONS_FILE,
            )
    messages = interface_messages()
    missing: dict[str, list] = {}
    latest: list = []
    for params in quarters:
        for report in edition_reports(settings, params, messages)[1:]:
            for m in report.missing:
                missing.setdefault(report.edition.code, [])
                if m not in missing[report.edition.code]:
                    missing[report.edition.code].append(m)
                if params is quarters[-1]:
                    latest.append(m)
    for edition in settings.editions()[1:]:
        found = missing.get(edition.code, [])
        if not found:
            log.info("edition %s (%s): every text is translated", edition.code, edition.language.name)
            continue
        log.error(
            "edition %s (%s): %d text(s) have no translation, or one that is out of date:\n%s",
            edition.code,
            edition.language.name,
            len(found),
            "\n".join(f"  - {m.render()}" for m in found),
        )
    if not missing:
        return EXIT_OK
    if publishable(quarters[-1], latest):
        if latest:
            log.warning("the latest quarter file allows publishing them in English (translation_pending)")
        return EXIT_OK
    log.error(
        "the build stops until they are translated (or the quarter file says translation_pending: "
        "publish_english); `python -m helpers translations` adds new messages of the code to interface.po"
    )
    return EXIT_CONFIG


def cmd_translations(args: argparse.Namespace) -> int:
    from .params.quarters import available_quarters, load_quarter
    from .params.settings import load_settings
    from .translation.catalogue import interface_messages, update_catalogue
    from .translation.edition import VERSIONS_FILE
    from .translation.texts import record_versions

    paths = _paths(args)
    settings = load_settings(paths)
    messages = interface_messages()
    quarters = [load_quarter(paths, settings.plan, q) for q in available_quarters(paths)]
    english = _english_texts(settings, quarters)
    for edition in settings.editions()[1:]:
        added, dropped = update_catalogue(edition, messages)
        log.info(
            "%s: %d message(s) added for translation, %d no longer used and removed",
            edition.file("interface.po").relative_to(paths.root),
            added,
            dropped,
        )
        recorded, reviewed = record_versions(edition, english, reviewed=args.reviewed)
        log.info(
            "%s: %d new translation(s) recorded%s",
            edition.file(VERSIONS_FILE).relative_to(paths.root),
            recorded,
            f", {reviewed} out-of-date translation(s) marked reviewed" if args.reviewed else "",
        )
    return EXIT_OK


def cmd_site(args: argparse.Namespace) -> int:
    from .core.cache import code_version
    from .core.records import RunManifest, read_record
    from .site.publish import publish

    paths, settings, quarter, params = _quarter_context(args)
    manifest = read_record(paths.manifest(quarter), RunManifest)
    outcome = publish(
        settings,
        quarter,
        params,
        manifest.code_version if manifest else code_version(paths.root),
        force=args.force,
        require_quarto=args.require_site,
    )
    log.info("site: %s. %s", outcome.status, outcome.message)
    return EXIT_OK


def cmd_preview(args: argparse.Namespace) -> int:
    from .run.preview import preview_page, serve

    _, settings, quarter, params = _quarter_context(args)
    with _lock(args):
        result = preview_page(settings, quarter, params, args.only, force=args.force, code=args.lang)
    log.info(
        "preview of %s ready in %.1fs (%s): %s",
        args.only,
        result.seconds,
        "notebook re-executed" if result.executed else "notebook unchanged",
        result.html,
    )
    if args.serve:
        log.info("open http://127.0.0.1:%d/%s", args.port, result.html.name)
        serve(result.html.parent, args.port)
    else:
        log.info(
            "to see it with search and contents working: python -m helpers serve --preview "
            "(then open http://127.0.0.1:8000/%s)",
            result.html.name,
        )
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from .params.settings import load_settings
    from .run.preview import preview_dir, serve

    paths = _paths(args)
    folder = preview_dir(load_settings(paths)) / "site-src" / "_site" if args.preview else paths.site
    if not (folder / "index.html").exists() and not any(folder.glob("*.html")):
        log.error("%s has no pages yet: run `make report` (or `make preview PAGE=2.1`) first", folder)
        return EXIT_OTHER
    serve(folder, args.port)
    return EXIT_OK


def cmd_archive(args: argparse.Namespace) -> int:
    from .core.periods import FiscalQuarter
    from .site.archive import require_intact, restore, verify

    paths = _paths(args)
    if args.action == "restore":
        if not args.quarter or not args.source:
            raise BadArgument("archive restore needs the quarter and --from <a copy of the published site>")
        try:
            quarter = FiscalQuarter.parse(args.quarter)
        except ValueError as exc:
            raise BadArgument(str(exc)) from None
        with _lock(args):
            log.info("%s", restore(paths, quarter, Path(args.source).resolve()))
    verdict = verify(paths)
    quarters = require_intact(paths)
    for quarter in quarters:
        state = (
            "published before sealing (sealed at the next publish)"
            if quarter in verdict.unsealed
            else "intact"
        )
        log.info("archive/%s: %s", quarter.id, state)
    log.info("the archive of %s holds %d quarter(s), all as published", paths.site, len(quarters))
    return EXIT_OK


def cmd_quarters(args: argparse.Namespace) -> int:
    from .core.language import ENGLISH
    from .params.quarters import available_quarters
    from .site.staging import archived_quarters

    paths = _paths(args)
    published = set(archived_quarters(paths.site))
    for quarter in available_quarters(paths):
        built = paths.publication(quarter).exists()
        print(
            f"{quarter.id}  {ENGLISH.quarter_span(quarter):<26} tables: {'yes' if built else 'no ':<4} "
            f"published: {'yes' if quarter in published else 'no'}"
        )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers",
        description="Build the City of Durham's quarterly Goal 2 report: sample data, ingest, "
        "privacy-gated measures, notebooks (papermill) and the website (Quarto).",
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--root", help="project folder (default: found from the current folder)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    def add(
        name: str, handler: Callable[[argparse.Namespace], int], help_text: str, writes: bool = False
    ) -> argparse.ArgumentParser:
        """A command; one that ``writes`` runs under the project's lock."""
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler, writes=writes)
        return command

    sample = add(
        "sample-data",
        cmd_sample_data,
        "Write synthetic raw exports for every source into data/raw (July 2022 to "
        "September 2026), marked as sample data.",
        writes=True,
    )
    sample.add_argument(
        "--scale", type=int, default=1, help="multiply event volumes (911 calls, crimes) for benchmarks"
    )
    sample.add_argument("--seed", type=int, default=20260930, help="random seed (default 20260930)")

    ingest = add(
        "ingest",
        cmd_ingest,
        "Validate every raw source and write the pseudonymised canonical tables (all or nothing).",
        writes=True,
    )
    ingest.add_argument("--failures", metavar="CSV", help="write every validation problem here")

    measures = add(
        "measures",
        cmd_measures,
        "Compute and privacy-gate every measure for a "
        "quarter; writes tables and download CSVs to data/processed/<quarter>.",
        writes=True,
    )
    measures.add_argument("--quarter", help="fiscal quarter, e.g. FY2027Q1 (default: latest)")
    measures.add_argument("--force", action="store_true", help="rebuild even if unchanged")

    run = add(
        "run",
        cmd_run,
        "The quarterly run: ingest if raw data changed, build the tables, "
        "execute the notebooks with papermill, render and publish the site.",
        writes=True,
    )
    run.add_argument("--quarter", help="fiscal quarter, e.g. FY2027Q1 (default: latest params file)")
    run.add_argument(
        "--only",
        action="append",
        metavar="PAGE",
        help="execute only this page: goal, about or an objective id such as 2.1 (repeatable)",
    )
    run.add_argument("--force", action="store_true", help="re-run every step even if unchanged")
    run.add_argument(
        "--workers", type=int, default=None, help="notebooks executed in parallel (default: number of CPUs)"
    )
    run.add_argument("--no-site", action="store_true", help="stop after executing the notebooks")
    run.add_argument(
        "--require-site",
        action="store_true",
        help="fail (exit 5) when Quarto is missing instead of stopping after execution",
    )
    run.add_argument(
        "--backfill",
        action="store_true",
        help="first publish earlier quarters that have params but no archive copy",
    )

    add(
        "check",
        cmd_check,
        "Validate params/ (plan, sources, privacy, every quarter file), that every page of the "
        "plan has its notebook, and _quarto.yml, without touching data.",
    )

    site = add(
        "site", cmd_site, "Render, check and publish the site from already executed notebooks.", writes=True
    )
    site.add_argument("--quarter", help="fiscal quarter (default: latest)")
    site.add_argument("--force", action="store_true", help="publish even if unchanged")
    site.add_argument("--require-site", action="store_true", help="fail when Quarto is missing")

    preview = add(
        "preview",
        cmd_preview,
        "Re-execute one page (if it changed) and render only that page into build/preview/ "
        "(never _site): the fast loop while writing an analysis.",
    )
    preview.add_argument("--only", required=True, metavar="PAGE", help="goal, about or an objective id (2.1)")
    preview.add_argument(
        "--lang", default="en", help="the edition to preview: en, or a language of params/translations (es)"
    )
    preview.add_argument("--quarter", help="fiscal quarter (default: latest)")
    preview.add_argument("--force", action="store_true", help="re-execute even if unchanged")
    preview.add_argument("--serve", action="store_true", help="then serve it on localhost until Ctrl-C")
    preview.add_argument("--port", type=int, default=8000, help="port for --serve (default 8000)")

    serve_cmd = add(
        "serve",
        cmd_serve,
        "Serve the published site (or, with --preview, the latest preview) on http://127.0.0.1 "
        "until Ctrl-C; opening the files from disk breaks search and the table of contents.",
    )
    serve_cmd.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve_cmd.add_argument("--preview", action="store_true", help="serve build/preview instead of _site")

    add("quarters", cmd_quarters, "List quarters with params files and whether they are built and published.")
    archive = add(
        "archive",
        cmd_archive,
        "Verify every archived quarter of the published site against the checksums sealed when it "
        "was published (exit 4 when one differs), or restore one from a copy of the published site.",
    )
    archive.add_argument("action", choices=["verify", "restore"], help="verify (default use) or restore")
    archive.add_argument("quarter", nargs="?", help="restore: the quarter to put back, e.g. FY2026Q4")
    archive.add_argument(
        "--from",
        dest="source",
        metavar="DIR",
        help="restore: a copy of the published site (a gh-pages checkout, _site.previous, a backup)",
    )
    translations = add(
        "translations",
        cmd_translations,
        "Bring each edition's params/translations/<code>/interface.po up to date with the code's "
        "messages (new ones added untranslated, unused ones removed, translations kept), and record "
        "in english-versions.yml which English each translation of params/ was made from.",
    )
    translations.add_argument(
        "--reviewed",
        action="store_true",
        help="the translations listed as out of date are brought up to date: record the current English",
    )
    return parser


def _os_error(exc: BaseException) -> OSError | None:
    """The disk-full or permission error behind ``exc`` (itself, or what it was raised from)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in {*FULL, *DENIED}:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


FULL = {errno.ENOSPC, errno.EDQUOT}
DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


def describe(exc: BaseException) -> str:
    """What to tell the person (or the scheduler's log) about a failure."""
    error = _os_error(exc)
    if error is None:
        return str(exc)
    where = f" ({error.filename})" if error.filename else ""
    if error.errno in FULL:
        return (
            f"The disk is full{where}: {error.strerror}. The run stopped; nothing half-written was "
            "published and the current site is unchanged. Free some space (`make clean` removes build/ "
            "and data/processed/, which the next run rebuilds), then run again."
        )
    return (
        f"Permission denied{where}: {error.strerror}. The run cannot read or write there. Check that "
        "the user running the report owns the project folder (it writes data/processed, build and "
        "_site, and reads data/raw and params), then run again."
    )


def _exit_code(exc: BaseException) -> int:
    from .core.lock import RunLocked
    from .data.coverage import QuarterBeyondData
    from .data.ingest import SourceValidationError
    from .measures.build import StaleDataError
    from .measures.gate import PrivacyError
    from .params.pages import UnknownPage
    from .params.sources import PseudonymKeyMissing
    from .run.notebooks import NotebookFailed
    from .site.quarto import QuartoMissing, RenderFailed, SiteError

    error = _os_error(exc)
    if error is not None:
        return EXIT_DISK_FULL if error.errno in FULL else EXIT_PERMISSION
    if isinstance(exc, (ConfigError, UnknownPage, BadArgument)):
        return EXIT_CONFIG
    if isinstance(exc, (SourceValidationError, StaleDataError, PseudonymKeyMissing, QuarterBeyondData)):
        return EXIT_DATA
    if isinstance(exc, NotebookFailed):
        return EXIT_NOTEBOOK
    if isinstance(exc, QuartoMissing):
        return EXIT_QUARTO
    if isinstance(exc, RenderFailed):
        return EXIT_RENDER
    if isinstance(exc, (PrivacyError, SiteError)):
        return EXIT_CHECK
    if isinstance(exc, RunLocked):
        return EXIT_LOCKED
    return EXIT_OTHER


def main(argv: Sequence[str] | None = None) -> int:
    # jsonschema (under nbformat and papermill) imports rfc3987_syntax when it is installed, which
    # compiles a grammar for about a second; nothing here validates IRIs, so declare it absent.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:
        if args.writes:
            with _lock(args):
                return args.handler(args)
        return args.handler(args)
    except KeyboardInterrupt:
        log.error("interrupted; nothing half-done was published")
        return EXIT_OTHER
    except Exception as exc:  # every failure becomes one clear message and an exit code
        code = _exit_code(exc)
        log.error("%s", describe(exc))
        if code == EXIT_OTHER:
            log.exception("unexpected error (please report it with the manifest in build/)")
        return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
