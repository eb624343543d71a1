"""The language a page is written in: its words (gettext catalogues) and how it writes numbers,
percentages, dates, months, weekdays, lists and the City's fiscal quarters (Babel, from CLDR).

English is the source language: every message in the code is its English text, and English needs
no catalogue. Another edition reads ``params/translations/<code>/interface.po``, which a translator
edits with any gettext tool; ``python -m helpers translations`` adds the messages the code gained.

A text with no translation yet is published in English only where the quarter file allows it, and
then marked: ``pending`` wraps it, with the note to show, in private-use characters that survive
any string handling; ``pending_html`` turns them into ``<span lang="en">`` plus a visible
"translation pending" note and ``pending_plain`` (for chart labels, CSV cells, page titles) into
the note in words. A site check refuses any marker that reaches a published file.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .templates import fill

if TYPE_CHECKING:
    from babel import Locale

    from .periods import FiscalQuarter

SOURCE_LANGUAGE = "en"
PENDING_START, PENDING_NOTE, PENDING_END = "\ue000", "\ue001", "\ue002"
PENDING_MARKS = (PENDING_START, PENDING_NOTE, PENDING_END)
_PENDING = re.compile(f"{PENDING_START}(.*?){PENDING_NOTE}(.*?){PENDING_END}", re.DOTALL)


def message_key(message_id: str | tuple[str, ...], context: str | None = None) -> str:
    """How gettext tells a message apart: its (singular) English, after its context if any."""
    first = message_id[0] if isinstance(message_id, tuple) else message_id
    return f"{context}\x04{first}" if context else first


def pending(text: str, note: str) -> str:
    """English ``text`` standing in for a missing translation, with the ``note`` to show. Pending
    parts inside it (an untranslated name in an untranslated sentence) join the one mark, so
    marks never nest."""
    if not text:
        return text
    if PENDING_START in text:
        text = _PENDING.sub(lambda m: m.group(1), text)
    return f"{PENDING_START}{text}{PENDING_NOTE}{note}{PENDING_END}"


def pending_html(markup: str) -> str:
    """Markup with each pending text shown in English, marked for screen readers and followed by
    the visible note; inside a tag (an attribute value) the note is written out in words. A
    pending text may hold whole elements (a sentence with links)."""
    if PENDING_START not in markup:
        return markup

    from .markup import Document

    def in_text(match: re.Match[str]) -> str:
        text, note = match.groups()
        return f'<span lang="en">{text}</span> <span class="translation-pending">{note}</span>'

    document = Document(markup)  # the tags found by a parser: markers in an attribute become words
    for tag in document.tags:
        if PENDING_START in tag.raw:
            document.replace(tag.start, tag.end, pending_plain(tag.raw))
    return _PENDING.sub(in_text, document.result())


def pending_plain(text: str) -> str:
    """Text where markup is impossible: the English, then the note in words."""
    if PENDING_START not in text:
        return text
    return _PENDING.sub(lambda m: f"{m.group(1)} {m.group(2)}", text)


@dataclass(frozen=True)
class Language:
    """One edition's language. ``Language.english()`` needs no files."""

    code: str
    name: str  # in the language itself, for the language switcher: "English", "Español"
    locale_name: str  # the Babel (CLDR) locale for numbers and dates: "en_US", "es"
    catalogue: Path | None = None  # interface.po; None for the source language

    @classmethod
    def english(cls) -> Language:
        return ENGLISH

    @property
    def is_source(self) -> bool:
        return self.code == SOURCE_LANGUAGE

    @cached_property
    def locale(self) -> Locale:
        from babel import Locale

        return Locale.parse(self.locale_name)

    @cached_property
    def _catalogue(self) -> tuple[gettext.NullTranslations, frozenset[str]]:
        """The compiled catalogue and the messages it translates (fuzzy entries do not count)."""
        if self.catalogue is None or not self.catalogue.exists():
            return gettext.NullTranslations(), frozenset()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        from .pofile import read_entries

        read_entries(self.catalogue, str(self.catalogue))  # Babel would read a slip as some text
        with self.catalogue.open("rb") as handle:
            catalog = read_po(handle, locale=self.locale_name)
        known = frozenset(
            message_key(m.id, m.context)
            for m in catalog
            if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
        )
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        return gettext.GNUTranslations(buffer), known

    def translates(self, message: str) -> bool:
        return self.is_source or message in self._catalogue[1]

    # ---------------------------------------------------------------- words

    def _(self, message: str, **values: Any) -> str:
        """The message in this language (English, marked pending, when not translated yet), with
        ``{names}`` filled from ``values``."""
        return self._say(message, None, 1, values)

    def p_(self, context: str, message: str, **values: Any) -> str:
        """The message as said in ``context`` (for example "feminine": a language whose words agree
        with the gender of what is counted); English ignores the context."""
        if self.is_source:
            return self._fill(message, values)
        if not self.translates(message_key(message, context)):
            return self._(message, **values)
        return self._fill(self._catalogue[0].pgettext(context, message), values)

    def n_(self, singular: str, plural: str, n: float, **values: Any) -> str:
        """The singular or plural message for ``n``, with ``{n}`` and ``values`` filled in."""
        return self._say(singular, plural, n, {"n": n, **values})

    def _say(self, message: str, plural: str | None, n: float, values: dict[str, Any]) -> str:
        count = int(n) if float(n).is_integer() else 2
        english = message if plural is None or count == 1 else plural
        if self.is_source:
            return self._fill(english, values)
        if not self.translates(message):
            # filled first, then marked: pending names inside join the sentence's one mark
            return pending(self._fill(english, values), self.pending_note)
        translations = self._catalogue[0]
        if plural is None:
            return self._fill(translations.gettext(message), values)
        return self._fill(translations.ngettext(message, plural, count), values)

    @staticmethod
    def _fill(template: str, values: dict[str, Any]) -> str:
        # Never str.format: a translation could reach attributes of the values (templates.py).
        return fill(template, values) if values else template

    # ---------------------------------------------------------------- numbers

    def number(self, value: float, decimals: int = 0) -> str:
        """``1,234.5`` in English, ``1.234,5`` in Spanish; rounded the same way in both."""
        if self.is_source:
            return f"{value:,.{decimals}f}"
        from babel.numbers import format_decimal

        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(round(value, decimals), format=pattern, locale=self.locale)

    def percent(self, value: float, decimals: int = 1) -> str:
        """A value already in percent: ``87.3%`` in English, ``87,3 %`` in Spanish."""
        if self.is_source:
            return f"{value:,.{decimals}f}%"
        pattern = self.locale.percent_formats[None].pattern  # e.g. "#,##0 %"
        spacing = pattern[pattern.index("0") + 1 : pattern.index("%")].lstrip(".0#,")
        return self.number(value, decimals) + spacing + "%"

    # ---------------------------------------------------------------- dates

    def date(self, d: date | str) -> str:
        """``October 15, 2026``; ``15 de octubre de 2026``."""
        d = date.fromisoformat(d) if isinstance(d, str) else d
        if self.is_source:
            return f"{d:%B} {d.day}, {d.year}"
        from babel.dates import format_date

        return format_date(d, "long", locale=self.locale)

    def month_name(self, month: int) -> str:
        """``September``; ``septiembre`` (as used inside a sentence)."""
        from babel.dates import get_month_names

        return get_month_names("wide", context="format", locale=self.locale)[month]

    def month_abbreviation(self, month: int) -> str:
        """``Sep``; ``sept`` (chart ticks)."""
        if self.is_source:
            return self.month_name(month)[:3]
        from babel.dates import get_month_names

        return get_month_names("abbreviated", context="stand-alone", locale=self.locale)[month]

    def month(self, d: date, short: bool = False) -> str:
        """A month of a year: ``September 2026`` (``Sep 2026``); ``septiembre de 2026``."""
        if self.is_source:
            name = self.month_name(d.month)
            return f"{name[:3] if short else name} {d.year}"
        from babel.dates import format_skeleton

        return format_skeleton("yMMM" if short else "yMMMM", d, locale=self.locale)

    def weekday(self, index: int) -> str:
        """Monday is 0: ``Monday``; ``lunes``."""
        from babel.dates import get_day_names

        return get_day_names("wide", context="format", locale=self.locale)[index]

    def join(self, items: Iterable[str]) -> str:
        """``a, b and c``; ``a, b y c``."""
        items = list(items)
        if len(items) <= 1:
            return "".join(items)
        if self.is_source:
            return ", ".join(items[:-1]) + " and " + items[-1]
        from babel.lists import format_list

        return format_list(items, locale=self.locale)

    # ---------------------------------------------------------------- the City's calendar

    def quarter(self, q: FiscalQuarter) -> str:
        """``FY2027 Q1``; ``AF2027 T1``."""
        return self._("FY{year} Q{quarter}", year=q.fiscal_year, quarter=q.quarter)

    def quarter_span(self, q: FiscalQuarter) -> str:
        """``July to September 2026``; ``julio a septiembre de 2026``."""
        start, end = q.start, q.end
        if start.year == end.year:
            return self._(
                "{first} to {last} {year}",
                first=self.month_name(start.month),
                last=self.month_name(end.month),
                year=end.year,
            )
        return self._("{first} to {last}", first=self.month(start), last=self.month(end))

    def quarter_long(self, q: FiscalQuarter) -> str:
        """``July to September 2026 (FY2027 Q1)``."""
        return f"{self.quarter_span(q)} ({self.quarter(q)})"

    def period_label(self, period_id: str, grain: str, start: date, end: date) -> str:
        """The label of a period of any grain, from what a measure's row records about it: made
        once per period, however many rows (series, measures, districts) share it."""
        key = (period_id, grain, start, end)
        if key not in self._period_labels:
            self._period_labels[key] = self._label_of_period(*key)
        return self._period_labels[key]

    @cached_property
    def _period_labels(self) -> dict[tuple[str, str, date, date], str]:
        return {}

    def _label_of_period(self, period_id: str, grain: str, start: date, end: date) -> str:
        from .periods import FiscalQuarter

        if grain == "month":
            return self.month(start)
        if grain == "quarter":
            return self.quarter_long(FiscalQuarter.parse(period_id))
        if grain == "calendar_year":
            if "-YTD-" in period_id:
                return self._(
                    "{year} (January to {month}, year to date)",
                    year=start.year,
                    month=self.month_name(end.month),
                )
            return str(start.year)
        if grain == "fiscal_year":
            fiscal_year = end.year if end.month <= 6 else end.year + 1
            label = self._("FY{year}", year=fiscal_year)
            if "-YTD-" in period_id:
                return self._(
                    "{fiscal_year} (July to {month}, year to date)",
                    fiscal_year=label,
                    month=self.month_name(end.month),
                )
            return label
        if grain == "rolling_12_months":
            months = int(period_id.split("M-", 1)[0])
            span = (end.year - start.year) * 12 + end.month - start.month + 1
            last = date(end.year, end.month, 1)
            if span < months:
                return self.n_(
                    "{n} month to {last} (data begins {first})",
                    "{n} months to {last} (data begins {first})",
                    span,
                    last=self.month(last),
                    first=self.month(start),
                )
            return self.n_("{n} month to {last}", "{n} months to {last}", months, last=self.month(last))
        raise ValueError(f"unknown grain '{grain}'")

    # ---------------------------------------------------------------- pending translations

    @property
    def pending_note(self) -> str:
        """What a text published in English while its translation is pending says after it."""
        note = N_("(translation pending)")
        return self._catalogue[0].gettext(note) if self.translates(note) else note

    def pending(self, text: str) -> str:
        return text if self.is_source else pending(text, self.pending_note)


def N_(text: str) -> str:
    """Marks a text for the interface catalogue where it is translated later, not here."""
    return text


ENGLISH = Language(SOURCE_LANGUAGE, "English", "en_US")
