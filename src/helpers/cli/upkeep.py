"""The commands that look after the report between runs: checking params/ and the translations,
bringing the translation catalogues up to date, the archive, and what is built."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..params.prose import PROSE_FILE
from .common import lock, log, project
from .exits import EXIT_CONFIG, EXIT_OK, BadArgument

if TYPE_CHECKING:
    from ..params.quarters import QuarterParams
    from ..params.settings import Settings


def cmd_check(args: argparse.Namespace) -> int:
    from ..params.pages import report_pages
    from ..params.quarters import available_quarters, load_quarter
    from ..params.settings import load_settings
    from ..site.staging import check_site_sources

    paths = project(args)
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
    english: dict[str, Any] = {
        "plan.yml": settings.plan,
        "sources.yml": settings.sources,
        PROSE_FILE: settings.prose,
    }
    english.update({f"quarters/{p.quarter.id}.yml": p for p in quarters})
    return english


def _check_translations(settings: Settings, quarters: list[QuarterParams]) -> int:
    """Every text of every edition has its translation; list by file and key those that do not."""
    from ..params.editions import edition_reports, publishable
    from ..translation.catalogue import interface_messages
    from ..translation.edition import VERSIONS_FILE
    from ..translation.texts import record_versions

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
    from ..params.quarters import available_quarters, load_quarter
    from ..params.settings import load_settings
    from ..translation.catalogue import interface_messages, update_catalogue
    from ..translation.edition import VERSIONS_FILE
    from ..translation.texts import record_versions

    paths = project(args)
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


def cmd_archive(args: argparse.Namespace) -> int:
    from ..core.periods import FiscalQuarter
    from ..site.archive import require_intact, restore, verify

    paths = project(args)
    if args.action == "restore":
        if not args.quarter or not args.source:
            raise BadArgument("archive restore needs the quarter and --from <a copy of the published site>")
        try:
            quarter = FiscalQuarter.parse(args.quarter)
        except ValueError as exc:
            raise BadArgument(str(exc)) from None
        with lock(args):
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
    from ..core.language import ENGLISH
    from ..params.quarters import available_quarters
    from ..site.staging import archived_quarters

    paths = project(args)
    published = set(archived_quarters(paths.site))
    for quarter in available_quarters(paths):
        built = paths.publication(quarter).exists()
        print(
            f"{quarter.id}  {ENGLISH.quarter_span(quarter):<26} tables: {'yes' if built else 'no ':<4} "
            f"published: {'yes' if quarter in published else 'no'}"
        )
    return EXIT_OK
