"""Assembling the rendered editions into one site.

Each edition is rendered on its own (English at the root, every other language under
``<code>/``); then every page gets what Quarto's template lacks (a skip link, names for its
navigation landmarks, the links to the same page in the other languages, ``hreflang``
alternates), earlier quarters are copied in unchanged, and this quarter's archive copy is made,
in every language. Pages are changed through an HTML parser (``core.markup``), at the places it
finds, never with regular expressions.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..core.language import pending_html
from ..core.markup import Document, Tag
from ..core.periods import FiscalQuarter
from ..core.templates import fill
from ..page.fragments import esc
from ..translation.edition import Edition
from .staging import archived_quarters, force_remove


def _navbar(tag: Tag) -> bool:
    return (tag.attrs.get("class") or "").startswith("navbar")


def finish_page(text: str, edition: Edition, editions: list[Edition], name: str) -> str:
    """What Quarto's template lacks, added to one page of ``edition``: a "Skip to main content"
    link first in the page (inside the header, so it is within a landmark); names for the
    navigation bar and the table of contents so that screen readers can tell them apart; the
    labels the accessibility script gives Quarto's search widget, in the page's language; a link
    to the same page in each other edition, and ``hreflang`` alternates for search engines."""
    t = edition.language
    up = "../" * name.count("/") + edition.up  # from the page to the site's root
    skip_label, search, toggle = (
        t._("Skip to main content"),
        t._("Search this site"),
        t._("Show or hide navigation"),
    )
    site_label, toc_label = t._("Site"), t._("On this page")
    skip = f'<a class="skip-link" href="#quarto-document-content">{esc(skip_label)}</a>'
    page = Document(text)
    header = page.find("header") or page.find("body")
    if header:
        page.after(header, "\n" + skip)
    body = page.find("body")
    if body:
        page.add_attribute(body, f' data-search-label="{esc(search)}" data-toggle-label="{esc(toggle)}"')
    navbar = page.find("nav", _navbar)
    if navbar:
        page.add_attribute(navbar, f' aria-label="{esc(site_label)}"')
    toc = page.find("nav", lambda tag: tag.attrs.get("id") == "TOC" and tag.attrs.get("role") == "doc-toc")
    if toc:
        page.add_attribute(toc, f' aria-label="{esc(toc_label)}"', after="role")
    alternates = "".join(
        f'<link rel="alternate" hreflang="{other.code}" href="{up}{other.prefix}{name}">'
        for other in editions
    )
    if any(other.is_source for other in editions):
        alternates += f'<link rel="alternate" hreflang="x-default" href="{up}{name}">'
    head_end = page.end_of("head")
    if head_end is not None:
        page.insert(head_end, alternates + "\n")
    switch = "".join(
        f'<a class="language-switch" href="{up}{other.prefix}{name}" '
        f'hreflang="{other.code}" lang="{other.code}">{esc(other.language.name)}</a>'
        for other in editions
        if other.code != edition.code
    )
    tools = page.find("div", lambda tag: tag.attrs.get("class") == "quarto-navbar-tools")
    if switch and tools:
        page.after(tools, switch)
    elif switch and header:  # a navbar without tools (no search): the switch goes after the skip link
        page.after(header, f'<p class="language-switch-bar">{switch}</p>')
    return pending_html(page.result())  # words still to translate, marked


def page_files(folder: Path, editions: list[Edition]) -> list[Path]:
    """An edition's pages Quarto rendered under ``folder``: at its root and in subfolders such
    as districts/, never Quarto's libraries, the archive, another edition's pages or the
    measures' embeds (whole documents of their own, made for another site's iframe)."""
    skip = {"site_libs", "archive", *(e.prefix.strip("/") for e in editions if e.prefix)}
    return sorted(
        p
        for p in folder.rglob("*.html")
        if not set(p.relative_to(folder).parts[:-1]) & skip and p.name != "embed.html"
    )


def finish_pages(folder: Path, edition: Edition, editions: list[Edition]) -> None:
    """``finish_page`` for every page of one edition (archives were finished when published)."""
    for page in page_files(folder, editions):
        name = page.relative_to(folder).as_posix()
        text = page.read_text(encoding="utf-8")
        page.write_text(finish_page(text, edition, editions, name), encoding="utf-8")


def archive_notice(edition: Edition, quarter: FiscalQuarter, up: str) -> str:
    """The note at the top of every archived page, in the page's language."""
    t = edition.language
    latest_label, every_label = t._("Read the latest report"), t._("see all quarters")
    region, heading = t._("Archived report"), t._("Archived report.")
    latest = f'<a href="{up}{edition.prefix}index.html">{esc(latest_label)}</a>'
    every = f'<a href="{up}{edition.prefix}archive.html">{esc(every_label)}</a>'
    period = t.quarter_long(quarter)
    links = {"latest": latest, "all": every}
    notice = (
        f'<div class="archive-notice" role="note" aria-label="{esc(region)}">'
        f"<p><strong>{esc(heading)}</strong> "
        + esc(t._("This is the report for {period} as published. It is kept unchanged.", period=period))
        + " "
        # The translated words escaped like all others; only the two links are markup.
        + fill(esc(t._("{latest} or {all}.", latest="{latest}", all="{all}")), links)
        + "</p></div>"
    )
    return pending_html(notice)


def archived_page(text: str, notice: str, archive_links: tuple[str, str] | None = None) -> str:
    """A page of an archive copy: the notice first in its main content; on the Archive page,
    links into ``archive/`` rewritten (``archive_links``: from, to) to reach the site's root."""
    page = Document(text)
    main = page.find("main")
    if main:
        page.after(main, notice)
    if archive_links:
        old, new = archive_links
        for link in page.find_all("a", lambda tag: (tag.attrs.get("href") or "").startswith(old)):
            page.set_attribute(link, "href", new + (link.attrs["href"] or "")[len(old) :])
    return page.result()


def make_archive_copy(site: Path, quarter: FiscalQuarter, editions: list[Edition]) -> None:
    """``archive/<quarter>/``: this quarter's pages as published, in every language, with a
    notice in the page's language."""
    target = site / "archive" / quarter.id
    if target.exists():
        shutil.rmtree(target, onerror=force_remove)
    shutil.copytree(site, target, ignore=lambda d, names: ["archive"] if Path(d) == site else [])
    for edition in editions:
        folder = target / edition.prefix
        for page in page_files(folder, editions):
            depth = "../" * (len(page.relative_to(folder).parts) - 1)
            up = "../../" + depth + edition.up  # from archive/<quarter>/[<code>/][districts/] to the root
            notice = archive_notice(edition, quarter, up)
            links = (f"{edition.up}archive/", f"{up}archive/") if page.name == "archive.html" else None
            text = page.read_text(encoding="utf-8")
            page.write_text(archived_page(text, notice, links), encoding="utf-8")


def copy_archives(published: Path, staged_site: Path, current: FiscalQuarter) -> list[str]:
    """Bring every earlier quarter's archive across unchanged (a site holding a later quarter
    was refused before anything was built: ``archive.refuse_superseded``)."""
    copied = []
    for quarter in archived_quarters(published):
        if quarter < current:
            shutil.copytree(published / "archive" / quarter.id, staged_site / "archive" / quarter.id)
            copied.append(quarter.id)
    return copied


def make_read_only(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(0o444)
