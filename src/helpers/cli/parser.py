"""The command line's grammar: ``python -m helpers <command> [options]``."""

from __future__ import annotations

import argparse

from .analysis import add_spc
from .common import Adder, Handler
from .exits import EXIT_CODES
from .pipeline import cmd_ingest, cmd_measures, cmd_preview, cmd_run, cmd_sample_data, cmd_serve, cmd_site
from .upkeep import cmd_archive, cmd_check, cmd_quarters, cmd_translations
from .web import add_page_views


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers",
        description="Build the City of Durham's quarterly Goal 2 report: sample data, ingest, "
        "privacy-gated measures, notebooks (papermill) and the website (Quarto).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--root", help="project folder (default: found from the current folder)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    def add(name: str, handler: Handler, help_text: str, writes: bool = False) -> argparse.ArgumentParser:
        """A command; one that ``writes`` runs under the project's lock."""
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler, writes=writes)
        return command

    for register in (
        _sample_data,
        _ingest,
        _measures,
        _run,
        _check,
        _site,
        _preview,
        _serve,
        _quarters,
        _archive,
        _translations,
        add_spc,
        add_page_views,
    ):
        register(add)
    return parser


def _sample_data(add: Adder) -> None:
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


def _ingest(add: Adder) -> None:
    ingest = add(
        "ingest",
        cmd_ingest,
        "Validate every raw source and write the pseudonymised canonical tables (all or nothing).",
        writes=True,
    )
    ingest.add_argument("--failures", metavar="CSV", help="write every validation problem here")


def _measures(add: Adder) -> None:
    measures = add(
        "measures",
        cmd_measures,
        "Compute and privacy-gate every measure for a "
        "quarter; writes tables and download CSVs to data/processed/<quarter>.",
        writes=True,
    )
    measures.add_argument("--quarter", help="fiscal quarter, e.g. FY2027Q1 (default: latest)")
    measures.add_argument("--force", action="store_true", help="rebuild even if unchanged")


def _run(add: Adder) -> None:
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


def _check(add: Adder) -> None:
    add(
        "check",
        cmd_check,
        "Validate params/ (plan, sources, privacy, every quarter file), that every page of the "
        "plan has its notebook, and _quarto.yml, without touching data.",
    )


def _site(add: Adder) -> None:
    site = add(
        "site", cmd_site, "Render, check and publish the site from already executed notebooks.", writes=True
    )
    site.add_argument("--quarter", help="fiscal quarter (default: latest)")
    site.add_argument("--force", action="store_true", help="publish even if unchanged")
    site.add_argument("--require-site", action="store_true", help="fail when Quarto is missing")


def _preview(add: Adder) -> None:
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


def _serve(add: Adder) -> None:
    serve_cmd = add(
        "serve",
        cmd_serve,
        "Serve the published site (or, with --preview, the latest preview) on http://127.0.0.1 "
        "until Ctrl-C; opening the files from disk breaks search and the table of contents.",
    )
    serve_cmd.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve_cmd.add_argument("--preview", action="store_true", help="serve build/preview instead of _site")


def _quarters(add: Adder) -> None:
    add("quarters", cmd_quarters, "List quarters with params files and whether they are built and published.")


def _archive(add: Adder) -> None:
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


def _translations(add: Adder) -> None:
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
