"""The report's own words in each language: the messages of the code (``lang._("...")``),
extracted by Babel, and each edition's ``interface.po``, the gettext catalogue a translator fills
in with any PO editor. ``helpers translations`` keeps the catalogues in step with the code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.config import ConfigError, ConfigProblem
from ..core.language import message_key
from ..core.pofile import read_entries
from ..core.templates import TemplateError
from ..core.templates import names as template_names
from .edition import Edition
from .texts import NOT_TRANSLATED, OUT_OF_DATE, Missing


@dataclass(frozen=True)
class Message:
    """A message of the code: its English text (and plural), the context that tells apart two
    meanings, and where it is used."""

    id: str
    plural: str | None = None
    context: str | None = None
    locations: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return message_key(self.id, self.context)

    def render(self) -> str:
        return f"[{self.context}] {self.id}" if self.context else self.id


KEYWORDS = {"_": None, "N_": None, "n_": (1, 2), "p_": ((1, "c"), 2)}


def interface_messages(cache: Path | None = None, code_hash: str | None = None) -> list[Message]:
    """Every message the report's code says to residents, extracted from its source by Babel.
    With ``cache`` and ``code_hash`` the list is kept until the code changes."""
    import json

    if cache is not None and code_hash and cache.exists():
        stored = json.loads(cache.read_text())
        if stored.get("code") == code_hash:
            return [
                Message(m["id"], m["plural"], m["context"], tuple(m["locations"])) for m in stored["messages"]
            ]
    from babel.messages.extract import extract_from_dir

    package = Path(__file__).parents[1]  # the whole helpers package
    found: dict[tuple[str | None, str], Message] = {}
    for filename, _line, text, _, context in extract_from_dir(
        str(package), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        singular, plural = (text[0], text[1]) if isinstance(text, tuple) else (text, None)
        where = f"src/helpers/{filename}"  # no line numbers: they would change with every edit
        previous = found.get((context, singular))
        locations = tuple(dict.fromkeys((*previous.locations, where))) if previous else (where,)
        found[(context, singular)] = Message(singular, plural, context, locations)
    messages = sorted(found.values(), key=lambda m: (m.id, m.context or ""))
    if cache is not None and code_hash:
        from ..core.records import write_json

        write_json(
            cache,
            {
                "code": code_hash,
                "messages": [
                    {"id": m.id, "plural": m.plural, "context": m.context, "locations": list(m.locations)}
                    for m in messages
                ],
            },
        )
    return messages


def missing_interface(edition: Edition, messages: list[Message], shown: str) -> list[Missing]:
    """The messages ``edition``'s interface.po does not translate yet. A translation whose
    ``{names}`` differ from the English is an error: the page would fail, or lose a number."""
    language = edition.language
    fuzzy = check_interface(edition, shown)
    return [
        Missing(shown, m.render(), m.id, OUT_OF_DATE if m.key in fuzzy else NOT_TRANSLATED)
        for m in messages
        if not language.translates(m.key)
    ]


def check_interface(edition: Edition, shown: str) -> set[str]:
    """Raise on any slip in ``interface.po``: a line that is not valid PO syntax, an entry out of
    order or with the wrong number of plural forms (as ``msgfmt --check`` does), and a
    translation whose ``{names}`` differ from the English (every plural form keeps every name
    of the English plural). Return the messages marked fuzzy (their English changed, so the old
    translation is kept for the translator to review, and not published)."""
    path = edition.file("interface.po")
    if not path.exists():
        return set()
    problems = []
    fuzzy = set()
    for entry in read_entries(path, shown):
        if not entry.msgid:
            continue  # the header
        if entry.fuzzy:
            fuzzy.add(message_key(entry.msgid, entry.context))
            continue  # a fuzzy translation is never published
        forms = (
            [entry.msgstr or ""] if entry.plural is None else [entry.forms[i] for i in sorted(entry.forms)]
        )
        problem = _placeholder_problem(entry.msgid, entry.plural, forms)
        if problem:
            problems.append(
                ConfigProblem(
                    shown,
                    entry.line,
                    entry.msgid,
                    problem,
                    "keep every {name} of the English, spelt the same, in each form of the translation",
                )
            )
    if problems:
        raise ConfigError(problems)
    return fuzzy


def _placeholder_problem(msgid: str, plural: str | None, forms: list[str]) -> str | None:
    """Why the translated ``forms`` do not fill in the English's names, or None."""
    try:
        wanted = template_names(plural if plural is not None else msgid)
    except TemplateError as exc:
        return f"the English has a {exc}"
    for form in forms:
        if not form:
            continue  # not translated yet: listed as missing, never published
        try:
            found = template_names(form)
        except TemplateError as exc:
            return f"the translation's {exc}"
        if found != wanted:
            return (
                f"the English fills in {', '.join(sorted(wanted)) or 'no {names}'}; the translation "
                f"has {', '.join(sorted(found)) or 'none'}"
            )
    return None


