"""All of ``params/`` loaded and cross-checked at once, so every stage starts from valid settings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..core.cache import file_sha256
from ..core.config import fail
from ..core.paths import ProjectPaths
from ..translation.edition import ENGLISH_EDITION, Edition, editions
from ..translation.texts import Missing, translate
from .districts import check_districts
from .open_data import OPEN_DATA_FILE, OpenData, load_open_data
from .plan import Plan, check_plan_against_sources, load_plan
from .privacy import PrivacyRules, load_privacy
from .prose import PROSE_FILE, Prose, load_prose
from .quarters import QuarterParams
from .sources import SourcesConfig, load_sources

SETTINGS_FILES = ("plan.yml", "sources.yml", "privacy.yml", PROSE_FILE, OPEN_DATA_FILE)


@dataclass(frozen=True)
class Settings:
    """The plan, sources and privacy rules; in English unless ``in_edition`` translated them."""

    paths: ProjectPaths
    plan: Plan
    sources: SourcesConfig
    privacy: PrivacyRules
    prose: Prose
    open_data: OpenData
    edition: Edition = ENGLISH_EDITION
    missing: tuple[Missing, ...] = ()  # texts this edition has no translation for yet
    # Grammatical gender of what each measure counts ("feminine", "masculine"), for languages
    # whose words agree with it: the plan translation's ``genders``.
    grammar: dict[str, str] = dataclasses.field(default_factory=dict)
    # The other editions' settings, made once: reading and checking a translation is not free.
    _editions: dict[str, Settings] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def file_hashes(self) -> dict[str, str]:
        """SHA-256 of each settings file, for manifests and cache keys."""
        files = {name: self.paths.params / name for name in SETTINGS_FILES}
        return {name: file_sha256(path) for name, path in files.items()}

    def edition_fingerprint(self) -> str:
        """What a page of this settings' edition reads from the translations beyond its quarter's
        texts: the plan and sources as translated (pending marks included), their grammar, the
        interface catalogue and the language settings. A fix to one quarter's Spanish text does
        not re-run the other pages; a reviewed translation re-runs the pages that show it."""
        from ..core.cache import digest

        edition = self.edition
        if edition.is_source:
            return ""
        files = {name: edition.file(name) for name in ("interface.po", "language.yml")}
        return digest(
            {
                "plan": self.plan.model_dump(mode="json"),
                "sources": self.sources.model_dump(mode="json"),
                "prose": self.prose.model_dump(mode="json"),
                "grammar": self.grammar,
                "files": {n: file_sha256(p) if p.exists() else None for n, p in files.items()},
            }
        )

    def editions_fingerprint(self) -> dict[str, str]:
        """``edition_fingerprint`` of every other edition: what their CSVs and site read from
        the translations (a quarter's texts reach them only through the executed pages)."""
        return {e.code: self.in_edition(e).edition_fingerprint() for e in self.editions()[1:]}

    def populations(self) -> dict[str, str]:
        return {m.id: m.population_key for m in self.plan.measures}

    def editions(self) -> list[Edition]:
        return editions(self.paths.params)

    def in_edition(self, edition: Edition) -> Settings:
        """The same settings with the plan's and the sources' texts in ``edition``'s language."""
        if edition.is_source:
            return self
        if edition.code not in self._editions:
            self._editions[edition.code] = self._translated(edition)
        return self._editions[edition.code]

    def _translated(self, edition: Edition) -> Settings:
        language = edition.language
        plan = translate(
            self.plan,
            edition.file("plan.yml"),
            self._shown(edition, "plan.yml"),
            language,
            ("genders",),
            edition.versions("plan.yml"),
        )
        genders = plan.extras.get("genders") or {}
        unknown = sorted(set(genders) - {m.id for m in self.plan.measures})
        wrong = sorted(g for g in genders.values() if g not in {"feminine", "masculine"})
        if unknown or wrong:
            raise fail(
                self._shown(edition, "plan.yml"),
                "genders",
                f"not a measure: {', '.join(unknown)}" if unknown else f"not a gender: {', '.join(wrong)}",
                "give each measure id the gender of what it counts: feminine or masculine",
            )
        sources = translate(
            self.sources,
            edition.file("sources.yml"),
            self._shown(edition, "sources.yml"),
            language,
            versions=edition.versions("sources.yml"),
        )
        prose = translate(
            self.prose,
            edition.file(PROSE_FILE),
            self._shown(edition, PROSE_FILE),
            language,
            versions=edition.versions(PROSE_FILE),
        )
        missing = (*plan.missing, *sources.missing, *prose.missing)
        return dataclasses.replace(
            self,
            _editions={},
            plan=plan.model,
            sources=sources.model,
            prose=prose.model,
            edition=edition,
            missing=missing,
            grammar=genders,
        )

    def quarter_in_edition(self, params: QuarterParams) -> tuple[QuarterParams, list[Missing]]:
        """The quarter's narrative in this settings' edition, and what it still lacks."""
        edition = self.edition
        if edition.is_source:
            return params, []
        name = f"quarters/{params.quarter.id}.yml"
        done = translate(
            params,
            edition.file(name),
            self._shown(edition, name),
            edition.language,
            versions=edition.versions(name),
        )
        return done.model, done.missing

    def _shown(self, edition: Edition, name: str) -> str:
        path = edition.file(name)
        return str(path.relative_to(self.paths.root)) if path.is_relative_to(self.paths.root) else str(path)


def load_settings(paths: ProjectPaths) -> Settings:
    plan = load_plan(paths.params / "plan.yml")
    sources = load_sources(paths.params / "sources.yml")
    privacy = load_privacy(paths.params / "privacy.yml")
    prose = load_prose(paths.params / PROSE_FILE)
    open_data = load_open_data(paths.params / OPEN_DATA_FILE)
    dates = {
        name: {c for c, col in spec.columns.items() if col.type in {"date", "datetime"}}
        for name, spec in sources.sources.items()
    }
    check_plan_against_sources(
        plan, "params/plan.yml", sources.columns_by_source(), dates, sources.person_columns()
    )
    try:
        measures = {m.id: (m.source, m.kind, m.privacy) for m in plan.measures}
        check_districts(plan.districts, sources, measures)
    except ValueError as exc:
        problem, _, fix = str(exc).partition(". Fix: ")
        raise fail("params/plan.yml", "districts", problem, fix or "see params/sources.yml") from None
    return Settings(paths, plan, sources, privacy, prose, open_data)
