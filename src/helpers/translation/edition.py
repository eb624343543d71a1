"""An edition of the report: one language, where its texts are kept in ``params/``, and where it
lives in the build and on the site (English at the site's root, every other language under
``<code>/``). Every path that depends on the edition is asked of it, never built from a code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ..core.config import ConfigError, ConfigProblem, StrictModel, load_model, read_yaml
from ..core.language import ENGLISH, Language
from ..core.paths import ProjectPaths
from ..core.periods import FiscalQuarter

VERSIONS_FILE = "english-versions.yml"


class LanguageSettings(StrictModel):
    """``params/translations/<code>/language.yml``."""

    name: str  # in the language itself, for the language switcher: "Español"
    locale: str  # Babel (CLDR) locale for numbers and dates, e.g. "es" (1.234,5) or "es_US"
    # Names that are the same in every language (places, programs, partner organisations): the
    # check for English left in this edition does not count them.
    proper_names: list[str] = []


@dataclass(frozen=True)
class Edition:
    """One language of the report: English at the site's root, each other one under ``<code>/``."""

    language: Language
    folder: Path | None = None  # params/translations/<code>; None for English
    proper_names: tuple[str, ...] = ()

    @property
    def code(self) -> str:
        return self.language.code

    @property
    def is_source(self) -> bool:
        return self.folder is None

    # ------------------------------------------------------------ where the edition lives

    @property
    def prefix(self) -> str:
        """Its folder on the site: the root for English (``""``), ``es/`` for Spanish."""
        return "" if self.is_source else f"{self.code}/"

    @property
    def up(self) -> str:
        """From one of its pages to the site's root."""
        return "" if self.is_source else "../"

    def page_key(self, page: str) -> str:
        """How runs and logs name a page of this edition: ``2.1``, ``es/2.1``."""
        return f"{self.prefix}{page}"

    def executed_notebooks(self, paths: ProjectPaths, quarter: FiscalQuarter) -> Path:
        """Its executed notebooks (English's directly in ``build/<quarter>/notebooks``)."""
        return paths.executed_notebooks(quarter) / self.prefix

    def executed_notebook(self, paths: ProjectPaths, quarter: FiscalQuarter, output: str) -> Path:
        """A page's notebook as papermill executed it, ready for Quarto."""
        return self.executed_notebooks(paths, quarter) / f"{output}.ipynb"

    def notebook_cache(self, paths: ProjectPaths, quarter: FiscalQuarter, output: str) -> Path:
        """The inputs a page's notebook was last executed with."""
        return self.executed_notebooks(paths, quarter) / f"{output}.inputs.json"

    def staging(self, paths: ProjectPaths, quarter: FiscalQuarter) -> Path:
        """The folder Quarto renders for this edition, made fresh for every build of the site."""
        name = "site-src" if self.is_source else f"site-src-{self.code}"
        return paths.build_quarter(quarter) / name

    def render_log(self, paths: ProjectPaths, quarter: FiscalQuarter) -> Path:
        name = "quarto-render.log" if self.is_source else f"quarto-render-{self.code}.log"
        return paths.build_quarter(quarter) / name

    # ------------------------------------------------------------ its files in params/

    def file(self, name: str) -> Path:
        assert self.folder is not None
        return self.folder / name

    def quarter_file(self, quarter_id: str) -> Path:
        return self.file(f"quarters/{quarter_id}.yml")

    def versions(self, name: str) -> dict[str, str]:
        """The English each translation of file ``name`` was made from: key -> fingerprint."""
        found = self._versions.get(name) or {}
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

    @cached_property
    def _versions(self) -> dict[str, Any]:
        if self.folder is None or not self.file(VERSIONS_FILE).exists():
            return {}
        data, _ = read_yaml(self.file(VERSIONS_FILE))
        return data if isinstance(data, dict) else {}


ENGLISH_EDITION = Edition(ENGLISH)


def editions(params: Path) -> list[Edition]:
    """English, then every language with a folder under ``params/translations``, by code."""
    found = [ENGLISH_EDITION]
    folder = params / "translations"
    if not folder.exists():
        return found
    for child in sorted(folder.iterdir()):
        settings_file = child / "language.yml"
        if not child.is_dir() or not settings_file.exists():
            continue
        settings = load_model(settings_file, LanguageSettings)
        language = Language(child.name, settings.name, settings.locale, child / "interface.po")
        found.append(Edition(language, child, tuple(settings.proper_names)))
    return found


def edition(params: Path, code: str) -> Edition:
    for candidate in editions(params):
        if candidate.code == code:
            return candidate
    known = ", ".join(e.code for e in editions(params))
    raise ConfigError(
        [
            ConfigProblem(
                "params/translations",
                None,
                code,
                f"there is no '{code}' edition (editions: {known})",
                f"use one of {known}, or add params/translations/{code}/language.yml",
            )
        ]
    )
