"""Loading ``params/`` YAML into typed objects, with errors that name the file, line, key and fix.

Analysts edit these files by hand every quarter; a typo must stop the build with a message they
can act on, not a traceback.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for every params model: unknown keys are errors, because a misspelt key is silent.

    ``translated`` names the fields residents read, which every edition translates
    (``helpers.translations``): text, lists of text and maps of text, item by item, and
    ``translated_whole`` the narrative fields a translation replaces as a whole. ``templates``
    names the translated fields whose texts are templates, filled with computed values: their
    ``{placeholders}`` must be plain names (``helpers.templates``), in every edition.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    translated: ClassVar[tuple[str, ...]] = ()
    translated_whole: ClassVar[tuple[str, ...]] = ()
    templates: ClassVar[tuple[str, ...]] = ()


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    line: int | None
    key: str
    problem: str
    fix: str

    def render(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}, key '{self.key}': {self.problem}\n    Fix: {self.fix}"


class ConfigError(Exception):
    """One or more problems in a params file; ``str()`` lists each with its fix."""

    def __init__(self, problems: Sequence[ConfigProblem]):
        self.problems = list(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the report's parameter files:"
        return "\n".join([head, *(f"  - {p.render()}" for p in self.problems)])


def fail(file: str | Path, key: str, problem: str, fix: str, line: int | None = None) -> ConfigError:
    """Build a one-problem ``ConfigError`` (for checks that span files or run after loading)."""
    return ConfigError([ConfigProblem(str(file), line, key, problem, fix)])


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# libyaml's parser is about ten times faster; the pure-Python one gives the same result.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file, returning the data and its node tree (for line numbers)."""
    shown = _display_path(path)
    if not path.exists():
        raise fail(shown, "(file)", "the file does not exist", f"create {shown} (see README.md)")
    loader = _SAFE_LOADER(path.read_text(encoding="utf-8"))
    try:
        # One parse serves both: the node tree locates errors, the data is built from it.
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise fail(
            shown,
            "(syntax)",
            f"the file is not valid YAML ({reason})",
            "check indentation and quoting near that line; text containing ': ' or '#' needs quotes",
            line,
        ) from None
    finally:
        loader.dispose()
    return data, node


def read_sections(path: Path) -> tuple[dict[str, str], dict[str, int]]:
    """A Markdown file of sections (``params/prose/*.md``): each ``## key`` heading starts a
    section whose text runs to the next one; paragraphs are separated by blank lines, and the
    lines of a paragraph are joined. Text before the first heading (a comment for editors) is
    left out. Returns the texts by key and the line of each key."""
    shown = _display_path(path)
    if not path.exists():
        raise fail(shown, "(file)", "the file does not exist", f"create {shown} (see README.md)")
    texts: dict[str, list[list[str]]] = {}
    lines: dict[str, int] = {}
    current: str | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("## "):
            current = line[3:].strip()
            if current in texts:
                raise fail(shown, current, "this section is written twice", "keep one", number)
            texts[current], lines[current] = [[]], number
        elif current is not None and not line.strip():
            texts[current].append([])
        elif current is not None:
            texts[current][-1].append(line.strip())
    joined = {key: "\n\n".join(" ".join(p) for p in paragraphs if p) for key, paragraphs in texts.items()}
    return joined, lines


def read_params_file(path: Path) -> tuple[Any, Any]:
    """A params file as data: YAML, or a Markdown file of sections (``read_sections``)."""
    if path.suffix == ".md":
        return read_sections(path)[0], None
    return read_yaml(path)


def _line_of(node: yaml.Node | None, loc: Iterable[Any]) -> int | None:
    """Line (1-based) of the YAML node at ``loc``, or of its nearest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    current = node
    for part in loc:
        if isinstance(current, yaml.MappingNode):
            found = None
            for key_node, value_node in current.value:
                if str(key_node.value) == str(part):
                    found = value_node
                    line = key_node.start_mark.line + 1
                    break
            current = found
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(current.value):
                current = current.value[part]
                line = current.start_mark.line + 1
            else:
                current = None
        else:
            current = None
        if current is None:
            break
    return line


def _key_path(loc: Sequence[Any], data: Any) -> str:
    """``measures[3].unit`` plus the id of the list item, e.g. ``measures[3] (id=no_fault_crashes)``."""
    parts: list[str] = []
    current = data
    for part in loc:
        if isinstance(part, int):
            label = f"[{part}]"
            if isinstance(current, list) and 0 <= part < len(current):
                current = current[part]
                if isinstance(current, dict) and "id" in current:
                    label += f" (id={current['id']})"
            else:
                current = None
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(part))
            current = current.get(part) if isinstance(current, dict) else None
    return "".join(parts) or "(top level)"


def _fix_for(error: dict[str, Any], model: type[BaseModel], loc: Sequence[Any]) -> tuple[str, str]:
    kind = error["type"]
    msg = error["msg"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "this key is required but missing", f"add '{loc[-1]}:' with a value"
    if kind == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        allowed = f"; allowed keys here: {', '.join(sorted(known))}" if known else ""
        return "this key is not recognised", f"remove it or correct its spelling{hint}{allowed}"
    if kind in {"literal_error", "enum"}:
        expected = ctx.get("expected", "")
        return f"the value {error.get('input')!r} is not allowed", f"use one of: {expected}"
    if kind.startswith(("int_", "float_", "decimal_")):
        return f"expected a number, got {error.get('input')!r}", "write a plain number, e.g. 10"
    if kind.startswith(("date_", "datetime_")):
        return f"expected a date, got {error.get('input')!r}", "write the date as YYYY-MM-DD"
    if kind.startswith("bool"):
        return f"expected true or false, got {error.get('input')!r}", "write true or false"
    if kind in {"string_type", "list_type", "dict_type", "model_type"}:
        wanted = {
            "string_type": "text",
            "list_type": "a list",
            "dict_type": "a mapping",
            "model_type": "a mapping of keys",
        }[kind]
        return f"expected {wanted}, got {type(error.get('input')).__name__}", f"write {wanted} here"
    if kind == "value_error":
        text = msg.removeprefix("Value error, ")
        problem, _, fix = text.partition(" Fix: ")
        return problem, fix or "correct the value as described"
    return msg, "correct the value as described"


def _known_keys(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """Field names of the (nested) model at ``loc``, to suggest a spelling."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return []
        annotation = fields[part].annotation
        current = _inner_model(annotation)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}).keys())


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def load_model(path: Path, model: type[M], context: dict[str, Any] | None = None) -> M:
    """Read ``path`` and validate it as ``model``; raise ``ConfigError`` listing every problem."""
    data, node = read_yaml(path)
    shown = _display_path(path)
    if data is None:
        raise fail(shown, "(file)", "the file is empty", "fill it in (see README.md)")
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
            problem, fix = _fix_for(error, model, loc)
            problems.append(ConfigProblem(shown, _line_of(node, loc), _key_path(loc, data), problem, fix))
        raise ConfigError(problems) from None


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    return _SLUG_RE.sub("-", text.lower()).strip("-")
