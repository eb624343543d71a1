"""Strict reading of gettext PO files, as ``msgfmt --check`` reads them.

Babel's PO reader is forgiving: an unclosed quote or a stray ``msgstr garbage`` line is read as
some other text, and that text is published (a Spanish chart legend once lost its ")" that way).
A translator's slip must stop ``helpers check`` and the run instead, naming the file and line.
This module checks the syntax and the structure of every entry; Babel then reads the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .config import ConfigError, ConfigProblem

_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(.*)$")
_LITERAL = r'"((?:[^"\\]|\\(?:[\\"abfnrtv?\']|[0-7]{1,3}|x[0-9A-Fa-f]+))*)"'
_STRINGS = re.compile(rf"^{_LITERAL}(?:\s+{_LITERAL})*\s*$")  # msgfmt joins "a" "b" on one line
_ONE = re.compile(_LITERAL)
_NPLURALS = re.compile(r"nplurals\s*=\s*(\d+)")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


@dataclass
class Entry:
    """One message of a PO file, as written (its strings unescaped)."""

    line: int
    context: str | None = None
    msgid: str | None = None
    plural: str | None = None
    msgstr: str | None = None
    forms: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code in _ESCAPES:
            return _ESCAPES[code]
        if code[0] == "x":
            return chr(int(code[1:], 16))
        if code[0] in "01234567":
            return chr(int(code, 8))
        return code

    return re.sub(r"\\(x[0-9A-Fa-f]+|[0-7]{1,3}|.)", one, text)


class _Reader:
    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.problems: list[ConfigProblem] = []
        self.entries: list[Entry] = []
        self.current: Entry | None = None
        self.last: str | None = None  # the keyword a continuation line extends
        self.flags: set[str] = set()

    def problem(self, line: int, key: str, what: str, fix: str) -> None:
        self.problems.append(ConfigProblem(self.shown, line, key, what, fix))

    def finish(self) -> None:
        entry = self.current
        if entry is not None:
            if entry.msgid is None:
                self.problem(entry.line, "msgid", "an entry has no msgid", "start each entry with msgid")
            elif entry.plural is None and entry.msgstr is None:
                self.problem(entry.line, entry.msgid[:40], "the entry has no msgstr", 'add msgstr ""')
            elif entry.plural is not None and not entry.forms:
                self.problem(
                    entry.line,
                    entry.msgid[:40],
                    "a plural entry has no msgstr[0]",
                    "add msgstr[0], msgstr[1]...",
                )
            elif entry.plural is not None and sorted(entry.forms) != list(range(len(entry.forms))):
                self.problem(
                    entry.line,
                    entry.msgid[:40],
                    f"the plural forms are numbered {sorted(entry.forms)}",
                    "number them msgstr[0], msgstr[1]... without gaps",
                )
            else:
                self.entries.append(entry)
        self.current, self.last = None, None

    def blank(self) -> None:
        """Entries are separated by blank lines; a blank line inside one is allowed."""
        if self.current is not None and (self.current.msgstr is not None or self.current.forms):
            self.finish()

    def keyword(self, number: int, name: str, index: str | None, text: str) -> None:
        value = self.string(number, text)
        if value is None:
            value = ""  # reported; the entry's structure is still followed, to find other slips
        keyword = "msgstr" if name.startswith("msgstr") else name
        entry = self.current
        if (
            keyword in {"msgctxt", "msgid"}
            and entry is not None
            and (entry.msgstr is not None or entry.forms)
        ):
            self.finish()
            entry = None
        if entry is None:
            if keyword not in {"msgctxt", "msgid"}:
                self.problem(number, name, f"{name} without a msgid before it", "start each entry with msgid")
                return
            entry = self.current = Entry(number, fuzzy="fuzzy" in self.flags)
            self.flags = set()
        order = {"msgctxt": entry.msgid is None and entry.context is None, "msgid": entry.msgid is None}
        order["msgid_plural"] = entry.msgid is not None and entry.plural is None and entry.msgstr is None
        order["msgstr"] = entry.msgid is not None and (
            (index is None and entry.plural is None and entry.msgstr is None)
            or (index is not None and entry.plural is not None and int(index) not in entry.forms)
        )
        if not order[keyword]:
            what = f"{name} is out of place or repeated"
            if keyword == "msgstr" and index is None and entry.plural is not None:
                what = "a plural entry needs msgstr[0], msgstr[1]... instead of msgstr"
            elif keyword == "msgstr" and index is not None and entry.plural is None:
                what = f"{name} in an entry without msgid_plural"
            self.problem(number, name, what, "write msgctxt, msgid, msgid_plural, then msgstr, once each")
            return
        if keyword == "msgctxt":
            entry.context = value
        elif keyword == "msgid":
            entry.msgid = value
        elif keyword == "msgid_plural":
            entry.plural = value
        elif index is None:
            entry.msgstr = value
        else:
            entry.forms[int(index)] = value
        self.last = name

    def string(self, number: int, text: str) -> str | None:
        stripped = text.strip()
        if _STRINGS.match(stripped):
            return "".join(_unescape(m.group(1)) for m in _ONE.finditer(stripped))
        self.problem(
            number, "(syntax)", _why_not_a_string(stripped), 'write "text"; inside it, write \\" and \\\\'
        )
        return None

    def continuation(self, number: int, text: str) -> None:
        value = self.string(number, text)
        if value is None:
            return
        entry = self.current
        if entry is None or self.last is None:
            self.problem(number, "(syntax)", "a string outside any entry", "put it after msgid or msgstr")
            return
        if self.last == "msgctxt":
            entry.context = (entry.context or "") + value
        elif self.last == "msgid":
            entry.msgid = (entry.msgid or "") + value
        elif self.last == "msgid_plural":
            entry.plural = (entry.plural or "") + value
        elif self.last == "msgstr":
            entry.msgstr = (entry.msgstr or "") + value
        else:
            index = int(self.last[7:-1])
            entry.forms[index] = entry.forms.get(index, "") + value


def _why_not_a_string(text: str) -> str:
    if not text.startswith('"'):
        return f"expected a quoted string, found {text[:30]!r}"
    index = 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == '"':
            rest = text[index + 1 :].strip()
            return f"text after the closing quote ({rest[:30]!r}): an unescaped quote?"
        index += 1
    return "the string is not closed with a quote"


def read_entries(path: Path, shown: str) -> list[Entry]:
    """The entries of a PO file; raises ``ConfigError`` naming every line that is not valid PO
    syntax, every entry that is incomplete or out of order, duplicates and plural entries whose
    number of forms differs from the header's ``nplurals``."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [ConfigProblem(shown, None, "(file)", f"the file is not UTF-8 ({exc})", "save it as UTF-8")]
        ) from None
    reader = _Reader(shown)
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            reader.blank()
            continue
        if stripped.startswith("#"):
            if stripped.startswith("#,"):
                reader.flags |= {f.strip() for f in stripped[2:].split(",")}
            continue  # comments, references, previous (#|) and obsolete (#~) entries
        keyword = _KEYWORD.match(stripped)
        if keyword:
            reader.keyword(number, keyword.group(1), keyword.group(2), keyword.group(3))
        elif stripped.startswith('"'):
            reader.continuation(number, stripped)
        else:
            reader.problem(
                number,
                "(syntax)",
                f"not a PO keyword or string: {stripped[:40]!r}",
                "each line is a comment (#), msgctxt, msgid, msgid_plural, msgstr[...] or a quoted string",
            )
    reader.finish()
    _check_entries(reader)
    if reader.problems:
        raise ConfigError(reader.problems)
    return reader.entries


def _check_entries(reader: _Reader) -> None:
    header = next((e for e in reader.entries if e.msgid == "" and e.context is None), None)
    plurals = _NPLURALS.search(header.msgstr or "") if header else None
    nplurals = int(plurals.group(1)) if plurals else None
    seen: dict[tuple[str | None, str], int] = {}
    for entry in reader.entries:
        assert entry.msgid is not None
        key = (entry.context, entry.msgid)
        if key in seen and entry.msgid:
            reader.problem(
                entry.line,
                entry.msgid[:40],
                f"the message is also at line {seen[key]}",
                "keep one entry per message (and context)",
            )
        seen.setdefault(key, entry.line)
        if entry.plural is None:
            continue
        if nplurals is None:
            reader.problem(
                entry.line,
                "Plural-Forms",
                "a plural entry, but the header has no Plural-Forms with nplurals",
                'add the language\'s Plural-Forms line to the header (msgid "")',
            )
        elif len(entry.forms) != nplurals:
            reader.problem(
                entry.line,
                entry.msgid[:40],
                f"{len(entry.forms)} plural forms, but the header says nplurals={nplurals}",
                f"write msgstr[0] to msgstr[{nplurals - 1}]",
            )
