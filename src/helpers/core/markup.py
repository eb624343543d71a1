"""Changing HTML through a parser, never with regular expressions.

``Document`` locates tags with the standard library's ``html.parser`` (so a tag written inside a
script, a comment or an attribute value is never taken for one) and splices each change in at
the exact place the parser found; everything else stays byte for byte as it was written. Used to
add what Quarto's template lacks to rendered pages, and to mark pending translations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass(frozen=True)
class Tag:
    """A start tag as written: its name, attributes, and where it is in the document."""

    name: str
    attrs: dict[str, str | None]
    start: int  # the offset of its "<"
    end: int  # the offset just after its ">"
    raw: str

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()

    def attribute_span(self, name: str) -> tuple[int, int] | None:
        """Where the attribute ``name`` (with its value) is written, as document offsets."""
        for attribute, first, last in _attributes(self.raw):
            if attribute == name:
                return self.start + first, self.start + last
        return None


def _attributes(raw: str) -> list[tuple[str, int, int]]:
    """The attributes of a raw start tag: (lower-case name, start, end) within ``raw``; a small
    scanner that follows quotes as HTML does."""
    out = []
    i = 1
    while i < len(raw) and not raw[i].isspace() and raw[i] not in "/>":
        i += 1  # the tag's name
    while i < len(raw):
        while i < len(raw) and (raw[i].isspace() or raw[i] == "/"):
            i += 1
        if i >= len(raw) or raw[i] == ">":
            break
        first = i
        while i < len(raw) and not raw[i].isspace() and raw[i] not in "=>" and raw[i : i + 2] != "/>":
            i += 1
        name = raw[first:i].lower()
        j = i
        while j < len(raw) and raw[j].isspace():
            j += 1
        if j < len(raw) and raw[j] == "=":
            j += 1
            while j < len(raw) and raw[j].isspace():
                j += 1
            if j < len(raw) and raw[j] in "\"'":
                close = raw.find(raw[j], j + 1)
                j = len(raw) - 1 if close < 0 else close + 1
            else:
                while j < len(raw) and not raw[j].isspace() and raw[j] != ">":
                    j += 1
            i = j
        out.append((name, first, i))
    return out


class _Locator(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self.text = text
        self.lines = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self.lines.append(index + 1)
        self.tags: list[Tag] = []
        self.end_tags: list[tuple[str, int, int]] = []

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        start = self._offset()
        self.tags.append(Tag(tag, dict(attrs), start, start + len(raw), raw))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        start = self._offset()
        self.end_tags.append((tag, start, self.text.index(">", start) + 1))


@dataclass
class Document:
    """An HTML document (or fragment) and the changes to splice into it."""

    text: str
    tags: list[Tag] = field(init=False)
    end_tags: list[tuple[str, int, int]] = field(init=False)
    _edits: list[tuple[int, int, int, str]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        locator = _Locator(self.text)
        locator.feed(self.text)
        locator.close()
        self.tags, self.end_tags = locator.tags, locator.end_tags

    def find(self, name: str, where: Callable[[Tag], bool] = lambda tag: True) -> Tag | None:
        """The first start tag ``name`` that ``where`` accepts."""
        return next((t for t in self.tags if t.name == name and where(t)), None)

    def find_all(self, name: str, where: Callable[[Tag], bool] = lambda tag: True) -> list[Tag]:
        return [t for t in self.tags if t.name == name and where(t)]

    def end_of(self, name: str) -> int | None:
        """The offset of the first closing tag ``</name>``."""
        return next((start for tag, start, _ in self.end_tags if tag == name), None)

    # ---------------------------------------------------------------- changes

    def insert(self, offset: int, text: str) -> None:
        self._edits.append((offset, offset, len(self._edits), text))

    def replace(self, start: int, end: int, text: str) -> None:
        self._edits.append((start, end, len(self._edits), text))

    def after(self, tag: Tag, text: str) -> None:
        """``text`` right after the start tag."""
        self.insert(tag.end, text)

    def add_attribute(self, tag: Tag, text: str, after: str | None = None) -> None:
        """`` name="value"`` (``text``, with its leading space) right after the tag's name, or
        right after the attribute ``after``."""
        span = tag.attribute_span(after) if after else None
        self.insert(span[1] if span else tag.start + 1 + len(tag.name), text)

    def set_attribute(self, tag: Tag, name: str, value: str) -> None:
        """Replace the value of an attribute the tag has (``value`` already escaped)."""
        span = tag.attribute_span(name)
        if span is None:
            raise KeyError(f"<{tag.name}> has no {name} attribute")
        raw = self.text[span[0] : span[1]]
        quote = '"' if '"' in raw else "'" if "'" in raw else '"'
        self.replace(span[0], span[1], f"{raw[: raw.index('=')]}={quote}{value}{quote}")

    def result(self) -> str:
        """The document with every change made (changes at one place keep their order)."""
        out, position = [], 0
        for start, end, _, text in sorted(self._edits):
            out.append(self.text[position:start])
            out.append(text)
            position = max(position, end)
        out.append(self.text[position:])
        return "".join(out)
