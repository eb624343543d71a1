"""Editions in other languages: translations of every text residents read, kept in ``params/``.

English is the source: the City's plan, sources and quarter files are written in English. Each
other edition has a folder ``params/translations/<code>/`` holding

- ``language.yml``: the language's name, its Babel locale and the proper names it keeps as is;
- ``plan.yml``, ``sources.yml`` and ``quarters/<quarter>.yml``: the same keys as the English
  files, with the texts translated (lists of objectives, initiatives, measures, departments and
  statuses become maps keyed by their id, so a translation never depends on the order of a list);
- ``interface.po``: the report's own words (headings, sentences, labels), for gettext tools
  (``catalogue.py``).

Which fields are texts is declared on the params models (``translated``). A translation with a
key the English file does not have is an error naming the file, line and key; a text without a
translation is listed by ``helpers check`` and stops the build, unless the quarter file says
``translation_pending: publish_english`` (then the English text is published, marked).

``english-versions.yml`` (written by ``helpers translations``) records which English each
translation was made from, as a short hash per key: when the City changes an English text, its
translation is out of date and counts as missing until a translator reviews it.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from ..core.config import ConfigError, ConfigProblem, _line_of, read_params_file
from ..core.language import Language
from ..core.templates import TemplateError
from ..core.templates import names as template_names
from .edition import VERSIONS_FILE, Edition

M = TypeVar("M", bound=BaseModel)
Key = tuple[str | int, ...]


NOT_TRANSLATED = "no translation yet"
OUT_OF_DATE = "the English has changed since it was translated"


@dataclass(frozen=True)
class Missing:
    """A text without a (current) translation: where it should be, and the English text."""

    file: str
    key: str
    english: str
    reason: str = NOT_TRANSLATED

    def render(self) -> str:
        shown = self.english if len(self.english) <= 70 else self.english[:67] + "..."
        return f"{self.file}, key '{self.key}': {self.reason} (English: \"{shown}\")"


def english_version(text: Any) -> str:
    """A short fingerprint of an English text, to tell when it changes."""
    return hashlib.sha256(json.dumps(text, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:12]


# --------------------------------------------------------------------------------------------
# The texts of a params model


def _item_key(item: BaseModel, index: int) -> str | int:
    for name in ("id", "code"):
        value = getattr(item, name, None)
        if isinstance(value, str):
            return value
    return index


def texts(model: BaseModel, prefix: Key = (), only_templates: bool = False) -> Iterator[tuple[Key, Any]]:
    """Every translated text of ``model``: (key, English text), items of lists and maps one by
    one, ``translated_whole`` fields as a whole. Fields the file leaves at their default are not
    texts anyone wrote, and are left out. ``only_templates``: only the texts that are templates
    filled with computed values (``StrictModel.templates``)."""
    translated = getattr(model, "translated", ())
    whole = getattr(model, "translated_whole", ())
    templated = getattr(model, "templates", ())
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is None or name not in model.model_fields_set:
            continue
        key = (*prefix, name)
        if only_templates and (name in whole or name in translated) and name not in templated:
            continue
        if name in whole:
            yield key, value
        elif name in translated:
            if isinstance(value, str):
                yield key, value
            elif isinstance(value, list):
                yield from (((*key, i), v) for i, v in enumerate(value))
            elif isinstance(value, dict):
                yield from (((*key, k), v) for k, v in value.items())
        elif isinstance(value, BaseModel):
            yield from texts(value, key, only_templates)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for index, item in enumerate(value):
                yield from texts(item, (*key, _item_key(item, index)), only_templates)
        elif isinstance(value, dict) and value and isinstance(next(iter(value.values())), BaseModel):
            for item_key, item in value.items():
                yield from texts(item, (*key, item_key), only_templates)


def render_key(key: Key) -> str:
    """``objectives."2.1".title``, ``measures.calls_911.caveats[0]``."""
    out = ""
    for part in key:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = f'"{part}"' if any(c in str(part) for c in '. :"') else str(part)
            out += ("." if out else "") + text
    return out


def _lookup(data: Any, key: Key) -> Any:
    current = data
    for part in key:
        if isinstance(part, int):
            if not isinstance(current, list) or part >= len(current):
                return None
            current = current[part]
        else:
            if not isinstance(current, dict) or part not in current:
                return None
            current = current[part]
    return current


def placeholders(text: str) -> set[str]:
    """The ``{...}`` of a text that is not a template (compared, never filled in)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _same_shape(english: Any, translation: Any, template: bool = False) -> str | None:
    """Why a translation does not match its English text (its kind, its number of items, the
    ``{names}`` a notebook fills in), or None. A ``template``'s placeholders must be plain
    names (``helpers.templates``)."""
    kind = {str: "text", list: "a list", dict: "a mapping"}
    if not isinstance(translation, type(english)):
        return f"the English is {kind.get(type(english), 'text')}, the translation is not"
    if isinstance(english, str):
        try:
            if template:
                wanted = template_names(english)
                try:
                    found = template_names(translation)
                except TemplateError as exc:
                    return f"the translation's {exc}; {exc.fix}"
            else:
                wanted, found = placeholders(english), placeholders(translation)
        except ValueError:
            return "the translation has an unmatched { or }: write {{ and }} for literal braces"
        if wanted != found:
            return (
                f"the English fills in {', '.join(sorted(wanted)) or 'no {names}'}; the translation "
                f"has {', '.join(sorted(found)) or 'none'}"
            )
    if isinstance(english, list) and len(english) != len(translation):
        return f"the English has {len(english)} items, the translation {len(translation)}"
    if isinstance(english, dict):
        if len(english) != len(translation):
            return f"the English has {len(english)} headings, the translation {len(translation)}"
        for (_, a), (_, b) in zip(english.items(), translation.items()):
            problem = _same_shape(a, b)
            if problem:
                return problem
    return None


