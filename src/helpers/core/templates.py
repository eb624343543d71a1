"""Text templates that can only fill in named values.

Sentences with ``{names}`` come from three places the code does not control: the quarter files
(``texts:``), their translations, and each edition's ``interface.po``. Python's ``str.format``
follows ``{x.attr}`` and ``{x[key]}``, which reach module globals and the environment from any
value (a quarter text once published the pseudonymisation key that way). So no template here is
ever given to ``str.format``: it is parsed, every placeholder must be a plain name with an
optional format spec from ``SPECS``, and filling it looks the name up in the values given and
writes that value out, nothing more.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The format specs a template may give a number: its decimal places (written the page's
# language's way). Anything else (widths, fills, nested fields) is refused.
SPECS: dict[str, int] = {".0f": 0, ".1f": 1, ".2f": 2}
SPEC_HELP = "a plain {name}, or {name:.0f}, {name:.1f} or {name:.2f} for a number's decimals"


class TemplateError(ValueError):
    """A template that is not made of plain named placeholders; ``placeholder`` is the culprit."""

    def __init__(self, placeholder: str, reason: str) -> None:
        self.placeholder = placeholder
        self.reason = reason
        super().__init__(f"placeholder {placeholder}: {reason}")

    @property
    def fix(self) -> str:
        return f"write {SPEC_HELP}; write {{{{ and }}}} for a literal brace"


@dataclass(frozen=True)
class Field:
    name: str
    spec: str


def _shown(name: str | None, spec: str | None, conversion: str | None) -> str:
    text = name or ""
    if conversion:
        text += f"!{conversion}"
    if spec:
        text += f":{spec}"
    return "{" + text + "}"


@functools.lru_cache(maxsize=4096)
def parse(template: str) -> tuple[tuple[str, Field | None], ...]:
    """The template as (literal text, field or None) pairs; raises ``TemplateError`` on any
    placeholder that is not a plain name with an allowed spec. Kept once parsed: the same
    sentences are filled thousands of times a run."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:  # an unmatched { or }
        raise TemplateError("(brace)", f"the text has an unmatched brace ({exc})") from None
    out: list[tuple[str, Field | None]] = []
    for literal, name, spec, conversion in parts:
        if name is None:
            out.append((literal, None))
            continue
        shown = _shown(name, spec, conversion)
        if not name:
            raise TemplateError(shown, "an empty placeholder fills in nothing by name")
        if not _NAME.fullmatch(name):
            if name.isdigit():
                reason = "a numbered placeholder is not a name"
            elif "." in name or "[" in name:
                reason = "only a plain name may be filled in (no attributes or indexes)"
            else:
                reason = "this is not a plain name (letters, digits and _ only)"
            raise TemplateError(shown, reason)
        if conversion:
            raise TemplateError(shown, f"conversions such as !{conversion} are not allowed")
        if spec and spec not in SPECS:
            raise TemplateError(shown, f"the format '{spec}' is not one the report knows")
        out.append((literal, Field(name, spec or "")))
    return tuple(out)


def names(template: str) -> set[str]:
    """The names a template fills in (raises ``TemplateError`` for anything but plain names)."""
    return {f.name for _, f in parse(template) if f is not None}


def check(template: str) -> None:
    parse(template)


def plain_value(value: Any, spec: str) -> str:
    """A value written out as it is (its ``str``); a spec gives a number its decimals."""
    if spec and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{float(value):.{SPECS[spec]}f}"
    return str(value)


def fill(template: str, values: Mapping[str, Any], write: Callable[[Any, str], str] = plain_value) -> str:
    """``template`` with each ``{name}`` replaced by ``write(values[name], spec)``. A name that
    is not in ``values`` raises ``KeyError`` with the name (the caller says which text it was)."""
    out = []
    for literal, field in parse(template):
        out.append(literal)
        if field is not None:
            if field.name not in values:
                raise KeyError(field.name)
            out.append(write(values[field.name], field.spec))
    return "".join(out)
