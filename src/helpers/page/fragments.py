"""Pieces of a page that display the same in JupyterLab and on the website.

A page helper returns a ``Fragment``: a list of blocks (headings, paragraphs, lists, trusted HTML
built by this package). It displays as a MIME bundle with two views of the same content:

* ``text/html`` for JupyterLab, nbconvert and anything else that shows notebook outputs: charts
  are images, tables are tables, badges and narrative are formatted;
* ``text/markdown`` for Quarto: headings stay Markdown so they reach the table of contents with
  their anchors, and our HTML goes in raw ``{=html}`` blocks that Quarto passes through untouched.

The real Quarto prefers ``text/html`` when a bundle has both (``displayDataMimeType`` in
quarto-cli's ``core/jupyter/display-data.ts`` puts HTML first for HTML output), so the site stage
keeps only the Markdown view of fragments before rendering (``for_quarto``). Fragments mark their
outputs with ``FRAGMENT_KEY`` in the output metadata for that purpose; files a fragment publishes
(download CSVs) travel in the same metadata, so the executed notebook stays the page's one record.

Text from data or YAML is escaped here, once: ``md`` for Pandoc Markdown, ``esc`` for HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core.language import pending_html

FRAGMENT_KEY = "durham-report"

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~^&@:=\"'])")
_SPACES = re.compile(r"[ \t\r\n\f\v]+")  # not \s: the no-break space in "12\u00a0%" must stay


def md(text: object) -> str:
    """Escape text for Pandoc Markdown: every punctuation mark that could mean something is literal."""
    return _MD_SPECIAL.sub(r"\\\1", _SPACES.sub(" ", str(text)).strip())


def esc(text: object) -> str:
    """Escape text for HTML, including attribute values."""
    return html.escape(_SPACES.sub(" ", str(text)).strip(), quote=True)


# --------------------------------------------------------------------------------------------
# Inline text: plain strings, or strong runs


@dataclass(frozen=True)
class Strong:
    text: str


Inline = str | Strong


def _inline_md(parts: Sequence[Inline]) -> str:
    return "".join(f"**{md(p.text)}**" if isinstance(p, Strong) else _md_run(p) for p in parts)


def _md_run(text: str) -> str:
    """Escaped text that keeps its leading and trailing space (between inline runs)."""
    core = md(text)
    if not core:
        return " " if text else ""
    lead = " " if text[:1].isspace() else ""
    trail = " " if text[-1:].isspace() else ""
    return lead + core + trail


def _inline_html(parts: Sequence[Inline]) -> str:
    out = []
    for part in parts:
        if isinstance(part, Strong):
            out.append(f"<strong>{esc(part.text)}</strong>")
        else:
            core = esc(part)
            lead = " " if part[:1].isspace() and core else ""
            trail = " " if part[-1:].isspace() and core else ""
            out.append(lead + core + trail if core else (" " if part else ""))
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Blocks


class Block:
    def markdown(self) -> str:  # pragma: no cover - every block overrides both
        raise NotImplementedError

    def html(self) -> str:  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True)
class Heading(Block):
    level: int
    text: str
    anchor: str | None = None

    def markdown(self) -> str:
        anchor = f" {{#{self.anchor}}}" if self.anchor else ""
        return f"{'#' * self.level} {md(self.text)}{anchor}"

    def html(self) -> str:
        anchor = f' id="{esc(self.anchor)}"' if self.anchor else ""
        return f"<h{self.level}{anchor}>{esc(self.text)}</h{self.level}>"


@dataclass(frozen=True)
class Para(Block):
    """A paragraph of escaped text; with a class it becomes a styled HTML paragraph."""

    parts: tuple[Inline, ...]
    css_class: str | None = None

    def markdown(self) -> str:
        if self.css_class:
            return _raw(self.html())
        return _inline_md(self.parts)

    def html(self) -> str:
        cls = f' class="{esc(self.css_class)}"' if self.css_class else ""
        return f"<p{cls}>{_inline_html(self.parts)}</p>"


@dataclass(frozen=True)
class Bullets(Block):
    items: tuple[str, ...]

    def markdown(self) -> str:
        return "\n".join(f"- {md(item)}" for item in self.items)

    def html(self) -> str:
        return "<ul>" + "".join(f"<li>{esc(item)}</li>" for item in self.items) + "</ul>"


@dataclass(frozen=True)
class Quote(Block):
    text: str
    source: str

    def markdown(self) -> str:
        return f"> {md(self.text)} *{md(self.source)}*"

    def html(self) -> str:
        return f"<blockquote><p>{esc(self.text)} <em>{esc(self.source)}</em></p></blockquote>"


@dataclass(frozen=True)
class Html(Block):
    """HTML built by this package from escaped pieces (figures, tables, badges, cards)."""

    content: str

    def markdown(self) -> str:
        return _raw(self.content)

    def html(self) -> str:
        return self.content


def _raw(content: str) -> str:
    return f"```{{=html}}\n{content}\n```"


def para(*parts: Inline, css_class: str | None = None) -> Para:
    return Para(tuple(parts), css_class)


# --------------------------------------------------------------------------------------------
# The displayable fragment


@dataclass
class Fragment:
    """Blocks shown as one cell output; ``downloads`` are files the site publishes beside it."""

    blocks: list[Block] = field(default_factory=list)
    downloads: dict[str, str] = field(default_factory=dict)

    def __add__(self, other: Fragment) -> Fragment:
        return Fragment([*self.blocks, *other.blocks], {**self.downloads, **other.downloads})

    def extend(self, blocks: Iterable[Block]) -> Fragment:
        self.blocks.extend(blocks)
        return self

    def markdown(self) -> str:
        # English standing in for a pending translation becomes inline HTML: Pandoc keeps it.
        return pending_html("\n" + "\n\n".join(b.markdown() for b in self.blocks) + "\n")

    def html(self) -> str:
        return pending_html("\n".join(b.html() for b in self.blocks))

    @property
    def data(self) -> str:
        """The Markdown view (what the site renders); kept for tests and quick inspection."""
        return self.markdown()

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        meta: dict[str, Any] = {"fragment": True}
        if self.downloads:
            meta["downloads"] = dict(sorted(self.downloads.items()))
        return {"text/html": self.html(), "text/markdown": self.markdown()}, {FRAGMENT_KEY: meta}


def for_quarto(notebook: Any) -> list[tuple[str, str]]:
    """Keep only the Markdown view of every fragment output; return the downloads they carry.

    ``notebook`` is an nbformat notebook (changed in place). Outputs that are not fragments are
    left alone: an analyst's own chart or table reaches the page as Quarto renders it.
    """
    downloads: list[tuple[str, str]] = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get(FRAGMENT_KEY)
            if not meta or "data" not in output:
                continue
            output["data"] = {k: v for k, v in output["data"].items() if k == "text/markdown"}
            downloads.extend((meta.get("downloads") or {}).items())
    return downloads
