"""The commands that build the report, stage by stage: sample data, ingest, measures, the whole
quarterly run, the site, and the analysts' preview and local server."""

from __future__ import annotations

import argparse
import json
import time
from typing import TYPE_CHECKING

from .common import lock, log, project, quarter_context, quarter_of
from .exits import EXIT_OK, EXIT_OTHER

if TYPE_CHECKING:
    pass


def cmd_sample_data(args: argparse.Namespace) -> int:
    from ..sample.generate import generate

    paths = project(args)
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
    from ..core.cache import helpers_code_hash
    from ..data.ingest import SourceValidationError
    from ..params.settings import load_settings
    from ..run.runner import ensure_ingested

    paths = project(args)
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
    from ..core.cache import helpers_code_hash
    from ..run.runner import ensure_ingested, ensure_measures

    paths, settings, quarter, params = quarter_context(args)
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
    from ..params.quarters import available_quarters
    from ..run.runner import run_quarter
    from ..site.publish import recover_publish
    from ..site.quarto import find_quarto
    from ..site.staging import archived_quarters

    paths = project(args)
    quarter = quarter_of(args, paths)
    render = not args.no_site
    if args.backfill and render:
        recover_publish(paths)  # what is published decides what to backfill
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


def cmd_site(args: argparse.Namespace) -> int:
    from ..core.cache import code_version
    from ..core.records import RunManifest, read_record
    from ..site.publish import SiteBuild

    paths, settings, quarter, params = quarter_context(args)
    manifest = read_record(paths.manifest(quarter), RunManifest)
    version = manifest.code_version if manifest else code_version(paths.root)
    outcome = SiteBuild(settings, quarter, params, version, args.force, args.require_site).publish()
    log.info("site: %s. %s", outcome.status, outcome.message)
    return EXIT_OK


def cmd_preview(args: argparse.Namespace) -> int:
    from ..run.preview import preview_page, serve

    _, settings, quarter, params = quarter_context(args)
    with lock(args):
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
    from ..params.settings import load_settings
    from ..run.preview import preview_dir, serve

    paths = project(args)
    settings = load_settings(paths)
    folder = preview_dir(settings) / "site-src" / "_site" if args.preview else paths.site
    if not (folder / "index.html").exists() and not any(folder.glob("*.html")):
        log.error("%s has no pages yet: run `make report` (or `make preview PAGE=2.1`) first", folder)
        return EXIT_OTHER
    serve(folder, args.port, settings)
    return EXIT_OK
