"""Reading a rendered page the way a resident does, for tests: the text blocks shown by default."""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCKS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "figcaption", "blockquote", "dd", "dt"}
# Not read as part of the story: navigation, the contents, collapsed details (each measure's
# self-contained reference card), data tables, and words only screen readers hear.
SKIPPED = {"nav", "footer", "details", "table", "script", "style", "svg"}
VOID = {"br", "img", "hr", "input", "meta", "link", "source", "wbr"}


class _Blocks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, starts a skipped region)
        self.skip = 0
        self.buffers: list[tuple[str, list[str]]] = []
        self.blocks: list[tuple[str, str]] = []  # (tag, text)
        # Blocks that carry words for screen readers only: a template line ("Shown in Goal
        # overview. Download the data (CSV).") that each measure's hidden name tells apart.
        self.named: set[int] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        values = dict(attrs)
        classes = values.get("class") or ""
        skipped = (
            tag in SKIPPED
            or "visually-hidden" in classes
            or values.get("id") in {"quarto-header", "TOC", "quarto-margin-sidebar"}
        )
        if not self.skip and "visually-hidden" in classes and self.buffers:
            self.named.add(id(self.buffers[-1][1]))
        if self.skip or skipped:
            self.skip += 1
            self.stack.append((tag, True))
            return
        description = tag == "div" and "description" in classes.split()
        self.stack.append(("description" if description else tag, False))
        if tag in BLOCKS or description:
            self.buffers.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not self.stack:
            return
        while self.stack:
            open_tag, skipped = self.stack.pop()
            if skipped:
                self.skip -= 1
            elif open_tag in BLOCKS or open_tag == "description":
                kind, parts = self.buffers.pop()
                text = re.sub(r"\s+", " ", "".join(parts)).strip()
                named = id(parts) in self.named
                self.named.discard(id(parts))
                if text:
                    kind = "description" if open_tag == "description" else kind
                    self.blocks.append((f"{kind}+named" if named and kind not in HEADINGS else kind, text))
            if open_tag == tag or (open_tag == "description" and tag == "div"):
                break

    def handle_data(self, data: str) -> None:
        if not self.skip and self.buffers:
            self.buffers[-1][1].append(data)


def text_blocks(html: str) -> list[tuple[str, str]]:
    """Headings, paragraphs, list items, captions and the page description, as shown: (tag, text)."""
    parser = _Blocks()
    parser.feed(html)
    return parser.blocks


HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def repeated_text(html: str, shortest: int = 60) -> list[str]:
    """Text a resident would read twice on the page: the same passage twice (a statement, a
    summary, a sentence), or a passage that starts by repeating a heading (a caption that
    restates the title above it). Template headings ("What's next?") and the source line under
    each chart repeat by design and are not counted."""
    blocks = text_blocks(html)
    problems = []
    seen: set[str] = set()
    for kind, block in blocks:
        if kind in HEADINGS or kind == "figcaption" or kind.endswith("+named") or len(block) < shortest:
            continue
        if block in seen:
            problems.append(f"said twice: {block[:90]}")
        seen.add(block)
    headings = {b for kind, b in blocks if kind in HEADINGS and len(b) >= 12}
    for kind, block in blocks:
        if kind in HEADINGS:
            continue
        for heading in headings:
            if block != heading and block.startswith(heading) and len(block) > len(heading) + 3:
                problems.append(f"repeats the heading '{heading[:60]}': {block[:90]}")
    return problems


RUNNING = {"p", "li", "description"}


def running_text(html: str) -> str:
    """The page's running text as shown by default (paragraphs, list items and the page
    description; not headings, captions, tables or collapsed details), one block per line, each
    ending as a sentence so that readability formulas count its sentences."""
    blocks = [text for kind, text in text_blocks(html) if kind.split("+")[0] in RUNNING]
    return "\n".join(text if text[-1] in ".!?:" else text + "." for text in blocks)
