"""The longer explanations residents read, kept in Markdown where communications staff edit them
without touching code: ``params/prose/explanations.md`` (English) and, for every other edition,
``params/translations/<code>/prose/explanations.md``. Each ``## key`` section is one explanation;
its ``{names}`` are filled with the report's own numbers (the privacy floor, for example), so
they must be plain names (``helpers.core.templates``). Short interface words stay gettext
messages in the code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import ValidationError, field_validator

from ..core.config import ConfigError, ConfigProblem, StrictModel, _display_path, read_sections
from ..core.templates import TemplateError, fill
from ..core.templates import check as check_template

PROSE_FILE = "prose/explanations.md"
SECTIONS = ("how_to_read", "privacy", "coverage", "fiscal_years", "archive")


class Prose(StrictModel):
    """The explanations of About the data and of the Archive page."""

    translated: ClassVar[tuple[str, ...]] = SECTIONS
    templates: ClassVar[tuple[str, ...]] = SECTIONS

    how_to_read: str  # About the data: how to read this report
    privacy: str  # About the data: the privacy rules, with {last}, {hidden} and {people}
    coverage: str  # About the data: gaps in real exports
    fiscal_years: str  # About the data: the City's fiscal year
    archive: str  # the Archive page: what an archived quarter is

    @field_validator(*SECTIONS)
    @classmethod
    def _plain_placeholders(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("this section is empty. Fix: write what residents should read here")
        try:
            check_template(text)
        except TemplateError as exc:
            raise ValueError(f"{exc}. Fix: {exc.fix}") from None
        return text

    def paragraphs(self, section: str, **values: Any) -> list[str]:
        """The section's paragraphs with its ``{names}`` filled in."""
        return fill(getattr(self, section), values).split("\n\n")


def load_prose(path: Path) -> Prose:
    texts, lines = read_sections(path)
    shown = _display_path(path)
    try:
        return Prose.model_validate(texts)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else "(file)"
            if error["type"] == "missing":
                problem, fix = "this section is missing", f"add a section headed '## {key}'"
            elif error["type"] == "extra_forbidden":
                problem, fix = "there is no such section", f"use the sections {', '.join(SECTIONS)}"
            else:
                problem, _, fix = error["msg"].removeprefix("Value error, ").partition(" Fix: ")
            problems.append(ConfigProblem(shown, lines.get(key), key, problem, fix or "see README.md"))
        raise ConfigError(problems) from None
