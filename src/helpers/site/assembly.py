"""Assembling the rendered editions into one site.

Each edition is rendered on its own (English at the root, every other language under
``<code>/``); then every page gets what Quarto's template lacks (a skip link, names for its
navigation landmarks, the links to the same page in the other languages, ``hreflang``
alternates), earlier quarters are copied in unchanged, and this quarter's archive copy is made,
in every language.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ..core.language import Language, pending_html
from ..core.periods import FiscalQuarter
from ..core.templates import fill
from ..page.fragments import esc
from .quarto import SiteError
from .staging import archived_quarters, force_remove


def _up(lang: Language) -> str:
    """From an edition's folder to the site's root."""
    return "" if lang.is_source else "../"


def finish_pages(folder: Path, lang: Language, languages: list[Language]) -> None:
    """What Quarto's template lacks, added to every page of one edition (archives were finished
    when they were published): a "Skip to main content" link first in the page (inside the
    header, so it is within a landmark); names for the navigation bar and the table of contents
    so that screen readers can tell them apart; the labels the accessibility script gives
    Quarto's search widget, in the page's language; a link to the same page in each other
    language, and ``hreflang`` alternates for search engines."""
    t = lang
    skip_label, search, toggle = (
        t._("Skip to main content"),
        t._("Search this site"),
        t._("Show or hide navigation"),
    )
    site_label, toc_label = t._("Site"), t._("On this page")
    skip = f'<a class="skip-link" href="#quarto-document-content">{esc(skip_label)}</a>'
    labels = f' data-search-label="{esc(search)}" data-toggle-label="{esc(toggle)}"'
    others = [other for other in languages if other.code != lang.code]
    for page in folder.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        header = re.search(r"<header\b[^>]*>", text) or re.search(r"<body\b[^>]*>", text)
        if header:
            text = text[: header.end()] + "\n" + skip + text[header.end() :]
        text = re.sub(r"<body\b", lambda m: m.group(0) + labels, text, count=1)
        text = text.replace('<nav class="navbar', f'<nav aria-label="{esc(site_label)}" class="navbar', 1)
        toc = '<nav id="TOC" role="doc-toc"'
        text = text.replace(toc, toc + f' aria-label="{esc(toc_label)}"', 1)
        alternates = "".join(
            f'<link rel="alternate" hreflang="{other.code}" href="{_up(lang)}{other.prefix}{page.name}">'
            for other in languages
        )
        english = next((o for o in languages if o.is_source), None)
        if english is not None:
            alternates += f'<link rel="alternate" hreflang="x-default" href="{_up(lang)}{page.name}">'
        text = text.replace("</head>", alternates + "\n</head>", 1)
        switch = "".join(
            f'<a class="language-switch" href="{_up(lang)}{other.prefix}{page.name}" '
            f'hreflang="{other.code}" lang="{other.code}">{esc(other.name)}</a>'
            for other in others
        )
        tools = '<div class="quarto-navbar-tools">'
        if switch and tools in text:
            text = text.replace(tools, tools + switch, 1)
        elif switch:  # a navbar without tools (no search): the switch goes right after the skip link
            text = text.replace(skip, skip + f'<p class="language-switch-bar">{switch}</p>', 1)
        page.write_text(pending_html(text), encoding="utf-8")  # words still to translate, marked


def make_archive_copy(site: Path, quarter: FiscalQuarter, languages: list[Language]) -> None:
    """``archive/<quarter>/``: this quarter's pages as published, in every language, with a
    notice in the page's language, read-only."""
    target = site / "archive" / quarter.id
    if target.exists():
        shutil.rmtree(target, onerror=force_remove)
    shutil.copytree(site, target, ignore=lambda d, names: ["archive"] if Path(d) == site else [])
    for lang in languages:
        t = lang
        folder = target / lang.prefix
        up = "../../" + _up(lang)  # from archive/<quarter>/[<code>/] to the site's root
        latest_label, every_label = t._("Read the latest report"), t._("see all quarters")
        region, heading = t._("Archived report"), t._("Archived report.")
        latest = f'<a href="{up}{lang.prefix}index.html">{esc(latest_label)}</a>'
        every = f'<a href="{up}{lang.prefix}archive.html">{esc(every_label)}</a>'
        notice = (
            f'<div class="archive-notice" role="note" aria-label="{esc(region)}">'
            f"<p><strong>{esc(heading)}</strong> "
            + esc(
                t._(
                    "This is the report for {period} as published. It is kept unchanged.",
                    period=t.quarter_long(quarter),
                )
            )
            + " "
            # The translated words escaped like all others; only the two links are markup.
            + fill(
                esc(t._("{latest} or {all}.", latest="{latest}", all="{all}")),
                {"latest": latest, "all": every},
            )
            + "</p></div>"
        )
        notice = pending_html(notice)
        for page in folder.glob("*.html"):
            text = page.read_text(encoding="utf-8")
            text = re.sub(r"(<main\b[^>]*>)", lambda m, notice=notice: m.group(1) + notice, text, count=1)
            if page.name == "archive.html":
                text = text.replace(f'href="{_up(lang)}archive/', f'href="{up}archive/')
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