def _suggest_old_translations(catalog: Any) -> None:
    """Each new, untranslated message that is close to a message the code no longer uses gets
    that translation, marked fuzzy with the old English beside it (Babel's own matching may
    also borrow from messages still in use, so it is not used)."""
    import difflib

    old = {message_key(m.id): m for m in catalog.obsolete.values() if m.id and m.string and not m.fuzzy}
    for message in catalog:
        translated = any(message.string) if isinstance(message.string, tuple) else bool(message.string)
        if not message.id or translated:
            continue
        close = difflib.get_close_matches(message_key(message.id), list(old), n=1, cutoff=0.6)
        if not close:
            continue
        previous = old.pop(close[0])
        if isinstance(message.id, tuple) != isinstance(previous.id, tuple):
            continue
        message.string = previous.string
        message.flags.add("fuzzy")
        message.previous_id = list(previous.id) if isinstance(previous.id, tuple) else [previous.id]


def update_catalogue(edition: Edition, messages: list[Message]) -> tuple[int, int]:
    """Bring ``interface.po`` up to date with the code, as gettext's msgmerge does: new messages
    are added untranslated, or, when one is close to a message the code no longer uses (its
    English was edited), with that old translation marked fuzzy for review (a fuzzy translation
    is never published); unused messages are dropped; translations are kept. Returns (added,
    dropped)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = edition.file("interface.po")
    locale = edition.language.locale_name
    if path.exists():
        read_entries(path, str(path))  # a slip is fixed by hand first, never rewritten as text
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
    else:
        catalog = Catalog(locale=locale, project="Durham Goal 2 report", version="1", fuzzy=False)
    before = {message_key(m.id, m.context) for m in catalog if m.id}
    template = Catalog(project="Durham Goal 2 report", version="1", fuzzy=False)
    for m in messages:
        template.add(
            (m.id, m.plural) if m.plural else m.id, context=m.context, auto_comments=list(m.locations[:3])
        )
    catalog.update(template, no_fuzzy_matching=True)
    _suggest_old_translations(catalog)
    catalog.obsolete.clear()
    after = {message_key(m.id, m.context) for m in catalog if m.id}
    catalog.header_comment = (
        f"# {edition.language.name}: the sentences the report's code writes (translations of\n"
        "# the plan and the quarters are in the YAML files beside this one).\n"
        "# Fill in every msgstr; keep each {placeholder}. `python -m helpers translations` adds\n"
        "# new messages and drops unused ones; `python -m helpers check` lists what is missing."
    )
    catalog.copyright_holder = catalog.language_team = "City of Durham"
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "Sample translation for review by the City of Durham"
    catalog.creation_date = catalog.revision_date = catalog.creation_date.replace(
        year=2026, month=1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, omit_header=False, include_previous=True)
    return len(after - before), len(before - after)