def _mark(value: Any, language: Language) -> Any:
    """English standing in for a missing translation, marked pending throughout."""
    if isinstance(value, str):
        return language.pending(value)
    if isinstance(value, list):
        return [_mark(v, language) for v in value]
    if isinstance(value, dict):
        return {_mark(k, language): _mark(v, language) for k, v in value.items()}
    return value


@dataclass
class Translation:
    """A params model in another language, and what it still lacks."""

    model: Any
    missing: list[Missing] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)  # keys the English file does not have


def translate(
    model: M,
    path: Path,
    shown: str,
    language: Language,
    extras: tuple[str, ...] = (),
    versions: dict[str, str] | None = None,
) -> Translation:
    """``model`` with every text replaced by its translation from the YAML file at ``path``;
    untranslated texts stay English, marked pending. ``extras`` are top-level keys a translation
    may add (grammar the English does not need), returned as they are. ``versions`` are the
    fingerprints of the English each translation was made from: a translation of an English
    text that has changed since is out of date, and treated as missing."""
    data, node = read_params_file(path) if path.exists() else ({}, None)
    data = dict(data or {})
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(shown, None, "(file)", "expected a mapping of keys", "see README")])
    added = {key: data.pop(key) for key in extras if key in data}
    base: Key = ()
    english = dict(texts(model))
    templated = {key for key, _ in texts(model, only_templates=True)}
    problems = _unknown_keys(data, node, english, shown, base)
    replacements: dict[Key, Any] = {}
    missing: list[Missing] = []
    for key, text in english.items():
        found = _lookup(data, (*base, *key))
        if found is None or (isinstance(found, str) and not found.strip()):
            missing.append(Missing(shown, render_key(key), _flatten(text)))
            replacements[key] = _mark(text, language)
            continue
        made_from = (versions or {}).get(render_key(key))
        if made_from and made_from != english_version(text):
            missing.append(Missing(shown, render_key(key), _flatten(text), OUT_OF_DATE))
            replacements[key] = _mark(text, language)
            continue
        problem = _same_shape(text, found, key in templated)
        if problem:
            problems.append(
                ConfigProblem(
                    shown,
                    _line_of(node, (*base, *key)),
                    render_key(key),
                    problem,
                    "translate each item of the English in the same order, keeping its structure",
                )
            )
            continue
        replacements[key] = found
    if problems:
        raise ConfigError(problems)
    return Translation(_replace(model, replacements), missing, added)


def _flatten(text: Any) -> str:
    if isinstance(text, str):
        return " ".join(text.split())
    if isinstance(text, list):
        return " / ".join(_flatten(t) for t in text)
    return " / ".join(f"{k}: {_flatten(v)}" for k, v in text.items())


def _unknown_keys(
    data: Any, node: Any, english: dict[Key, Any], shown: str, base: Key
) -> list[ConfigProblem]:
    """Keys of the translation that are not texts of the English file (a misspelt id, a key
    that was renamed): each would be silently ignored."""
    valid: set[Key] = set()
    for key in english:
        for i in range(1, len(key) + 1):
            valid.add(key[:i])
    problems = []

    def walk(value: Any, key: Key) -> None:
        if key and key not in valid:
            siblings = [str(k[-1]) for k in valid if len(k) == len(key) and k[:-1] == key[:-1]]
            guess = difflib.get_close_matches(str(key[-1]), siblings, n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            problems.append(
                ConfigProblem(
                    shown,
                    _line_of(node, (*base, *key)),
                    render_key(key),
                    "there is no such text in the English file",
                    f"correct the key{hint} or remove it",
                )
            )
            return
        if key in english:
            return  # a text, or a whole narrative field: its inside is checked as a shape
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*key, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*key, i))

    start = _lookup(data, base) if base else data
    if start is not None:
        walk(start, ())
    return problems


def _replace(model: M, replacements: dict[Key, Any], prefix: Key = ()) -> M:
    """A copy of ``model`` with the texts at the given keys replaced."""
    if not any(k[: len(prefix)] == prefix for k in replacements):
        return model
    update: dict[str, Any] = {}
    translated = getattr(model, "translated", ())
    whole = getattr(model, "translated_whole", ())
    for name in type(model).model_fields:
        value = getattr(model, name)
        key = (*prefix, name)
        if value is None:
            continue
        if name in whole or (name in translated and isinstance(value, str)):
            if key in replacements:
                update[name] = replacements[key]
        elif name in translated and isinstance(value, list):
            update[name] = [replacements.get((*key, i), v) for i, v in enumerate(value)]
        elif name in translated and isinstance(value, dict):
            update[name] = {k: replacements.get((*key, k), v) for k, v in value.items()}
        elif isinstance(value, BaseModel):
            update[name] = _replace(value, replacements, key)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            update[name] = [
                _replace(item, replacements, (*key, _item_key(item, i))) for i, item in enumerate(value)
            ]
        elif isinstance(value, dict) and value and isinstance(next(iter(value.values())), BaseModel):
            update[name] = {k: _replace(item, replacements, (*key, k)) for k, item in value.items()}
    copy = model.model_copy(update=update)
    for name, attribute in vars(type(model)).items():
        if isinstance(attribute, cached_property):
            copy.__dict__.pop(name, None)  # computed from the English texts: compute again
    return copy


def record_versions(
    edition: Edition, english: dict[str, BaseModel], reviewed: bool = False, write: bool = True
) -> tuple[int, int]:
    """Write ``english-versions.yml``: for each translated text of the files in ``english``
    (name -> the English model), the fingerprint of the English it translates. New translations
    are recorded; an out-of-date one keeps its old fingerprint (so it stays listed) unless
    ``reviewed`` says the translator has brought every translation up to date. Returns (newly
    recorded, re-recorded as reviewed); with ``write=False``, only counts them."""
    import yaml

    path = edition.file(VERSIONS_FILE)
    out: dict[str, dict[str, str]] = {}
    added = reviewed_count = 0
    for name, model in english.items():
        source = edition.file(name)
        if not source.exists():
            continue
        data, _ = read_params_file(source)
        old = edition.versions(name)
        entries = {}
        for key, text in texts(model):
            found = _lookup(data or {}, key)
            if found is None or (isinstance(found, str) and not found.strip()):
                continue
            shown, now = render_key(key), english_version(text)
            before = old.get(shown)
            if before is None:
                added += 1
            elif before != now and reviewed:
                reviewed_count += 1
            entries[shown] = now if (before is None or reviewed) else before
        if entries:
            out[name] = dict(sorted(entries.items()))
    header = (
        "# Which English each translation in this folder was made from (a fingerprint per key),\n"
        "# written by `python -m helpers translations`: do not edit. When an English text changes,\n"
        "# `helpers check` lists its translation as out of date; update the translation, then run\n"
        "# `python -m helpers translations --reviewed`.\n"
    )
    text = header + yaml.safe_dump(out, sort_keys=True, allow_unicode=True, width=1000)
    if write and (not path.exists() or path.read_text(encoding="utf-8") != text):
        path.write_text(text, encoding="utf-8")
    return added, reviewed_count
